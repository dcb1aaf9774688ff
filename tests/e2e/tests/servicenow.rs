//! ServiceNow data end to end: the desktop (release build, its own origin) against the sandbox's Table API,
//! OAuth and CORS at another origin.

use e2e::{consent, enter, finish_wrap_up, first_call_state, journal, ring, sn_sign_in, title, Browser, Sandbox};
use serde_json::{json, Value};
use std::time::Duration;

fn faults(sb: &Sandbox, body: Value) {
    ureq::post(&format!("{}/sandbox/faults", sb.origin)).send_json(body).unwrap();
}



#[test]
fn sign_in_directory_and_screen_pops() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("sn_pops", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    sn_sign_in(&b);
    // Directory: ServiceNow contacts join the search.
    b.click(&b.find("#tab-directory"));
    b.send_keys(&b.find("[data-testid=directory-search]"), "Scully");
    b.wait_for("a contact from ServiceNow", || b.find_all("[data-testid=directory-entry]").into_iter().find(|e| b.text(e).contains("Dana Scully")));
    // A broad search pages: more results on request.
    b.exec("const i = document.querySelector('[data-testid=directory-search]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true}));", json!([]));
    b.send_keys(&b.find("[data-testid=directory-search]"), "an");
    let more = b.find("[data-testid=directory-more]");
    let before = b.find_all("[data-testid=directory-entry]").len();
    b.click(&more);
    b.wait_for("a second page", || (b.find_all("[data-testid=directory-entry]").len() > before).then_some(()));
    // A caller whose number is stored as "(415) 555-0123": her newest open case opens in ServiceNow.
    ring(&b, "", "+14155550123");
    b.wait_for("Beth's case popped", || (title(&b) == "Case - CS0001001").then_some(()));
    enter(&b);
    b.click(&b.find("#tab-phone"));
    assert_eq!(b.text(&b.find("[data-testid=call-record]")), "CS0001001", "the popped case is attached to the call");
    b.click(&b.find("[data-testid=call] .btn.danger"));
    // Two contacts share a number: the agent chooses.
    ring(&b, "", "+1 415 555 0177");
    enter(&b);
    b.click(&b.find("#tab-phone"));
    let choice = b.find("[data-testid=pop-choice]");
    let text = b.text(&choice);
    assert!(text.contains("Dana Scully") && text.contains("Fox Mulder"), "{text}");
    let fox = b.find_all("[data-testid=pop-choice] button").into_iter().find(|x| b.text(x) == "Fox Mulder").unwrap();
    b.click(&fox);
    b.wait_for("Fox's contact opened", || (title(&b) == "Contact - Fox Mulder").then_some(()));
    b.shot("servicenow-pops.png");
}

#[test]
fn click_to_call_wrap_up_writes_one_note_to_the_case_even_through_failures_and_a_reload() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("sn_notes", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    sn_sign_in(&b);
    let case_id = "ca5e0000000000000000000000000003";
    // Click-to-call from case CS0001003.
    b.top_frame();
    b.exec("window.sandboxShowForm('sn_customerservice_case', 'sys_id=' + arguments[0])", json!([case_id]));
    b.click(&b.find("button[data-c2c='+44 20 7946 0958']"));
    enter(&b);
    b.click(&b.find("#tab-phone"));
    assert_eq!(b.text(&b.find("[data-testid=call-record]")), "CS0001003");
    b.wait_for("connected", || (first_call_state(&b) == "Connected").then_some(()));
    // The sandbox fails the first writes: two 500s, then it writes but answers too late (the desktop gives
    // up after 10 s: an ambiguous outcome, looked up before any resend).
    faults(&sb, json!({"faults": ["500", "500", "late:12000"]}));
    b.click(&b.find("[data-testid=hang-up]"));
    finish_wrap_up(&b, "Resolved", "Portal password reset");
    // Every 5xx is now followed by a look-up by call id before any resend (backoff 2 s, 4 s, ...), and the
    // late answer costs the desktop's 10 s timeout: longer than the usual 15 s wait.
    let notes = until(45, "the note in the case's activity stream", || {
        let j = journal(&sb, "sn_customerservice_case", case_id);
        (!j.is_empty()).then_some(j)
    });
    // Long enough for the desktop's timeout (10 s) and its check before any resend.
    std::thread::sleep(Duration::from_secs(14));
    let notes_after = journal(&sb, "sn_customerservice_case", case_id);
    assert_eq!(notes_after.len(), 1, "exactly one note despite the failures: {notes_after:#?}");
    assert_eq!(notes, notes_after);
    let n = &notes[0];
    assert!(n.contains("Phone call (Outbound)") && n.contains("To: +442079460958") && n.contains("Disposition: Resolved") && n.ends_with("Portal password reset"), "{n}");
    // The sandbox's case form shows it.
    b.top_frame();
    // Read in one script: the sandbox page redraws the stream, so element references can go stale between calls.
    b.wait_for("activity stream on the form", || {
        let items = b.exec("return [...document.querySelectorAll('#activity-stream li')].map(l => l.textContent)", json!([]));
        items.as_array()?.iter().any(|t| t.as_str().is_some_and(|t| t.contains("Portal password reset"))).then_some(())
    });
    enter(&b);
    b.click(&b.find("#tab-diagnostics"));
    b.wait_for("nothing pending", || {
        std::thread::sleep(Duration::from_millis(500));
        (b.text(&b.find("[data-testid=sn-pending]")) == "0").then_some(())
    });

    // Again, with the desktop reloaded while it retries.
    b.click(&b.find("#tab-phone"));
    b.exec("const c = [...document.querySelectorAll('button')].find(x => x.textContent === 'Clear'); if (c) c.click();", json!([]));
    b.send_keys(&b.find("[data-testid=dial-input]"), "2002");
    b.click(&b.find("[data-testid=dial-button]"));
    b.wait_for("connected", || (first_call_state(&b) == "Connected").then_some(()));
    b.click(&b.find("[data-testid=hang-up]"));
    // The call was not about a case: the agent names one in the wrap-up.
    b.find("[data-testid=wrap-up]");
    b.send_keys(&b.find("[data-testid=wrap-up-case]"), "CS0001002");
    b.click(&b.find("[data-testid=wrap-up-set-case]"));
    b.wait_for("case attached to the wrap-up", || b.try_find("[data-testid=wrap-up-record]").filter(|r| b.text(r) == "CS0001002"));
    faults(&sb, json!({"faults": ["500", "500", "500"]}));
    finish_wrap_up(&b, "Follow-up needed", "Call back tomorrow");
    std::thread::sleep(Duration::from_millis(2500));
    b.top_frame();
    b.exec("location.reload()", json!([]));
    enter(&b);
    // As above: each 500 is looked up before a resend, and a write in flight at the reload is looked up
    // only once it has settled (12 s).
    let interaction_notes = until(45, "the second activity written after the reload", || {
        let count = count_interactions(&sb, "Call back tomorrow");
        (count > 0).then_some(count)
    });
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(interaction_notes, 1);
    assert_eq!(count_interactions(&sb, "Call back tomorrow"), 1, "written exactly once across the reload");
    assert!(
        journal(&sb, "sn_customerservice_case", "ca5e0000000000000000000000000002").iter().any(|n| n.contains("Call back tomorrow")),
        "on the case the agent chose"
    );
}

/// Polls `f` every 500 ms until it returns Some, for up to `secs` seconds.
fn until<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// How many journal entries anywhere contain `text` (calls without a case become interactions).
fn count_interactions(sb: &Sandbox, text: &str) -> usize {
    let v: Value = ureq::get(&format!("{}/sandbox/journal", sb.origin)).call().unwrap().into_json().unwrap();
    v.as_array().unwrap().iter().filter(|j| j["value"].as_str().unwrap_or("").contains(text)).count()
}

#[test]
fn missing_cors_set_up_is_explained_to_the_agent() {
    // No OAuth CORS property: the sign-in itself is refused, with the property to set.
    let sb = Sandbox::start(&["--no-oauth-cors"]);
    let b = Browser::start("sn_no_oauth_cors", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    consent(&b);
    let msg = b.wait_for("the admin fix", || b.try_find("[data-testid=sn-notice]").map(|n| b.text(&n)));
    assert!(msg.contains("glide.oauth.cors.allowed.origin"), "{msg}");
    drop(b);

    // No REST CORS rule: signed in, but writes are refused by the browser; the agent sees the fix and the
    // activity waits.
    let sb = Sandbox::start(&["--no-cors"]);
    let b = Browser::start("sn_no_cors", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    sn_sign_in(&b);
    b.click(&b.find("#tab-phone"));
    b.send_keys(&b.find("[data-testid=dial-input]"), "2002");
    b.click(&b.find("[data-testid=dial-button]"));
    b.wait_for("connected", || (first_call_state(&b) == "Connected").then_some(()));
    b.click(&b.find("[data-testid=hang-up]"));
    finish_wrap_up(&b, "Resolved", "kept until CORS is fixed");
    let msg = b.wait_for("the CORS fix", || {
        std::thread::sleep(Duration::from_millis(300));
        b.try_find("[data-testid=sn-delivery]").map(|n| b.text(&n))
    });
    assert!(msg.contains("add a CORS rule"), "{msg}");
    b.click(&b.find("#tab-diagnostics"));
    assert_eq!(b.text(&b.find("[data-testid=sn-pending]")), "1", "the activity is kept");
}
