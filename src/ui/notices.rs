//! Settings problems and the standalone notice, shown above the panels.

use crate::desk::{use_desk, Mode};
use crate::strings as t;
use leptos::prelude::*;

#[component]
pub fn Notices() -> impl IntoView {
    let desk = use_desk();
    let has_errors = move || desk.errors.with(|e| !e.is_empty());
    let standalone = move || desk.loaded.get() && desk.mode() == Mode::Standalone;
    view! {
        <Show when=has_errors>
            <div class="notice error" role="alert" data-testid="config-errors">
                <p class="notice-head">{t::SETTINGS_PROBLEMS}</p>
                <ul>
                    {move || {
                        desk.errors
                            .get()
                            .into_iter()
                            .map(|e| view! { <li>{e.to_string()}</li> })
                            .collect_view()
                    }}
                </ul>
                <button type="button" class="link" on:click=move |_| desk.dismiss_errors()>
                    {t::DISMISS}
                </button>
            </div>
        </Show>
        <Show when=standalone>
            <p class="notice info" data-testid="standalone">{t::STANDALONE_NOTICE}</p>
        </Show>
        <Show when=move || !desk.loaded.get()>
            <p class="notice info" aria-live="polite">{t::LOADING_SETTINGS}</p>
        </Show>
    }
}
