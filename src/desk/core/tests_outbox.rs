//! Host tests of what the desk does with the outbox and the wrap-ups when this window takes the phone
//! (issue 15): the stored copy, activities queued while starting and the packet are merged; a handed-over
//! copy is looked up, never resent blind; a call ended while starting keeps its wrap-up.

use super::tests::{answered_call, sip_desk, T0};
use super::*;
use crate::servicenow::outbox::{Outbox, Step};

fn act(id: &str) -> crate::servicenow::activity::Activity {
    crate::servicenow::outbox::tests::act(id)
}

fn with(ids: &[&str]) -> Outbox {
    let mut o = Outbox::default();
    for id in ids {
        o.add(act(id), T0).unwrap();
    }
    o
}

#[test]
fn taking_the_phone_merges_the_stored_copy_the_starting_activities_and_the_packet() {
    let mut d = sip_desk(|s| s.wrap_up = false);
    // Queued while still starting.
    answered_call(&mut d, T0);
    let early = d.outbox.ids();
    assert_eq!(early.len(), 1);
    let packet = crate::json::json!({"at": T0, "outbox": crate::json::to_string(&with(&["from-packet"]))});
    let fx = d.handle(T0 + 10_000.0, Input::Adopt { packet: Some(packet), stored_wrapups: vec![], stored_outbox: with(&["stored"]) });
    let mut ids = d.outbox.ids();
    ids.sort();
    let mut want = vec!["from-packet".to_string(), "stored".to_string(), early[0].clone()];
    want.sort();
    assert_eq!(ids, want);
    assert!(fx.contains(&Effect::Save(Store::Outbox)), "stored at once");
}

/// Item 1 in the desk: a stored copy this window handed over (and never heard acknowledged) is looked up
/// before anything is sent, when this window takes the phone again with no packet.
#[test]
fn hostile_a_handed_over_copy_taken_back_without_a_packet_is_looked_up() {
    let mut d = sip_desk(|_| {});
    let mut stored = with(&["a"]);
    let _packet = stored.hand_over();
    d.handle(T0, Input::Adopt { packet: None, stored_wrapups: vec![], stored_outbox: stored });
    assert_eq!(d.outbox.next(T0 + 1e9, true), Some(Step::Verify("a".into())));
}

/// The packet's outbox that cannot be read does not empty this window's own.
#[test]
fn hostile_an_unreadable_packet_outbox_leaves_the_stored_one() {
    let mut d = sip_desk(|_| {});
    let packet = crate::json::json!({"at": T0, "outbox": "{not json"});
    d.handle(T0, Input::Adopt { packet: Some(packet), stored_wrapups: vec![], stored_outbox: with(&["kept"]) });
    assert_eq!(d.outbox.ids(), vec!["kept".to_string()]);
}

/// The hand-over marks this window's copy as handed (kept until acknowledged) and saves it.
#[test]
fn handing_over_keeps_a_marked_copy() {
    let mut d = sip_desk(|_| {});
    d.outbox = with(&["a"]);
    let copy = d.hand_over_outbox();
    assert_eq!(copy.ids(), vec!["a".to_string()]);
    assert!(!copy.entries[0].handed, "the receiver's copy is its own");
    assert!(d.outbox.entries[0].handed);
    assert!(d.out.contains(&Effect::Save(Store::Outbox)), "the marked copy is saved");
}

/// A call that ended while this window was still starting keeps its wrap-up when the packet (or a reload's
/// snapshot) arrives; a remote view's copy of the owner's wrap-up is not kept twice.
#[test]
fn a_call_ended_while_starting_keeps_its_wrap_up() {
    let mut d = sip_desk(|_| {});
    answered_call(&mut d, T0);
    assert_eq!(d.wrapups.len(), 1);
    let packet = crate::json::json!({"at": T0, "wrapups": "[]"});
    d.handle(T0 + 10_000.0, Input::Adopt { packet: Some(packet), stored_wrapups: vec![], stored_outbox: Outbox::default() });
    assert_eq!(d.wrapups.len(), 1, "the wrap-up of the call taken while starting is kept");
}
