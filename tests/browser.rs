//! Browser tests: components mounted in a real headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use agent_desktop::config::{self, Settings};
use agent_desktop::desk::{Desk, Tab, TAB_KEY};
use agent_desktop::ui::shell::Shell;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "browser/openframe_bridge.rs"]
mod openframe_bridge;
#[path = "browser/desk.rs"]
mod desk_tests;
#[path = "browser/panels.rs"]
mod panels;
#[path = "browser/tabs.rs"]
mod tabs;
#[path = "browser/bounds.rs"]
mod bounds;
#[path = "browser/trust.rs"]
mod trust;
#[path = "browser/media.rs"]
mod media;
#[path = "browser/outbox.rs"]
mod outbox;

#[path = "browser/ui_features.rs"]
mod ui_features;
#[path = "browser/languages.rs"]
mod languages;

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// A fresh container in the page for one test.
fn container() -> web_sys::HtmlElement {
    let el = document().create_element("div").unwrap().dyn_into::<web_sys::HtmlElement>().unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    el
}

/// Lets Leptos run its effects and re-render.
async fn tick() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Mounts the shell with a desk holding these settings; the returned box keeps it mounted.
fn mount_shell(settings: Settings, errors: Vec<config::ConfigError>) -> (web_sys::HtmlElement, Desk, Box<dyn std::any::Any>) {
    let root = container();
    let owner = Owner::new();
    let handle = owner.with(|| {
        let desk = Desk::new();
        desk.apply_settings(settings, errors);
        agent_desktop::desk::provide_desk(desk);
        (desk, leptos::mount::mount_to(root.clone(), Shell))
    });
    let desk = handle.0;
    (root, desk, Box::new((owner, handle.1)))
}

fn q(root: &web_sys::HtmlElement, sel: &str) -> Option<web_sys::HtmlElement> {
    root.query_selector(sel).unwrap().map(|e| e.dyn_into().unwrap())
}

#[wasm_bindgen_test]
async fn shell_mounts_with_title_line_and_mode() {
    storage().remove_item(TAB_KEY).unwrap();
    let (settings, errors) = config::resolve("", Some(r#"{"title":"Support line"}"#));
    let (root, _desk, _keep) = mount_shell(settings, errors);
    tick().await;
    assert_eq!(q(&root, "h1.title").unwrap().text_content().unwrap(), "Support line");
    assert_eq!(q(&root, "[data-testid=line]").unwrap().text_content().unwrap(), "Demo line");
    q(&root, "#tab-diagnostics").unwrap().click();
    tick().await;
    assert_eq!(q(&root, "[data-testid=mode]").unwrap().text_content().unwrap(), "Standalone");
    q(&root, "#tab-phone").unwrap().click();
    tick().await;
    assert!(q(&root, "[data-testid=standalone]").is_some(), "standalone notice shown without topDomain");
    assert!(q(&root, "[data-testid=phone-idle]").is_some(), "phone panel is the default");
    let (settings, errors) = config::resolve("topDomain=https%3A%2F%2Facme.service-now.com", None);
    let (root2, _d2, _k2) = mount_shell(settings, errors);
    tick().await;
    q(&root2, "#tab-diagnostics").unwrap().click();
    tick().await;
    assert_eq!(q(&root2, "[data-testid=mode]").unwrap().text_content().unwrap(), "In ServiceNow");
    q(&root2, "#tab-phone").unwrap().click();
    tick().await;
    assert!(q(&root2, "[data-testid=standalone]").is_none());
}

#[wasm_bindgen_test]
async fn clicking_a_tab_changes_the_panel_and_is_remembered() {
    // Other tests leave recent calls behind: start from an empty store.
    storage().clear().unwrap();
    let (settings, errors) = config::resolve(
        "",
        Some(r#"{"speedDials":[{"name":"Service Desk","number":"+1 415 555 0100"},{"name":"Billing","number":"+1 415 555 0101"}]}"#),
    );
    let (root, desk, _keep) = mount_shell(settings, errors);
    tick().await;
    assert!(q(&root, "[data-testid=directory-results]").is_none());
    q(&root, "#tab-directory").unwrap().click();
    tick().await;
    let list = q(&root, "[data-testid=directory-results]").expect("directory panel shows speed dials");
    assert_eq!(list.query_selector_all("li").unwrap().length(), 2);
    assert!(list.text_content().unwrap().contains("Billing"));
    assert_eq!(q(&root, "#tab-directory").unwrap().get_attribute("aria-selected").as_deref(), Some("true"));
    assert_eq!(q(&root, "#tab-phone").unwrap().get_attribute("aria-selected").as_deref(), Some("false"));
    assert_eq!(desk.tab.get_untracked(), Tab::Directory);
    // Persisted in localStorage, and a new desk starts there.
    assert_eq!(storage().get_item(TAB_KEY).unwrap().as_deref(), Some("directory"));
    let owner = Owner::new();
    let again = owner.with(Desk::new);
    assert_eq!(again.tab.get_untracked(), Tab::Directory);
    storage().remove_item(TAB_KEY).unwrap();
}

#[wasm_bindgen_test]
async fn arrow_keys_move_between_tabs() {
    storage().clear().unwrap();
    let (root, desk, _keep) = mount_shell(Settings::default(), Vec::new());
    tick().await;
    let key = |k: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        q(&root, "#tab-phone").unwrap().dispatch_event(&ev).unwrap();
    };
    key("ArrowRight");
    tick().await;
    assert_eq!(desk.tab.get_untracked(), Tab::Directory);
    key("End");
    tick().await;
    assert_eq!(desk.tab.get_untracked(), Tab::Diagnostics);
    key("ArrowLeft");
    tick().await;
    assert_eq!(desk.tab.get_untracked(), Tab::Recents);
    assert!(q(&root, "[data-testid=recents-empty]").is_some());
    key("ArrowRight");
    key("ArrowRight");
    tick().await;
    assert_eq!(desk.tab.get_untracked(), Tab::Phone, "wraps around");
    storage().remove_item(TAB_KEY).unwrap();
}

#[wasm_bindgen_test]
async fn settings_errors_are_visible_and_dismissable() {
    let (settings, errors) = config::resolve("topDomain=*&demo=maybe", Some(r#"{"wrapUpSeconds": -4, "colour": "blue"}"#));
    assert_eq!(errors.len(), 4, "{errors:?}");
    let (root, desk, _keep) = mount_shell(settings, errors);
    tick().await;
    let alert = q(&root, "[data-testid=config-errors]").expect("errors shown");
    assert_eq!(alert.get_attribute("role").as_deref(), Some("alert"));
    let text = alert.text_content().unwrap();
    assert!(text.contains("wrapUpSeconds"), "{text}");
    assert!(text.contains("colour"), "{text}");
    assert!(text.contains("topDomain"), "{text}");
    assert_eq!(alert.query_selector_all("li").unwrap().length(), 4);
    q(&root, "[data-testid=config-errors] button").unwrap().click();
    tick().await;
    assert!(q(&root, "[data-testid=config-errors]").is_none());
    assert!(desk.errors.get_untracked().is_empty());
}

#[wasm_bindgen_test]
async fn settings_load_from_the_served_config_file_or_report_its_absence() {
    // The test runner serves no config.json: the desk must say so and fall back to defaults.
    let owner = Owner::new();
    let desk = owner.with(Desk::new);
    desk.load_settings().await;
    assert!(desk.loaded.get_untracked());
    let errors = desk.errors.get_untracked();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("could not be loaded"), "{}", errors[0].message);
    assert_eq!(desk.settings.get_untracked(), Settings::default());
}
