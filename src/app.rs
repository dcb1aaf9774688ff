//! Builds the desk, loads the settings and shows the shell.

use crate::desk::Desk;
use crate::ui::shell::Shell;
use leptos::prelude::*;

#[component]
pub fn App() -> impl IntoView {
    let desk = Desk::new();
    crate::desk::provide_desk(desk);
    crate::phone::audio::unlock_on_first_gesture();
    crate::phone::audio::set_ringer_device(crate::browser::load(crate::phone::media::RINGER_KEY).filter(|s| !s.is_empty()));
    // Ring tone, ring-back and the demo far end follow the calls.
    crate::desk::shell::effect(Box::new(move || desk.sync_sounds()));
    // "Check my setup" runs once after each SIP sign-in (crate::diagnostics::probe).
    crate::diagnostics::probe::after_sign_in(desk);
    leptos::task::spawn_local(async move { desk.start().await });
    // A language loaded on demand arrived (the settings' default texts take it) or was refused (said once).
    crate::intl::on_load(Box::new(move |failed| {
        if desk.loaded.get_untracked() {
            desk.apply_settings(desk.settings.get_untracked(), desk.errors.get_untracked());
        }
        if failed.is_some() {
            desk.notice.set(failed);
        }
    }));
    // Built again when the language changes (the `language` setting arrives with the settings); nothing while
    // the chosen language's texts load.
    crate::ui::dynv(move || {
        crate::intl::track();
        (!crate::intl::loading()).then(|| view! { <Shell/> })
    })
}
