//! "Copy diagnostics" in the browser: gathers the desk's state into a [`Report`] (pure rendering and
//! redaction in [`super::report`]) and copies it with the Clipboard API.

use super::checks::line_text;
use super::report::{kv, render, settings_lines, Report};
use crate::desk::Desk;
use crate::openframe::session::Direction;
use crate::phone::quality::{mos_text, percent_text};
use leptos::prelude::*;
use std::fmt::Write as _;
use wasm_bindgen_futures::JsFuture;

fn clock(ms: f64) -> String {
    time_of(&js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)), false)
}

/// `HH:MM:SS` of a date in local time, and `.mmm` after it with `millis` (the SIP log's stamps).
pub(super) fn time_of(d: &js_sys::Date, millis: bool) -> String {
    let mut t = format!("{:02}:{:02}:{:02}", d.get_hours(), d.get_minutes(), d.get_seconds());
    if millis {
        t.push_str(&format!(".{:03}", d.get_milliseconds()));
    }
    t
}

/// Every secret this desktop holds now: removed verbatim from the text, wherever it appears.
fn known_secrets(desk: &Desk) -> Vec<String> {
    let mut k = Vec::new();
    if let Some((c, _)) = crate::phone::sipline::takeovers() {
        k.push(c.password);
    }
    if let Some(p) = crate::browser::load(crate::desk::SIP_PASSWORD_KEY) {
        k.push(p);
    }
    k.push(desk.settings.read_untracked().sip.ice_credential.clone());
    if let Some(tok) = crate::servicenow::service::token_text().and_then(|t| crate::json::from_str::<crate::servicenow::auth::Token>(&t)) {
        k.push(tok.access);
    }
    k.retain(|s| !s.is_empty());
    k
}

/// The support text, redacted.
pub fn text(desk: &Desk) -> String {
    use crate::phone::call::Direction as CallDir;
    use crate::phone::line::LineStatus;
    use crate::servicenow::service::SnState;
    use crate::strings as t;
    let dir = |d: CallDir| if d == CallDir::Inbound { t::INBOUND() } else { t::OUTBOUND() };
    // Each signal read once (every read inlines the signal's guard).
    let line_status = desk.line_status.get_untracked();
    let line = match &line_status {
        LineStatus::Demo => t::LINE_DEMO().to_string(),
        LineStatus::SignedOut => t::LINE_SIGNED_OUT().into(),
        LineStatus::Connecting => t::LINE_CONNECTING().into(),
        LineStatus::Registered => t::LINE_REGISTERED().into(),
        LineStatus::Failed(m) => format!("{}: {m}", t::LINE_DOWN()),
    };
    let phone = match desk.role.get_untracked() {
        crate::tabs::Role::Owner => t::PHONE_HERE(),
        crate::tabs::Role::Remote => t::PHONE_ELSEWHERE(),
        crate::tabs::Role::Starting => t::PHONE_LOOKING(),
        crate::tabs::Role::Unlinked => t::PHONE_NOT_LINKED(),
    };
    let sn_state = desk.sn.get_untracked();
    let sn = match &sn_state {
        SnState::Off => t::SN_OFF(),
        SnState::SignedOut(_) => t::SN_SIGN_IN(),
        SnState::SigningIn => t::SN_SIGNING_IN(),
        SnState::SignedIn => t::SN_SIGNED_IN(),
    };
    let mut st = Vec::new();
    kv(&mut st, "line", &line);
    kv(&mut st, "agent state", &desk.agent_state.get_untracked().label());
    kv(&mut st, "phone", phone);
    kv(&mut st, "ServiceNow", sn);
    kv(&mut st, "activities waiting", &desk.outbox.with_untracked(|o| o.entries.len()).to_string());
    // The lists in plain loops (no collect chain per list).
    let mut checks = Vec::new();
    leptos::prelude::untrack(|| {
        super::probe::with_lines(|l| {
            for (i, v) in l {
                checks.push(line_text(*i, v));
            }
        })
    });
    let mut notes = Vec::new();
    let mut calls = Vec::new();
    desk.calls.with_untracked(|list| {
        for c in list {
            if let Some(n) = &c.note {
                notes.push(n.clone());
            }
            let mut line = format!("call {} {} {} since {}; packets in {} out {}", c.id, dir(c.direction), c.state.text(), clock(c.created_ms), c.packets.0, c.packets.1);
            if let Some(q) = &c.quality.reading {
                let _ = write!(
                    line,
                    "; MOS {}, loss {}, jitter {} ms, RTT {} ms, codec {}; warning {}",
                    mos_text(q.mos_x100),
                    percent_text(q.loss_permille),
                    q.jitter_ms,
                    q.rtt_ms.map(|x| x.to_string()).unwrap_or_else(|| "?".into()),
                    q.codec.name(),
                    c.quality.warning.map(|w| w.key()).unwrap_or("none")
                );
            }
            calls.push(line);
        }
    });
    let mut recents = Vec::new();
    desk.recents.with_untracked(|list| {
        for c in list.iter().take(10) {
            let mut line = format!("{} {} {} talk {} s", clock(c.started_ms), dir(c.direction), crate::ui::recents::outcome_text(c.outcome), (c.talk_ms / 1000.0) as u64);
            if let Some(q) = &c.quality {
                line.push_str("; ");
                line.push_str(&crate::ui::quality::summary_text(q));
            }
            recents.push(line);
        }
    });
    let mut errors = Vec::new();
    desk.errors.with_untracked(|list| {
        for e in list {
            errors.push(e.to_string());
        }
    });
    if let LineStatus::Failed(m) = &line_status {
        errors.push(m.render());
    }
    if let Some(n) = desk.notice.get_untracked() {
        errors.push(n.render());
    }
    if let Some(e) = desk.wrapup_error.get_untracked() {
        errors.push(e);
    }
    let mut log = Vec::new();
    desk.openframe.with_untracked(|o| {
        if let Some(s) = &o.snapshot {
            for e in &s.log {
                let d = match e.direction {
                    Direction::In => "←",
                    Direction::Out => "→",
                    Direction::Dropped => "✕",
                };
                let mut line = clock(e.at_ms);
                line.push(' ');
                line.push_str(d);
                line.push(' ');
                line.push_str(&e.text);
                log.push(line);
            }
        }
        if let Some(p) = &o.problem {
            errors.push(p.render());
        }
    });
    if let SnState::SignedOut(Some(m)) = &sn_state {
        errors.push(m.render());
    }
    errors.extend(notes);
    // Built once, whole (no default value of each list replaced and dropped).
    let w = web_sys::window();
    let r = Report {
        version: env!("CARGO_PKG_VERSION").to_string(),
        generated: js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default(),
        browser: w.as_ref().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default(),
        page: w.as_ref().and_then(|w| w.location().href().ok()).unwrap_or_default(),
        settings: settings_lines(&desk.settings.read_untracked()),
        status: st,
        checks,
        calls,
        recents,
        errors,
        sip: super::siplog::entries(),
        openframe: log,
    };
    let known = known_secrets(desk);
    let mut refs = Vec::new();
    for k in &known {
        refs.push(k.as_str());
    }
    render(&r, &refs)
}

/// Copies `text` with the Clipboard API: false when the browser refuses (no permission, not focused,
/// an insecure origin), so the caller shows the text to copy by hand.
pub async fn copy(text: &str) -> bool {
    let Some(w) = web_sys::window() else { return false };
    let clipboard = js_sys::Reflect::get(&w.navigator(), &"clipboard".into()).ok().filter(|c| !c.is_undefined());
    let Some(c) = clipboard else { return false };
    let Ok(f) = js_sys::Reflect::get(&c, &"writeText".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) else { return false };
    let Ok(p) = f.call1(&c, &text.into()) else { return false };
    let Ok(p) = p.dyn_into::<js_sys::Promise>() else { return false };
    JsFuture::from(p).await.is_ok()
}

use wasm_bindgen::JsCast;
