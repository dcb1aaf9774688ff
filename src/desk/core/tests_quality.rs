//! Host tests: call quality readings through the desk core (LineEvent::Quality) reach the call, its
//! warnings follow the call's state, and the summary stays with the call in the recents.

use super::tests::{incoming, intent, sip_desk, T0};
use super::*;
use crate::phone::call::EndReason;
use crate::phone::quality::{Sample, Warning};

fn reading(d: &mut DeskCore, id: u32, at: f64, rx: u64, receiving: bool) {
    let sample = Sample { packets_received: rx, jitter_ms: 4, rtt_ms: Some(40), ..Sample::default() };
    d.handle(at, Input::Line(LineEvent::Quality { id, sample, receiving }));
}

fn warning(d: &DeskCore, id: u32) -> Option<Warning> {
    d.calls.iter().find(|c| c.id == id).unwrap().quality.warning
}

#[test]
fn quality_readings_warn_on_a_connected_call_and_the_summary_goes_to_the_recents() {
    let mut d = sip_desk(|_| {});
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    intent(&mut d, T0 + 1_000.0, Intent::Answer(id));
    d.handle(T0 + 1_500.0, Input::Line(LineEvent::Connected(id)));
    let mut t = T0 + 2_000.0;
    for i in 1..=3u64 {
        reading(&mut d, id, t, i * 50, true);
        t += 1_000.0;
    }
    assert_eq!(warning(&d, id), None);
    // The caller's audio stops arriving.
    for _ in 0..5 {
        reading(&mut d, id, t, 150, true);
        t += 1_000.0;
    }
    assert_eq!(warning(&d, id), Some(Warning::NoAudio));
    // The transceiver no longer receives (held): no warning, whatever arrives.
    reading(&mut d, id, t, 150, false);
    assert_eq!(warning(&d, id), None);
    d.handle(t + 1_000.0, Input::Line(LineEvent::Ended { id, reason: EndReason::RemoteHungUp }));
    let q = d.recents[0].quality.expect("the call's quality is in the recents");
    assert_eq!(q.warned & 1, 1);
    assert!(q.mos_x100 >= 400, "{q:?}");
}

#[test]
fn quality_readings_of_a_ringing_call_never_warn() {
    let mut d = sip_desk(|_| {});
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    for i in 0..8 {
        reading(&mut d, id, T0 + i as f64 * 1_000.0, 0, true);
    }
    assert_eq!(warning(&d, id), None);
}
