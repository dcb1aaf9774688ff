//! The phone panel: calls in progress with their controls, the number entry, and (demo line) a way to
//! receive a call.

use crate::config::LineKind;
use crate::desk::{use_desk, Desk};
use crate::phone::call::{format_duration, Call, CallState};
use crate::strings as t;
use leptos::prelude::*;

fn state_label(c: &Call) -> String {
    match &c.state {
        CallState::Dialing => t::STATE_DIALING.into(),
        CallState::Ringing => t::STATE_RINGING.into(),
        CallState::Alerting => t::STATE_ALERTING.into(),
        CallState::Connected => t::STATE_CONNECTED.into(),
        CallState::Held => t::STATE_HELD.into(),
        CallState::Ended(r) => t::call_ended(r),
    }
}

#[component]
fn CallCard(call: Call) -> impl IntoView {
    let desk: Desk = use_desk();
    let id = call.id;
    let timer = {
        let call = call.clone();
        move || {
            let now = desk.now.get();
            match call.state {
                CallState::Connected | CallState::Held => format_duration(call.talk_ms(now)),
                CallState::Ended(_) => format_duration(call.talk_ms(now)),
                _ => format_duration(now - call.created_ms),
            }
        }
    };
    let record = call.record.clone();
    let held = call.state == CallState::Held;
    let live = call.is_live();
    let state_cls = match call.state {
        CallState::Alerting => "call alerting",
        CallState::Ended(_) => "call ended",
        _ => "call",
    };
    view! {
        <li class=state_cls data-testid="call" data-call-id=id.to_string() data-state=format!("{:?}", call.state)>
            <div class="call-head">
                <span class="party" data-testid="party">{call.party().to_string()}</span>
                <span class="timer" data-testid="timer">{timer}</span>
            </div>
            <div class="call-sub">
                <span data-testid="call-state">{state_label(&call)}</span>
                {(call.name.is_some()).then(|| view! { <span class="number">{call.number.clone()}</span> })}
                {record.map(|r| {
                    let label = if !r.value.is_empty() { r.value.clone() } else { format!("{} {}", r.entity, r.sys_id.clone().unwrap_or_default()) };
                    let r2 = r.clone();
                    view! {
                        <button type="button" class="chip" data-testid="call-record" title=t::OPEN_RECORD
                            on:click=move |_| desk.open_record(&r2)>{label}</button>
                    }
                })}
            </div>
            <div class="actions">
                {match call.state {
                    CallState::Alerting => view! {
                        <button type="button" class="btn primary" on:click=move |_| desk.answer(id)>{t::ANSWER}</button>
                        <button type="button" class="btn danger" on:click=move |_| desk.reject(id)>{t::REJECT}</button>
                    }.into_any(),
                    CallState::Connected | CallState::Held => view! {
                        <button type="button" class="btn" aria-pressed=held.to_string()
                            on:click=move |_| desk.set_hold(id, !held)>{if held { t::RESUME } else { t::HOLD }}</button>
                        <button type="button" class="btn danger" on:click=move |_| desk.hang_up(id)>{t::HANG_UP}</button>
                    }.into_any(),
                    _ if live => view! {
                        <button type="button" class="btn danger" on:click=move |_| desk.hang_up(id)>{t::HANG_UP}</button>
                    }.into_any(),
                    _ => view! {
                        <button type="button" class="btn" on:click=move |_| desk.clear_ended()>{t::CLEAR}</button>
                    }.into_any(),
                }}
            </div>
        </li>
    }
}

#[component]
pub fn PhonePanel() -> impl IntoView {
    let desk = use_desk();
    let number = RwSignal::new(String::new());
    let calls = move || desk.calls.get();
    let has_live = move || desk.calls.with(|c| c.iter().any(Call::is_live));
    let demo = move || desk.settings.with(|s| s.line == LineKind::Demo);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = number.get_untracked();
        if desk.dial(&n, None).is_some() {
            number.set(String::new());
        }
    };
    view! {
        <Show when=move || !calls().is_empty() fallback=|| view! { <p class="empty" data-testid="phone-idle">{t::PHONE_IDLE}</p> }>
            <ul class="calls">
                <For each=calls key=|c| (c.id, format!("{:?}", c.state), c.record.is_some()) let:call>
                    <CallCard call=call/>
                </For>
            </ul>
        </Show>
        <Show when=move || desk.notice.with(Option::is_some)>
            <p class="notice error" role="alert" data-testid="phone-notice">{move || desk.notice.get().unwrap_or_default()}</p>
        </Show>
        <Show when=move || !has_live()>
            <form class="dial" on:submit=submit>
                <input type="tel" class="input" aria-label=t::NUMBER_TO_DIAL placeholder=t::NUMBER_TO_DIAL
                    data-testid="dial-input" autocomplete="off"
                    prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev))/>
                <button type="submit" class="btn primary" data-testid="dial-button">{t::CALL}</button>
            </form>
        </Show>
        <Show when=demo>
            <button type="button" class="btn link-btn" data-testid="simulate-incoming"
                on:click=move |_| { desk.simulate_incoming(); }>{t::SIMULATE_INCOMING}</button>
        </Show>
    }
}
