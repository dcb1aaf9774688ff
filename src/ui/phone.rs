//! The phone panel: calls in progress with their controls (hold, keypad, transfer, hang up), the number
//! entry, sign-in on the SIP line, and (demo line) a way to receive a call.

use crate::config::LineKind;
use crate::desk::{use_desk, Desk};
use crate::phone::call::{Call, CallState};
use crate::phone::sipline::LineStatus;
use crate::strings as t;
use crate::ui::sign_in::SignIn;
use crate::ui::{dial_pad::DialPad, wrap_up::WrapUpPanel};
use crate::ui::RowsExt;
use leptos::prelude::*;

fn state_label(c: &Call) -> String {
    match &c.state {
        CallState::Dialing => t::STATE_DIALING().into(),
        CallState::Ringing => t::STATE_RINGING().into(),
        CallState::Alerting => t::STATE_ALERTING().into(),
        CallState::Connected => t::STATE_CONNECTED().into(),
        CallState::Held => t::STATE_HELD().into(),
        CallState::Ended(r) => t::call_ended(r),
    }
}

const DIALING: u32 = 0;
const RINGING: u32 = 1;
const ALERTING: u32 = 2;
const CONNECTED: u32 = 3;
const HELD: u32 = 4;
const ENDED: u32 = 5;

/// A call state's kind, without its end reason.
fn kind(s: &CallState) -> u32 {
    match s {
        CallState::Dialing => DIALING,
        CallState::Ringing => RINGING,
        CallState::Alerting => ALERTING,
        CallState::Connected => CONNECTED,
        CallState::Held => HELD,
        CallState::Ended(_) => ENDED,
    }
}

/// The call a card shows: a u32 memo (the type the views' memos share) that changes when the call does, and
/// the call read from the desk's list where it is (no memo of `Option<Call>`, a type of its own: issue #16).
/// Its readers run exactly when a memo of the call would tell them to, and read the same call.
#[derive(Clone, Copy)]
pub struct CardCall {
    changed: Memo<u32>,
    calls: &'static ArcRwSignal<Vec<Call>>,
    id: u32,
}

impl CardCall {
    fn new(desk: Desk, id: u32) -> CardCall {
        // The call as last seen (kept by the memo's closure) and the number of changes seen.
        let seen = std::sync::Mutex::new((0u32, None::<Call>));
        let changed = crate::ui::memo(Box::new(move || {
            desk.calls.with(|c| {
                let now = c.iter().find(|c| c.id == id);
                let Ok(mut s) = seen.lock() else { return 0 };
                if s.1.as_ref() != now {
                    s.1 = now.cloned();
                    s.0 = s.0.wrapping_add(1);
                }
                s.0
            })
        }));
        CardCall { changed, calls: &desk.s.calls, id }
    }

    /// Reads the call (tracked: the reader runs again when the call changes).
    pub fn with<R>(&self, f: impl FnOnce(Option<&Call>) -> R) -> R {
        let _ = self.changed.get();
        self.calls.with_untracked(|c| f(c.iter().find(|c| c.id == self.id)))
    }
}

#[component]
fn Keypad(id: u32) -> impl IntoView {
    let desk = use_desk();
    crate::ui::phone_keys("keypad", t::KEYPAD(), Some("keypad"), "data-key", std::rc::Rc::new(move |k| desk.send_dtmf(id, k)))
}

#[component]
fn TransferForm(id: u32) -> impl IntoView {
    let desk = use_desk();
    let target = crate::ui::sig(String::new());
    let blind = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        desk.transfer(id, &target.get_untracked(), None);
    };
    let consult = move |_| {
        // Consult: call the target first (this call goes on hold); complete from the held call's card.
        desk.dial(&target.get_untracked(), None);
    };
    view! {
        <form class="dial transfer" on:submit:capture=crate::ui::on_submit(blind) data-testid="transfer-form">
            {crate::ui::text_input("tel", t::TRANSFER_TARGET(), "transfer-target", None, target)}
            {crate::ui::submit_btn("btn", "blind-transfer", t::BLIND_TRANSFER())}
            {crate::ui::btn("btn", Some("consult"), t::CONSULT(), consult)}
        </form>
    }
}

/// One call. Keyed by the call's id only: its state, timer, notes and statistics update in place, so what
/// the agent is typing (a transfer target) and the keypad stay put while the call changes.
#[component]
fn CallCard(id: u32) -> impl IntoView {
    let desk: Desk = use_desk();
    let call = CardCall::new(desk, id);
    // The state's kind (see `kind`): a memo of u32, the type the other memos share (issue #16); the
    // controls are rebuilt only when it changes.
    let state = crate::ui::memo(Box::new(move || call.with(|c| c.map_or(ENDED, |c| kind(&c.state)))));
    // Only a live call reads the clock (an ended call's card, while its wrap-up is open, costs nothing per
    // tick), and the text node is written only when the text changes (once a second).
    let timer = move || {
        call.with(|c| {
            c.map(|c| {
                    crate::intl::duration(match c.state {
                        CallState::Ended(_) => c.talk_ms(c.ended_ms.unwrap_or(0.0)),
                        CallState::Connected | CallState::Held => c.talk_ms(desk.now.get()),
                        _ => desk.now.get() - c.created_ms,
                    })
                })
                .unwrap_or_default()
        })
    };
    let live = move || state.get() != ENDED;
    let held = move || state.get() == HELD;
    let show_keypad = crate::ui::sig(false);
    let show_transfer = crate::ui::sig(false);
    // A consultation in progress: another connected call to hand this one over to.
    let consult_with = move || {
        desk.calls.with(|c| c.iter().find(|o| o.id != id && o.state == CallState::Connected).map(|o| o.id))
    };
    let class = move || match state.get() {
        ALERTING => "call alerting",
        ENDED => "call ended",
        _ => "call",
    };
    // The screen-pop choice for this call (the pops change rarely: crate::ui::follow).
    let pops = crate::ui::follow(move || desk.pops.track());
    let pop = move || {
        pops.track();
        desk.pops.with_untracked(|p| p.iter().find(|(c, _)| *c == id).map(|(_, d)| d.clone()))
    };
    let field = move |f: fn(&Call) -> String| move || call.with(|c| c.map(f).unwrap_or_default());
    let (rx, tx) = (field(|c| c.packets.0.to_string()), field(|c| c.packets.1.to_string()));
    view! {
        <li {..crate::ui::attr("class", move || class().to_string())} data-testid="call" data-call-id=id.to_string() {..crate::ui::attr("data-state", move || call.with(|c| {
            let gone = CallState::Ended(crate::phone::call::EndReason::HungUp);
            c.map_or(&gone, |c| &c.state).text()
        }))}
            {..crate::ui::attr("data-rx", rx)} {..crate::ui::attr("data-tx", tx)}>
            <div class="call-head">
                <span class="party" data-testid="party">{crate::ui::dynv(field(|c| c.party().to_string()))}</span>
                <span class="timer" data-testid="timer">{crate::ui::dynv(timer)}</span>
            </div>
            <div class="call-sub">
                <span data-testid="call-state">{crate::ui::dynv(field(state_label))}</span>
                {crate::ui::dyn_opt(move || call.with(|c| c.filter(|c| c.name.is_some()).map(|c| c.number.clone()))
                    .map(|n| view! { <span class="number">{n}</span> }))}
                {crate::ui::dyn_opt(move || call.with(|c| c.and_then(|c| c.record.clone())).map(|r| {
                    let label = if !r.value.is_empty() { r.value.clone() } else { crate::ui::cat(&[&r.entity, " ", r.sys_id.as_deref().unwrap_or_default()]) };
                    view! {
                        <button type="button" class="chip" data-testid="call-record" {..crate::ui::cattr("title", t::OPEN_RECORD())}
                            on:click:capture=crate::ui::click(move |_| desk.open_record(&r))>{label}</button>
                    }
                }))}
            </div>
            {crate::ui::dyn_opt(move || {
                // Data the call arrived with (an IVR's choices, the queue): shown, never interpreted as HTML.
                let mut data: Vec<AnyView> = Vec::new();
                call.with(|c| {
                    for (k, v) in c.map(|c| c.x_headers.as_slice()).unwrap_or_default() {
                        if !k.to_ascii_lowercase().starts_with("x-sn-") {
                            let k = crate::text::replace(crate::text::trim_start(k, "X-"), "-", " ");
                            data.push(view! { <span class="kv-chip">{k}": "{v.clone()}</span> }.into_any());
                        }
                    }
                });
                (!data.is_empty()).then(|| view! {
                    <p class="call-data" data-testid="call-data">
                        {data}
                    </p>
                })
            })}
            {crate::ui::dynv(move || call.with(|c| c.and_then(|c| c.note.clone()))
                .map(|n| view! { <p class="call-note" data-testid="call-note" {..crate::ui::cattr("aria-live", "polite")}>{n}</p> }))}
            <crate::ui::quality::CallQuality call=call/>
            {crate::ui::dynv(move || pop().map(|d| match d {
                crate::servicenow::screen_pop::Decision::Choose(list) => view! {
                    <div class="pop-choice" data-testid="pop-choice" role="group" aria-label=t::POP_CHOOSE()>
                        <p class="call-note">{t::POP_CHOOSE()}</p>
                        {list.into_iter().map(|r| {
                            let label = if r.label.is_empty() { r.entity.clone() } else { r.label.clone() };
                            view! { <button type="button" class="chip" on:click:capture=crate::ui::click(move |_| desk.choose_pop(id, r.clone()))>{label}</button> }
                        }).rows()}
                    </div>
                }.into_any(),
                crate::servicenow::screen_pop::Decision::OfferNew { table, query } => view! {
                    <div class="pop-choice" data-testid="pop-offer">
                        <span class="call-note">{t::POP_NONE()}</span>
                        {crate::ui::btn("chip", None, t::POP_NEW_CONTACT(), move |_| desk.open_new(id, &table, &query))}
                    </div>
                }.into_any(),
                _ => ().into_any(),
            }))}
            <div class="actions">
                {crate::ui::dynv(move || match state.get() {
                    ALERTING => view! {
                        {crate::ui::act("btn primary", None, t::ANSWER(), crate::ui::Act::Answer(id))}
                        {crate::ui::act("btn danger", None, t::REJECT(), crate::ui::Act::Reject(id))}
                    }.into_any(),
                    CONNECTED | HELD => view! {
                        <button type="button" class="btn" {..crate::ui::attr("aria-pressed", move || held().to_string())} data-testid="hold"
                            on:click:capture=crate::ui::click(move |_| desk.set_hold(id, !held()))>{crate::ui::dynv(move || if held() { t::RESUME() } else { t::HOLD() })}</button>
                        <button type="button" class="btn" {..crate::ui::flag("aria-expanded", show_keypad)} data-testid="keypad-toggle"
                            on:click:capture=crate::ui::toggler(show_keypad)>{t::KEYPAD()}</button>
                        <button type="button" class="btn" {..crate::ui::flag("aria-expanded", show_transfer)} data-testid="transfer-toggle"
                            on:click:capture=crate::ui::toggler(show_transfer)>{t::TRANSFER()}</button>
                        {crate::ui::dyn_opt(move || if held() { consult_with() } else { None }.map(|other| {
                            view! {
                                {crate::ui::act("btn primary", Some("complete-transfer"), t::COMPLETE_TRANSFER(), crate::ui::Act::Complete(id, other))}
                                {crate::ui::act("btn", Some("conference"), t::MERGE(), crate::ui::Act::Conference(id, other))}
                            }
                        }))}
                        {crate::ui::act("btn danger", Some("hang-up"), t::HANG_UP(), crate::ui::Act::HangUp(id))}
                    }.into_any(),
                    DIALING | RINGING => view! {
                        {crate::ui::act("btn danger", Some("hang-up"), t::HANG_UP(), crate::ui::Act::HangUp(id))}
                    }.into_any(),
                    _ => view! {
                        {crate::ui::act("btn", None, t::CLEAR(), crate::ui::Act::ClearEnded)}
                    }.into_any(),
                })}
            </div>
            {crate::ui::when(move || show_keypad.get() && live(), move || view! {
                <Keypad id=id/>
            })}
            {crate::ui::when(move || show_transfer.get() && live(), move || view! {
                <TransferForm id=id/>
            })}
        </li>
    }
}

#[component]
pub fn PhonePanel() -> impl IntoView {
    let desk = use_desk();
    // Whether there are calls, without copying them (every change of the calls asks: issue #16).
    let no_calls = move || desk.calls.with(Vec::is_empty);
    let has_live = move || desk.calls.with(|c| c.iter().any(Call::is_live));
    let demo = move || desk.settings.with(|s| s.line == LineKind::Demo);
    let needs_sign_in = move || {
        !demo() && matches!(desk.line_status.get(), LineStatus::SignedOut | LineStatus::Failed(_)) && !has_live()
    };
    let wide = crate::ui::shell::use_wide();
    let ready_to_dial = move || !has_live() && (demo() || desk.line_status.get() == LineStatus::Registered);
    view! {
        {crate::ui::when(needs_sign_in, move || view! {
            <SignIn/>
        })}
        {crate::ui::when(move || !demo() && desk.line_status.get() == LineStatus::Connecting, move || view! {
            <p class="empty" data-testid="line-connecting">{t::LINE_CONNECTING()}</p>
        })}
        // The wrap-up comes first: it is what the agent works on once a call has ended (in the wide work view
        // the side column shows it, next to the directory and recents).
        {crate::ui::when(move || !wide(), move || view! {
            <WrapUpPanel/>
        })}
        {crate::ui::when(move || !no_calls(), move || view! {
            <ul {..crate::ui::attr("class", move || { if desk.calls.with(|c| c.iter().filter(|c| c.is_live()).count() > 1) { "calls many" } else { "calls" } }.to_string())}>
                {crate::ui::keyed(move || desk.calls.with(|c| {
                    let mut ids = Vec::new();
                    for c in c {
                        ids.push(c.id);
                    }
                    ids
                }), |id| view! { <CallCard id=id/> }.into_any())}
            </ul>
        })}
        {crate::ui::when(move || no_calls() && (demo() || desk.line_status.get() == LineStatus::Registered), move || view! {
            <p class="empty" data-testid="phone-idle">{t::PHONE_IDLE()}</p>
        })}
        {crate::ui::when(move || desk.notice.with(Option::is_some), move || view! {
            <p class="notice error" role="alert" data-testid="phone-notice">{crate::ui::dynv(move || desk.notice.with(|n| n.as_ref().map(|n| n.render()).unwrap_or_default()))}</p>
        })}
        {crate::ui::when(move || ready_to_dial() && desk.wrapups.with(Vec::is_empty), move || view! {
            <DialPad/>
        })}
        {crate::ui::when(demo, move || view! {
            {crate::ui::act("btn link-btn", Some("simulate-incoming"), t::SIMULATE_INCOMING(), crate::ui::Act::SimulateIncoming)}
        })}
        {crate::ui::when(move || !demo() && !needs_sign_in(), move || view! {
            {crate::ui::act("btn link-btn", Some("sign-out"), t::SIGN_OUT(), crate::ui::Act::SignOut)}
        })}
    }
}
