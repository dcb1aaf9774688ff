//! The desk with the demo line: calls progress, click-to-call attaches the record, state is persisted.

use agent_desktop::desk::{Desk, SNAPSHOT_KEY};
use agent_desktop::openframe::protocol::{parse_click_to_call, RecordRef};
use agent_desktop::phone::call::{CallState, EndReason};
use agent_desktop::phone::demo::{ANSWER_AFTER_MS, RING_AFTER_MS};
use agent_desktop::phone::model::AgentState;
use leptos::prelude::*;
use agent_desktop::json::json;

fn desk() -> (Owner, Desk) {
    let owner = Owner::new();
    let desk = owner.with(Desk::new);
    (owner, desk)
}

#[wasm_bindgen_test::wasm_bindgen_test]
fn demo_call_rings_answers_holds_and_ends() {
    let (_o, desk) = desk();
    desk.set_agent_state(AgentState::Ready);
    assert!(desk.dial("abc", None).is_none());
    assert!(desk.notice.get_untracked().unwrap().contains("not a phone number"));
    let id = desk.dial("+1 415 555 0100", None).unwrap();
    assert!(desk.notice.get_untracked().is_none());
    let created = desk.calls.with_untracked(|c| c[0].created_ms);
    desk.tick(created + RING_AFTER_MS);
    assert_eq!(desk.calls.with_untracked(|c| c[0].state.clone()), CallState::Ringing);
    desk.tick(created + ANSWER_AFTER_MS);
    assert_eq!(desk.calls.with_untracked(|c| c[0].state.clone()), CallState::Connected);
    desk.set_hold(id, true);
    assert_eq!(desk.calls.with_untracked(|c| c[0].state.clone()), CallState::Held);
    // A second call holds... the first is already held; answering an incoming call keeps one active.
    let inc = desk.simulate_incoming();
    desk.set_hold(id, false);
    desk.answer(inc);
    let states: Vec<CallState> = desk.calls.with_untracked(|c| c.iter().map(|c| c.state.clone()).collect());
    assert_eq!(states, vec![CallState::Held, CallState::Connected], "answering holds the other call");
    desk.hang_up(inc);
    desk.hang_up(id);
    assert_eq!(desk.calls.with_untracked(|c| c[1].state.clone()), CallState::Ended(EndReason::HungUp));
    assert!(desk.live_calls().is_empty());
    desk.clear_ended();
    assert!(desk.calls.with_untracked(|c| c.is_empty()));
}

#[wasm_bindgen_test::wasm_bindgen_test]
fn click_to_call_dials_with_the_case_attached() {
    let (_o, desk) = desk();
    let c2c = parse_click_to_call(&json!({"type": "OUTGOING_CALL", "data": {"metaData": {"phoneNumber": "(415) 555-0123"},
        "data": [{"entity": "interaction", "query": "sys_id=i1"}, {"entity": "sn_customerservice_case", "query": "sys_id=ca5e", "value": "CS0001001"}]}}))
    .unwrap();
    desk.click_to_call(c2c);
    let call = desk.calls.with_untracked(|c| c[0].clone());
    assert_eq!(call.number, "+14155550123", "click-to-call numbers are normalized to E.164");
    assert_eq!(
        call.record,
        Some(RecordRef { entity: "sn_customerservice_case".into(), sys_id: Some("ca5e".into()), query: "sys_id=ca5e".into(), label: String::new(), value: "CS0001001".into() })
    );
}

#[wasm_bindgen_test::wasm_bindgen_test]
fn persist_writes_session_storage() {
    let (_o, desk) = desk();
    let storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    storage.remove_item(SNAPSHOT_KEY).unwrap();
    desk.set_agent_state(AgentState::NotReady(Some("Lunch".into())));
    desk.toggle_mute();
    desk.dial("+1 415 555 0100", None);
    desk.persist();
    let v: agent_desktop::json::Value = agent_desktop::json::parse(&storage.get_item(SNAPSHOT_KEY).unwrap().unwrap()).unwrap();
    assert_eq!(v["agentState"], "not-ready:Lunch");
    assert_eq!(v["muted"], true);
    assert_eq!(v["calls"][0]["number"], "+14155550100");
    storage.remove_item(SNAPSHOT_KEY).unwrap();
}

#[wasm_bindgen_test::wasm_bindgen_test]
fn leaving_with_a_live_call_asks_first() {
    let (_o, desk) = desk();
    desk.guard_unload();
    let leave = || {
        let init = web_sys::EventInit::new();
        init.set_cancelable(true);
        let ev = web_sys::Event::new_with_event_init_dict("beforeunload", &init).unwrap();
        web_sys::window().unwrap().dispatch_event(&ev).unwrap();
        ev.default_prevented()
    };
    assert!(!leave(), "no call: the page closes without a question");
    let id = desk.dial("+1 415 555 0100", None).unwrap();
    assert!(leave(), "a live call: the browser asks before leaving");
    desk.hang_up(id);
    assert!(!leave(), "the call ended: no question");
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_reload_restores_calls_with_their_timers_and_the_state() {
    let storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    let (_o, desk) = desk();
    // The page ran with its settings (the snapshot belongs to their deployment).
    desk.load_settings().await;
    desk.set_agent_state(AgentState::NotReady(Some("Lunch".into())));
    let id = desk.dial("+1 415 555 0100", None).unwrap();
    let created = desk.calls.with_untracked(|c| c[0].created_ms);
    desk.tick(created + ANSWER_AFTER_MS);
    desk.set_hold(id, true);
    let before = desk.calls.get_untracked();
    let saved = desk.persist().expect("the owner saves its state");
    assert_eq!(saved["calls"].as_array().unwrap().len(), 1);
    // The page reloads: a new desk reads the saved state (and removes it: it is used once).
    let (_o2, again) = self::desk();
    again.load_settings().await;
    assert_eq!(again.calls.get_untracked(), before, "same call, same id, same start time and hold");
    assert_eq!(again.agent_state.get_untracked(), AgentState::NotReady(Some("Lunch".into())));
    assert!(storage.get_item(SNAPSHOT_KEY).unwrap().is_none());
    // New calls do not reuse the restored call's id.
    let next = again.dial("+1 415 555 0101", None).unwrap();
    assert!(next > id, "{next} > {id}");
}

#[wasm_bindgen_test::wasm_bindgen_test]
fn calls_are_refused_while_not_ready_unless_configured_otherwise() {
    let (_o, desk) = desk();
    desk.set_agent_state(AgentState::NotReady(Some("Lunch".into())));
    let id = desk.simulate_incoming();
    let call = desk.calls.with_untracked(|c| c.iter().find(|c| c.id == id).cloned().unwrap());
    assert_eq!(call.state, CallState::Ended(EndReason::Missed));
    assert!(call.note.unwrap().contains("480"));
    desk.set_agent_state(AgentState::AfterCallWork);
    let id = desk.simulate_incoming();
    let note = desk.calls.with_untracked(|c| c.iter().find(|c| c.id == id).and_then(|c| c.note.clone()).unwrap());
    assert!(note.contains("486"), "{note}");
    let mut settings = desk.settings.get_untracked();
    settings.reject_when_busy = false;
    desk.apply_settings(settings, Vec::new());
    let id = desk.simulate_incoming();
    assert_eq!(desk.calls.with_untracked(|c| c.iter().find(|c| c.id == id).unwrap().state.clone()), CallState::Alerting);
}
