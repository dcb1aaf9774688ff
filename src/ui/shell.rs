//! The frame of the desktop: header, notices, section tabs and the current panel. From [`WIDE_MIN_PX`] wide
//! (popped out in a full tab) the work view shows calls and the dial pad in one column, and the wrap-up of
//! the last call, the directory and the recent calls together in the other; the Status tab stays a page.

use crate::config::LineKind;
use crate::phone::sipline::LineStatus;
use crate::desk::{use_desk, Tab};
use crate::strings as t;
use crate::ui::shortcuts::{self, ShortcutHelp};
use crate::ui::{
    agent_state::AgentStateSelect, diagnostics::DiagnosticsPanel, directory::DirectoryPanel, notices::Notices,
    phone::PhonePanel, recents::RecentsPanel, wrap_up::WrapUpPanel,
};
use crate::ui::RowsExt;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

fn tab_label(tab: Tab) -> &'static str {
    match tab {
        Tab::Phone => t::TAB_PHONE(),
        Tab::Directory => t::TAB_DIRECTORY(),
        Tab::Recents => t::TAB_RECENTS(),
        Tab::Diagnostics => t::TAB_DIAGNOSTICS(),
    }
}

/// From this viewport width the desktop shows the two-column work view.
pub const WIDE_MIN_PX: f64 = 900.0;

thread_local! {
    /// Whether the two-column work view is shown: the mounted shell's signal (a page has one shell; kept here rather than in Leptos's context,
    /// whose hash map per owner only the desktop's contexts used: see [`crate::desk::provide_desk`]).
    static WIDE: std::cell::Cell<Option<RwSignal<bool>>> = const { std::cell::Cell::new(None) };
}

/// A reader of "the shell shows the two-column work view", for panels that lay out differently there (the
/// phone panel leaves the wrap-up to the side column). False outside a shell.
pub fn use_wide() -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let wide = WIDE.with(|w| w.get());
    move || wide.map(|w| w.get()).unwrap_or(false)
}

fn viewport_is_wide() -> bool {
    web_sys::window().and_then(|w| w.inner_width().ok()).and_then(|w| w.as_f64()).is_some_and(|w| w >= WIDE_MIN_PX)
}

/// In the work view, moves the focus to a section's first field (the directory's search) or brings the
/// section into view (recents).
fn focus_section(tab: Tab) {
    let id = match tab {
        Tab::Directory => "directory-search",
        Tab::Recents => "work-recents",
        _ => return,
    };
    crate::ui::focus(id, true);
}

/// What the panel area shows, as a number (a memo of u32 shares its code with the other memos, issue #16):
/// one tab's panel (the frame, the side bar, any narrow window) is the tab's place in [`Tab::ALL`] (the
/// Status tab's is `STATUS`); `WORK`: calls, dial pad, wrap-up, directory and recents side by side (a wide
/// window).
const STATUS: u32 = 3;
const WORK: u32 = 4;

/// Listens for `name` on the window while this shell is mounted. (leptos_dom's `window_event_listener` wraps
/// each handler in two more closures and keeps the event name in a `String` to remove it: issue #16.)
fn on_window(name: &'static str, f: Box<dyn FnMut(web_sys::Event)>) {
    let Some(w) = web_sys::window() else { return };
    let cb = wasm_bindgen::closure::Closure::wrap(f);
    let _ = w.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
    // `on_cleanup` wants Send + Sync: the wasm has one thread, and SendWrapper is how Leptos itself keeps a
    // browser object in such a closure.
    let kept = send_wrapper::SendWrapper::new((w, cb));
    on_cleanup(move || {
        let (w, cb) = kept.take();
        let _ = w.remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
    });
}

#[component]
pub fn Shell() -> impl IntoView {
    let desk = use_desk();
    let wide = crate::ui::sig(viewport_is_wide());
    WIDE.with(|w| w.set(Some(wide)));
    // A shell unmounted after another was mounted (tests mount one per test) leaves the newer one's in place.
    on_cleanup(move || WIDE.with(|w| if w.get() == Some(wide) { w.set(None) }));
    on_window("resize", Box::new(move |_| {
        let w = viewport_is_wide();
        if w != wide.get_untracked() {
            wide.set(w);
        }
    }));
    // Sound problems (an output device refused or gone, a ring tone the browser would not play) are said here,
    // whatever panel is open, until dismissed.
    let sound_problem = crate::ui::sig(String::new());
    let tell = move |m: String| {
        sound_problem.try_update(|p| {
            if !crate::text::contains(p, &m) {
                if !p.is_empty() {
                    p.push(' ');
                }
                p.push_str(&m);
            }
        });
    };
    crate::phone::audio::on_problem(tell);
    crate::ui::devices::watch(tell);
    let shown = crate::ui::memo(Box::new(move || match (desk.tab.get(), wide.get()) {
        (Tab::Diagnostics, _) => STATUS,
        (_, true) => WORK,
        (Tab::Phone, false) => 0,
        (Tab::Directory, false) => 1,
        (Tab::Recents, false) => 2,
    }));
    let title = move || desk.settings.with(|s| s.title.clone());
    let line = move || match (desk.settings.with(|s| s.line), desk.line_status.get()) {
        (LineKind::Demo, _) => t::LINE_DEMO(),
        (LineKind::Sip, LineStatus::Registered) => t::LINE_REGISTERED(),
        (LineKind::Sip, LineStatus::Connecting) => t::LINE_CONNECTING(),
        (LineKind::Sip, LineStatus::Failed(_)) => t::LINE_DOWN(),
        (LineKind::Sip, _) => t::LINE_SIGNED_OUT(),
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        // Arrow keys move between tabs, as in any tab list.
        let i = Tab::ALL.iter().position(|t| *t == desk.tab.get_untracked()).unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" => Some((i + 1) % Tab::ALL.len()),
            "ArrowLeft" => Some((i + Tab::ALL.len() - 1) % Tab::ALL.len()),
            "Home" => Some(0),
            "End" => Some(Tab::ALL.len() - 1),
            _ => None,
        };
        if let Some(n) = next {
            ev.prevent_default();
            desk.select_tab(Tab::ALL[n]);
            crate::ui::focus(&crate::ui::cat(&["tab-", Tab::ALL[n].key()]), false);
        }
    };
    // Shortcuts work anywhere in the desktop.
    on_window("keydown", Box::new(move |ev| {
        if shortcuts::handle(desk, ev.unchecked_ref()) {
            ev.prevent_default();
        }
    }));
    view! {
        <div class="desk" {..crate::ui::flag("data-loaded", desk.loaded)}>
            <header class="topbar">
                <AgentStateSelect/>
                <h1 class="title">{crate::ui::dynv(title)}</h1>
                {crate::ui::when(move || desk.muted.get(), move || view! {
                    <span class="badge muted" data-testid="muted">{t::MUTED()}</span>
                })}
                <span class="badge line" data-testid="line">{crate::ui::dynv(line)}</span>
                {crate::ui::when(crate::openframe::bridge::is_framed, move || view! {
                    <button type="button" class="help-btn" aria-label=t::POP_OUT() {..crate::ui::cattr("title", t::POP_OUT())} data-testid="pop-out"
                        on:click:capture=crate::ui::click(move |_| desk.pop_out())>"↗"</button>
                })}
                <button type="button" class="help-btn" aria-label=t::SHORTCUTS() {..crate::ui::cattr("title", t::SHORTCUTS())} data-testid="help"
                    on:click:capture=crate::ui::toggler(desk.show_help)>"?"</button>
            </header>
            <div class="sr-only" {..crate::ui::cattr("aria-live", "assertive")} data-testid="live">{crate::ui::dynv(move || desk.announcement.get())}</div>
            <ShortcutHelp/>
            <Notices/>
            // Always in the page, hidden when there is nothing to say (small in the wasm).
            <p class="notice error row-notice" role="alert" data-testid="sound-problem" {..crate::ui::battr("hidden", move || sound_problem.with(String::is_empty))}>
                <span>{crate::ui::dynv(move || sound_problem.get())}</span>
                {crate::ui::dismiss_x(move |_| sound_problem.set(String::new()))}
            </p>
            <nav class="tabs" role="tablist" aria-label=t::NAV_LABEL() on:keydown:capture=crate::ui::on_key(on_key)>
                {Tab::ALL
                    .into_iter()
                    .map(|tab| {
                        let selected = move || desk.tab.get() == tab;
                        view! {
                            <button
                                type="button"
                                role="tab"
                                class="tab"
                                {..crate::ui::sattr("id", crate::ui::cat(&["tab-", tab.key()]))}
                                {..crate::ui::cattr("aria-controls", "panel")}
                                {..crate::ui::attr("aria-selected", move || selected().to_string())}
                                {..crate::ui::attr("tabindex", move || if selected() { "0" } else { "-1" }.to_string())}
                                on:click:capture=crate::ui::click(move |_| {
                                    desk.select_tab(tab);
                                    // The work view shows every section: the tab takes the agent to its own.
                                    if wide.get_untracked() {
                                        focus_section(tab);
                                    }
                                }
                            )>
                                {tab_label(tab)}
                            </button>
                        }
                    })
                    .rows()}
            </nav>
            <main
                {..crate::ui::cattr("id", "panel")}
                {..crate::ui::attr("class", move || { if shown.get() == WORK { "panel work" } else { "panel" } }.to_string())}
                role="tabpanel"
                {..crate::ui::attr("aria-labelledby", move || crate::ui::cat(&["tab-", desk.tab.get().key()]))}
            >
                {crate::ui::dynv(move || match shown.get() {
                    0 => view! { <PhonePanel/> }.into_any(),
                    1 => view! { <DirectoryPanel/> }.into_any(),
                    2 => view! { <RecentsPanel/> }.into_any(),
                    STATUS => view! { <DiagnosticsPanel/> }.into_any(),
                    _ => view! {
                        <div class="work-calls" data-testid="work-calls"><PhonePanel/></div>
                        <div class="work-side" data-testid="work-side">
                            <WrapUpPanel/>
                            <section class="work-box" {..crate::ui::cattr("aria-labelledby", "work-directory")}>
                                <h2 class="section-title" {..crate::ui::cattr("id", "work-directory")}>{t::TAB_DIRECTORY()}</h2>
                                <DirectoryPanel/>
                            </section>
                            <section class="work-box" {..crate::ui::cattr("aria-labelledby", "work-recents")}>
                                <h2 class="section-title" {..crate::ui::cattr("id", "work-recents")}>{t::TAB_RECENTS()}</h2>
                                <RecentsPanel/>
                            </section>
                        </div>
                    }.into_any(),
                })}
            </main>
        </div>
    }
}
