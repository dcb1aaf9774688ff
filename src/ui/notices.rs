//! Settings problems and the standalone notice, shown above the panels.

use crate::desk::{use_desk, Mode};
use crate::strings as t;
use crate::ui::servicenow::ServiceNowNotice;
use crate::ui::RowsExt;
use leptos::prelude::*;

#[component]
pub fn Notices() -> impl IntoView {
    let desk = use_desk();
    let unlinked = move || desk.role.get() == crate::tabs::Role::Unlinked;
    let has_errors = move || desk.errors.with(|e| !e.is_empty());
    let hidden_standalone = crate::ui::sig(false);
    let hidden_problem = crate::ui::sig(false);
    let standalone = move || {
        desk.loaded.get()
            && desk.mode() == Mode::Standalone
            && !hidden_standalone.get()
            && !desk.openframe.with(|o| matches!(o.snapshot.as_ref().map(|s| &s.phase), Some(crate::openframe::session::Phase::Failed(_))))
    };
    let standalone_text = move || {
        if crate::text::contains(&crate::browser::query_string(), "popout=1") {
            t::POPPED_OUT()
        } else if desk.settings.with(|s| s.top_domain.is_some()) {
            t::STANDALONE_OWN_TAB()
        } else {
            t::STANDALONE_NO_TOP()
        }
    };
    view! {
        {crate::ui::when(has_errors, move || view! {
            <div class="notice error" role="alert" data-testid="config-errors">
                <p class="notice-head">{t::SETTINGS_PROBLEMS()}</p>
                <ul>
                    {crate::ui::dynv(move || {
                        desk.errors.with(|errors| errors.iter().map(|e| view! { <li>{e.to_string()}</li> }).rows())
                    })}
                </ul>
                <button type="button" class="link" on:click:capture=crate::ui::click(move |_| desk.dismiss_errors())>
                    {t::DISMISS()}
                </button>
            </div>
        })}
        {crate::ui::when(move || desk.openframe.with(|o| o.problem.is_some()) && !hidden_problem.get(), move || view! {
            <p class="notice error row-notice" role="alert" data-testid="of-notice">
                <span>{crate::ui::dynv(move || desk.openframe.with(|o| o.problem.as_ref().map(|p| p.render()).unwrap_or_default()))}</span>
                {crate::ui::dismiss_x(move |_| hidden_problem.set(true))}
            </p>
        })}
        <ServiceNowNotice/>
        <crate::ui::sip_prompts::SipPrompts/>
        {crate::ui::when(standalone, move || view! {
            <p class="notice info row-notice" data-testid="standalone">
                <span>{crate::ui::dynv(standalone_text)}</span>
                {crate::ui::dismiss_x(move |_| hidden_standalone.set(true))}
            </p>
        })}
        // A remote view, or a window not linked to the agent's desktop (which says so: it shows and does nothing).
        {crate::ui::when(move || matches!(desk.role.get(), crate::tabs::Role::Remote | crate::tabs::Role::Unlinked), move || view! {
            <div {..crate::ui::attr("class", move || { if unlinked() { "notice error" } else { "notice info" } }.to_string())} role="status"
                {..crate::ui::attr("data-testid", move || if unlinked() { "not-linked" } else { "remote-phone" }.to_string())}>
                <span>{crate::ui::dynv(move || if unlinked() { t::NOT_LINKED() } else { t::REMOTE_PHONE() })}" "</span>
                {crate::ui::act("link-btn", Some("use-phone-here"), t::USE_PHONE_HERE(), crate::ui::Act::ClaimPhone)}
            </div>
        })}
        {crate::ui::when(move || desk.asking.get() != 0 && desk.role.get() == crate::tabs::Role::Owner, move || view! {
            <div class="notice info" role="alert" data-testid="phone-asked">
                <span>{t::ASK_PHONE()}" "</span>
                {crate::ui::act("link-btn", Some("give-phone"), t::GIVE_PHONE(), crate::ui::Act::AllowAsk)}
                " "
                {crate::ui::act("link-btn", Some("refuse-phone"), t::REFUSE(), crate::ui::Act::RefuseAsk)}
            </div>
        })}
        {crate::ui::when(move || !desk.loaded.get(), move || view! {
            <p class="notice info" {..crate::ui::cattr("aria-live", "polite")}>{t::LOADING_SETTINGS()}</p>
        })}
    }
}
