//! Host tests of the panel over a shift (issue #16): calls leave the phone panel once wrapped up, and media
//! is prepared only while the agent may get a call.

use super::tests::{answered_call, incoming, intent, sip_desk, T0};
use super::*;
use crate::phone::call::EndReason;

#[test]
fn a_wrapped_up_call_leaves_the_panel_and_a_missed_one_stays_until_the_next() {
    let mut d = sip_desk(|_| {});
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    let id = answered_call(&mut d, T0);
    assert!(d.calls.iter().any(|c| c.id == id), "shown while its wrap-up is open");
    let mut w = d.wrapups[0].clone();
    w.disposition = Some(d.settings.dispositions[0].clone());
    intent(&mut d, T0 + 61_000.0, Intent::EditWrapUp(w));
    intent(&mut d, T0 + 62_000.0, Intent::SubmitWrapUp(None));
    assert!(d.calls.is_empty(), "wrapped up: in Recents, not on the panel");
    assert_eq!(d.recents.len(), 1);
    // A missed call stays to be read; the next missed one takes its place.
    let (a, _) = incoming(&mut d, T0 + 70_000.0, "+14155550101");
    d.handle(T0 + 75_000.0, Input::Line(LineEvent::Ended { id: a, reason: EndReason::Missed }));
    assert_eq!(d.calls.iter().map(|c| c.id).collect::<Vec<_>>(), vec![a]);
    intent(&mut d, T0 + 76_000.0, Intent::SetState(AgentState::Ready));
    let (b, _) = incoming(&mut d, T0 + 80_000.0, "+14155550102");
    d.handle(T0 + 85_000.0, Input::Line(LineEvent::Ended { id: b, reason: EndReason::Missed }));
    assert_eq!(d.calls.iter().map(|c| c.id).collect::<Vec<_>>(), vec![b]);
}

#[test]
fn a_shift_of_answered_calls_leaves_the_panel_empty() {
    let mut d = sip_desk(|_| {});
    // (Fewer calls than the outbox holds: nothing writes the activities to ServiceNow here.)
    for n in 0..40 {
        let t = T0 + n as f64 * 120_000.0;
        intent(&mut d, t, Intent::SetState(AgentState::Ready));
        answered_call(&mut d, t);
        let mut w = d.wrapups[0].clone();
        w.disposition = Some(d.settings.dispositions[0].clone());
        intent(&mut d, t + 61_000.0, Intent::EditWrapUp(w));
        intent(&mut d, t + 62_000.0, Intent::SubmitWrapUp(None));
        assert!(d.calls.is_empty() && d.wrapups.is_empty(), "after call {n}");
    }
    assert!(d.finalized.is_empty(), "nothing kept about calls that left the panel");
}

#[test]
fn media_is_prepared_only_while_the_agent_may_get_a_call() {
    let mut d = sip_desk(|_| {});
    assert!(!d.takes_calls(), "Not Ready after sign-in");
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    assert!(d.takes_calls());
    answered_call(&mut d, T0);
    assert!(d.takes_calls(), "kept in After Call Work, for the next call");
    intent(&mut d, T0 + 61_000.0, Intent::SetState(AgentState::NotReady(None)));
    assert!(!d.takes_calls());
    intent(&mut d, T0 + 62_000.0, Intent::SetState(AgentState::Ready));
    d.role = Role::Remote;
    assert!(!d.takes_calls(), "not in a window without the phone");
    d.role = Role::Owner;
    d.handle(T0 + 63_000.0, Input::Line(LineEvent::Status(LineStatus::Failed("lost".into()))));
    assert!(!d.takes_calls(), "not with the line down");
    let demo = super::tests::demo_desk(|_| {});
    assert!(!demo.takes_calls(), "the demo line has no media");
}
