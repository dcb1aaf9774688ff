//! Features that had no test (issue #17), in the real browser: the ring tone on the chosen ringer device and
//! what the agent is told when a device or the ring tone fails, desktop notification and flashing title while
//! the page is hidden, keyboard shortcuts with config.json overrides and the `?` help, favourites, redial,
//! and a failed directory search shown as a failure.

use super::openframe_bridge::sleep;
use super::panels::{mount, Mounted};
use agent_desktop::config;
use agent_desktop::desk::{Tab, RECENTS_KEY, TAB_KEY, WRAPUPS_KEY};
use agent_desktop::phone::audio::{self, Tone};
use agent_desktop::phone::call::{CallState, Direction};
use agent_desktop::phone::media::{MIC_KEY, RINGER_KEY, SPEAKER_KEY};
use agent_desktop::phone::model::AgentState;
use agent_desktop::ui::directory::FAVOURITES_KEY;
use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn clean() {
    for k in [WRAPUPS_KEY, RECENTS_KEY, TAB_KEY, FAVOURITES_KEY, MIC_KEY, RINGER_KEY, SPEAKER_KEY, agent_desktop::desk::OUTBOX_KEY] {
        storage().remove_item(k).unwrap();
    }
    audio::set_ringer_device(None);
    audio::sync(false, false, false);
}

fn js(code: &str) -> JsValue {
    js_sys::eval(code).unwrap()
}

fn q(m: &Mounted, sel: &str) -> Option<web_sys::HtmlElement> {
    m.root.query_selector(sel).unwrap().map(|e| e.dyn_into().unwrap())
}

/// The element is in the page and not hidden (notices stay in the page, hidden when there is nothing to say).
fn shown(m: &Mounted, sel: &str) -> bool {
    q(m, sel).is_some_and(|e| !e.hidden())
}

fn text(m: &Mounted, sel: &str) -> String {
    q(m, sel).map(|e| e.text_content().unwrap_or_default()).unwrap_or_default()
}

/// Waits up to `ms` for `f` to hold.
async fn until(ms: i32, mut f: impl FnMut() -> bool) -> bool {
    let mut waited = 0;
    while !f() {
        if waited >= ms {
            return false;
        }
        sleep(20).await;
        waited += 20;
    }
    true
}

/// The microphone allowed (fake device), so device ids are listed; the ids of the audio outputs.
async fn output_ids() -> Vec<String> {
    let md = web_sys::window().unwrap().navigator().media_devices().unwrap();
    let c = web_sys::MediaStreamConstraints::new();
    c.set_audio(&JsValue::TRUE);
    let stream: web_sys::MediaStream = wasm_bindgen_futures::JsFuture::from(md.get_user_media_with_constraints(&c).unwrap()).await.unwrap().unchecked_into();
    for t in stream.get_tracks().iter() {
        t.unchecked_into::<web_sys::MediaStreamTrack>().stop();
    }
    agent_desktop::phone::media::devices().await.into_iter().filter(|d| d.kind == "audiooutput" && !d.id.is_empty()).map(|d| d.id).collect()
}

fn key(ev_key: &str, code: &str, alt: bool, ctrl: bool, shift: bool) -> web_sys::KeyboardEvent {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(ev_key);
    init.set_code(code);
    init.set_alt_key(alt);
    init.set_ctrl_key(ctrl);
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap()
}

/// Presses a key in the page (not in a field); returns whether the desktop took it (default prevented).
fn press(ev_key: &str, code: &str, alt: bool, ctrl: bool, shift: bool) -> bool {
    let ev = key(ev_key, code, alt, ctrl, shift);
    web_sys::window().unwrap().document().unwrap().body().unwrap().dispatch_event(&ev).unwrap();
    ev.default_prevented()
}

fn first_call(m: &Mounted) -> Option<(u32, CallState)> {
    m.desk.calls.with_untracked(|c| c.first().map(|c| (c.id, c.state.clone())))
}

// ---- the ring tone on the chosen ringer, and failures said ----

#[wasm_bindgen_test]
async fn the_ring_tone_plays_on_the_ringer_chosen_in_the_devices_panel() {
    clean();
    let outputs = output_ids().await;
    assert!(!outputs.is_empty(), "Chromium lists an audio output with an id");
    let chosen = outputs.last().unwrap().clone();
    let m = mount(config::resolve("", None).0);
    m.desk.select_tab(Tab::Diagnostics);
    let select = format!("[data-testid='device-{RINGER_KEY}']");
    assert!(until(2000, || q(&m, &select).is_some_and(|s| s.query_selector_all("option").unwrap().length() > 1)).await, "ringer choices listed");
    let el: web_sys::HtmlSelectElement = q(&m, &select).unwrap().unchecked_into();
    el.set_value(&chosen);
    el.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    assert_eq!(storage().get_item(RINGER_KEY).unwrap().as_deref(), Some(chosen.as_str()), "the choice is kept");
    m.desk.set_agent_state(AgentState::Ready);
    m.desk.simulate_incoming();
    m.desk.sync_sounds();
    // The ring starts once the alerting card is painted (issue #16).
    assert!(until(2000, || audio::is_playing(Tone::Ring)).await, "the ring tone plays");
    let ringer = audio::ringer_element().expect("the ring tone plays through its own element on the chosen device");
    assert!(until(2000, || Reflect::get(&ringer, &"sinkId".into()).unwrap().as_string().as_deref() == Some(chosen.as_str())).await, "setSinkId({chosen}) on the ringer element");
    assert!(!ringer.paused(), "the ringer element plays");
    sleep(100).await;
    assert!(!shown(&m, "[data-testid=sound-problem]"), "no problem told: {}", text(&m, "[data-testid=sound-problem]"));
    // Answered: the ring stops, its element is released.
    let (id, _) = first_call(&m).unwrap();
    m.desk.answer(id);
    m.desk.sync_sounds();
    assert!(!audio::is_playing(Tone::Ring) && audio::ringer_element().is_none());
    m.desk.hang_up(id);
    clean();
}

#[wasm_bindgen_test]
async fn a_ringer_device_the_browser_refuses_is_said_with_what_to_do() {
    clean();
    let m = mount(config::resolve("", None).0);
    audio::set_ringer_device(Some("a-ringer-that-is-not-here".into()));
    m.desk.set_agent_state(AgentState::Ready);
    m.desk.simulate_incoming();
    m.desk.sync_sounds();
    assert!(until(2000, || shown(&m, "[data-testid=sound-problem]")).await, "a refused setSinkId is not silent");
    let said = text(&m, "[data-testid=sound-problem]");
    assert!(said.contains("Ringer") && said.contains("could not be used") && said.contains("NotFoundError"), "{said}");
    assert!(said.contains("Choose another device"), "says what to do: {said}");
    assert_eq!(q(&m, "[data-testid=sound-problem]").unwrap().get_attribute("role").as_deref(), Some("alert"));
    // Dismissed, it goes.
    q(&m, "[data-testid=sound-problem] .x").unwrap().click();
    sleep(0).await;
    assert!(!shown(&m, "[data-testid=sound-problem]"));
    let (id, _) = first_call(&m).unwrap();
    m.desk.reject(id);
    clean();
}

#[wasm_bindgen_test]
async fn a_ring_tone_the_browser_will_not_play_is_said() {
    clean();
    let outputs = output_ids().await;
    let m = mount(config::resolve("", None).0);
    audio::set_ringer_device(Some(outputs[0].clone()));
    // The browser refuses to play (as it does without a user gesture under its autoplay policy).
    js("window.__play = HTMLMediaElement.prototype.play; HTMLMediaElement.prototype.play = function () { return Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError')); }");
    m.desk.set_agent_state(AgentState::Ready);
    m.desk.simulate_incoming();
    m.desk.sync_sounds();
    let told = until(2000, || shown(&m, "[data-testid=sound-problem]")).await;
    js("HTMLMediaElement.prototype.play = window.__play");
    assert!(told, "a refused play() is not silent");
    let said = text(&m, "[data-testid=sound-problem]");
    assert!(said.contains("ring tone could not play") && said.contains("NotAllowedError") && said.contains("Click anywhere"), "{said}");
    let (id, _) = first_call(&m).unwrap();
    m.desk.reject(id);
    clean();
}

#[wasm_bindgen_test]
async fn a_chosen_device_that_is_gone_is_said_at_start_and_when_devices_change() {
    clean();
    output_ids().await;
    storage().set_item(MIC_KEY, "a-headset-unplugged-yesterday").unwrap();
    let m = mount(config::resolve("", None).0);
    assert!(until(2000, || shown(&m, "[data-testid=sound-problem]")).await, "a missing microphone is said at start");
    let said = text(&m, "[data-testid=sound-problem]");
    assert!(said.contains("Microphone: the chosen device is no longer connected"), "{said}");
    q(&m, "[data-testid=sound-problem] .x").unwrap().click();
    // The ringer's device leaves while the desktop runs.
    storage().set_item(RINGER_KEY, "a-usb-ringer").unwrap();
    storage().remove_item(MIC_KEY).unwrap();
    js("navigator.mediaDevices.dispatchEvent(new Event('devicechange'))");
    assert!(until(2000, || text(&m, "[data-testid=sound-problem]").contains("Ringer: the chosen device is no longer connected")).await);
    assert!(!text(&m, "[data-testid=sound-problem]").contains("Microphone"));
    clean();
}

// ---- hidden page: notification and flashing title ----

#[wasm_bindgen_test]
async fn a_call_while_the_page_is_hidden_notifies_and_flashes_the_title_until_seen() {
    clean();
    let m = mount(config::resolve("", None).0);
    m.desk.set_agent_state(AgentState::Ready);
    // The page in a background tab; notifications allowed (a recording stand-in for the browser's).
    js("window.__notes = []; window.__Notification = window.Notification; \
        window.Notification = class { constructor(t, o) { window.__notes.push([t, o && o.body]); } }; \
        window.Notification.permission = 'granted'; \
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});");
    let doc = web_sys::window().unwrap().document().unwrap();
    doc.set_title("Agent Desktop");
    m.desk.simulate_incoming_from(Some(("Dana Scully", "+14155550177")));
    let notes = js("JSON.stringify(window.__notes)").as_string().unwrap();
    assert_eq!(notes, r#"[["Incoming call","Dana Scully"]]"#);
    assert!(until(2500, || doc.title() == "☎ Dana Scully").await, "the title flashes: {}", doc.title());
    assert!(until(2500, || doc.title() == "Agent Desktop").await, "and back");
    // Seen again: the title stays the desktop's.
    js("delete document.hidden;");
    sleep(2200).await;
    assert_eq!(doc.title(), "Agent Desktop");
    // While the page is seen: no notification.
    let (id, _) = first_call(&m).unwrap();
    m.desk.reject(id);
    m.desk.set_agent_state(AgentState::Ready);
    m.desk.simulate_incoming_from(Some(("Fox Mulder", "+14155550178")));
    assert_eq!(js("window.__notes.length").as_f64(), Some(1.0));
    js("window.Notification = window.__Notification;");
    let (id, _) = first_call(&m).unwrap();
    m.desk.reject(id);
    clean();
}

// ---- keyboard shortcuts, overrides, help ----

#[wasm_bindgen_test]
async fn default_shortcuts_answer_mute_hold_and_hang_up() {
    clean();
    let m = mount(config::resolve("", Some(r#"{"wrapUp": false}"#)).0);
    m.desk.set_agent_state(AgentState::Ready);
    m.desk.simulate_incoming();
    assert!(!press("a", "KeyA", false, false, false), "a bare key is typing, not a shortcut");
    assert_eq!(first_call(&m).unwrap().1, CallState::Alerting);
    assert!(press("å", "KeyA", true, false, false), "Alt+A, whatever the layout prints");
    assert_eq!(first_call(&m).unwrap().1, CallState::Connected);
    assert!(press("µ", "KeyM", true, false, false));
    assert!(m.desk.muted.get_untracked());
    press("µ", "KeyM", true, false, false);
    assert!(!m.desk.muted.get_untracked());
    press("ø", "KeyO", true, false, false);
    assert_eq!(first_call(&m).unwrap().1, CallState::Held);
    press("ø", "KeyO", true, false, false);
    assert_eq!(first_call(&m).unwrap().1, CallState::Connected);
    press("˙", "KeyH", true, false, false);
    // Hung up: with no wrap-up the ended call leaves the panel at once (it is in Recents).
    assert!(first_call(&m).map(|c| matches!(c.1, CallState::Ended(_))).unwrap_or(true), "Alt+H hangs up");
    assert_eq!(m.desk.recents.get_untracked().len(), 1, "the call is in Recents");
    // Alt+D: the dial pad, its field focused.
    m.desk.clear_ended();
    m.desk.select_tab(Tab::Recents);
    press("∂", "KeyD", true, false, false);
    sleep(0).await;
    assert_eq!(m.desk.tab.get_untracked(), Tab::Phone);
    let active = web_sys::window().unwrap().document().unwrap().active_element().map(|e| e.id());
    assert_eq!(active.as_deref(), Some("dial-input"));
    clean();
}

#[wasm_bindgen_test]
async fn shortcuts_from_config_json_replace_the_defaults_and_the_help_shows_them() {
    clean();
    let (settings, errors) = config::resolve("", Some(r#"{"shortcuts": {"answer": "Ctrl+Shift+Y", "hangup": "Alt+Q"}}"#));
    assert!(errors.is_empty(), "{errors:?}");
    let m = mount(settings);
    m.desk.set_agent_state(AgentState::Ready);
    m.desk.simulate_incoming();
    assert!(!press("å", "KeyA", true, false, false), "the default Alt+A is replaced");
    assert_eq!(first_call(&m).unwrap().1, CallState::Alerting);
    assert!(press("Y", "KeyY", false, true, true));
    assert_eq!(first_call(&m).unwrap().1, CallState::Connected);
    // The help, from the ? button and from the ? key, lists the keys in force.
    q(&m, "[data-testid=help]").unwrap().click();
    sleep(0).await;
    let help = text(&m, "[data-testid=shortcut-help]");
    assert!(text(&m, "[data-action=answer]").starts_with("Ctrl+Shift+Y"), "{help}");
    assert!(text(&m, "[data-action=hangup]").starts_with("Alt+Q"), "{help}");
    assert!(text(&m, "[data-action=mute]").starts_with("Alt+M"), "a default not overridden stays: {help}");
    assert!(press("Escape", "Escape", false, false, false));
    sleep(0).await;
    assert!(q(&m, "[data-testid=shortcut-help]").is_none(), "Escape closes the help");
    assert!(press("?", "Slash", false, false, true));
    sleep(0).await;
    assert!(q(&m, "[data-testid=shortcut-help]").is_some(), "? opens it");
    // In a field, ? is a character.
    m.desk.select_tab(Tab::Directory);
    sleep(0).await;
    let search = q(&m, "[data-testid=directory-search]").unwrap();
    let ev = key("?", "Slash", false, false, true);
    search.dispatch_event(&ev).unwrap();
    assert!(!ev.default_prevented());
    assert!(q(&m, "[data-testid=shortcut-help]").is_some());
    press("?", "Slash", false, false, true);
    sleep(0).await;
    assert!(q(&m, "[data-testid=shortcut-help]").is_none(), "? again hides it");
    assert!(press("q", "KeyQ", true, false, false));
    assert!(matches!(first_call(&m).unwrap().1, CallState::Ended(_)));
    clean();
}

// ---- favourites and redial ----

fn names(m: &Mounted) -> Vec<String> {
    let list = m.root.query_selector_all("[data-testid=directory-entry] .name").unwrap();
    (0..list.length()).map(|i| list.get(i).unwrap().text_content().unwrap()).collect()
}

#[wasm_bindgen_test]
async fn a_favourite_comes_first_stays_after_a_reload_and_can_be_removed() {
    clean();
    let cfg = r#"{"speedDials":[{"name":"Service Desk","number":"+1 415 555 0100"},{"name":"Billing","number":"+1 415 555 0101"},{"name":"Supervisor","number":"+1 415 555 0199"}]}"#;
    let m = mount(config::resolve("", Some(cfg)).0);
    m.desk.select_tab(Tab::Directory);
    sleep(0).await;
    assert_eq!(names(&m), ["Service Desk", "Billing", "Supervisor"]);
    q(&m, "[aria-label='Favourite Supervisor']").unwrap().click();
    sleep(0).await;
    assert_eq!(names(&m)[0], "Supervisor");
    assert_eq!(q(&m, "[aria-label='Favourite Supervisor']").unwrap().get_attribute("aria-pressed").as_deref(), Some("true"));
    assert_eq!(storage().get_item(FAVOURITES_KEY).unwrap().as_deref(), Some(r#"["+1 415 555 0199"]"#));
    drop(m);
    let again = mount(config::resolve("", Some(cfg)).0);
    again.desk.select_tab(Tab::Directory);
    sleep(0).await;
    assert_eq!(names(&again)[0], "Supervisor", "kept on this computer");
    q(&again, "[aria-label='Favourite Supervisor']").unwrap().click();
    sleep(0).await;
    assert_eq!(names(&again), ["Service Desk", "Billing", "Supervisor"]);
    assert_eq!(storage().get_item(FAVOURITES_KEY).unwrap().as_deref(), Some("[]"));
    clean();
}

#[wasm_bindgen_test]
async fn redial_calls_the_last_number_dialled_again() {
    clean();
    let m = mount(config::resolve("", Some(r#"{"wrapUp": false}"#)).0);
    m.desk.set_agent_state(AgentState::Ready);
    sleep(0).await;
    assert!(q(&m, "[data-testid=redial]").is_none(), "nothing dialled yet");
    let id = m.desk.dial("+1 415 555 0142", None).expect("dialled");
    m.desk.hang_up(id);
    m.desk.clear_ended();
    // An incoming call after it does not change what redial calls.
    let inc = m.desk.simulate_incoming();
    m.desk.answer(inc);
    m.desk.hang_up(inc);
    m.desk.clear_ended();
    sleep(0).await;
    let redial = q(&m, "[data-testid=redial]").expect("redial offered");
    assert!(redial.text_content().unwrap().contains("+14155550142"), "{}", redial.text_content().unwrap());
    redial.click();
    let call = m.desk.calls.with_untracked(|c| c.last().cloned()).expect("a call");
    assert_eq!((call.number.as_str(), call.direction), ("+14155550142", Direction::Outbound));
    m.desk.hang_up(call.id);
    clean();
}

// ---- a failed directory search is a failure, not "no matches" ----

#[wasm_bindgen_test]
async fn a_failed_directory_search_is_said_instead_of_no_matches() {
    clean();
    let m = mount(config::resolve("", None).0);
    m.desk.select_tab(Tab::Directory);
    sleep(0).await;
    let search = q(&m, "[data-testid=directory-search]").unwrap();
    Reflect::set(&search, &"value".into(), &"zebra".into()).unwrap();
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    search.dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
    sleep(0).await;
    assert!(shown(&m, "[data-testid=no-matches]"), "a search that worked and found nothing says so");
    assert!(!shown(&m, "[data-testid=directory-error]"));
    let said = agent_desktop::ui::directory::search_failure(&[Err(agent_desktop::servicenow::rest::RestError::Status(500, "Injected failure".into()))]);
    m.desk.directory_error.set(said);
    sleep(0).await;
    assert!(!shown(&m, "[data-testid=no-matches]"), "no 'No matches.' for a search that failed");
    assert!(shown(&m, "[data-testid=directory-error]"), "the failure is shown");
    let error = q(&m, "[data-testid=directory-error]").unwrap();
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(error.text_content().unwrap().contains("500"));
    clean();
}
