//! The SIP line in the browser: the WebSocket transport (subprotocol `sip`, reconnect with backoff), the
//! pure [`UserAgent`], and one [`CallMedia`] per call. It reports what happens as [`LineEvent`]s to the
//! [`LineHost`] installed at sign-in (the desk's shell); it never knows the desk.

use super::call::EndReason;
use super::media::{random_u32, spawn, CallMedia};
use super::sip::message::{failure_text, hold_failure_note};
use super::sip::ua::{CallRef, Ended, Output, RegState, UaConfig, UaEvent, UserAgent};
pub use super::line::{Credentials, LineStatus, Resume};
use super::line::{LineEvent, LineHost};
use super::sip::ua::ReferPolicy;
use {crate::cell::RefCell, std::cell::Cell};
use crate::vecmap::VecMap as HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::WebSocket;

const MAX_BACKOFF_MS: i32 = 30_000;

/// What a sign-in takes from the settings.
#[derive(Clone, Debug)]
pub struct LineOptions {
    pub no_answer_secs: u32,
    pub refer_policy: ReferPolicy,
    pub accept_messages: bool,
    /// The agent is muted (mute holds for every call).
    pub muted: bool,
}

struct Line {
    host: Rc<dyn LineHost>,
    muted: Cell<bool>,
    ua: RefCell<UserAgent>,
    url: String,
    ice: Vec<String>,
    ws: RefCell<Option<WebSocket>>,
    ever_opened: Cell<bool>,
    backoff: Cell<i32>,
    closing: Cell<bool>,
    media: RefCell<HashMap<CallRef, Rc<CallMedia>>>,
    /// desk id -> UA call, and back.
    to_ua: RefCell<HashMap<u32, CallRef>>,
    to_desk: RefCell<HashMap<CallRef, u32>>,
    /// Offers of incoming calls waiting for the agent.
    offers: RefCell<HashMap<CallRef, String>>,
    /// Their answers, made while they ring.
    early: RefCell<Vec<(CallRef, Early)>>,
    /// Transferee: our new call -> the call that asked for it (REFER).
    transfers: RefCell<HashMap<CallRef, CallRef>>,
    /// REFERs waiting for the agent's decision (`referPolicy` ask): desk id of the call -> its target.
    refer_asks: RefCell<HashMap<u32, String>>,
    /// Desk ids the agent hung up before the INVITE could be sent.
    abandoned: RefCell<Vec<u32>>,
    /// Calls on hold (desk ids), for stats and resume.
    ws_closures: RefCell<Vec<JsValue>>,
    timer: Cell<i32>,
    _tick: RefCell<Option<Closure<dyn FnMut()>>>,
    /// What this line signed in with (handed to the next owner of the phone; memory only).
    creds: Credentials,
    /// Calls to take back once registered (after a reload, or from the tab that had the phone).
    to_resume: RefCell<Vec<Resume>>,
    /// Desk ids of calls being taken back (a failure says so).
    resuming: RefCell<Vec<u32>>,
}

thread_local! {
    static LINE: RefCell<Option<Rc<Line>>> = const { RefCell::new(None) };
}

fn line() -> Option<Rc<Line>> {
    LINE.with(|l| l.borrow().clone())
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Signs in: connects to `server` (wss://, or ws:// on this computer) and registers `user@domain`; once
/// registered, takes over the calls in `resume` (INVITE with Replaces to each far end, RFC 3891).
pub fn sign_in(host: Rc<dyn LineHost>, opts: LineOptions, c: Credentials, resume: Vec<Resume>) {
    let (server, domain, user, password, ice) = (c.server.as_str(), c.domain.as_str(), c.user.as_str(), c.password.as_str(), c.ice.clone());
    let display = "";
    // A line already up is replaced (its calls are not hung up here).
    release(false);
    let LineOptions { no_answer_secs, refer_policy, accept_messages, muted } = opts;
    let cfg = UaConfig {
        user: user.trim().to_string(),
        domain: domain.trim().to_string(),
        auth_user: String::new(),
        password: password.to_string(),
        display_name: display.to_string(),
        expires: 600,
        transport: if server.to_ascii_lowercase().starts_with("wss:") { "WSS".into() } else { "WS".into() },
        user_agent: concat!("agent-desktop/", env!("CARGO_PKG_VERSION")).to_string(),
        no_answer_secs,
        refer_policy,
        accept_messages,
    };
    // A user name or domain that cannot form a SIP address is refused here, with the reason shown.
    let ua = match UserAgent::new(cfg, Box::new(random_u32)) {
        Ok(ua) => ua,
        Err(m) => {
            host.report(LineEvent::Status(LineStatus::Failed(m)));
            return;
        }
    };
    let mut resume_ids = Vec::new();
    for r in &resume {
        resume_ids.push(r.id);
    }
    let l = Rc::new(Line {
        host: host.clone(),
        muted: Cell::new(muted),
        ua: RefCell::new(ua),
        url: server.trim().to_string(),
        ice,
        ws: RefCell::new(None),
        ever_opened: Cell::new(false),
        backoff: Cell::new(1_000),
        closing: Cell::new(false),
        media: RefCell::new(HashMap::new()),
        to_ua: RefCell::new(HashMap::new()),
        to_desk: RefCell::new(HashMap::new()),
        offers: RefCell::new(HashMap::new()),
        early: RefCell::new(Vec::new()),
        transfers: RefCell::new(HashMap::new()),
        refer_asks: RefCell::new(HashMap::new()),
        abandoned: RefCell::new(Vec::new()),
        ws_closures: RefCell::new(Vec::new()),
        timer: Cell::new(-1),
        _tick: RefCell::new(None),
        creds: c.clone(),
        resuming: RefCell::new(resume_ids),
        to_resume: RefCell::new(resume),
    });
    l.ua.borrow_mut().want_registration();
    LINE.with(|s| *s.borrow_mut() = Some(l.clone()));
    // Timers: transactions, refresh, keep-alive; and call statistics.
    let weak = Rc::downgrade(&l);
    let mut n = 0u32;
    let tick = Closure::<dyn FnMut()>::new(move || {
        let Some(l) = weak.upgrade() else { return };
        let out = l.ua.borrow_mut().tick(now());
        run(&l, out);
        super::media::prewarm(&l.ice, PREPARE.with(Cell::get));
        n += 1;
        if n % 2 == 0 {
            poll_stats(&l);
        }
    });
    if let Some(w) = web_sys::window() {
        let id = w.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 500).unwrap_or(-1);
        l.timer.set(id);
    }
    *l._tick.borrow_mut() = Some(tick);
    host.report(LineEvent::Status(LineStatus::Connecting));
    connect(&l);
}

/// Unregisters and disconnects (calls end: the far ends get BYE).
pub fn sign_out() {
    if let Some(l) = line() {
        let mut calls: Vec<CallRef> = Vec::new();
        for c in l.to_desk.borrow().keys() {
            calls.push(*c);
        }
        for c in calls {
            ua_hang_up(&l, c);
        }
    }
    release(false);
}

/// What signed in, and what another instance needs to take each call over (the line is not touched).
pub fn takeovers() -> Option<(Credentials, Vec<Resume>)> {
    let l = line()?;
    let mut calls = Vec::new();
    for (desk_id, call) in l.to_ua.borrow().iter() {
        if let Some((target, replaces)) = l.ua.borrow().takeover(*call) {
            let held = l.media.borrow().get(call).map(|m| m.direction() == "sendonly").unwrap_or(false);
            calls.push(Resume { id: *desk_id, target, replaces, held });
        }
    }
    // Calls still being taken back keep their old dialog names.
    for r in l.to_resume.borrow().iter() {
        calls.push(r.clone());
    }
    Some((l.creds.clone(), calls))
}

/// [`takeovers`], then lets go of the line without hanging up: the far ends stay on the line until the
/// new owner's INVITE with Replaces.
pub fn hand_over() -> Option<(Credentials, Vec<Resume>)> {
    let t = takeovers()?;
    release(true);
    Some(t)
}

thread_local! {
    /// The desk's word on preparing media for the next call ([`prepare_media`]).
    static PREPARE: Cell<bool> = const { Cell::new(false) };
}

/// Media is prepared for the next call while the desk says the agent may get one (registered, owner of the
/// phone, neither Not Ready nor Offline); the line's clock carries it out.
pub fn prepare_media(on: bool) {
    PREPARE.with(|p| p.set(on));
}

fn release(quiet: bool) {
    super::media::prewarm(&[], false);
    // The next line may use other ICE servers.
    super::media::forget_candidates();
    let Some(l) = LINE.with(|s| s.borrow_mut().take()) else { return };
    l.closing.set(true);
    let out = l.ua.borrow_mut().unregister(now());
    run(&l, out);
    for m in l.media.borrow().values() {
        m.close();
    }
    for (_, e) in l.early.borrow_mut().drain(..) {
        if let Early::Ready(m, _) = e {
            m.close();
        }
    }
    if let Some(w) = web_sys::window() {
        w.clear_interval_with_handle(l.timer.get());
    }
    if let Some(ws) = l.ws.borrow_mut().take() {
        let _ = ws.close();
    }
    if !quiet {
        l.host.report_status(LineStatus::SignedOut);
    }
}

fn connect(l: &Rc<Line>) {
    let ws = match WebSocket::new_with_str(&l.url, "sip") {
        Ok(ws) => ws,
        Err(_) => {
            l.host.report_status(LineStatus::Failed(crate::strings::Key::WS_BAD_ADDRESS.arg("url", &l.url)));
            return;
        }
    };
    let weak = Rc::downgrade(l);
    let on_open = Closure::<dyn FnMut()>::new(move || {
        let Some(l) = weak.upgrade() else { return };
        let reconnected = l.ever_opened.replace(true);
        l.backoff.set(1_000);
        let out = l.ua.borrow_mut().transport_up(now());
        run(&l, out);
        if reconnected {
            refresh_targets(&l);
        }
    });
    let weak = Rc::downgrade(l);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        let Some(l) = weak.upgrade() else { return };
        if let Some(text) = super::media::prop(&ev, "data").and_then(|d| d.as_string()) {
            if text.starts_with("INVITE ") {
                super::media::mark("sip-invite-received");
            }
            crate::diagnostics::siplog::record(false, &text, &[&l.creds.password]);
            let out = l.ua.borrow_mut().on_frame(now(), &text);
            run(&l, out);
        }
    });
    let weak = Rc::downgrade(l);
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_ev: JsValue| {
        let Some(l) = weak.upgrade() else { return };
        if l.closing.get() {
            return;
        }
        let out = l.ua.borrow_mut().transport_lost(now());
        run(&l, out);
        let delay = l.backoff.get();
        l.backoff.set((delay * 2).min(MAX_BACKOFF_MS));
        let msg = if l.ever_opened.get() {
            crate::strings::sip_reconnecting((delay / 1000) as u32)
        } else {
            crate::strings::sip_unreachable(&l.url, (delay / 1000) as u32)
        };
        l.host.report_status(LineStatus::Failed(msg));
        let weak = Rc::downgrade(&l);
        crate::browser::after(delay, move || {
            if let Some(l) = weak.upgrade() {
                if !l.closing.get() {
                    connect(&l);
                }
            }
        });
    });
    super::media::set(&ws, "onopen", on_open.as_ref());
    super::media::set(&ws, "onmessage", on_message.as_ref());
    super::media::set(&ws, "onclose", on_close.as_ref());
    *l.ws_closures.borrow_mut() = vec![on_open.into_js_value(), on_message.into_js_value(), on_close.into_js_value()];
    *l.ws.borrow_mut() = Some(ws);
}

/// After a reconnect the server reaches us over a new connection: a re-INVITE on every call carries our
/// Contact again (the proxy aliases it to the new connection), so the far end's requests find us.
/// The audio itself flows peer to peer and is not interrupted.
fn refresh_targets(l: &Rc<Line>) {
    let mut calls: Vec<CallRef> = Vec::new();
    for c in l.media.borrow().keys() {
        calls.push(*c);
    }
    for call in calls {
        refresh_target(l, call);
    }
}

/// One call's target refresh, offering the session as agreed (RFC 3264 8: no change), so the browser has
/// nothing to roll back when it fails (Chromium's rollback can leave an answerer's sender mute); the line
/// retries a failed one (`UaEvent::RefreshDue`).
fn refresh_target(l: &Rc<Line>, call: CallRef) {
    let Some(sdp) = l.media.borrow().get(&call).and_then(|m| super::media::local_sdp(&m.pc)) else { return };
    let out = l.ua.borrow_mut().refresh(now(), call, &sdp);
    run(l, out);
}

fn send(l: &Line, text: &str) {
    if let Some(ws) = l.ws.borrow().as_ref() {
        if ws.ready_state() == WebSocket::OPEN {
            crate::diagnostics::siplog::record(true, text, &[&l.creds.password]);
            let _ = ws.send_with_str(text);
            // Benchmark marks (the latest of each): an INVITE, and a 200 to an INVITE, handed to the socket.
            if text.starts_with("INVITE ") {
                super::media::mark("sip-invite-sent");
            } else if text.starts_with("SIP/2.0 200") && crate::text::contains(text, " INVITE\r\n") {
                super::media::mark("sip-200-sent");
            }
        }
    }
}

impl dyn LineHost {
    fn report_status(&self, s: LineStatus) {
        self.report(LineEvent::Status(s));
    }
}

fn desk_id(l: &Line, c: CallRef) -> Option<u32> {
    l.to_desk.borrow().get(&c).copied()
}

fn ua_id(l: &Line, d: u32) -> Option<CallRef> {
    l.to_ua.borrow().get(&d).copied()
}

/// The media of UA call `call`.
#[inline(never)]
fn media_of(l: &Line, call: CallRef) -> Option<Rc<CallMedia>> {
    l.media.borrow().get(&call).cloned()
}

/// Tells the referrer of our call (we are the transferee) how the new call goes (NOTIFY with `code`).
#[inline(never)]
fn notify(l: &Rc<Line>, referrer: CallRef, code: u16) {
    let out = l.ua.borrow_mut().notify_transfer(now(), referrer, code);
    run(l, out);
}

/// The desk's call `id` failed: `why` is shown.
#[inline(never)]
fn failed(host: &dyn LineHost, id: u32, why: crate::strings::Msg) {
    host.report(LineEvent::Ended { id, reason: EndReason::Failed(why) });
}

/// Hangs up UA call `call` (one site for the line's hang-ups).
#[inline(never)]
fn ua_hang_up(l: &Rc<Line>, call: CallRef) {
    let out = l.ua.borrow_mut().hang_up(now(), call);
    run(l, out);
}

/// Refuses UA call `call` with `code`.
#[inline(never)]
fn ua_reject(l: &Rc<Line>, call: CallRef, code: u16) {
    let out = l.ua.borrow_mut().reject(now(), call, code);
    run(l, out);
}

/// Declines the transfer the far end of `call` asked for.
fn ua_decline(l: &Rc<Line>, call: CallRef) {
    let out = l.ua.borrow_mut().decline_transfer(now(), call);
    run(l, out);
}

/// A status line `text` for the desk's call `id`.
#[inline(never)]
fn note(host: &dyn LineHost, id: u32, text: String) {
    host.report(LineEvent::Note { id, note: Some(text) });
}

/// The desk's call `id` is no longer being taken back.
fn forget_resuming(l: &Line, id: u32) {
    l.resuming.borrow_mut().retain(|x| *x != id);
}

fn bind(l: &Line, d: u32, c: CallRef) {
    l.to_ua.borrow_mut().insert(d, c);
    l.to_desk.borrow_mut().insert(c, d);
}


fn run(l: &Rc<Line>, out: Vec<Output>) {
    for o in out {
        match o {
            Output::Send(text) => send(l, &text),
            Output::Event(e) => on_event(l, e),
        }
    }
}

fn on_event(l: &Rc<Line>, e: UaEvent) {
    let desk = l.host.clone();
    match e {
        UaEvent::Registration(s) => {
            let up = matches!(s, RegState::Registered { .. });
            desk.report_status(match s {
                RegState::Registered { .. } => LineStatus::Registered,
                RegState::Registering => LineStatus::Connecting,
                RegState::Unregistered => LineStatus::SignedOut,
                RegState::Failed(m) => LineStatus::Failed(m),
            });
            if up {
                let list = std::mem::take(&mut *l.to_resume.borrow_mut());
                for r in list {
                    let l2 = l.clone();
                    spawn(async move { take_back(&l2, r).await });
                }
            }
        }
        UaEvent::Incoming { call, from, x_headers, offer, replaces } => {
            if let Some(old) = replaces {
                // RFC 3891: this call takes the place of one we have. From the same party it is that party's
                // desktop taking the call over (a reload, the phone moved to another tab): the call goes on
                // under the same card. Otherwise a consultative transfer completed towards us.
                let old_desk = desk_id(l, old);
                let same = old_desk.filter(|d| desk.call_number(*d).as_deref() == Some(from.user.as_str()));
                let id = match same {
                    Some(id) => {
                        l.to_desk.borrow_mut().remove(&old);
                        id
                    }
                    None => {
                        let id = desk.new_call_id();
                        desk.report(LineEvent::Replacing { id, old: old_desk, name: from.display.clone().unwrap_or_default(), number: from.user.clone() });
                        id
                    }
                };
                bind(l, id, call);
                let l2 = l.clone();
                spawn(async move {
                    match accept_media(&l2, call, &offer).await {
                        Ok(()) => {
                            ua_hang_up(&l2, old);
                            desk.report(LineEvent::Connected(id));
                        }
                        Err(m) => {
                            if same.is_some() {
                                // The card stays with the call it had.
                                l2.to_desk.borrow_mut().remove(&call);
                                bind(&l2, id, old);
                            }
                            // The reason is said before the 488 (which ends the call as hung up; the first reason stays).
                            if same.is_none() {
                                failed(&*desk, id, m.clone().into());
                            }
                            ua_reject(&l2, call, 488);
                            if same.is_some() {
                                note(&*desk, id, m);
                            }
                        }
                    }
                });
                return;
            }
            let id = desk.new_call_id();
            bind(l, id, call);
            l.offers.borrow_mut().insert(call, offer.clone());
            // The desk rings it, or refuses it (busy) with a Reject command.
            desk.report(LineEvent::Incoming { id, name: from.display.clone(), number: from.user.clone(), x_headers });
            // Ringing: the answer is made now (after the alert), so answering only sends it. An INVITE
            // without SDP (late offer) gets our offer when answered.
            if !offer.is_empty() && desk_id(l, call).is_some() {
                prepare_answer(l, call, offer);
            }
        }
        UaEvent::Progress { call, code, early_sdp } => {
            if let Some(id) = desk_id(l, call) {
                if code >= 180 {
                    desk.report(LineEvent::Ringing(id));
                }
                if let (Some(sdp), Some(m)) = (early_sdp, media_of(l, call)) {
                    // Early media: a provisional answer; the 200's answer replaces it.
                    accept_later(m, sdp, true);
                }
            }
            let referrer = l.transfers.borrow().get(&call).copied();
            if let Some(referrer) = referrer {
                if code >= 180 {
                    notify(l, referrer, code);
                }
            }
        }
        UaEvent::Answered { call, sdp } => {
            let Some(id) = desk_id(l, call) else { return };
            let media = media_of(l, call);
            let outbound =
                !sdp.is_empty() && !l.offers.borrow().contains_key(&call) && media.as_ref().map(|m| m.awaits_answer()).unwrap_or(false);
            if outbound {
                if let Some(m) = media {
                    accept_later(m, sdp, false);
                }
            }
            desk.report(LineEvent::Connected(id));
            forget_resuming(l, id);
            let referrer = l.transfers.borrow_mut().remove(&call);
            if let Some(referrer) = referrer {
                notify(l, referrer, 200);
            }
        }
        UaEvent::Ended { call, reason } => {
            let removed = l.media.borrow_mut().remove(&call);
            if let Some(m) = removed {
                m.close();
                // A conference ends with one of its calls: the others send the microphone alone again.
                let mut others: Vec<Rc<CallMedia>> = Vec::new();
                for m in l.media.borrow().values() {
                    others.push(m.clone());
                }
                for other in others {
                    other.unmix();
                }
            }
            l.offers.borrow_mut().remove(&call);
            let early = take_early(l, call);
            if let Some(Early::Ready(m, _)) = early {
                m.close();
            }
            let referrer = l.transfers.borrow_mut().remove(&call);
            if let Some(referrer) = referrer {
                let code = match &reason {
                    Ended::Failed { code, .. } => *code,
                    _ => 487,
                };
                notify(l, referrer, code);
            }
            let Some(id) = desk_id(l, call) else { return };
            l.to_desk.borrow_mut().remove(&call);
            l.to_ua.borrow_mut().remove(&id);
            l.refer_asks.borrow_mut().remove(&id);
            let taking_back = {
                let mut r = l.resuming.borrow_mut();
                let pos = r.iter().position(|x| *x == id);
                pos.map(|i| r.remove(i)).is_some()
            };
            let r = match reason {
                Ended::Failed { text, .. } if taking_back => EndReason::Failed(crate::strings::Key::TAKE_BACK_FAILED_WHY.arg_msg("why", text)),
                Ended::Local => EndReason::HungUp,
                Ended::Remote => EndReason::RemoteHungUp,
                Ended::CallerCancelled => EndReason::Missed,
                Ended::Failed { text, .. } => EndReason::Failed(text),
                Ended::Replaced => EndReason::Transferred,
                Ended::Timeout => EndReason::Failed(failure_text(408).into()),
                Ended::AnsweredElsewhere => EndReason::AnsweredElsewhere,
                Ended::NoAnswer => EndReason::Failed(crate::strings::Key::NO_ANSWER.into()),
            };
            desk.report(LineEvent::Ended { id, reason: r });
        }
        UaEvent::RemoteOffer { call, sdp } => {
            let Some(m) = media_of(l, call) else { return };
            let l2 = l.clone();
            spawn(async move {
                let answer = if sdp.is_empty() { m.offer().await } else { m.answer(&sdp).await };
                let out = match answer {
                    Ok(a) => l2.ua.borrow_mut().answer_reoffer(now(), call, &a),
                    // The browser refused the offer (codec, RTP/AVP, T.38): 488 with the reason, call unchanged.
                    Err(why) => l2.ua.borrow_mut().reject_reoffer(now(), call, &why),
                };
                run(&l2, out);
            });
        }
        UaEvent::ReofferAnswered { call, sdp } | UaEvent::LateAnswer { call, sdp } => {
            if let Some(m) = media_of(l, call) {
                accept_later(m, sdp, false);
            }
        }
        UaEvent::ReofferFailed { call, code, refresh } => {
            // The offer is void: the browser goes back to the agreed session, and the card shows it.
            let (Some(m), Some(id)) = (media_of(l, call), desk_id(l, call)) else { return };
            spawn(async move {
                let held = m.rollback().await;
                desk.report(LineEvent::HoldFailed { id, held });
                if !refresh {
                    // The agent asked the opposite of what stays agreed.
                    note(&*desk, id, hold_failure_note(held, code).render());
                }
            });
        }
        UaEvent::RefreshDue { call } => refresh_target(l, call),
        UaEvent::TransferProgress { call, code, done } => {
            let Some(id) = desk_id(l, call) else { return };
            desk.report(LineEvent::TransferProgress { id, code, done });
            if done && (200..300).contains(&code) {
                // Said first: the BYE below ends the call at once (as hung up), and the first reason stays.
                desk.report(LineEvent::Ended { id, reason: EndReason::Transferred });
                ua_hang_up(l, call);
            }
        }
        UaEvent::TransferRequested { call, target, by, ask } => {
            if ask {
                // `referPolicy` ask: the agent sees who asks to transfer them where, and decides.
                if let Some(id) = desk_id(l, call) {
                    l.refer_asks.borrow_mut().insert(id, target.clone());
                    desk.report(LineEvent::TransferAsked { id, target: target.clone(), by });
                } else {
                    ua_decline(l, call);
                }
                return;
            }
            follow_transfer(l, call, target);
        }
        UaEvent::Message { from, text } => {
            let who = from.display.unwrap_or(from.user);
            desk.report(LineEvent::Message(crate::strings::sip_message_from(&who, &text).render()));
        }
        UaEvent::Reconnect => {
            // The server stopped answering keep-alives: drop the connection; closing reconnects.
            if let Some(ws) = l.ws.borrow().as_ref() {
                let _ = ws.close();
            }
        }
        UaEvent::Dtmf { call, digit } => {
            if let Some(id) = desk_id(l, call) {
                note(&*desk, id, crate::strings::dtmf_received(digit).render());
            }
        }
        UaEvent::Alive => {}
    }
}

/// Applies the far end's answer (`provisional`: a 183's) in a task of its own.
fn accept_later(m: Rc<CallMedia>, sdp: String, provisional: bool) {
    spawn(async move {
        let _ = m.accept(&sdp, provisional).await;
    });
}

/// The agent's decision on a transfer the far end asked for (`referPolicy` ask).
pub fn transfer_decision(id: u32, accept: bool) {
    let Some(l) = line() else { return };
    let Some(target) = l.refer_asks.borrow_mut().remove(&id) else { return };
    let Some(call) = ua_id(&l, id) else { return };
    if accept {
        follow_transfer(&l, call, target);
    } else {
        ua_decline(&l, call);
    }
}

/// We are being transferred: call the target, and tell the referrer how it goes.
fn follow_transfer(l: &Rc<Line>, call: CallRef, target: String) {
    let desk = l.host.clone();
    let l2 = l.clone();
    let old_desk = desk_id(l, call);
    spawn(async move {
        let id = desk.new_call_id();
        desk.report(LineEvent::Outgoing { id, target: target.clone(), replacing: old_desk });
        match start_call(&l2, id, &target, &[]).await {
            Ok(new_call) => {
                l2.transfers.borrow_mut().insert(new_call, call);
            }
            Err(m) => {
                notify(&l2, call, 503);
                failed(&*desk, id, m.into());
            }
        }
    });
}

/// A new audio session for a call, muted when the agent is muted (mute holds for every call).
fn new_media(l: &Rc<Line>) -> impl std::future::Future<Output = Result<Rc<CallMedia>, String>> + '_ {
    CallMedia::new(&l.ice, &l.muted)
}

async fn accept_media(l: &Rc<Line>, call: CallRef, offer: &str) -> Result<(), String> {
    let media = new_media(l).await?;
    // An INVITE without SDP (late offer): our offer goes in the 200, the answer comes in the ACK.
    let answer = if offer.is_empty() { media.offer().await? } else { media.answer(offer).await? };
    l.media.borrow_mut().insert(call, media);
    let out = l.ua.borrow_mut().answer(now(), call, &answer);
    run(l, out);
    Ok(())
}

fn perf_now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or_else(now)
}

/// Sends the INVITE for the desk's call `id` with `media`'s `offer`; the figure runs from `started`.
fn send_invite(l: &Rc<Line>, id: u32, target: &str, extra: &[(String, String)], media: Rc<CallMedia>, offer: &str, started: f64) -> Result<CallRef, String> {
    let abandoned = {
        let mut list = l.abandoned.borrow_mut();
        let pos = list.iter().position(|x| *x == id);
        pos.map(|i| list.remove(i)).is_some()
    };
    if abandoned {
        media.close();
        return Err("cancelled".into());
    }
    let (call, out) = match l.ua.borrow_mut().invite(now(), target, offer, extra) {
        Ok(x) => x,
        Err(e) => {
            media.close();
            return Err(e);
        }
    };
    bind(l, id, call);
    l.media.borrow_mut().insert(call, media);
    run(l, out);
    // Benchmark figure: from the dial intent to the INVITE handed to the WebSocket.
    l.host.report(LineEvent::SetupMs(perf_now() - started));
    Ok(call)
}

/// The call with the offer prepared while the agent takes calls (None when there is none yet): no wait.
fn start_prepared(l: &Rc<Line>, id: u32, target: &str, extra: &[(String, String)], started: f64) -> Option<Result<CallRef, String>> {
    if let Err(e) = l.ua.borrow().target_uri(target) {
        return Some(Err(e));
    }
    let (media, offer) = super::media::prepared_offer()?;
    let media = Rc::new(media);
    media.set_muted(l.muted.get());
    Some(send_invite(l, id, target, extra, media, &offer, started))
}

async fn start_call(l: &Rc<Line>, id: u32, target: &str, extra: &[(String, String)]) -> Result<CallRef, String> {
    let started = perf_now();
    if let Some(r) = start_prepared(l, id, target, extra, started) {
        return r;
    }
    let media = new_media(l).await?;
    let offer = match media.offer().await {
        Ok(o) => o,
        Err(e) => {
            media.close();
            return Err(e);
        }
    };
    send_invite(l, id, target, extra, media, &offer, started)
}

/// Takes a call back from an earlier instance of the desktop: a new audio session and an INVITE with
/// Replaces to the far end, under the desk's existing call (its timer and record carry on).
async fn take_back(l: &Rc<Line>, r: Resume) {
    let result: Result<(), String> = async {
        let media = new_media(l).await?;
        let offer = if r.held { media.hold_offer(true).await? } else { media.offer().await? };
        let (call, out) = l.ua.borrow_mut().invite(now(), &r.target, &offer, &[("Replaces".to_string(), r.replaces.clone())])?;
        bind(l, r.id, call);
        l.media.borrow_mut().insert(call, media);
        run(l, out);
        Ok(())
    }
    .await;
    if let Err(m) = result {
        forget_resuming(l, r.id);
        failed(&*l.host, r.id, crate::strings::Key::TAKE_BACK_FAILED_WHY.arg("why", &m));
    }
}

/// Places a call for the desk's call `id`. Errors (microphone, bad number) end that call with the reason.
pub fn dial(id: u32, target: String, extra: Vec<(String, String)>) {
    let Some(l) = line() else { return };
    let fail = move |l: &Rc<Line>, m: String| {
        if m != "cancelled" {
            failed(&*l.host, id, m.into());
        }
    };
    // With the offer prepared while Ready the INVITE leaves in the click's own task, before any rendering.
    match start_prepared(&l, id, &target, &extra, perf_now()) {
        Some(Ok(_)) => {}
        Some(Err(m)) => fail(&l, m),
        None => spawn(async move {
            if let Err(m) = start_call(&l, id, &target, &extra).await {
                fail(&l, m);
            }
        }),
    }
}

/// An incoming call's answer, made while it rings.
enum Early {
    /// Being made; `answer`: the agent has answered (the 200 leaves once it is made).
    Preparing { answer: bool },
    Ready(Rc<CallMedia>, String),
    Failed(String),
}

/// Takes what was made for ringing call `call` (a short list: the calls ringing now).
fn take_early(l: &Line, call: CallRef) -> Option<Early> {
    let mut list = l.early.borrow_mut();
    let pos = list.iter().position(|(c, _)| *c == call)?;
    Some(list.swap_remove(pos).1)
}

/// Makes the answer to a ringing call's offer (nothing sent or played until the agent answers), once the
/// alert is painted: the browser's work on the offer does not hold up the frame that shows the call.
fn prepare_answer(l: &Rc<Line>, call: CallRef, offer: String) {
    l.early.borrow_mut().push((call, Early::Preparing { answer: false }));
    let l2 = l.clone();
    spawn(async move {
        super::media::after_paint().await;
        // Ended meanwhile.
        if !l2.early.borrow().iter().any(|(c, _)| *c == call) {
            return;
        }
        let made = CallMedia::ringing(&l2.ice, &offer).await.map(|(m, sdp)| (Rc::new(m), sdp));
        let state = take_early(&l2, call);
        match (state, made) {
            (Some(Early::Preparing { answer: true }), made) => finish_answer(&l2, call, made),
            (Some(Early::Preparing { answer: false }), made) => {
                let e = match made {
                    Ok((m, sdp)) => Early::Ready(m, sdp),
                    Err(why) => Early::Failed(why),
                };
                l2.early.borrow_mut().push((call, e));
            }
            // The call ended while its answer was made.
            (_, Ok((m, _))) => m.close(),
            _ => {}
        }
    });
}

/// The agent answered and the answer is made: it is set (only now: before, nothing went to the caller's
/// network), the call takes the microphone and the 200 leaves.
fn finish_answer(l: &Rc<Line>, call: CallRef, made: Result<(Rc<CallMedia>, String), String>) {
    let (m, answer) = match made {
        Ok(made) => made,
        Err(why) => return fail_answer(l, call, why),
    };
    let l2 = l.clone();
    // Set now, in the Answer click's task; meanwhile the prepared microphone's clones are made (the call
    // sends them only once the 200 is handed over).
    let committing = m.commit_answer(&answer);
    let warm = super::media::warm_microphone();
    spawn(async move {
        let sdp = match committing.await {
            Ok(sdp) => sdp,
            Err(why) => {
                m.close();
                if let Some(mic) = &warm {
                    super::media::stop_tracks(mic);
                }
                return fail_answer(&l2, call, why);
            }
        };
        // The prepared microphone, or (not open yet) asked for now.
        let mic = match warm {
            Some(mic) => mic,
            None => match super::media::microphone().await {
                Ok(mic) => mic,
                Err(why) => {
                    m.close();
                    return fail_answer(&l2, call, why);
                }
            },
        };
        send_answer(&l2, call, m, mic, &sdp);
    });
}

fn send_answer(l: &Rc<Line>, call: CallRef, m: Rc<CallMedia>, mic: web_sys::MediaStream, sdp: &str) {
    let Some(id) = desk_id(l, call) else {
        // It ended meanwhile.
        m.close();
        super::media::stop_tracks(&mic);
        return;
    };
    l.media.borrow_mut().insert(call, m.clone());
    let out = l.ua.borrow_mut().answer(now(), call, sdp);
    run(l, out);
    // After the 200 is handed over (no audio can flow before the far end has it): the microphone, the speaker.
    m.set_muted(l.muted.get());
    m.go_live(mic);
    l.host.report(LineEvent::Connected(id));
}

fn fail_answer(l: &Rc<Line>, call: CallRef, why: String) {
    let Some(id) = desk_id(l, call) else { return };
    // The reason first: the 488 ends the call as hung up, and the first reason stays.
    failed(&*l.host, id, why.into());
    ua_reject(l, call, 488);
}

/// Answers the incoming call `id` (asks for the microphone, then sends 200 with our answer).
pub fn answer(id: u32) {
    let Some(l) = line() else { return };
    let Some(call) = ua_id(&l, id) else { return };
    let Some(offer) = l.offers.borrow_mut().remove(&call) else { return };
    let early = take_early(&l, call);
    match early {
        Some(Early::Ready(m, sdp)) => return finish_answer(&l, call, Ok((m, sdp))),
        Some(Early::Failed(why)) => return finish_answer(&l, call, Err(why)),
        Some(Early::Preparing { .. }) => {
            l.early.borrow_mut().push((call, Early::Preparing { answer: true }));
            return;
        }
        None => {}
    }
    spawn(async move {
        if let Err(m) = accept_media(&l, call, &offer).await {
            failed(&*l.host, id, m.into());
            ua_reject(&l, call, 488);
        } else {
            l.host.report(LineEvent::Connected(id));
        }
    });
}

pub fn reject(id: u32, code: u16) {
    let Some(l) = line() else { return };
    if let Some(call) = ua_id(&l, id) {
        ua_reject(&l, call, code);
    }
}

pub fn hang_up(id: u32) {
    let Some(l) = line() else { return };
    match ua_id(&l, id) {
        Some(call) => {
            ua_hang_up(&l, call);
        }
        None => {
            // Not sent yet (still getting the microphone or gathering candidates).
            l.abandoned.borrow_mut().push(id);
            l.host.report(LineEvent::Ended { id, reason: EndReason::Cancelled });
        }
    }
}

pub fn hold(id: u32, held: bool) {
    let Some(l) = line() else { return };
    let Some(call) = ua_id(&l, id) else { return };
    let Some(m) = media_of(&l, call) else { return };
    if !l.ua.borrow().can_reoffer(call) {
        // Another offer is under way (a refresh): leave it alone; the card goes back.
        l.host.report(LineEvent::HoldFailed { id, held: !held });
        note(&*l.host, id, hold_failure_note(!held, 491).render());
        return;
    }
    spawn(async move {
        match m.hold_offer(held).await {
            Ok(offer) => {
                let out = l.ua.borrow_mut().reinvite(now(), call, &offer);
                run(&l, out);
            }
            Err(e) => note(&*l.host, id, e),
        }
    });
}

/// DTMF: in the audio (RFC 4733) when negotiated, else (or when `info` is set) by SIP INFO.
/// Returns how the digit went: `Some(true)` in the audio, `Some(false)` by SIP INFO, `None` not at all.
pub fn dtmf(id: u32, digit: char, info: bool) -> Option<bool> {
    let l = line()?;
    let call = ua_id(&l, id)?;
    let sent_in_rtp = !info && l.media.borrow().get(&call).map(|m| m.send_dtmf(digit)).unwrap_or(false);
    if sent_in_rtp {
        return Some(true);
    }
    let out = l.ua.borrow_mut().info_dtmf(now(), call, digit);
    let sent = out.iter().any(|o| matches!(o, Output::Send(_)));
    run(&l, out);
    sent.then_some(false)
}

pub fn set_muted(muted: bool) {
    if let Some(l) = line() {
        l.muted.set(muted);
        for m in l.media.borrow().values() {
            m.set_muted(muted);
        }
    }
}

/// Blind transfer of `id` to `target`, or consultative when `consult` names the consultation call;
/// `headers` travel to the target with the transferred call (the record on screen).
pub fn transfer(id: u32, target: &str, consult: Option<u32>, headers: &[(String, String)]) -> Result<(), String> {
    let l = line().ok_or(crate::strings::NOT_SIGNED_IN())?;
    let call = ua_id(&l, id).ok_or(crate::strings::CALL_HAS_ENDED())?;
    let replaces = match consult {
        Some(c) => Some(ua_id(&l, c).ok_or(crate::strings::CONSULT_ENDED())?),
        None => None,
    };
    let out = l.ua.borrow_mut().refer(now(), call, target, replaces, headers)?;
    run(&l, out);
    Ok(())
}

/// The audio direction of a call's media ("sendrecv", "sendonly", ...), for diagnostics and tests.
pub fn media_direction(id: u32) -> Option<String> {
    let l = line()?;
    let call = ua_id(&l, id)?;
    let d = l.media.borrow().get(&call).map(|m| m.direction());
    d
}

fn poll_stats(l: &Rc<Line>) {
    let mut entries: Vec<(u32, Rc<CallMedia>)> = Vec::new();
    for (c, m) in l.media.borrow().iter() {
        if let Some(d) = desk_id(l, *c) {
            entries.push((d, m.clone()));
        }
    }
    for (id, m) in entries {
        let desk = l.host.clone();
        spawn(async move {
            // One getStats per reading: packet counts and call quality (crate::phone::quality).
            let (sample, receiving) = super::quality_probe::sample(&m.pc).await;
            if let Some(s) = sample {
                desk.report(LineEvent::Packets { id, packets: (s.packets_received, s.packets_sent) });
                desk.report(LineEvent::Quality { id, sample: s, receiving });
            }
        });
    }
}

/// Merges two calls into a three-way conference (both off hold, audio mixed locally).
pub fn conference(a: u32, b: u32) -> Result<(), String> {
    let l = line().ok_or(crate::strings::NOT_SIGNED_IN())?;
    let (ca, cb) = (ua_id(&l, a).ok_or(crate::strings::CALL_HAS_ENDED())?, ua_id(&l, b).ok_or(crate::strings::CALL_HAS_ENDED())?);
    let ma = media_of(&l, ca).ok_or(crate::strings::CALL_NO_AUDIO())?;
    let mb = media_of(&l, cb).ok_or(crate::strings::CALL_NO_AUDIO())?;
    super::media::conference(&ma, &mb)
}
