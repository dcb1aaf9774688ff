//! Failures that used to pass for results, against the sandbox's real Table API: a directory search that
//! ServiceNow fails is said (with what to do), not shown as "No matches."; the next search that works clears it.

use e2e::{sn_sign_in, Browser, Sandbox};
use serde_json::json;

fn search(b: &Browser, text: &str) {
    b.exec("const i = document.querySelector('[data-testid=directory-search]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true}));", json!([]));
    b.send_keys(&b.find("[data-testid=directory-search]"), text);
}

#[test]
fn a_directory_search_that_servicenow_fails_says_so_and_the_next_one_clears_it() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("ui_directory_error", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    sn_sign_in(&b);
    b.click(&b.find("#tab-directory"));
    // Every table request of the next search fails with a 500.
    ureq::post(&format!("{}/sandbox/faults", sb.origin)).send_json(json!({"faults": ["500", "500", "500"]})).unwrap();
    search(&b, "Scully");
    let error = b.find("[data-testid=directory-error]:not([hidden])");
    let said = b.text(&error);
    assert!(said.contains("could not be searched") && said.contains("500") && said.contains("search again"), "{said}");
    assert_eq!(b.attr(&error, "role").as_deref(), Some("alert"));
    assert!(b.absent("[data-testid=no-matches]:not([hidden])"), "a failed search is not 'No matches.'");
    assert!(!b.find_all("[data-testid=directory-entry]").into_iter().any(|e| b.text(&e).contains("Dana Scully")));
    // The same search again (not answered from a cache of the failure): ServiceNow answers, the error goes.
    search(&b, "Scully");
    b.wait_for("a contact from ServiceNow", || b.find_all("[data-testid=directory-entry]").into_iter().find(|e| b.text(e).contains("Dana Scully")));
    assert!(b.absent("[data-testid=directory-error]:not([hidden])"));
    // A search that works and finds nobody says so.
    search(&b, "Nobody Here");
    b.wait_for("no matches", || b.try_find("[data-testid=no-matches]:not([hidden])"));
    assert!(b.absent("[data-testid=directory-error]:not([hidden])"));
}
