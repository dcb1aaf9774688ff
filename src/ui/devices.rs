//! Audio device choice: microphone, speaker (remote audio) and a separate ringer.

use crate::browser;
use crate::phone::audio;
use crate::phone::media::{self, Device, MIC_KEY, RINGER_KEY, SPEAKER_KEY};
use crate::strings as t;
use leptos::prelude::*;

#[component]
pub fn DevicesPanel() -> impl IntoView {
    let list = RwSignal::new(Vec::<Device>::new());
    leptos::task::spawn_local(async move { list.set(media::devices().await) });
    let select = move |label: &'static str, key: &'static str, kind: &'static str| {
        let current = RwSignal::new(browser::load(key).unwrap_or_default());
        view! {
            <label class="kv">
                <span class="dt">{label}</span>
                <select class="state" aria-label=label data-testid=format!("device-{key}")
                    prop:value=move || current.get()
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        browser::save(key, &v);
                        if key == RINGER_KEY {
                            audio::set_ringer_device((!v.is_empty()).then(|| v.clone()));
                        }
                        current.set(v);
                    }>
                    <option value="">{t::DEFAULT_DEVICE()}</option>
                    {move || list.get().into_iter().filter(|d| d.kind == kind).enumerate().map(|(i, d)| {
                        let label = if d.label.is_empty() { format!("{label} {}", i + 1) } else { d.label.clone() };
                        view! { <option value=d.id.clone()>{label}</option> }
                    }).collect_view()}
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
