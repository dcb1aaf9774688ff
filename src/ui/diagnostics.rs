//! The Status panel: OpenFrame handshake state, message counters and the last messages both ways.

use crate::desk::{use_desk, Desk, Mode};
use crate::ui::devices::DevicesPanel;
use crate::ui::servicenow::ServiceNowStatus;
use crate::openframe::bridge::Snapshot;
use crate::openframe::session::{Counters, Direction, Phase};
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

fn snap(desk: Desk) -> Option<Snapshot> {
    desk.openframe.with(|o| o.snapshot.clone())
}

fn counters(desk: Desk) -> Counters {
    snap(desk).map(|s| s.counters).unwrap_or_default()
}

/// The OpenFrame rows: label, test id and value (one table and one loop instead of a view per row; issue #16).
const ROWS: [(fn() -> &'static str, &str, fn(Desk) -> String); 8] = [
    (t::RUNNING, "mode", |desk| match desk.mode() {
        Mode::Embedded => t::MODE_EMBEDDED().to_string(),
        Mode::Standalone => t::MODE_STANDALONE().to_string(),
    }),
    (t::PHONE_IN, "phone-owner", |desk| match desk.role.get() {
        crate::tabs::Role::Owner => t::PHONE_HERE().to_string(),
        crate::tabs::Role::Remote => t::PHONE_ELSEWHERE().to_string(),
        crate::tabs::Role::Starting => t::PHONE_LOOKING().to_string(),
        crate::tabs::Role::Unlinked => t::PHONE_NOT_LINKED().to_string(),
    }),
    (t::STATE, "of-phase", |desk| match snap(desk).map(|s| s.phase) {
        None | Some(Phase::Standalone) => t::OF_STANDALONE().to_string(),
        Some(Phase::Connecting) => t::OF_CONNECTING().to_string(),
        Some(Phase::Configuring) => t::OF_CONFIGURING().to_string(),
        Some(Phase::Ready { confirmed: true }) => t::OF_READY().to_string(),
        Some(Phase::Ready { confirmed: false }) => t::OF_UNCONFIRMED().to_string(),
        Some(Phase::Failed(_)) => t::OF_FAILED().to_string(),
    }),
    (|| "topDomain", "of-top", |desk| snap(desk).and_then(|s| s.top_domain).unwrap_or_else(|| "—".into())),
    (t::RECEIVED, "of-received", |desk| counters(desk).received.to_string()),
    (t::ACCEPTED, "of-accepted", |desk| counters(desk).accepted.to_string()),
    (t::DROPPED, "of-dropped", |desk| {
        let c = counters(desk);
        t::dropped_detail(c.dropped() as u64, [c.wrong_origin, c.wrong_source, c.not_a_string, c.malformed, c.oversized,
            c.unknown_event, c.not_openframe + c.unmatched_reply].map(|n| n as u64))
    }),
    (t::SENT, "of-sent", |desk| counters(desk).sent.to_string()),
];

#[component]
pub fn DiagnosticsPanel() -> impl IntoView {
    let desk = use_desk();
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
            {ROWS.iter().map(|&(label, key, value)| crate::ui::kv_row(label(), key, crate::ui::dynv(move || value(desk)))).rows()}
        </dl>
        {crate::ui::when(move || desk.openframe.with(|o| o.problem.is_some()), move || view! {
            <p class="notice error" role="alert" data-testid="of-problem">
                {crate::ui::dynv(move || desk.openframe.with(|o| o.problem.as_ref().map(|p| p.render()).unwrap_or_default()))}
            </p>
        })}
        <h2 class="section-title">{t::OF_MESSAGES()}</h2>
        <ol class="log" data-testid="of-log">
            {crate::ui::dynv(move || {
                let log = snap(desk).map(|s| s.log).unwrap_or_default();
                if log.is_empty() {
                    return view! { <li class="empty">{t::OF_NONE()}</li> }.into_any();
                }
                // Newest first, in a plain loop (issue #16).
                let mut rows: Vec<AnyView> = Vec::new();
                for e in log.into_iter().rev() {
                    let (cls, arrow) = match e.direction {
                        Direction::In => ("in", "←"),
                        Direction::Out => ("out", "→"),
                        Direction::Dropped => ("dropped", "✕"),
                    };
                    rows.push(view! {
                        <li class=cls>
                            <span class="dir">{arrow}</span>
                            " "
                            <span class="msg">{e.text}</span>
                        </li>
                    }.into_any());
                }
                rows.into_any()
            })}
        </ol>
    }
}
