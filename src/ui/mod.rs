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

/// A memo of `f` for a view that comes and goes (a call card, a wrap-up, the dial pad between calls) and
/// reads state that lives as long as the page (the desk's settings, the number being typed).
///
/// Leptos 0.8 keeps in each signal a weak link to every reader until that reader runs again (see
/// `desk::shell::run::put`); the desk's own changes let go of them, but a signal that rarely changes (the
/// settings) kept one link per view ever shown. The view's effects read this memo instead, and the memo lets
/// go of its own links when the view's owner is cleaned up, so nothing of the view stays behind.
pub fn scoped<T: PartialEq + Send + Sync + 'static>(f: impl Fn() -> T + Send + Sync + 'static) -> Memo<T> {
    use leptos::reactive::graph::{Subscriber, ToAnySubscriber};
    let m = ArcMemo::new(move |_| f());
    let keep = m.clone();
    on_cleanup(move || keep.clear_sources(&keep.to_any_subscriber()));
    Memo::from(m)
}
