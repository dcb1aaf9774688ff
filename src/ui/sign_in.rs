//! Sign-in to the SIP server (SIP line only). The password is kept in memory only.

use crate::browser;
use crate::desk::{use_desk, SIP_PASSWORD_KEY, SIP_SERVER_KEY, SIP_USER_KEY};
use crate::phone::sipline::LineStatus;
use crate::strings as t;
use leptos::prelude::*;

#[component]
pub fn SignIn() -> impl IntoView {
    let desk = use_desk();
    let server = crate::ui::sig(
        browser::load(SIP_SERVER_KEY).unwrap_or_else(|| desk.settings.with_untracked(|s| s.sip.server.clone())),
    );
    let user = crate::ui::sig(browser::load(SIP_USER_KEY).unwrap_or_default());
    // The password is kept in memory only, unless the agent ticks the box that says what saving it means.
    let saved = browser::load(SIP_PASSWORD_KEY);
    let remember = crate::ui::sig(saved.is_some());
    let password = crate::ui::sig(saved.unwrap_or_default());
    let error = crate::ui::sig(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let result = desk.sign_in(&server.get_untracked(), &user.get_untracked(), &password.get_untracked());
        if result.is_ok() {
            if remember.get_untracked() {
                browser::save(SIP_PASSWORD_KEY, &password.get_untracked());
            } else {
                browser::remove(SIP_PASSWORD_KEY);
            }
        }
        error.set(result.err());
    };
    let failure = move || match desk.line_status.get() {
        LineStatus::Failed(m) => Some(m.render()),
        _ => None,
    };
    view! {
        <form class="sign-in" on:submit:capture=crate::ui::on_submit(submit) data-testid="sign-in">
            {crate::ui::text_input("url", t::SIP_SERVER(), "sip-server", None, server)}
            <div class="dial">
                {crate::ui::text_input("text", t::SIP_USER(), "sip-user", Some("username"), user)}
                {crate::ui::text_input("password", t::SIP_PASSWORD(), "sip-password", Some("current-password"), password)}
                {crate::ui::submit_btn("btn primary", "sign-in-button", t::SIGN_IN())}
            </div>
            <label class="remember">
                <input type="checkbox" data-testid="remember-password" prop:checked=move || remember.get()
                    on:change:capture=crate::ui::on_event(move |ev| remember.set(event_target_checked(&ev)))/>
                {t::REMEMBER_PASSWORD()}
            </label>
            {crate::ui::when(move || error.with(Option::is_some) || failure().is_some(), move || view! {
                <p class="notice error" role="alert" data-testid="sign-in-error">
                    {crate::ui::dynv(move || error.get().or_else(failure).unwrap_or_default())}
                </p>
            })}
        </form>
    }
}
