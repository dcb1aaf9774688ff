//! The OpenFrame bridge in a real browser: message filtering, reply matching, timeouts.

use agent_desktop::openframe::bridge;
use agent_desktop::openframe::origin::TopDomain;
use agent_desktop::openframe::protocol::{encode_host_event, Incoming, WidgetConfig};
use agent_desktop::openframe::session::{Counters, Direction, SessionEvent};
use agent_desktop::json::json;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

const TOP: &str = "http://localhost:1";

fn top_object() -> js_sys::Object {
    web_sys::window().unwrap().top().unwrap().unwrap().into()
}

fn dispatch(data: JsValue, origin: &str, source: Option<&js_sys::Object>) {
    let init = web_sys::MessageEventInit::new();
    init.set_data(&data);
    init.set_origin(origin);
    if let Some(s) = source {
        init.set_source(Some(s));
    }
    let ev = web_sys::MessageEvent::new_with_event_init_dict("message", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&ev).unwrap();
}

fn counters() -> Counters {
    bridge::current().expect("bridge installed").counters
}

pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

fn widget() -> WidgetConfig {
    WidgetConfig { width: 373, height: 300, title: "Agent Desktop".into(), sub_title: String::new(), title_icon: String::new() }
}

#[wasm_bindgen_test]
async fn bridge_drops_what_it_must_and_matches_replies_by_id() {
    let events: Rc<RefCell<Vec<SessionEvent>>> = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    bridge::install(Some(TopDomain::parse(TOP).unwrap()), widget(), move |e, _| {
        if let Some(e) = e {
            sink.borrow_mut().push(e)
        }
    });
    let top = top_object();
    let shown = JsValue::from_str(&encode_host_event("openframe_shown", None));

    let c = counters();
    dispatch(shown.clone(), "http://evil.example:1", Some(&top));
    assert_eq!(counters().wrong_origin, c.wrong_origin + 1, "wrong origin");

    let doc = web_sys::window().unwrap().document().unwrap();
    let frame: web_sys::HtmlIFrameElement = doc.create_element("iframe").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&frame).unwrap();
    let other: js_sys::Object = frame.content_window().unwrap().into();
    let c = counters();
    dispatch(shown.clone(), TOP, Some(&other));
    assert_eq!(counters().wrong_source, c.wrong_source + 1, "wrong source");
    let c = counters();
    dispatch(shown.clone(), TOP, None);
    assert_eq!(counters().wrong_source, c.wrong_source + 1, "no source at all");

    let c = counters();
    let obj = js_sys::JSON::parse(&encode_host_event("openframe_shown", None)).unwrap();
    dispatch(obj, TOP, Some(&top));
    assert_eq!(counters().not_a_string, c.not_a_string + 1, "a structured-clone object is not acted on");

    let c = counters();
    dispatch(JsValue::from_str("{\"type\":\"NOW.PostMessage\",\"eventName\":"), TOP, Some(&top));
    assert_eq!(counters().malformed, c.malformed + 1);

    let c = counters();
    let big = format!("{{\"type\":\"NOW.PostMessage\",\"eventName\":\"openframe_shown\",\"args\":\"{}\"}}", "x".repeat(70_000));
    dispatch(JsValue::from_str(&big), TOP, Some(&top));
    assert_eq!(counters().oversized, c.oversized + 1);

    let c = counters();
    dispatch(JsValue::from_str(&encode_host_event("openframe_made_up", None)), TOP, Some(&top));
    assert_eq!(counters().unknown_event, c.unknown_event + 1);
    assert!(events.borrow().is_empty(), "nothing above reached the desk: {:?}", events.borrow());

    // A reply with an id we never sent is dropped.
    let c = counters();
    let bogus = encode_host_event("openframe_response", Some(json!({"isSuccess": true, "context": {"id": "openframe_init_999", "result": {}}})));
    dispatch(JsValue::from_str(&bogus), TOP, Some(&top));
    assert_eq!(counters().unmatched_reply, c.unmatched_reply + 1);
    assert!(events.borrow().is_empty());

    // The real init id (from the log of what was sent) completes the handshake.
    let snap = bridge::current().unwrap();
    let sent = snap.log.iter().find(|l| l.direction == Direction::Out).expect("init sent").text.clone();
    let v: agent_desktop::json::Value = agent_desktop::json::parse(&sent).unwrap();
    let id = v["args"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["args"]["method"], "openframe_init");
    let ok = encode_host_event("openframe_response", Some(json!({"isSuccess": true, "context": {"id": id, "result": {"topDomain": TOP}}})));
    dispatch(JsValue::from_str(&ok), TOP, Some(&top));
    assert_eq!(events.borrow().first(), Some(&SessionEvent::Connected { confirmed: true }));

    // Host events now reach the desk.
    dispatch(shown, TOP, Some(&top));
    assert!(events.borrow().contains(&SessionEvent::Host(Incoming::Shown)));

    // get_config goes unanswered: its own timeout fires (3 s) and the desk is told.
    sleep(3_400).await;
    assert!(events.borrow().iter().any(|e| matches!(e, SessionEvent::ConfigUnavailable(_))), "{:?}", events.borrow());
    assert!(counters().timeouts >= 1);
    bridge::uninstall();
    assert!(bridge::current().is_none());
}

#[wasm_bindgen_test]
async fn standalone_bridge_posts_nothing_and_acts_on_nothing() {
    let events: Rc<RefCell<Vec<SessionEvent>>> = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    bridge::install(None, widget(), move |e, _| {
        if let Some(e) = e {
            sink.borrow_mut().push(e)
        }
    });
    bridge::publish(agent_desktop::openframe::protocol::Outgoing::Show).unwrap();
    dispatch(JsValue::from_str(&encode_host_event("openframe_shown", None)), TOP, Some(&top_object()));
    let snap = bridge::current().unwrap();
    assert_eq!(snap.counters.sent, 0);
    assert_eq!(snap.counters.accepted, 0);
    assert!(events.borrow().is_empty());
    bridge::uninstall();
}
