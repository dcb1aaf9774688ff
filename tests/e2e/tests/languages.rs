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

/// config.json asks for Spanish and is wrong in places (a shortcut without a modifier, an unknown setting, a
/// value out of range, a plain-http SIP server), and the URL has a bad value too, in an English browser: the
/// errors are found before the file's `language` is read, and still read in Spanish (they are kept as keys and
/// values and rendered when shown), with no English word of ours in them.
#[test]
fn errors_found_before_the_language_is_read_are_shown_in_it() {
    let dist = std::path::PathBuf::from(std::env::var_os("E2E_DIST").expect("E2E_DIST"));
    let dir = std::env::temp_dir().join(format!("e2e-languages-dist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    e2e::copy_dir(&dist, &dir);
    let cfg = json!({"language": "es", "shortcuts": {"answer": "Q"}, "colour": "red", "wrapUpSeconds": 99999,
        "sip": {"server": "http://pbx.example.com"}});
    std::fs::write(dir.join("site-es.json"), cfg.to_string()).unwrap();
    let sb = Sandbox::start(&["--serve-desktop", dir.to_str().unwrap()]);
    let b = Browser::start_with("languages_late_errors", 1280, 800, &["--lang=en-US".to_string(), "--accept-lang=en-US,en".to_string()]);
    open(&b, &format!("{}?config=site-es.json&demo=maybe", sb.desktop_url));
    assert_eq!(lang(&b), "es", "the file's language wins over the browser's");
    let errors = b.text(&b.find("[data-testid=config-errors]"));
    for said in ["Problemas en la configuración", "Ajuste 'demo' de la URL", "'Q' necesita Alt, Ctrl o Meta", "no es un ajuste conocido",
        "debe ser un número entero de 0 a 3600", "debe empezar por wss://"] {
        assert!(errors.contains(said), "{said:?} in {errors}");
    }
    // Our English words, outside the quoted values and setting names the admin wrote.
    let ours: String = errors.split(['\'', '"']).step_by(2).collect::<Vec<_>>().join(" ").to_lowercase();
    for word in ["setting", "must", "is not", "needs", "the ", "problems", "dismiss", "number", "known"] {
        assert!(!ours.contains(word), "English {word:?} left in: {errors}");
    }
    drop(b);
    drop(sb);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Spanish texts come from a file next to index.html (`lang/es-<hash>.txt`, written by the build). A file that
/// is not exactly the one this build wrote (one text changed to the same length, cut short, grown, HTML instead,
/// missing) is never used: the desktop starts in English and says once, on the Phone panel, that the chosen
/// language could not be loaded; nothing of the file shows. The untouched file, put back, gives Spanish.
#[test]
fn hostile_language_file_is_never_used() {
    let dist = std::path::PathBuf::from(std::env::var_os("E2E_DIST").expect("E2E_DIST"));
    let dir = std::env::temp_dir().join(format!("e2e-languages-file-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    e2e::copy_dir(&dist, &dir);
    let files: Vec<_> = std::fs::read_dir(dir.join("lang")).expect("the build writes lang/").map(|e| e.unwrap().path()).collect();
    let es = files.iter().find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("es-")).expect("lang/es-<hash>.txt").clone();
    let good = std::fs::read(&es).unwrap();
    let text = String::from_utf8(good.clone()).unwrap();
    assert!(text.contains("\0Teléfono\0"), "the file holds the Spanish texts");
    // "Teléfono" is 9 bytes, as "HOSTILE!!": the length stays, only the hash tells.
    let changed = text.replacen("\0Teléfono\0", "\0HOSTILE!!\0", 1).into_bytes();
    assert_eq!(changed.len(), good.len());
    let cut = good[..good.len() / 2].to_vec();
    let grown = [good.clone(), b"HOSTILE!!\0".repeat(200_000)].concat();
    let html = b"<html><body><script>document.title='HOSTILE'</script>HOSTILE!!</body></html>".to_vec();
    let sb = Sandbox::start(&["--serve-desktop", dir.to_str().unwrap()]);
    let b = Browser::start_with("languages_hostile_file", 1280, 800, &["--lang=es-ES".to_string(), "--accept-lang=es-ES,es".to_string()]);
    for (what, bytes) in [("one text changed", Some(changed)), ("cut short", Some(cut)), ("grown", Some(grown)), ("HTML", Some(html)), ("missing", None)] {
        match bytes {
            Some(bytes) => std::fs::write(&es, bytes).unwrap(),
            None => std::fs::remove_file(&es).unwrap(),
        }
        open(&b, &format!("{}?language=es", sb.desktop_url));
        assert_eq!(lang(&b), "en", "{what}: English");
        assert_eq!(b.text(&b.find("#tab-phone")), "Phone", "{what}");
        assert_eq!(b.text(&b.find("h1.title")), "Agent Desktop", "{what}");
        let notice = b.text(&b.find("[data-testid=phone-notice]"));
        assert!(notice.contains("(es) could not be loaded") && notice.contains("shown in English"), "{what}: {notice}");
        assert_eq!(b.find_all("[data-testid=phone-notice]").len(), 1, "{what}: said once");
        let page = b.exec("return document.body.innerText + document.title", json!([])).as_str().unwrap_or_default().to_string();
        assert!(!page.contains("HOSTILE"), "{what}: nothing of the file shows: {page}");
    }
    // The same page with the file as the build wrote it: Spanish (the checks above can pass).
    std::fs::write(&es, &good).unwrap();
    open(&b, &format!("{}?language=es", sb.desktop_url));
    assert_eq!(lang(&b), "es");
    assert_eq!(b.text(&b.find("#tab-phone")), "Teléfono");
    assert!(b.absent("[data-testid=phone-notice]"), "no notice when the file is right");
    drop(b);
    drop(sb);
    let _ = std::fs::remove_dir_all(&dir);
}
