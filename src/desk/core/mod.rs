//! The desk core: the call-center rules, pure and sans-IO (no browser, no signals).
//!
//! It owns what the agent's desk is: the agent state and its reasons, the calls as the agent sees them,
//! wrap-ups, screen-pop choices, recent calls and the hand-off of activities to the outbox. It takes one
//! [`Input`] at a time (an [`Intent`] of the agent, a shortcut or another window; an event of the line, the
//! OpenFrame session, ServiceNow or the window group; the clock) and returns the [`Effect`]s for the
//! browser shell to carry out. The same shape as the SIP user agent (`phone/sip/ua.rs`).
//!
//! By concern: [`agent`] (agent state, presence, busy refusal), [`calls`] (call intents and line events),
//! [`wrapup`] (finished calls: recents, Missed, wrap-up, its countdown, the outbox hand-off), [`pops`]
//! (screen pops), [`handover`] (the window group: roles, the owner's state, hand-over and reload).

mod agent;
mod calls;
mod handover;
mod pops;
mod wrapup;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_shift;
#[cfg(test)]
mod tests_window;
#[cfg(test)]
mod tests_outbox;
#[cfg(test)]
mod tests_panel;
#[cfg(test)]
mod tests_quality;

use super::effect::{Effect, Store};
use super::intent::Intent;
use crate::config::{LineKind, Settings};
use crate::openframe::protocol::{ClickToCall, Outgoing};
use crate::phone::call::Call;
use crate::phone::demo::DemoLine;
use crate::phone::line::{LineEvent, LineStatus};
use crate::phone::model::AgentState;
use crate::phone::wrapup::{RecentCall, WrapUp};
use crate::servicenow::outbox::Outbox;
use crate::servicenow::screen_pop::{Decision, SnEvent};
use crate::trust::Role;
use crate::json::Value;

pub use agent::host_of;
pub use calls::screen_headers;
pub use handover::OwnerState;

/// `v` as 16 lower-case hex digits (as `{:016x}` writes it), for the ids made here and by the window group
/// and the outbox (one writer, no formatting code at each).
pub fn hex16(v: u64) -> String {
    let mut s = String::with_capacity(16);
    crate::text::push_hex(&mut s, (v >> 32) as u32, 8);
    crate::text::push_hex(&mut s, v as u32, 8);
    s
}

/// `text (code)`, as `format!("{text} ({code})")` wrote it: no formatting code at the two sites that
/// show a SIP status code.
fn with_code(text: &str, code: u16) -> String {
    let mut s = String::with_capacity(text.len() + 6);
    s.push_str(text);
    s.push_str(" (");
    crate::json::write_u64(&mut s, code as u64);
    s.push(')');
    s
}

/// One input to the core.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// What the agent (or a shortcut) asks in this window.
    Intent(Intent),
    /// What the agent asked in another window (this one has the phone).
    Remote(Intent),
    /// A click-to-call from ServiceNow.
    ClickToCall(ClickToCall),
    Line(LineEvent),
    Sn(SnEvent),
    /// The clock (call progress on the demo line, the wrap-up countdown).
    Tick,
    /// The line of the settings starts (demo: Ready; SIP: Offline until signed in).
    LineStarted,
    /// The OpenFrame handshake completed: the header and presence are sent again.
    FrameConnected,
    /// ServiceNow's configuration record names the frame's title.
    FrameTitle(String),
    /// Send the presence again if it changed (the calls changed).
    Presence,
    /// A window in ServiceNow: show what the owner of the phone (popped out) asks to be shown there.
    ForOwner(super::effect::FrameRequest),
    /// This window's role in the group changed.
    Role(Role),
    /// A remote view: the owner's state.
    OwnerState(OwnerState),
    /// This window now owns the phone: what the previous owner handed over (or None), and what storage
    /// holds (used when nothing was handed over).
    Adopt { packet: Option<Value>, stored_wrapups: Vec<WrapUp>, stored_outbox: Outbox },
    /// The state saved before a reload (already opened: this deployment's, fresh).
    Restore(Value),
}

/// The desk's state and rules. Fields are read by the shell (to mirror them) and by tests.
pub struct DeskCore {
    pub settings: Settings,
    pub role: Role,
    pub agent_state: AgentState,
    pub muted: bool,
    pub line_status: LineStatus,
    pub calls: Vec<Call>,
    /// Finished calls waiting for the agent's wrap-up (the first is shown).
    pub wrapups: Vec<WrapUp>,
    pub recents: Vec<RecentCall>,
    /// Activities waiting to be written to ServiceNow (delivered by the ServiceNow client).
    pub outbox: Outbox,
    /// Screen pops waiting for the agent, by call.
    pub pops: Vec<(u32, Decision)>,
    /// The far end asks to transfer the agent: the call and what to show.
    pub transfer_ask: Option<(u32, String)>,
    /// The SIP user signed in (activities name the agent by it).
    pub sip_user: Option<String>,
    /// What the last intent placed (a call id; 0 when sent to the owner) or why it was refused.
    pub placed: Option<u32>,
    pub refused: Option<String>,
    /// The state saved before a reload, until this window knows whether it owns the phone.
    pub saved: Option<Value>,
    pub next_call_id: u32,
    /// The calls may have changed with the last input (the shell shows them again).
    pub calls_changed: bool,
    frame_title: Option<String>,
    finalized: Vec<u32>,
    state_before_call: Option<AgentState>,
    state_after_sign_in: Option<AgentState>,
    /// A remote view: wrap-ups it finished (sent to the owner), not to be shown again.
    submitted: Vec<String>,
    last_presence: String,
    /// The header title and subtitle last sent to ServiceNow.
    last_header: [String; 2],
    demo: DemoLine,
    rng: u64,
    now: f64,
    out: Vec<Effect>,
}

impl DeskCore {
    /// A desk with these settings, the stored recents, wrap-ups and outbox, and a random seed (activity ids).
    pub fn new(settings: Settings, seed: u64) -> DeskCore {
        DeskCore {
            settings,
            role: Role::Starting,
            agent_state: AgentState::NotReady(None),
            muted: false,
            line_status: LineStatus::Demo,
            calls: Vec::new(),
            wrapups: Vec::new(),
            recents: Vec::new(),
            outbox: Outbox::default(),
            pops: Vec::new(),
            transfer_ask: None,
            sip_user: None,
            placed: None,
            refused: None,
            saved: None,
            next_call_id: 1,
            calls_changed: false,
            frame_title: None,
            finalized: Vec::new(),
            state_before_call: None,
            state_after_sign_in: None,
            submitted: Vec::new(),
            last_presence: String::new(),
            last_header: Default::default(),
            demo: DemoLine::new(),
            rng: seed,
            now: 0.0,
            out: Vec::new(),
        }
    }

    /// Takes one input at `now` (ms since the epoch) and returns what to do.
    pub fn handle(&mut self, now: f64, input: Input) -> Vec<Effect> {
        self.now = now;
        // Conservative: every input but these may change a call (the clock says when it did).
        self.calls_changed = !matches!(input, Input::Tick | Input::Presence | Input::FrameTitle(_) | Input::FrameConnected);
        match input {
            Input::Intent(i) => {
                self.placed = None;
                self.refused = None;
                self.intent(i, false);
            }
            Input::Remote(i) => self.intent(i, true),
            Input::ClickToCall(c) => self.click_to_call(c),
            Input::Line(e) => self.line_event(e),
            Input::Sn(e) => self.sn_event(e),
            Input::Tick => self.tick(),
            Input::LineStarted => self.line_started(),
            Input::FrameConnected => {
                self.emit(Effect::Icons);
                self.last_presence.clear();
                self.last_header = Default::default();
                self.publish_presence();
            }
            Input::FrameTitle(t) => self.frame_title = Some(t),
            Input::Presence => self.publish_presence(),
            Input::ForOwner(r) => self.publish(r.to_outgoing()),
            Input::Role(r) => self.on_role(r),
            Input::OwnerState(s) => self.apply_owner_state(s),
            Input::Adopt { packet, stored_wrapups, stored_outbox } => self.adopt(packet, stored_wrapups, stored_outbox),
            Input::Restore(v) => self.restore(v),
        }
        std::mem::take(&mut self.out)
    }

    fn intent(&mut self, i: Intent, remote: bool) {
        match i {
            Intent::Dial { number, record, name } => {
                let placed = self.dial(&number, record);
                if let (Some(id), Some(name)) = (placed, name.filter(|n| !n.is_empty())) {
                    self.update_call(id, |c| c.name = Some(name));
                }
                self.placed = placed;
            }
            Intent::Answer(id) => self.answer(id),
            Intent::Reject(id) => self.reject(id),
            Intent::HangUp(id) => self.hang_up(id),
            Intent::Hold { id, on } => self.set_hold(id, on),
            Intent::ToggleMute => self.toggle_mute(),
            Intent::Dtmf { id, digit } => self.send_dtmf(id, digit),
            Intent::Transfer { id, target, consult } => self.transfer(id, &target, consult),
            Intent::Conference { id, other } => self.conference(id, other),
            Intent::SetState(s) => self.set_agent_state(s),
            Intent::SimulateIncoming { name, number } => {
                let caller = (!number.is_empty()).then_some((name.as_str(), number.as_str()));
                self.placed = Some(self.simulate_incoming(caller));
            }
            Intent::SignIn { server, user, password } => {
                if let Err(m) = self.sign_in(&server, &user, &password) {
                    if remote {
                        self.emit(Effect::Notice(Some(m.clone().into())));
                    }
                    self.refused = Some(m);
                }
            }
            Intent::SignOut => self.sign_out(),
            Intent::ClearEnded => self.clear_ended(),
            Intent::ChoosePop { call, record } => self.choose_pop(call, record),
            Intent::OpenNew { call, table, query } => self.open_new(call, &table, &query),
            Intent::EditWrapUp(w) => self.edit_wrapup(w),
            Intent::SubmitWrapUp(w) => {
                if let Some(w) = w {
                    // From a remote view: the wrap-up it edited, if it is still the one shown here.
                    if self.wrapups.first().map(|f| f.activity_id != w.activity_id).unwrap_or(true) {
                        return;
                    }
                    self.edit_wrapup(w);
                }
                if let Err(m) = self.submit_wrapup() {
                    self.refused = Some(m);
                }
            }
            Intent::DecideTransfer(accept) => {
                if let Some((id, _)) = self.transfer_ask.take() {
                    self.emit(Effect::Line(crate::phone::line::LineCommand::TransferDecision { id, accept }));
                }
            }
            Intent::DismissActivity(id) => {
                // Only the owner of the phone changes the outbox in storage.
                if self.is_owner() {
                    self.outbox.dismiss(&id);
                    self.emit(Effect::Save(Store::Outbox));
                }
            }
        }
    }

    /// True when this window runs the phone (or no other window does yet).
    pub fn is_owner(&self) -> bool {
        matches!(self.role, Role::Owner | Role::Starting)
    }

    pub fn is_sip(&self) -> bool {
        self.settings.line == LineKind::Sip
    }

    /// A fresh call id (both lines use the desk's ids).
    pub fn alloc_call_id(&mut self) -> u32 {
        let id = self.next_call_id;
        // Wrapping (as the release always did): a restored `nextId` may be u32::MAX.
        self.next_call_id = self.next_call_id.wrapping_add(1);
        id
    }

    /// The number of a call (the SIP line tells a takeover by the same party from a transfer).
    pub fn call_number(&self, id: u32) -> Option<String> {
        self.call(id).map(|c| c.number.clone())
    }

    /// A remote view sends the intent to the owner instead of doing it; true when it did. A window that is
    /// not linked does nothing, and says so.
    fn relay(&mut self, intent: impl FnOnce() -> Intent) -> bool {
        if self.is_owner() {
            return false;
        }
        let i = (self.role != Role::Unlinked).then(intent);
        self.relay_now(i);
        true
    }

    /// The intent for the owner, or (None: not linked) the notice that says so (one copy for every intent).
    #[inline(never)]
    fn relay_now(&mut self, intent: Option<Intent>) {
        let e = match intent {
            Some(i) => Effect::ToOwner(i),
            None => Effect::Notice(Some(crate::strings::Key::NOT_LINKED.into())),
        };
        self.emit(e);
    }

    fn update_call(&mut self, id: u32, f: impl FnOnce(&mut Call)) {
        if let Some(c) = self.call_mut(id) {
            f(c)
        }
    }

    /// Sets the note of the call `id` (one copy for every site).
    #[inline(never)]
    fn set_note(&mut self, id: u32, note: Option<String>) {
        if let Some(c) = self.call_mut(id) {
            c.note = note;
        }
    }

    /// The call `id` (one search for every call site).
    #[inline(never)]
    fn call_mut(&mut self, id: u32) -> Option<&mut Call> {
        self.calls.iter_mut().find(|c| c.id == id)
    }

    /// The call `id`, to read (one search for every call site).
    #[inline(never)]
    fn call(&self, id: u32) -> Option<&Call> {
        self.calls.iter().find(|c| c.id == id)
    }

    /// Publishes to ServiceNow. The header title and subtitle are sent when they change (calls change
    /// often; the header does not).
    fn publish(&mut self, msg: Outgoing) {
        let slot = match &msg {
            Outgoing::SetTitle(x) => Some((0, x)),
            Outgoing::SetSubtitle(x) => Some((1, x)),
            _ => None,
        };
        if let Some((i, x)) = slot {
            if self.last_header[i] == *x {
                return;
            }
            self.last_header[i] = x.clone();
        }
        self.emit(Effect::Frame(msg));
    }

    /// Adds an effect for the shell (one push for every site).
    #[inline(never)]
    fn emit(&mut self, e: Effect) {
        self.out.push(e);
    }

    fn announce(&mut self, text: String) {
        self.emit(Effect::Announce(text));
    }

    /// A fresh activity id (16 hex digits): splitmix64 over the random seed (ids need to be unique, not
    /// secret; two seeds give two different sequences).
    fn new_activity_id(&mut self) -> String {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        hex16(z ^ (z >> 31))
    }

    fn sn_event(&mut self, e: SnEvent) {
        match e {
            SnEvent::Pop { call, decision } => self.pop_decided(call, decision),
            SnEvent::PopFailed { call, message } => self.set_note(call, Some(message)),
        }
    }

    /// The title ServiceNow's frame shows when no call alerts.
    fn restore_title(&mut self) {
        let title = self.frame_title.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| self.settings.title.clone());
        self.publish(Outgoing::SetTitle(title));
        self.publish(Outgoing::SetSubtitle(String::new()));
    }
}

#[cfg(test)]
mod with_code_tests {
    /// `with_code` writes what `format!("{text} ({code})")` wrote, for fixed and random codes.
    #[test]
    fn writes_as_format_did() {
        let mut rng = crate::fuzz_rng::Rng(16);
        let mut codes = vec![0u16, 1, 9, 10, 99, 100, 180, 486, 603, 9999, 10000, u16::MAX];
        for _ in 0..500 {
            codes.push(rng.next() as u16);
        }
        for (i, code) in codes.into_iter().enumerate() {
            let text = ["", "Auto-rejected", "Transfer in progress…"][i % 3];
            assert_eq!(super::with_code(text, code), format!("{text} ({code})"));
        }
    }
}
