//! The language of the release build in a real Chromium: it follows the browser's language (`--lang`), and the
//! `language` setting wins over it (URL here; config.json and the OpenFrame configuration go through the same
//! validated setting, host-tested in `strings`).

use e2e::{Browser, Sandbox};
use serde_json::json;

fn open(b: &Browser, url: &str) {
    b.goto(url);
    b.find(".desk[data-loaded=true]");
}

fn lang(b: &Browser) -> String {
    b.exec("return document.documentElement.lang", json!([])).as_str().unwrap_or_default().to_string()
}

#[test]
fn default_follows_the_browser_language_and_the_setting_wins() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start_with("languages_browser_es", 1280, 800, &["--lang=es-ES".to_string(), "--accept-lang=es-ES,es".to_string()]);
    open(&b, &sb.desktop_url);
    assert_eq!(b.exec("return navigator.language", json!([])), json!("es-ES"), "the browser speaks Spanish");
    assert_eq!(lang(&b), "es");
    assert_eq!(b.text(&b.find("#tab-phone")), "Teléfono");
    assert_eq!(b.text(&b.find("[data-testid=line]")), "Línea de demostración");
    assert_eq!(b.text(&b.find("h1.title")), "Escritorio del agente", "the default title follows the language");
    assert!(b.text(&b.find("[data-testid=agent-state]")).contains("No disponible"), "agent states in Spanish");
    // Times, numbers and durations through Intl: the Status panel's figures stay readable.
    b.click(&b.find("#tab-diagnostics"));
    assert_eq!(b.text(&b.find("[data-testid=mode]")), "Independiente");

    // The setting wins over the browser.
    open(&b, &format!("{}?language=en", sb.desktop_url));
    assert_eq!(lang(&b), "en");
    assert_eq!(b.text(&b.find("#tab-phone")), "Phone");
    assert_eq!(b.text(&b.find("h1.title")), "Agent Desktop");

    // An English browser gets English, and the setting gives it Spanish.
    let en = Browser::start_with("languages_browser_en", 1280, 800, &["--lang=en-US".to_string(), "--accept-lang=en-US,en".to_string()]);
    open(&en, &sb.desktop_url);
    assert_eq!(lang(&en), "en");
    assert_eq!(en.text(&en.find("#tab-phone")), "Phone");
    open(&en, &format!("{}?language=es", sb.desktop_url));
    assert_eq!(lang(&en), "es");
    assert_eq!(en.text(&en.find("#tab-recents")), "Recientes");
    assert!(en.absent("[data-testid=config-errors]"), "language=es is a valid setting");
    // A language the desktop does not speak is reported, and the browser's is used.
    open(&en, &format!("{}?language=xx", sb.desktop_url));
    assert_eq!(lang(&en), "en");
    let errors = en.text(&en.find("[data-testid=config-errors]"));
    assert!(errors.contains("language") && errors.contains("en, es"), "{errors}");
}
