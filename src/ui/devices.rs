//! Audio device choice: microphone, speaker (remote audio) and a separate ringer.

use crate::browser;
use crate::phone::audio;
use crate::phone::media::{self, Device, MIC_KEY, RINGER_KEY, SPEAKER_KEY};
use crate::strings as t;
use leptos::prelude::*;

/// The chosen devices that are no longer in `list`, by label (Microphone, Speaker, Ringer): `chosen` holds
/// (label, saved id, kind). A kind whose ids the browser hides (no microphone permission yet: empty ids) is
/// not judged. Pure.
pub fn gone(chosen: &[(&'static str, String, &'static str)], list: &[Device]) -> Vec<&'static str> {
    let mut gone = Vec::new();
    for (label, id, kind) in chosen {
        let known = |d: &&Device| d.kind == *kind && !d.id.is_empty();
        if !id.is_empty() && list.iter().any(|d| known(&d)) && !list.iter().any(|d| known(&d) && d.id == *id) {
            gone.push(*label);
        }
    }
    gone
}

fn chosen() -> Vec<(&'static str, String, &'static str)> {
    let mut chosen = Vec::new();
    for (label, key, kind) in [(t::MICROPHONE(), MIC_KEY, "audioinput"), (t::SPEAKER(), SPEAKER_KEY, "audiooutput"), (t::RINGER(), RINGER_KEY, "audiooutput")] {
        chosen.push((label, browser::load(key).unwrap_or_default(), kind));
    }
    chosen
}

/// Tells `report` when a chosen device is missing: now, and whenever devices come and go (`devicechange`).
pub fn watch(report: impl Fn(String) + Clone + 'static) {
    use wasm_bindgen::JsCast;
    let check = move || {
        let report = report.clone();
        leptos::task::spawn_local(async move {
            for label in gone(&chosen(), &media::devices().await) {
                report(t::device_gone(label).render());
            }
        });
    };
    check();
    let Some(md) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else { return };
    let cb = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(check);
    let _ = md.add_event_listener_with_callback("devicechange", cb.as_ref().unchecked_ref());
    cb.forget();
}

#[component]
pub fn DevicesPanel() -> impl IntoView {
    // The list is read by the options' views only: kept outside the arena, with a bool signal (a type every view
    // already has) telling them it arrived (one signal value type less, issue #16).
    let list = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Device>::new()));
    let loaded = crate::ui::sig(false);
    let fill = list.clone();
    leptos::task::spawn_local(async move {
        let found = media::devices().await;
        if let Ok(mut l) = fill.lock() {
            *l = found;
        }
        loaded.set(true);
    });
    let select = |label: &'static str, key: &'static str, kind: &'static str| {
        let current = crate::ui::sig(browser::load(key).unwrap_or_default());
        view! {
            <label class="kv">
                <span class="dt">{label}</span>
                <select class="state" aria-label=label data-testid=format!("device-{key}")
                    prop:value=crate::ui::text_fn(move || current.get())
                    on:change:capture=crate::ui::on_event(move |ev| {
                        let v = event_target_value(&ev);
                        browser::save(key, &v);
                        if key == RINGER_KEY {
                            audio::set_ringer_device((!v.is_empty()).then(|| v.clone()));
                        }
                        current.set(v);
                    })>
                    <option {..crate::ui::cattr("value", "")}>{t::DEFAULT_DEVICE()}</option>
                    {let list = list.clone(); crate::ui::dynv(move || { loaded.track(); let mut rows: Vec<AnyView> = Vec::new(); if let Ok(l) = list.lock() { for d in l.iter() { if d.kind != kind { continue; }
                        let label = if d.label.is_empty() { format!("{label} {}", rows.len() + 1) } else { d.label.clone() };
                        rows.push(view! { <option {..crate::ui::sattr("value", d.id.clone())}>{label}</option> }.into_any());
                    } } rows })}
                </select>
            </label>
        }
    };
    view! {
        <h2 class="section-title">{t::DEVICES()}</h2>
        <div class="devices">
            {select(t::MICROPHONE(), MIC_KEY, "audioinput")}
            {select(t::SPEAKER(), SPEAKER_KEY, "audiooutput")}
            {select(t::RINGER(), RINGER_KEY, "audiooutput")}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(kind: &str, id: &str) -> Device {
        Device { kind: kind.into(), id: id.into(), label: String::new() }
    }

    #[test]
    fn a_chosen_device_that_left_is_named_unless_the_browser_hides_ids() {
        let chosen = vec![("Microphone", "mic-1".to_string(), "audioinput"), ("Ringer", "usb-ringer".to_string(), "audiooutput"), ("Speaker", String::new(), "audiooutput")];
        let here = [d("audioinput", "mic-1"), d("audiooutput", "default"), d("audiooutput", "usb-ringer")];
        assert!(gone(&chosen, &here).is_empty());
        let unplugged = [d("audioinput", "mic-1"), d("audiooutput", "default")];
        assert_eq!(gone(&chosen, &unplugged), vec!["Ringer"], "the default speaker (no choice) is never gone");
        // Before the microphone is allowed the browser lists devices without ids: nothing can be judged.
        let hidden = [d("audioinput", ""), d("audiooutput", "")];
        assert!(gone(&chosen, &hidden).is_empty());
        assert_eq!(gone(&chosen, &[d("audioinput", "mic-2"), d("audiooutput", "usb-ringer")]), vec!["Microphone"]);
    }
}
