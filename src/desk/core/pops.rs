//! Screen pops: when to look the caller up, and what to do with the answer (open the record and attach
//! it to the call, or keep a choice or an offer for the agent).

use super::DeskCore;
use crate::config::ScreenPopWhen;
use crate::desk::effect::Effect;
use crate::desk::intent::Intent;
use crate::openframe::protocol::{Outgoing, RecordRef};
use crate::servicenow::screen_pop::Decision;

impl DeskCore {
    /// Starts the screen pop for a call, when the settings ask for it at this moment (on alert, or when
    /// the agent answers).
    pub(super) fn maybe_pop(&mut self, call: u32, on_answer: bool) {
        let due = matches!((self.settings.screen_pop, on_answer), (ScreenPopWhen::OnAlert, false) | (ScreenPopWhen::OnAnswer, true));
        if !due {
            return;
        }
        let Some((number, headers)) = self.call(call).map(|c| (c.number.clone(), c.x_headers.clone())) else { return };
        self.emit(Effect::ScreenPop { call, number, headers });
    }

    /// A screen-pop decision for a call.
    pub(super) fn pop_decided(&mut self, call: u32, d: Decision) {
        match d {
            Decision::Open(r) => {
                self.update_call(call, |c| {
                    if c.record.is_none() {
                        c.record = Some(r.clone())
                    }
                });
                self.open_record(&r);
            }
            Decision::Cancel => {}
            other => {
                self.forget_pop(call);
                self.pops.push((call, other));
            }
        }
    }

    /// Ended calls leave the phone panel ([`crate::phone::panel::retire`]), and with them the screen-pop
    /// choices the agent did not pick: a choice is shown on its call's card only, and one kept for a call
    /// that is gone would stay for the page's life (issue #16: one per such call, in memory and in every
    /// state message of the window group).
    pub(super) fn retire_calls(&mut self) {
        crate::phone::panel::retire(&mut self.calls, &self.wrapups, &mut self.finalized);
        self.prune_pops();
    }

    /// Keeps only the screen pops of calls still shown (one copy for clearing and retiring calls).
    #[inline(never)]
    pub(super) fn prune_pops(&mut self) {
        let calls = &self.calls;
        self.pops.retain(|(c, _)| calls.iter().any(|x| x.id == *c));
    }

    /// Drops the screen pop kept for a call (one copy for every site).
    #[inline(never)]
    fn forget_pop(&mut self, call: u32) {
        self.pops.retain(|(c, _)| *c != call);
    }

    /// Opens a record's form in ServiceNow.
    pub(super) fn open_record(&mut self, record: &RecordRef) {
        self.publish(Outgoing::OpenForm { entity: record.entity.clone(), query: record.form_query(), interaction_sys_id: None });
    }

    /// The agent chose a record from a screen-pop choice.
    pub(super) fn choose_pop(&mut self, call: u32, r: RecordRef) {
        if self.relay(|| Intent::ChoosePop { call, record: r.clone() }) {
            return;
        }
        self.forget_pop(call);
        self.update_call(call, |c| c.record = Some(r.clone()));
        self.open_record(&r);
    }

    /// Opens a new record form prefilled for the caller (the screen pop found nobody).
    pub(super) fn open_new(&mut self, call: u32, table: &str, query: &str) {
        if self.relay(|| Intent::OpenNew { call, table: table.into(), query: query.into() }) {
            return;
        }
        self.forget_pop(call);
        self.publish(Outgoing::OpenForm { entity: table.into(), query: query.into(), interaction_sys_id: None });
    }
}
