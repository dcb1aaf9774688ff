//! The agent's panels in a real browser: wrap-up rules and drafts, dial pad normalization, directory
//! keyboard navigation, agent state rules.

use agent_desktop::config::{self, Settings};
use agent_desktop::desk::{Desk, Tab, WRAPUPS_KEY};
use agent_desktop::phone::call::CallState;
use agent_desktop::phone::model::AgentState;
use agent_desktop::ui::shell::Shell;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

async fn tick() {
    super::openframe_bridge::sleep(0).await;
}

pub(super) struct Mounted {
    pub(super) root: web_sys::HtmlElement,
    pub(super) desk: Desk,
    pub(super) _keep: Box<dyn std::any::Any>,
}

/// A desk with these settings and the shell mounted; the owner and the mount stay alive with `_keep`.
pub(super) fn mount(settings: Settings) -> Mounted {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let owner = Owner::new();
    let (desk, handle) = owner.with(|| {
        let desk = Desk::new();
        desk.apply_settings(settings, Vec::new());
        agent_desktop::desk::provide_desk(desk);
        // As in the app: the shell is built again when the language changes.
        let shell = move || {
            agent_desktop::intl::track();
            view! { <Shell/> }
        };
        (desk, leptos::mount::mount_to(root.clone(), move || shell))
    });
    Mounted { root, desk, _keep: Box::new((owner, handle)) }
}

impl Mounted {
    fn q(&self, sel: &str) -> Option<web_sys::HtmlElement> {
        self.root.query_selector(sel).unwrap().map(|e| e.dyn_into().unwrap())
    }
    fn input(&self, sel: &str, value: &str) {
        let el = self.q(sel).unwrap();
        js_sys::Reflect::set(&el, &"value".into(), &value.into()).unwrap();
        el.dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &{
            let i = web_sys::EventInit::new();
            i.set_bubbles(true);
            i
        }).unwrap()).unwrap();
    }
    fn select(&self, sel: &str, value: &str) {
        let el: web_sys::HtmlSelectElement = self.q(sel).unwrap().dyn_into().unwrap();
        el.set_value(value);
        el.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    }
}

fn clean() {
    for k in [WRAPUPS_KEY, agent_desktop::desk::RECENTS_KEY, agent_desktop::desk::OUTBOX_KEY, agent_desktop::desk::TAB_KEY] {
        storage().remove_item(k).unwrap();
    }
    storage().remove_item(&agent_desktop::servicenow::outbox_store::key_for("||")).unwrap();
}

/// A finished, answered demo call (so a wrap-up opens).
fn finish_a_call(desk: &Desk) -> u32 {
    desk.set_agent_state(AgentState::Ready);
    let id = desk.simulate_incoming();
    desk.answer(id);
    desk.hang_up(id);
    id
}

#[wasm_bindgen_test]
async fn wrap_up_requires_a_disposition_and_returns_to_the_prior_state() {
    clean();
    let (settings, _) = config::resolve("", Some(r#"{"dispositions":["Resolved","Escalated"],"dispositionRequired":true}"#));
    let m = mount(settings);
    finish_a_call(&m.desk);
    tick().await;
    assert_eq!(m.desk.agent_state.get_untracked(), AgentState::AfterCallWork);
    assert!(m.q("[data-testid=wrap-up]").is_some());
    m.q("[data-testid=finish-wrap-up]").unwrap().click();
    tick().await;
    let err = m.q("[data-testid=wrap-up-error]").expect("disposition required").text_content().unwrap();
    assert!(err.contains("Choose a disposition"), "{err}");
    assert_eq!(m.desk.outbox.with_untracked(|o| o.entries.len()), 0);
    m.select("[data-testid=disposition]", "Resolved");
    m.input("[data-testid=notes]", "Customer's router replaced.");
    tick().await;
    m.q("[data-testid=finish-wrap-up]").unwrap().click();
    tick().await;
    assert!(m.q("[data-testid=wrap-up]").is_none());
    let sent = m.desk.outbox.get_untracked().entries;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].activity.disposition, "Resolved");
    assert_eq!(sent[0].activity.notes, "Customer's router replaced.");
    assert_eq!(m.desk.agent_state.get_untracked(), AgentState::Ready, "back to the state before the call");
    clean();
}

#[wasm_bindgen_test]
async fn wrap_up_draft_survives_a_remount() {
    clean();
    let m = mount(Settings::default());
    finish_a_call(&m.desk);
    tick().await;
    m.input("[data-testid=notes]", "half-written note");
    m.select("[data-testid=disposition]", "Escalated");
    tick().await;
    drop(m);
    // A reload: a new desk reads the draft back.
    let again = mount(Settings::default());
    tick().await;
    let notes: web_sys::HtmlTextAreaElement = again.q("[data-testid=notes]").expect("draft restored").dyn_into().unwrap();
    assert_eq!(notes.value(), "half-written note");
    let disp: web_sys::HtmlSelectElement = again.q("[data-testid=disposition]").unwrap().dyn_into().unwrap();
    assert_eq!(disp.value(), "Escalated");
    clean();
}

#[wasm_bindgen_test]
async fn dial_pad_normalizes_to_e164_and_refuses_garbage() {
    clean();
    let (settings, _) = config::resolve("", Some(r#"{"defaultCountry":"GB"}"#));
    let m = mount(settings);
    tick().await;
    m.input("[data-testid=dial-input]", "020 7946 0958");
    m.q("[data-testid=dial-button]").unwrap().click();
    tick().await;
    assert_eq!(m.desk.calls.with_untracked(|c| c[0].number.clone()), "+442079460958");
    m.desk.hang_up(m.desk.calls.with_untracked(|c| c[0].id));
    m.desk.edit_core(|c| c.wrapups.clear());
    tick().await;
    m.input("[data-testid=dial-input]", "call me");
    m.q("[data-testid=dial-button]").unwrap().click();
    tick().await;
    assert!(m.q("[data-testid=dial-error]").unwrap().text_content().unwrap().contains("not a phone number"));
    // Keys and backspace.
    m.input("[data-testid=dial-input]", "");
    for k in ["1", "2", "3"] {
        m.q(&format!("[data-dial-key='{k}']")).unwrap().click();
    }
    m.q("[data-testid=backspace]").unwrap().click();
    tick().await;
    assert_eq!(m.desk.dial_text.get_untracked(), "12");
    clean();
}

#[wasm_bindgen_test]
async fn directory_is_searchable_and_keyboard_driven() {
    clean();
    let (settings, _) = config::resolve(
        "",
        Some(r#"{"speedDials":[{"name":"Service Desk","number":"+1 415 555 0100"},{"name":"Supervisor","number":"+1 415 555 0199"}],"queues":[{"name":"Billing queue","number":"+1 415 555 0101"}]}"#),
    );
    let m = mount(settings);
    m.desk.set_agent_state(AgentState::Ready);
    m.desk.select_tab(Tab::Directory);
    tick().await;
    assert_eq!(m.root.query_selector_all("[data-testid=directory-entry]").unwrap().length(), 3);
    m.input("[data-testid=directory-search]", "s");
    tick().await;
    let search = m.q("[data-testid=directory-search]").unwrap();
    let key = |k: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        search.dispatch_event(&web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap()).unwrap();
    };
    key("ArrowDown");
    tick().await;
    assert_eq!(m.q("#directory-results [aria-selected=true]").unwrap().id(), "dir-1");
    key("Enter");
    tick().await;
    let dialled = m.desk.calls.with_untracked(|c| c[0].number.clone());
    assert_eq!(dialled, "+14155550199", "Enter calls the selected entry (Supervisor), in E.164");
    assert_eq!(m.desk.tab.get_untracked(), Tab::Phone);
    clean();
}

#[wasm_bindgen_test]
async fn agent_state_rules() {
    clean();
    let (settings, _) = config::resolve("", Some(r#"{"notReadyReasons":["Lunch","Coaching"]}"#));
    let m = mount(settings);
    tick().await;
    let options: Vec<(String, bool)> = {
        let list = m.root.query_selector_all("[data-testid=agent-state] option").unwrap();
        (0..list.length())
            .map(|i| {
                let o: web_sys::HtmlOptionElement = list.get(i).unwrap().dyn_into().unwrap();
                (o.text_content().unwrap(), o.disabled())
            })
            .collect()
    };
    // With reason codes, Not Ready can only be picked with a reason (the system's own "Not Ready" after sign-in
    // is shown as the current state, disabled).
    assert!(options.contains(&("Not Ready: Lunch".to_string(), false)), "{options:?}");
    assert!(options.contains(&("Ready".to_string(), false)), "{options:?}");
    assert!(options.iter().filter(|(o, _)| o == "Not Ready").all(|(_, disabled)| *disabled), "a reason is required: {options:?}");
    m.select("[data-testid=agent-state]", "ready");
    assert_eq!(m.desk.agent_state.get_untracked(), AgentState::Ready);
    // An alert that goes unanswered makes the agent Missed.
    let id = m.desk.simulate_incoming();
    m.desk.edit_core(|c| c.calls.iter_mut().find(|c| c.id == id).unwrap().created_ms -= 40_000.0);
    m.desk.tick(js_sys::Date::now());
    tick().await;
    assert_eq!(m.desk.calls.with_untracked(|c| c[0].state.clone()), CallState::Ended(agent_desktop::phone::call::EndReason::Missed));
    assert_eq!(m.desk.agent_state.get_untracked(), AgentState::Missed);
    assert!(m.q("[data-testid=live]").unwrap().text_content().unwrap().contains("Missed"));
    clean();
}

#[wasm_bindgen_test]
async fn without_wrap_up_the_activity_is_queued_at_once() {
    clean();
    let (settings, _) = config::resolve("", Some(r#"{"wrapUp": false}"#));
    let m = mount(settings);
    finish_a_call(&m.desk);
    tick().await;
    assert!(m.q("[data-testid=wrap-up]").is_none());
    assert_eq!(m.desk.agent_state.get_untracked(), AgentState::Ready, "no After Call Work");
    assert_eq!(m.desk.outbox.with_untracked(|o| o.entries.len()), 1);
    let saved = storage().get_item(&agent_desktop::servicenow::outbox_store::key_for(&m.desk.deployment_key())).unwrap().unwrap();
    assert!(saved.contains("Beth Anglin") || saved.contains("+14155550123"), "stored before any attempt: {saved}");
    clean();
}

#[wasm_bindgen_test]
async fn a_call_card_keeps_what_the_agent_types_while_the_call_updates() {
    clean();
    let m = mount(Settings::default());
    m.desk.set_agent_state(AgentState::Ready);
    let id = m.desk.simulate_incoming();
    m.desk.answer(id);
    tick().await;
    m.q("[data-testid=transfer-toggle]").unwrap().click();
    tick().await;
    m.input("[data-testid=transfer-target]", "2002");
    let before = m.q("[data-testid=transfer-target]").unwrap();
    // Statistics, notes and hold change the call many times a minute.
    m.desk.call_packets(id, (100, 100));
    m.desk.call_note(id, Some("note".into()));
    m.desk.set_hold(id, true);
    tick().await;
    let after = m.q("[data-testid=transfer-target]").expect("the transfer form is still open");
    assert!(before.is_same_node(Some(&after)), "the card was updated in place, not rebuilt");
    let value = js_sys::Reflect::get(&after, &"value".into()).unwrap().as_string().unwrap();
    assert_eq!(value, "2002");
    assert_eq!(m.q("[data-testid=call]").unwrap().get_attribute("data-rx").as_deref(), Some("100"));
    assert_eq!(m.q("[data-testid=call]").unwrap().get_attribute("data-state").as_deref(), Some("Held"));
    clean();
}

#[wasm_bindgen_test::wasm_bindgen_test]
fn search_folds_case_beyond_ascii_with_the_browser_tables() {
    use agent_desktop::browser::fold_case;
    assert_eq!(fold_case("ÉMILE Zoë"), "émile zoë");
    assert_eq!(fold_case("Beth ANGLIN"), "beth anglin");
    let entries = vec![agent_desktop::ui::directory::Entry { name: "Émile Zola".into(), number: "+33 1 23 45 67 89".into(), kind: "contact" }];
    let hits = agent_desktop::ui::directory::search(&entries, "émile", &[]);
    assert_eq!(hits.len(), 1, "a lower-case query finds an upper-case accented name");
}

/// "Copy diagnostics" refused by the browser: the text shows in a field, focused and selected whole for
/// Ctrl+C (the field is found from the button's panel, issue #16).
#[wasm_bindgen_test]
async fn a_refused_copy_shows_the_diagnostics_selected() {
    clean();
    let refuse = js_sys::Function::new_no_args(
        "Object.defineProperty(navigator, 'clipboard', {value: {writeText: () => Promise.reject(new Error('refused'))}, configurable: true})",
    );
    refuse.call0(&JsValue::NULL).unwrap();
    let (settings, _) = config::resolve("", None);
    let m = mount(settings);
    m.desk.select_tab(Tab::Diagnostics);
    tick().await;
    m.q("[data-testid=copy-diagnostics]").expect("copy button").click();
    let mut area = None;
    for _ in 0..50 {
        tick().await;
        area = m.q("[data-testid=diagnostics-text]");
        let selected = area.as_ref().and_then(|a| a.clone().dyn_into::<web_sys::HtmlTextAreaElement>().ok()).is_some_and(|a| a.selection_end().ok().flatten().unwrap_or(0) > 0);
        if selected {
            break;
        }
    }
    js_sys::Function::new_no_args("delete navigator.clipboard").call0(&JsValue::NULL).unwrap();
    let area: web_sys::HtmlTextAreaElement = area.expect("the text for copying by hand").dyn_into().unwrap();
    assert_eq!(m.q("[data-testid=copy-result]").unwrap().get_attribute("data-copied").as_deref(), Some("false"));
    let len = area.value().encode_utf16().count() as u32;
    assert!(len > 0);
    assert_eq!((area.selection_start().unwrap(), area.selection_end().unwrap()), (Some(0), Some(len)), "selected whole");
    let active = web_sys::window().unwrap().document().unwrap().active_element().unwrap();
    assert!(js_sys::Object::is(&active, &area), "focused");
    m.root.remove();
    clean();
}
