//! Call quality, "Check my setup" and "Copy diagnostics" end to end: headless Chromium desktops on
//! Debian's Kamailio, coturn for STUN/TURN, and the sandbox as ServiceNow.

use e2e::peers::Coturn;
use e2e::{answer, artifacts_dir, dial, enter, hang_up_and_read_recent_quality, sip_sign_in, sn_sign_in, wait_rx_above, wait_state, Browser, Kamailio, Sandbox};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Keeps every RTCPeerConnection the page makes in `window.__pcs` (runs before the desktop's own code), so
/// the test can stop this side's audio the way a far end that stops sending would.
const KEEP_PCS: &str = "(() => { const O = window.RTCPeerConnection; window.__pcs = []; \
    const W = function(...a) { const p = new O(...a); window.__pcs.push(p); return p; }; \
    W.prototype = O.prototype; window.RTCPeerConnection = W; })();";

fn desktop_keeping_pcs(sb: &Sandbox, k: &Kamailio, name: &str, user: &str) -> Browser {
    let b = Browser::start(name, 1280, 800);
    b.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": KEEP_PCS}));
    b.goto(&format!("{}?demo=0", sb.desktop_url));
    b.find(".desk[data-loaded=true]");
    sip_sign_in(&b, k, user);
    b
}

fn plain_desktop(sb: &Sandbox, k: &Kamailio, name: &str, user: &str) -> Browser {
    let b = Browser::start(name, 1280, 800);
    b.goto(&format!("{}?demo=0", sb.desktop_url));
    b.find(".desk[data-loaded=true]");
    sip_sign_in(&b, k, user);
    b
}

/// Waits up to `secs` for `f`, polling every 200 ms.
fn wait_long<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn quality_attr(b: &Browser, attr: &str) -> Option<String> {
    b.exec("const q = document.querySelector('[data-testid=quality]'); return q ? q.getAttribute(arguments[0]) : null", json!([attr])).as_str().map(str::to_string)
}

fn warning(b: &Browser) -> Option<(String, String)> {
    let v = b.exec("const w = document.querySelector('[data-testid=quality-warning]'); return w ? [w.dataset.warning, w.textContent] : null", json!([]));
    Some((v[0].as_str()?.to_string(), v[1].as_str()?.to_string()))
}

/// Stops (or restores) the audio this browser sends on its live calls: RTCRtpSender.replaceTrack(null)
/// makes the browser send no more RTP, as a far end whose microphone stream died.
fn stop_sending(b: &Browser, stop: bool) {
    let r = b.exec_async(
        "const done = arguments[arguments.length - 1]; const stop = arguments[0]; let n = 0; const all = [];
         for (const p of window.__pcs) { if (p.connectionState === 'closed') continue;
           for (const s of p.getSenders()) { if (stop) { if (s.track) { s.__kept = s.track; all.push(s.replaceTrack(null)); n++; } }
             else if (s.__kept) { all.push(s.replaceTrack(s.__kept)); n++; } } }
         Promise.all(all).then(() => done(n), e => done(String(e)));",
        json!([stop]),
    );
    assert!(r.as_u64().unwrap_or(0) >= 1, "no sender to {}: {r}", if stop { "stop" } else { "restore" });
}

#[test]
fn call_quality_shows_warns_when_the_far_end_stops_sending_and_is_kept_in_recents() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let a = plain_desktop(&sb, &k, "quality_a", "1001");
    let b = desktop_keeping_pcs(&sb, &k, "quality_b", "1002");
    e2e::set_state(&b, "ready");
    dial(&a, "1002");
    answer(&b);
    wait_state(&a, 0, "Connected");
    wait_rx_above(&a, 0, 100);
    // A clean loopback call: the indicator shows a good estimate, and the details on demand.
    // On loopback the estimate settles at good within seconds (the first readings may still carry set-up jitter).
    let mos: u32 = wait_long("a good quality estimate on loopback", 10, || quality_attr(&a, "data-mos").and_then(|m| m.parse().ok()).filter(|m| *m >= 400));
    assert_eq!(quality_attr(&a, "data-grade").as_deref(), Some("good"));
    assert!(a.absent("[data-testid=quality-details]"));
    a.click(&a.find("[data-testid=quality]"));
    let loss = a.text(&a.find("[data-testid=quality-loss]"));
    let rtt = a.text(&a.find("[data-testid=quality-rtt]"));
    eprintln!("quality: MOS {mos}, loss {loss}, RTT {rtt}, jitter {}", a.text(&a.find("[data-testid=quality-jitter]")));
    assert!(loss.ends_with('%') && rtt.ends_with("ms"), "{loss} {rtt}");
    assert!(warning(&a).is_none(), "no warning on a clean call: {:?}", warning(&a));

    // B's browser stops sending: A's packets stop arriving and, after a few seconds, A reads why in words.
    stop_sending(&b, true);
    let stopped = Instant::now();
    let (kind, text) = wait_long("the no-audio warning", 15, || warning(&a));
    eprintln!("no-audio warning after {} ms", stopped.elapsed().as_millis());
    assert_eq!(kind, "no-audio");
    assert!(text.contains("The caller's audio is not reaching you") && text.contains("Check my setup"), "{text}");
    a.shot("quality-no-audio-warning.png");
    // The audio comes back: the warning goes.
    stop_sending(&b, false);
    wait_long("the warning to clear", 10, || warning(&a).is_none().then_some(()));

    // Recents keep the call's quality, with the warning it had.
    let (label, q) = hang_up_and_read_recent_quality(&a);
    assert!(label.contains("audio did not reach you for a while"), "{label}");
    assert!(q.split(' ').count() == 6 && q.ends_with(" 1"), "compact summary with the no-audio flag: {q}");

    // Copy diagnostics, refused by the browser: the text is shown, selected, for copying by hand.
    a.click(&a.find("#tab-diagnostics"));
    a.cdp("Browser.setPermission", json!({"permission": {"name": "clipboard-write"}, "setting": "denied", "origin": sb.desktop_origin()}));
    a.click(&a.find("[data-testid=copy-diagnostics]"));
    let result = a.find("[data-testid=copy-result]");
    assert_eq!(a.attr(&result, "data-copied").as_deref(), Some("false"));
    let text = a.exec("return document.querySelector('[data-testid=diagnostics-text]').value", json!([])).as_str().unwrap().to_string();
    let selected = a.exec("const t = document.querySelector('[data-testid=diagnostics-text]'); return t.selectionEnd - t.selectionStart", json!([])).as_u64().unwrap();
    std::fs::write(artifacts_dir().join("diagnostics-a.txt"), &text).unwrap();
    assert_eq!(selected as usize, text.encode_utf16().count(), "the whole text is selected");
    for want in ["== SIP messages", "REGISTER sip:", "Authorization: [removed]", "INVITE sip:1002@", "Proxy-Authorization: [removed]", "== Recent calls ==", "audio did not reach you", "browser: Mozilla"] {
        assert!(text.contains(want), "{want:?} missing from the diagnostics:\n{text}");
    }
    // The SIP password ("secret") and every digest response and nonce are gone.
    assert!(!text.contains("secret"), "the password survived:\n{text}");
    assert!(!text.contains("response=") && !text.contains("nonce="), "digest values survived:\n{text}");
}

#[test]
fn copy_diagnostics_uses_the_clipboard_when_allowed() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let a = plain_desktop(&sb, &k, "copy_ok", "1001");
    a.cdp("Browser.setPermission", json!({"permission": {"name": "clipboard-write"}, "setting": "granted", "origin": sb.desktop_origin()}));
    a.cdp("Browser.setPermission", json!({"permission": {"name": "clipboard-read"}, "setting": "granted", "origin": sb.desktop_origin()}));
    a.click(&a.find("#tab-diagnostics"));
    a.click(&a.find("[data-testid=copy-diagnostics]"));
    let result = a.find("[data-testid=copy-result]");
    assert_eq!(a.attr(&result, "data-copied").as_deref(), Some("true"), "{}", a.text(&result));
    assert!(a.absent("[data-testid=diagnostics-text]"));
    let pasted = a.exec_async("const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, e => done('ERR ' + e));", json!([]));
    let pasted = pasted.as_str().unwrap();
    assert!(pasted.contains("== SIP messages") && pasted.contains("REGISTER sip:"), "{pasted}");
    assert!(!pasted.contains("secret"), "{pasted}");
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// A desktop inside the sandbox's ServiceNow page with STUN and TURN on coturn (`credential` for the
/// TURN user `agent`), signed in to SIP.
fn desktop_with_turn(sb: &Sandbox, k: &Kamailio, turn: &Coturn, name: &str, credential: &str) -> Browser {
    let servers = json!([format!("stun:127.0.0.1:{}", turn.port), format!("turn:127.0.0.1:{}?transport=udp", turn.port)]);
    let settings = json!({"sip": {"iceServers": servers, "iceUsername": "agent", "iceCredential": credential}});
    framed_desktop(sb, k, settings, name)
}

fn desktop_with_ice(sb: &Sandbox, k: &Kamailio, servers: Value, name: &str) -> Browser {
    framed_desktop(sb, k, json!({"sip": {"iceServers": servers}}), name)
}

fn framed_desktop(sb: &Sandbox, k: &Kamailio, settings: Value, name: &str) -> Browser {
    let record = json!({"title": "Phone", "configuration": settings.to_string()});
    let b = Browser::start(name, 1280, 800);
    b.goto(&format!("{}/?openframe={}", sb.origin, enc(&record.to_string())));
    enter(&b);
    sip_sign_in(&b, k, "1001");
    b
}

/// The check lines once none is running: (check, result, text).
fn check_lines(b: &Browser, want: usize) -> Vec<(String, String, String)> {
    wait_long("the checks to finish", 40, || {
        let v = b.exec("return Array.from(document.querySelectorAll('[data-testid=check]')).map(c => [c.dataset.check, c.dataset.result, c.textContent])", json!([]));
        let lines: Vec<(String, String, String)> = v.as_array()?.iter().map(|l| (l[0].as_str().unwrap().into(), l[1].as_str().unwrap().into(), l[2].as_str().unwrap().into())).collect();
        (lines.len() == want && lines.iter().all(|l| l.1 != "running")).then_some(lines)
    })
}

/// Clicks "Check my setup" once the run after sign-in (or an earlier click) has finished.
fn check_setup(b: &Browser) {
    b.wait_for("check my setup enabled", || (b.exec("return document.querySelector('[data-testid=check-setup]').disabled", json!([])) == json!(false)).then_some(()));
    b.click(&b.find("[data-testid=check-setup]"));
}

fn result<'a>(lines: &'a [(String, String, String)], check: &str) -> &'a (String, String, String) {
    lines.iter().find(|l| l.0 == check).unwrap_or_else(|| panic!("no {check} line: {lines:?}"))
}

#[test]
fn check_my_setup_passes_against_kamailio_coturn_and_the_sandbox() {
    let k = Kamailio::start();
    let turn = Coturn::start();
    let sb = Sandbox::start(&["--desktop-query", "demo=0"]);
    let b = desktop_with_turn(&sb, &k, &turn, "checks_ok", "secret");
    // It ran by itself after the SIP sign-in (no test tones then).
    b.click(&b.find("#tab-diagnostics"));
    let auto = check_lines(&b, 7);
    assert_eq!(result(&auto, "websocket").1, "pass", "{auto:?}");
    sn_sign_in(&b);
    check_setup(&b);
    // The live level meter shows while the microphone is measured.
    b.find("[data-testid=mic-level]");
    let lines = check_lines(&b, 9);
    for l in &lines {
        eprintln!("{:<10} {:<7} {}", l.0, l.1, l.2);
    }
    b.shot("check-my-setup.png");
    for check in ["mic", "speaker", "ringer", "websocket", "registered", "ice-host", "ice-stun", "ice-relay", "servicenow"] {
        assert_eq!(result(&lines, check).1, "pass", "{check}: {:?}", result(&lines, check));
    }
    assert!(result(&lines, "ice-relay").2.contains("relay address"));
}

#[test]
fn check_my_setup_says_what_to_do_with_wrong_turn_credentials() {
    let k = Kamailio::start();
    let turn = Coturn::start();
    let sb = Sandbox::start(&["--desktop-query", "demo=0"]);
    let b = desktop_with_turn(&sb, &k, &turn, "checks_bad_turn", "wrong-password");
    // After sign-in the check ran and a failure that stops calls says so on the phone panel.
    let notice = b.wait_for("setup notice", || b.try_find("[data-testid=phone-notice]").map(|n| b.text(&n)));
    assert!(notice.contains("Check my setup found problems"), "{notice}");
    b.click(&b.find("#tab-diagnostics"));
    check_setup(&b);
    let lines = check_lines(&b, 9);
    for l in &lines {
        eprintln!("{:<10} {:<7} {}", l.0, l.1, l.2);
    }
    let relay = result(&lines, "ice-relay");
    assert_eq!(relay.1, "fail", "{relay:?}");
    assert!(relay.2.contains("refused the TURN user name or password") && relay.2.contains("sip.iceCredential"), "{relay:?}");
    // The rest of the setup is fine, and ServiceNow says what to do (not signed in yet).
    assert_eq!(result(&lines, "websocket").1, "pass");
    assert_eq!(result(&lines, "ice-host").1, "pass");
    let sn = result(&lines, "servicenow");
    assert!(sn.1 == "fail" && sn.2.contains("not signed in to ServiceNow"), "{sn:?}");
    // And the support text says the same, without the TURN credential.
    b.click(&b.find("[data-testid=copy-diagnostics]"));
    b.find("[data-testid=copy-result]");
    let text = b.exec("const t = document.querySelector('[data-testid=diagnostics-text]'); return t ? t.value : ''", json!([])).as_str().unwrap_or("").to_string();
    if !text.is_empty() {
        assert!(text.contains("refused the TURN user name or password") && !text.contains("wrong-password"), "{text}");
    }
}

#[test]
fn check_my_setup_says_when_the_sip_server_and_the_stun_server_cannot_be_reached() {
    let mut k = Kamailio::start();
    let sb = Sandbox::start(&["--desktop-query", "demo=0"]);
    // A STUN server address where nothing listens.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let b = desktop_with_ice(&sb, &k, json!([format!("stun:127.0.0.1:{closed}")]), "checks_ws_down");
    k.stop();
    b.click(&b.find("#tab-diagnostics"));
    check_setup(&b);
    let lines = check_lines(&b, 9);
    let ws = result(&lines, "websocket");
    assert_eq!(ws.1, "fail", "{ws:?}");
    assert!(ws.2.contains("Cannot reach the SIP server at ws://127.0.0.1:") && ws.2.contains("check the address"), "{ws:?}");
    assert_eq!(result(&lines, "registered").1, "fail");
    let stun = result(&lines, "ice-stun");
    assert!(stun.1 == "fail" && stun.2.contains("did not answer"), "{stun:?}");
}
