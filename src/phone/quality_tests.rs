use super::*;
use crate::json::json;

/// G.107 eq. 7-28, in floating point (host only), to check the table.
fn idd_formula(ta: f64) -> f64 {
    if ta <= 100.0 {
        return 0.0;
    }
    let x = (ta / 100.0).log2();
    25.0 * ((1.0 + x.powi(6)).powf(1.0 / 6.0) - 3.0 * (1.0 + (x / 3.0).powi(6)).powf(1.0 / 6.0) + 2.0)
}

/// G.107 Annex B eq. B-4, in floating point.
fn mos_formula(r: f64) -> f64 {
    if r < 0.0 {
        1.0
    } else if r > 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6
    }
}

#[test]
fn idd_table_follows_g107_eq_7_28() {
    for ta in (100..=800).step_by(5) {
        let want = idd_formula(ta as f64) * 100.0;
        let got = idd_x100(ta) as f64;
        // The table's rounding at its steps, plus linear interpolation between them (the curve is smooth).
        assert!((got - want).abs() <= 12.0, "Idd({ta}) = {got} want {want}");
    }
    assert_eq!(idd_x100(0), 0);
    assert_eq!(idd_x100(100), 0);
    assert!(idd_x100(5_000) >= 4_000, "beyond the table it stays at its last value");
}

#[test]
fn mos_from_r_follows_annex_b() {
    for r in [-500, 0, 1000, 3000, 5000, 6000, 7000, 8000, 9000, 9320, 10_000, 12_000] {
        let want = (mos_formula(r as f64 / 100.0) * 100.0).round() as i64;
        let got = mos_x100(r) as i64;
        assert!((got - want).abs() <= 1, "MOS(R={}) = {got} want {want}", r as f64 / 100.0);
    }
}

#[test]
fn perfect_g711_call_scores_the_e_model_default_4_41() {
    // R = 93.2 with nothing impaired: the E-model's reference MOS (4.41).
    assert_eq!(r_x100(40, 0, Codec::G711), 9320);
    assert_eq!(mos_x100(9320), 441);
    assert_eq!(Grade::of_mos(441), Grade::Good);
}

#[test]
fn loss_lowers_the_score_by_ie_eff() {
    // 2 % random loss on G.711 with PLC: Ie,eff = 95·2/(2+25.1) = 7.01 → R 86.19.
    let r = r_x100(40, 20, Codec::G711);
    assert!((r - 8619).abs() <= 1, "{r}");
    // 10 %: Ie,eff = 95·10/35.1 = 27.07 → R 66.13 → MOS about 3.4: poor.
    let r10 = r_x100(40, 100, Codec::G711);
    assert!((r10 - 6613).abs() <= 1, "{r10}");
    assert_eq!(Grade::of_mos(mos_x100(r10)), Grade::Poor);
}

#[test]
fn delay_lowers_the_score_by_idd() {
    let near = r_x100(150, 0, Codec::Opus);
    let far = r_x100(400, 0, Codec::Opus);
    assert_eq!(near, 9320 - idd_x100(150) as i32);
    assert!(far < near - 1_500, "{far} {near}");
    assert_eq!(Grade::of_mos(mos_x100(far)), Grade::Poor);
}

#[test]
fn codec_from_mime_type() {
    assert_eq!(Codec::from_mime("audio/opus"), Codec::Opus);
    assert_eq!(Codec::from_mime("audio/PCMU"), Codec::G711);
    assert_eq!(Codec::from_mime("audio/PCMA"), Codec::G711);
    assert_eq!(Codec::from_mime("audio/G722"), Codec::Other);
}

/// A report as Chromium gives it (abridged), with `rx` received, `lost` lost, jitter and RTT in seconds.
fn report(rx: u64, lost: i64, jitter: f64, rtt: Option<f64>) -> Vec<crate::json::Value> {
    let mut v = vec![
        json!({"type": "codec", "id": "COT01_111", "mimeType": "audio/opus"}),
        json!({"type": "inbound-rtp", "kind": "audio", "packetsReceived": rx, "packetsLost": lost, "jitter": jitter,
               "codecId": "COT01_111", "jitterBufferDelay": rx as f64 * 0.96 * 0.04, "jitterBufferEmittedCount": rx as f64 * 960.0}),
        json!({"type": "outbound-rtp", "kind": "audio", "packetsSent": rx + 3}),
        json!({"type": "transport", "selectedCandidatePairId": "CP1"}),
        json!({"type": "candidate-pair", "id": "CP0", "currentRoundTripTime": 0.5, "state": "failed"}),
        json!({"type": "candidate-pair", "id": "CP1", "currentRoundTripTime": 0.002, "state": "succeeded", "nominated": true}),
    ];
    if let Some(r) = rtt {
        v.push(json!({"type": "remote-inbound-rtp", "kind": "audio", "roundTripTime": r, "fractionLost": 0.0}));
    }
    v
}

#[test]
fn reads_chromium_stats() {
    let s = read_stats(&report(500, 5, 0.012, Some(0.08))).unwrap();
    assert_eq!((s.packets_received, s.packets_lost, s.packets_sent, s.jitter_ms), (500, 5, 503, 12));
    assert_eq!(s.rtt_ms, Some(80));
    assert_eq!(s.remote_loss_permille, Some(0));
    assert_eq!(s.codec, Codec::Opus);
    // Before RTCP has a round trip: the selected candidate pair's (not the failed one's).
    let s = read_stats(&report(10, 0, 0.0, None)).unwrap();
    assert_eq!(s.rtt_ms, Some(2));
}

#[test]
fn hostile_stats_without_audio_or_with_nonsense_read_as_nothing() {
    assert_eq!(read_stats(&[json!({"type": "inbound-rtp", "kind": "video", "packetsReceived": 5})]), None);
    let s = read_stats(&[json!({"type": "inbound-rtp", "kind": "audio", "packetsReceived": "many", "packetsLost": -40, "jitter": -1e308})]).unwrap();
    assert_eq!((s.packets_received, s.packets_lost, s.jitter_ms), (0, 0, 0));
    let s = read_stats(&[json!({"type": "inbound-rtp", "kind": "audio", "jitter": 1e300})]).unwrap();
    assert_eq!(s.jitter_ms, 600_000, "clamped, no overflow");
}

fn feed(q: &mut Quality, t: f64, rx: u64, lost: i64, jitter: f64, expecting: bool) {
    q.update(read_stats(&report(rx, lost, jitter, Some(0.04))).unwrap(), t, expecting);
}

#[test]
fn a_clean_call_has_no_warning_and_a_good_summary() {
    let mut q = Quality::default();
    for i in 0..10u64 {
        feed(&mut q, i as f64 * 1000.0, i * 50, 0, 0.004, true);
    }
    assert_eq!(q.warning, None);
    let r = q.reading.clone().unwrap();
    assert_eq!(r.loss_permille, 0);
    assert!(r.mos_x100 >= 430, "{r:?}");
    assert_eq!(Grade::of_mos(q.summary.mos_x100), Grade::Good);
    assert_eq!(q.summary.warned, 0);
    assert_eq!(q.summary.rtt_ms, 40);
}

#[test]
fn no_packets_for_four_seconds_while_connected_warns_not_reaching_you() {
    let mut q = Quality::default();
    feed(&mut q, 0.0, 100, 0, 0.004, true);
    feed(&mut q, 1000.0, 150, 0, 0.004, true);
    for t in [2000.0, 3000.0, 4000.0] {
        feed(&mut q, t, 150, 0, 0.004, true);
        assert_eq!(q.warning, None, "at {t}: not yet");
    }
    feed(&mut q, 5000.0, 150, 0, 0.004, true);
    assert_eq!(q.warning, Some(Warning::NoAudio));
    // Audio comes back: the warning goes at once.
    feed(&mut q, 6000.0, 200, 0, 0.004, true);
    assert_eq!(q.warning, None);
    assert_eq!(q.summary.warned & 1, 1, "the summary remembers it showed");
}

#[test]
fn no_warning_while_audio_is_not_expected() {
    // On hold (either side): nothing arrives, and that is as it should be.
    let mut q = Quality::default();
    feed(&mut q, 0.0, 100, 0, 0.004, true);
    for t in 1..12 {
        feed(&mut q, t as f64 * 1000.0, 100, 0, 0.004, false);
    }
    assert_eq!(q.warning, None);
    // Resumed: the clock starts again from then.
    feed(&mut q, 12_000.0, 100, 0, 0.004, true);
    feed(&mut q, 13_000.0, 100, 0, 0.004, true);
    assert_eq!(q.warning, None);
}

#[test]
fn the_first_reading_only_starts_the_clock() {
    // Set-up losses before the first reading do not count against the call.
    let mut q = Quality::default();
    feed(&mut q, 0.0, 40, 10, 0.004, true);
    assert_eq!(q.reading, None);
    feed(&mut q, 1000.0, 90, 10, 0.004, true);
    assert_eq!(q.reading.as_ref().unwrap().loss_permille, 0);
    assert_eq!(q.summary.loss_permille, 0);
}

#[test]
fn a_silent_start_warns_too() {
    let mut q = Quality::default();
    for t in 0..6 {
        feed(&mut q, t as f64 * 1000.0, 0, 0, 0.0, true);
    }
    assert_eq!(q.warning, Some(Warning::NoAudio));
}

#[test]
fn loss_past_the_threshold_for_two_readings_warns_losing_and_clears_after_three_good() {
    let mut q = Quality::default();
    feed(&mut q, 0.0, 100, 0, 0.004, true);
    // 5 % loss for one reading: no warning yet.
    feed(&mut q, 1000.0, 195, 5, 0.004, true);
    assert_eq!(q.warning, None);
    feed(&mut q, 2000.0, 290, 10, 0.004, true);
    assert_eq!(q.warning, Some(LOSING_IN));
    assert_eq!(q.warning.unwrap().key(), "losing-in");
    assert!(q.reading.as_ref().unwrap().loss_permille >= 50);
    // Clean again: still shown after one and two good readings, gone after three.
    feed(&mut q, 3000.0, 340, 10, 0.004, true);
    feed(&mut q, 4000.0, 390, 10, 0.004, true);
    assert_eq!(q.warning, Some(LOSING_IN));
    feed(&mut q, 5000.0, 440, 10, 0.004, true);
    assert_eq!(q.warning, None);
    assert_eq!(q.summary.warned, 2, "losing the caller's audio, not ours");
    // Loss over the call after the first reading: 10 lost of 350.
    assert_eq!(q.summary.loss_permille, 10 * 1000 / 350);
}

#[test]
fn loss_just_under_the_threshold_does_not_warn() {
    let mut q = Quality::default();
    feed(&mut q, 0.0, 0, 0, 0.004, true);
    for i in 1..8u64 {
        // 2.9 % each second: 1000 packets, 29 lost.
        feed(&mut q, i as f64 * 1000.0, i * 971, (i * 29) as i64, 0.004, true);
    }
    assert_eq!(q.reading.as_ref().unwrap().loss_permille, 29);
    assert_eq!(q.warning, None);
}

#[test]
fn jitter_past_the_threshold_warns_losing_the_callers_audio() {
    let mut q = Quality::default();
    for i in 0..4u64 {
        feed(&mut q, i as f64 * 1000.0, i * 50, 0, 0.045, true);
    }
    assert_eq!(q.warning, Some(LOSING_IN));
}

const LOSING_IN: Warning = Warning::Losing { inbound: true, outbound: false };
const LOSING_OUT: Warning = Warning::Losing { inbound: false, outbound: true };
const LOSING_BOTH: Warning = Warning::Losing { inbound: true, outbound: true };

/// A reading whose far end reports `fraction_lost` of our audio (remote-inbound-rtp, RFC 3550 receiver report).
fn feed_remote(q: &mut Quality, t: f64, rx: u64, lost: i64, fraction_lost: f64) {
    feed_remote_as(q, t, rx, lost, fraction_lost, true);
}

/// As [`feed_remote`]; `expecting` false while the call is held.
fn feed_remote_as(q: &mut Quality, t: f64, rx: u64, lost: i64, fraction_lost: f64, expecting: bool) {
    let mut r = report(rx, lost, 0.004, None);
    r.push(json!({"type": "remote-inbound-rtp", "kind": "audio", "roundTripTime": 0.04, "fractionLost": fraction_lost}));
    q.update(read_stats(&r).unwrap(), t, expecting);
}

#[test]
fn the_far_end_losing_our_audio_warns_that_our_audio_breaks_up_for_the_caller() {
    let mut q = Quality::default();
    for i in 0..3u64 {
        feed_remote(&mut q, i as f64 * 1000.0, i * 50, 0, 0.08);
    }
    assert_eq!(q.warning, Some(LOSING_OUT));
    assert_eq!(q.warning.unwrap().key(), "losing-out");
    // What we receive is clean: the reading shows no loss of ours, the far end's 8 %.
    let r = q.reading.clone().unwrap();
    assert_eq!((r.loss_permille, r.remote_loss_permille), (0, Some(80)));
    assert_eq!(q.summary.warned, 4);
}

#[test]
fn loss_both_ways_says_both_and_each_direction_clears_on_its_own() {
    let mut q = Quality::default();
    feed_remote(&mut q, 0.0, 0, 0, 0.0);
    // 10 % lost each way for two readings.
    feed_remote(&mut q, 1000.0, 45, 5, 0.10);
    feed_remote(&mut q, 2000.0, 90, 10, 0.10);
    assert_eq!(q.warning, Some(LOSING_BOTH));
    assert_eq!(q.warning.unwrap().key(), "losing-both");
    // What reaches us is clean again; the far end still reports loss: after three clean readings only
    // "your audio breaks up for the caller" is left.
    for (i, t) in [3000.0, 4000.0, 5000.0].into_iter().enumerate() {
        feed_remote(&mut q, t, 140 + 50 * i as u64, 10, 0.10);
    }
    assert_eq!(q.warning, Some(LOSING_OUT));
    // The far end's reports turn clean: it goes after three of them too.
    for (i, t) in [6000.0, 7000.0].into_iter().enumerate() {
        feed_remote(&mut q, t, 290 + 50 * i as u64, 10, 0.0);
    }
    assert_eq!(q.warning, Some(LOSING_OUT));
    feed_remote(&mut q, 8000.0, 390, 10, 0.0);
    assert_eq!(q.warning, None);
    assert_eq!(q.summary.warned, 6);
}

#[test]
fn far_end_loss_just_under_the_threshold_does_not_warn() {
    let mut q = Quality::default();
    for i in 0..8u64 {
        feed_remote(&mut q, i as f64 * 1000.0, i * 50, 0, 0.029);
    }
    assert_eq!(q.warning, None);
}

#[test]
fn every_warning_survives_the_compact_form_between_windows() {
    for w in [None, Some(Warning::NoAudio), Some(LOSING_IN), Some(LOSING_OUT), Some(LOSING_BOTH)] {
        let q = Quality { reading: Some(Reading { mos_x100: 300, codec: Codec::Opus, ..Reading::default() }), warning: w, ..Quality::default() };
        assert_eq!(Quality::from_compact(&q.to_compact().unwrap()).unwrap().warning, w);
    }
}

#[test]
fn summary_and_compact_reading_round_trip() {
    let mut q = Quality::default();
    for i in 0..5u64 {
        feed(&mut q, i as f64 * 1000.0, i * 48, (i * 2) as i64, 0.008, true);
    }
    let s = q.summary;
    assert!(s.is_some());
    assert_eq!(Summary::decode(&s.encode()), Some(Summary { readings: 1, ..s }));
    let c = q.to_compact().unwrap();
    let back = Quality::from_compact(&c).unwrap();
    assert_eq!(back.reading.as_ref().map(|r| (r.mos_x100, r.loss_permille, r.jitter_ms, r.rtt_ms, r.codec)),
        q.reading.as_ref().map(|r| (r.mos_x100, r.loss_permille, r.jitter_ms, r.rtt_ms, r.codec)));
    assert_eq!(back.warning, q.warning);
}

macro_rules! hostile_summary {
    ($($name:ident: $text:expr,)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(Summary::decode($text), None, "{:?}", $text);
            assert_eq!(Quality::from_compact($text), None, "{:?}", $text);
        }
    )*};
}

hostile_summary! {
    hostile_summary_empty: "",
    hostile_summary_too_few: "435 410 5",
    hostile_summary_too_many: "435 410 5 12 40 0 9 9",
    hostile_summary_mos_out_of_range: "900 410 5 12 40 0",
    hostile_summary_negative_loss: "435 410 -5 12 40 0",
    hostile_summary_loss_over_100_percent: "435 410 5000 12 40 0",
    hostile_summary_huge_number: "435 410 5 99999999999999999999 40 0",
    hostile_summary_markup: "<b>435</b> 410 5 12 40 0",
    hostile_summary_float: "4.35 4.10 5 12 40 0",
    hostile_summary_double_space: "435  410 5 12 40 0",
    hostile_summary_plus_sign: "+435 410 5 12 40 0",
    hostile_summary_warned_out_of_range: "435 410 5 12 40 8",
}

#[test]
fn hostile_compact_quality_with_negative_or_unknown_codes_is_refused_without_panicking() {
    // From another window: a negative codec must not index, a negative loss or jitter must not wrap.
    for text in ["400 0 0 10 -1 0 -1", "400 -5 0 10 -1 0 1", "400 5 -3 10 -1 0 1", "400 5 3 10 -1 5 1", "400 5 3 10 -1 -1 1", "400 5 3 10 -1 0 3"] {
        assert_eq!(Quality::from_compact(text), None, "{text}");
    }
    assert!(Quality::from_compact("400 5 3 10 -1 4 1").is_some());
}

#[test]
fn texts_use_integer_formatting() {
    assert_eq!(mos_text(441), "4.41");
    assert_eq!(mos_text(305), "3.05");
    assert_eq!(percent_text(12), "1.2 %");
    assert_eq!(percent_text(0), "0.0 %");
}

fn recent_with_quality() -> crate::phone::wrapup::RecentCall {
    use crate::phone::call::{Call, CallState, Direction, EndReason};
    let mut call = Call::new(1, Direction::Inbound, "+15550100", None, 0.0);
    call.answered_ms = Some(1000.0);
    for i in 0..4u64 {
        feed(&mut call.quality, i as f64 * 1000.0, i * 50, 0, 0.004, true);
    }
    call.state = CallState::Ended(EndReason::HungUp);
    crate::phone::wrapup::RecentCall::of(&call, 9000.0)
}

#[test]
fn recents_keep_the_quality_summary_compactly() {
    let r = recent_with_quality();
    let q = r.quality.expect("a call with audio has a summary");
    let text = crate::json::to_string(&r);
    assert!(text.contains(&format!("\"q\":\"{}\"", q.encode())), "{text}");
    let back: crate::phone::wrapup::RecentCall = crate::json::from_str(&text).unwrap();
    assert_eq!(back.quality, Some(Summary { readings: 1, ..q }));
    // A call that carried no audio stores no "q" at all.
    let silent = crate::phone::wrapup::RecentCall::of(&crate::phone::call::Call::new(2, crate::phone::call::Direction::Outbound, "1", None, 0.0), 1.0);
    assert!(!crate::json::to_string(&silent).contains("\"q\""));
}

#[test]
fn hostile_recents_quality_that_does_not_read_back_is_dropped_and_the_call_kept() {
    let r = recent_with_quality();
    let mut v = crate::json::ToJson::to_json(&r);
    v["q"] = json!("<img src=x onerror=alert(1)> 1 2 3 4 5");
    let back: crate::phone::wrapup::RecentCall = crate::json::FromJson::from_json(&v.clone()).unwrap();
    assert_eq!(back.quality, None);
    assert_eq!(back.number, r.number);
    v["q"] = json!(12345);
    let back: crate::phone::wrapup::RecentCall = crate::json::FromJson::from_json(&v).unwrap();
    assert_eq!(back.quality, None);
}

#[test]
fn hostile_call_quality_from_another_window_out_of_range_is_ignored() {
    let mut call = crate::phone::call::Call::new(3, crate::phone::call::Direction::Inbound, "1", None, 0.0);
    let mut v = call.to_json();
    v["q"] = json!("9999 0 0 0 0 0 0");
    let back = crate::phone::call::Call::from_json(&v).unwrap();
    assert_eq!(back.quality, Quality::default());
    feed(&mut call.quality, 0.0, 50, 0, 0.004, true);
    feed(&mut call.quality, 1000.0, 100, 0, 0.004, true);
    assert!(call.quality.reading.is_some());
    let back = crate::phone::call::Call::from_json(&call.to_json()).unwrap();
    assert_eq!(back.quality.reading.map(|r| r.mos_x100), call.quality.reading.map(|r| r.mos_x100));
}

#[test]
fn a_held_call_does_not_keep_the_warning_about_our_audio_from_the_last_report() {
    let mut q = Quality::default();
    for i in 0..3u64 {
        feed_remote(&mut q, i as f64 * 1000.0, i * 50, 0, 0.08);
    }
    assert_eq!(q.warning, Some(LOSING_OUT));
    // Held: no new receiver report comes, the stats keep showing the last one (8 % lost).
    for i in 3..(3 + super::GOOD_READINGS as u64) {
        feed_remote_as(&mut q, i as f64 * 1000.0, 150, 0, 0.08, false);
    }
    assert_eq!(q.warning, None, "the stale report no longer warns once the call is held");
}

/// As [`feed_remote_as`], with the report's identity as Chromium gives it (`reportsReceived`, `timestamp`).
fn feed_report(q: &mut Quality, t: f64, rx: u64, fraction_lost: f64, reports: u64, expecting: bool) {
    let mut r = report(rx, 0, 0.004, None);
    r.push(json!({"type": "remote-inbound-rtp", "kind": "audio", "roundTripTime": 0.04, "fractionLost": fraction_lost,
                  "reportsReceived": reports, "timestamp": 1.7e12 + reports as f64 * 5000.0}));
    q.update(read_stats(&r).unwrap(), t, expecting);
}

#[test]
fn each_far_end_report_counts_once_however_many_readings_show_it() {
    let mut q = Quality::default();
    feed_report(&mut q, 0.0, 0, 0.0, 1, true);
    // One report covers about 5 s of our audio: one past the threshold warns ...
    feed_report(&mut q, 1000.0, 50, 0.08, 2, true);
    assert_eq!(q.warning, Some(LOSING_OUT));
    // ... and stays while no newer report comes (the same one read again is no new evidence either way) ...
    for i in 2..6u64 {
        feed_report(&mut q, i as f64 * 1000.0, i * 50, 0.08, 2, true);
        assert_eq!(q.warning, Some(LOSING_OUT), "reading {i}");
    }
    // ... and the next clean report clears it at once.
    feed_report(&mut q, 6000.0, 300, 0.0, 3, true);
    assert_eq!(q.warning, None);
    // A clean report read many times never counts as bad; a bad one read twice is still one report.
    for i in 7..12u64 {
        feed_report(&mut q, i as f64 * 1000.0, i * 50, 0.0, 3, true);
        assert_eq!(q.warning, None);
    }
    // With `timestamp` only (no reportsReceived), the report's arrival time tells them apart.
    let mut q = Quality::default();
    let feed_ts = |q: &mut Quality, t: f64, fl: f64, ts: f64| {
        let mut r = report((t / 20.0) as u64, 0, 0.004, None);
        r.push(json!({"type": "remote-inbound-rtp", "kind": "audio", "fractionLost": fl, "timestamp": ts}));
        q.update(read_stats(&r).unwrap(), t, true);
    };
    feed_ts(&mut q, 0.0, 0.0, 100.0);
    feed_ts(&mut q, 1000.0, 0.2, 900.0);
    assert_eq!(q.warning, Some(LOSING_OUT));
    feed_ts(&mut q, 2000.0, 0.2, 900.0);
    feed_ts(&mut q, 3000.0, 0.0, 2900.0);
    assert_eq!(q.warning, None);
}

#[test]
fn a_report_from_before_a_hold_does_not_warn_again_after_it() {
    let mut q = Quality::default();
    feed_report(&mut q, 0.0, 0, 0.0, 1, true);
    feed_report(&mut q, 1000.0, 50, 0.10, 2, true);
    assert_eq!(q.warning, Some(LOSING_OUT));
    // Held: no fresh report of our audio comes; the warning goes.
    feed_report(&mut q, 2000.0, 50, 0.10, 2, false);
    assert_eq!(q.warning, None);
    // Resumed: the browser still shows the report from before the hold; it was counted already.
    for i in 3..8u64 {
        feed_report(&mut q, i as f64 * 1000.0, 50 + (i - 2) * 50, 0.10, 2, true);
        assert_eq!(q.warning, None, "reading {i}");
    }
    // A new report past the threshold warns again.
    feed_report(&mut q, 8000.0, 350, 0.10, 3, true);
    assert_eq!(q.warning, Some(LOSING_OUT));
}
