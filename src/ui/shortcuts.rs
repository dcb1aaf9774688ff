//! Keyboard shortcuts (configurable) and their help view.

use crate::desk::{use_desk, Desk, Tab};
use crate::phone::call::CallState;
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

pub use crate::config::shortcuts::{Combo, ACTIONS};

fn combo_for(desk: &Desk, action: &str) -> Option<Combo> {
    let custom = desk.settings.with_untracked(|s| s.shortcuts.iter().find(|(a, _)| a == action).map(|(_, k)| k.clone()));
    let default = ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, k)| k.to_string());
    Combo::parse(&custom.or(default)?).ok()
}

/// True when the key goes into a field the agent types in (a bare `?` is then a character, not the help).
fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|e| {
        matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || e.has_attribute("contenteditable")
    })
}

/// Runs the action bound to this keydown, if any; true when handled. `?` (outside a field) shows or hides
/// the help, Escape closes it.
pub fn handle(desk: Desk, ev: &web_sys::KeyboardEvent) -> bool {
    if ev.key() == "?" && !(ev.ctrl_key() || ev.alt_key() || ev.meta_key()) && !typing(ev) {
        crate::ui::toggle(desk.show_help);
        return true;
    }
    if ev.key() == "Escape" && desk.show_help.get_untracked() {
        desk.show_help.set(false);
        return true;
    }
    let action = ACTIONS.iter().map(|(a, _)| *a).find(|a| {
        combo_for(&desk, a).map(|c| c.matches(ev.alt_key(), ev.ctrl_key(), ev.shift_key(), ev.meta_key(), &ev.key(), &ev.code())).unwrap_or(false)
    });
    let Some(action) = action else { return false };
    let find = |pred: &dyn Fn(&CallState) -> bool| desk.calls.with_untracked(|c| c.iter().find(|c| pred(&c.state)).map(|c| c.id));
    match action {
        "answer" => {
            if let Some(id) = find(&|s| *s == CallState::Alerting) {
                desk.answer(id)
            }
        }
        "reject" => {
            if let Some(id) = find(&|s| *s == CallState::Alerting) {
                desk.reject(id)
            }
        }
        "hangup" => {
            if let Some(id) = find(&|s| matches!(s, CallState::Connected | CallState::Dialing | CallState::Ringing | CallState::Held)) {
                desk.hang_up(id)
            }
        }
        "mute" => desk.toggle_mute(),
        "hold" => {
            if let Some(id) = find(&|s| *s == CallState::Connected) {
                desk.set_hold(id, true)
            } else if let Some(id) = find(&|s| *s == CallState::Held) {
                desk.set_hold(id, false)
            }
        }
        "dialpad" => {
            desk.select_tab(Tab::Phone);
            crate::ui::focus("dial-input", false);
        }
        _ => return false,
    }
    true
}

#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let desk = use_desk();
    view! {
        {crate::ui::when(move || desk.show_help.get(), move || view! {
            <section class="help" role="dialog" aria-label=t::SHORTCUTS() data-testid="shortcut-help">
                <div class="call-head">
                    <h2 class="section-title">{t::SHORTCUTS()}</h2>
                    {crate::ui::dismiss_x(move |_| desk.show_help.set(false))}
                </div>
                <dl class="kvs">
                    {ACTIONS.iter().map(|(a, _)| {
                        let keys = combo_for(&desk, a).map(|c| {
                            let mut parts = Vec::new();
                            if c.ctrl { parts.push("Ctrl".to_string()) }
                            if c.alt { parts.push("Alt".to_string()) }
                            if c.shift { parts.push("Shift".to_string()) }
                            if c.meta { parts.push("Meta".to_string()) }
                            parts.push(c.key.to_ascii_uppercase());
                            crate::text::join(&parts, "+")
                        }).unwrap_or_default();
                        view! { <div class="kv" data-action=*a><dt><kbd>{keys}</kbd></dt><dd>{t::shortcut_action(a)}</dd></div> }
                    }).rows()}
                    <div class="kv"><dt><kbd>"?"</kbd></dt><dd>{t::HELP_KEY()}</dd></div>
                </dl>
            </section>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combos_parse_and_match() {
        let c = Combo::parse("Alt+A").unwrap();
        assert!(c.matches(true, false, false, false, "å", "KeyA"), "layout-independent by code");
        assert!(!c.matches(true, false, true, false, "A", "KeyA"));
        assert!(!c.matches(false, false, false, false, "a", "KeyA"));
        let c = Combo::parse("ctrl + shift + 5").unwrap();
        assert!(c.matches(false, true, true, false, "%", "Digit5"));
        assert!(Combo::parse("A").is_err(), "a bare key would fire while typing");
        assert!(Combo::parse("Alt+A+B").is_err());
        assert!(Combo::parse("Alt+").is_err());
    }
}
