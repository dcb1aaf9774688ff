//! The wrap-up of the last finished call: disposition, notes, the record, and the countdown.

use crate::desk::use_desk;
use crate::strings as t;
use crate::ui::RowsExt;
use leptos::prelude::*;

#[component]
pub fn WrapUpPanel() -> impl IntoView {
    let desk = use_desk();
    view! {
        {crate::ui::when(move || desk.wrapups.with(|w| !w.is_empty()), move || view! {
            <WrapUpForm/>
        })}
    }
}

/// The wrap-up being shown; built again for each wrap-up (nothing of it may stay behind in the desk's
/// signals once it is gone: see [`crate::ui::follow`]).
#[component]
fn WrapUpForm() -> impl IntoView {
    let desk = use_desk();
    // The wrap-up's parts read in place (no copy of the whole wrap-up for a field; issue #16).
    let overdue = move || desk.wrapups.with(|w| w.first().is_some_and(|w| w.overdue));
    // The settings change rarely: read through crate::ui::follow (the desk's other signals let go of
    // gone views each time they change).
    let settings = crate::ui::follow(move || desk.settings.track());
    let dispositions = move || {
        settings.track();
        desk.settings.with_untracked(|s| s.dispositions.clone())
    };
    let seconds = move || {
        settings.track();
        desk.settings.with_untracked(|s| s.wrap_up_seconds)
    };
    let error = desk.wrapup_error;
    // What the agent types to change the record: this wrap-up's own.
    let case_number = crate::ui::sig(String::new());
    let left = move || desk.wrapups.with(|w| w.first().and_then(|w| w.remaining_s(desk.now.get(), seconds())));
    view! {
            <section class="wrapup" aria-label=t::WRAPUP_TITLE() data-testid="wrap-up">
                <div class="call-head">
                    <span class="party">{crate::ui::dynv(move || {
                        // Read while the wrap-up may just have ended: nothing rather than a panic (which aborts).
                        desk.wrapups.with(|w| w.first().map(|w| crate::ui::cat(&[t::WRAPUP_TITLE(), ": ", w.name.as_deref().unwrap_or(&w.number)]))).unwrap_or_default()
                    })}</span>
                    <span {..crate::ui::attr("class", move || { if overdue() { "timer overdue" } else { "timer" } }.to_string())}
                        data-testid="wrap-up-left">
                        {crate::ui::dynv(move || left().map(|l| t::time_left(&crate::intl::seconds(l.max(0) as f64)).render()).unwrap_or_else(|| {
                            desk.wrapups.with(|w| w.first().map(|w| crate::intl::duration(w.talk_ms))).unwrap_or_default()
                        }))}
                    </span>
                </div>
                <div class="dial">
                    <select class="input" aria-label=t::DISPOSITION() data-testid="disposition"
                        prop:value=crate::ui::text_fn(move || desk.wrapups.with(|w| w.first().and_then(|w| w.disposition.clone())).unwrap_or_default())
                        on:change:capture=crate::ui::on_event(move |ev| {
                            let v = event_target_value(&ev);
                            desk.edit_wrapup(|w| w.disposition = (!v.is_empty()).then_some(v));
                        })>
                        <option {..crate::ui::cattr("value", "")}>{t::CHOOSE_DISPOSITION()}</option>
                        {crate::ui::dynv(move || dispositions().into_iter().map(|d| view! { <option {..crate::ui::sattr("value", d.clone())}>{d.clone()}</option> }).rows())}
                    </select>
                    {crate::ui::dyn_opt(move || desk.wrapups.with(|w| w.first().and_then(|w| w.record.clone())).map(|r| {
                        let label = if r.value.is_empty() { crate::ui::cat(&[&r.entity, " ", r.sys_id.as_deref().unwrap_or_default()]) } else { r.value.clone() };
                        view! {
                            <span class="chip" data-testid="wrap-up-record">{label}</span>
                            <button type="button" class="link-btn btn" {..crate::ui::sattr("aria-label", crate::ui::cat(&[t::REMOVE_RECORD(), " ", t::RECORD()]))}
                                on:click:capture=crate::ui::click(move |_| desk.edit_wrapup(|w| w.record = None))>{t::REMOVE_RECORD()}</button>
                        }
                    }))}
                </div>
                <form class="dial" on:submit:capture=crate::ui::on_submit(move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    let number = case_number.get_untracked();
                    if number.trim().is_empty() {
                        return;
                    }
                    // A new look-up: the last one's error no longer stands (it would read as this one's).
                    desk.wrapup_error.set(None);
                    leptos::task::spawn_local(async move {
                        match crate::servicenow::service::find_case(desk, number).await {
                            Ok(r) => {
                                desk.edit_wrapup(|w| w.record = Some(r));
                                case_number.set(String::new());
                            }
                            Err(m) => desk.wrapup_error.set(Some(m)),
                        }
                    });
                })>
                    {crate::ui::text_input("text", t::CHANGE_RECORD(), "wrap-up-case", None, case_number)}
                    {crate::ui::submit_btn("btn", "wrap-up-set-case", t::SET_RECORD())}
                </form>
                <textarea class="input notes" aria-label=t::NOTES() {..crate::ui::cattr("placeholder", t::NOTES())} data-testid="notes" {..crate::ui::cattr("rows", "2")}
                    prop:value=crate::ui::text_fn(move || desk.wrapups.with(|w| w.first().map(|w| w.notes.clone())).unwrap_or_default())
                    on:input:capture=crate::ui::on_event(move |ev| {
                        let v = event_target_value(&ev);
                        desk.edit_wrapup(|w| w.notes = v);
                    })></textarea>
                {crate::ui::when(move || error.with(Option::is_some), move || view! {
                    <p class="notice error" role="alert" data-testid="wrap-up-error">{crate::ui::dynv(move || error.get().unwrap_or_default())}</p>
                })}
                {crate::ui::when(overdue, move || view! {
                    <p class="notice info" data-testid="wrap-up-overdue">{t::WRAPUP_OVERDUE()}</p>
                })}
                {crate::ui::act("btn primary", Some("finish-wrap-up"), t::FINISH_WRAPUP(), crate::ui::Act::FinishWrapUp)}
            </section>
    }
}
