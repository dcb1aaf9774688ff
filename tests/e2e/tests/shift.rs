//! A slice of an agent's shift on the demo line, inside the sandbox: state, an incoming call, hold,
//! transfer, an outgoing call from the dial pad, wrap-ups; layout at three sizes; accessible names.

use e2e::{enter, finish_wrap_up, first_call_state, Browser, Sandbox, LAYOUT_PROBLEMS};
use serde_json::{json, Value};



fn layout_ok(b: &Browser, what: &str) {
    let p = b.exec(LAYOUT_PROBLEMS, json!([]));
    assert_eq!(p, json!([]), "layout problems {what}");
}

fn unnamed_controls(b: &Browser) -> Vec<String> {
    b.find_all("button, input, select, textarea, [role=tab], [role=option]")
        .into_iter()
        .filter(|e| b.exec("const r = arguments[0].getBoundingClientRect(); return r.width > 0 && r.height > 0;", json!([e.json()])) == json!(true))
        .filter(|e| b.accessible_name(e).trim().is_empty())
        .map(|e| b.exec("return arguments[0].outerHTML.slice(0, 120)", json!([e.json()])).as_str().unwrap_or("").to_string())
        .collect()
}



fn wait_state(b: &Browser, want: &str) {
    b.wait_for(&format!("call {want}"), || (first_call_state(b) == want).then_some(()));
}

fn click_text(b: &Browser, text: &str) {
    let el = b.wait_for(&format!("button {text}"), || b.find_all("button").into_iter().find(|x| b.text(x) == text));
    b.click(&el);
}


#[test]
fn a_shift_on_the_demo_line() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("shift", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    enter(&b);
    // Not Ready for lunch, then Ready.
    b.exec("const s = document.querySelector('[data-testid=agent-state]'); s.value = 'not-ready:Lunch'; s.dispatchEvent(new Event('change'));", json!([]));
    b.exec("const s = document.querySelector('[data-testid=agent-state]'); s.value = 'ready'; s.dispatchEvent(new Event('change'));", json!([]));
    layout_ok(&b, "idle at 373x300");
    b.shot("shift-373x300-idle.png");

    // An incoming call from ServiceNow's side (the sandbox rings the demo line).
    b.top_frame();
    b.click(&b.find("#demo-call"));
    enter(&b);
    wait_state(&b, "Alerting");
    assert!(b.text(&b.find("[data-testid=live]")).contains("Incoming call"), "announced to screen readers");
    click_text(&b, "Answer");
    wait_state(&b, "Connected");
    // ServiceNow's presence indicator says the agent is on a call.
    b.top_frame();
    b.wait_for("presence On call", || (b.attr(&b.find("#openframe-toggle"), "data-presence").as_deref() == Some("On call")).then_some(()));
    enter(&b);
    b.click(&b.find("[data-testid=hold]"));
    wait_state(&b, "Held");
    b.click(&b.find("[data-testid=hold]"));
    wait_state(&b, "Connected");
    b.click(&b.find("[data-testid=keypad-toggle]"));
    layout_ok(&b, "in a call with the keypad at 373x300");
    b.shot("shift-373x300-call.png");
    b.click(&b.find("[data-testid=keypad-toggle]"));
    // Transfer it.
    b.click(&b.find("[data-testid=transfer-toggle]"));
    b.send_keys(&b.find("[data-testid=transfer-target]"), "2002");
    b.click(&b.find("[data-testid=blind-transfer]"));
    wait_state(&b, "Ended(Transferred)");
    b.find("[data-testid=wrap-up]");
    assert_eq!(b.exec("return document.querySelector('[data-testid=agent-state]').value", json!([])), json!("acw"));
    layout_ok(&b, "wrap-up at 373x300");
    b.shot("shift-373x300-wrapup.png");
    finish_wrap_up(&b, "Escalated", "Sent to billing");
    assert_eq!(b.exec("return document.querySelector('[data-testid=agent-state]').value", json!([])), json!("ready"));
    // Wrapped up, the call leaves the phone panel by itself (it is in Recents).
    b.wait_for("the wrapped-up call leaves the panel", || b.absent("[data-testid=call]").then_some(()));

    // An outgoing call from the dial pad.
    b.send_keys(&b.find("[data-testid=dial-input]"), "(415) 555-0100");
    b.click(&b.find("[data-testid=dial-button]"));
    wait_state(&b, "Ringing");
    assert_eq!(b.text(&b.find("[data-testid=party]")), "+14155550100", "normalized to E.164");
    wait_state(&b, "Connected");
    b.click(&b.find("[data-testid=hang-up]"));
    finish_wrap_up(&b, "Resolved", "Confirmed the fix");
    b.wait_for("the wrapped-up call leaves the panel", || b.absent("[data-testid=call]").then_some(()));
    // A call the agent let ring (rejected) stays to be read, with Clear, until the agent clears it.
    b.click(&b.find("[data-testid=simulate-incoming]"));
    wait_state(&b, "Alerting");
    click_text(&b, "Reject");
    wait_state(&b, "Ended(Rejected)");
    click_text(&b, "Clear");
    b.wait_for("rejected call cleared", || b.absent("[data-testid=call]").then_some(()));

    // Both activities wait for ServiceNow (the rejected call has none); the history has all three calls.
    let outbox: Value = serde_json::from_str(b.exec(e2e::STORED_OUTBOX_JS, json!([])).as_str().unwrap()).unwrap();
    let list: Vec<&Value> = outbox["entries"].as_array().unwrap().iter().map(|e| &e["activity"]).collect();
    assert_eq!(list.len(), 2, "no ServiceNow sign-in in this test: both wait in the outbox");
    assert_eq!(list[0]["disposition"], "Escalated");
    assert_eq!(list[0]["call_type"], "Inbound, transferred");
    assert_eq!(list[1]["notes"], "Confirmed the fix");
    assert_ne!(list[0]["call_id"], list[1]["call_id"]);
    b.click(&b.find("#tab-recents"));
    assert_eq!(b.find_all("[data-testid=recent]").len(), 3, "the two calls and the rejected one");
    layout_ok(&b, "recents at 373x300");

    // Accessible names, from Chromium's accessibility tree (WebDriver computedlabel works on top-level
    // documents): the desktop popped out at 373x300, idle, in a call with the keypad, and in wrap-up.
    b.top_frame();
    b.set_viewport(373, 300);
    b.goto(&sb.desktop_url);
    b.find(".desk[data-loaded=true]");
    assert_eq!(unnamed_controls(&b), Vec::<String>::new(), "every control has an accessible name (idle)");
    b.click(&b.find("[data-testid=simulate-incoming]"));
    click_text(&b, "Answer");
    wait_state(&b, "Connected");
    b.click(&b.find("[data-testid=keypad-toggle]"));
    assert_eq!(unnamed_controls(&b), Vec::<String>::new(), "every control has an accessible name (in a call)");
    b.click(&b.find("[data-testid=hang-up]"));
    b.find("[data-testid=wrap-up]");
    assert_eq!(unnamed_controls(&b), Vec::<String>::new(), "every control has an accessible name (wrap-up)");
    finish_wrap_up(&b, "Resolved", "ok");

    // At a tall narrow window and a full tab.
    for (w, h) in [(300u32, 750u32), (1280, 800)] {
        b.set_viewport(w, h);
        b.goto(&sb.desktop_url);
        b.find(".desk[data-loaded=true]");
        for tab in ["#tab-phone", "#tab-directory", "#tab-recents", "#tab-diagnostics"] {
            b.click(&b.find(tab));
            layout_ok(&b, &format!("{tab} at {w}x{h}"));
        }
        assert_eq!(unnamed_controls(&b), Vec::<String>::new(), "accessible names at {w}x{h}");
        b.shot(&format!("shift-{w}x{h}.png"));
    }
}
