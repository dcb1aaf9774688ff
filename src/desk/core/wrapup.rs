//! Finished calls: the recent calls, Missed, the wrap-up (After Call Work) and its countdown, and the
//! hand-off of each call's activity to the outbox.

use super::DeskCore;
use crate::config::WrapUpTimeout;
use crate::desk::effect::{Effect, Store};
use crate::desk::intent::Intent;
use crate::phone::call::{Call, EndReason};
use crate::phone::model::AgentState;
use crate::phone::wrapup::{self, Outcome, RecentCall, WrapUp};
use crate::servicenow::activity::Activity;
use crate::strings as t;

impl DeskCore {
    /// Every call that ended goes to the recent calls once; an answered call opens a wrap-up (After Call
    /// Work), or without wrap-ups goes straight to the outbox; a call that rang unanswered while the agent
    /// was Ready makes the agent Missed.
    pub(super) fn finalize_ended(&mut self) {
        if !self.is_owner() {
            return;
        }
        let now = self.now;
        let mut ended: Vec<Call> = Vec::new();
        for c in &self.calls {
            if !c.is_live() && !self.finalized.contains(&c.id) {
                ended.push(c.clone());
            }
        }
        if ended.is_empty() {
            self.retire_calls();
            return;
        }
        for call in ended {
            self.finalized.push(call.id);
            let recent = RecentCall::of(&call, now);
            let outcome = recent.outcome;
            wrapup::remember(&mut self.recents, recent);
            if call.answered_ms.is_some() && !self.settings.wrap_up {
                // No wrap-up: the activity goes straight to the outbox.
                let id = self.new_activity_id();
                let w = WrapUp::of(&call, id, now);
                if let Err(m) = self.queue_activity(&w) {
                    // The outbox is full: the activity waits as a wrap-up instead, with the reason.
                    self.wrapups.push(w);
                    self.emit(Effect::WrapUpError(Some(m)));
                }
            } else {
                let said = if call.answered_ms.is_some() {
                    let id = self.new_activity_id();
                    self.wrapups.push(WrapUp::of(&call, id, now));
                    if self.agent_state != AgentState::AfterCallWork {
                        self.state_before_call = Some(self.agent_state.clone());
                        self.set_agent_state(AgentState::AfterCallWork);
                    }
                    EndReason::HungUp
                } else if outcome == Outcome::Missed && call.note.is_none() && self.agent_state == AgentState::Ready {
                    self.set_agent_state(AgentState::Missed);
                    EndReason::Missed
                } else {
                    continue;
                };
                // One announcement site for both: "Call ended: Ann" / "Missed call: Ann".
                self.announce(crate::text::cat(&[&t::call_ended(&said), ": ", call.party()]));
            }
        }
        self.emit(Effect::Save(Store::Recents));
        self.emit(Effect::Save(Store::WrapUps));
        // Ended calls leave the phone panel once nothing is left to do on them (they are in Recents).
        self.retire_calls();
    }

    /// Hands a finished call's activity to the outbox (stored before the first attempt); Err when the
    /// outbox is full (the caller keeps the wrap-up).
    fn queue_activity(&mut self, w: &WrapUp) -> Result<(), String> {
        let agent = self.agent_name();
        let own = if self.is_sip() { agent.clone() } else { t::DEMO_LINE_NUMBER().to_string() };
        let activity = Activity::from_wrapup(w, &agent, &own, "");
        self.outbox.add(activity, self.now)?;
        self.emit(Effect::Save(Store::Outbox));
        Ok(())
    }

    /// The wrap-up being shown, as edited (here, or in a remote view: then it goes to the owner); the
    /// draft is saved at once.
    pub(super) fn edit_wrapup(&mut self, edited: WrapUp) {
        match self.wrapups.first_mut() {
            Some(first) if first.activity_id == edited.activity_id => *first = edited,
            _ => return,
        }
        self.emit(Effect::WrapUpError(None));
        let shown = self.wrapups[0].clone();
        let store = if self.relay(|| Intent::EditWrapUp(shown)) { Effect::Mirror(Store::WrapUps) } else { Effect::Save(Store::WrapUps) };
        self.emit(store);
    }

    /// Finishes the wrap-up: checks it, hands the activity to the outbox, and (when no other wrap-up waits)
    /// returns the agent to the state held before the call, or Not Ready.
    pub(super) fn submit_wrapup(&mut self) -> Result<(), String> {
        let Some(w) = self.wrapups.first().cloned() else { return Ok(()) };
        if let Err(m) = w.check(&self.settings.dispositions, self.settings.disposition_required) {
            self.emit(Effect::WrapUpError(Some(m.clone())));
            return Err(m);
        }
        // A remote view: the owner writes the activity.
        if self.relay(|| Intent::SubmitWrapUp(Some(w.clone()))) {
            self.submitted.push(w.activity_id.clone());
            if self.submitted.len() > 16 {
                self.submitted.remove(0);
            }
            self.wrapups.clear();
            self.emit(Effect::Mirror(Store::WrapUps));
            self.announce(t::WRAPUP_DONE().into());
            return Ok(());
        }
        if let Err(m) = self.queue_activity(&w) {
            self.emit(Effect::WrapUpError(Some(m.clone())));
            return Err(m);
        }
        self.wrapups.remove(0);
        self.retire_calls();
        self.emit(Effect::Save(Store::WrapUps));
        self.emit(Effect::WrapUpError(None));
        if self.wrapups.is_empty() {
            let prior = self.state_before_call.take().filter(|s| *s != AgentState::AfterCallWork && *s != AgentState::Missed);
            let next = match (self.settings.return_to_previous_state, prior) {
                (true, Some(s)) => s,
                _ => AgentState::NotReady(None),
            };
            if self.agent_state == AgentState::AfterCallWork {
                self.set_agent_state(next);
            }
        }
        self.announce(t::WRAPUP_DONE().into());
        Ok(())
    }

    /// The wrap-up countdown: at zero the wrap-up is completed (when it can be) or marked overdue.
    pub(super) fn wrapup_countdown(&mut self) {
        let (seconds, action) = (self.settings.wrap_up_seconds, self.settings.wrap_up_timeout);
        let Some(left) = self.wrapups.first().and_then(|w| w.remaining_s(self.now, seconds)) else { return };
        if left > 0 {
            return;
        }
        match action {
            WrapUpTimeout::Complete => {
                if self.submit_wrapup().is_err() {
                    self.mark_overdue();
                }
            }
            WrapUpTimeout::Warn => {
                if !self.wrapups.first().map(|w| w.overdue).unwrap_or(true) {
                    self.mark_overdue();
                    self.announce(t::WRAPUP_OVERDUE().into());
                }
            }
        }
    }

    fn mark_overdue(&mut self) {
        if let Some(mut w) = self.wrapups.first().cloned() {
            w.overdue = true;
            self.edit_wrapup(w);
        }
    }
}
