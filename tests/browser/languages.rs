//! Languages in a real browser: with `language` set to Spanish, the agent walks every panel, the help, a call
//! through the demo line (alerting, connected, on hold, keypad, transfer form, hung up), the wrap-up (with its
//! error) and Recents, and no English is left anywhere: visible text, aria-labels, titles, placeholders, options.

use super::panels::{mount, Mounted};
use agent_desktop::config;
use agent_desktop::desk::{Tab, RECENTS_KEY, TAB_KEY, WRAPUPS_KEY};
use agent_desktop::phone::model::AgentState;
use agent_desktop::servicenow::rest::RestError;
use agent_desktop::servicenow::service::SnState;
use agent_desktop::strings::{self, Key, Lang, EN, ES};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

/// English words that no Spanish text here contains (whole words, any case).
const ENGLISH_ONLY: &[&str] = &[
    "the", "and", "of", "to", "is", "are", "you", "your", "with", "from", "this", "that", "not", "call", "calls", "line",
    "ready", "hold", "resume", "transfer", "wrap", "dismiss", "sign", "signed", "in", "out", "phone", "number", "answer",
    "reject", "hang", "mute", "unmute", "muted", "record", "notes", "choose", "left", "finish", "search", "settings",
    "connected", "incoming", "outgoing", "missed", "recent", "recents", "directory", "status", "keypad", "speaker",
    "microphone", "ringer", "default", "running", "state", "received", "sent", "dropped", "accepted", "shortcuts",
    "demo", "break", "lunch", "meeting", "training", "resolved", "escalated", "wrong", "agent", "desktop", "offline",
    "after", "work", "clear", "open", "here", "window", "dial", "pad", "redial", "favourite", "more", "results",
    "case", "matches", "messages", "yet", "waiting", "loading", "failed", "ended", "devices", "packets", "now",
    "first", "complete", "consult", "merge", "delete", "digit", "last", "set", "up", "off", "pop", "simulate",
];

/// Everything a person or a screen reader meets under `root`: text lines, aria-labels, titles, placeholders and
/// the options of every list.
fn collect(root: &web_sys::HtmlElement) -> Vec<String> {
    // The browser's names of the audio devices are not ours ("Fake Default Audio Input" in a test browser).
    let options = root.query_selector_all("[data-testid^=device-] option").unwrap();
    let devices: Vec<String> = (0..options.length()).filter_map(|i| options.get(i)?.text_content()).map(|t| t.trim().to_string()).collect();
    let mut out: Vec<String> = root.inner_text().lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty() && !devices.contains(l)).collect();
    let all = root.query_selector_all("*").unwrap();
    for i in 0..all.length() {
        let el: web_sys::Element = all.get(i).unwrap().dyn_into().unwrap();
        for a in ["aria-label", "title", "placeholder"] {
            out.extend(el.get_attribute(a).filter(|v| !v.trim().is_empty()));
        }
        let device = el.parent_element().and_then(|p| p.get_attribute("data-testid")).is_some_and(|t| t.starts_with("device-"));
        if el.tag_name() == "OPTION" && !device {
            out.extend(el.text_content().filter(|v| !v.trim().is_empty()));
        }
    }
    out
}

/// The English left in these texts: a text that is an English catalogue text (and not also the Spanish one),
/// or that contains a word only English uses.
fn english_in(texts: &[String]) -> Vec<String> {
    let same: Vec<&str> = EN.entries().into_iter().zip(ES.entries()).filter(|((_, e), (_, s))| e == s).map(|((_, e), _)| e).collect();
    let english: Vec<&str> = EN.entries().into_iter().map(|(_, e)| e).filter(|e| !same.contains(e)).collect();
    let mut found = Vec::new();
    for t in texts {
        if english.contains(&t.as_str()) {
            found.push(format!("{t:?} is an English text"));
            continue;
        }
        // What stands in quotes is a value or a setting's name as the admin wrote it ('shortcuts.answer'), not
        // a word of the desktop's.
        // So is a parameter, a file or an address (`demo=1`, `config.json`, `https://acme.example.com`).
        let unquoted: String = t.split(['\'', '"']).step_by(2).collect::<Vec<_>>().join(" ");
        let plain: String = unquoted.split_whitespace().filter(|w| !w.contains(['=', '.', '/'])).collect::<Vec<_>>().join(" ");
        let words = plain.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty());
        if let Some(w) = words.map(str::to_lowercase).find(|w| ENGLISH_ONLY.contains(&w.as_str())) {
            found.push(format!("{t:?} has the English word {w:?}"));
        }
    }
    found.sort();
    found.dedup();
    found
}

async fn tick() {
    super::openframe_bridge::sleep(0).await;
}

/// Puts the page back in English and forgets the walk's calls, wrap-ups and activities whatever happens (the
/// other browser tests read English texts and count the outbox).
struct BackToEnglish;
impl Drop for BackToEnglish {
    fn drop(&mut self) {
        agent_desktop::intl::choose("en");
        clean();
    }
}

fn clean() {
    let s = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    for k in [WRAPUPS_KEY, RECENTS_KEY, agent_desktop::desk::OUTBOX_KEY, TAB_KEY] {
        s.remove_item(k).unwrap();
    }
}

fn click(m: &Mounted, testid: &str) {
    m.root.query_selector(&format!("[data-testid={testid}]")).unwrap().unwrap_or_else(|| panic!("{testid} is shown"))
        .dyn_into::<web_sys::HtmlElement>().unwrap().click();
}

#[wasm_bindgen_test]
async fn spanish_ui_has_no_english_left() {
    clean();
    let _english_after = BackToEnglish;
    let (settings, errors) = config::resolve("language=es", Some(r#"{"wrapUpSeconds": 60}"#));
    assert!(errors.is_empty(), "{errors:?}");
    let m = mount(settings);
    tick().await;
    assert_eq!(strings::lang(), Lang::Es);
    let html = web_sys::window().unwrap().document().unwrap().document_element().unwrap();
    assert_eq!(html.get_attribute("lang").as_deref(), Some("es"), "<html lang> follows the language");
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    let mut look = |step: &str, m: &Mounted| seen.push((step.to_string(), collect(&m.root)));

    // Every panel, and the shortcuts help.
    for tab in Tab::ALL {
        m.desk.select_tab(tab);
        tick().await;
        look(&format!("tab {tab:?}"), &m);
    }
    m.desk.select_tab(Tab::Phone);
    m.desk.show_help.set(true);
    tick().await;
    look("shortcuts help", &m);
    m.desk.show_help.set(false);

    // A call through the demo line.
    m.desk.set_agent_state(AgentState::NotReady(Some("Descanso".into())));
    tick().await;
    look("not ready", &m);
    m.desk.set_agent_state(AgentState::Ready);
    let id = m.desk.simulate_incoming();
    tick().await;
    look("alerting", &m);
    m.desk.answer(id);
    tick().await;
    look("connected", &m);
    click(&m, "keypad-toggle");
    click(&m, "transfer-toggle");
    tick().await;
    look("keypad and transfer form", &m);
    m.desk.set_hold(id, true);
    m.desk.toggle_mute();
    tick().await;
    look("on hold, muted", &m);
    m.desk.set_hold(id, false);
    m.desk.toggle_mute();
    m.desk.hang_up(id);
    tick().await;
    look("hung up, wrap-up", &m);
    click(&m, "finish-wrap-up");
    tick().await;
    look("wrap-up without a disposition", &m);
    let disposition: web_sys::HtmlSelectElement = m.root.query_selector("[data-testid=disposition]").unwrap().unwrap().dyn_into().unwrap();
    assert!(disposition.inner_text().contains("Resuelto"), "the default dispositions are Spanish: {}", disposition.inner_text());
    disposition.set_value("Resuelto");
    disposition.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    click(&m, "finish-wrap-up");
    tick().await;
    assert!(m.root.query_selector("[data-testid=wrap-up]").unwrap().is_none(), "the wrap-up is finished");
    look("after the wrap-up", &m);
    // A call the far end refuses (the demo line's busy number), then Recents with both calls.
    m.desk.dial("+14155550486", None);
    tick().await;
    look("dialing", &m);
    // The demo line's clock, moved on by hand: the far end answers busy.
    m.desk.tick(js_sys::Date::now() + 30_000.0);
    tick().await;
    assert!(m.desk.calls.with_untracked(|c| c.iter().any(|c| c.number.ends_with("486") && !c.is_live())), "the busy call ended");
    look("busy call", &m);
    m.desk.select_tab(Tab::Recents);
    tick().await;
    look("recents with calls", &m);

    // The SIP line's sign-in form, and ServiceNow configured (its sign-in and notices), on every panel.
    drop(m);
    let (settings, errors) = config::resolve(
        "language=es&topDomain=https%3A%2F%2Facme.service-now.com",
        Some(r#"{"line": "sip", "servicenow": {"instance": "https://acme.service-now.com"}}"#),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let sip = mount(settings);
    // The line went down (the sign-in form shows why) and the ServiceNow sign-in ended.
    sip.desk.line_status.set(agent_desktop::phone::sipline::LineStatus::Failed(strings::sip_unreachable("wss://pbx.example.com", 4)));
    sip.desk.sn.set(SnState::SignedOut(Some(Key::SN_SESSION_ENDED.into())));
    for tab in Tab::ALL {
        sip.desk.select_tab(tab);
        tick().await;
        look(&format!("SIP line, tab {tab:?}"), &sip);
    }
    // Error paths: settings refused (a bad shortcut, a bad SIP address, an unknown setting, a value out of range,
    // a bad URL parameter), the SIP server refusing the password, a directory search ServiceNow refused and
    // ServiceNow asking to sign in again.
    drop(sip);
    let (settings, errors) = config::resolve("language=es&demo=maybe", Some(BAD_FILE));
    assert!(errors.len() >= 5, "{errors:?}");
    let bad = mount(settings.clone());
    bad.desk.apply_settings(settings, errors);
    shows_errors(&bad, &mut look).await;
    // The walk met what it meant to: the alert's buttons, the on-hold state, the wrap-up's own error.
    let met = |step: &str, text: &str| seen.iter().any(|(s, t)| s == step && t.iter().any(|x| x.contains(text)));
    assert!(met("alerting", ES.ANSWER), "{seen:?}");
    assert!(met("on hold, muted", ES.STATE_HELD), "{seen:?}");
    assert!(met("wrap-up without a disposition", ES.NEED_DISPOSITION), "{seen:?}");
    assert!(met("busy call", ES.DEMO_BUSY), "{seen:?}");
    assert!(met("shortcuts help", ES.SC_ANSWER), "{seen:?}");
    assert!(met("SIP line, tab Phone", ES.SIP_SERVER), "{seen:?}");
    assert!(met("SIP line, tab Phone", ES.REMEMBER_PASSWORD), "{seen:?}");
    assert!(met("SIP line, tab Diagnostics", ES.SN_SIGN_IN), "{seen:?}");
    assert!(met("errors, tab Phone", ES.SETTINGS_PROBLEMS), "{seen:?}");
    assert!(met("errors, tab Phone", "'Q' necesita Alt"), "{seen:?}");
    assert!(met("errors, tab Phone", ES.SIP_REG_CREDENTIALS), "{seen:?}");
    assert!(met("errors, tab Directory", "No se pudo buscar"), "{seen:?}");
    assert!(met("errors, tab Diagnostics", ES.SN_ASKED_SIGN_IN), "{seen:?}");
    let texts: usize = seen.iter().map(|(_, t)| t.len()).sum();
    assert!(texts > 150, "the walk met the UI ({texts} texts)");
    let english: Vec<String> =
        seen.iter().flat_map(|(step, t)| english_in(t).into_iter().map(move |e| format!("{step}: {e}"))).collect();
    assert!(english.is_empty(), "English left in the Spanish UI:\n{}", english.join("\n"));
}

#[wasm_bindgen_test]
async fn the_same_walk_in_english_finds_english() {
    // The check above can fail: the English UI, looked at the same way, is full of English.
    clean();
    let _english_after = BackToEnglish;
    let (settings, _) = config::resolve("language=en", None);
    let m = mount(settings);
    tick().await;
    let found = english_in(&collect(&m.root));
    assert!(found.len() > 5, "{found:?}");
}

/// A config.json an admin got wrong in several ways at once.
const BAD_FILE: &str = r#"{"shortcuts": {"answer": "Q"}, "sip": {"server": "http://pbx.example.com"}, "colour": "red",
    "wrapUpSeconds": 99999, "servicenow": {"instance": "acme.example.com"}, "line": "sip"}"#;

/// Puts the desk in its error states (the settings errors are already applied) and looks at every panel.
async fn shows_errors(m: &Mounted, look: &mut impl FnMut(&str, &Mounted)) {
    use agent_desktop::phone::sipline::LineStatus;
    m.desk.line_status.set(LineStatus::Failed(Key::SIP_REG_RETRY.arg_msg("why", Key::SIP_REG_CREDENTIALS.into()).arg("seconds", &30)));
    m.desk.directory_error.set(agent_desktop::ui::directory::search_failure(&[Err(RestError::Status(500, "Injected failure".into()))]));
    m.desk.sn.set(SnState::SignedOut(Some(RestError::Unauthorized.msg())));
    for tab in Tab::ALL {
        m.desk.select_tab(tab);
        tick().await;
        look(&format!("errors, tab {tab:?}"), m);
    }
}

/// Messages made while the desktop spoke English (settings errors, the line's failure, a refused directory
/// search, ServiceNow's refusal) read in Spanish once the language switches: they are kept as keys and values,
/// rendered when shown.
#[wasm_bindgen_test]
async fn messages_made_before_a_language_switch_follow_it() {
    clean();
    let _english_after = BackToEnglish;
    let (settings, errors) = config::resolve("language=en&demo=maybe", Some(BAD_FILE));
    let m = mount(settings.clone());
    m.desk.apply_settings(settings, errors);
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    shows_errors(&m, &mut |step: &str, m: &Mounted| seen.push((step.to_string(), collect(&m.root)))).await;
    let text = |seen: &[(String, Vec<String>)]| seen.iter().flat_map(|(_, t)| t.clone()).collect::<Vec<String>>();
    let english = text(&seen);
    assert!(english.iter().any(|t| t.contains("'Q' needs Alt")), "{english:?}");
    assert!(english.iter().any(|t| t.contains(EN.SIP_REG_CREDENTIALS)), "{english:?}");
    assert!(english_in(&english).len() > 5, "in English first: {english:?}");

    // Settings that switch the language arrive (as the OpenFrame configuration does with `language: es`): they
    // are read, and their errors made, while the desktop still speaks English; applying them switches.
    let (settings, errors) = config::resolve("language=es&demo=maybe", Some(BAD_FILE));
    assert_eq!(strings::lang(), Lang::En, "the errors are made before the switch");
    m.desk.apply_settings(settings, errors);
    tick().await;
    assert_eq!(strings::lang(), Lang::Es);
    seen.clear();
    shows_errors(&m, &mut |step: &str, m: &Mounted| seen.push((step.to_string(), collect(&m.root)))).await;
    assert!(m.desk.errors.with_untracked(|e| e.len() >= 5));
    let spanish = text(&seen);
    assert!(spanish.iter().any(|t| t.contains("'Q' necesita Alt")), "{spanish:?}");
    assert!(spanish.iter().any(|t| t.contains(ES.SIP_REG_CREDENTIALS)), "{spanish:?}");
    assert!(spanish.iter().any(|t| t.contains("No se pudo buscar")), "{spanish:?}");
    let english = english_in(&spanish);
    assert!(english.is_empty(), "English left after the switch:\n{}", english.join("\n"));
}
