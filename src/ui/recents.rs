//! The recents panel: the agent's calls (filled in by the softphone and the desk).

use crate::strings as t;
use leptos::prelude::*;

#[component]
pub fn RecentsPanel() -> impl IntoView {
    view! { <p class="empty" data-testid="recents-empty">{t::RECENTS_EMPTY}</p> }
}
