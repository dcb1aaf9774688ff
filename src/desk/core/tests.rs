//! Host tests of the desk's rules: agent states, busy refusal, Missed, wrap-up and its timeouts, screen
//! pops, what activity is written, and the outbox hand-off.

use super::*;
use crate::config::{ScreenPopWhen, WrapUpTimeout};
use crate::openframe::protocol::{PresenceColor, RecordRef};
use crate::phone::call::{CallState, EndReason};
use crate::phone::demo::{ALERT_TIMEOUT_MS, ANSWER_AFTER_MS, RING_AFTER_MS};
use crate::phone::line::LineCommand;
use crate::servicenow::outbox::MAX_KEPT;

pub(super) const T0: f64 = 1_800_000_000_000.0;

pub(super) fn demo_desk(f: impl FnOnce(&mut Settings)) -> DeskCore {
    let mut s = Settings::default();
    f(&mut s);
    let mut d = DeskCore::new(s, 7);
    d.handle(T0, Input::LineStarted);
    d
}

pub(super) fn sip_desk(f: impl FnOnce(&mut Settings)) -> DeskCore {
    let mut d = demo_desk(|s| {
        s.line = LineKind::Sip;
        f(s)
    });
    d.handle(T0, Input::Line(LineEvent::Status(LineStatus::Registered)));
    d
}

pub(super) fn intent(d: &mut DeskCore, now: f64, i: Intent) -> Vec<Effect> {
    d.handle(now, Input::Intent(i))
}

pub(super) fn incoming(d: &mut DeskCore, now: f64, number: &str) -> (u32, Vec<Effect>) {
    let id = d.alloc_call_id();
    let fx = d.handle(now, Input::Line(LineEvent::Incoming { id, name: None, number: number.into(), x_headers: Vec::new() }));
    (id, fx)
}

fn state_of(d: &DeskCore, id: u32) -> CallState {
    d.calls.iter().find(|c| c.id == id).unwrap().state.clone()
}

fn presence(fx: &[Effect]) -> Vec<(String, PresenceColor)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Frame(Outgoing::SetPresence { state, color }) => Some((state.clone(), *color)),
            _ => None,
        })
        .collect()
}

/// A SIP call that is answered and then hung up by the far end.
pub(super) fn answered_call(d: &mut DeskCore, now: f64) -> u32 {
    if d.busy_code().is_some() {
        intent(d, now, Intent::SetState(AgentState::Ready));
    }
    let (id, _) = incoming(d, now, "+14155550100");
    intent(d, now + 1_000.0, Intent::Answer(id));
    d.handle(now + 1_500.0, Input::Line(LineEvent::Connected(id)));
    d.handle(now + 60_000.0, Input::Line(LineEvent::Ended { id, reason: EndReason::RemoteHungUp }));
    id
}

#[test]
fn the_demo_line_starts_ready_and_the_sip_line_offline() {
    assert_eq!(demo_desk(|_| {}).agent_state, AgentState::Ready);
    let mut d = demo_desk(|s| s.line = LineKind::Sip);
    assert_eq!(d.agent_state, AgentState::Offline);
    assert_eq!(d.line_status, LineStatus::SignedOut);
    // Signing in makes the agent Not Ready (taking calls is the agent's choice); losing the line, Offline.
    d.handle(T0, Input::Line(LineEvent::Status(LineStatus::Registered)));
    assert_eq!(d.agent_state, AgentState::NotReady(None));
    d.handle(T0, Input::Line(LineEvent::Status(LineStatus::Failed("lost".into()))));
    assert_eq!(d.agent_state, AgentState::Offline);
}

#[test]
fn a_restored_state_is_kept_when_the_demo_line_starts() {
    let mut d = DeskCore::new(Settings::default(), 1);
    d.handle(T0, Input::Restore(crate::json::json!({"agentState": "not-ready:Lunch", "at": T0})));
    d.handle(T0, Input::LineStarted);
    assert_eq!(d.agent_state, AgentState::NotReady(Some("Lunch".into())));
}

#[test]
fn presence_follows_the_agent_state_once_per_change() {
    let mut d = demo_desk(|_| {});
    let fx = intent(&mut d, T0, Intent::SetState(AgentState::NotReady(Some("Lunch".into()))));
    assert_eq!(presence(&fx), vec![("Not Ready: Lunch".to_string(), PresenceColor::Red)]);
    let fx = intent(&mut d, T0, Intent::SetState(AgentState::NotReady(Some("Lunch".into()))));
    assert!(presence(&fx).is_empty(), "sent twice: {fx:?}");
    let fx = d.handle(T0, Input::FrameConnected);
    assert_eq!(presence(&fx).len(), 1, "a new handshake sends it again");
}

#[test]
fn presence_says_on_call_while_a_call_is_live() {
    let mut d = demo_desk(|_| {});
    intent(&mut d, T0, Intent::Dial { number: "+14155550100".into(), record: None, name: None });
    let fx = d.handle(T0, Input::Presence);
    assert_eq!(presence(&fx), vec![(crate::strings::ON_CALL().to_string(), PresenceColor::Red)]);
}

#[test]
fn a_call_while_not_ready_is_refused_with_480_and_is_not_missed() {
    let mut d = sip_desk(|_| {});
    let (id, fx) = incoming(&mut d, T0, "+14155550100");
    assert!(fx.contains(&Effect::Line(LineCommand::Reject { id, code: 480 })), "{fx:?}");
    assert_eq!(state_of(&d, id), CallState::Ended(EndReason::Missed));
    assert!(d.calls[0].note.as_deref().unwrap().contains("480"));
    assert_eq!(d.agent_state, AgentState::NotReady(None), "a refused call does not make the agent Missed");
    assert!(!fx.iter().any(|e| matches!(e, Effect::ScreenPop { .. })), "a refused call pops nothing");
}

#[test]
fn a_call_in_after_call_work_is_refused_with_486() {
    let mut d = sip_desk(|_| {});
    intent(&mut d, T0, Intent::SetState(AgentState::AfterCallWork));
    let (id, fx) = incoming(&mut d, T0, "+14155550100");
    assert!(fx.contains(&Effect::Line(LineCommand::Reject { id, code: 486 })), "{fx:?}");
}

#[test]
fn with_reject_when_busy_off_a_call_rings_whatever_the_state() {
    let mut d = sip_desk(|s| s.reject_when_busy = false);
    let (id, fx) = incoming(&mut d, T0, "+14155550100");
    assert_eq!(state_of(&d, id), CallState::Alerting);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Line(LineCommand::Reject { .. }))));
    assert!(fx.contains(&Effect::Frame(Outgoing::Show)), "the frame is shown for an alert");
}

#[test]
fn an_unanswered_demo_alert_while_ready_makes_the_agent_missed() {
    let mut d = demo_desk(|_| {});
    intent(&mut d, T0, Intent::SimulateIncoming { name: String::new(), number: String::new() });
    let id = d.placed.unwrap();
    d.handle(T0 + ALERT_TIMEOUT_MS - 1.0, Input::Tick);
    assert_eq!(state_of(&d, id), CallState::Alerting);
    let fx = d.handle(T0 + ALERT_TIMEOUT_MS, Input::Tick);
    assert_eq!(state_of(&d, id), CallState::Ended(EndReason::Missed));
    assert_eq!(d.agent_state, AgentState::Missed);
    assert!(fx.iter().any(|e| matches!(e, Effect::Announce(a) if a.contains("Missed") || a.contains("missed"))), "{fx:?}");
    assert_eq!(d.recents.len(), 1);
}

#[test]
fn a_call_answered_elsewhere_does_not_make_the_agent_missed() {
    let mut d = sip_desk(|_| {});
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    d.handle(T0 + 5_000.0, Input::Line(LineEvent::Ended { id, reason: EndReason::AnsweredElsewhere }));
    assert_eq!(d.agent_state, AgentState::Ready);
    // A caller who gives up makes the agent Missed.
    let (id, _) = incoming(&mut d, T0, "+14155550101");
    d.handle(T0 + 5_000.0, Input::Line(LineEvent::Ended { id, reason: EndReason::Missed }));
    assert_eq!(d.agent_state, AgentState::Missed);
}

#[test]
fn an_answered_call_opens_a_wrap_up_in_after_call_work_and_goes_to_the_recents_once() {
    let mut d = sip_desk(|_| {});
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    let id = answered_call(&mut d, T0);
    assert_eq!(d.agent_state, AgentState::AfterCallWork);
    assert_eq!(d.wrapups.len(), 1);
    assert_eq!(d.wrapups[0].number, "+14155550100");
    assert_eq!(d.recents.len(), 1);
    // Clearing and more input do not finalize it again.
    d.handle(T0 + 70_000.0, Input::Line(LineEvent::Ended { id, reason: EndReason::HungUp }));
    intent(&mut d, T0 + 70_000.0, Intent::ClearEnded);
    assert_eq!(d.recents.len(), 1);
    assert_eq!(d.wrapups.len(), 1);
}

#[test]
fn a_wrap_up_needs_a_disposition_and_then_returns_the_agent_to_ready() {
    let mut d = sip_desk(|_| {});
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    answered_call(&mut d, T0);
    let fx = intent(&mut d, T0 + 61_000.0, Intent::SubmitWrapUp(None));
    assert!(d.refused.as_deref().unwrap().contains("disposition"), "{:?}", d.refused);
    assert!(fx.iter().any(|e| matches!(e, Effect::WrapUpError(Some(_)))));
    assert!(d.outbox.entries.is_empty(), "nothing is written before the wrap-up is complete");
    let mut w = d.wrapups[0].clone();
    w.disposition = Some("Resolved".into());
    w.notes = "refund promised".into();
    let fx = intent(&mut d, T0 + 62_000.0, Intent::EditWrapUp(w));
    assert!(fx.contains(&Effect::Save(Store::WrapUps)), "the draft is saved at once");
    let fx = intent(&mut d, T0 + 63_000.0, Intent::SubmitWrapUp(None));
    assert_eq!(d.refused, None);
    assert!(d.wrapups.is_empty());
    assert_eq!(d.agent_state, AgentState::Ready, "back to the state before the call");
    assert!(fx.contains(&Effect::Save(Store::Outbox)), "the outbox is stored before any attempt: {fx:?}");
    let a = &d.outbox.entries[0].activity;
    assert_eq!((a.disposition.as_str(), a.notes.as_str(), a.caller.as_str()), ("Resolved", "refund promised", "+14155550100"));
}

#[test]
fn without_return_to_previous_state_a_wrap_up_ends_in_not_ready() {
    let mut d = sip_desk(|s| {
        s.return_to_previous_state = false;
        s.disposition_required = false;
    });
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    answered_call(&mut d, T0);
    intent(&mut d, T0 + 61_000.0, Intent::SubmitWrapUp(None));
    assert_eq!(d.agent_state, AgentState::NotReady(None));
}

#[test]
fn the_wrap_up_countdown_warns_once_when_it_runs_out() {
    let mut d = sip_desk(|s| {
        s.wrap_up_seconds = 30;
        s.wrap_up_timeout = WrapUpTimeout::Warn;
    });
    answered_call(&mut d, T0);
    let opened = d.wrapups[0].opened_ms;
    d.handle(opened + 29_000.0, Input::Tick);
    assert!(!d.wrapups[0].overdue);
    let fx = d.handle(opened + 30_000.0, Input::Tick);
    assert!(d.wrapups[0].overdue);
    assert!(fx.contains(&Effect::Announce(crate::strings::WRAPUP_OVERDUE().into())));
    let fx = d.handle(opened + 31_000.0, Input::Tick);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Announce(_))), "warned twice");
    assert_eq!(d.agent_state, AgentState::AfterCallWork, "the warning does not finish the wrap-up");
}

#[test]
fn the_wrap_up_countdown_completes_a_wrap_up_that_may_be_completed() {
    let mut d = sip_desk(|s| {
        s.wrap_up_seconds = 10;
        s.wrap_up_timeout = WrapUpTimeout::Complete;
        s.disposition_required = false;
    });
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    answered_call(&mut d, T0);
    let opened = d.wrapups[0].opened_ms;
    d.handle(opened + 10_000.0, Input::Tick);
    assert!(d.wrapups.is_empty());
    assert_eq!(d.outbox.entries.len(), 1);
    assert_eq!(d.agent_state, AgentState::Ready);
}

#[test]
fn the_countdown_marks_overdue_a_wrap_up_it_cannot_complete() {
    let mut d = sip_desk(|s| {
        s.wrap_up_seconds = 10;
        s.wrap_up_timeout = WrapUpTimeout::Complete;
    });
    answered_call(&mut d, T0);
    let opened = d.wrapups[0].opened_ms;
    d.handle(opened + 10_000.0, Input::Tick);
    assert_eq!(d.wrapups.len(), 1, "a wrap-up without its disposition is kept");
    assert!(d.wrapups[0].overdue);
    assert!(d.outbox.entries.is_empty());
}

#[test]
fn without_wrap_up_the_activity_goes_straight_to_the_outbox() {
    let mut d = sip_desk(|s| s.wrap_up = false);
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    answered_call(&mut d, T0);
    assert!(d.wrapups.is_empty());
    assert_eq!(d.outbox.entries.len(), 1);
    assert_eq!(d.agent_state, AgentState::Ready, "no After Call Work without a wrap-up");
}

#[test]
fn a_full_outbox_keeps_the_activity_as_a_wrap_up_with_the_reason() {
    let mut d = sip_desk(|s| s.wrap_up = false);
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    for i in 0..MAX_KEPT {
        answered_call(&mut d, T0 + i as f64 * 100_000.0);
    }
    assert_eq!(d.outbox.entries.len(), MAX_KEPT);
    let (id, _) = incoming(&mut d, T0 + 1e8, "+14155550199");
    intent(&mut d, T0 + 1e8, Intent::Answer(id));
    d.handle(T0 + 1e8, Input::Line(LineEvent::Connected(id)));
    let fx = d.handle(T0 + 1e8 + 5_000.0, Input::Line(LineEvent::Ended { id, reason: EndReason::HungUp }));
    assert_eq!(d.wrapups.len(), 1, "nothing is lost: it waits as a wrap-up");
    assert!(fx.iter().any(|e| matches!(e, Effect::WrapUpError(Some(m)) if m.contains(&MAX_KEPT.to_string()))), "{fx:?}");
}

#[test]
fn activities_name_the_sip_user_or_the_demo_line() {
    let mut d = sip_desk(|s| s.wrap_up = false);
    intent(&mut d, T0, Intent::SignIn { server: "wss://sip.example.com".into(), user: "alice".into(), password: "pw".into() });
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    answered_call(&mut d, T0);
    let a = &d.outbox.entries[0].activity;
    assert_eq!((a.agent.as_str(), a.dialled.as_str()), ("alice", "alice"));
    let mut d = demo_desk(|s| s.wrap_up = false);
    intent(&mut d, T0, Intent::SimulateIncoming { name: String::new(), number: String::new() });
    let id = d.placed.unwrap();
    intent(&mut d, T0 + 1_000.0, Intent::Answer(id));
    intent(&mut d, T0 + 9_000.0, Intent::HangUp(id));
    let a = &d.outbox.entries[0].activity;
    assert_eq!((a.agent.as_str(), a.dialled.as_str()), ("Agent", crate::strings::DEMO_LINE_NUMBER()));
}

#[test]
fn each_activity_gets_its_own_id() {
    let mut d = sip_desk(|s| s.wrap_up = false);
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    for i in 0..20 {
        answered_call(&mut d, T0 + i as f64 * 100_000.0);
    }
    let mut ids: Vec<&str> = d.outbox.entries.iter().map(|e| e.activity.call_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}

#[test]
fn the_screen_pop_runs_on_alert_on_answer_or_never_as_set() {
    for (when, on_alert, on_answer) in [(ScreenPopWhen::OnAlert, true, false), (ScreenPopWhen::OnAnswer, false, true), (ScreenPopWhen::Never, false, false)] {
        let mut d = sip_desk(|s| {
            s.screen_pop = when;
            s.reject_when_busy = false;
        });
        let (id, fx) = incoming(&mut d, T0, "+14155550100");
        let pops = |fx: &[Effect]| fx.iter().any(|e| matches!(e, Effect::ScreenPop { call, .. } if *call == id));
        assert_eq!(pops(&fx), on_alert, "{when:?} on alert");
        let fx = intent(&mut d, T0, Intent::Answer(id));
        assert_eq!(pops(&fx), on_answer, "{when:?} on answer");
    }
}

fn record(id: &str) -> RecordRef {
    RecordRef { entity: "sn_customerservice_case".into(), sys_id: Some(id.into()), query: String::new(), label: "CS001".into(), value: "CS001".into() }
}

#[test]
fn a_pop_that_finds_one_record_opens_it_and_attaches_it_to_the_call() {
    let mut d = sip_desk(|s| s.reject_when_busy = false);
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    let r = record("0123456789abcdef0123456789abcdef");
    let fx = d.handle(T0, Input::Sn(SnEvent::Pop { call: id, decision: Decision::Open(r.clone()) }));
    assert_eq!(d.calls[0].record.as_ref(), Some(&r));
    assert!(fx.iter().any(|e| matches!(e, Effect::Frame(Outgoing::OpenForm { query, .. }) if query == "sys_id=0123456789abcdef0123456789abcdef")));
}

#[test]
fn a_choice_waits_for_the_agent_and_the_chosen_record_is_attached() {
    let mut d = sip_desk(|s| s.reject_when_busy = false);
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    let (a, b) = (record("0123456789abcdef0123456789abcdef"), record("fedcba9876543210fedcba9876543210"));
    let fx = d.handle(T0, Input::Sn(SnEvent::Pop { call: id, decision: Decision::Choose(vec![a.clone(), b.clone()]) }));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Frame(Outgoing::OpenForm { .. }))), "nothing opens before the agent chooses");
    assert_eq!(d.pops.len(), 1);
    intent(&mut d, T0, Intent::ChoosePop { call: id, record: b.clone() });
    assert!(d.pops.is_empty());
    assert_eq!(d.calls[0].record.as_ref(), Some(&b));
}

/// Issue #16: a choice the agent never picked leaves with its call (it was kept for the page's life, one per
/// such call, in memory and in the window group's state messages).
#[test]
fn a_choice_not_picked_leaves_with_its_call() {
    let mut d = sip_desk(|s| {
        s.reject_when_busy = false;
        s.disposition_required = false;
    });
    d.handle(T0, Input::Line(LineEvent::Status(LineStatus::Registered)));
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    let (a, b) = (record("0123456789abcdef0123456789abcdef"), record("fedcba9876543210fedcba9876543210"));
    for n in 0..20u32 {
        let (id, _) = incoming(&mut d, T0, &format!("+141555501{n:02}"));
        d.handle(T0, Input::Sn(SnEvent::Pop { call: id, decision: Decision::Choose(vec![a.clone(), b.clone()]) }));
        assert_eq!(d.pops.len(), 1, "the choice waits for the agent while the call is on the panel");
        intent(&mut d, T0, Intent::Answer(id));
        d.handle(T0, Input::Line(LineEvent::Connected(id)));
        d.handle(T0, Input::Line(LineEvent::Ended { id, reason: EndReason::RemoteHungUp }));
        intent(&mut d, T0, Intent::SubmitWrapUp(None));
        assert!(d.calls.is_empty(), "the call left the panel with its wrap-up");
        assert!(d.pops.is_empty(), "after call {n}: {} choices kept for calls that are gone", d.pops.len());
    }
}

#[test]
fn a_failed_pop_is_said_on_the_call() {
    let mut d = sip_desk(|s| s.reject_when_busy = false);
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    d.handle(T0, Input::Sn(SnEvent::PopFailed { call: id, message: "Screen pop failed: 403".into() }));
    assert_eq!(d.calls[0].note.as_deref(), Some("Screen pop failed: 403"));
}

#[test]
fn call_data_attaches_its_record_only_when_trusted() {
    let headers = vec![("X-SN-Table".to_string(), "sn_customerservice_case".to_string()), ("X-SN-Sys-Id".to_string(), "0123456789abcdef0123456789abcdef".to_string())];
    for trust in [false, true] {
        let mut d = sip_desk(|s| {
            s.reject_when_busy = false;
            s.servicenow.trust_call_data = trust;
        });
        let id = d.alloc_call_id();
        d.handle(T0, Input::Line(LineEvent::Incoming { id, name: None, number: "+14155550100".into(), x_headers: headers.clone() }));
        assert_eq!(d.calls[0].record.is_some(), trust, "trust_call_data {trust}");
        assert_eq!(d.calls[0].x_headers.len(), 2);
    }
}

#[test]
fn dialling_normalizes_to_e164_and_refuses_what_is_not_a_number() {
    let mut d = demo_desk(|s| s.default_country = "GB".into());
    intent(&mut d, T0, Intent::Dial { number: "020 7946 0958".into(), record: None, name: None });
    assert_eq!(d.calls[0].number, "+442079460958");
    let fx = intent(&mut d, T0, Intent::Dial { number: "call me".into(), record: None, name: None });
    assert_eq!(d.placed, None);
    assert!(fx.iter().any(|e| matches!(e, Effect::Notice(Some(_)))));
    assert_eq!(d.calls.len(), 1);
}

#[test]
fn the_sip_line_dials_only_when_registered_and_carries_the_record() {
    let mut d = demo_desk(|s| s.line = LineKind::Sip);
    intent(&mut d, T0, Intent::Dial { number: "+14155550100".into(), record: None, name: None });
    assert_eq!(d.refused.as_deref(), Some(crate::strings::NOT_SIGNED_IN()));
    d.handle(T0, Input::Line(LineEvent::Status(LineStatus::Registered)));
    let r = record("0123456789abcdef0123456789abcdef");
    let fx = intent(&mut d, T0, Intent::Dial { number: "+14155550100".into(), record: Some(r), name: Some("Beth".into()) });
    let id = d.placed.unwrap();
    let dial = fx.iter().find_map(|e| match e {
        Effect::Line(LineCommand::Dial { id: i, target, headers }) if *i == id => Some((target.clone(), headers.clone())),
        _ => None,
    });
    let (target, headers) = dial.expect("an INVITE is asked for");
    assert_eq!(target, "+14155550100");
    assert!(headers.iter().any(|(n, v)| n == "X-SN-Sys-Id" && v == "0123456789abcdef0123456789abcdef"));
    assert_eq!(d.calls[0].name.as_deref(), Some("Beth"));
}

#[test]
fn dialling_or_answering_holds_the_connected_call() {
    let mut d = demo_desk(|_| {});
    intent(&mut d, T0, Intent::Dial { number: "+14155550100".into(), record: None, name: None });
    let first = d.placed.unwrap();
    d.handle(T0 + RING_AFTER_MS, Input::Tick);
    d.handle(T0 + ANSWER_AFTER_MS, Input::Tick);
    assert_eq!(state_of(&d, first), CallState::Connected);
    intent(&mut d, T0 + 5_000.0, Intent::Dial { number: "+14155550101".into(), record: None, name: None });
    assert_eq!(state_of(&d, first), CallState::Held);
    // Resuming the first holds the second once connected.
    let second = d.placed.unwrap();
    d.handle(T0 + 5_000.0 + ANSWER_AFTER_MS, Input::Tick);
    d.handle(T0 + 5_000.0 + ANSWER_AFTER_MS + RING_AFTER_MS, Input::Tick);
    assert_eq!(state_of(&d, second), CallState::Connected);
    intent(&mut d, T0 + 20_000.0, Intent::Hold { id: first, on: false });
    assert_eq!((state_of(&d, first), state_of(&d, second)), (CallState::Connected, CallState::Held));
}

#[test]
fn a_demo_transfer_ends_the_call_as_transferred_and_a_sip_transfer_asks_the_line() {
    let mut d = demo_desk(|_| {});
    intent(&mut d, T0, Intent::SimulateIncoming { name: String::new(), number: String::new() });
    let id = d.placed.unwrap();
    intent(&mut d, T0, Intent::Answer(id));
    intent(&mut d, T0, Intent::Transfer { id, target: "!!".into(), consult: None });
    assert_eq!(state_of(&d, id), CallState::Connected, "not a number: nothing happens");
    intent(&mut d, T0, Intent::Transfer { id, target: "+14155550142".into(), consult: None });
    assert_eq!(state_of(&d, id), CallState::Ended(EndReason::Transferred));

    let mut d = sip_desk(|s| s.reject_when_busy = false);
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    let fx = intent(&mut d, T0, Intent::Transfer { id, target: "+14155550142".into(), consult: None });
    assert!(fx.iter().any(|e| matches!(e, Effect::Line(LineCommand::Transfer { .. }))));
    d.handle(T0, Input::Line(LineEvent::TransferSent { id, result: Err("The call has ended".into()) }));
    assert_eq!(d.calls[0].note.as_deref(), Some("The call has ended"));
}

#[test]
fn a_transfer_the_far_end_asks_for_waits_for_the_agent() {
    let mut d = sip_desk(|s| s.reject_when_busy = false);
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    d.handle(T0, Input::Line(LineEvent::TransferAsked { id, target: "sip:bob@example.com".into(), by: None }));
    assert!(d.transfer_ask.as_ref().unwrap().1.contains("sip:bob@example.com"));
    let fx = intent(&mut d, T0, Intent::DecideTransfer(false));
    assert!(fx.contains(&Effect::Line(LineCommand::TransferDecision { id, accept: false })));
    assert!(d.transfer_ask.is_none());
    // The question goes when its call ends.
    d.handle(T0, Input::Line(LineEvent::TransferAsked { id, target: "sip:bob@example.com".into(), by: None }));
    d.handle(T0, Input::Line(LineEvent::Ended { id, reason: EndReason::RemoteHungUp }));
    assert!(d.transfer_ask.is_none());
}

#[test]
fn dtmf_notes_say_how_each_digit_went() {
    let mut d = demo_desk(|_| {});
    intent(&mut d, T0, Intent::SimulateIncoming { name: String::new(), number: String::new() });
    let id = d.placed.unwrap();
    intent(&mut d, T0, Intent::Answer(id));
    intent(&mut d, T0, Intent::Dtmf { id, digit: '1' });
    intent(&mut d, T0, Intent::Dtmf { id, digit: '#' });
    intent(&mut d, T0, Intent::Dtmf { id, digit: 'x' });
    assert_eq!(d.calls[0].note.as_deref(), Some(&*format!("{}: 1#", crate::strings::DTMF_SENT())));
    let mut d = sip_desk(|s| s.reject_when_busy = false);
    let (id, _) = incoming(&mut d, T0, "+14155550100");
    d.handle(T0, Input::Line(LineEvent::DtmfSent { id, digit: '5', how: None }));
    assert_eq!(d.calls[0].note.as_deref(), Some(crate::strings::DTMF_NOT_SENT()));
}

#[test]
fn signing_in_refuses_a_bad_server_or_user_and_remembers_the_agent() {
    let mut d = demo_desk(|s| s.line = LineKind::Sip);
    intent(&mut d, T0, Intent::SignIn { server: "http://example.com".into(), user: "alice".into(), password: String::new() });
    assert!(d.refused.is_some());
    intent(&mut d, T0, Intent::SignIn { server: "wss://sip.example.com".into(), user: " ".into(), password: String::new() });
    assert_eq!(d.refused.as_deref(), Some(crate::strings::SIGN_IN_USER_REQUIRED()));
    let fx = intent(&mut d, T0, Intent::SignIn { server: "wss://sip.example.com:8443/ws".into(), user: "alice".into(), password: "pw".into() });
    assert_eq!(d.refused, None);
    assert!(fx.contains(&Effect::SaveSipUser { server: "wss://sip.example.com:8443/ws".into(), user: "alice".into() }));
    let creds = fx.iter().find_map(|e| match e {
        Effect::Line(LineCommand::SignIn { creds, .. }) => Some(creds.clone()),
        _ => None,
    });
    assert_eq!(creds.unwrap().domain, "sip.example.com", "the domain defaults to the server's host");
}

#[test]
fn mute_toggles_for_every_call_and_refreshes_the_icons() {
    let mut d = demo_desk(|_| {});
    let fx = intent(&mut d, T0, Intent::ToggleMute);
    assert!(d.muted);
    assert!(fx.contains(&Effect::Line(LineCommand::SetMuted(true))) && fx.contains(&Effect::Icons));
    intent(&mut d, T0, Intent::ToggleMute);
    assert!(!d.muted);
}

#[test]
fn the_header_title_is_sent_only_when_it_changes() {
    let mut d = demo_desk(|s| s.reject_when_busy = false);
    intent(&mut d, T0, Intent::SimulateIncoming { name: "Beth".into(), number: "+14155550123".into() });
    let id = d.placed.unwrap();
    let titles = |fx: &[Effect]| fx.iter().filter(|e| matches!(e, Effect::Frame(Outgoing::SetTitle(_)))).count();
    let fx = intent(&mut d, T0, Intent::Answer(id));
    assert_eq!(titles(&fx), 1, "the title goes back once the call is answered");
    let fx = intent(&mut d, T0, Intent::HangUp(id));
    assert_eq!(titles(&fx), 0, "already the frame's title");
    d.handle(T0, Input::FrameTitle("Phone".into()));
    intent(&mut d, T0, Intent::SimulateIncoming { name: "Fred".into(), number: "+14155550142".into() });
    let fred = d.placed.unwrap();
    let fx = intent(&mut d, T0, Intent::Reject(fred));
    assert!(fx.contains(&Effect::Frame(Outgoing::SetTitle("Phone".into()))), "the configuration record's title: {fx:?}");
}

#[test]
fn a_click_to_call_dials_with_its_record_and_names_the_person() {
    let mut d = demo_desk(|_| {});
    let case = record("0123456789abcdef0123456789abcdef");
    let person = RecordRef { entity: "customer_contact".into(), sys_id: Some("fedcba9876543210fedcba9876543210".into()), query: String::new(), label: "Beth Anglin".into(), value: String::new() };
    let fx = d.handle(T0, Input::ClickToCall(ClickToCall { phone_number: "+14155550123".into(), records: vec![case.clone(), person] }));
    assert_eq!(d.calls[0].record.as_ref(), Some(&case));
    assert_eq!(d.calls[0].name.as_deref(), Some("Beth Anglin"));
    assert!(fx.contains(&Effect::Frame(Outgoing::Show)));
}

#[test]
fn a_remote_view_sends_its_intents_to_the_owner_and_changes_nothing_itself() {
    let mut d = demo_desk(|_| {});
    d.handle(T0, Input::Role(Role::Remote));
    for i in [Intent::Answer(3), Intent::HangUp(3), Intent::SetState(AgentState::NotReady(None)), Intent::ToggleMute, Intent::ClearEnded] {
        let fx = intent(&mut d, T0, i.clone());
        assert_eq!(fx, vec![Effect::ToOwner(i)]);
    }
    let fx = intent(&mut d, T0, Intent::Dial { number: "(415) 555-0100".into(), record: None, name: None });
    assert_eq!(d.placed, Some(0));
    assert!(fx.contains(&Effect::ToOwner(Intent::Dial { number: "+14155550100".into(), record: None, name: None })), "sent normalized: {fx:?}");
    assert!(d.calls.is_empty() && !d.muted && d.agent_state == AgentState::Ready);
    // A window that is not linked does nothing, and says so.
    d.handle(T0, Input::Role(Role::Unlinked));
    let fx = intent(&mut d, T0, Intent::Answer(3));
    assert_eq!(fx, vec![Effect::Notice(Some(crate::strings::Key::NOT_LINKED.into()))]);
}

#[test]
fn a_remote_view_does_not_finalize_or_tick_calls() {
    let mut d = demo_desk(|_| {});
    d.handle(T0, Input::Role(Role::Remote));
    let mut call = crate::phone::call::Call::new(9, crate::phone::call::Direction::Inbound, "+14155550100", None, T0);
    call.connect(T0 + 1.0);
    call.end(EndReason::RemoteHungUp, T0 + 2.0);
    let state = OwnerState { calls: vec![call], agent_state: AgentState::Ready, muted: false, line: LineStatus::Demo, wrapup: None, pops: vec![], of_config: None };
    d.handle(T0, Input::OwnerState(state));
    d.handle(T0 + 1e6, Input::Tick);
    assert!(d.recents.is_empty() && d.wrapups.is_empty(), "the owner wraps its calls up");
    assert_eq!(d.next_call_id, 10, "its own calls would come after the owner's");
}

#[test]
fn only_the_owner_dismisses_a_refused_activity() {
    let mut d = sip_desk(|s| s.wrap_up = false);
    intent(&mut d, T0, Intent::SetState(AgentState::Ready));
    answered_call(&mut d, T0);
    let id = d.outbox.entries[0].activity.call_id.clone();
    // (Due once the call has ended; a result for an entry not in flight is ignored.)
    assert!(d.outbox.next(T0 + 1e9, true).is_some());
    d.outbox.on_sent(&id, crate::servicenow::outbox::Outcome::Refused("403".into()), T0);
    d.role = Role::Remote;
    intent(&mut d, T0, Intent::DismissActivity(id.clone()));
    assert_eq!(d.outbox.entries.len(), 1);
    d.role = Role::Owner;
    let fx = intent(&mut d, T0, Intent::DismissActivity(id));
    assert!(d.outbox.entries.is_empty());
    assert!(fx.contains(&Effect::Save(Store::Outbox)));
}

#[test]
fn ids_are_written_in_16_hex_digits_as_format_writes_them() {
    for v in [0u64, 1, 0xabc, u64::MAX, 0x0123_4567_89ab_cdef, 1 << 63] {
        assert_eq!(super::hex16(v), format!("{v:016x}"));
    }
    let (a, b) = (0x0000_00ffu32, 0xdead_beefu32);
    assert_eq!(super::hex16(((a as u64) << 32) | b as u64), format!("{a:08x}{b:08x}"));
}

/// A saved state (sessionStorage, or a packet from another window) whose next call id is the top of u32: the
/// next ids must not overflow (a debug build panicked; the release wrapped, as it still does).
#[test]
fn hostile_restored_next_call_id_at_the_top_of_u32() {
    let mut d = DeskCore::new(Settings::default(), 1);
    d.handle(T0, Input::Restore(crate::json::json!({"nextId": 4294967295u64, "at": T0})));
    let (a, b) = (d.alloc_call_id(), d.alloc_call_id());
    assert_eq!((a, b), (u32::MAX, 0));
}

/// Another window's state naming a call whose id is the top of u32 (its `id` is read as any u32).
#[test]
fn hostile_owner_state_with_a_call_id_at_the_top_of_u32() {
    let mut d = demo_desk(|_| {});
    d.handle(T0, Input::Role(Role::Remote));
    let call = crate::phone::call::Call::new(u32::MAX, crate::phone::call::Direction::Inbound, "+14155550100", None, T0);
    let state = OwnerState { calls: vec![call], agent_state: AgentState::Ready, muted: false, line: LineStatus::Demo, wrapup: None, pops: vec![], of_config: None };
    let before = d.next_call_id;
    d.handle(T0, Input::OwnerState(state));
    assert_eq!(d.next_call_id, before, "no id comes after u32::MAX: the view's own ids stay as they were");
}

/// A bounded fuzz of the desk on what the SIP line reports from the far end: calls with hostile names,
/// numbers and `X-` headers (multibyte, control and direction characters, overlong, screen-pop headers that
/// name tables, ids and case numbers), status codes at the edges of u16, events for calls it never heard of or
/// in any order, mixed with the agent's actions and ticks. Nothing may panic (the release wasm aborts).
#[test]
fn hostile_line_events_in_any_order_never_panic() {
    const TEXTS: &[&str] = &[
        "", " ", "+14155550123", "4155550123", "1001", "é", "😀", "\u{202E}evil", "a\r\nb", "\u{0}",
        "sip:1003@sip.example.com", "ca5e0000000000000000000000000001", "CS0001001", "sn_customerservice_case", "incident", "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
    ];
    const NAMES: &[&str] = &["X-SN-Table", "X-SN-Sys-Id", "X-Case-Number", "X-Queue", "X-é", "x-", "X-😀", "X-A"];
    let long = "é".repeat(300);
    let mut x: u64 = 0xDE5C_0000_0000_0001;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let (mut most, mut recents) = (0, 0);
    for round in 0..100 {
        let mut d = sip_desk(|s| {
            s.screen_pop = [ScreenPopWhen::OnAlert, ScreenPopWhen::OnAnswer, ScreenPopWhen::Never][round % 3];
            s.wrap_up = round % 2 == 0;
        });
        let mut now = T0;
        for _ in 0..200 {
            now += [0.0, 10.0, 1_000.0, 30_000.0, 600_000.0][next(5)];
            let id = [1, 2, 3, d.next_call_id, d.next_call_id.wrapping_sub(1), 0, u32::MAX][next(7)];
            let text = |i: usize| if i == TEXTS.len() { long.clone() } else { TEXTS[i].to_string() };
            let t = text(next(TEXTS.len() + 1));
            let code = [0u16, 100, 180, 199, 200, 202, 299, 300, 487, 603, 699, 65535][next(12)];
            let ev = match next(16) {
                0 | 1 => {
                    let id = if next(2) == 0 { d.alloc_call_id() } else { id };
                    let mut xh = Vec::new();
                    for _ in 0..next(20) {
                        xh.push((NAMES[next(NAMES.len())].to_string(), text(next(TEXTS.len() + 1))));
                    }
                    LineEvent::Incoming { id, name: Some(text(next(TEXTS.len() + 1))).filter(|_| next(3) > 0), number: t, x_headers: xh }
                }
                2 => LineEvent::Outgoing { id, target: t, replacing: Some(id.wrapping_add(1)).filter(|_| next(2) == 0) },
                3 => LineEvent::Replacing { id, old: Some(next(4) as u32), name: text(next(TEXTS.len())), number: t },
                4 => LineEvent::Ringing(id),
                5 => LineEvent::Connected(id),
                6 => LineEvent::Ended { id, reason: [EndReason::RemoteHungUp, EndReason::Missed, EndReason::Failed(t.clone().into()), EndReason::AnsweredElsewhere][next(4)].clone() },
                7 => LineEvent::Note { id, note: Some(t).filter(|_| next(2) == 0) },
                8 => LineEvent::Packets { id, packets: (u64::MAX, next(3) as u64) },
                9 => LineEvent::HoldFailed { id, held: next(2) == 0 },
                10 => LineEvent::TransferProgress { id, code, done: next(2) == 0 },
                11 => LineEvent::TransferAsked { id, target: t, by: Some(text(next(TEXTS.len()))) },
                12 => LineEvent::Message(t),
                13 => LineEvent::DtmfSent { id, digit: ['5', '#', 'é', '\0'][next(4)], how: [None, Some(true), Some(false)][next(3)] },
                14 => LineEvent::Conferenced { a: id, b: next(4) as u32, result: if next(2) == 0 { Ok(()) } else { Err(t) } },
                _ => LineEvent::Status([LineStatus::Registered, LineStatus::Connecting, LineStatus::Failed("x".into())][next(3)].clone()),
            };
            d.handle(now, Input::Line(ev));
            let i = match next(10) {
                0 => Some(Intent::Answer(id)),
                1 => Some(Intent::HangUp(id)),
                2 => Some(Intent::Hold { id, on: next(2) == 0 }),
                3 => Some(Intent::Transfer { id, target: text(next(TEXTS.len())), consult: Some(next(4) as u32).filter(|_| next(2) == 0) }),
                4 => Some(Intent::DecideTransfer(next(2) == 0)),
                5 => Some(Intent::Conference { id, other: next(4) as u32 }),
                6 => Some(Intent::SubmitWrapUp(None)),
                _ => None,
            };
            if let Some(i) = i {
                intent(&mut d, now, i);
            }
            d.handle(now, Input::Tick);
            most = most.max(d.calls.len());
        }
        recents += d.recents.len();
    }
    assert!(most > 2 && recents > 100, "calls came, overlapped and ended ({most} at once, {recents} in the histories)");
}
