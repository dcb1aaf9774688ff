//! The directory panel: speed dials from the settings (ServiceNow search joins later).

use crate::desk::use_desk;
use crate::strings as t;
use leptos::prelude::*;

#[component]
pub fn DirectoryPanel() -> impl IntoView {
    let desk = use_desk();
    let dials = move || desk.settings.with(|s| s.speed_dials.clone());
    view! {
        <h2 class="section-title">{t::DIRECTORY_HEADING}</h2>
        <Show when=move || !dials().is_empty() fallback=|| view! { <p class="empty">{t::DIRECTORY_EMPTY}</p> }>
            <ul class="list" data-testid="speed-dials">
                {move || {
                    dials()
                        .into_iter()
                        .map(|d| {
                            view! {
                                <li class="row">
                                    <span class="name">{d.name}</span>
                                    <span class="number">{d.number}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </Show>
    }
}
