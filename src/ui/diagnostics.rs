//! The Status panel: OpenFrame handshake state, message counters and the last messages both ways.

use crate::desk::{use_desk, Mode};
use crate::ui::devices::DevicesPanel;
use crate::ui::servicenow::ServiceNowStatus;
use crate::openframe::session::{Direction, Phase};
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

#[component]
pub fn DiagnosticsPanel() -> impl IntoView {
    let desk = use_desk();
    let snap = move || desk.openframe.with(|o| o.snapshot.clone());
    let phase = move || match snap().map(|s| s.phase) {
        None | Some(Phase::Standalone) => t::OF_STANDALONE().to_string(),
        Some(Phase::Connecting) => t::OF_CONNECTING().to_string(),
        Some(Phase::Configuring) => t::OF_CONFIGURING().to_string(),
        Some(Phase::Ready { confirmed: true }) => t::OF_READY().to_string(),
        Some(Phase::Ready { confirmed: false }) => t::OF_UNCONFIRMED().to_string(),
        Some(Phase::Failed(_)) => t::OF_FAILED().to_string(),
    };
    let counters = move || snap().map(|s| s.counters).unwrap_or_default();
    let row = |label: &'static str, key: &'static str, value: Box<dyn Fn() -> String + Send + Sync>| {
        view! {
            <div class="kv">
                <dt>{label}</dt>
                <dd data-testid=key>{crate::ui::dynv(value)}</dd>
            </div>
        }
    };
    view! {
        <ServiceNowStatus/>
        <DevicesPanel/>
        <crate::ui::support::SupportPanel/>
        {crate::ui::when(move || !desk.setup_ms.get().is_nan(), move || view! {
            <p class="kv"><span class="dt">{t::SETUP_TIME()}</span>
                <span data-testid="setup-ms">{crate::ui::dynv(move || crate::intl::milliseconds(desk.setup_ms.get().round()))}</span></p>
        })}
        <h2 class="section-title">{t::OF_HEADING()}</h2>
        <dl class="kvs">
            {row(t::RUNNING(), "mode", Box::new(move || match desk.mode() {
                Mode::Embedded => t::MODE_EMBEDDED().to_string(),
                Mode::Standalone => t::MODE_STANDALONE().to_string(),
            }))}
            {row(t::PHONE_IN(), "phone-owner", Box::new(move || match desk.role.get() {
                crate::tabs::Role::Owner => t::PHONE_HERE().to_string(),
                crate::tabs::Role::Remote => t::PHONE_ELSEWHERE().to_string(),
                crate::tabs::Role::Starting => t::PHONE_LOOKING().to_string(),
                crate::tabs::Role::Unlinked => t::PHONE_NOT_LINKED().to_string(),
            }))}
            {row(t::STATE(), "of-phase", Box::new(phase))}
            {row("topDomain", "of-top", Box::new(move || snap().and_then(|s| s.top_domain).unwrap_or_else(|| "—".into())))}
            {row(t::RECEIVED(), "of-received", Box::new(move || counters().received.to_string()))}
            {row(t::ACCEPTED(), "of-accepted", Box::new(move || counters().accepted.to_string()))}
            {row(t::DROPPED(), "of-dropped", Box::new(move || {
                let c = counters();
                t::dropped_detail(c.dropped() as u64, [c.wrong_origin, c.wrong_source, c.not_a_string, c.malformed, c.oversized,
                    c.unknown_event, c.not_openframe + c.unmatched_reply].map(|n| n as u64))
            }))}
            {row(t::SENT(), "of-sent", Box::new(move || counters().sent.to_string()))}
        </dl>
        {crate::ui::when(move || desk.openframe.with(|o| o.problem.is_some()), move || view! {
            <p class="notice error" role="alert" data-testid="of-problem">
                {crate::ui::dynv(move || desk.openframe.with(|o| o.problem.as_ref().map(|p| p.render()).unwrap_or_default()))}
            </p>
        })}
        <h2 class="section-title">{t::OF_MESSAGES()}</h2>
        <ol class="log" data-testid="of-log">
            {crate::ui::dynv(move || {
                let log = snap().map(|s| s.log).unwrap_or_default();
                if log.is_empty() {
                    return view! { <li class="empty">{t::OF_NONE()}</li> }.into_any();
                }
                log.into_iter()
                    .rev()
                    .map(|e| {
                        let (cls, arrow) = match e.direction {
                            Direction::In => ("in", "←"),
                            Direction::Out => ("out", "→"),
                            Direction::Dropped => ("dropped", "✕"),
                        };
                        view! {
                            <li class=cls>
                                <span class="dir">{arrow}</span>
                                " "
                                <span class="msg">{e.text}</span>
                            </li>
                        }
                    })
                    .rows()
                    .into_any()
            })}
        </ol>
    }
}
