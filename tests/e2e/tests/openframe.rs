//! OpenFrame end to end: the release build in the sandbox's OpenFrame host, at different origins.

use e2e::{enter, Browser, Page, Sandbox};
use serde_json::{json, Value};

fn enc(s: &str) -> String {
    s.replace('%', "%25").replace(':', "%3A").replace('/', "%2F").replace('?', "%3F").replace('&', "%26").replace('=', "%3D")
        .replace('"', "%22").replace('{', "%7B").replace('}', "%7D").replace('\n', "%0A").replace(' ', "%20")
}


fn open(b: &Browser, sb: &Sandbox, query: &str) {
    b.goto(&format!("{}/{query}", sb.origin));
    enter(b);
}

/// Waits until the desktop's Status panel shows this OpenFrame state.
fn wait_phase(b: &Browser, want: &str) {
    b.click(&b.find("#tab-diagnostics"));
    b.wait_for(&format!("OpenFrame state {want}"), || {
        let t = b.text(&b.find("[data-testid=of-phase]"));
        (t == want).then_some(())
    });
}

/// The sandbox's protocol log as (direction, text) pairs.
fn host_log(b: &Browser) -> Vec<(String, String)> {
    let v = b.exec(
        "return Array.from(document.querySelectorAll('#protocol-log li')).map(li => [li.className, li.textContent])",
        json!([]),
    );
    v.as_array().unwrap().iter().map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string())).collect()
}

fn counter(b: &Browser, key: &str) -> u64 {
    let t = b.text(&b.find(&format!("[data-testid={key}]")));
    t.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn handshake_config_icons_and_presence() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("handshake", 1280, 800);
    let cfg = r#"{"title":"Phone","configuration":"title=Support line\nnotReadyReasons=Lunch,Coaching"}"#;
    open(&b, &sb, &format!("?openframe={}", enc(cfg)));
    wait_phase(&b, "Connected");
    // The OpenFrame configuration's `configuration` field fed the desktop's settings.
    b.wait_for("title from the configuration field", || (b.text(&b.find("h1.title")) == "Support line").then_some(()));
    let options = b.exec("return Array.from(document.querySelectorAll('[data-testid=agent-state] option')).map(o => o.textContent)", json!([]));
    assert!(options.as_array().unwrap().contains(&json!("Not Ready: Coaching")), "{options}");
    // Pick Ready: the presence indicator in ServiceNow follows.
    b.exec("const s = document.querySelector('[data-testid=agent-state]'); s.value = 'ready'; s.dispatchEvent(new Event('change'));", json!([]));
    b.top_frame();
    b.wait_for("presence Ready", || {
        let t = b.attr(&b.find("#openframe-toggle"), "data-presence");
        (t.as_deref() == Some("Ready")).then_some(())
    });
    assert_eq!(b.attr(&b.find("#openframe-toggle"), "data-presence-color").as_deref(), Some("green"));
    let log = host_log(&b);
    let inbound: Vec<&String> = log.iter().filter(|(d, _)| d == "in").map(|(_, t)| t).collect();
    assert!(inbound[0].contains("openframe_init"), "{inbound:?}");
    assert!(inbound.iter().any(|t| t.contains("openframe_get_config") && t.contains("\"width\":373")), "{inbound:?}");
    assert!(log.iter().any(|(d, t)| d == "out" && t.contains("\"configuration\"")), "config record sent");
    // Header icons: pop-out and mute. Clicking mute reaches the desktop.
    let mute = b.find("#of-icons button[data-icon-id=mute]");
    assert!(b.try_find("#of-icons button[data-icon-id=popout]").is_some());
    let src = b.exec("return document.querySelector('#of-icons img').src", json!([]));
    assert!(src.as_str().unwrap().starts_with(&sb.desktop_url), "icons are served by the desktop: {src}");
    b.click(&mute);
    enter(&b);
    b.find("[data-testid=muted]");
    b.top_frame();
    b.wait_for("icon shows Unmute", || {
        (b.attr(&b.find("#of-icons button[data-icon-id=mute]"), "title").as_deref() == Some("Unmute")).then_some(())
    });
    assert_eq!(log.iter().filter(|(d, _)| d == "ignored").count(), 0, "the host ignored nothing: {log:?}");
}

#[test]
fn click_to_call_attaches_the_case_and_screen_pop_opens_it() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("click_to_call", 1280, 800);
    open(&b, &sb, "");
    wait_phase(&b, "Connected");
    b.top_frame();
    b.click(&b.find("#nav-cases"));
    let link = b.wait_for("case link", || {
        b.find_all("#content-body a").into_iter().find(|a| b.text(a) == "CS0001001")
    });
    b.click(&link);
    assert_eq!(b.text(&b.find("#content-title")), "Case - CS0001001");
    b.click(&b.find("button[data-c2c='(415) 555-0123']"));
    enter(&b);
    let card = b.find("[data-testid=call]");
    assert_eq!(b.text(&b.find("[data-testid=party]")), "Beth Anglin", "the contact that came with the click names the party");
    assert!(b.text(&b.find("[data-testid=call]")).contains("+14155550123"), "the number, normalized to E.164");
    assert_eq!(b.text(&b.find("[data-testid=call-record]")), "CS0001001", "the case is attached to the call");
    let _ = card;
    b.wait_for("call connected", || {
        (b.text(&b.find("[data-testid=call-state]")) == "Connected").then_some(())
    });
    // Screen pop: leave the case, then open it again from the call.
    b.top_frame();
    b.click(&b.find("#nav-home"));
    assert_eq!(b.text(&b.find("#content-title")), "Home");
    enter(&b);
    b.click(&b.find("[data-testid=call-record]"));
    b.top_frame();
    b.wait_for("case form in the main area", || (b.text(&b.find("#content-title")) == "Case - CS0001001").then_some(()));
    assert_eq!(b.attr(&b.find("#content-body"), "data-sys-id").as_deref(), Some("ca5e0000000000000000000000000001"));
    let log = host_log(&b);
    assert!(log.iter().any(|(d, t)| d == "in" && t.contains("openframe_set_top_frame_url") && t.contains("sys_id=ca5e0000000000000000000000000001")), "{log:?}");
    b.shot("click-to-call.png");
}

#[test]
fn incoming_call_shows_the_frame_with_caller_title() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("incoming", 1280, 800);
    open(&b, &sb, "");
    wait_phase(&b, "Connected");
    b.top_frame();
    b.click(&b.find("#openframe-toggle"));
    assert_eq!(b.exec("return document.getElementById('openframe').hidden", json!([])), json!(true));
    // The frame is hidden: trigger the demo line's incoming call from inside it.
    enter(&b);
    b.exec("document.querySelector('#tab-phone').click()", json!([]));
    b.wait_for("phone panel", || b.exec("return document.querySelector('[data-testid=simulate-incoming]') !== null", json!([])).as_bool().filter(|x| *x));
    b.exec("document.querySelector('[data-testid=simulate-incoming]').click()", json!([]));
    b.top_frame();
    b.wait_for("frame shown", || (b.exec("return document.getElementById('openframe').hidden", json!([])) == json!(false)).then_some(()));
    b.wait_for("caller in the title", || (b.text(&b.find("#of-title")) == "Beth Anglin").then_some(()));
    assert!(b.text(&b.find("#of-subtitle")).contains("+14155550123"));
    enter(&b);
    let answer = b.wait_for("answer button", || b.find_all("button").into_iter().find(|x| b.text(x) == "Answer"));
    b.click(&answer);
    b.top_frame();
    b.wait_for("title restored after answering", || (b.text(&b.find("#of-title")) == "Agent Desktop").then_some(()));
}

#[test]
fn the_sandbox_rings_the_demo_line() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("sandbox_rings", 1280, 800);
    open(&b, &sb, "");
    wait_phase(&b, "Connected");
    b.top_frame();
    b.click(&b.find("#demo-call"));
    b.wait_for("caller in the title", || (b.text(&b.find("#of-title")) == "Beth Anglin").then_some(()));
    enter(&b);
    b.click(&b.find("#tab-phone"));
    assert_eq!(b.text(&b.find("[data-testid=party]")), "Beth Anglin");
    assert_eq!(b.attr(&b.find("[data-testid=call]"), "data-state").as_deref(), Some("Alerting"));
}

#[test]
fn before_destroy_persists_state() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("before_destroy", 1280, 800);
    open(&b, &sb, "");
    wait_phase(&b, "Connected");
    b.click(&b.find("#tab-phone"));
    b.exec("const s = document.querySelector('[data-testid=agent-state]'); s.value = 'not-ready:Lunch'; s.dispatchEvent(new Event('change'));", json!([]));
    b.send_keys(&b.find("[data-testid=dial-input]"), "+1 415 555 0100");
    b.click(&b.find("[data-testid=dial-button]"));
    b.find("[data-testid=call]");
    assert_eq!(b.exec("return sessionStorage.getItem('agent-desktop.snapshot')", json!([])), Value::Null);
    b.top_frame();
    b.exec("window.sandboxSend('openframe_before_destroy')", json!([]));
    enter(&b);
    let saved = b.wait_for("snapshot saved", || {
        b.exec("return sessionStorage.getItem('agent-desktop.snapshot')", json!([])).as_str().map(str::to_string)
    });
    let v: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(v["agentState"], "not-ready:Lunch");
    assert_eq!(v["calls"][0]["number"], "+14155550100", "dialled numbers are normalized to E.164");
    // ServiceNow reloads: the desktop comes back in the state the agent left it.
    b.top_frame();
    b.exec("location.reload()", json!([]));
    enter(&b);
    let state = b.wait_for("state restored", || {
        let v = b.exec("return document.querySelector('[data-testid=agent-state]').value", json!([]));
        (v == json!("not-ready:Lunch")).then_some(v)
    });
    assert_eq!(state, json!("not-ready:Lunch"));
}

#[test]
fn wrong_top_domain_is_refused_with_a_clear_error_and_no_traffic() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("wrong_top_domain", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    let wrong = "https://other.service-now.com";
    b.exec("document.getElementById('protocol-log').textContent = ''; document.getElementById('gsft_openframe').src = arguments[0];",
        json!([format!("{}?topDomain={}", sb.desktop_url, enc(wrong))]));
    enter(&b);
    wait_phase(&b, "Refused");
    let problem = b.text(&b.find("[data-testid=of-problem]"));
    assert!(problem.contains(wrong) && problem.contains(&sb.origin), "{problem}");
    assert!(counter(&b, "of-dropped") >= 1);
    // Nothing reaches ServiceNow but the empty init request(s).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    b.exec("const s = document.querySelector('[data-testid=agent-state]'); s.value = 'ready'; s.dispatchEvent(new Event('change'));", json!([]));
    b.top_frame();
    let log = host_log(&b);
    let inbound: Vec<&String> = log.iter().filter(|(d, _)| d == "in").map(|(_, t)| t).collect();
    assert!(!inbound.is_empty());
    assert!(inbound.iter().all(|t| t.contains("openframe_request") && t.contains("openframe_init") && t.contains("\"payload\":{}")), "{inbound:?}");
    assert_eq!(b.attr(&b.find("#openframe-toggle"), "data-presence"), None, "no presence was published");
}

#[test]
fn pages_on_a_third_origin_are_ignored() {
    let sb = Sandbox::start(&[]);
    let top = enc(&sb.origin);
    // A page at a third origin frames the desktop (claiming the sandbox as topDomain) and imitates the host.
    let forged = |name: &str, args: &str| format!("JSON.stringify({{type:'NOW.PostMessage',eventName:'{name}',args:{args}}})");
    let evil = Page::serve(format!(
        r#"<!DOCTYPE html><html><body><iframe name="gsft_openframe" id="f" style="width:373px;height:300px" src="{desk}?topDomain={top}&demo=1"></iframe>
<script>
const f = document.getElementById('f');
setInterval(() => {{
  f.contentWindow.postMessage({c2c}, '*');
  f.contentWindow.postMessage({push}, '*');
  f.contentWindow.postMessage({{not: 'a string'}}, '*');
}}, 200);
</script></body></html>"#,
        desk = sb.desktop_url,
        top = top,
        c2c = forged("openframe_communication", "{type:'OUTGOING_CALL',data:{metaData:{phoneNumber:'+19005550100'},data:[]}}"),
        push = forged("openframe_topframe_domain", &format!("{{topDomain:'{}'}}", sb.origin)),
    ));
    let b = Browser::start("third_origin", 1280, 800);
    b.goto(&evil.url);
    enter(&b);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    b.click(&b.find("#tab-diagnostics"));
    let phase = b.text(&b.find("[data-testid=of-phase]"));
    assert_ne!(phase, "Connected", "a forged host must not complete the handshake");
    assert!(counter(&b, "of-dropped") >= 6, "dropped: {}", b.text(&b.find("[data-testid=of-dropped]")));
    assert_eq!(counter(&b, "of-accepted"), 0);
    b.click(&b.find("#tab-phone"));
    assert!(b.absent("[data-testid=call]"), "a forged click-to-call must not dial");

    // Inside the real sandbox: a sibling frame from the third origin messages the desktop. Wrong source.
    let sibling = Page::serve(format!(
        r#"<!DOCTYPE html><html><body><script>
setInterval(() => parent.frames['gsft_openframe'].postMessage({c2c}, '*'), 200);
</script></body></html>"#,
        c2c = forged("openframe_communication", "{type:'OUTGOING_CALL',data:{metaData:{phoneNumber:'+19005550100'},data:[]}}"),
    ));
    b.goto(&format!("{}/", sb.origin));
    enter(&b);
    wait_phase(&b, "Connected");
    let accepted_before = counter(&b, "of-accepted");
    b.top_frame();
    b.exec("const f = document.createElement('iframe'); f.src = arguments[0]; document.body.appendChild(f);", json!([sibling.url]));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    enter(&b);
    b.click(&b.find("#tab-diagnostics"));
    let dropped = b.text(&b.find("[data-testid=of-dropped]"));
    let wrong_source: u64 = dropped.split("source ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
    assert!(wrong_source >= 3, "{dropped}");
    assert_eq!(counter(&b, "of-accepted"), accepted_before);
    b.click(&b.find("#tab-phone"));
    assert!(b.absent("[data-testid=call]"), "a sibling frame's click-to-call must not dial");
}

#[test]
fn a_host_that_ignores_the_desktop_origin_gets_the_allowlist_hint() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("allowlist", 1280, 800);
    // The instance's allowlist does not list the desktop's origin: every message from it is ignored.
    open(&b, &sb, "?allowlist=");
    b.click(&b.find("#tab-diagnostics"));
    assert_eq!(b.text(&b.find("[data-testid=of-phase]")), "Connecting…");
    let problem = b.wait_for("unconfirmed after the handshake window", || {
        std::thread::sleep(std::time::Duration::from_millis(400));
        b.try_find("[data-testid=of-problem]").map(|p| b.text(&p))
    });
    assert!(problem.contains("glide.ui.concourse.onmessage_enforce_same_origin_whitelist"), "{problem}");
    assert_eq!(b.text(&b.find("[data-testid=of-phase]")), "Connected (unconfirmed)");
    b.top_frame();
    let log = host_log(&b);
    assert!(log.iter().filter(|(d, _)| d == "ignored").count() >= 5, "init retried: {log:?}");
    assert!(log.iter().all(|(d, _)| d != "out"), "the host answered nothing: {log:?}");
    let warned = b.console().iter().any(|l| l.contains("onmessage_enforce_same_origin_whitelist"));
    assert!(warned, "the host warns in the console like an instance");
}

#[test]
fn pop_out_icon_opens_the_desktop_in_its_own_tab() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("pop_out", 1280, 800);
    open(&b, &sb, "");
    wait_phase(&b, "Connected");
    b.top_frame();
    let before = b.window_handles().len();
    b.click(&b.find("#of-icons button[data-icon-id=popout]"));
    let handles = b.wait_for("a new tab", || {
        let h = b.window_handles();
        (h.len() == before + 1).then_some(h)
    });
    b.switch_window(handles.last().unwrap());
    b.find(".desk[data-loaded=true]");
    let url = b.exec("return location.href", json!([]));
    assert!(url.as_str().unwrap().starts_with(&sb.desktop_url), "{url}");
    b.click(&b.find("#tab-diagnostics"));
    assert_eq!(b.text(&b.find("[data-testid=mode]")), "Standalone");
}
