//! Call quality on the call card (a small indicator, details on demand, warnings in words) and in Recents.

use crate::phone::quality::{mos_text, percent_text, Grade, Summary, Warning};
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

fn grade_label(g: Grade) -> &'static str {
    match g {
        Grade::Good => t::QUALITY_GOOD(),
        Grade::Fair => t::QUALITY_FAIR(),
        Grade::Poor => t::QUALITY_POOR(),
    }
}

fn ms_text(ms: Option<u32>) -> String {
    ms.map(|m| format!("{m} ms")).unwrap_or_else(|| "—".into())
}

/// The quality of a live call (`call`: the call card's call): "Good 4.35" (a button that shows loss, jitter,
/// RTT, MOS and codec) and, when it matters, a warning with what to try.
#[component]
pub fn CallQuality(call: crate::ui::phone::CardCall) -> impl IntoView {
    let open = crate::ui::sig(false);
    let reading = move || call.with(|c| c.filter(|c| c.is_live()).and_then(|c| c.quality.reading.clone()));
    let warning = move || call.with(|c| c.filter(|c| c.is_live()).and_then(|c| c.quality.warning));
    view! {
        {crate::ui::dyn_opt(move || reading().map(|r| {
            let g = Grade::of_mos(r.mos_x100);
            view! {
                <button type="button" class="chip" data-testid="quality" data-grade=g.key() data-mos=r.mos_x100.to_string()
                    {..crate::ui::flag("aria-expanded", open)} {..crate::ui::cattr("title", t::QUALITY_DETAILS())}
                    on:click:capture=crate::ui::toggler(open)>
                    {format!("{}: {} {}", t::QUALITY(), grade_label(g), mos_text(r.mos_x100))}
                </button>
            }
        }))}
        {crate::ui::dyn_opt(move || open.get().then(|| reading()).flatten().map(|r| {
            let rows = [
                (t::QUALITY_MOS(), "quality-mos", mos_text(r.mos_x100)),
                (t::QUALITY_LOSS(), "quality-loss", percent_text(r.loss_permille)),
                (t::QUALITY_REMOTE_LOSS(), "quality-remote-loss", r.remote_loss_permille.map(percent_text).unwrap_or_else(|| "—".into())),
                (t::QUALITY_JITTER(), "quality-jitter", ms_text(Some(r.jitter_ms))),
                (t::QUALITY_RTT(), "quality-rtt", ms_text(r.rtt_ms)),
                (t::QUALITY_CODEC(), "quality-codec", r.codec.name().to_string()),
            ];
            view! {
                <dl class="kvs" data-testid="quality-details">
                    {rows.into_iter().map(|(k, id, v)| crate::ui::kv_row(k, id, v.into_any())).rows()}
                </dl>
            }
        }))}
        {crate::ui::dyn_opt(move || warning().map(|w| {
            // Losing audio: whose audio breaks up (the caller's reaching the agent, the agent's reaching the
            // caller, or both), then what to try.
            let (what, whose, try_this) = match w {
                Warning::NoAudio => (t::QUALITY_NO_AUDIO(), Vec::new(), t::QUALITY_NO_AUDIO_TRY()),
                Warning::Losing { inbound, outbound } => {
                    let mut whose = Vec::new();
                    for (on, dir, text) in [(inbound, "in", t::QUALITY_LOSING_IN()), (outbound, "out", t::QUALITY_LOSING_OUT())] {
                        if on {
                            whose.push((dir, text));
                        }
                    }
                    (t::QUALITY_LOSING(), whose, t::QUALITY_LOSING_TRY())
                }
            };
            view! {
                <div class="notice error" role="alert" data-testid="quality-warning" data-warning=w.key()>
                    <p class="notice-head">{what}</p>
                    {whose.into_iter().map(|(dir, text)| view! { <p data-testid="quality-losing" data-direction=dir>{text}</p> }).rows()}
                    <p>{try_this}</p>
                </div>
            }
        }))}
    }
}

/// One line about a finished call's quality (Recents): "Good 4.35 (lowest 4.10), 0.5 % lost, ...".
pub fn summary_text(s: &Summary) -> String {
    let mut text = format!(
        "{}: {} {} ({} {}), {} lost, jitter ≤ {} ms, RTT {} ms",
        t::QUALITY(),
        grade_label(Grade::of_mos(s.mos_x100)),
        mos_text(s.mos_x100),
        t::QUALITY_LOWEST(),
        mos_text(s.min_mos_x100),
        percent_text(s.loss_permille),
        s.max_jitter_ms,
        s.rtt_ms
    );
    if s.warned & 1 != 0 {
        text.push_str("; ");
        text.push_str(t::QUALITY_WAS_NO_AUDIO());
    }
    if s.warned & 2 != 0 {
        text.push_str("; ");
        text.push_str(t::QUALITY_WAS_LOSING());
    }
    if s.warned & 4 != 0 {
        text.push_str("; ");
        text.push_str(t::QUALITY_WAS_LOSING_OUT());
    }
    text
}

/// The quality badge of a call in Recents (nothing for calls that carried no audio).
#[component]
pub fn RecentQuality(summary: Option<Summary>) -> impl IntoView {
    summary.map(|s| {
        let g = Grade::of_mos(s.min_mos_x100.min(s.mos_x100));
        let text = summary_text(&s);
        view! {
            <span class="kv-chip" data-testid="recent-quality" data-grade=g.key() {..crate::ui::sattr("title", text.clone())} {..crate::ui::sattr("aria-label", text)}>
                {format!("{} {}", grade_label(g), mos_text(s.mos_x100))}
            </span>
        }
    })
}
