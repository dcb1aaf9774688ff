//! Builds the desk, loads the settings and shows the shell.

use crate::desk::Desk;
use crate::ui::shell::Shell;
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let desk = Desk::new();
    provide_context(desk);
    crate::phone::audio::unlock_on_first_gesture();
    crate::phone::audio::set_ringer_device(crate::browser::load(crate::phone::media::RINGER_KEY).filter(|s| !s.is_empty()));
    // Ring tone, ring-back and the demo far end follow the calls.
    Effect::new(move || desk.sync_sounds());
    // "Check my setup" runs once after each SIP sign-in (crate::diagnostics::probe).
    crate::diagnostics::probe::after_sign_in(desk);
    leptos::task::spawn_local(async move { desk.start().await });
    // Built again when the language changes (the `language` setting arrives with the settings).
    crate::ui::dynv(move || {
        crate::intl::track();
        view! { <Shell/> }
    })
}
