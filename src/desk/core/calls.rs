//! Calls: the agent's call intents (carried by the demo line here, or by the SIP line through
//! [`LineCommand`]s) and what the line reports.

use super::DeskCore;
use crate::desk::effect::Effect;
use crate::desk::intent::Intent;
use crate::openframe::protocol::{ClickToCall, Outgoing, RecordRef};
use crate::phone::call::{Call, CallState, Direction, EndReason};
use crate::phone::line::{LineCommand, LineEvent, LineStatus};
use crate::strings as t;
use crate::trust::Role;

/// The headers that carry a ServiceNow record with a call (`X-SN-Table`, `X-SN-Sys-Id`).
pub fn screen_headers(record: Option<&RecordRef>) -> Vec<(String, String)> {
    let Some(r) = record else { return Vec::new() };
    let Some(id) = &r.sys_id else { return Vec::new() };
    vec![("X-SN-Table".to_string(), r.entity.clone()), ("X-SN-Sys-Id".to_string(), id.clone())]
}

impl DeskCore {
    /// Dials a number, optionally for a ServiceNow record. Returns the call id (0 in a remote view: the
    /// owner places the call), or None when the number is refused (the notice says why).
    pub(super) fn dial(&mut self, number: &str, record: Option<RecordRef>) -> Option<u32> {
        self.emit(Effect::Notice(None));
        // Every number dialled (dial pad, directory, click-to-call, recents) goes out in E.164; SIP addresses
        // and short extensions as typed.
        let is_sip_uri = number.trim().to_ascii_lowercase().starts_with("sip:");
        let normalized = if is_sip_uri {
            number.trim().to_string()
        } else {
            match crate::phone::number::normalize(number, &self.settings.default_country) {
                Ok(n) => n.as_str().to_string(),
                Err(m) => return self.refuse(m),
            }
        };
        let number = normalized.trim();
        // A remote view: the owner places the call (Some(0): sent there; real calls have ids from 1). A
        // window that is not linked places nothing.
        if self.role == Role::Unlinked {
            return self.refuse(t::NOT_LINKED().into());
        }
        if self.relay(|| Intent::Dial { number: number.into(), record: record.clone(), name: None }) {
            return Some(0);
        }
        if self.is_sip() && self.line_status != LineStatus::Registered {
            return self.refuse(t::NOT_SIGNED_IN().into());
        }
        let id = self.alloc_call_id();
        let mut call = if self.is_sip() {
            Call::new(id, Direction::Outbound, number, None, self.now)
        } else {
            match self.demo.dial(id, number, self.now) {
                Ok(c) => c,
                Err(m) => return self.refuse(m),
            }
        };
        // "Send screen on transfer": the record on screen travels with the call as X- headers.
        let headers = screen_headers(record.as_ref());
        call.record = record;
        self.hold_others(None);
        self.calls.push(call);
        // The INVITE first (issue #16: dial intent to INVITE), then the tab (a storage write).
        if self.is_sip() {
            self.emit(Effect::Line(LineCommand::Dial { id, target: number.to_string(), headers }));
        }
        self.emit(Effect::ShowPhone);
        Some(id)
    }

    fn refuse(&mut self, m: String) -> Option<u32> {
        self.emit(Effect::Notice(Some(m.clone().into())));
        self.refused = Some(m);
        None
    }

    /// A click-to-call from ServiceNow: dial the number with the record it came from attached, naming the
    /// party by the person record that came with the click.
    pub(super) fn click_to_call(&mut self, c: ClickToCall) {
        let record = c.context_record().cloned();
        let name = c
            .records
            .iter()
            .find(|r| matches!(r.entity.as_str(), "customer_contact" | "csm_consumer" | "sys_user"))
            .map(|r| if r.value.is_empty() { r.label.clone() } else { r.value.clone() })
            .filter(|n| !n.is_empty());
        // A remote view (the phone is popped out): the owner dials, with the record and the name.
        if !self.relay(|| Intent::Dial { number: c.phone_number.clone(), record: record.clone(), name: name.clone() }) {
            if let (Some(id), Some(name)) = (self.dial(&c.phone_number, record), name) {
                self.update_call(id, |call| call.name = Some(name));
            }
        }
        self.publish(Outgoing::Show);
    }

    /// A simulated incoming call on the demo line from this caller (name, number), or the next demo caller.
    pub(super) fn simulate_incoming(&mut self, caller: Option<(&str, &str)>) -> u32 {
        let (name, number) = caller.unwrap_or(("", ""));
        if self.relay(|| Intent::SimulateIncoming { name: name.into(), number: number.into() }) {
            return 0;
        }
        let id = self.alloc_call_id();
        let call = self.demo.incoming(id, caller, self.now);
        self.ring(call);
        id
    }

    /// An incoming call: refused at once when the agent is busy (the call is Missed, with the code),
    /// otherwise it alerts (and pops, when the settings say so). Returns the code it was refused with.
    fn ring(&mut self, mut call: Call) -> Option<u16> {
        let id = call.id;
        if let Some(code) = self.busy_code() {
            call.end(EndReason::Missed, self.now);
            call.note = Some(super::with_code(t::AUTO_REJECTED(), code));
            self.calls.push(call);
            self.finalize_ended();
            return Some(code);
        }
        let (name, number) = (call.name.clone(), call.number.clone());
        self.calls.push(call);
        self.alert_incoming(name.as_deref(), &number);
        self.maybe_pop(id, false);
        None
    }

    /// Tells ServiceNow about an incoming call: show the frame, title = caller, subtitle = number.
    fn alert_incoming(&mut self, name: Option<&str>, number: &str) {
        let who = name.filter(|n| !n.is_empty()).unwrap_or(number).to_string();
        self.emit(Effect::ShowPhone);
        self.announce(crate::text::cat(&[t::INCOMING_CALL(), " ", &who]));
        self.emit(Effect::NotifyIfHidden { title: t::INCOMING_CALL().into(), body: who.clone() });
        self.publish(Outgoing::Show);
        self.publish(Outgoing::SetTitle(crate::desk::effect::cut_title(&who)));
        self.publish(Outgoing::SetSubtitle(crate::desk::effect::cut_title(&crate::text::cat(&[t::INCOMING_CALL(), " ", number]))));
    }

    /// What the SIP line reports.
    pub(super) fn line_event(&mut self, e: LineEvent) {
        let now = self.now;
        match e {
            LineEvent::Status(s) => self.set_line_status(s),
            LineEvent::Incoming { id, name, number, x_headers } => {
                let mut call = Call::new(id, Direction::Inbound, &number, name, now);
                let (x_headers, dropped) = crate::phone::call::bound_x_headers(x_headers);
                let carried = crate::servicenow::screen_pop::carried(&x_headers, &self.settings.servicenow.pop_tables);
                // Untrusted call data is only a hint: the record is attached once the screen pop vouches for it.
                call.record = carried.record().filter(|_| carried.trusted(self.settings.servicenow.trust_call_data));
                call.note = carried.ignored.or_else(|| (dropped > 0).then(|| t::x_headers_dropped(dropped).render()));
                call.x_headers = x_headers;
                if let Some(code) = self.ring(call) {
                    self.emit(Effect::Line(LineCommand::Reject { id, code }));
                }
            }
            LineEvent::Outgoing { id, target, replacing } => {
                let mut call = Call::new(id, Direction::Outbound, &target, None, now);
                if let Some(old) = replacing {
                    call.record = self.call(old).and_then(|c| c.record.clone());
                }
                self.calls.push(call);
            }
            LineEvent::Replacing { id, old, name, number } => {
                // The replaced call's record and headers (not a copy of the whole call).
                let prev = old.and_then(|o| self.call(o)).map(|p| (p.record.clone(), p.x_headers.clone()));
                let mut call = Call::new(id, Direction::Inbound, &number, (!name.is_empty()).then_some(name), now);
                if let Some((record, x_headers)) = prev {
                    call.record = record;
                    call.x_headers = x_headers;
                }
                self.calls.push(call);
            }
            LineEvent::Ringing(id) => self.update_call(id, |c| {
                if c.state == CallState::Dialing {
                    c.state = CallState::Ringing
                }
            }),
            LineEvent::Connected(id) => {
                self.update_call(id, |c| {
                    if c.is_live() && c.state != CallState::Held {
                        c.connect(now)
                    }
                });
                self.restore_title();
            }
            LineEvent::Ended { id, reason } => self.call_ended(id, reason),
            LineEvent::Note { id, note } => self.set_note(id, note),
            LineEvent::Packets { id, packets } => self.update_call(id, |c| c.packets = packets),
            // Audio is expected while the call is connected and its transceiver receives (not held either side).
            LineEvent::Quality { id, sample, receiving } => {
                self.update_call(id, |c| c.quality.update(sample, now, receiving && c.state == CallState::Connected))
            }
            LineEvent::HoldFailed { id, held } => self.update_call(id, |c| c.set_held(held, now)),
            LineEvent::TransferProgress { id, code, done } => {
                let note = match (code, done) {
                    (200..=299, true) => t::TRANSFER_DONE().to_string(),
                    (_, true) => crate::text::cat(&[t::TRANSFER_FAILED(), ": ", t::tr().get(crate::phone::sip::message::failure_text(code))]),
                    _ => super::with_code(t::TRANSFER_PROGRESS(), code),
                };
                self.set_note(id, Some(note));
            }
            LineEvent::TransferSent { id, result } => {
                let note = result.err().unwrap_or_else(|| t::TRANSFER_PROGRESS().into());
                self.set_note(id, Some(note));
            }
            LineEvent::TransferAsked { id, target, by } => {
                let who = self.call(id).map(|c| c.party().to_string()).unwrap_or_default();
                let by = by.as_deref();
                let text = crate::strings::transfer_ask(&who, &target, by);
                self.announce(text.clone());
                self.transfer_ask = Some((id, text));
            }
            LineEvent::Message(m) => self.emit(Effect::SipMessage(m)),
            LineEvent::SetupMs(ms) => self.emit(Effect::SetupMs(ms)),
            LineEvent::DtmfSent { id, digit, how } => {
                let prefix = match how {
                    Some(true) => t::DTMF_SENT_AUDIO(),
                    Some(false) => t::DTMF_SENT_INFO(),
                    None => {
                        self.set_note(id, Some(t::DTMF_NOT_SENT().into()));
                        return;
                    }
                };
                self.note_digit(id, prefix, digit);
            }
            LineEvent::Conferenced { a, b, result } => {
                let note = result.err().unwrap_or_else(|| t::IN_CONFERENCE().into());
                self.set_note(a, Some(note.clone()));
                self.set_note(b, Some(note));
            }
        }
    }

    pub(super) fn call_ended(&mut self, id: u32, reason: EndReason) {
        if self.transfer_ask.as_ref().map(|(c, _)| *c == id).unwrap_or(false) {
            self.transfer_ask = None;
        }
        let now = self.now;
        self.update_call(id, |c| c.end(reason, now));
        self.after_call_change();
    }

    fn hold_others(&mut self, except: Option<u32>) {
        // By index (holding a call changes only that call's state; no list of ids collected first).
        for i in 0..self.calls.len() {
            let c = &self.calls[i];
            if Some(c.id) != except && c.state == CallState::Connected {
                self.set_hold(c.id, true);
            }
        }
    }

    pub(super) fn answer(&mut self, id: u32) {
        if self.relay(|| Intent::Answer(id)) {
            return;
        }
        self.hold_others(Some(id));
        if self.is_sip() {
            // The 200 first (issue #16: answer click to 200), then the screen pop.
            self.emit(Effect::Line(LineCommand::Answer(id)));
            self.maybe_pop(id, true);
            return;
        }
        self.maybe_pop(id, true);
        let now = self.now;
        self.update_call(id, |c| {
            if c.state == CallState::Alerting {
                c.connect(now)
            }
        });
        self.restore_title();
    }

    pub(super) fn reject(&mut self, id: u32) {
        if self.relay(|| Intent::Reject(id)) {
            return;
        }
        if self.is_sip() {
            self.emit(Effect::Line(LineCommand::Reject { id, code: 486 }));
        }
        let now = self.now;
        self.update_call(id, |c| c.end(EndReason::Rejected, now));
        self.after_call_change();
    }

    pub(super) fn hang_up(&mut self, id: u32) {
        if self.relay(|| Intent::HangUp(id)) {
            return;
        }
        if self.is_sip() {
            // The line reports the end (BYE answered, CANCEL done) and the desk updates then.
            self.emit(Effect::Line(LineCommand::HangUp(id)));
            return;
        }
        let now = self.now;
        self.update_call(id, |c| {
            let reason = match c.state {
                CallState::Dialing | CallState::Ringing => EndReason::Cancelled,
                CallState::Alerting => EndReason::Rejected,
                _ => EndReason::HungUp,
            };
            c.end(reason, now)
        });
        self.after_call_change();
    }

    pub(super) fn set_hold(&mut self, id: u32, held: bool) {
        if self.relay(|| Intent::Hold { id, on: held }) {
            return;
        }
        if !held {
            self.hold_others(Some(id));
        }
        let changed = self.call(id).is_some_and(|c| (held && c.state == CallState::Connected) || (!held && c.state == CallState::Held));
        if !changed {
            return;
        }
        let now = self.now;
        self.update_call(id, |c| c.set_held(held, now));
        if self.is_sip() {
            self.emit(Effect::Line(LineCommand::Hold { id, held }));
        }
    }

    /// Three-way conference: takes the held call off hold (without holding the other) and mixes the audio.
    pub(super) fn conference(&mut self, a: u32, b: u32) {
        if self.relay(|| Intent::Conference { id: a, other: b }) {
            return;
        }
        let now = self.now;
        for id in [a, b] {
            if self.call(id).is_some_and(|c| c.state == CallState::Held) {
                self.update_call(id, |c| c.set_held(false, now));
                if self.is_sip() {
                    self.emit(Effect::Line(LineCommand::Hold { id, held: false }));
                }
            }
        }
        if self.is_sip() {
            // The line mixes the audio and reports how it went.
            self.emit(Effect::Line(LineCommand::Conference { a, b }));
        } else {
            self.line_event(LineEvent::Conferenced { a, b, result: Ok(()) });
        }
    }

    /// Sends a DTMF digit on a connected call; the note says how it actually went.
    pub(super) fn send_dtmf(&mut self, id: u32, digit: char) {
        if !crate::text::one_of(digit, "0123456789*#ABCD") || self.relay(|| Intent::Dtmf { id, digit }) {
            return;
        }
        if self.is_sip() {
            let info = self.settings.sip.dtmf_info;
            self.emit(Effect::Line(LineCommand::Dtmf { id, digit, info }));
        } else {
            self.note_digit(id, t::DTMF_SENT(), digit);
        }
    }

    fn note_digit(&mut self, id: u32, prefix: &str, digit: char) {
        self.update_call(id, |c| {
            let mut n = c.note.clone().filter(|n| n.starts_with(prefix)).unwrap_or_else(|| crate::text::cat(&[prefix, ": "]));
            n.push(digit);
            c.note = Some(n);
        });
    }

    /// Blind transfer to `target`; with `consult`, completes a consultative transfer to that call's party.
    pub(super) fn transfer(&mut self, id: u32, target: &str, consult: Option<u32>) {
        if self.relay(|| Intent::Transfer { id, target: target.into(), consult }) {
            return;
        }
        if self.is_sip() {
            let headers = screen_headers(self.call(id).and_then(|c| c.record.as_ref()));
            self.emit(Effect::Line(LineCommand::Transfer { id, target: target.into(), consult, headers }));
            return;
        }
        if target.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 0 && consult.is_none() {
            self.set_note(id, Some(crate::strings::not_a_phone_number(target).render()));
            return;
        }
        self.call_ended(id, EndReason::Transferred);
        if let Some(c) = consult {
            self.call_ended(c, EndReason::Transferred);
        }
    }

    /// Removes ended calls from the phone panel.
    pub(super) fn clear_ended(&mut self) {
        if self.relay(|| Intent::ClearEnded) {
            return;
        }
        self.calls.retain(Call::is_live);
        self.prune_pops();
    }

    /// Advances calls by the clock (the demo line) and the wrap-up countdown.
    pub(super) fn tick(&mut self) {
        if !self.is_owner() {
            return;
        }
        self.wrapup_countdown();
        if self.is_sip() {
            return;
        }
        let mut ended = false;
        let now = self.now;
        for c in self.calls.iter_mut() {
            if self.demo.tick(c, now) {
                self.calls_changed = true;
                ended |= !c.is_live();
            }
        }
        if ended {
            self.after_call_change();
        }
    }

    pub(super) fn after_call_change(&mut self) {
        if !self.calls.iter().any(|c| c.state == CallState::Alerting) {
            self.restore_title();
        }
        self.finalize_ended();
    }
}
