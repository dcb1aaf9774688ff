//! The desktop against scripted far ends that behave as PBXs, carriers and queues do (issue 12): sipp
//! scenarios written from the RFCs, through Debian's Kamailio, each asserting what the desktop sent
//! (`<recv>` with `check_it` regular expressions). Grouped so that the slow one (42 s of ringing) runs
//! alongside the others.

use e2e::{answer, call_attr, desktop, dial, set_state, wait_state, Browser, Kamailio, Sandbox};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One sipp run on a chosen UDP port (a callee registers on the port its scenario then listens on).
struct Run {
    child: Option<Child>,
    dir: PathBuf,
    name: String,
}

const CALLEE_IP: &str = "127.0.0.2";

fn udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Run {
    fn start(scenario: &str, k: &Kamailio, service: &str, port: u16) -> Run {
        Run::start_with(scenario, k, service, port, &["-i", "127.0.0.1"])
    }

    /// A callee: on 127.0.0.2, because Kamailio takes 127.0.0.1 (its alias, any port) for itself and would
    /// not route a request whose target is there.
    fn callee(scenario: &str, k: &Kamailio, service: &str, port: u16) -> Run {
        Run::start_with(scenario, k, service, port, &["-i", CALLEE_IP])
    }

    /// Registers `user` (password "secret") from `port`, and waits for it.
    fn register(k: &Kamailio, user: &str, port: u16) {
        Run::start_with("register_callee.xml", k, user, port, &["-i", CALLEE_IP, "-au", user, "-ap", "secret"]).finish(Duration::from_secs(15));
    }

    fn start_with(scenario: &str, k: &Kamailio, service: &str, port: u16, extra: &[&str]) -> Run {
        Run::spawn(scenario, k, service, port, 1, extra)
    }

    /// `calls` calls of the scenario at once (all started within a fraction of a second).
    fn flood(scenario: &str, k: &Kamailio, service: &str, port: u16, calls: u32) -> Run {
        let n = calls.to_string();
        Run::spawn(scenario, k, service, port, calls, &["-i", "127.0.0.1", "-r", &n, "-rp", "100"])
    }

    fn spawn(scenario: &str, k: &Kamailio, service: &str, port: u16, calls: u32, extra: &[&str]) -> Run {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/sipp").join(scenario);
        let dir = std::env::temp_dir().join(format!("e2e-sippx-{}-{port}-{}", std::process::id(), scenario.replace('.', "_")));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("sipp")
            .arg(format!("127.0.0.1:{}", k.udp_port))
            .arg("-sf")
            .arg(&path)
            .args(["-s", service, "-p", &port.to_string(), "-m", &calls.to_string(), "-l", &calls.to_string()])
            .args(["-timeout", "90s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg", "-trace_logs"])
            .args(extra)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sipp (apt-get install sip-tester)");
        Run { child: Some(child), dir, name: scenario.to_string() }
    }

    /// Waits for the scenario; panics with sipp's traces unless it completed without error. Returns what it
    /// logged.
    fn finish(mut self, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut child = self.child.take().unwrap();
        let ok = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break false;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(ok, "sipp scenario {} failed:\n{}", self.name, self.traces());
        self.logged()
    }

    /// What the scenario wrote with `<log>` so far (one line per entry).
    fn logged(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().ends_with("_logs.log") {
                out.extend(std::fs::read_to_string(e.path()).unwrap_or_default().lines().filter(|l| !l.trim().is_empty()).map(str::to_string));
            }
        }
        out
    }

    fn traces(&self) -> String {
        let mut out = String::new();
        for e in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            out.push_str(&format!("--- {}\n{}\n", e.path().display(), std::fs::read_to_string(e.path()).unwrap_or_default()));
        }
        out
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if std::thread::panicking() && self.child.is_some() {
            eprintln!("sipp scenario {} was still running:\n{}", self.name, self.traces());
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cards(b: &Browser) -> Vec<String> {
    let v = b.exec("return Array.from(document.querySelectorAll('[data-testid=call]')).map(c => c.dataset.state)", json!([]));
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap_or("").to_string()).collect()
}

/// The index of the first call card in state `want`.
fn wait_card(b: &Browser, want: &str) -> usize {
    b.wait_for(&format!("a call {want}"), || cards(b).iter().position(|s| s == want))
}

fn agent_state(b: &Browser) -> String {
    b.exec("return document.querySelector('[data-testid=agent-state]').value", json!([])).as_str().unwrap_or("").to_string()
}

#[test]
fn sipp_callers_options_unknown_method_require_answered_elsewhere_and_late_offer() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let agent = desktop(&sb, &k, "sippx_callers", "1001");
    set_state(&agent, "ready");

    // OPTIONS: 200 with Allow; an unknown method: 501 with Allow.
    Run::start("options_unknown_method.xml", &k, "1001", udp_port()).finish(Duration::from_secs(20));
    // Require: 100rel: 420 with Unsupported, and no call for the agent.
    Run::start("require_100rel.xml", &k, "1001", udp_port()).finish(Duration::from_secs(20));
    assert!(cards(&agent).is_empty(), "a refused INVITE shows no call: {:?}", cards(&agent));

    // A ring-all queue cancels with Reason: SIP;cause=200: answered elsewhere, the agent stays Ready.
    let run = Run::start("cancel_answered_elsewhere.xml", &k, "1001", udp_port());
    wait_card(&agent, "Alerting");
    wait_card(&agent, "Ended(AnsweredElsewhere)");
    run.finish(Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(agent_state(&agent), "ready", "answered elsewhere is not a missed call");

    // Late offer: the agent answers an INVITE without SDP; our offer goes in the 200, the answer in the ACK.
    let run = Run::start("invite_without_sdp.xml", &k, "1001", udp_port());
    let n = wait_card(&agent, "Alerting");
    answer(&agent);
    wait_state(&agent, n, "Connected");
    wait_state(&agent, n, "Ended(RemoteHungUp)");
    run.finish(Duration::from_secs(30));
}

#[test]
fn sipp_callees_long_ringing_ack_cseq_unacceptable_reinvite_and_forked_answer() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let a = desktop(&sb, &k, "sippx_ring", "1001");
    let b = desktop(&sb, &k, "sippx_fork", "1002");
    // Two scripted callees, registered first, then listening on the same ports.
    let (p1, p2) = (udp_port(), udp_port());
    Run::register(&k, "2002", p1);
    Run::register(&k, "2003", p2);
    let ring = Run::callee("callee_long_ring_bad_reinvite.xml", &k, "2002", p1);
    let fork = Run::callee("callee_forked.xml", &k, "2003", p2);
    let started = Instant::now();
    dial(&a, "2002");
    dial(&b, "2003");

    // Forked: 183 from a, 200 from b, 200 from a. The call is up with b; a's dialog was ACKed and ended.
    wait_state(&b, 0, "Connected");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(call_attr(&b, 0, "data-state").as_deref(), Some("Connected"), "the other fork's 200 does not end the call");
    e2e::click_in_card(&b, 0, "hang-up");
    // Ended once the BYE leaves (RFC 3261 15.1.1): b answers it only 25 s later, past this wait's 15 s.
    wait_state(&b, 0, "Ended(HungUp)");

    // Meanwhile a registrar that is restarting answers 503 with Retry-After: 2. Kamailio passes it on as
    // 500 without the Retry-After (RFC 3261 16.7 step 6), so the desktop backs off per RFC 5626 4.5: the
    // line says when it will try again (15-30 s after a first failure), and registers by itself then.
    let p3 = udp_port();
    let upstream = Run::start("upstream_registrar_503.xml", &k, "upstream", p3);
    let c = Browser::start("sippx_503", 1280, 800);
    c.goto(&format!("{}?demo=0", sb.desktop_url));
    c.find(".desk[data-loaded=true]");
    c.send_keys(&c.find("[data-testid=sip-server]"), &k.ws_url());
    c.send_keys(&c.find("[data-testid=sip-user]"), &format!("upstream-{p3}"));
    c.send_keys(&c.find("[data-testid=sip-password]"), "secret");
    c.click(&c.find("[data-testid=sign-in-button]"));
    let failed = c.wait_for("the failure shown", || {
        c.try_find("[data-testid=sign-in-error]").map(|e| c.text(&e)).filter(|t| t.contains("trying again"))
    });
    let shown = Instant::now();
    eprintln!("registration failure shown: {failed}");
    while c.text(&c.find("[data-testid=line]")) != "SIP ready" {
        assert!(shown.elapsed() < Duration::from_secs(35), "not registered again: {}", c.text(&c.find("[data-testid=line]")));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(shown.elapsed() >= Duration::from_secs(13), "registered again too soon (no backoff): {:?}", shown.elapsed());
    upstream.finish(Duration::from_secs(10));

    // Long ringing: still ringing past Timer B (32 s) and past 40 s, then answered at 42 s.
    wait_state(&a, 0, "Ringing");
    while started.elapsed() < Duration::from_secs(40) {
        assert_eq!(call_attr(&a, 0, "data-state").as_deref(), Some("Ringing"), "after {:?}", started.elapsed());
        std::thread::sleep(Duration::from_millis(500));
    }
    wait_state(&a, 0, "Connected");
    // The callee's re-INVITE with an offer the browser cannot take gets 488 + Warning; the call goes on
    // until the callee's BYE.
    wait_state(&a, 0, "Ended(RemoteHungUp)");
    ring.finish(Duration::from_secs(30));
    // b has answered the BYE by now (25 s after it): its scenario checked every message it got.
    fork.finish(Duration::from_secs(20));
}

/// Installed before the desktop's own scripts: keeps every RTCPeerConnection, every getUserMedia stream and every
/// running oscillator (the ring tone is two of them, 620 + 780 Hz), so the test can see what is left.
const PROBES: &str = "(() => { const O = window.RTCPeerConnection; window.__pcs = []; \
    const W = function(...a) { const p = new O(...a); window.__pcs.push(p); return p; }; \
    W.prototype = O.prototype; window.RTCPeerConnection = W; \
    window.__gum = []; const md = navigator.mediaDevices, g = md.getUserMedia.bind(md); \
    md.getUserMedia = c => g(c).then(s => { window.__gum.push(s); return s; }); \
    window.__osc = new Set(); const S = AudioScheduledSourceNode.prototype, start = S.start, stop = S.stop; \
    S.start = function(...a) { if (this instanceof OscillatorNode) window.__osc.add(this); return start.apply(this, a); }; \
    S.stop = function(...a) { window.__osc.delete(this); return stop.apply(this, a); }; })();";

/// What the page holds now, in one script (so that a WebDriver error fails the test instead of reading as
/// "nothing"): call cards by state, whether the ring tone plays, open connections (of them, those holding a
/// far end's offer, and those with only our own offer: the next call's, prepared while Ready), and
/// microphone tracks still live.
const HELD: &str = "return { cards: [...document.querySelectorAll('[data-testid=call]')].map(c => c.dataset.state), \
    ring: [...window.__osc].some(o => o.frequency.value === 620), \
    open: window.__pcs.filter(p => p.signalingState !== 'closed').length, \
    offered: window.__pcs.filter(p => p.signalingState !== 'closed' && p.remoteDescription && p.remoteDescription.type === 'offer').length, \
    prepared: window.__pcs.filter(p => p.signalingState === 'have-local-offer').length, \
    mics: window.__gum.flatMap(s => s.getTracks()).filter(t => t.readyState === 'live').length }";

fn held(b: &Browser) -> serde_json::Value {
    let v = b.exec(HELD, json!([]));
    assert!(v["cards"].is_array() && v["ring"].is_boolean() && v["open"].is_u64() && v["mics"].is_u64(), "the page did not answer: {v}");
    v
}

/// The UA's bound on calls ringing at once (src/phone/sip/ua.rs).
const MAX_RINGING: usize = 4;

fn alerting(v: &serde_json::Value) -> usize {
    v["cards"].as_array().unwrap().iter().filter(|s| *s == "Alerting").count()
}

#[test]
fn hostile_sipp_invite_flood_rings_four_refuses_the_rest_busy_and_leaves_nothing_behind() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let agent = Browser::start("sippx_flood", 1280, 800);
    agent.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": PROBES}));
    agent.goto(&format!("{}?demo=0", sb.desktop_url));
    agent.find(".desk[data-loaded=true]");
    e2e::sip_sign_in(&agent, &k, "1001");
    set_state(&agent, "ready");
    let before = agent.wait_for("the next call's offer prepared", || {
        let v = held(&agent);
        (v["prepared"] == json!(1)).then_some(v)
    });
    eprintln!("flood: before, the page holds {before}");
    assert_eq!(before["ring"], json!(false), "{before}");

    // Twelve INVITEs, each a new call with an offer, all pending at once.
    let flood = Run::flood("invite_flood.xml", &k, "1001", udp_port(), 12);
    let mut most = 0;
    let logged = agent.wait_for("an answer to every INVITE at sipp", || {
        // Never more than four calls show, at any moment.
        let v = held(&agent);
        most = most.max(v["cards"].as_array().unwrap().len());
        assert!(most <= MAX_RINGING, "more calls shown than may ring: {v}");
        let l = flood.logged();
        (l.iter().filter(|l| l.starts_with("ring ") || l.starts_with("busy ")).count() >= 12).then_some(l)
    });
    let rang: Vec<&String> = logged.iter().filter(|l| l.starts_with("ring ")).collect();
    let busy: Vec<&String> = logged.iter().filter(|l| l.starts_with("busy ")).collect();
    assert_eq!((rang.len(), busy.len()), (MAX_RINGING, 12 - MAX_RINGING), "four ring, the rest are busy: {logged:?}");
    // Every 486 has its own To tag (sipp's regexp checked there is one; they differ from call to call).
    let tags: std::collections::HashSet<&str> = busy.iter().map(|l| l.split(' ').nth(2).unwrap_or("")).collect();
    assert_eq!(tags.len(), 8, "{busy:?}");

    // The desk: four alerting calls, the ring tone on; the page still takes the agent's action at once.
    let v = agent.wait_for("four calls alerting", || {
        let v = held(&agent);
        (alerting(&v) == 4).then_some(v)
    });
    assert_eq!(v["cards"].as_array().unwrap().len(), 4, "{v}");
    assert_eq!(v["ring"], json!(true), "the ring tone plays while calls alert: {v}");
    eprintln!("flood: while four calls alert the page holds {v}");
    let rejected = agent.exec(
        "const c = [...document.querySelectorAll('[data-testid=call]')].find(c => c.dataset.state === 'Alerting'); \
         c.querySelector('.actions .btn.danger').click(); return c.dataset.callId",
        json!([]),
    );
    let rejected = rejected.as_str().expect("a card to reject").to_string();
    agent.wait_for("the refused call ended", || {
        let s = agent.exec("return document.querySelector(`[data-testid=call][data-call-id='${arguments[0]}']`).dataset.state", json!([rejected]));
        (s.as_str() == Some("Ended(Rejected)")).then_some(())
    });
    // sipp saw the refusal in the early dialog (486 with the 180's tag) before giving up on the other three.
    let declined = agent.wait_for("sipp saw the 486 of the refused call", || flood.logged().into_iter().find(|l| l.starts_with("declined ")));

    // The three others are cancelled by the caller (CANCEL, 200, 487, ACK: sipp checks each and exits 0).
    let logged = flood.finish(Duration::from_secs(30));
    let cancelled: Vec<&String> = logged.iter().filter(|l| l.starts_with("cancelled ")).collect();
    assert_eq!(cancelled.len(), 3, "{logged:?}");
    for l in cancelled.into_iter().chain([&declined]) {
        // "cancelled <n> tag=<the 487's> after tag=<the 180's>": the final response ends the ringing dialog.
        let w: Vec<&str> = l.split(' ').collect();
        assert_eq!(w.get(2), w.get(4), "{l}");
    }

    // Nothing is left: no live card, no ring tone, no connection holding a caller's offer; only the next call's
    // prepared offer and its microphone (Ready), released on Not Ready.
    agent.wait_for("every call ended", || {
        let v = held(&agent);
        v["cards"].as_array().unwrap().iter().all(|s| s.as_str().unwrap().starts_with("Ended(")).then_some(())
    });
    let v = agent.wait_for("the ring tone and the callers' connections gone", || {
        let v = held(&agent);
        (v["ring"] == json!(false) && v["offered"] == json!(0)).then_some(v)
    });
    eprintln!("flood: after, the page holds {v}");
    assert!(v["open"].as_u64() <= before["open"].as_u64(), "no connection left of the calls (before: {before}): {v}");
    let not_ready = agent.exec("return [...document.querySelectorAll('[data-testid=agent-state] option')].map(o => o.value).find(v => v.startsWith('not-ready'))", json!([]));
    set_state(&agent, not_ready.as_str().unwrap());
    agent.wait_for("no connection and no microphone left", || {
        let v = held(&agent);
        (v["open"] == json!(0) && v["mics"] == json!(0)).then_some(())
    });

    // The phone keeps nothing of the flood: Ready again, the next caller rings (not Busy Here).
    set_state(&agent, "ready");
    let run = Run::start("cancel_answered_elsewhere.xml", &k, "1001", udp_port());
    agent.wait_for("the next call alerting", || (alerting(&held(&agent)) == 1).then_some(()));
    run.finish(Duration::from_secs(20));
}

#[test]
fn hostile_sipp_far_end_challenge_gets_no_credentials_and_the_next_call_carries_none() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let agent = desktop(&sb, &k, "sippx_far_auth", "1001");
    let (p1, p2) = (udp_port(), udp_port());
    Run::register(&k, "2004", p1);
    Run::register(&k, "2005", p2);

    // The far end answers 401 with a challenge for its own realm: the call ends, saying why; the UAS checked
    // that no INVITE came with credentials, that the 401 was acknowledged, and that the INVITE did not come again.
    let far = Run::callee("callee_far_challenge.xml", &k, "2004", p1);
    dial(&agent, "2004");
    let state = agent.wait_for("the call ended", || call_attr(&agent, 0, "data-state").filter(|s| s.starts_with("Ended(")));
    assert!(state.starts_with("Ended(Failed(") && state.contains("password for far.example"), "a clear reason: {state}");
    let shown = agent.text(&agent.find("[data-testid=call-state]"));
    assert!(shown.contains("far.example"), "the agent reads why: {shown}");
    far.finish(Duration::from_secs(20));

    // The next call goes to another callee: no credentials for that far end, nothing from its challenge.
    let next = Run::callee("callee_no_credentials.xml", &k, "2005", p2);
    dial(&agent, "2005");
    agent.wait_for("the second call ended", || cards(&agent).into_iter().find(|s| s.starts_with("Ended(Failed(") && s.contains("not available")));
    next.finish(Duration::from_secs(20));

    // Kamailio's side: what every INVITE of the desktop carried. Never an Authorization (the far end's kind of
    // credentials); only Proxy-Authorization for our own realm, and the 401 was acknowledged by the desktop too.
    let log = k.log();
    let invites: Vec<&str> = log.lines().filter(|l| l.contains("credentials of INVITE")).collect();
    let to = |n: &str| invites.iter().filter(|l| l.contains(&format!("sip:{n}@"))).copied().collect::<Vec<&str>>();
    assert_eq!(to("2004").len(), 2, "the first call: an INVITE, and again after our proxy's 407, nothing more: {invites:#?}");
    assert_eq!(to("2005").len(), 1, "the next call carries our proxy's credentials at once: {invites:#?}");
    for l in &invites {
        assert!(l.contains(": Authorization [<null>] Proxy-Authorization ["), "no INVITE carries an Authorization: {l}");
        assert!(!l.contains("far.example"), "{l}");
    }
    let proxy = to("2005")[0];
    assert!(proxy.contains("username=\"1001\"") && proxy.contains("realm=\"127.0.0.1\""), "our own realm only: {proxy}");
    assert!(log.lines().any(|l| l.contains("ACK sip:2004@") && l.contains("(ws)")), "the desktop acknowledged the 401");
}
