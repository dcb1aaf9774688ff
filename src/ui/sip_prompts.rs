//! What the far end of a SIP call asks of the agent: a transfer to accept or decline (REFER with
//! `referPolicy` ask), and the last MESSAGE received (`sip.messages` show). Text only, never HTML.

use crate::desk::use_desk;
use leptos::prelude::*;

#[component]
pub fn SipPrompts() -> impl IntoView {
    let desk = use_desk();
    view! {
        <Show when=move || desk.transfer_ask.with(|a| a.is_some())>
            <div class="notice info" role="alertdialog" data-testid="transfer-ask">
                <span>{move || desk.transfer_ask.with(|a| a.as_ref().map(|(_, t)| t.clone()).unwrap_or_default())}" "</span>
                <button type="button" class="link-btn" data-testid="transfer-accept" on:click=move |_| desk.decide_transfer(true)>"Accept transfer"</button>
                " "
                <button type="button" class="link-btn" data-testid="transfer-decline" on:click=move |_| desk.decide_transfer(false)>"Decline"</button>
            </div>
        </Show>
        <Show when=move || desk.sip_message.with(|m| m.is_some())>
            <p class="notice info row-notice" role="status" data-testid="sip-message">
                <span>{move || desk.sip_message.get().unwrap_or_default()}</span>
                <button type="button" class="x" aria-label="Dismiss" on:click=move |_| desk.sip_message.set(None)>"×"</button>
            </p>
        </Show>
    }
}
