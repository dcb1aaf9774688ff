//! The dial pad: typed, pasted or keyed numbers, normalized to E.164 with the default country; backspace;
//! redial. While a call is connected the keys send DTMF on it.

use crate::desk::use_desk;
use crate::phone::call::CallState;
use crate::strings as t;
use leptos::prelude::*;

#[component]
pub fn DialPad() -> impl IntoView {
    let desk = use_desk();
    let number = desk.dial_text;
    // The dial pad is built again after each call: it reads the number typed (the desk's, kept between
    // calls) through crate::ui::follow.
    let typed = crate::ui::follow(move || number.track());
    let error = crate::ui::sig(None::<String>);
    let active = move || desk.calls.with(|c| c.iter().find(|c| c.state == CallState::Connected).map(|c| c.id));
    // The desk normalizes (E.164 with the default country) and refuses what cannot be dialled; its reason is
    // shown here, next to what the agent typed.
    let dial = move || {
        let text = number.get_untracked();
        if desk.dial(&text, None).is_some() {
            error.set(None);
            number.set(String::new());
        } else {
            error.set(desk.notice.get_untracked().map(|n| n.render()));
            desk.notice.set(None);
        }
    };
    let key = move |k: char| match active() {
        Some(id) => desk.send_dtmf(id, k),
        None => number.update(|n| n.push(k)),
    };
    let last = move || desk.recents.with(|r| r.iter().find(|r| r.direction == crate::phone::call::Direction::Outbound).map(|r| r.number.clone()));
    view! {
        <form class="dial" on:submit:capture=crate::ui::on_submit(move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); dial(); })>
            <input type="tel" class="input" aria-label=t::NUMBER_TO_DIAL() {..crate::ui::cattr("placeholder", t::NUMBER_TO_DIAL())}
                data-testid="dial-input" {..crate::ui::cattr("autocomplete", "off")} {..crate::ui::cattr("id", "dial-input")}
                prop:value=crate::ui::text_fn(move || { typed.track(); number.get_untracked() }) on:input:capture=crate::ui::on_event(move |ev| { number.set(event_target_value(&ev)); error.set(None); })/>
            <button type="button" class="btn" aria-label=t::BACKSPACE() data-testid="backspace"
                on:click:capture=crate::ui::click(move |_| number.update(|n| { n.pop(); }))>"⌫"</button>
            {crate::ui::submit_btn("btn primary", "dial-button", t::CALL())}
        </form>
        {crate::ui::when(move || error.with(Option::is_some), move || view! {
            <p class="notice error" role="alert" data-testid="dial-error">{crate::ui::dynv(move || error.get().unwrap_or_default())}</p>
        })}
        {crate::ui::phone_keys("keypad dialpad", t::DIAL_PAD(), None, "data-dial-key", std::rc::Rc::new(key))}
        {crate::ui::when(move || last().is_some(), move || view! {
            <button type="button" class="btn link-btn" data-testid="redial"
                on:click:capture=crate::ui::click(move |_| { if let Some(n) = last() { desk.dial(&n, None); } })>
                {crate::ui::dynv(move || crate::ui::cat(&[t::REDIAL(), " ", &last().unwrap_or_default()]))}
            </button>
        })}
    }
}
