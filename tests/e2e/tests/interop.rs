//! Interop with the SIP world outside the browser, with audio checked by what is heard.
//!
//! The bed: Kamailio (tests/kamailio, started with WITH_RTPENGINE) anchoring media in rtpengine between the
//! desktop's WebRTC (DTLS-SRTP, ICE) and plain RTP/AVP; baresip as a plain SIP phone over UDP. Every party sends
//! its own tone (the desktop: Chromium's fake microphone playing a generated WAV; baresip: ausine) and each side's
//! ears are checked: the desktop's remote audio through a Web Audio analyser, baresip's recording (sndfile) in
//! Rust (Goertzel at the candidate tones). Each step is written to the interop matrix (peers::step).
//! baresip 1.0 stops feeding its recorder after a re-INVITE changes its stream (its audio player restarts), so
//! checks by baresip's ears come before any re-INVITE of that call.

use e2e::audio::{browser_hears_until, write_tone, Heard, TONE_AGENT_A, TONE_AGENT_B, TONE_AGENT_C, TONE_BARESIP, TONE_JS_PEER};
use e2e::peers::{step, Baresip, Coturn, JsPeer, Rtpengine};
use e2e::{answer, artifacts_dir, call_attr, click_in_card, dial, enter, finish_wrap_up, set_state, sip_sign_in, wait_state, Browser, Kamailio, Sandbox};
use serde_json::json;
use std::time::Duration;

/// A desktop on the SIP line whose microphone plays a `tone` Hz sine.
pub fn agent(sb: &Sandbox, k: &Kamailio, name: &str, user: &str, tone: u32) -> Browser {
    let wav = write_tone(&artifacts_dir(), tone);
    let b = Browser::start_with(name, 1280, 800, &[format!("--use-file-for-fake-audio-capture={}", wav.display())]);
    b.goto(&format!("{}?demo=0", sb.desktop_url));
    b.find(".desk[data-loaded=true]");
    sip_sign_in(&b, k, user);
    b
}

/// What baresip hears during the next `secs` seconds (only audio it receives in that time counts).
fn baresip_listens(bs: &Baresip, secs: f64) -> Heard {
    let before = bs.heard();
    let from = before.samples.len() as f64 / before.rate as f64;
    std::thread::sleep(Duration::from_secs_f64(secs));
    let pcm = bs.heard();
    e2e::audio::analyse_span(&pcm, from, from + secs, &e2e::audio::ALL_TONES)
}

/// Polls baresip's ears until `ok` (up to 12 s, 1.5 s stretches); returns the last result.
fn baresip_hears_until(bs: &Baresip, ok: impl Fn(&Heard) -> bool) -> Heard {
    let deadline = std::time::Instant::now() + Duration::from_secs(12);
    loop {
        let h = baresip_listens(bs, 1.5);
        if ok(&h) || std::time::Instant::now() > deadline {
            return h;
        }
    }
}

fn hears_only(h: &Heard, tone: u32) -> bool {
    !h.silent() && h.tones == vec![tone]
}

/// Both ends hear each other's tone, and only that.
fn talk(a: &Browser, bs: &Baresip) {
    let h = browser_hears_until(a, -1, |h| hears_only(h, TONE_BARESIP));
    assert!(hears_only(&h, TONE_BARESIP), "the agent should hear baresip's {TONE_BARESIP} Hz: {h:?}");
    let h = baresip_hears_until(bs, |h| hears_only(h, TONE_AGENT_A));
    assert!(hears_only(&h, TONE_AGENT_A), "baresip should hear the agent's {TONE_AGENT_A} Hz: {h:?}");
}

fn press_mute(a: &Browser) {
    a.exec(
        "document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'm', code: 'KeyM', altKey: true, bubbles: true}))",
        json!([]),
    );
}

#[test]
fn desktop_calls_baresip_through_rtpengine_talk_hold_mute_dtmf_hang_up() {
    let rtp = Rtpengine::start();
    let k = Kamailio::start_with_rtpengine(&rtp);
    let sb = Sandbox::start(&[]);
    let bs = Baresip::start(&k, "2001", TONE_BARESIP);
    let a = agent(&sb, &k, "interop_out", "1001", TONE_AGENT_A);
    let peer = "baresip";

    step(peer, "desktop calls: ringing", || {
        dial(&a, "2001");
        bs.wait_event("CALL_INCOMING");
        wait_state(&a, 0, "Ringing");
    });
    step(peer, "desktop calls: answer", || {
        bs.command("accept", "");
        wait_state(&a, 0, "Connected");
    });
    step(peer, "desktop calls: talk (tones both ways)", || talk(&a, &bs));
    step(peer, "mute: far end hears silence, agent still hears", || {
        press_mute(&a);
        a.find("[data-testid=muted]");
        let h = baresip_hears_until(&bs, |h| h.silent());
        assert!(h.silent(), "baresip should hear nothing from a muted agent: {h:?}");
        let h = browser_hears_until(&a, -1, |h| hears_only(h, TONE_BARESIP));
        assert!(hears_only(&h, TONE_BARESIP), "the muted agent still hears baresip: {h:?}");
        press_mute(&a);
        a.wait_for("unmuted", || a.absent("[data-testid=muted]").then_some(()));
        talk(&a, &bs);
    });
    // baresip 1.0 (behind rtpengine 10.5) logs only the first RFC 4733 event of a call ("received event: '5'"),
    // whoever sends them (a SIP.js sender shows the same), so one digit is checked here.
    step(peer, "DTMF RFC 4733 reaches baresip", || {
        click_in_card(&a, 0, "keypad-toggle");
        a.exec("document.querySelector('[data-key=\"5\"]').click()", json!([]));
        bs.wait_log("DTMF digit 5", Duration::from_secs(10), |l| l.contains("received event: '5'"));
        a.wait_for("DTMF note", || a.try_find("[data-testid=call-note]").map(|n| a.text(&n)).filter(|t| t.contains("Sent in the audio: 5")));
    });
    // baresip 1.0 stops feeding its recorder after any re-INVITE (its player restarts), so its ears are used
    // before the first one; the hold is checked at the agent's ears: baresip holds the agent.
    step(peer, "far end holds: agent hears silence, then hears again", || {
        bs.command("hold", "");
        let h = browser_hears_until(&a, -1, |h| h.silent());
        assert!(h.silent(), "the agent, held by baresip, should hear silence: {h:?}");
        bs.command("resume", "");
        let h = browser_hears_until(&a, -1, |h| hears_only(h, TONE_BARESIP));
        assert!(hears_only(&h, TONE_BARESIP), "the agent should hear baresip again after it resumed: {h:?}");
    });
    step(peer, "desktop hangs up", || {
        click_in_card(&a, 0, "hang-up");
        bs.wait_event("CALL_CLOSED");
        wait_state(&a, 0, "Ended(HungUp)");
    });
}

#[test]
fn baresip_calls_desktop_through_rtpengine_and_hangs_up() {
    let rtp = Rtpengine::start();
    let k = Kamailio::start_with_rtpengine(&rtp);
    let sb = Sandbox::start(&[]);
    let bs = Baresip::start(&k, "2002", TONE_BARESIP);
    let a = agent(&sb, &k, "interop_in", "1001", TONE_AGENT_A);
    set_state(&a, "ready");
    let peer = "baresip";

    step(peer, "calls desktop: alerting", || {
        bs.dial(&k, "1001");
        wait_state(&a, 0, "Alerting");
        bs.wait_event("CALL_RINGING");
    });
    step(peer, "calls desktop: answer", || {
        answer(&a);
        wait_state(&a, 0, "Connected");
        bs.wait_event("CALL_ESTABLISHED");
    });
    step(peer, "calls desktop: talk (tones both ways)", || talk(&a, &bs));
    step(peer, "far end hangs up", || {
        bs.command("hangup", "");
        wait_state(&a, 0, "Ended(RemoteHungUp)");
        finish_wrap_up(&a, "Resolved", "Interop call");
    });
    // A second call, answered.
    let n = bs.events().len();
    bs.dial(&k, "1001");
    wait_state(&a, last_card(&a), "Alerting");
    answer(&a);
    bs.wait_event_after("CALL_ESTABLISHED", n);
    // The agent's page reloads mid-call: the desktop takes the call back with an INVITE with Replaces (RFC 3891)
    // through Kamailio and rtpengine, or, if the far end refuses, ends it with the reason. Which one is recorded.
    let taken_back = step(peer, "reload mid-call: taken back or ended with the reason", || {
        let before = bs.events().len();
        std::thread::sleep(Duration::from_secs(2));
        a.exec("location.reload()", json!([]));
        a.find(".desk[data-loaded=true]");
        let t0 = std::time::Instant::now();
        let outcome = wait_long(&a, Duration::from_secs(90), || {
            let state = call_attr(&a, last_card(&a), "data-state").unwrap_or_default();
            if state.starts_with("Ended") {
                return Some(Err(state));
            }
            let replaced = bs.events().iter().skip(before).any(|e| e["type"] == json!("CALL_ESTABLISHED"));
            (replaced && state == "Connected").then_some(Ok(()))
        });
        eprintln!("reload outcome after {:?}: {outcome:?}; baresip events since: {:?}", t0.elapsed(), bs.events().iter().skip(before).map(|e| e["type"].clone()).collect::<Vec<_>>());
        match outcome {
            Ok(()) => {
                talk(&a, &bs);
                true
            }
            Err(state) => {
                assert!(state.starts_with("Ended(Failed"), "the call should end with a reason: {state}");
                eprintln!("reload with baresip: the call was not taken back: {state}; baresip log:\n{}", bs.log());
                false
            }
        }
    });
    // Which outcome: baresip 1.0 has no RFC 3891 support; it rings on the INVITE with Replaces as on a new call,
    // and the desktop ends the call when nobody answers it.
    e2e::peers::record(peer, &format!("reload mid-call outcome: {}", if taken_back { "taken back" } else { "ended with the reason" }), true);
    if taken_back {
        bs.command("hangup", "");
        wait_state(&a, last_card(&a), "Ended(RemoteHungUp)");
    }
}

/// Polls `f` until it gives a value, for up to `limit`.
fn wait_long<T>(b: &Browser, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if std::time::Instant::now() > deadline {
            let _ = b.shot("interop-wait-timeout.png");
            panic!("timed out after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The index of the newest call card.
fn last_card(b: &Browser) -> usize {
    let n = b.exec("return document.querySelectorAll('[data-testid=call]').length", json!([])).as_u64().unwrap_or(0) as usize;
    n.saturating_sub(1)
}

/// The agent `a` and the JS peer `p` hear each other's tone (`a_tone` from the agent).
fn talk_js(a: &Browser, a_tone: u32, p: &JsPeer) {
    let h = browser_hears_until(a, -1, |h| hears_only(h, TONE_JS_PEER));
    assert!(hears_only(&h, TONE_JS_PEER), "the agent should hear {}'s {TONE_JS_PEER} Hz: {h:?}", p.stack);
    let h = browser_hears_until(&p.b, -1, |h| hears_only(h, a_tone));
    assert!(hears_only(&h, a_tone), "{} should hear the agent's {a_tone} Hz: {h:?}", p.stack);
}

/// A browser SIP stack against two desktops: it calls the agent (ringing, answer, talk, it holds, it hangs up);
/// the agent calls it (ringing, answer, talk, the agent holds), then blind-transfers it to a second desktop
/// (it follows the REFER and talks to the second agent), who consults the first agent and completes a
/// consultative transfer (the peer follows a REFER with Replaces and talks to the first agent), who hangs up.
fn js_peer_against_desktops(stack: &str, label: &str) {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let files = JsPeer::files();
    let a = agent(&sb, &k, &format!("{stack}_agent_a"), "1001", TONE_AGENT_A);
    let c = agent(&sb, &k, &format!("{stack}_agent_c"), "1003", TONE_AGENT_B);
    let p = JsPeer::open(&files, stack, &k, "3001", TONE_JS_PEER);
    set_state(&a, "ready");
    set_state(&c, "ready");

    step(label, "calls desktop: caller sees ringing", || {
        p.run("call('1001')");
        wait_state(&a, 0, "Alerting");
        p.wait_state("ringing");
    });
    step(label, "calls desktop: answer", || {
        answer(&a);
        wait_state(&a, 0, "Connected");
        p.wait_state("talking");
    });
    step(label, "calls desktop: talk (tones both ways)", || talk_js(&a, TONE_AGENT_A, &p));
    step(label, "far end holds: agent hears silence", || {
        p.b.exec_async("const done = arguments[arguments.length - 1]; Promise.resolve(peer.hold(true)).then(() => done(''));", json!([]));
        p.wait_log("held");
        let h = browser_hears_until(&a, -1, |h| h.silent());
        assert!(h.silent(), "the agent, held by {stack}, should hear silence: {h:?}");
        p.b.exec_async("const done = arguments[arguments.length - 1]; Promise.resolve(peer.hold(false)).then(() => done(''));", json!([]));
        p.wait_log("resumed");
        talk_js(&a, TONE_AGENT_A, &p);
    });
    step(label, "far end hangs up", || {
        p.run("hangup()");
        wait_state(&a, 0, "Ended(RemoteHungUp)");
        finish_wrap_up(&a, "Resolved", "Interop call");
    });
    step(label, "desktop calls: ringing", || {
        dial(&a, "3001");
        p.wait_state("alerting");
        wait_state(&a, last_card(&a), "Ringing");
    });
    step(label, "desktop calls: answer", || {
        p.run("answer()");
        wait_state(&a, last_card(&a), "Connected");
        p.wait_state("talking");
    });
    step(label, "desktop calls: talk (tones both ways)", || talk_js(&a, TONE_AGENT_A, &p));
    step(label, "hold: held side hears silence", || {
        let n = last_card(&a);
        click_in_card(&a, n, "hold");
        wait_state(&a, n, "Held");
        let h = browser_hears_until(&p.b, -1, |h| h.silent());
        assert!(h.silent(), "{stack}, held, should hear silence: {h:?}");
        click_in_card(&a, n, "hold");
        wait_state(&a, n, "Connected");
        talk_js(&a, TONE_AGENT_A, &p);
    });
    step(label, "blind transfer to a second desktop", || {
        let n = last_card(&a);
        click_in_card(&a, n, "transfer-toggle");
        a.send_keys(&a.find("[data-testid=transfer-target]"), "1003");
        a.click(&a.find("[data-testid=blind-transfer]"));
        wait_state(&c, 0, "Alerting");
        answer(&c);
        wait_state(&c, 0, "Connected");
        wait_state(&a, n, "Ended(Transferred)");
        talk_js(&c, TONE_AGENT_B, &p);
    });
    // Consultative: the second desktop (talking to the peer now) consults the first agent, then completes the
    // transfer: the desktop sends the peer a REFER whose Refer-To carries Replaces (RFC 3891, RFC 5589); the JS
    // stack calls the first agent with that Replaces, which takes the place of the consultation call there.
    step(label, "consultative transfer (REFER with Replaces): transferee hears the target", || {
        finish_wrap_up(&a, "Resolved", "Interop call");
        set_state(&a, "ready");
        let n = cards(&a);
        let refers = p.log().iter().filter(|l| l.starts_with("refer ")).count();
        click_in_card(&c, 0, "transfer-toggle");
        c.send_keys(&c.find("[data-testid=transfer-target]"), "1001");
        c.click(&c.find("[data-testid=consult]"));
        wait_state(&c, 0, "Held");
        a.wait_for("the consultation call", || (cards(&a) > n).then_some(()));
        wait_state(&a, n, "Alerting");
        answer(&a);
        wait_state(&c, 1, "Connected");
        click_in_card(&c, 0, "complete-transfer");
        wait_state(&c, 0, "Ended(Transferred)");
        // At A the peer's new call (INVITE with Replaces) replaces the consultation call.
        a.wait_for("the replacing call", || (cards(&a) > n + 1).then_some(()));
        wait_state(&a, n + 1, "Connected");
        let replaced = a.wait_for("the consultation call ended", || call_attr(&a, n, "data-state").filter(|s| s.starts_with("Ended")));
        eprintln!("{stack}: at the target the consultation call ended as {replaced}");
        let log = p.log();
        assert_eq!(log.iter().filter(|l| l.starts_with("refer ")).count(), refers + 1, "{stack} should have had one more REFER: {log:?}");
        // The transferee hears the target, the target hears the transferee, and the transferor is out.
        talk_js(&a, TONE_AGENT_A, &p);
        b_has_no_live_calls(&c);
    });
    step(label, "desktop hangs up", || {
        let n = last_card(&a);
        click_in_card(&a, n, "hang-up");
        p.wait_state("ended");
        assert_eq!(call_attr(&a, n, "data-state").as_deref(), Some("Ended(HungUp)"));
    });
}

/// How many call cards the desktop shows.
fn cards(b: &Browser) -> usize {
    b.exec("return document.querySelectorAll('[data-testid=call]').length", json!([])).as_u64().unwrap_or(0) as usize
}

/// Every call card of `b` has ended.
fn b_has_no_live_calls(b: &Browser) {
    b.wait_for("no live calls", || {
        let states = b.exec("return Array.from(document.querySelectorAll('[data-testid=call]')).map(c => c.dataset.state)", json!([]));
        states.as_array().unwrap().iter().all(|s| s.as_str().unwrap_or("").starts_with("Ended")).then_some(())
    });
}

#[test]
fn sip_js_page_calls_and_is_called_held_and_transferred() {
    js_peer_against_desktops("sipjs", "SIP.js");
}

#[test]
fn jssip_page_calls_and_is_called_held_and_transferred() {
    js_peer_against_desktops("jssip", "JsSIP");
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// One call, two settings an admin sets in the same record: relay-only ICE through coturn, and DTMF by SIP INFO.
#[test]
fn relay_only_call_through_coturn_over_tcp_and_dtmf_by_sip_info() {
    let rtp = Rtpengine::start();
    let k = Kamailio::start_with_rtpengine(&rtp);
    let turn = Coturn::start();
    let sb = Sandbox::start(&["--desktop-query", "demo=0"]);
    let bs = Baresip::start(&k, "2003", TONE_BARESIP);
    let peer = "baresip";
    // The admin's settings (the OpenFrame configuration record): TURN over TCP only, relay-only ICE, and DTMF by
    // SIP INFO (application/dtmf-relay) instead of in the audio.
    let settings = json!({"sip": {
        "iceServers": [format!("turn:127.0.0.1:{}?transport=tcp", turn.port)],
        "iceUsername": "agent", "iceCredential": "secret", "iceTransportPolicy": "relay", "dtmf": "info"
    }});
    let record = json!({"title": "Phone", "configuration": settings.to_string()});
    let wav = write_tone(&artifacts_dir(), TONE_AGENT_A);
    let a = Browser::start_with("interop_turn", 1280, 800, &[format!("--use-file-for-fake-audio-capture={}", wav.display())]);
    a.goto(&format!("{}/?openframe={}", sb.origin, enc(&record.to_string())));
    enter(&a);
    sip_sign_in(&a, &k, "1001");

    step(peer, "relay-only ICE through coturn (TURN over TCP): talk", || {
        dial(&a, "2003");
        bs.wait_event("CALL_INCOMING");
        bs.command("accept", "");
        wait_state(&a, 0, "Connected");
        talk(&a, &bs);
        // Relay-only: the only way media can flow is through a TURN allocation (over TCP) on coturn.
        let log = turn.log();
        let allocated = log.lines().filter(|l| l.contains("user <agent>") && l.contains("ALLOCATE processed, success")).count();
        let tcp = log.lines().any(|l| l.contains("tcp or tls connected to"));
        eprintln!("coturn: {allocated} allocations for agent; {}", log.lines().filter(|l| l.contains("user <agent>")).take(3).collect::<Vec<_>>().join(" | "));
        assert!(allocated > 0 && tcp, "no TCP allocation for the agent in coturn's log:\n{log}");
    });
    // baresip 1.0 takes DTMF from an INFO with an application/dtmf-relay body ("Signal=7"): it logs
    // "call: received DTMF: '7'" and reports CALL_DTMF_START with the digit over ctrl_tcp.
    step(peer, "DTMF by SIP INFO reaches baresip", || {
        click_in_card(&a, 0, "keypad-toggle");
        let before = bs.events().len();
        let mut sent = String::new();
        for digit in ["7", "#", "1"] {
            sent.push_str(digit);
            a.exec("document.querySelector(`[data-key=\"${arguments[0]}\"]`).click()", json!([digit]));
            bs.wait_log(&format!("DTMF {digit} by INFO"), Duration::from_secs(10), |l| l.contains(&format!("call: received DTMF: '{digit}'")));
            a.wait_for("DTMF note", || a.try_find("[data-testid=call-note]").map(|n| a.text(&n)).filter(|t| t.contains(&format!("Sent by SIP INFO: {sent}"))));
        }
        let got: Vec<String> = bs.events().iter().skip(before).filter(|e| e["type"] == json!("CALL_DTMF_START")).map(|e| e["param"].as_str().unwrap_or("").to_string()).collect();
        assert_eq!(got, ["7", "#", "1"], "baresip's DTMF events, in order");
        // And none of them went in the audio (RFC 4733): baresip logs those as "received event".
        assert!(!bs.log().contains("received event:"), "a digit went in the audio too:\n{}", bs.log());
    });
    step(peer, "relay-only ICE through coturn: media went through the relay", || {
        click_in_card(&a, 0, "hang-up");
        bs.wait_event("CALL_CLOSED");
        // And the audio itself went through it: when the allocation closes, coturn reports what it relayed
        // (rp: packets received from the agent; a host path would leave only a few connectivity checks there).
        // The agent may hold more than one allocation (media prepared while Ready keeps a pooled one, which is
        // released unused): wait until the closed allocations' reports show the call's audio, or time out.
        let usage_now = || {
            let log = turn.log();
            let closed = log.lines().any(|l| l.contains("closed (2nd stage), user <agent>"));
            let mut usage: Vec<&str> = log.lines().filter(|l| l.contains(" usage:") && !l.contains("peer usage") && l.contains("username=<agent>")).collect();
            usage.dedup();
            let rp: u64 = usage
                .iter()
                .filter_map(|l| l.split("rp=").nth(1)?.split(|c: char| !c.is_ascii_digit()).next()?.parse::<u64>().ok())
                .sum();
            (closed, rp, usage.join("\n"))
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let relayed = loop {
            let (closed, rp, usage) = usage_now();
            if (closed && rp > 100) || std::time::Instant::now() > deadline {
                break (rp, usage);
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        eprintln!("coturn relayed {} packets from the agent:\n{}", relayed.0, relayed.1);
        assert!(relayed.0 > 100, "the agent's audio should have gone through coturn: {}", relayed.1);
    });
}

/// Waits until the `nth` remote audio of `b` carries exactly the tones `want` (sorted as in ALL_TONES).
fn hears_exactly(b: &Browser, nth: i32, want: &[u32], who: &str) {
    let h = browser_hears_until(b, nth, |h| !h.silent() && h.tones == want);
    assert!(!h.silent() && h.tones == want, "{who} should hear {want:?}: {h:?}");
}

#[test]
fn three_way_conference_each_hears_both_others() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let a = agent(&sb, &k, "conf_tone_a", "1001", TONE_AGENT_A);
    let b = agent(&sb, &k, "conf_tone_b", "1002", TONE_AGENT_B);
    let c = agent(&sb, &k, "conf_tone_c", "1003", TONE_AGENT_C);
    set_state(&b, "ready");
    set_state(&c, "ready");
    let peer = "desktop";
    step(peer, "three-way conference: each hears both others", || {
        dial(&a, "1002");
        answer(&b);
        wait_state(&a, 0, "Connected");
        click_in_card(&a, 0, "transfer-toggle");
        a.send_keys(&a.find("[data-testid=transfer-target]"), "1003");
        a.click(&a.find("[data-testid=consult]"));
        wait_state(&a, 0, "Held");
        answer(&c);
        wait_state(&a, 1, "Connected");
        // Consulting: B is on hold and hears silence, C hears only A.
        hears_exactly(&c, -1, &[TONE_AGENT_A], "C, consulted");
        let h = browser_hears_until(&b, -1, |h| h.silent());
        assert!(h.silent(), "B, on hold during the consultation, should hear silence: {h:?}");
        click_in_card(&a, 0, "conference");
        wait_state(&a, 0, "Connected");
        wait_state(&a, 1, "Connected");
        // A mixes: B hears A and C, C hears A and B; A hears B on one call and C on the other.
        hears_exactly(&b, -1, &[TONE_AGENT_A, TONE_AGENT_C], "B in the conference");
        hears_exactly(&c, -1, &[TONE_AGENT_A, TONE_AGENT_B], "C in the conference");
        hears_exactly(&a, 0, &[TONE_AGENT_B], "A (call with B)");
        hears_exactly(&a, 1, &[TONE_AGENT_C], "A (call with C)");
        // B leaves: C goes on hearing A alone.
        click_in_card(&b, 0, "hang-up");
        wait_state(&a, 0, "Ended(RemoteHungUp)");
        hears_exactly(&c, -1, &[TONE_AGENT_A], "C after B left");
    });
}
