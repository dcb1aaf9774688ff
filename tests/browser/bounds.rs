//! The browser's own URL parser as the second check of `?config=` (after the pure name rules): whatever the
//! string, the settings file is read only from the page's origin and folder.

use agent_desktop::browser::config_url;
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn config_url_resolves_next_to_the_page() {
    let here = web_sys::window().unwrap().location();
    let url = config_url("site.json").expect("a plain name is accepted");
    assert!(url.starts_with(&here.origin().unwrap()) && url.ends_with("/site.json"), "{url}");
}

/// Strings that the pure rules refuse already; the URL API check must refuse them too (defence in depth).
macro_rules! hostile_config_url {
    ($($name:ident: $path:expr;)*) => {$(
        #[wasm_bindgen_test]
        fn $name() {
            let r = config_url($path);
            assert!(r.is_err(), "{:?} resolved to {:?}", $path, r);
            assert!(r.unwrap_err().contains("config=site.json"));
        }
    )*};
}
hostile_config_url! {
    hostile_config_url_api_tab_protocol_relative: "\t//evil.example/c.json";
    hostile_config_url_api_newline_protocol_relative: "\n//evil.example/c.json";
    hostile_config_url_api_backslashes: "\\\\evil.example\\c.json";
    hostile_config_url_api_absolute: "https://evil.example/c.json";
    hostile_config_url_api_javascript: "javascript:alert(1)//c.json";
    hostile_config_url_api_data: "data:application/json,{}";
    hostile_config_url_api_query: "c.json?x=1";
    hostile_config_url_api_fragment: "c.json#x";
}

use agent_desktop::config::Settings;
use agent_desktop::desk::Desk;
use agent_desktop::phone::model::AgentState;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A desk with the shell mounted (the panels tests' mount); the owner and the mount stay alive with the box.
fn mounted() -> (web_sys::HtmlElement, Desk, Box<dyn std::any::Any>) {
    let m = super::panels::mount(Settings::default());
    (m.root, m.desk, m._keep)
}

/// A caller's headers that must not choose the record: the call rings with no record, and the call card
/// says why (the screen pop then matches the caller's number).
macro_rules! hostile_caller_record {
    ($($name:ident: [$($h:expr),*];)*) => {$(
        #[wasm_bindgen_test]
        async fn $name() {
            let (root, desk, _keep) = mounted();
            desk.set_agent_state(AgentState::Ready);
            let id = desk.alloc_call_id();
            let headers: Vec<(String, String)> = vec![$($h),*].into_iter().map(|(n, v): (&str, String)| (n.to_string(), v)).collect();
            assert_eq!(desk.sip_incoming(id, Some("Eve"), "+14155550100", headers), None, "the call rings");
            super::openframe_bridge::sleep(0).await;
            let call = desk.calls.with_untracked(|c| c.iter().find(|c| c.id == id).cloned()).unwrap();
            assert_eq!(call.record, None, "the caller chose no record");
            let note = root.query_selector("[data-testid=call-note]").unwrap().map(|n| n.text_content().unwrap_or_default()).unwrap_or_default();
            assert!(note.contains("ignored") || note.contains("left out"), "the agent sees why: {note:?}");
            root.remove();
        }
    )*};
}
hostile_caller_record! {
    hostile_caller_record_table_not_allowed: [("X-SN-Table", "sys_user".to_string()), ("X-SN-Sys-Id", "6816f79cc0a8016401c5a33be04be441".to_string())];
    hostile_caller_record_sys_id_not_hex: [("X-SN-Table", "sn_customerservice_case".to_string()), ("X-SN-Sys-Id", "../../sys_user".to_string())];
    hostile_caller_record_oversized_value: [("X-SN-Table", "sn_customerservice_case".to_string()), ("X-SN-Sys-Id", "a".repeat(100_000))];
}

/// A well-formed record of an allowed table (any guessable sys_id) is only a hint while the admin has not
/// declared call data trusted: the call is not attached to it (the agent's notes would go there).
#[wasm_bindgen_test]
async fn hostile_caller_names_an_allowed_record_untrusted() {
    let (root, desk, _keep) = mounted();
    desk.set_agent_state(AgentState::Ready);
    let id = desk.alloc_call_id();
    let headers = vec![("X-SN-Table".to_string(), "sn_customerservice_case".to_string()), ("X-SN-Sys-Id".to_string(), "ca5e0000000000000000000000000001".to_string())];
    assert_eq!(desk.sip_incoming(id, Some("Eve"), "+14155550100", headers), None, "the call rings");
    super::openframe_bridge::sleep(0).await;
    let call = desk.calls.with_untracked(|c| c.iter().find(|c| c.id == id).cloned()).unwrap();
    assert_eq!(call.record, None, "the caller chose no record");
    root.remove();
}

#[wasm_bindgen_test]
async fn hostile_caller_with_thousands_of_x_headers_keeps_a_bounded_call() {
    let (root, desk, _keep) = mounted();
    desk.set_agent_state(AgentState::Ready);
    let id = desk.alloc_call_id();
    let headers: Vec<(String, String)> = (0..5_000).map(|i| (format!("X-H{i}"), "v".repeat(200))).collect();
    desk.sip_incoming(id, None, "+14155550100", headers);
    super::openframe_bridge::sleep(0).await;
    let call = desk.calls.with_untracked(|c| c.iter().find(|c| c.id == id).cloned()).unwrap();
    assert_eq!(call.x_headers.len(), agent_desktop::phone::call::MAX_X_HEADERS);
    assert!(call.to_json().to_string().len() < 10_000, "what goes to the other windows and the reload snapshot is bounded");
    assert!(call.note.unwrap_or_default().contains("left out"));
    root.remove();
}

/// A refused activity whose notes hold markup, in the Status panel: the notes are shown as text (never as
/// HTML), Dismiss asks first, and a window without the phone cannot dismiss (it would save its stale outbox).
async fn refused_with_markup_notes() -> (web_sys::HtmlElement, Desk, Box<dyn std::any::Any>) {
    use agent_desktop::servicenow::{activity::Activity, outbox::Outcome};
    let (root, desk, keep) = mounted();
    let notes = "<img src=x data-evil=1> promised a refund";
    let a = Activity {
        call_id: "c-1".into(), call_type: "Inbound".into(), caller: "+14155550100".into(), dialled: "1".into(), start_ms: 0.0, end_ms: 1.0, talk_ms: 1.0, hold_ms: 0.0,
        agent: "a".into(), queue: String::new(), transfers: vec![], disposition: String::new(), notes: notes.into(), record: None,
    };
    desk.edit_core(|c| {
        let o = &mut c.outbox;
        o.add(a, 0.0).unwrap();
        o.next(0.0);
        o.on_sent("c-1", Outcome::Refused("403 no".into()), 0.0);
    });
    desk.select_tab(agent_desktop::desk::Tab::Diagnostics);
    super::openframe_bridge::sleep(0).await;
    let shown: web_sys::HtmlTextAreaElement = root.query_selector("[data-testid=sn-refused-notes]").unwrap().expect("the notes are shown").dyn_into().unwrap();
    assert_eq!(shown.value(), notes);
    assert!(root.query_selector("[data-evil]").unwrap().is_none(), "the notes became markup");
    (root, desk, keep)
}

fn click(root: &web_sys::HtmlElement, css: &str) {
    root.query_selector(css).unwrap().unwrap_or_else(|| panic!("{css}")).dyn_into::<web_sys::HtmlElement>().unwrap().click();
}

#[wasm_bindgen_test]
async fn hostile_refused_notes_dismiss_asks_before_losing_them() {
    let (root, desk, _keep) = refused_with_markup_notes().await;
    click(&root, "[data-testid=sn-dismiss]");
    super::openframe_bridge::sleep(0).await;
    assert_eq!(desk.outbox.with_untracked(|o| o.entries.len()), 1, "one click lost the notes");
    click(&root, "[data-testid=sn-dismiss-confirm]");
    super::openframe_bridge::sleep(0).await;
    assert_eq!(desk.outbox.with_untracked(|o| o.entries.len()), 0);
    root.remove();
}

#[wasm_bindgen_test]
async fn hostile_refused_notes_dismiss_in_a_window_without_the_phone() {
    let (root, desk, _keep) = refused_with_markup_notes().await;
    desk.edit_core(|c| c.role = agent_desktop::tabs::Role::Remote);
    super::openframe_bridge::sleep(0).await;
    assert!(root.query_selector("[data-testid=sn-dismiss]").unwrap().is_none(), "a window without the phone offers Dismiss");
    assert!(root.query_selector("[data-testid=sn-dismiss-elsewhere]").unwrap().is_some());
    desk.dismiss_activity("c-1");
    assert_eq!(desk.outbox.with_untracked(|o| o.entries.len()), 1, "a window without the phone changed the outbox");
    root.remove();
}
