//! The frame of the desktop: header, notices, section tabs and the current panel.

use crate::config::LineKind;
use crate::phone::sipline::LineStatus;
use crate::desk::{use_desk, Tab};
use crate::strings as t;
use crate::ui::shortcuts::{self, ShortcutHelp};
use crate::ui::{
    agent_state::AgentStateSelect, diagnostics::DiagnosticsPanel, directory::DirectoryPanel, notices::Notices,
    phone::PhonePanel, recents::RecentsPanel,
};
use leptos::prelude::*;

fn tab_label(tab: Tab) -> &'static str {
    match tab {
        Tab::Phone => t::TAB_PHONE(),
        Tab::Directory => t::TAB_DIRECTORY(),
        Tab::Recents => t::TAB_RECENTS(),
        Tab::Diagnostics => t::TAB_DIAGNOSTICS(),
    }
}

#[component]
pub fn Shell() -> impl IntoView {
    let desk = use_desk();
    let title = move || desk.settings.with(|s| s.title.clone());
    let line = move || match (desk.settings.with(|s| s.line), desk.line_status.get()) {
        (LineKind::Demo, _) => t::LINE_DEMO(),
        (LineKind::Sip, LineStatus::Registered) => t::LINE_REGISTERED(),
        (LineKind::Sip, LineStatus::Connecting) => t::LINE_CONNECTING(),
        (LineKind::Sip, LineStatus::Failed(_)) => t::LINE_DOWN(),
        (LineKind::Sip, _) => t::LINE_SIGNED_OUT(),
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        // Arrow keys move between tabs, as in any tab list.
        let i = Tab::ALL.iter().position(|t| *t == desk.tab.get_untracked()).unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" => Some((i + 1) % Tab::ALL.len()),
            "ArrowLeft" => Some((i + Tab::ALL.len() - 1) % Tab::ALL.len()),
            "Home" => Some(0),
            "End" => Some(Tab::ALL.len() - 1),
            _ => None,
        };
        if let Some(n) = next {
            ev.prevent_default();
            desk.select_tab(Tab::ALL[n]);
            if let Some(el) = leptos::prelude::document().get_element_by_id(&format!("tab-{}", Tab::ALL[n].key())) {
                use wasm_bindgen::JsCast;
                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        }
    };
    // Shortcuts work anywhere in the desktop.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if shortcuts::handle(desk, &ev) {
            ev.prevent_default();
        }
    });
    on_cleanup(move || keys.remove());
    view! {
        <div class="desk" data-loaded=move || desk.loaded.get().to_string()>
            <header class="topbar">
                <AgentStateSelect/>
                <h1 class="title">{title}</h1>
                <Show when=move || desk.muted.get()>
                    <span class="badge muted" data-testid="muted">{t::MUTED()}</span>
                </Show>
                <span class="badge line" data-testid="line">{line}</span>
                <Show when=crate::openframe::bridge::is_framed>
                    <button type="button" class="help-btn" aria-label=t::POP_OUT() title=t::POP_OUT() data-testid="pop-out"
                        on:click=move |_| desk.pop_out()>"↗"</button>
                </Show>
                <button type="button" class="help-btn" aria-label=t::SHORTCUTS() title=t::SHORTCUTS() data-testid="help"
                    on:click=move |_| desk.show_help.update(|v| *v = !*v)>"?"</button>
            </header>
            <div class="sr-only" aria-live="assertive" data-testid="live">{move || desk.announcement.get()}</div>
            <ShortcutHelp/>
            <Notices/>
            <nav class="tabs" role="tablist" aria-label=t::NAV_LABEL() on:keydown=on_key>
                {Tab::ALL
                    .into_iter()
                    .map(|tab| {
                        let selected = move || desk.tab.get() == tab;
                        view! {
                            <button
                                type="button"
                                role="tab"
                                class="tab"
                                id=format!("tab-{}", tab.key())
                                aria-controls="panel"
                                aria-selected=move || selected().to_string()
                                tabindex=move || if selected() { "0" } else { "-1" }
                                on:click=move |_| desk.select_tab(tab)
                            >
                                {tab_label(tab)}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <main
                id="panel"
                class="panel"
                role="tabpanel"
                aria-labelledby=move || format!("tab-{}", desk.tab.get().key())
            >
                {move || match desk.tab.get() {
                    Tab::Phone => view! { <PhonePanel/> }.into_any(),
                    Tab::Directory => view! { <DirectoryPanel/> }.into_any(),
                    Tab::Recents => view! { <RecentsPanel/> }.into_any(),
                    Tab::Diagnostics => view! { <DiagnosticsPanel/> }.into_any(),
                }}
            </main>
        </div>
    }
}
