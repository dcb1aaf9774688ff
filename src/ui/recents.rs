//! The agent's recent calls (in, out, missed), kept on this computer: call back, open the linked record.

use crate::desk::use_desk;
use crate::phone::call::Direction;
use crate::phone::wrapup::Outcome;
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

/// An outcome as its derived `Debug` reads (`Answered`), for `data-outcome` and the support text: the name it is
/// stored under ([`Outcome::name`]; no formatting machinery, issue #16).
pub fn outcome_text(o: Outcome) -> &'static str {
    o.name()
}

#[component]
pub fn RecentsPanel() -> impl IntoView {
    let desk = use_desk();
    view! {
        {crate::ui::when_else(move || !desk.recents.with(Vec::is_empty), move || view! {
            <ul class="list" data-testid="recents">
                {crate::ui::dynv(move || desk.recents.with(|rs| rs.iter().enumerate().map(|(i, r)| {
                    let (icon, label) = match (r.direction, r.outcome) {
                        (_, Outcome::Missed) => ("✕", t::MISSED_CALL()),
                        (Direction::Inbound, _) => ("↙", t::INBOUND()),
                        (Direction::Outbound, _) => ("↗", t::OUTBOUND()),
                    };
                    let number = r.number.clone();
                    let record = r.record.clone();
                    let time = crate::intl::time_of_day(r.started_ms);
                    view! {
                        <li class="row recent" data-testid="recent" data-outcome=outcome_text(r.outcome) data-index=i.to_string()>
                            <span class="dir" {..crate::ui::cattr("title", label)} aria-label=label>{icon}</span>
                            <span class="name">{r.name.as_ref().unwrap_or(&r.number).clone()}</span>
                            <span class="number">{time}" · "{crate::intl::duration(r.talk_ms)}</span>
                            <crate::ui::quality::RecentQuality summary=r.quality.clone()/>
                            {record.map(|rec| {
                                let label = if rec.value.is_empty() { rec.entity.clone() } else { rec.value.clone() };
                                view! { <button type="button" class="chip" {..crate::ui::cattr("title", t::OPEN_RECORD())} on:click:capture=crate::ui::click(move |_| desk.open_record(&rec))>{label}</button> }.into_any()
                            })}
                            <button type="button" class="btn" data-testid="call-back" {..crate::ui::sattr("aria-label", crate::ui::cat(&[t::CALLBACK(), " ", &number]))}
                                on:click:capture=crate::ui::click(move |_| { desk.dial(&number, None); })>{t::CALL()}</button>
                        </li>
                    }
                }).rows()))}
            </ul>
        }, || view! { <p class="empty" data-testid="recents-empty">{t::RECENTS_EMPTY()}</p> })}
    }
}

#[cfg(test)]
mod tests {
    use crate::phone::wrapup::Outcome;

    #[test]
    fn outcome_text_reads_as_debug() {
        for o in [Outcome::Answered, Outcome::Missed, Outcome::Rejected, Outcome::Failed, Outcome::Cancelled, Outcome::Transferred] {
            assert_eq!(super::outcome_text(o), format!("{o:?}"));
        }
    }
}
