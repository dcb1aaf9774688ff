//! The intents as methods, for the components (each builds an [`Intent`] and runs it through the core).

use super::super::{Desk, Input, Intent};
use crate::openframe::protocol::{ClickToCall, Outgoing, RecordRef};
use crate::phone::call::{Call, CallState, Direction, EndReason};
use crate::phone::line::LineEvent;
use crate::phone::model::AgentState;
use crate::phone::wrapup::WrapUp;
use crate::strings as t;
use crate::tabs::Role;
use leptos::prelude::*;

impl Desk {
    fn intent(&self, i: Intent) {
        self.run(Input::Intent(i));
    }

    /// What the last intent placed (a call id), or why it was refused.
    fn outcome(&self) -> (Option<u32>, Option<String>) {
        self.with_core(|c| (c.placed, c.refused.clone())).unwrap_or_default()
    }

    /// Sets the agent's state and mirrors it in ServiceNow's presence indicator.
    pub fn set_agent_state(&self, state: AgentState) {
        self.intent(Intent::SetState(state));
    }

    pub fn toggle_mute(&self) {
        self.intent(Intent::ToggleMute);
    }

    /// Dials a number, optionally for a ServiceNow record. Returns the call id (0 in a remote view: the
    /// owner places the call), or None when the number is refused (the notice says why).
    pub fn dial(&self, number: &str, record: Option<RecordRef>) -> Option<u32> {
        self.intent(Intent::Dial { number: number.into(), record, name: None });
        self.outcome().0
    }

    /// A click-to-call from ServiceNow: dial the number with the record it came from attached.
    pub fn click_to_call(&self, c: ClickToCall) {
        self.run(Input::ClickToCall(c));
    }

    /// A simulated incoming call on the demo line.
    pub fn simulate_incoming(&self) -> u32 {
        self.simulate_incoming_from(None)
    }

    /// A simulated incoming call on the demo line from this caller (name, number), or the next demo caller.
    pub fn simulate_incoming_from(&self, caller: Option<(&str, &str)>) -> u32 {
        let (name, number) = caller.unwrap_or(("", ""));
        self.intent(Intent::SimulateIncoming { name: name.into(), number: number.into() });
        self.outcome().0.unwrap_or(0)
    }

    pub fn answer(&self, id: u32) {
        self.intent(Intent::Answer(id));
    }

    pub fn reject(&self, id: u32) {
        self.intent(Intent::Reject(id));
    }

    pub fn hang_up(&self, id: u32) {
        self.intent(Intent::HangUp(id));
    }

    pub fn set_hold(&self, id: u32, held: bool) {
        self.intent(Intent::Hold { id, on: held });
    }

    /// Three-way conference: takes the held call off hold (without holding the other) and mixes the audio.
    pub fn conference(&self, a: u32, b: u32) {
        self.intent(Intent::Conference { id: a, other: b });
    }

    /// Sends a DTMF digit on a connected call.
    pub fn send_dtmf(&self, id: u32, digit: char) {
        self.intent(Intent::Dtmf { id, digit });
    }

    /// Blind transfer to `target`; with `consult`, completes a consultative transfer to that call's party.
    pub fn transfer(&self, id: u32, target: &str, consult: Option<u32>) {
        self.intent(Intent::Transfer { id, target: target.into(), consult });
    }

    /// Removes ended calls from the phone panel.
    pub fn clear_ended(&self) {
        self.intent(Intent::ClearEnded);
    }

    /// Signs in to the SIP server (the SIP line); Err says what to fix.
    pub fn sign_in(&self, server: &str, user: &str, password: &str) -> Result<(), String> {
        self.intent(Intent::SignIn { server: server.into(), user: user.into(), password: password.into() });
        match self.outcome().1 {
            Some(m) => Err(m),
            None => Ok(()),
        }
    }

    pub fn sign_out(&self) {
        self.intent(Intent::SignOut);
    }

    /// The agent chose a record from a screen-pop choice.
    pub fn choose_pop(&self, call: u32, r: RecordRef) {
        self.intent(Intent::ChoosePop { call, record: r });
    }

    /// Opens a new record form prefilled for the caller (screen pop found nobody).
    pub fn open_new(&self, call: u32, table: &str, query: &str) {
        self.intent(Intent::OpenNew { call, table: table.into(), query: query.into() });
    }

    /// Edits the wrap-up being shown; the draft is saved at once.
    pub fn edit_wrapup(&self, f: impl FnOnce(&mut WrapUp)) {
        let Some(mut w) = self.shown_wrapup() else { return };
        f(&mut w);
        self.intent(Intent::EditWrapUp(w));
    }

    /// A copy of the wrap-up being shown (one reader for every edit).
    #[inline(never)]
    fn shown_wrapup(&self) -> Option<WrapUp> {
        self.with_core(|c| c.wrapups.first().cloned()).flatten()
    }

    /// Finishes the wrap-up: checks it, hands the activity to the outbox, and (when no other wrap-up waits)
    /// returns the agent to the state held before the call, or Not Ready.
    pub fn submit_wrapup(&self) -> Result<(), String> {
        self.intent(Intent::SubmitWrapUp(None));
        match self.outcome().1 {
            Some(m) => Err(m),
            None => Ok(()),
        }
    }

    /// The agent's answer to a transfer the far end asked for: call the target, or decline.
    pub fn decide_transfer(&self, accept: bool) {
        self.intent(Intent::DecideTransfer(accept));
    }

    /// The agent dismisses a refused activity (after confirming); only the owner of the phone changes the
    /// outbox in storage.
    pub fn dismiss_activity(&self, id: &str) {
        self.intent(Intent::DismissActivity(id.into()));
    }

    /// Opens a record's form in ServiceNow (screen pop, the record attached to a call).
    pub fn open_record(&self, record: &RecordRef) {
        self.publish(Outgoing::OpenForm { entity: record.entity.clone(), query: record.form_query(), interaction_sys_id: None });
    }

    /// Advances calls by the clock.
    pub fn tick(&self, now: f64) {
        super::run::aput(&self.now, now);
        self.run_at(now, Input::Tick);
    }

    /// A fresh call id for the desk (both lines use the desk's ids).
    pub fn alloc_call_id(&self) -> u32 {
        self.core.try_update_value(|(c, _, _)| c.alloc_call_id()).unwrap_or(0)
    }

    /// The number of a call.
    pub fn call_number(&self, id: u32) -> Option<String> {
        self.with_core(|c| c.call_number(id)).flatten()
    }

    /// The SIP line received a call (as the line reports it). Returns the code it is refused with, or
    /// None when it rings.
    pub fn sip_incoming(&self, id: u32, name: Option<&str>, number: &str, x_headers: Vec<(String, String)>) -> Option<u16> {
        let code = self.with_core(|c| c.busy_code()).flatten();
        self.run(Input::Line(LineEvent::Incoming { id, name: name.map(str::to_string), number: number.into(), x_headers }));
        code
    }

    pub fn call_ended(&self, id: u32, reason: EndReason) {
        self.run(Input::Line(LineEvent::Ended { id, reason }));
    }

    pub fn call_note(&self, id: u32, note: Option<String>) {
        self.run(Input::Line(LineEvent::Note { id, note }));
    }

    pub fn call_packets(&self, id: u32, packets: (u64, u64)) {
        self.run(Input::Line(LineEvent::Packets { id, packets }));
    }

    /// Plays the ring tone while a call alerts, ring-back while an outgoing call rings, and the demo far end
    /// while a demo call is connected (reactive: the components run it in an effect).
    pub fn sync_sounds(&self) {
        let (ring, ringback, talking) = self.calls.with(|c| {
            (
                c.iter().any(|c| c.state == CallState::Alerting),
                c.iter().any(|c| c.state == CallState::Ringing),
                c.iter().any(|c| c.state == CallState::Connected),
            )
        });
        let demo = self.settings.with(|s| s.line == crate::config::LineKind::Demo);
        // Sounds play where the phone is.
        if self.role.get() != Role::Remote {
            use crate::phone::audio::{self, Tone};
            // The ring starts once the alerting card is painted (issue #16: the card first).
            let wait = ring && !audio::is_playing(Tone::Ring) && crate::phone::media::paints();
            audio::sync(ring && !wait, ringback, demo && talking);
            if wait {
                let desk = *self;
                crate::phone::media::after_paint_run(Box::new(move || {
                    let ring = desk.calls.with_untracked(|c| c.iter().any(|c| c.state == CallState::Alerting));
                    if ring && desk.role.get_untracked() != Role::Remote {
                        audio::play(Tone::Ring);
                    }
                }));
            }
        }
        self.run(Input::Presence);
    }

    pub fn live_calls(&self) -> Vec<Call> {
        self.calls.with_untracked(|c| {
            let mut live = Vec::new();
            for c in c {
                if c.is_live() {
                    live.push(c.clone());
                }
            }
            live
        })
    }

    pub fn call_direction_label(d: Direction) -> &'static str {
        match d {
            Direction::Inbound => t::INBOUND(),
            Direction::Outbound => t::OUTBOUND(),
        }
    }
}
