//! The phone panel: calls in progress (the softphone fills this in).

use crate::strings as t;
use leptos::prelude::*;

#[component]
pub fn PhonePanel() -> impl IntoView {
    view! { <p class="empty" data-testid="phone-idle">{t::PHONE_IDLE}</p> }
}
