//! One component per panel; each talks only to the desk.
pub mod agent_state;
pub mod devices;
pub mod diagnostics;
pub mod directory;
pub mod notices;
pub mod sip_prompts;
pub mod phone;
pub mod quality;
pub mod recents;
pub mod servicenow;
pub mod shell;
pub mod shortcuts;
pub mod support;
pub mod sign_in;
pub mod dial_pad;
pub mod wrap_up;

use leptos::prelude::*;

/// For a view that comes and goes (a call card, a wrap-up, the dial pad between calls) and reads state that
/// lives as long as the page and rarely changes (the desk's settings, the number being typed): a memo that
/// tracks what `track` reads and changes each time that does. The view's effects track this memo and read
/// the state untracked: `move || { changed.track(); desk.settings.with_untracked(..) }`.
///
/// Leptos 0.8 keeps in each signal a weak link to every reader until that reader runs again (see
/// `desk::shell::run::put`); the desk's own changes let go of them, but a signal that rarely changes kept
/// one link per view ever shown. This memo lets go of its own links when the view's owner is cleaned up,
/// so nothing of the view stays behind. (One type for every use: a memo per value type costs ~1 KB of wasm.)
pub fn follow(track: impl Fn() + Send + Sync + 'static) -> Follow {
    use leptos::reactive::graph::{Subscriber, ToAnySubscriber};
    let m = ArcMemo::new(move |n: Option<&u32>| {
        track();
        n.map_or(0, |n| n.wrapping_add(1))
    });
    let keep = m.clone();
    on_cleanup(move || keep.clear_sources(&keep.to_any_subscriber()));
    Follow(Memo::from(m))
}

/// See [`follow`].
#[derive(Clone, Copy)]
pub struct Follow(Memo<u32>);

impl Follow {
    /// Makes the running effect or memo follow the state (reads the memo: a memo is computed, and so
    /// subscribes to the state, only when read).
    pub fn track(&self) {
        let _ = self.0.get();
    }
}

/// `<Show>` without its per-use code (issue #16): the condition is memoized the same way (the children are
/// built when it turns true and dropped when it turns false, not rebuilt while it stays true), but the
/// memo and the render effect are one instantiation for every use instead of one each.
pub fn when<V: IntoView + 'static>(
    cond: impl Fn() -> bool + Send + Sync + 'static,
    children: impl Fn() -> V + Send + Sync + 'static,
) -> AnyView {
    when_erased(Box::new(cond), Box::new(move || children().into_any()), None)
}

/// [`when`] with a view for the false case (`<Show fallback=..>`).
pub fn when_else<V: IntoView + 'static, F: IntoView + 'static>(
    cond: impl Fn() -> bool + Send + Sync + 'static,
    children: impl Fn() -> V + Send + Sync + 'static,
    fallback: impl Fn() -> F + Send + Sync + 'static,
) -> AnyView {
    when_erased(Box::new(cond), Box::new(move || children().into_any()), Some(Box::new(move || fallback().into_any())))
}

type ViewBox = Box<dyn Fn() -> AnyView + Send + Sync>;

#[inline(never)]
fn when_erased(cond: Box<dyn Fn() -> bool + Send + Sync>, children: ViewBox, fallback: Option<ViewBox>) -> AnyView {
    // A memo of u32, the type of `follow`'s memo, not a second memo type for bool (issue #16).
    let shown = ArcMemo::new(move |_| cond() as u32);
    // Through `dyn_erased`'s render effect (the view erased, as `dyn_opt`'s): no render effect of its own for an
    // optional view (issue #16); the same nodes, rebuilt the same way (an erased view of the same type rebuilds typed).
    dyn_erased(Box::new(move || if shown.get() != 0 { Some(children()) } else { fallback.as_ref().map(|f| f()) }.into_any()))
}

/// A reactive child (`{move || ..}`) without its per-use render effect (issue #16): the closure is boxed
/// and its view erased, so every use shares one render effect; the view is rebuilt in place as before
/// (same type: the typed rebuild; text stays the same node).
pub fn dynv<V: IntoView + 'static>(f: impl Fn() -> V + Send + Sync + 'static) -> AnyView {
    dyn_erased(Box::new(move || f().into_any()))
}

#[inline(never)]
fn dyn_erased(f: ViewBox) -> AnyView {
    (move || f()).into_any()
}

/// `<For>` without its generic diff (issue #16): a list of rows keyed by id, each built once under its own
/// reactive owner when its key appears and dropped (owner and all) when it goes; the rows that stay are
/// neither rebuilt nor moved unless their order changed (focus and the element under the pointer stay).
/// Like `<For>`, the rows are followed by an empty comment node. A row must render to one element.
pub fn keyed(each: impl Fn() -> Vec<u32> + Send + Sync + 'static, row: impl Fn(u32) -> AnyView + Send + Sync + 'static) -> AnyView {
    keyed_erased(Box::new(each), std::sync::Arc::new(row))
}

type RowFn = std::sync::Arc<dyn Fn(u32) -> AnyView + Send + Sync>;

#[inline(never)]
fn keyed_erased(each: Box<dyn Fn() -> Vec<u32> + Send + Sync>, row: RowFn) -> AnyView {
    let owner = Owner::current().expect("no reactive owner");
    // Through `dyn_erased`'s render effect, as `when_erased` (issue #16).
    dyn_erased(Box::new(move || Keyed { keys: each(), row: row.clone(), owner: owner.clone() }.into_any()))
}

struct Keyed {
    keys: Vec<u32>,
    row: RowFn,
    owner: Owner,
}

/// One row: its key, its view and its owner (dropped after the view, as `<For>` does).
type Row = (u32, leptos::tachys::view::any_view::AnyViewState, Owner);

struct KeyedState {
    parent: Option<web_sys::Element>,
    marker: web_sys::Comment,
    rows: Vec<Row>,
}

impl Keyed {
    fn make(&self, k: u32) -> Row {
        use leptos::tachys::view::Render;
        let owner = self.owner.with(Owner::new);
        let state = owner.with(|| (self.row)(k).build());
        (k, state, owner)
    }
}

impl leptos::tachys::view::Render for Keyed {
    type State = KeyedState;

    fn build(self) -> KeyedState {
        let mut rows = Vec::new();
        for k in &self.keys {
            rows.push(self.make(*k));
        }
        KeyedState { parent: None, marker: leptos::tachys::renderer::Rndr::create_placeholder(), rows }
    }

    fn rebuild(self, state: &mut KeyedState) {
        use leptos::tachys::view::Mountable;
        let mut old: Vec<Option<Row>> = Vec::new();
        for r in std::mem::take(&mut state.rows) {
            old.push(Some(r));
        }
        let mut rows: Vec<Row> = Vec::new();
        for k in &self.keys {
            let kept = old.iter_mut().find(|r| r.as_ref().is_some_and(|r| r.0 == *k)).and_then(Option::take);
            rows.push(match kept {
                Some(r) => r,
                None => self.make(*k),
            });
        }
        for mut r in old.into_iter().flatten() {
            r.1.unmount();
        }
        if let Some(parent) = &state.parent {
            // From the end: each row goes just before the next one (or the marker) unless it already is.
            let mut next: web_sys::Node = state.marker.clone().into();
            for r in rows.iter_mut().rev() {
                let first: Option<web_sys::Node> = r.1.elements().into_iter().next().map(Into::into);
                if first.as_ref().and_then(|f| f.next_sibling()).as_ref() != Some(&next) {
                    r.1.mount(parent, Some(&next));
                }
                if let Some(f) = first {
                    next = f;
                }
            }
        }
        state.rows = rows;
    }
}

impl leptos::tachys::view::Mountable for KeyedState {
    fn unmount(&mut self) {
        for r in &mut self.rows {
            r.1.unmount();
        }
        leptos::tachys::renderer::Rndr::remove(&self.marker);
    }

    fn mount(&mut self, parent: &web_sys::Element, marker: Option<&web_sys::Node>) {
        self.parent = Some(parent.clone());
        for r in &mut self.rows {
            r.1.mount(parent, marker);
        }
        leptos::tachys::renderer::Rndr::insert_node(parent, &self.marker, marker);
    }

    fn insert_before_this(&self, child: &mut dyn leptos::tachys::view::Mountable) -> bool {
        match self.rows.first() {
            Some(r) => r.1.insert_before_this(child),
            None => self.marker.insert_before_this(child),
        }
    }

    fn elements(&self) -> Vec<web_sys::Element> {
        let mut all = Vec::new();
        for r in &self.rows {
            all.extend(r.1.elements());
        }
        all
    }
}

impl leptos::tachys::view::add_attr::AddAnyAttr for Keyed {
    type Output<A: leptos::tachys::html::attribute::Attribute> = Keyed;

    fn add_any_attr<A: leptos::tachys::html::attribute::Attribute>(self, _attr: A) -> Keyed {
        self
    }
}

impl leptos::tachys::view::RenderHtml for Keyed {
    type AsyncOutput = Keyed;
    type Owned = Keyed;
    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {}

    async fn resolve(self) -> Keyed {
        self
    }

    fn to_html_with_buf(
        self,
        _buf: &mut String,
        _position: &mut leptos::tachys::view::Position,
        _escape: bool,
        _mark_branches: bool,
        _extra_attrs: Vec<leptos::tachys::html::attribute::any_attribute::AnyAttribute>,
    ) {
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        _cursor: &leptos::tachys::hydration::Cursor,
        _position: &leptos::tachys::view::PositionState,
    ) -> KeyedState {
        self.build_state()
    }

    fn into_owned(self) -> Keyed {
        self
    }
}

impl Keyed {
    fn build_state(self) -> KeyedState {
        leptos::tachys::view::Render::build(self)
    }
}

/// `<button type="button" class=.. data-testid=..>text</button>` with a click handler: one view for every
/// such button instead of one per use (issue #16).
pub fn btn(class: &'static str, testid: Option<&'static str>, text: &'static str, on_click: impl FnMut(leptos::ev::MouseEvent) + 'static) -> AnyView {
    btn_erased(class, testid, text, Box::new(on_click))
}

/// A click handler, boxed: every `on:click` then shares one handler type (issue #16).
///
/// Every listener in the views is written `on:<event>:capture=` (the guard test below fails otherwise). Leptos's
/// bubbling listeners go through a function that also holds its event-delegation path (a global table of
/// event names, a document listener that walks the DOM), linked even though delegation is off; capture
/// listeners go through one without it: -2,104 bytes gzip. For a listener on the element the event is aimed
/// at (every button, input, select and form here), the capture and bubble phases are the same moment; the one
/// listener on a container (the tab bar's keydown) has no listener for that event below it. Nothing stops
/// propagation, so every handler runs as before, and before the window's shortcut listener.
pub type Click = Box<dyn FnMut(leptos::ev::MouseEvent)>;

/// An `input` or `change` handler, boxed like [`Click`].
pub type OnEvent = Box<dyn FnMut(leptos::ev::Event)>;

/// Boxes an `input` or `change` handler (see [`Click`]).
pub fn on_event(f: impl FnMut(leptos::ev::Event) + 'static) -> OnEvent {
    Box::new(f)
}

/// Boxes a `submit` handler (see [`Click`]).
pub fn on_submit(f: impl FnMut(leptos::ev::SubmitEvent) + 'static) -> Box<dyn FnMut(leptos::ev::SubmitEvent)> {
    Box::new(f)
}

/// Boxes a `keydown` handler (see [`Click`]).
pub fn on_key(f: impl FnMut(leptos::ev::KeyboardEvent) + 'static) -> Box<dyn FnMut(leptos::ev::KeyboardEvent)> {
    Box::new(f)
}

/// Boxes a click handler (see [`Click`]).
pub fn click(f: impl FnMut(leptos::ev::MouseEvent) + 'static) -> Click {
    Box::new(f)
}

#[inline(never)]
fn btn_erased(class: &'static str, testid: Option<&'static str>, text: &'static str, on_click: Click) -> AnyView {
    view! { <button type="button" class=class data-testid=testid on:click:capture=on_click>{text}</button> }.into_any()
}

/// `<button type="submit" class=.. data-testid=..>text</button>`: one view for every form's submit button
/// (issue #16).
#[inline(never)]
pub fn submit_btn(class: &'static str, testid: &'static str, text: &'static str) -> AnyView {
    view! { <button type="submit" class=class data-testid=testid>{text}</button> }.into_any()
}

/// `<div class="kv"><dt>label</dt><dd data-testid=..>value</dd></div>`: one view for the Status panel's
/// rows and a call's quality details (issue #16).
#[inline(never)]
pub fn kv_row(label: &'static str, testid: &'static str, value: AnyView) -> AnyView {
    view! {
        <div class="kv">
            <dt>{label}</dt>
            <dd data-testid=testid>{value}</dd>
        </div>
    }
    .into_any()
}

/// `<input class="input" type=.. aria-label=label placeholder=label data-testid=.. autocomplete=..>` that shows and
/// sets a text signal (`prop:value`, `on:input`): one view for every such field (issue #16).
#[inline(never)]
pub fn text_input(ty: &'static str, label: &'static str, testid: &'static str, autocomplete: Option<&'static str>, value: RwSignal<String>) -> AnyView {
    view! {
        <input class="input" type=ty aria-label={label} {..crate::ui::cattr("placeholder", label)} data-testid={testid} {..crate::ui::oattr("autocomplete", autocomplete)}
            prop:value=text_fn(move || value.get()) on:input:capture=on_event(move |ev| value.set(event_target_value(&ev)))/>
    }
    .into_any()
}

/// The twelve phone keys (`<div class=.. role="group" aria-label=label data-testid=..>` of `<button class="key"
/// KEY_ATTR=k aria-label="label k">`): one view for the call's keypad and the dial pad (issue #16).
#[inline(never)]
pub fn phone_keys(class: &'static str, label: &'static str, testid: Option<&'static str>, key_attr: &'static str, on_key: std::rc::Rc<dyn Fn(char)>) -> AnyView {
    const KEYS: [char; 12] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
    view! {
        <div class=class role="group" aria-label=label data-testid=testid>
            {KEYS
                .into_iter()
                .map(|k| {
                    let on_key = on_key.clone();
                    view! {
                        <button type="button" class="key" {..crate::ui::sattr(key_attr, k.to_string())} {..crate::ui::sattr("aria-label", cat(&[label, " ", k.encode_utf8(&mut [0; 4])]))}
                            on:click:capture=click(move |_| on_key(k))>{k.to_string()}</button>
                    }
                })
                .rows()}
        </div>
    }
    .into_any()
}

/// The "×" that dismisses a notice (`<button type="button" class="x" aria-label="Dismiss">`).
pub fn dismiss_x(on_click: impl FnMut(leptos::ev::MouseEvent) + 'static) -> AnyView {
    dismiss_erased(Box::new(on_click))
}

#[inline(never)]
fn dismiss_erased(on_click: Click) -> AnyView {
    view! { <button type="button" class="x" aria-label=crate::strings::DISMISS() on:click:capture=on_click>"×"</button> }.into_any()
}

/// What a plain button does, as data: the buttons below share one click handler (issue #16) instead of a
/// closure type each.
pub enum Act {
    Answer(u32),
    Reject(u32),
    HangUp(u32),
    ClearEnded,
    /// Hands call `.0` over to call `.1` (a consultation's "Complete transfer").
    Complete(u32, u32),
    Conference(u32, u32),
    SimulateIncoming,
    SignOut,
    ClaimPhone,
    AllowAsk,
    RefuseAsk,
    DecideTransfer(bool),
    FinishWrapUp,
    SnSignIn,
    SnSignOut,
    Retry(String),
    DismissActivity(String),
    StoredDismiss(String),
}

impl Act {
    fn run(&self, desk: crate::desk::Desk) {
        use crate::servicenow::service;
        match self {
            Act::Answer(id) => desk.answer(*id),
            Act::Reject(id) => desk.reject(*id),
            Act::HangUp(id) => desk.hang_up(*id),
            Act::ClearEnded => desk.clear_ended(),
            Act::Complete(id, other) => desk.transfer(*id, "", Some(*other)),
            Act::Conference(id, other) => desk.conference(*id, *other),
            Act::SimulateIncoming => {
                desk.simulate_incoming();
            }
            Act::SignOut => desk.sign_out(),
            Act::ClaimPhone => desk.claim_phone(),
            Act::AllowAsk => desk.allow_ask(),
            Act::RefuseAsk => desk.refuse_ask(),
            Act::DecideTransfer(yes) => desk.decide_transfer(*yes),
            Act::FinishWrapUp => {
                let _ = desk.submit_wrapup();
            }
            Act::SnSignIn => service::sign_in(desk),
            Act::SnSignOut => service::sign_out(desk),
            Act::Retry(id) => desk.retry_activity(id),
            Act::DismissActivity(id) => desk.dismiss_activity(id),
            Act::StoredDismiss(key) => crate::stored::dismiss(key),
        }
    }
}

/// A [`btn`] that does an [`Act`] on the desk.
#[inline(never)]
pub fn act(class: &'static str, testid: Option<&'static str>, text: &'static str, act: Act) -> AnyView {
    let desk = crate::desk::use_desk();
    btn_erased(class, testid, text, Box::new(move |_| act.run(desk)))
}

/// `.rows()` instead of `.collect_view()`: one list type for every list (issue #16), each row erased; the
/// same nodes (the rows, then the list's empty comment node).
pub trait RowsExt: Iterator + Sized {
    fn rows(self) -> Vec<AnyView>;
}

impl<I: Iterator> RowsExt for I
where
    I::Item: IntoView + 'static,
{
    fn rows(self) -> Vec<AnyView> {
        // A plain loop: `collect`'s specialised paths are code of their own for every list (issue #16).
        let mut rows = Vec::new();
        for v in self {
            rows.push(v.into_any());
        }
        rows
    }
}

/// [`dynv`] for a view that may be absent: the view erased inside the option, so every such child shares
/// one option type (issue #16); the same nodes (the view, or the empty comment node in its place).
pub fn dyn_opt<V: IntoView + 'static>(f: impl Fn() -> Option<V> + Send + Sync + 'static) -> AnyView {
    dyn_erased(Box::new(move || f().map(IntoAny::into_any).into_any()))
}

/// A reactive attribute (`{..crate::ui::attr("aria-expanded", move || ..)}`): every such attribute, whatever
/// its name, is one attribute type (issue #16) instead of one per name.
pub fn attr(name: &'static str, f: impl Fn() -> String + Send + Sync + 'static) -> DynAttr {
    leptos::tachys::html::attribute::custom::custom_attribute(name, Box::new(move || Some(f())))
}

/// See [`attr`]: the value is always there for [`attr`], there while true (empty) for [`battr`]; one value
/// type for both, so one copy of the reactive attribute code (issue #16).
pub type DynAttr = leptos::tachys::html::attribute::custom::CustomAttr<&'static str, Box<dyn Fn() -> Option<String> + Send + Sync>>;

/// A reactive property's text (`prop:value=crate::ui::text_fn(move || ..)`), boxed: every such property is
/// one closure type, so one copy of Leptos's property effect instead of one per field (issue #16).
pub fn text_fn(f: impl Fn() -> String + Send + Sync + 'static) -> Box<dyn Fn() -> String + Send + Sync> {
    Box::new(f)
}

/// An attribute whose text is made at run time (`{..crate::ui::sattr("aria-label", label)}`): one attribute
/// type for all of them, whatever the name (issue #16).
pub fn sattr(name: &'static str, value: String) -> leptos::tachys::html::attribute::custom::CustomAttr<&'static str, String> {
    leptos::tachys::html::attribute::custom::custom_attribute(name, value)
}

/// A fixed attribute of a name used in few places (`{..crate::ui::cattr("rows", "3")}`): the same attribute
/// type as the `data-*` ones instead of one more per name (issue #16).
pub fn cattr(name: &'static str, value: &'static str) -> leptos::tachys::html::attribute::custom::CustomAttr<&'static str, &'static str> {
    leptos::tachys::html::attribute::custom::custom_attribute(name, value)
}

/// An attribute that is there or not (`Some("")` for a boolean attribute): the attribute type of the
/// buttons' optional `data-testid` (issue #16).
pub fn oattr(name: &'static str, value: Option<&'static str>) -> leptos::tachys::html::attribute::custom::CustomAttr<&'static str, Option<&'static str>> {
    leptos::tachys::html::attribute::custom::custom_attribute(name, value)
}

/// A reactive boolean attribute (`{..crate::ui::battr("hidden", move || ..)}`: present, empty, while true):
/// one attribute type whatever the name (issue #16).
pub fn battr(name: &'static str, f: impl Fn() -> bool + Send + Sync + 'static) -> DynAttr {
    leptos::tachys::html::attribute::custom::custom_attribute(name, Box::new(move || f().then(String::new)))
}

/// A view's signal, made in one function per value type (`RwSignal::new` inlines the arena's insert at each
/// call; issue #16).
#[inline(never)]
pub fn sig<T: Send + Sync + 'static>(v: T) -> RwSignal<T> {
    RwSignal::new(v)
}

/// Joins texts into one (see [`crate::text::cat`]).
pub use crate::text::cat;

/// A reactive attribute that reads a boolean signal as "true"/"false" (`aria-expanded`): one closure for all
/// of them (issue #16).
#[inline(never)]
pub fn flag(name: &'static str, s: RwSignal<bool>) -> DynAttr {
    attr(name, move || s.get().to_string())
}

/// A click handler that flips a boolean signal (one handler for every toggle button; issue #16).
#[inline(never)]
pub fn toggler(s: RwSignal<bool>) -> Click {
    Box::new(move |_| toggle(s))
}

/// Moves the focus to the element of this id (after bringing it into view when `scroll`), if it is there
/// (one look-up for the tabs, the work view's sections and the dial pad's shortcut; issue #16).
#[inline(never)]
pub fn focus(id: &str, scroll: bool) {
    use wasm_bindgen::JsCast;
    if let Some(el) = document().get_element_by_id(id) {
        if scroll {
            el.scroll_into_view();
        }
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}

/// Flips a boolean signal (one function for every toggle; issue #16).
#[inline(never)]
pub fn toggle(s: RwSignal<bool>) {
    s.update(|v| *v = !*v)
}

/// A view's memo of u32 (the type the views' memos share), made in one function (`Memo::new` inlines the
/// arena's insert and the memo's code at each call; issue #16).
#[inline(never)]
pub fn memo(f: Box<dyn Fn() -> u32 + Send + Sync>) -> Memo<u32> {
    Memo::new(move |_| f())
}

/// A value computed from signals and kept while it stays equal, as a memo of it would be, but through a u32
/// memo (the type the views' memos share) that changes when the value does: no memo type per value type
/// (~0.4 KB each; issue #16). Its readers run exactly when a memo of the value would tell them to.
pub struct Kept<T> {
    changed: Memo<u32>,
    value: std::sync::Arc<std::sync::Mutex<(u32, T)>>,
}

impl<T> Clone for Kept<T> {
    fn clone(&self) -> Self {
        Kept { changed: self.changed, value: self.value.clone() }
    }
}

impl<T: PartialEq + Send + 'static> Kept<T> {
    pub fn new(init: T, f: impl Fn() -> T + Send + Sync + 'static) -> Kept<T> {
        let value = std::sync::Arc::new(std::sync::Mutex::new((0u32, init)));
        let v = value.clone();
        let changed = memo(Box::new(move || {
            let now = f();
            let mut s = v.lock().unwrap_or_else(|e| e.into_inner());
            if s.1 != now {
                s.1 = now;
                s.0 = s.0.wrapping_add(1);
            }
            s.0
        }));
        Kept { changed, value }
    }

    /// Reads the value (tracked: the reader runs again when it changes).
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let _ = self.changed.get();
        f(&self.value.lock().unwrap_or_else(|e| e.into_inner()).1)
    }
}

#[cfg(test)]
mod listener_tests {
    /// Every `on:` listener in the views is a capture listener (see [`super::Click`] for why): a bubbling one
    /// would link Leptos's event-delegation code again (about 2 KB gzip) without any test noticing.
    #[test]
    fn every_view_listener_is_capture() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut files = vec![];
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        // An `on:` attribute anywhere (line start, after a space, a brace or a quote), its name of letters and
        // colons, then `=` after optional spaces; and no listener added through tachys's `.on(..)` either.
        let (mut listeners, mut bubbling) = (0, vec![]);
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            for (n, line) in text.lines().enumerate() {
                let b = line.as_bytes();
                let mut i = 0;
                while let Some(j) = line[i..].find("on:").map(|j| j + i) {
                    i = j + 3;
                    if j > 0 && (b[j - 1].is_ascii_alphanumeric() || b[j - 1] == b'_') {
                        continue;
                    }
                    let name_len = line[j + 3..].bytes().take_while(|c| c.is_ascii_lowercase() || *c == b':').count();
                    let after = line[j + 3 + name_len..].trim_start();
                    if name_len > 0 && after.starts_with('=') && !after.starts_with("==") {
                        listeners += 1;
                        let attr = &line[j..j + 3 + name_len];
                        if !attr.ends_with(":capture") {
                            bubbling.push(format!("{}:{}: {attr}", f.display(), n + 1));
                        }
                    }
                }
                // (the patterns built here, so this line does not match itself)
                let (full, short) = ([".on(", "leptos::ev::"].concat(), [".on(", "ev::"].concat());
                if line.contains(&full) || line.contains(&short) {
                    bubbling.push(format!("{}:{}: .on(..)", f.display(), n + 1));
                }
            }
        }
        assert!(listeners >= 30, "the scan finds the views' listeners ({listeners} found)");
        assert!(bubbling.is_empty(), "bubbling listeners (write on:<event>:capture=): {bubbling:#?}");
    }
}
