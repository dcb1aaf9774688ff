//! The desktop against scripted far ends that behave as PBXs, carriers and queues do (issue 12): sipp
//! scenarios written from the RFCs, through Debian's Kamailio, each asserting what the desktop sent
//! (`<recv>` with `check_it` regular expressions). Grouped so that the slow one (42 s of ringing) runs
//! alongside the others.

use e2e::{answer, call_attr, desktop, dial, set_state, wait_state, wait_text, Browser, Kamailio, Sandbox};
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

fn udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Run {
    fn start(scenario: &str, k: &Kamailio, service: &str, port: u16) -> Run {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/sipp").join(scenario);
        let dir = std::env::temp_dir().join(format!("e2e-sippx-{}-{port}-{}", std::process::id(), scenario.replace('.', "_")));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("sipp")
            .arg(format!("127.0.0.1:{}", k.udp_port))
            .arg("-sf")
            .arg(&path)
            .args(["-s", service, "-i", "127.0.0.1", "-p", &port.to_string(), "-m", "1", "-l", "1"])
            .args(["-timeout", "90s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sipp (apt-get install sip-tester)");
        Run { child: Some(child), dir, name: scenario.to_string() }
    }

    /// Waits for the scenario; panics with sipp's traces unless it completed without error.
    fn finish(mut self, timeout: Duration) {
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
    Run::start("register_callee.xml", &k, "2002", p1).finish(Duration::from_secs(15));
    Run::start("register_callee.xml", &k, "2003", p2).finish(Duration::from_secs(15));
    let ring = Run::start("callee_long_ring_bad_reinvite.xml", &k, "2002", p1);
    let fork = Run::start("callee_forked.xml", &k, "2003", p2);
    let started = Instant::now();
    dial(&a, "2002");
    dial(&b, "2003");

    // Forked: 183 from a, 200 from b, 200 from a. The call is up with b; a's dialog was ACKed and ended.
    wait_state(&b, 0, "Connected");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(call_attr(&b, 0, "data-state").as_deref(), Some("Connected"), "the other fork's 200 does not end the call");
    e2e::click_in_card(&b, 0, "hang-up");
    wait_state(&b, 0, "Ended(HungUp)");
    fork.finish(Duration::from_secs(20));

    // Meanwhile a registrar that is restarting answers 503 with Retry-After: 2: the line says it will try
    // again, and registers by itself, not at once.
    let p3 = udp_port();
    let upstream = Run::start("upstream_registrar_503.xml", &k, "upstream", p3);
    let c = Browser::start("sippx_503", 1280, 800);
    c.goto(&format!("{}?demo=0", sb.desktop_url));
    c.find(".desk[data-loaded=true]");
    c.send_keys(&c.find("[data-testid=sip-server]"), &k.ws_url());
    c.send_keys(&c.find("[data-testid=sip-user]"), &format!("upstream-{p3}"));
    c.send_keys(&c.find("[data-testid=sip-password]"), "secret");
    c.click(&c.find("[data-testid=sign-in-button]"));
    let failed = c.wait_for("503 shown", || c.try_find("[data-testid=sign-in-error]").map(|e| c.text(&e)).filter(|t| t.contains("503")));
    let shown = Instant::now();
    assert!(failed.contains("trying again"), "{failed}");
    wait_text(&c, "[data-testid=line]", "SIP ready");
    assert!(shown.elapsed() >= Duration::from_millis(1500), "registered again before Retry-After: {:?}", shown.elapsed());
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
}
