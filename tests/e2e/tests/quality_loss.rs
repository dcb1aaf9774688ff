//! "Your connection is losing audio" under real packet loss, end to end: a call between the desktop and a
//! JsSIP page in its own Chromium (a far end that is not our code), through Debian's Kamailio, while nftables
//! drops a random share of the call's UDP packets in one direction inside the test's network namespace (this
//! kernel has no sch_netem; nf_tables with `numgen` is built in).
//!
//! The loss is put on the path only once the call is up (ICE and DTLS set-up untouched), in the `input` hook
//! (the sender's `sendto` succeeds and the packet is lost on the way, as on a network), matched by the
//! desktop's media port read from its own getStats (selected candidate pair): `udp dport` = what reaches the
//! desktop (the caller's audio), `udp sport` = what the desktop sends (its audio, seen by the far end and told
//! back in its RTCP receiver reports). The nft table is made and removed by the test (a guard removes it on
//! failure too). Timings and thresholds are the desktop's own rules, read from src/phone/quality.rs.

use e2e::audio::{write_tone, TONE_AGENT_A, TONE_JS_PEER};
use e2e::peers::JsPeer;
use e2e::{artifacts_dir, dial, hang_up_and_read_recent_quality, sip_sign_in, wait_rx_above, wait_state, Browser, Kamailio, Sandbox};
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

/// The desktop's quality rules (src/phone/quality.rs), read from the source so the test follows them.
const QUALITY_RS: &str = include_str!("../../../src/phone/quality.rs");

fn rule(name: &str) -> u64 {
    let line = QUALITY_RS.lines().find(|l| l.starts_with(&format!("pub const {name}:"))).unwrap_or_else(|| panic!("{name} not in quality.rs"));
    let value = line.rsplit('=').next().unwrap().trim().trim_end_matches(';').replace('_', "");
    value.parse::<f64>().unwrap_or_else(|_| panic!("{line}")) as u64
}

/// The desktop reads getStats once a second (src/phone/sipline.rs: every second tick of its 500 ms timer).
const READING: Duration = Duration::from_secs(1);
/// The far end's RTCP receiver reports on audio: libwebrtc's 5 s report interval, randomised by 0.5-1.5
/// (RFC 3550 §6.3.1), so one report at most 7.5 s after the previous one.
const RTCP_MAX: Duration = Duration::from_millis(7_500);
/// The share of packets dropped, in percent (well past the 3 % threshold, a clearly broken-up call).
const DROP_PERCENT: u64 = 15;

/// Keeps every RTCPeerConnection the page makes in `window.__pcs` (runs before the desktop's own code).
const KEEP_PCS: &str = "(() => { const O = window.RTCPeerConnection; window.__pcs = []; \
    const W = function(...a) { const p = new O(...a); window.__pcs.push(p); return p; }; \
    W.prototype = O.prototype; window.RTCPeerConnection = W; })();";

fn nft(args: &str) -> String {
    let out = Command::new("nft").arg(args).output().expect("run nft (apt-get install nftables; scripts/install.sh test)");
    assert!(out.status.success(), "nft {args}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Drops `percent` % of the RTP packets among the UDP packets matching `what` (an nft match, e.g.
/// `udp dport 40000`) at random, in the input hook, until dropped (the table goes with the guard, on failure
/// too). RTP is told from what shares its port by its first two bytes (RFC 7983 §7: first byte 128-191 is
/// RTP or RTCP; RFC 5761 §4: a second byte 192-223 is RTCP): STUN consent checks, DTLS and RTCP (the receiver
/// reports that tell the far end's loss, and Chromium's transport-wide feedback, about a fifth of the packets)
/// pass, so what nft drops is exactly the audio packets a receiver counts lost.
struct PacketLoss {
    table: String,
}

impl PacketLoss {
    fn start(what: &str, percent: u64) -> PacketLoss {
        let table = format!("e2e_loss_{}", std::process::id());
        nft(&format!("add table inet {table}"));
        let guard = PacketLoss { table };
        nft(&format!("add chain inet {} input {{ type filter hook input priority 0; policy accept; }}", guard.table));
        nft(&format!("add rule inet {} input {what} @th,64,8 128-191 @th,72,8 != 192-223 counter numgen random mod 100 < {percent} counter drop", guard.table));
        guard
    }

    /// (packets that matched, packets dropped) so far: the rule's two counters.
    fn counters(&self) -> (u64, u64) {
        let text = nft(&format!("list table inet {}", self.table));
        let n: Vec<u64> = text.split("counter packets ").skip(1).map(|s| s.split(' ').next().unwrap().parse().unwrap()).collect();
        assert_eq!(n.len(), 2, "{text}");
        (n[0], n[1])
    }
}

impl Drop for PacketLoss {
    fn drop(&mut self) {
        let _ = Command::new("nft").arg(format!("delete table inet {}", self.table)).status();
    }
}

/// The desktop's live call as its own getStats tells: the local media port (selected candidate pair), what it
/// received and lost, and what the far end's last receiver report said (cumulative lost, fraction lost).
fn desktop_stats(b: &Browser) -> Value {
    b.exec_async(
        "const done = arguments[arguments.length - 1];
         const pc = window.__pcs.find(p => p.connectionState === 'connected');
         if (!pc) { done(null); return; }
         pc.getStats().then(r => { const s = [...r.values()];
           const t = s.find(x => x.type === 'transport' && x.selectedCandidatePairId);
           const pair = t && r.get(t.selectedCandidatePairId);
           const local = pair && r.get(pair.localCandidateId);
           const inb = s.find(x => x.type === 'inbound-rtp' && x.kind === 'audio') || {};
           const rin = s.find(x => x.type === 'remote-inbound-rtp' && x.kind === 'audio') || {};
           done({port: local ? local.port : null, protocol: local ? local.protocol : null, rx: inb.packetsReceived || 0,
                 lost: inb.packetsLost || 0, remoteLost: rin.packetsLost ?? null, fractionLost: rin.fractionLost ?? null}); },
           e => done(String(e)));",
        json!([]),
    )
}

/// What the far end (JsSIP's session) received of the desktop's audio and lost.
fn far_end_stats(p: &JsPeer) -> (u64, u64) {
    let v = p.b.exec_async(
        "const done = arguments[arguments.length - 1];
         session.connection.getStats().then(r => { const i = [...r.values()].find(x => x.type === 'inbound-rtp' && x.kind === 'audio') || {};
           done([i.packetsReceived || 0, i.packetsLost || 0]); }, e => done(String(e)));",
        json!([]),
    );
    (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))
}

/// The warning on the call card: (data-warning, whose audio: the data-direction of each part, its text).
fn warning(b: &Browser) -> Option<(String, Vec<String>, String)> {
    let v = b.exec(
        "const w = document.querySelector('[data-testid=quality-warning]');
         return w ? [w.dataset.warning, Array.from(w.querySelectorAll('[data-testid=quality-losing]')).map(p => p.dataset.direction), w.textContent] : null",
        json!([]),
    );
    let dirs = v[1].as_array()?.iter().map(|d| d.as_str().unwrap_or("").to_string()).collect();
    Some((v[0].as_str()?.to_string(), dirs, v[2].as_str()?.to_string()))
}

/// The indicator and the details (opened once): (MOS ×100, grade, loss received ‰, loss at the far end ‰).
fn shown(b: &Browser) -> Option<(u64, String, u64, Option<u64>)> {
    let v = b.exec(
        "const q = document.querySelector('[data-testid=quality]'); if (!q) return null;
         if (q.getAttribute('aria-expanded') !== 'true') q.click();
         const t = id => { const e = document.querySelector(`[data-testid=${id}]`); return e ? e.textContent : null; };
         return [q.dataset.mos, q.dataset.grade, t('quality-loss'), t('quality-remote-loss')]",
        json!([]),
    );
    // "12.5 %" -> 125 ‰; "—" (no receiver report yet) -> None.
    let permille = |s: &Value| -> Option<u64> {
        let s = s.as_str()?.strip_suffix(" %")?;
        let (i, f) = s.split_once('.')?;
        Some(i.parse::<u64>().ok()? * 10 + f.parse::<u64>().ok()?)
    };
    Some((v[0].as_str()?.parse().ok()?, v[1].as_str()?.to_string(), permille(&v[2])?, permille(&v[3])))
}

fn wait_until<T>(b: &Browser, what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            let _ = b.shot(&format!("quality-loss-timeout-{}.png", what.replace(' ', "-")));
            panic!("timed out after {limit:?} waiting for {what}; warning {:?}, shown {:?}", warning(b), shown(b));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn share_permille(matched: u64, dropped: u64) -> u64 {
    dropped * 1000 / matched.max(1)
}

#[test]
fn real_packet_loss_each_way_warns_in_words_shows_the_loss_clears_and_stays_in_recents() {
    let (loss_warn, bad, good) = (rule("LOSS_WARN_PERMILLE"), rule("BAD_READINGS") as u32, rule("GOOD_READINGS") as u32);
    // The far end's reports count once each (a report covers seconds of our audio).
    let (bad_reports, good_reports) = (rule("BAD_REPORTS") as u32, rule("GOOD_REPORTS") as u32);
    assert!(DROP_PERCENT * 10 > 3 * loss_warn, "the applied loss must be well past the threshold ({loss_warn} ‰)");
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let files = JsPeer::files();
    let wav = write_tone(&artifacts_dir(), TONE_AGENT_A);
    let a = Browser::start_with("quality_loss_agent", 1280, 800, &[format!("--use-file-for-fake-audio-capture={}", wav.display())]);
    a.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": KEEP_PCS}));
    a.goto(&format!("{}?demo=0", sb.desktop_url));
    a.find(".desk[data-loaded=true]");
    sip_sign_in(&a, &k, "1001");
    let p = JsPeer::open(&files, "jssip", &k, "3001", TONE_JS_PEER);
    dial(&a, "3001");
    p.wait_state("alerting");
    p.run("answer()");
    wait_state(&a, 0, "Connected");
    p.wait_state("talking");
    wait_rx_above(&a, 0, 100);

    // Control: the same call, no loss. The estimate settles at good, and no warning shows over four times the
    // readings the lossy phase below needs to warn (BAD_READINGS readings, plus the one the loss starts in).
    let mos = wait_until(&a, "a good estimate", 10 * READING, || shown(&a).filter(|s| s.0 >= 400));
    let control = Instant::now();
    while control.elapsed() < 4 * (bad + 1) * READING {
        assert!(warning(&a).is_none(), "a clean call shows no warning: {:?} ({:?})", warning(&a), shown(&a));
        std::thread::sleep(Duration::from_millis(200));
    }
    let clean = shown(&a).unwrap();
    assert!(clean.2 < loss_warn, "{clean:?}");
    eprintln!("control: MOS {} then {} ({}), loss {} ‰, no warning over {} ms", mos.0, clean.0, clean.1, clean.2, control.elapsed().as_millis());

    let s0 = desktop_stats(&a);
    let port = s0["port"].as_u64().unwrap_or_else(|| panic!("the desktop's media port from getStats: {s0}"));
    assert_eq!(s0["protocol"], "udp", "{s0}");

    // 1. The caller's audio: packets towards the desktop's port are dropped.
    let loss = PacketLoss::start(&format!("udp dport {port}"), DROP_PERCENT);
    let started = Instant::now();
    let (kind, dirs, text) = wait_until(&a, "the losing-in warning", (bad + 3) * READING, || warning(&a));
    let after_ms = started.elapsed().as_millis();
    assert_eq!((kind.as_str(), dirs.as_slice()), ("losing-in", ["in".to_string()].as_slice()), "{text}");
    for want in ["Your connection is losing audio.", "The caller's audio is breaking up", "Ask them to repeat", "Stop downloads"] {
        assert!(text.contains(want), "{want:?} not in {text:?}");
    }
    assert!(!text.contains("Your audio is breaking up for the caller"), "{text}");
    a.shot("quality-losing-in.png");
    // What the agent reads while it lasts: the loss received, reading by reading, and the estimate.
    let mut seen = Vec::new();
    for _ in 0..10 {
        std::thread::sleep(READING);
        let s = shown(&a).unwrap();
        assert!(warning(&a).is_some_and(|w| w.0 == "losing-in"), "the warning stays while the loss lasts: {:?}", warning(&a));
        seen.push(s);
    }
    let (matched, dropped) = loss.counters();
    drop(loss);
    let removed = Instant::now();
    // A packet lost last counts once the next one arrives (20 ms later).
    std::thread::sleep(Duration::from_millis(200));
    let s1 = desktop_stats(&a);
    let lost = s1["lost"].as_u64().unwrap() - s0["lost"].as_u64().unwrap();
    let applied = share_permille(matched, dropped);
    let ui_mean = seen.iter().map(|s| s.2).sum::<u64>() / seen.len() as u64;
    let min_mos = seen.iter().map(|s| s.0).min().unwrap();
    eprintln!(
        "loss in: nft dropped {dropped} of {matched} audio packets to port {port} ({} %), the desktop's getStats counted {lost} lost; \
         warning after {after_ms} ms; readings shown {:?} ‰ (mean {ui_mean} ‰); MOS {:?} (lowest {min_mos})",
        applied as f64 / 10.0,
        seen.iter().map(|s| s.2).collect::<Vec<_>>(),
        seen.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    assert!(applied.abs_diff(DROP_PERCENT * 10) <= 40, "nft dropped {applied} ‰, asked {DROP_PERCENT} %");
    // Every audio packet nft dropped is one the desktop counts lost, and (nearly) no other was lost.
    assert!(lost.abs_diff(dropped) <= 2 + matched / 100, "the desktop counted {lost} lost, nft dropped {dropped}");
    assert!(ui_mean.abs_diff(applied) <= 50, "the loss shown ({ui_mean} ‰) should match the loss applied ({applied} ‰)");
    assert!(seen.iter().all(|s| s.3.is_none_or(|r| r < loss_warn)), "the far end received everything: {seen:?}");
    // 15 % random loss: Ie,eff = 95·15/(15+25.1) = 35.5, R about 57.7, MOS about 2.98: poor.
    assert!(min_mos < 360 && seen.iter().any(|s| s.1 == "poor"), "{seen:?}");
    // The loss is gone: after GOOD_READINGS clean readings the warning goes.
    wait_until(&a, "the losing-in warning to clear", (good + 3) * READING, || warning(&a).is_none().then_some(()));
    eprintln!("loss in: warning gone {} ms after the loss was removed", removed.elapsed().as_millis());

    // 2. The agent's audio: packets from the desktop's port are dropped; only the far end's receiver reports
    // (RTCP, remote-inbound-rtp fractionLost) can tell.
    let (far_rx0, far_lost0) = far_end_stats(&p);
    assert!(far_rx0 > 0, "the far end's statistics: {far_rx0} received");
    let loss = PacketLoss::start(&format!("udp sport {port}"), DROP_PERCENT);
    let started = Instant::now();
    let (kind, dirs, text) = wait_until(&a, "the losing-out warning", (bad_reports + 1) * RTCP_MAX + 2 * READING, || warning(&a));
    let after_ms = started.elapsed().as_millis();
    assert_eq!((kind.as_str(), dirs.as_slice()), ("losing-out", ["out".to_string()].as_slice()), "{text}");
    for want in ["Your connection is losing audio.", "Your audio is breaking up for the caller", "Check that they understood you", "Stop downloads"] {
        assert!(text.contains(want), "{want:?} not in {text:?}");
    }
    assert!(!text.contains("The caller's audio is breaking up"), "{text}");
    a.shot("quality-losing-out.png");
    // Hold the loss until one whole report interval (and the reading that shows its report) has passed inside
    // it: the last report shown then covers only lossy time.
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_millis(after_ms as u64) + RTCP_MAX + 2 * READING {
        std::thread::sleep(READING);
        let s = shown(&a).unwrap();
        assert!(s.2 < loss_warn, "what reaches the desktop is clean: {s:?}");
        assert!(warning(&a).is_some_and(|w| w.0 == "losing-out"), "the warning stays while the loss lasts: {:?}", warning(&a));
        seen.push(s);
    }
    let (matched, dropped) = loss.counters();
    drop(loss);
    let removed = Instant::now();
    std::thread::sleep(Duration::from_millis(200));
    let (far_rx1, far_lost1) = far_end_stats(&p);
    let far_lost = far_lost1 - far_lost0;
    let applied = share_permille(matched, dropped);
    let reported = seen.last().unwrap().3.expect("the far end's loss is shown");
    eprintln!(
        "loss out: nft dropped {dropped} of {matched} audio packets from port {port} ({} %), the far end counted {far_lost} lost of {}; \
         warning after {after_ms} ms; far end's loss shown {:?} ‰; MOS {:?}",
        applied as f64 / 10.0,
        far_rx1 - far_rx0 + far_lost,
        seen.iter().map(|s| s.3).collect::<Vec<_>>(),
        seen.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    assert!(applied.abs_diff(DROP_PERCENT * 10) <= 40, "nft dropped {applied} ‰, asked {DROP_PERCENT} %");
    assert!(far_lost.abs_diff(dropped) <= 2 + matched / 100, "the far end counted {far_lost} lost, nft dropped {dropped}");
    // One receiver report covers 2.5-7.5 s (125-375 packets): its fraction lost within 7 points of the share.
    assert!(reported.abs_diff(applied) <= 70, "the far end's loss shown ({reported} ‰) should match the loss applied ({applied} ‰)");
    wait_until(&a, "the losing-out warning to clear", (good_reports + 1) * RTCP_MAX + 2 * READING, || warning(&a).is_none().then_some(()));
    eprintln!("loss out: warning gone {} ms after the loss was removed", removed.elapsed().as_millis());

    // Recents keep the call's quality with both warnings, each in its own words.
    let (label, q) = hang_up_and_read_recent_quality(&a);
    assert!(label.contains("audio was lost for a while") && label.contains("your audio did not fully reach the caller"), "{label}");
    let q: Vec<u64> = q.split(' ').map(|f| f.parse().unwrap()).collect();
    // "mos min loss‰ jitter rtt warned": both directions warned (2 | 4); some loss over the call; lowest MOS poor.
    assert_eq!(q.len(), 6, "{q:?}");
    assert_eq!(q[5], 6, "{q:?}");
    assert!(q[2] > 0 && q[2] < DROP_PERCENT * 10, "loss over the whole call, the lossy stretch among clean ones: {q:?}");
    assert!(q[1] < 360, "{q:?}");
}
