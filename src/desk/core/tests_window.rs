//! Host tests of the window group's side of the desk: typed messages between windows (and hostile ones),
//! the owner's state in a remote view, the hand-over of the phone and the state saved for a reload.

use super::tests::{answered_call, demo_desk, incoming, intent, sip_desk, T0};
use super::*;
use crate::openframe::protocol::RecordRef;
use crate::phone::call::{CallState, EndReason};
use crate::phone::line::{LineCommand, Resume};
use crate::json::json;

fn record() -> RecordRef {
    RecordRef { entity: "sn_customerservice_case".into(), sys_id: Some("0123456789abcdef0123456789abcdef".into()), query: String::new(), label: "CS1".into(), value: "CS1".into() }
}

#[test]
fn every_intent_a_window_may_send_reads_back_as_itself() {
    let mut d = sip_desk(|_| {});
    answered_call(&mut d, T0);
    let w = d.wrapups[0].clone();
    let all = [
        Intent::Dial { number: "+14155550100".into(), record: Some(record()), name: Some("Beth".into()) },
        Intent::Dial { number: "sip:bob@example.com".into(), record: None, name: None },
        Intent::Answer(1),
        Intent::Reject(2),
        Intent::HangUp(3),
        Intent::Hold { id: 4, on: true },
        Intent::ToggleMute,
        Intent::Dtmf { id: 5, digit: '#' },
        Intent::Transfer { id: 6, target: "+14155550142".into(), consult: Some(7) },
        Intent::Transfer { id: 6, target: "+14155550142".into(), consult: None },
        Intent::Conference { id: 8, other: 9 },
        Intent::SetState(AgentState::NotReady(Some("Lunch".into()))),
        Intent::SimulateIncoming { name: "Beth".into(), number: "+14155550123".into() },
        Intent::SignIn { server: "wss://sip.example.com".into(), user: "alice".into(), password: "pw".into() },
        Intent::SignOut,
        Intent::ClearEnded,
        Intent::ChoosePop { call: 10, record: record() },
        Intent::OpenNew { call: 11, table: "customer_contact".into(), query: "phone=+14155550100".into() },
        Intent::EditWrapUp(w.clone()),
        Intent::SubmitWrapUp(Some(w)),
    ];
    for i in all {
        let v = i.to_json().unwrap_or_else(|| panic!("{i:?} is not sent"));
        // Through text, as it travels.
        let back: crate::json::Value = crate::json::from_str(&v.to_string()).unwrap();
        assert_eq!(Intent::from_json(&back), Some(i));
    }
    // What stays in its window is never sent.
    assert_eq!(Intent::DecideTransfer(true).to_json(), None);
    assert_eq!(Intent::DismissActivity("x".into()).to_json(), None);
}

macro_rules! hostile_window_message {
    ($($name:ident: $msg:expr,)*) => {$(
        #[test]
        fn $name() {
            let v: crate::json::Value = $msg;
            assert_eq!(Intent::from_json(&v), None, "{v}");
            // The owner acts on nothing it cannot read.
            let mut d = demo_desk(|_| {});
            intent(&mut d, T0, Intent::SimulateIncoming { name: String::new(), number: String::new() });
            let before = (d.calls.clone(), d.agent_state.clone(), d.muted);
            if let Some(i) = Intent::from_json(&v) {
                d.handle(T0, Input::Remote(i));
            }
            assert_eq!((d.calls.clone(), d.agent_state.clone(), d.muted), before);
        }
    )*};
}

hostile_window_message! {
    hostile_intent_unknown_command: json!({"c": "format-disk"}),
    hostile_intent_without_command: json!({"id": 1}),
    hostile_intent_not_an_object: json!(["answer", 1]),
    hostile_intent_id_as_text: json!({"c": "answer", "id": "1"}),
    hostile_intent_id_too_large: json!({"c": "hangup", "id": 4_294_967_296u64}),
    hostile_intent_negative_id: json!({"c": "reject", "id": -1}),
    hostile_intent_dtmf_two_digits: json!({"c": "dtmf", "id": 1, "digit": "12"}),
    hostile_intent_dtmf_not_a_digit: json!({"c": "dtmf", "id": 1, "digit": "\u{202e}"}),
    hostile_intent_hold_without_on: json!({"c": "hold", "id": 1}),
    hostile_intent_state_unknown: json!({"c": "state", "state": "superuser"}),
    hostile_intent_dial_number_not_text: json!({"c": "dial", "number": 4155550100u64}),
    hostile_intent_dial_record_not_a_record: json!({"c": "dial", "number": "+14155550100", "record": "<img src=x>"}),
    hostile_intent_choose_without_record: json!({"c": "choose", "id": 1}),
    hostile_intent_submit_without_wrapup: json!({"c": "submit"}),
    hostile_intent_wrapup_not_a_wrapup: json!({"c": "wrapup", "w": {"activity_id": 1}}),
    hostile_intent_signin_without_password: json!({"c": "signin", "server": "wss://x", "user": "a"}),
}

#[test]
fn hostile_owner_state_that_is_not_one_changes_nothing() {
    let mut d = demo_desk(|_| {});
    d.handle(T0, Input::Role(Role::Remote));
    for v in [json!({"calls": "x"}), json!({"calls": [], "agentState": "root", "muted": false, "line": "Demo", "pops": []}), json!(null), json!({"calls": [], "agentState": "ready", "muted": "yes", "line": "Demo", "pops": []})] {
        assert_eq!(OwnerState::from_json(&v), None, "{v}");
    }
}

#[test]
fn the_owner_state_reads_back_and_a_remote_view_shows_it() {
    let mut owner = sip_desk(|s| s.reject_when_busy = false);
    let (id, _) = incoming(&mut owner, T0, "+14155550100");
    owner.handle(T0, Input::Sn(SnEvent::Pop { call: id, decision: Decision::Choose(vec![record()]) }));
    let mut s = owner.owner_state();
    s.of_config = Some(json!({"title": "Phone"}));
    let back = OwnerState::from_json(&crate::json::from_str(&s.to_json().to_string()).unwrap()).unwrap();
    assert_eq!(back, s);
    // What the shell sends (written from the core without a copy) is the same text.
    assert_eq!(owner.owner_state_json(&s.of_config).to_string(), s.to_json().to_string());
    let mut view = demo_desk(|_| {});
    view.handle(T0, Input::Role(Role::Remote));
    view.handle(T0, Input::OwnerState(back));
    assert_eq!(view.calls, owner.calls);
    assert_eq!(view.pops, owner.pops);
    assert_eq!(view.line_status, LineStatus::Registered);
}

#[test]
fn a_remote_view_keeps_its_wrap_up_edits_and_does_not_show_a_finished_one_again() {
    let mut owner = sip_desk(|_| {});
    answered_call(&mut owner, T0);
    let mut view = demo_desk(|_| {});
    view.handle(T0, Input::Role(Role::Remote));
    view.handle(T0, Input::OwnerState(owner.owner_state()));
    assert_eq!(view.wrapups.len(), 1);
    // The view edits: its copy is kept while the owner's state still has the old one.
    let mut w = view.wrapups[0].clone();
    w.notes = "typed in the frame".into();
    w.disposition = Some("Resolved".into());
    let fx = intent(&mut view, T0, Intent::EditWrapUp(w.clone()));
    assert_eq!(fx, vec![Effect::WrapUpError(None), Effect::ToOwner(Intent::EditWrapUp(w.clone())), Effect::Mirror(Store::WrapUps)], "shown, not stored");
    view.handle(T0, Input::OwnerState(owner.owner_state()));
    assert_eq!(view.wrapups[0].notes, "typed in the frame");
    // The owner takes the edit; the view finishes it; the owner writes the activity.
    owner.handle(T0, Input::Remote(Intent::EditWrapUp(w.clone())));
    assert_eq!(owner.wrapups[0].notes, "typed in the frame");
    let fx = intent(&mut view, T0, Intent::SubmitWrapUp(None));
    let sent = fx.iter().find_map(|e| match e {
        Effect::ToOwner(i) => Some(i.clone()),
        _ => None,
    });
    assert!(view.wrapups.is_empty());
    // Until the owner's state catches up, the finished wrap-up is not shown again.
    view.handle(T0, Input::OwnerState(owner.owner_state()));
    assert!(view.wrapups.is_empty(), "shown again");
    owner.handle(T0, Input::Remote(sent.unwrap()));
    assert!(owner.wrapups.is_empty());
    assert_eq!(owner.outbox.entries.len(), 1);
    assert!(view.outbox.entries.is_empty(), "only the owner writes activities");
}

#[test]
fn hostile_a_wrap_up_edit_for_another_call_is_ignored_by_the_owner() {
    let mut owner = sip_desk(|_| {});
    answered_call(&mut owner, T0);
    let mut other = owner.wrapups[0].clone();
    other.activity_id = "not-this-one".into();
    other.disposition = Some("Resolved".into());
    owner.handle(T0, Input::Remote(Intent::SubmitWrapUp(Some(other))));
    assert_eq!(owner.wrapups.len(), 1);
    assert!(owner.outbox.entries.is_empty());
}

/// A SIP owner with one connected call and one on hold.
fn owner_with_calls() -> (DeskCore, u32, u32) {
    let mut d = sip_desk(|s| s.reject_when_busy = false);
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    let (a, _) = incoming(&mut d, T0, "+14155550100");
    intent(&mut d, T0, Intent::Answer(a));
    d.handle(T0 + 1_000.0, Input::Line(LineEvent::Connected(a)));
    let (b, _) = incoming(&mut d, T0 + 2_000.0, "+14155550101");
    intent(&mut d, T0 + 2_000.0, Intent::Answer(b));
    d.handle(T0 + 3_000.0, Input::Line(LineEvent::Connected(b)));
    (d, a, b)
}

fn with_line(mut p: crate::json::Value, resume: &[u32]) -> crate::json::Value {
    p["sip"] = json!({"server": "wss://sip.example.com", "domain": "example.com", "user": "alice", "password": "pw", "ice": ""});
    p["resume"] = resume.iter().map(|id| json!({"id": id, "target": "sip:far@example.com", "replaces": format!("c{id};to-tag=a;from-tag=b"), "held": false})).collect();
    p
}

#[test]
fn the_phone_is_not_handed_over_while_a_call_is_set_up() {
    let (mut d, _, _) = owner_with_calls();
    assert!(d.can_hand_over());
    incoming(&mut d, T0 + 4_000.0, "+14155550102");
    assert!(!d.can_hand_over(), "a ringing call is not moved");
}

#[test]
fn the_next_owner_takes_the_calls_over_and_the_agent_state_comes_back_once_registered() {
    let (old, a, b) = owner_with_calls();
    let packet = with_line(old.packet(T0 + 5_000.0), &[a, b]);
    let mut new = demo_desk(|s| s.line = LineKind::Sip);
    new.handle(T0 + 5_000.0, Input::Role(Role::Remote));
    new.handle(T0 + 5_000.0, Input::OwnerState(old.owner_state()));
    let fx = new.handle(T0 + 6_000.0, Input::Adopt { packet: Some(packet), stored_wrapups: vec![], stored_outbox: Default::default() });
    assert_eq!(new.role, Role::Owner);
    assert_eq!(new.calls.iter().filter(|c| c.is_live()).count(), 2);
    assert_eq!(new.calls.iter().find(|c| c.id == a).unwrap().state, CallState::Held, "the held call stays held");
    let resume = fx.iter().find_map(|e| match e {
        Effect::Line(LineCommand::SignIn { resume, creds }) => Some((resume.clone(), creds.user.clone())),
        _ => None,
    });
    let (resume, user): (Vec<Resume>, String) = resume.expect("signs in to take the calls back");
    assert_eq!((resume.len(), user.as_str()), (2, "alice"));
    assert!(new.next_call_id > b, "new calls get new ids");
    // Registered again: the agent's state comes back (not the Not Ready of a fresh sign-in).
    new.handle(T0 + 7_000.0, Input::Line(LineEvent::Status(LineStatus::Registered)));
    assert_eq!(new.agent_state, AgentState::Ready);
}

/// A handed-over packet from another window whose ids are past u32: 2^32 + a would have resumed call `a`'s
/// dialog and 2^32 + 1 set the next id back to 1 (ids of calls still shown). Neither may be acted on.
#[test]
fn hostile_handover_ids_past_u32_are_not_cut_to_ours() {
    let (old, a, b) = owner_with_calls();
    let mut packet = with_line(old.packet(T0 + 5_000.0), &[b]);
    packet["resume"] = json!([{"id": (1u64 << 32) + a as u64, "target": "sip:far@example.com", "replaces": "c1;to-tag=a;from-tag=b", "held": false},
        {"id": b, "target": "sip:far@example.com", "replaces": format!("c{b};to-tag=a;from-tag=b"), "held": false}]);
    packet["nextId"] = json!((1u64 << 32) + 1);
    let mut new = demo_desk(|s| s.line = LineKind::Sip);
    let before = new.next_call_id;
    let fx = new.handle(T0 + 6_000.0, Input::Adopt { packet: Some(packet), stored_wrapups: vec![], stored_outbox: Default::default() });
    let resume = fx.iter().find_map(|e| match e {
        Effect::Line(LineCommand::SignIn { resume, .. }) => Some(resume.iter().map(|r| r.id).collect::<Vec<_>>()),
        _ => None,
    });
    assert_eq!(resume, Some(vec![b]), "only the call whose id is really b is taken back");
    assert!(matches!(&new.calls.iter().find(|c| c.id == a).unwrap().state, CallState::Ended(_)), "call a has no dialog to take back");
    assert!(new.next_call_id >= before && new.next_call_id > b, "the next id is not cut to 1: {}", new.next_call_id);
    // And from storage: a saved next id past u32 is not cut either.
    let mut d = DeskCore::new(Settings::default(), 1);
    d.next_call_id = 40;
    d.handle(T0, Input::Restore(json!({"nextId": (1u64 << 32) + 1, "at": T0})));
    assert_eq!(d.next_call_id, 40, "cut, it would be 1");
}

#[test]
fn a_sip_call_nobody_can_take_back_ends_with_the_reason_and_is_wrapped_up() {
    let (old, a, b) = owner_with_calls();
    // Only `b` has a dialog to take over.
    let packet = with_line(old.packet(T0 + 5_000.0), &[b]);
    let mut new = demo_desk(|s| s.line = LineKind::Sip);
    new.handle(T0 + 6_000.0, Input::Adopt { packet: Some(packet), stored_wrapups: vec![], stored_outbox: Default::default() });
    let lost = new.calls.iter().find(|c| c.id == a).unwrap();
    assert!(matches!(&lost.state, CallState::Ended(EndReason::Failed(m)) if m.contains(crate::strings::TAKE_BACK_FAILED())), "{:?}", lost.state);
    assert_eq!(new.wrapups.len(), 1, "its wrap-up still opens");
}

#[test]
fn an_owner_that_vanished_leaves_its_sip_calls_ended_and_the_drafts_from_storage() {
    let (old, _, _) = owner_with_calls();
    let mut view = demo_desk(|s| s.line = LineKind::Sip);
    view.handle(T0, Input::Role(Role::Remote));
    view.handle(T0, Input::OwnerState(old.owner_state()));
    let mut stored = sip_desk(|_| {});
    answered_call(&mut stored, T0);
    view.handle(T0 + 9_000.0, Input::Adopt { packet: None, stored_wrapups: stored.wrapups.clone(), stored_outbox: Default::default() });
    assert!(view.calls.iter().all(|c| !c.is_live()), "nothing is shown as live that nobody has");
    // The stored draft, and one wrap-up for each of the two calls that ended.
    assert_eq!(view.wrapups.len(), 3);
}

#[test]
fn a_reload_takes_back_its_own_calls_from_the_saved_state_while_fresh() {
    let (old, a, b) = owner_with_calls();
    let saved = with_line(old.packet(T0 + 5_000.0), &[a, b]);
    let mut reloaded = demo_desk(|s| s.line = LineKind::Sip);
    reloaded.handle(T0 + 6_000.0, Input::Restore(saved.clone()));
    assert_eq!(reloaded.calls.len(), 2, "shown at once");
    let fx = reloaded.handle(T0 + 7_000.0, Input::Adopt { packet: None, stored_wrapups: vec![], stored_outbox: Default::default() });
    assert!(fx.iter().any(|e| matches!(e, Effect::Line(LineCommand::SignIn { resume, .. }) if resume.len() == 2)), "{fx:?}");
    assert!(reloaded.saved.is_none(), "used once");
    // A saved state older than the secrets' lifetime is not used.
    let mut late = demo_desk(|s| s.line = LineKind::Sip);
    late.handle(T0 + 6_000.0, Input::Restore(saved));
    let fx = late.handle(T0 + 5_000.0 + crate::trust::SECRET_TTL_MS + 1.0, Input::Adopt { packet: None, stored_wrapups: vec![], stored_outbox: Default::default() });
    assert!(!fx.iter().any(|e| matches!(e, Effect::Line(LineCommand::SignIn { .. }))), "a stale state signed in");
}

#[test]
fn a_window_that_becomes_a_remote_view_lets_go_of_the_wrap_ups_and_the_outbox() {
    let mut d = sip_desk(|_| {});
    answered_call(&mut d, T0);
    let fx = d.handle(T0, Input::Role(Role::Remote));
    assert!(d.wrapups.is_empty() && d.outbox.entries.is_empty());
    assert!(fx.contains(&Effect::StopSounds));
    d.handle(T0, Input::Role(Role::Unlinked));
    assert!(d.calls.is_empty(), "nothing of another window's phone is kept");
}
