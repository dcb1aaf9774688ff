//! The browser edge of languages: picks the language at start (the `language` setting, else the browser's),
//! sets `<html lang>`, and formats numbers, durations and times with the browser's `Intl` (no formatting
//! tables in the wasm). The pure cores keep producing raw values; views format them here.

use crate::config::Settings;
use crate::strings::{self, Lang};
use js_sys::{Array, Function, Object, Reflect};
use leptos::prelude::{ArcTrigger, Notify, Track};
use crate::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// The BCP 47 locale for `Intl` (e.g. `es-MX` when the browser says so and Spanish is chosen).
    static LOCALE: RefCell<String> = RefCell::new("en".into());
    /// Fires when the language changes after the first view was built (the shell is rebuilt in it).
    static CHANGED: ArcTrigger = ArcTrigger::new();
}

/// The browser's preferred languages, most preferred first.
pub fn browser_languages() -> Vec<String> {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else { return Vec::new() };
    let mut out: Vec<String> = nav.languages().iter().filter_map(|l| l.as_string()).collect();
    if out.is_empty() {
        out.extend(nav.language());
    }
    out
}

/// Switches to the language the setting or the browser asks for; returns true when it changed.
pub fn choose(setting: &str) -> bool {
    let browser = browser_languages();
    let lang = Lang::choose(setting, &browser);
    // The most precise locale of that language: the setting's own tag, else the browser's, else ours.
    let locale = [setting.to_string()]
        .into_iter()
        .chain(browser)
        .find(|t| Lang::from_tag(t) == Some(lang))
        .unwrap_or_else(|| lang.tag().to_string());
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
