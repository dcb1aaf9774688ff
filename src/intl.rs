//! The browser edge of languages: picks the language at start (the `language` setting, else the browser's),
//! sets `<html lang>`, and formats numbers, durations and times with the browser's `Intl` (no formatting
//! tables in the wasm). The pure cores keep producing raw values; views format them here.

use crate::config::Settings;
use crate::strings::{self, Key, Lang, Msg};
use std::cell::Cell;
use js_sys::{Array, Function, Object, Reflect};
use leptos::prelude::{ArcTrigger, Notify, Track};
use crate::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// The BCP 47 locale for `Intl` (e.g. `es-MX` when the browser says so and Spanish is chosen).
    static LOCALE: RefCell<String> = RefCell::new("en".into());
    /// Fires when the language changes after the first view was built (the shell is rebuilt in it).
    static CHANGED: ArcTrigger = ArcTrigger::new();
    /// The language whose texts are being fetched, when it is the one asked for.
    static PENDING: Cell<Option<Lang>> = const { Cell::new(None) };
    /// The languages whose file was refused or could not be fetched (one bit each): not asked for again.
    static FAILED: Cell<u8> = const { Cell::new(0) };
    static ON_LOAD: RefCell<Option<Box<dyn Fn(Option<Msg>)>>> = const { RefCell::new(None) };
}

/// The browser's preferred languages, most preferred first.
pub fn browser_languages() -> Vec<String> {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else { return Vec::new() };
    let mut out: Vec<String> = Vec::new();
    for l in nav.languages().iter() {
        out.extend(l.as_string());
    }
    if out.is_empty() {
        out.extend(nav.language());
    }
    out
}

/// Switches to the language the setting or the browser asks for; returns true when it changed. A language whose
/// texts are not here yet starts loading (see [`loading`]) and the switch happens when they arrive; one that
/// could not be loaded is English.
pub fn choose(setting: &str) -> bool {
    let browser = browser_languages();
    let mut lang = Lang::choose(setting, &browser);
    if !lang.available() {
        if FAILED.with(|f| f.get() & (1 << lang as u8) == 0) {
            if PENDING.with(|p| p.replace(Some(lang))) != Some(lang) {
                wasm_bindgen_futures::spawn_local(load(lang, setting.to_string()));
                CHANGED.with(|c| c.notify());
            }
            return false;
        }
        lang = Lang::En;
    }
    PENDING.with(|p| p.set(None));
    // The most precise locale of that language: the setting's own tag, else the browser's, else ours.
    // (A loop, not a chain of the setting and the browser's list.)
    let mut locale = None;
    if Lang::from_tag(setting) == Some(lang) {
        locale = Some(setting.to_string());
    } else {
        for t in browser {
            if Lang::from_tag(&t) == Some(lang) {
                locale = Some(t);
                break;
            }
        }
    }
    let locale = locale.unwrap_or_else(|| lang.tag().to_string());
    LOCALE.with(|l| *l.borrow_mut() = locale);
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", lang.tag());
    }
    let changed = strings::set_lang(lang);
    if changed {
        CHANGED.with(|c| c.notify());
    }
    changed
}

/// Fetches a language's file (next to index.html, from this page's own origin) and keeps its texts when they
/// are exactly the ones this wasm was built with ([`strings::install`]). When this language is still the one
/// asked for, switches to it (or to English, when the file was refused) and calls the hook set by
/// [`on_load`] (with what went wrong, once).
async fn load(lang: Lang, setting: String) {
    let Some(file) = lang.file() else { return };
    let result = match crate::browser::fetch_text(file.name).await {
        Ok(text) => strings::install(lang, text),
        Err(why) => Err(why),
    };
    if result.is_err() {
        FAILED.with(|f| f.set(f.get() | 1 << lang as u8));
    }
    if PENDING.with(|p| p.get()) != Some(lang) {
        return;
    }
    if !choose(&setting) {
        CHANGED.with(|c| c.notify());
    }
    let failed = result.err().map(|why| Key::LANGUAGE_NOT_LOADED.arg("language", &lang.tag()).arg_msg("why", why));
    ON_LOAD.with(|h| h.borrow().as_ref().map(|h| h(failed)));
}

/// True while the chosen language's texts are on their way: nothing is shown meanwhile (the app waits, as it
/// waits for the settings), so no English shows before them. Read after [`track`].
pub fn loading() -> bool {
    PENDING.with(|p| p.get()).is_some()
}

/// What to do when a language's texts arrive or are refused (`Some(why)`, said once): the app applies its
/// settings again (their default texts take the language) and shows why.
pub fn on_load(hook: Box<dyn Fn(Option<Msg>)>) {
    ON_LOAD.with(|h| *h.borrow_mut() = Some(hook));
}

/// At start, before the settings file is read: the URL's `language`, else the browser's.
pub fn init() {
    let (q, _) = crate::config::parse_query(&crate::browser::query_string());
    choose(q.language.as_deref().unwrap_or(""));
}

/// Resolved settings pass through here: the language follows the `language` setting, and defaults that are
/// texts (title, reasons, dispositions) take the chosen language's.
pub fn adopt(mut s: Settings) -> Settings {
    choose(&s.language);
    strings::localize_defaults(&mut s);
    s
}

/// Subscribes the calling view to language changes (it is rebuilt when the language changes).
pub fn track() {
    CHANGED.with(|c| c.track());
}

fn locale() -> JsValue {
    LOCALE.with(|l| JsValue::from_str(&l.borrow()))
}

fn options(pairs: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o
}

/// `value.toLocaleString(locale, options)` (numbers and dates), None when the browser refuses.
fn to_locale(value: &JsValue, method: &str, opts: &Object) -> Option<String> {
    let f: Function = Reflect::get(value, &JsValue::from_str(method)).ok()?.dyn_into().ok()?;
    f.call2(value, &locale(), opts).ok()?.as_string()
}

/// A number with units, e.g. `unit("second", 45.0)` = "45 s" / "45s".
fn unit(unit: &str, n: f64) -> String {
    to_locale(&JsValue::from_f64(n), "toLocaleString", &options(&[("style", "unit"), ("unit", unit), ("unitDisplay", "narrow")]))
        .unwrap_or_else(|| whole(n))
}

/// A whole number without `Intl` (no float formatting code in the wasm).
fn whole(n: f64) -> String {
    (n as i64).to_string()
}

/// A whole number in the language's digits and grouping ("1,234" / "1234").
pub fn number(n: f64) -> String {
    to_locale(&JsValue::from_f64(n), "toLocaleString", &Object::new()).unwrap_or_else(|| whole(n))
}

/// Seconds with their unit ("45s", "45 s").
pub fn seconds(n: f64) -> String {
    unit("second", n)
}

/// Milliseconds with their unit ("120ms", "120 ms").
pub fn milliseconds(n: f64) -> String {
    unit("millisecond", n)
}

thread_local! {
    /// The `Intl.DurationFormat` made for a locale: making one takes milliseconds, and the call timers format
    /// every second (issue #16: an alerting card's first frame).
    static DURATION_FORMAT: RefCell<Option<(String, JsValue)>> = const { RefCell::new(None) };
}

/// The locale's `Intl.DurationFormat` (digital clock), made once; None where the browser has none.
fn duration_format() -> Option<JsValue> {
    let tag = LOCALE.with(|l| l.borrow().clone());
    let made = DURATION_FORMAT.with(|d| d.borrow().as_ref().filter(|(t, _)| *t == tag).map(|(_, df)| df.clone()));
    if made.is_some() {
        return made;
    }
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let ctor: Function = Reflect::get(&intl, &"DurationFormat".into()).ok()?.dyn_into().ok()?;
    let df = Reflect::construct(&ctor, &Array::of2(&locale(), &options(&[("style", "digital"), ("hoursDisplay", "auto"), ("minutes", "2-digit"), ("seconds", "2-digit")]))).ok()?;
    DURATION_FORMAT.with(|d| *d.borrow_mut() = Some((tag, df.clone())));
    Some(df)
}

/// A call's length as a clock ("01:05", "1:02:05"): `Intl.DurationFormat` (digital) where the browser has it,
/// else the same shape by hand.
pub fn duration(ms: f64) -> String {
    // Whole numbers (no float remainder or formatting code in the wasm).
    let total = (ms.max(0.0) / 1000.0) as u64;
    let parts = [("hours", total / 3600), ("minutes", (total / 60) % 60), ("seconds", total % 60)];
    let formatted = (|| {
        let df = duration_format()?;
        let value = Object::new();
        for (k, v) in parts {
            Reflect::set(&value, &k.into(), &JsValue::from_f64(v as f64)).ok()?;
        }
        let format: Function = Reflect::get(&df, &"format".into()).ok()?.dyn_into().ok()?;
        format.call1(&df, &value).ok()?.as_string()
    })();
    formatted.unwrap_or_else(|| crate::phone::call::format_duration(ms))
}

/// The time of day of an instant (ms since the epoch) in the language's style ("09:05 AM", "9:05").
pub fn time_of_day(epoch_ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(epoch_ms));
    to_locale(&date, "toLocaleTimeString", &options(&[("hour", "2-digit"), ("minute", "2-digit")]))
        .unwrap_or_else(|| format!("{:02}:{:02}", date.get_hours(), date.get_minutes()))
}
