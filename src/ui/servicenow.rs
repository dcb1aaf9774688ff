//! The ServiceNow connection in the Status panel, and the sign-in prompt in the notices.

use crate::desk::use_desk;
use crate::servicenow::outbox::State;
use crate::servicenow::service::SnState;
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

#[component]
pub fn ServiceNowStatus() -> impl IntoView {
    let desk = use_desk();
    let pending = move || desk.outbox.with(|o| o.pending());
    // A memo: the outbox changes with every delivery and retry, the refused list seldom; rebuilding its rows
    // each time would replace the buttons under the agent's pointer (and their "Are you sure?" state).
    let refused = crate::ui::Kept::new(Vec::new(), move || {
        let mut refused = Vec::new();
        desk.outbox.with(|o| {
            for e in &o.entries {
                if let State::Refused(m) = &e.state {
                    refused.push((e.activity.call_id.clone(), crate::ui::cat(&[&e.activity.caller, ": ", m]), e.activity.notes.clone()));
                }
            }
        });
        refused
    });
    // The refused activity the agent asked to dismiss (asked again: its notes are only here).
    let confirming = crate::ui::sig(None::<String>);
    view! {
        <h2 class="section-title">{t::SN_HEADING()}</h2>
        <div class="kv">
            <span class="dt" data-testid="sn-state">{crate::ui::dynv(move || match desk.sn.get() {
                SnState::Off => t::SN_OFF().to_string(),
                SnState::SignedOut(_) => t::LINE_SIGNED_OUT().to_string(),
                SnState::SigningIn => t::SN_SIGNING_IN().to_string(),
                SnState::SignedIn => t::SN_SIGNED_IN().to_string(),
            })}</span>
            {crate::ui::dynv(move || match desk.sn.get() {
                SnState::SignedIn => view! {
                    {crate::ui::act("btn", Some("sn-sign-out"), t::SN_SIGN_OUT(), crate::ui::Act::SnSignOut)}
                }.into_any(),
                SnState::SignedOut(_) => view! {
                    {crate::ui::act("btn primary", Some("sn-sign-in"), t::SN_SIGN_IN(), crate::ui::Act::SnSignIn)}
                }.into_any(),
                _ => ().into_any(),
            })}
        </div>
        <p class="kv"><span class="dt">{t::SN_PENDING()}</span><span data-testid="sn-pending">{crate::ui::dynv(move || pending().to_string())}</span></p>
        {let r1 = refused.clone(); crate::ui::when(move || !r1.with(Vec::is_empty), move || { let refused = refused.clone(); view! {
            <div class="notice error" role="alert" data-testid="sn-refused">
                <p class="notice-head">{t::SN_REFUSED()}</p>
                <ul>{crate::ui::dynv(move || refused.with(|rs| { let mut rows: Vec<AnyView> = Vec::new(); for (id, r, notes) in rs {
                    let (i1, i2, notes) = (id.clone(), id.clone(), notes.clone());
                    rows.push(view! { <li>{r.clone()}
                    // The agent's notes as text (a read-only field), to copy before dismissing.
                    <textarea {..crate::ui::cattr("readonly", "")} {..crate::ui::cattr("rows", "3")} data-testid="sn-refused-notes" prop:value=crate::ui::text_fn(move || notes.clone())></textarea>
                    {crate::ui::btn("btn", Some("sn-copy"), t::SN_COPY(), copy)}
                    {(desk.role.get() != crate::tabs::Role::Remote).then(|| {
                        let id = id.clone();
                        view! { {crate::ui::act("btn", Some("sn-retry"), t::SN_RETRY(), crate::ui::Act::Retry(id.clone()))} }
                    })}
                    {crate::ui::dynv(move || if confirming.get().as_deref() == Some(i1.as_str()) {
                        let id = i1.clone();
                        view! { <span>{t::SN_DISMISS_SURE()}" "</span>
                        {crate::ui::act("btn", Some("sn-dismiss-confirm"), t::SN_DISMISS(), crate::ui::Act::DismissActivity(id.clone()))} }.into_any()
                    } else if desk.role.get() == crate::tabs::Role::Remote {
                        view! { <span data-testid="sn-dismiss-elsewhere">{t::SN_DISMISS_ELSEWHERE()}</span> }.into_any()
                    } else {
                        let id = i2.clone();
                        view! { {crate::ui::btn("btn", Some("sn-dismiss"), t::SN_DISMISS(), move |_| confirming.set(Some(id.clone())))} }.into_any()
                    })}</li> }.into_any());
                } rows }))}</ul>
            </div>
        }})}
    }
}

/// Selects the read-only field just before the clicked button and copies it (`execCommand`: the clipboard API
/// needs a permission the OpenFrame iframe does not have). Found from the button, not by a `NodeRef`: no
/// node reference type in the wasm (issue #16).
fn copy(ev: leptos::ev::MouseEvent) {
    use wasm_bindgen::JsCast;
    let area = ev.current_target().and_then(|b| b.dyn_into::<web_sys::Element>().ok()).and_then(|b| b.previous_element_sibling());
    let Some(a) = area.and_then(|a| a.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) else { return };
    a.select();
    let Some(d) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Ok(f) = js_sys::Reflect::get(&d, &"execCommand".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
        let _ = f.call1(&d, &"copy".into());
    }
}

/// Shown above the panels when ServiceNow needs the agent: a sign-in that ended, or an error to act on.
#[component]
pub fn ServiceNowNotice() -> impl IntoView {
    let desk = use_desk();
    let message = move || match desk.sn.get() {
        SnState::SignedOut(Some(m)) => Some(m.render()),
        SnState::SignedOut(None) if desk.outbox.with(|o| o.pending() > 0) => Some(t::SN_SESSION_ENDED().to_string()),
        _ => None,
    };
    // A delivery problem the agent or an admin must act on (kept while the activity waits).
    let delivery = move || {
        desk.outbox.with(|o| {
            o.entries
                .iter()
                .find(|e| !matches!(e.state, State::Delivered | State::Refused(_)) && e.last_error.is_some() && e.attempts >= 2)
                .and_then(|e| e.last_error.clone())
        })
    };
    view! {
        {crate::ui::dynv(move || crate::stored::problems().into_iter().map(|(key, m)| view! {
            <p class="notice error" role="alert" data-testid="storage-problem">{m}" "
                {crate::ui::act("btn", None, t::STORED_DISMISS(), crate::ui::Act::StoredDismiss(key.clone()))}
            </p>
        }).rows())}
        {crate::ui::when(move || message().is_some(), move || view! {
            <div class="notice error row-notice" role="alert" data-testid="sn-notice">
                <span>{crate::ui::dynv(move || message().unwrap_or_default())}</span>
                {crate::ui::act("btn primary", None, t::SN_SIGN_IN(), crate::ui::Act::SnSignIn)}
            </div>
        })}
        {crate::ui::when(move || message().is_none() && delivery().is_some(), move || view! {
            <p class="notice error" role="alert" data-testid="sn-delivery">
                {crate::ui::dynv(move || crate::ui::cat(&[t::SN_DELIVERY_WAITING(), " ", &delivery().unwrap_or_default()]))}
            </p>
        })}
    }
}
