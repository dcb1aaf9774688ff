//! The agent state selector in the header (Ready, Not Ready with a reason).

use crate::desk::use_desk;
use crate::phone::model::{AgentState, PresenceTone};
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

#[component]
pub fn AgentStateSelect() -> impl IntoView {
    let desk = use_desk();
    let options = move || {
        let mut v: Vec<(AgentState, bool)> = vec![(AgentState::Ready, true)];
        desk.settings.with(|s| {
            if s.not_ready_reasons.is_empty() {
                v.push((AgentState::NotReady(None), true));
            }
            for r in &s.not_ready_reasons {
                v.push((AgentState::NotReady(Some(r.clone())), true));
            }
        });
        // The current state is always listed, even when it is not one the agent can pick (After Call Work,
        // Missed, Not Ready without a reason set by the system): shown, but disabled.
        let cur = desk.agent_state.get();
        if !v.iter().any(|(s, _)| *s == cur) {
            v.insert(0, (cur, false));
        }
        v
    };
    let tone = move || match desk.agent_state.get().tone() {
        PresenceTone::Available => "available",
        PresenceTone::Busy => "busy",
        PresenceTone::Away => "away",
        PresenceTone::Off => "off",
    };
    view! {
        <span {..crate::ui::attr("class", move || crate::ui::cat(&["presence ", tone()]))} {..crate::ui::cattr("aria-hidden", "true")}></span>
        <select
            class="state"
            aria-label=t::AGENT_STATE()
            data-testid="agent-state"
            prop:value=crate::ui::text_fn(move || desk.agent_state.get().key())
            on:change:capture=crate::ui::on_event(move |ev| {
                if let Some(s) = AgentState::from_key(&event_target_value(&ev)) {
                    desk.set_agent_state(s);
                }
            })
        >
            {crate::ui::dynv(move || {
                options()
                    .into_iter()
                    .map(|(s, pickable)| {
                        let key = s.key();
                        view! { <option {..crate::ui::sattr("value", key.clone())} {..crate::ui::oattr("disabled", (!pickable).then_some(""))}>{s.label()}</option> }
                    })
                    .rows()
            })}
        </select>
    }
}
