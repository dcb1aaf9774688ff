//! Which record receives the agent's notes: only tables an admin allowed, and only when ServiceNow really
//! stored the note (read back), against the sandbox's Table API (journal fields behave as on an instance).

use e2e::{sn_sign_in, Browser, Sandbox};
use serde_json::{json, Value};
use std::time::Duration;

const BETH: &str = "c1a1d0c0000000000000000000000001";

fn journal_all(sb: &Sandbox) -> Vec<Value> {
    let v: Value = ureq::get(&format!("{}/sandbox/journal", sb.origin)).call().unwrap().into_json().unwrap();
    v.as_array().unwrap().clone()
}

/// Click-to-call from Beth's contact form, then a wrap-up with `notes`.
fn call_from_the_contact(b: &Browser, notes: &str) {
    call_from_the_contact_then(b, notes, || {});
}

fn call_from_the_contact_then(b: &Browser, notes: &str, before_wrap_up: impl FnOnce()) {
    e2e::click_to_call_and_wrap_up(b, "customer_contact", BETH, "(415) 555-0123", notes, before_wrap_up);
}

#[test]
fn activity_for_a_contact_goes_to_an_interaction_of_its_own() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("records_contact", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    sn_sign_in(&b);
    call_from_the_contact(&b, "Asked about the invoice");
    let entry = b.wait_for("the note written", || {
        std::thread::sleep(Duration::from_millis(300));
        journal_all(&sb).into_iter().find(|j| j["value"].as_str().unwrap_or("").contains("Asked about the invoice"))
    });
    assert_eq!(entry["name"], "interaction", "a contact is not an activity table: {entry}");
    assert_ne!(entry["element_id"], BETH);
    b.click(&b.find("#tab-diagnostics"));
    b.wait_for("delivered", || (b.text(&b.find("[data-testid=sn-pending]")) == "0" && b.absent("[data-testid=sn-refused]")).then_some(()));
}

#[test]
fn a_note_the_instance_did_not_store_is_refused_visibly_and_kept() {
    // An admin listed a table without work notes: the instance answers 200 and stores nothing.
    let sb = Sandbox::start(&[]);
    let b = Browser::start("records_not_stored", 1280, 800);
    let of = json!({"configuration": json!({"servicenow": {"activityTables": ["customer_contact", "sn_customerservice_case"]}}).to_string()});
    let q: String = form_urlencoded_pair("openframe", &of.to_string());
    b.goto(&format!("{}/?{q}", sb.origin));
    sn_sign_in(&b);
    call_from_the_contact(&b, "Nobody will read this");
    b.click(&b.find("#tab-diagnostics"));
    let refused = b.wait_for("the refusal", || {
        std::thread::sleep(Duration::from_millis(300));
        b.try_find("[data-testid=sn-refused]").map(|r| b.text(&r))
    });
    // The table has no work notes: the read-back cannot confirm the note (nor can a resend).
    assert!(refused.contains("did not return its work_notes") && refused.contains("customer_contact"), "{refused}");
    assert!(journal_all(&sb).is_empty(), "nothing was written anywhere");
    let kept = json!(b.exec(e2e::STORED_OUTBOX_JS, json!([])).as_str().unwrap_or(""));
    assert!(kept.as_str().unwrap().contains("Nobody will read this") && kept.as_str().unwrap().contains("Refused"), "{kept}");
    // The agent dismisses it after reading it.
    let shown = b.exec("return document.querySelector('[data-testid=sn-refused-notes]').value", json!([]));
    assert_eq!(shown, "Nobody will read this", "the agent sees the notes before dismissing");
    b.click(&b.find("[data-testid=sn-dismiss]"));
    b.click(&b.find("[data-testid=sn-dismiss-confirm]"));
    b.wait_for("dismissed", || b.absent("[data-testid=sn-refused]").then_some(()));
}

/// A desktop page with the `servicenow.activity` strategy `strategy`, signed in to the sandbox.
fn with_strategy(sb: &Sandbox, name: &str, strategy: &str) -> Browser {
    let b = Browser::start(name, 1280, 800);
    let of = json!({"configuration": json!({"servicenow": {"activity": strategy}}).to_string()});
    b.goto(&format!("{}/?{}", sb.origin, form_urlencoded_pair("openframe", &of.to_string())));
    sn_sign_in(&b);
    b
}

/// `voice_interaction` and `phone_log` count as delivered only when the phone log they write is read back.
#[test]
fn voice_interaction_and_phone_log_are_read_back() {
    for strategy in ["voice_interaction", "phone_log"] {
        let sb = Sandbox::start(&[]);
        let b = with_strategy(&sb, &format!("records_{strategy}"), strategy);
        call_from_the_contact(&b, "Read me back");
        b.click(&b.find("#tab-diagnostics"));
        b.wait_for("delivered", || (b.text(&b.find("[data-testid=sn-pending]")) == "0" && b.absent("[data-testid=sn-refused]")).then_some(()));
    }
}

/// The instance answers the write as done but keeps nothing (a business rule, an ACL): not delivered, the
/// agent sees it, and the notes are kept.
#[test]
fn hostile_voice_interaction_accepted_but_not_stored() {
    not_stored_is_refused("voice_interaction");
}

#[test]
fn hostile_phone_log_accepted_but_not_stored() {
    not_stored_is_refused("phone_log");
}

fn not_stored_is_refused(strategy: &str) {
    let sb = Sandbox::start(&[]);
    let b = with_strategy(&sb, &format!("records_{strategy}_discard"), strategy);
    call_from_the_contact_then(&b, "Dropped by a rule", || {
        // Just before the wrap-up is finished: the next request is the write (reads also take a fault).
        ureq::post(&format!("{}/sandbox/faults", sb.origin)).send_json(json!({"faults": ["discard"]})).unwrap();
    });
    b.click(&b.find("#tab-diagnostics"));
    let refused = b.wait_for("the refusal", || {
        std::thread::sleep(Duration::from_millis(300));
        b.try_find("[data-testid=sn-refused]").map(|r| b.text(&r))
    });
    assert!(refused.contains("did not store it") && refused.contains("sn_openframe_phone_log"), "{refused}");
    let kept = json!(b.exec(e2e::STORED_OUTBOX_JS, json!([])).as_str().unwrap_or(""));
    assert!(kept.as_str().unwrap().contains("Dropped by a rule"), "{kept}");
}

fn form_urlencoded_pair(k: &str, v: &str) -> String {
    let enc = |s: &str| s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>();
    format!("{}={}", enc(k), enc(v))
}
