//! Call set-up latency on the SIP line through Kamailio (figures, not a timed test): two desktops, both
//! Ready (media prepared), 12 calls from one to the other. Measured in the browsers, never over WebDriver:
//! - dial-to-INVITE: `performance.now()` just before the Call button's `click()`, to the page's
//!   `sip-invite-sent` mark (the INVITE handed to the WebSocket; read once the callee alerts, so after a
//!   407 challenge it is the INVITE sent again with credentials, the one that reached the callee);
//! - INVITE-to-alert: the callee's `sip-invite-received` mark (the INVITE read from the WebSocket), to the
//!   animation frame that paints the alerting card (a MutationObserver sees the card, then
//!   `requestAnimationFrame`);
//! - answer-to-200: `performance.now()` just before the Answer button's `click()`, to the `sip-200-sent` mark.
//! Each call also carries audio both ways (packets counted from the peer connections' statistics).
//! `SHIFT_LATENCY_STAGES=1` also prints, per call, the browser calls on the way (see [`STAGES`]).

use e2e::{call_attr, finish_wrap_up, set_state, sip_sign_in, wait_rx_above, wait_state, Browser, Kamailio, Sandbox};
use serde_json::json;
use std::time::Duration;

const CALLS: usize = 12;

/// Watches for an alerting card and records when the frame that paints it starts (page time), and when the
/// card was seen in the page (`__seen`, for the stages).
const WATCH_ALERTS: &str = r#"
window.__alerts = []; window.__seen = [];
new MutationObserver(() => {
  const c = document.querySelector('[data-testid=call][data-state=Alerting]');
  if (c && !c.__seen) { c.__seen = true; window.__seen.push(performance.now()); requestAnimationFrame(() => window.__alerts.push(performance.now())); }
}).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
"#;

/// With `SHIFT_LATENCY_STAGES=1`: where the time goes. Runs before the desktop's own code and records in
/// `window.__st` ([what, start, end] in page time) each browser call on the way: getUserMedia, the peer
/// connection's createOffer / createAnswer / setLocalDescription / setRemoteDescription (start to settle; for
/// setLocalDescription, the candidates in the local description then), ICE gathering state changes and each
/// candidate surfaced, and each message handed to the WebSocket. The page's performance marks come with them.
const STAGES: &str = r#"(() => {
window.__st = [];
const rec = (name, t0) => window.__st.push([name, t0, performance.now()]);
const cands = (pc) => { const d = pc.localDescription; return d ? (d.sdp.match(/^a=candidate/gm) || []).length : 0; };
const wrap = (proto, name) => { const f = proto[name]; proto[name] = function(...a) {
  const t0 = performance.now(); const r = f.apply(this, a);
  const done = () => rec(name === 'setLocalDescription' ? name + ' (' + cands(this) + ' candidates)' : name, t0);
  if (r && r.then) r.then(done, () => rec(name + ' failed', t0)); else done(); return r; }; };
for (const n of ['createOffer', 'createAnswer', 'setLocalDescription', 'setRemoteDescription']) wrap(RTCPeerConnection.prototype, n);
wrap(MediaDevices.prototype, 'getUserMedia');
const O = window.RTCPeerConnection;
const W = function(...a) { const p = new O(...a); const t0 = performance.now(); rec('new RTCPeerConnection', t0);
  p.addEventListener('icegatheringstatechange', () => rec('ICE ' + p.iceGatheringState + ' (' + cands(p) + ' candidates)', t0));
  p.addEventListener('icecandidate', (e) => rec('candidate ' + (e.candidate ? e.candidate.type : 'end'), t0)); return p; };
W.prototype = O.prototype; window.RTCPeerConnection = W;
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function(d) { const t0 = performance.now(); send.call(this, d);
  if (typeof d === 'string') rec('ws.send ' + d.split('\r\n')[0].slice(0, 40), t0); };
})();"#;

/// The stages recorded since `t0`, relative to it: "what start..end" (ms).
fn stages(b: &Browser, t0: f64) -> String {
    let v = b.exec(
        "return (window.__st ? window.__st.filter(e => e[2] >= arguments[0]) : []).concat(performance.getEntriesByType('mark')
           .filter(m => m.startTime >= arguments[0]).map(m => ['mark ' + m.name, m.startTime, m.startTime]))",
        json!([t0]),
    );
    let mut out = Vec::new();
    for e in v.as_array().into_iter().flatten() {
        let (n, s, f) = (e[0].as_str().unwrap_or(""), e[1].as_f64().unwrap_or(0.0) - t0, e[2].as_f64().unwrap_or(0.0) - t0);
        out.push(format!("{n} {s:.1}..{f:.1}"));
    }
    out.join("; ")
}

fn latency_desktop(sb: &Sandbox, k: &Kamailio, name: &str, user: &str, staged: bool) -> Browser {
    let b = Browser::start(name, 1280, 800);
    if staged {
        b.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": STAGES}));
    }
    b.goto(&format!("{}?demo=0", sb.desktop_url));
    b.find(".desk[data-loaded=true]");
    sip_sign_in(&b, k, user);
    b
}

/// The latest mark `name` later than `after`, in page time.
fn mark_after(b: &Browser, name: &str, after: f64) -> f64 {
    b.wait_for(&format!("mark {name}"), || {
        let v = b.exec("const e = performance.getEntriesByName(arguments[0]); return e.length ? e[e.length - 1].startTime : null;", json!([name]));
        v.as_f64().filter(|t| *t > after)
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    (v[(v.len() - 1) / 2] + v[v.len() / 2]) / 2.0
}

fn figures(v: &[f64]) -> String {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    format!("median {:.1} ms over {} calls (min {min:.1}, max {max:.1})", median(v.to_vec()), v.len())
}

#[test]
fn call_set_up_latency_through_kamailio() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let staged = std::env::var("SHIFT_LATENCY_STAGES").is_ok_and(|v| v == "1");
    let a = latency_desktop(&sb, &k, "latency_a", "1001", staged);
    let b = latency_desktop(&sb, &k, "latency_b", "1002", staged);
    b.exec(WATCH_ALERTS, json!([]));
    let (mut dial, mut alert, mut answer) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..CALLS {
        set_state(&a, "ready");
        set_state(&b, "ready");
        // Media is prepared on the line's clock (every 500 ms) while Ready.
        std::thread::sleep(Duration::from_millis(1_500));
        let t0 = a.exec(
            "const i = document.querySelector('[data-testid=dial-input]'); i.value = '1002'; i.dispatchEvent(new Event('input'));
             const t0 = performance.now(); document.querySelector('[data-testid=dial-button]').click(); return t0;",
            json!([]),
        );
        let t0 = t0.as_f64().unwrap();
        // Read once the callee alerts: the latest INVITE is then the one that reached it (after a 407
        // challenge, the INVITE sent again with credentials).
        wait_state(&b, 0, "Alerting");
        dial.push(mark_after(&a, "sip-invite-sent", t0) - t0);
        if staged {
            println!("stages dial {n}: {:.1} ms: {}", dial[n], stages(&a, t0));
        }
        let received = mark_after(&b, "sip-invite-received", 0.0);
        let painted = b.wait_for("alert painted", || {
            let v = b.exec("return window.__alerts.length ? window.__alerts[window.__alerts.length - 1] : null", json!([]));
            v.as_f64().filter(|t| *t > received)
        });
        alert.push(painted - received);
        if staged {
            let seen = b.exec("return window.__seen[window.__seen.length - 1]", json!([])).as_f64().unwrap_or(0.0) - received;
            println!("stages alert {n}: {:.1} ms: card in the page {seen:.1}; {}", alert[n], stages(&b, received));
        }
        let t0 = b.exec(
            "const x = [...document.querySelectorAll('[data-testid=call] button')].find(e => e.textContent === 'Answer');
             const t0 = performance.now(); x.click(); return t0;",
            json!([]),
        );
        let t0 = t0.as_f64().unwrap();
        answer.push(mark_after(&b, "sip-200-sent", t0) - t0);
        if staged {
            println!("stages answer {n}: {:.1} ms: {}", answer[n], stages(&b, t0));
        }
        wait_state(&a, 0, "Connected");
        wait_state(&b, 0, "Connected");
        if n == 0 || n == CALLS - 1 {
            // The prepared media carries audio both ways.
            wait_rx_above(&a, 0, 40);
            wait_rx_above(&b, 0, 40);
        }
        a.exec("document.querySelector('[data-testid=call] [data-testid=hang-up]').click()", json!([]));
        wait_state(&b, 0, "Ended(RemoteHungUp)");
        finish_wrap_up(&a, "Resolved", "latency");
        finish_wrap_up(&b, "Resolved", "latency");
        // Wrapped up: the cards leave the panel (a build without that rule is cleared by hand).
        for x in [&a, &b] {
            x.exec("const c = [...document.querySelectorAll('[data-testid=call] button')].find(e => e.textContent === 'Clear'); if (c) c.click();", json!([]));
            x.wait_for("the card leaves", || call_attr(x, 0, "data-state").is_none().then_some(()));
        }
    }
    println!("BENCH dial-to-INVITE: {} (performance.now() before the Call button's click() to the INVITE handed to the WebSocket, a `sip-invite-sent` performance mark)", figures(&dial));
    println!("BENCH INVITE-to-alert: {} (the INVITE read from the WebSocket, a `sip-invite-received` mark, to the animation frame that paints the alerting card)", figures(&alert));
    println!("BENCH answer-to-200: {} (performance.now() before the Answer button's click() to the 200 OK handed to the WebSocket, a `sip-200-sent` mark)", figures(&answer));
}
