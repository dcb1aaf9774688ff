//! What the far end of a SIP call asks of the agent: a transfer to accept or decline (REFER with
//! `referPolicy` ask), and the last MESSAGE received (`sip.messages` show). Text only, never HTML. Both
//! are always in the page and hidden when there is nothing to show (small in the wasm).

use crate::desk::use_desk;
use crate::strings as t;
use leptos::prelude::*;

#[component]
pub fn SipPrompts() -> impl IntoView {
    let desk = use_desk();
    view! {
        <div class="notice info" role="alertdialog" data-testid="transfer-ask" {..crate::ui::battr("hidden", move || desk.transfer_ask.with(Option::is_none))}>
            <span>{crate::ui::dynv(move || desk.transfer_ask.get().unwrap_or_default())}" "</span>
            {crate::ui::act("link-btn", Some("transfer-accept"), t::ACCEPT_TRANSFER(), crate::ui::Act::DecideTransfer(true))}
            " "
            {crate::ui::act("link-btn", Some("transfer-decline"), t::DECLINE(), crate::ui::Act::DecideTransfer(false))}
        </div>
        <p class="notice info row-notice" role="status" data-testid="sip-message" {..crate::ui::battr("hidden", move || desk.sip_message.with(Option::is_none))}>
            <span>{crate::ui::dynv(move || desk.sip_message.get().unwrap_or_default())}</span>
            {crate::ui::dismiss_x(move |_| desk.sip_message.set(None))}
        </p>
    }
}
