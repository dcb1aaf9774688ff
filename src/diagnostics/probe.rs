//! "Check my setup" in the browser: each check gathers its raw outcome (microphone and level, test tones,
//! WebSocket, registration, ICE candidates from the configured STUN/TURN servers, a ServiceNow read) and
//! hands it to the pure rules of [`super::checks`]. Results live in [`results`] for the Status panel.

use super::checks::{self, IceError, Item, SnProbe, Verdict, WsOutcome};
use crate::desk::Desk;
use crate::phone::line::LineStatus;
use crate::phone::media::{prop, prop_fn, prop_str, set as set_prop};
use crate::strings as t;
use js_sys::{Array, Promise};
use leptos::prelude::*;
use crate::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The results of the last run, and the live microphone level (0-100) while it is measured. Kept outside the
/// arena (they belong to no component: the run after sign-in happens wherever the agent is, so no unmounted
/// view can dispose of them), each told to its readers by a counter signal of its own (a usize signal, a type
/// the desk already has: no signal type per value, issue #16).
struct Results {
    lines: RefCell<Vec<(Item, Verdict)>>,
    level: std::cell::Cell<Option<u32>>,
    lines_changed: ArcRwSignal<usize>,
    level_changed: ArcRwSignal<usize>,
}

/// A run is under way: a check is still running (every run sets each of its lines before it ends; no
/// signal of its own).
pub fn running(lines: &[(Item, Verdict)]) -> bool {
    lines.iter().any(|(_, v)| matches!(v, Verdict::Running))
}

thread_local! {
    static RESULTS: Results = Results {
        lines: RefCell::new(Vec::new()),
        level: std::cell::Cell::new(None),
        lines_changed: ArcRwSignal::new(0),
        level_changed: ArcRwSignal::new(0),
    };
}

/// Reads the results of the last run (tracked: the reader runs again when they change).
pub fn with_lines<R>(f: impl FnOnce(&[(Item, Verdict)]) -> R) -> R {
    RESULTS.with(|r| {
        r.lines_changed.track();
        f(&r.lines.borrow())
    })
}

/// The live microphone level (tracked).
pub fn level() -> Option<u32> {
    RESULTS.with(|r| {
        r.level_changed.track();
        r.level.get()
    })
}

#[inline(never)]
fn set_level(v: Option<u32>) {
    RESULTS.with(|r| {
        r.level.set(v);
        r.level_changed.update(|n| *n += 1);
    });
}

#[inline(never)]
fn change_lines(f: &mut dyn FnMut(&mut Vec<(Item, Verdict)>)) {
    RESULTS.with(|r| {
        f(&mut r.lines.borrow_mut());
        r.lines_changed.update(|n| *n += 1);
    });
}

#[inline(never)]
fn set(item: Item, v: Verdict) {
    let mut v = Some(v);
    change_lines(&mut |l| {
        let Some(v) = v.take() else { return };
        match l.iter_mut().find(|(i, _)| *i == item) {
            Some(slot) => slot.1 = v,
            None => l.push((item, v)),
        }
    });
}

pub async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(p).await;
}

/// `target[method](...args)` (an error when it is not a function, or it throws).
fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f = prop_fn(target, method).ok_or(JsValue::NULL)?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    f.apply(target, &list)
}

fn error_name(e: &JsValue) -> String {
    let (n, m) = (prop_str(e, "name"), prop_str(e, "message"));
    if n.is_empty() && m.is_empty() { "refused".into() } else { crate::ui::cat(&[&n, " ", &m]).trim().to_string() }
}

/// Runs every check (the test tones only when `tones`: the agent asked). Returns whether a check that
/// stops calls from working failed (microphone refused, SIP server unreachable, no network path).
pub async fn run(desk: Desk, tones: bool) -> bool {
    if RESULTS.with(|r| running(&r.lines.borrow())) {
        return false;
    }
    change_lines(&mut |l| {
        l.clear();
        for i in Item::ALL {
            if tones || !matches!(i, Item::Speaker | Item::Ringer) {
                l.push((i, Verdict::Running));
            }
        }
    });
    let mic = microphone().await;
    let mic_refused = matches!(mic, Err(_));
    set(Item::Microphone, checks::microphone(mic));
    if tones {
        set(Item::Speaker, checks::tone(tone(crate::phone::media::SPEAKER_KEY).await));
        set(Item::Ringer, checks::tone(tone(crate::phone::media::RINGER_KEY).await));
    }
    let server = crate::browser::load(crate::desk::SIP_SERVER_KEY)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| desk.settings.read_untracked().sip.server.clone());
    let ws = if server.is_empty() { None } else { Some(websocket(&server).await) };
    let ws_verdict = checks::websocket(&server, ws);
    let ws_failed = matches!(ws_verdict, Verdict::Fail(_)) && !server.is_empty();
    set(Item::WebSocket, ws_verdict);
    set(Item::Registered, checks::registered(&desk.line_status.get_untracked()));
    // The settings read once (each read inlines the signal's guard).
    let (servers, user, cred, relay_only) = {
        let s = desk.settings.read_untracked();
        (s.sip.ice_servers.clone(), s.sip.ice_username.clone(), s.sip.ice_credential.clone(), s.sip.ice_relay_only)
    };
    let (cands, errors, completed) = ice(&servers, &user, &cred, relay_only).await;
    let [host, stun, relay] = checks::ice(&servers, !user.is_empty(), relay_only, &cands, &errors, completed);
    let net_failed = [&host, &stun, &relay].iter().any(|v| matches!(v, Verdict::Fail(_)));
    set(Item::IceHost, host);
    set(Item::IceStun, stun);
    set(Item::IceRelay, relay);
    set(Item::ServiceNow, checks::servicenow(servicenow(desk).await));
    mic_refused || ws_failed || net_failed
}

/// Runs the checks (without tones) once after each SIP sign-in; a failure that stops calls shows a notice.
pub fn after_sign_in(desk: Desk) {
    // Kept by the effect itself (no stored value of its own).
    let mut ran = false;
    crate::desk::shell::effect(Box::new(move || match desk.line_status.get() {
        LineStatus::Registered if !ran => {
            ran = true;
            leptos::task::spawn_local(async move {
                if run(desk, false).await {
                    crate::desk::shell::aput(&desk.notice, Some(t::Key::CHECK_SETUP_PROBLEMS.into()));
                }
            });
        }
        LineStatus::SignedOut | LineStatus::Demo => ran = false,
        _ => {}
    }));
}

/// Asks for the microphone and measures its loudest level (0-100) for two seconds, shown live.
async fn microphone() -> Result<u32, String> {
    let stream = crate::phone::media::microphone().await?;
    let mut peak = 0u32;
    if let Ok(ctx) = web_sys::AudioContext::new() {
        let _ = ctx.resume();
        let analyser = call(&ctx, "createAnalyser", &[]).ok();
        let source = ctx.create_media_stream_source(&stream).ok();
        if let (Some(a), Some(s)) = (analyser, source) {
            let _ = call(&s, "connect", &[&a]);
            let buf = js_sys::Uint8Array::new_with_length(1024);
            for _ in 0..20 {
                sleep(100).await;
                if call(&a, "getByteTimeDomainData", &[&buf]).is_err() {
                    break;
                }
                let mut now = 0;
                for b in buf.to_vec() {
                    now = now.max((b as i32 - 128).unsigned_abs());
                }
                let now = now * 100 / 128;
                peak = peak.max(now);
                set_level(Some(now));
            }
        }
        let _ = ctx.close();
    }
    for tr in stream.get_tracks().iter() {
        tr.unchecked_into::<web_sys::MediaStreamTrack>().stop();
    }
    set_level(None);
    Ok(peak)
}

/// Plays a short 440 Hz tone on the device chosen under `key` (speaker or ringer).
async fn tone(key: &str) -> Result<(), String> {
    let ctx = web_sys::AudioContext::new().map_err(|e| error_name(&e))?;
    let result = async {
        let osc = ctx.create_oscillator().map_err(|e| error_name(&e))?;
        let gain = ctx.create_gain().map_err(|e| error_name(&e))?;
        crate::phone::media::set_param(&gain, "gain", 0.1);
        let dest = ctx.create_media_stream_destination().map_err(|e| error_name(&e))?;
        let _ = osc.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&dest);
        let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
        let el: web_sys::HtmlAudioElement = doc.create_element("audio").map_err(|e| error_name(&e))?.unchecked_into();
        set_prop(&el, "srcObject", &prop(&dest, "stream").unwrap_or(JsValue::NULL));
        if let Some(id) = crate::browser::load(key).filter(|s| !s.is_empty()) {
            let p: Promise = call(&el, "setSinkId", &[&JsValue::from_str(&id)]).map_err(|e| error_name(&e))?.dyn_into().map_err(|_| "setSinkId")?;
            JsFuture::from(p).await.map_err(|e| error_name(&e))?;
        }
        let _ = ctx.resume();
        let _ = osc.start();
        JsFuture::from(el.play().map_err(|e| error_name(&e))?).await.map_err(|e| error_name(&e))?;
        sleep(600).await;
        #[allow(deprecated)]
        let _ = osc.stop();
        set_prop(&el, "srcObject", &JsValue::NULL);
        Ok::<(), String>(())
    }
    .await;
    let _ = ctx.close();
    result
}

/// Opens the SIP server's WebSocket (subprotocol `sip`) and closes it again: the protocol it agreed, or
/// Failed (error, closed before opening, or nothing within 6 s).
async fn websocket(url: &str) -> WsOutcome {
    let Ok(ws) = web_sys::WebSocket::new_with_str(url, "sip") else { return WsOutcome::Failed };
    // The promise's own resolve is each handler (no closure of ours): it settles with the first event, `open`
    // or `close`, or with null after 6 s; the protocol agreed is read once it opened.
    let p = Promise::new(&mut |resolve, _| {
        set_prop(&ws, "onopen", &resolve);
        set_prop(&ws, "onclose", &resolve);
        if let Some(win) = web_sys::window() {
            let _ = win.set_timeout_with_callback_and_timeout_and_arguments_1(&resolve, 6_000, &JsValue::NULL);
        }
    });
    let opened = JsFuture::from(p).await.is_ok_and(|v| prop_str(&v, "type") == "open");
    let protocol = ws.protocol();
    set_prop(&ws, "onopen", &JsValue::NULL);
    set_prop(&ws, "onclose", &JsValue::NULL);
    let _ = ws.close();
    if opened { WsOutcome::Open(protocol) } else { WsOutcome::Failed }
}

/// Gathers ICE candidates with the configured STUN/TURN servers (and TURN credentials): the candidate
/// lines, the servers' errors, and whether gathering completed within 10 s.
async fn ice(servers: &[String], user: &str, cred: &str, relay_only: bool) -> (Vec<String>, Vec<IceError>, bool) {
    let cfg = crate::phone::media::rtc_configuration(servers, user, cred, relay_only);
    let Ok(pc) = web_sys::RtcPeerConnection::new_with_configuration(&cfg) else { return (Vec::new(), Vec::new(), false) };
    let cands = Rc::new(RefCell::new(Vec::<String>::new()));
    let errors = Rc::new(RefCell::new(Vec::<IceError>::new()));
    let c2 = cands.clone();
    let on_candidate = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        let line = prop(&ev, "candidate").map(|c| prop_str(&c, "candidate")).unwrap_or_default();
        if !line.is_empty() {
            c2.borrow_mut().push(line);
        }
    });
    let e2 = errors.clone();
    let on_error = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        e2.borrow_mut().push(IceError {
            url: prop_str(&ev, "url"),
            code: prop(&ev, "errorCode").and_then(|v| v.as_f64()).unwrap_or(0.0) as u16,
            text: prop_str(&ev, "errorText"),
        });
    });
    set_prop(&pc, "onicecandidate", on_candidate.as_ref());
    let _ = pc.add_event_listener_with_callback("icecandidateerror", on_error.as_ref().unchecked_ref());
    let _ = call(&pc, "createDataChannel", &[&JsValue::from_str("check")]);
    if let Ok(offer) = JsFuture::from(pc.create_offer()).await {
        let init = crate::phone::media::description("offer", Some(&prop_str(&offer, "sdp")));
        let _ = JsFuture::from(pc.set_local_description(&init)).await;
        let mut waited = 0;
        while !crate::phone::media::gathering_complete(&pc) && waited < 10_000 {
            sleep(100).await;
            waited += 100;
        }
    }
    let completed = crate::phone::media::gathering_complete(&pc);
    set_prop(&pc, "onicecandidate", &JsValue::NULL);
    let _ = pc.remove_event_listener_with_callback("icecandidateerror", on_error.as_ref().unchecked_ref());
    pc.close();
    // Taken, not copied (the handlers are gone with the connection).
    let c = std::mem::take(&mut *cands.borrow_mut());
    let e = std::mem::take(&mut *errors.borrow_mut());
    (c, e, completed)
}

/// The instance, then a read with the agent's ServiceNow sign-in (or, without one, whether the instance
/// answers this origin at all: reachable and CORS).
async fn servicenow(desk: Desk) -> SnProbe {
    let vouched = desk.member.get_untracked();
    let inst = {
        let s = desk.settings.read_untracked();
        crate::trust::sn_instance(s.servicenow.instance.as_ref().map(|i| i.origin()).as_deref(), s.top_domain.as_ref().map(|t| t.origin()).as_deref(), vouched)
    };
    let Some(inst) = inst else {
        return SnProbe::Off;
    };
    let token = crate::servicenow::service::token_text().and_then(|t| crate::json::from_str::<crate::servicenow::auth::Token>(&t));
    if let Some(tok) = token.filter(|t| t.instance == inst) {
        use crate::servicenow::rest::{request, RestError};
        let q = [("sysparm_limit", "1"), ("sysparm_fields", "sys_id")];
        return SnProbe::SignedIn(match request(&inst, &tok, "GET", &["/api/now/table/sys_user"], &q, None).await {
            Ok(_) => Ok(()),
            Err(RestError::Unauthorized) => Err(None),
            // The token was accepted; the table's ACL or the sandbox's rules answered.
            Err(RestError::Status(code, _)) if (400..500).contains(&code) => Ok(()),
            Err(e) => Err(Some(e.to_string())),
        });
    }
    SnProbe::NotSignedIn(reachable(&format!("{inst}/api/now/table/sys_user?sysparm_limit=1")).await)
}

/// A CORS request without credentials: any answer means reachable and allowed; otherwise an opaque
/// no-cors request tells a CORS refusal from a dead network.
async fn reachable(url: &str) -> Result<(), String> {
    let w = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    if JsFuture::from(w.fetch_with_str_and_init(url, &init)).await.is_ok() {
        return Ok(());
    }
    let probe = web_sys::RequestInit::new();
    probe.set_mode(web_sys::RequestMode::NoCors);
    let origin = w.location().origin().unwrap_or_default();
    Err(match JsFuture::from(w.fetch_with_str_and_init(url, &probe)).await {
        Ok(_) => t::sn_check_cors(&origin).render(),
        Err(_) => t::SN_CHECK_UNREACHABLE().into(),
    })
}
