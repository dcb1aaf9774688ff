//! The outbox's storage and hand-over in a real browser (localStorage): one copy per deployment written
//! only by the owner of the phone, a hand-over kept until acknowledged, unreadable data kept aside and
//! reported, a full storage reported at once.

use agent_desktop::desk::{Desk, WRAPUPS_KEY};
use agent_desktop::servicenow::outbox::{Outbox, State, Step};
use agent_desktop::servicenow::outbox_store::{self, key_for, LEGACY_KEY};
use agent_desktop::stored;
use agent_desktop::tabs::Role;
use leptos::prelude::*;
use agent_desktop::json::json;
use wasm_bindgen_test::wasm_bindgen_test;

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// The outbox key of the deployment these tests play.
fn key() -> String {
    key_for("https://acme.service-now.com||config.json")
}

fn clean() {
    let k = key();
    let keys: Vec<String> = (0..storage().length().unwrap()).filter_map(|i| storage().key(i).unwrap()).collect();
    for x in keys.into_iter().filter(|x| x.starts_with(&k) || x.starts_with(WRAPUPS_KEY) || x == LEGACY_KEY) {
        storage().remove_item(&x).unwrap();
    }
    for (k, _) in stored::problems() {
        stored::dismiss(&k);
    }
}

fn act(id: &str) -> agent_desktop::servicenow::activity::Activity {
    agent_desktop::json::FromJson::from_json(&json!({"call_id": id, "call_type": "Inbound", "caller": "+1", "dialled": "1", "start_ms": 0, "end_ms": 1,
        "talk_ms": 1, "hold_ms": 0, "agent": "a", "queue": "", "transfers": [], "disposition": "Resolved", "notes": format!("notes of {id}"), "record": null})).unwrap()
}

fn with(ids: &[&str]) -> Outbox {
    let mut o = Outbox::default();
    for id in ids {
        o.add(act(id), 0.0).unwrap();
    }
    o
}

fn stored_outbox() -> Outbox {
    agent_desktop::json::from_str(&storage().get_item(&key()).unwrap().expect("stored")).unwrap()
}

#[wasm_bindgen_test]
fn the_outbox_is_stored_per_deployment_and_only_by_the_owner() {
    clean();
    assert!(outbox_store::save(&key(), Role::Owner, &with(&["a"])));
    assert_eq!(stored_outbox().ids(), vec!["a".to_string()]);
    assert!(storage().get_item(LEGACY_KEY).unwrap().is_none(), "not under the key every deployment shares");
    assert_ne!(key_for("https://other.service-now.com||config.json"), key(), "another deployment has its own");
    // A remote view (its memory emptied, or stale) never writes over the owner's copy.
    assert!(!outbox_store::save(&key(), Role::Remote, &Outbox::default()));
    assert_eq!(stored_outbox().ids(), vec!["a".to_string()]);
    // A window still starting adds what it queued, without writing over the stored copy.
    assert!(outbox_store::save(&key(), Role::Starting, &with(&["early"])));
    assert_eq!(stored_outbox().ids(), vec!["a".to_string(), "early".to_string()]);
    clean();
}

/// Item 1: the window that hands the phone over keeps its copy (marked handed) until the receiver
/// acknowledges it; then it forgets it. A stale copy taken later is looked up, not resent.
#[wasm_bindgen_test]
fn hostile_a_handed_over_outbox_is_kept_until_acknowledged_and_never_resent_blind() {
    clean();
    let mut mine = with(&["a", "b"]);
    let copy = mine.hand_over();
    outbox_store::save(&key(), Role::Owner, &mine);
    let nonce = outbox_store::handed(&copy);
    assert!(stored_outbox().entries.iter().all(|e| e.handed), "kept, marked handed");
    // A state that acknowledges something else changes nothing.
    outbox_store::on_state(&key(), Role::Remote, &json!({"outboxAck": "0000000000000000"}));
    assert_eq!(stored_outbox().entries.len(), 2);
    // A stale copy, taken by a window with no packet: both are looked up first.
    let mut stale = stored_outbox();
    stale.take_over(None, 0.0);
    assert_eq!(stale.next(1e12, true), Some(Step::Verify("a".into())));
    // The receiver stored it and says so: forgotten here.
    outbox_store::on_state(&key(), Role::Remote, &json!({"outboxAck": nonce}));
    assert!(stored_outbox().entries.is_empty(), "forgotten after the acknowledgement");
    // The receiver acknowledges the packet's nonce in its state.
    outbox_store::acknowledge(&json!({"outbox": "{}", "outboxId": nonce}));
    assert_eq!(outbox_store::ack(), json!(nonce));
    clean();
}

/// Item 6: a hand-over packet whose outbox cannot be read is kept aside and reported (the shell then takes
/// the packet without it and does not acknowledge it: the sender keeps its copy).
#[wasm_bindgen_test]
fn hostile_an_unreadable_hand_over_packet_is_kept_aside_and_reported() {
    clean();
    let forged = json!({"outbox": "{\"entries\": [{\"activity\": 7}]}", "outboxId": "forged0000000000"});
    assert!(!outbox_store::readable(&key(), Some(&forged)));
    assert_eq!(storage().get_item(&format!("{}.handover.unreadable", key())).unwrap().as_deref(), Some("{\"entries\": [{\"activity\": 7}]}"));
    assert!(stored::problems().iter().any(|(_, m)| m.contains("could not be read")));
    assert!(outbox_store::readable(&key(), Some(&json!({"outbox": agent_desktop::json::to_string(&with(&["x"]))}))));
    assert!(outbox_store::readable(&key(), None));
    clean();
}

/// Item 6: garbage in storage is kept aside under a key of its own (an earlier one is not overwritten)
/// and reported; the outbox starts empty instead of failing.
#[wasm_bindgen_test]
fn hostile_an_unreadable_stored_outbox_is_kept_aside_and_reported() {
    clean();
    let k = key();
    storage().set_item(&k, "{\"entries\": [oops").unwrap();
    assert!(outbox_store::load(&k).entries.is_empty());
    assert_eq!(storage().get_item(&format!("{k}.unreadable")).unwrap().as_deref(), Some("{\"entries\": [oops"));
    let shown = stored::problems();
    assert!(shown.iter().any(|(_, m)| m.contains(&format!("{k}.unreadable"))), "{shown:?}");
    // Another one later: kept next to the first.
    storage().set_item(&k, "garbage 2").unwrap();
    assert!(outbox_store::load(&k).entries.is_empty());
    assert_eq!(storage().get_item(&format!("{k}.unreadable")).unwrap().as_deref(), Some("{\"entries\": [oops"));
    assert_eq!(storage().get_item(&format!("{k}.unreadable.2")).unwrap().as_deref(), Some("garbage 2"));
    clean();
}

/// Item 6: the same for the wrap-up drafts (and any stored list read the same way).
#[wasm_bindgen_test]
fn hostile_unreadable_drafts_are_kept_aside_and_reported() {
    clean();
    storage().set_item(WRAPUPS_KEY, "[{\"activity_id\": ").unwrap();
    let owner = Owner::new();
    let again = owner.with(Desk::new);
    assert!(again.wrapups.with_untracked(Vec::is_empty));
    assert_eq!(storage().get_item(&format!("{WRAPUPS_KEY}.unreadable")).unwrap().as_deref(), Some("[{\"activity_id\": "));
    assert!(stored::problems().iter().any(|(_, m)| m.contains(WRAPUPS_KEY)));
    clean();
}

/// An outbox stored by an older version under the old key is taken over once, its entries looked up.
#[wasm_bindgen_test]
fn hostile_an_older_versions_outbox_is_taken_over_and_looked_up() {
    clean();
    let old = json!({"entries": [{"activity": agent_desktop::json::ToJson::to_json(&act("old")), "state": "Pending", "attempts": 0, "next_at": 0.0, "last_error": null}]});
    storage().set_item(LEGACY_KEY, &old.to_string()).unwrap();
    let mut o = outbox_store::load(&key());
    o.take_over(None, 0.0);
    assert_eq!(o.next(1e12, true), Some(Step::Verify("old".into())));
    assert!(outbox_store::save(&key(), Role::Owner, &o));
    assert!(storage().get_item(LEGACY_KEY).unwrap().is_none(), "moved to the deployment's key");
    assert_eq!(stored_outbox().ids(), vec!["old".to_string()]);
    clean();
}

/// Item 6: a full storage (setItem throws) is reported at once, while what is on screen can still be
/// copied; the report goes once a save works again.
#[wasm_bindgen_test]
fn a_full_storage_is_reported_at_once_and_cleared_when_it_works_again() {
    clean();
    let mut o = with(&["a"]);
    let chunk = "x".repeat(512 * 1024);
    let mut fillers = Vec::new();
    for i in 0..64 {
        let key = format!("filler.{i}");
        if storage().set_item(&key, &chunk).is_err() {
            break;
        }
        fillers.push(key);
    }
    // Fill what is left in smaller steps.
    for i in 0..512 {
        let key = format!("filler.small.{i}");
        if storage().set_item(&key, &"y".repeat(8 * 1024)).is_err() {
            break;
        }
        fillers.push(key);
    }
    o.entries[0].activity.notes = "z".repeat(64 * 1024);
    let saved = outbox_store::save(&key(), Role::Owner, &o);
    // The check made during calls says so too (before the call ends).
    let probed = stored::probe(64 * 1024);
    let shown = stored::problems();
    for f in &fillers {
        storage().remove_item(f).unwrap();
    }
    assert!(!saved);
    assert!(!probed);
    assert!(shown.iter().any(|(k, m)| k == stored::PROBE_KEY && m.contains("storage is full")), "{shown:?}");
    assert!(shown.iter().any(|(k, m)| *k == key() && m.contains("storage is full")), "{shown:?}");
    assert!(outbox_store::save(&key(), Role::Owner, &o));
    assert!(stored::probe(64 * 1024));
    assert!(stored::problems().iter().all(|(_, m)| !m.contains("storage is full")));
    assert_eq!(o.entries[0].state, State::Pending, "kept in this window meanwhile");
    clean();
}

/// Item 2: a stuck activity shows its reason and notes, and Retry sends it back through the look-up (it
/// may have been written).
#[wasm_bindgen_test]
async fn a_stuck_activity_is_retried_from_status_through_the_look_up() {
    use agent_desktop::servicenow::outbox::{Found, Outcome};
    let m = super::panels::mount(agent_desktop::config::Settings::default());
    m.desk.edit_core(|c| {
        c.role = Role::Owner;
        c.outbox.add(act("s-1"), 0.0).unwrap();
        c.outbox.next(0.0, true);
        c.outbox.on_sent("s-1", Outcome::Ambiguous("dropped".into()), 0.0);
        c.outbox.next(1e12, true);
        c.outbox.on_verified("s-1", Found::Refused("403 ACL".into()), 1e12);
    });
    m.desk.select_tab(agent_desktop::desk::Tab::Diagnostics);
    super::openframe_bridge::sleep(0).await;
    let panel = m.root.query_selector("[data-testid=sn-refused]").unwrap().expect("shown").text_content().unwrap();
    assert!(panel.contains("403 ACL"), "{panel}");
    let retry: web_sys::HtmlElement = wasm_bindgen::JsCast::dyn_into(m.root.query_selector("[data-testid=sn-retry]").unwrap().expect("Retry")).unwrap();
    retry.click();
    super::openframe_bridge::sleep(0).await;
    assert_eq!(m.desk.outbox.with_untracked(|o| o.entries[0].state.clone()), State::Unsure);
    let mut o = m.desk.outbox.get_untracked();
    assert_eq!(o.next(2e12, true), Some(Step::Verify("s-1".into())), "looked up, not resent");
    assert!(m.root.query_selector("[data-testid=sn-refused]").unwrap().is_none());
    m.root.remove();
}
