//! The Status panel's support section: "Check my setup" (each line passes or says what to do, with a
//! live microphone level) and "Copy diagnostics" (a redacted text for a support ticket; shown selected
//! for copying by hand when the browser refuses the clipboard).

use crate::desk::use_desk;
use crate::diagnostics::{collect, probe};
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

#[component]
pub fn SupportPanel() -> impl IntoView {
    let desk = use_desk();
    // Not yet (0), copied (1), refused (2): a usize signal, a type the desk already has (issue #16).
    let copied = crate::ui::sig(0usize);
    let text = crate::ui::sig(String::new());
    let check = move |_| {
        leptos::task::spawn_local(async move {
            probe::run(desk, true).await;
        });
    };
    let copy = move |ev: leptos::ev::MouseEvent| {
        // The panel this button is in (the button's row's parent): where the text area for copying by hand
        // appears (found there, not by a `NodeRef`: no node reference type in the wasm, issue #16).
        use wasm_bindgen::JsCast;
        let panel = ev.current_target().and_then(|b| b.dyn_into::<web_sys::Element>().ok()).and_then(|b| b.parent_element()).and_then(|r| r.parent_element());
        let s = collect::text(&desk);
        text.set(s.clone());
        copied.set(0);
        leptos::task::spawn_local(async move {
            let ok = collect::copy(&s).await;
            copied.set(if ok { 1 } else { 2 });
            if !ok {
                // Once the text area is on the page, its whole text is selected for Ctrl+C.
                crate::diagnostics::probe::sleep(0).await;
                let area = panel.and_then(|p| p.query_selector("[data-testid=diagnostics-text]").ok().flatten());
                if let Some(a) = area.and_then(|a| a.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
                    let _ = a.focus();
                    a.select();
                }
            }
        });
    };
    view! {
        <h2 class="section-title">{t::SUPPORT()}</h2>
        <div class="row">
            <button type="button" class="btn" data-testid="check-setup" on:click:capture=crate::ui::click(check) {..crate::ui::battr("disabled", move || probe::with_lines(probe::running))}>{t::CHECK_SETUP()}</button>
            {crate::ui::btn("btn", Some("copy-diagnostics"), t::COPY_DIAGNOSTICS(), copy)}
        </div>
        {crate::ui::dyn_opt(move || probe::level().map(|l| view! {
            <label class="kv">
                <span class="dt">{t::CHECK_LEVEL()}</span>
                <meter {..crate::ui::cattr("min", "0")} {..crate::ui::cattr("max", "100")} {..crate::ui::sattr("value", l.to_string())} data-testid="mic-level" aria-label=t::CHECK_LEVEL()></meter>
            </label>
        }))}
        {crate::ui::when(move || !probe::with_lines(<[_]>::is_empty), move || view! {
            <ul class="list" data-testid="checks">
                {crate::ui::dynv(move || probe::with_lines(|l| l.iter().map(|(item, v)| {
                    let word = v.word();
                    view! {
                        <li class="row" data-testid="check" data-check=item.key() data-result=v.key()>
                            <span class="name">{item.label()}": "<strong>{word}</strong></span>
                            " "
                            <span class="call-note">{v.text().to_string()}</span>
                        </li>
                    }
                }).rows()))}
            </ul>
        })}
        {crate::ui::dynv(move || (copied.get() != 0).then(|| copied.get_untracked() == 1).map(|ok| if ok {
            view! { <p class="notice info" role="status" data-testid="copy-result" data-copied="true">{t::COPIED()}</p> }.into_any()
        } else {
            view! {
                <div>
                    <p class="notice error" role="alert" data-testid="copy-result" data-copied="false">{t::COPY_REFUSED()}</p>
                    <textarea {..crate::ui::cattr("readonly", "")} {..crate::ui::cattr("rows", "8")} class="state" data-testid="diagnostics-text" aria-label=t::DIAGNOSTICS_TEXT()
                        >{crate::ui::dynv(move || text.get())}</textarea>
                </div>
            }.into_any()
        }))}
    }
}
