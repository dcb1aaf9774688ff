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
    let shown = ArcMemo::new(move |_| cond());
    (move || if shown.get() { Some(children()) } else { fallback.as_ref().map(|f| f()) }).into_any()
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
