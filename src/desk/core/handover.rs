//! The window group: this window's role, the owner's state shown by the remote views, the packet handed
//! to the next owner of the phone (or saved for a reload), and taking it over.

use super::DeskCore;
use crate::desk::effect::{Effect, Store};
use crate::phone::call::{Call, CallState, EndReason};
use crate::phone::line::{Credentials, LineCommand, LineStatus, Resume};
use crate::phone::model::AgentState;
use crate::phone::wrapup::WrapUp;
use crate::servicenow::outbox::Outbox;
use crate::servicenow::screen_pop::Decision;
use crate::strings as t;
use crate::trust::Role;
use crate::json::{json, Value};

/// What the owner of the phone shows the other windows (its remote views).
#[derive(Clone, Debug, PartialEq)]
pub struct OwnerState {
    pub calls: Vec<Call>,
    pub agent_state: AgentState,
    pub muted: bool,
    pub line: LineStatus,
    /// The wrap-up being shown (a remote view edits and finishes it through the owner).
    pub wrapup: Option<WrapUp>,
    /// Screen pops waiting for the agent (choices and offers).
    pub pops: Vec<(u32, Decision)>,
    /// ServiceNow's configuration record, for a window outside ServiceNow (the pop-out); the shell adds it.
    pub of_config: Option<Value>,
}

/// [`OwnerState::to_json`], from the parts (the owner writes its state from the core as it is, without a copy).
fn state_json(calls: &[Call], agent_state: &AgentState, muted: bool, line: &LineStatus, wrapup: Option<&WrapUp>, pops: &[(u32, Decision)], of_config: &Option<Value>) -> Value {
    // [call, [records as JSON text]] or [call, table, query]; records and the wrap-up as stored (loops, not
    // a collect per chain).
    let mut pop_list = Vec::new();
    for (c, d) in pops {
        match d {
            Decision::Choose(list) => {
                let mut texts = Vec::new();
                for r in list {
                    texts.push(Value::String(crate::json::to_string(r)));
                }
                pop_list.push(Value::Array(vec![Value::from(*c), Value::Array(texts)]));
            }
            Decision::OfferNew { table, query } => pop_list.push(json!([c, table, query])),
            _ => {}
        }
    }
    json!({
        "calls": calls_json(calls, false),
        "agentState": agent_state.key(),
        "muted": muted,
        "line": line.key(),
        "wrapup": wrapup.map(crate::json::to_string),
        "pops": pop_list,
        "ofConfig": of_config,
    })
}

/// The calls read back from JSON (those that cannot be read are left out): one loop for every reader.
#[inline(never)]
fn calls_of(list: &[Value]) -> Vec<Call> {
    let mut calls = Vec::new();
    for v in list {
        if let Some(c) = Call::from_json(v) {
            calls.push(c);
        }
    }
    calls
}

/// The calls as JSON (only the live ones with `live_only`): one loop for the owner's state and the packet.
#[inline(never)]
fn calls_json(calls: &[Call], live_only: bool) -> Value {
    let mut list = Vec::new();
    for c in calls {
        if !live_only || c.is_live() {
            list.push(c.to_json());
        }
    }
    Value::Array(list)
}

impl OwnerState {
    pub fn to_json(&self) -> Value {
        state_json(&self.calls, &self.agent_state, self.muted, &self.line, self.wrapup.as_ref(), &self.pops, &self.of_config)
    }

    /// Reads [`OwnerState::to_json`] back (a message from the owner); None when it is not one. Calls and
    /// pops that cannot be read are left out.
    pub fn from_json(v: &Value) -> Option<OwnerState> {
        let pop = |p: &Value| -> Option<(u32, Decision)> {
            let call = p.get(0)?.as_u64().filter(|n| *n <= u32::MAX as u64)? as u32;
            let d = match (p.get(1)?, p.get(2).and_then(Value::as_str)) {
                (Value::Array(rs), _) => {
                    let mut records = Vec::new();
                    for r in rs {
                        if let Some(r) = r.as_str().and_then(crate::json::from_str) {
                            records.push(r);
                        }
                    }
                    Decision::Choose(records)
                }
                (Value::String(table), Some(query)) => Decision::OfferNew { table: table.clone(), query: query.to_string() },
                _ => return None,
            };
            Some((call, d))
        };
        let mut pops = Vec::new();
        for p in v.get("pops")?.as_array()? {
            if let Some(p) = pop(p) {
                pops.push(p);
            }
        }
        Some(OwnerState {
            calls: calls_of(v.get("calls")?.as_array()?),
            agent_state: AgentState::from_key(v.get("agentState")?.as_str()?)?,
            muted: v.get("muted")?.as_bool()?,
            line: LineStatus::from_key(v.get("line")?.as_str()?),
            wrapup: match v.get("wrapup") {
                None | Some(Value::Null) => None,
                Some(w) => Some(crate::json::from_str(w.as_str()?)?),
            },
            pops,
            of_config: v.get("ofConfig").filter(|c| c.is_object()).cloned(),
        })
    }
}

impl DeskCore {
    pub(super) fn on_role(&mut self, role: Role) {
        self.role = role;
        if role == Role::Unlinked {
            // Nothing of another window's phone is shown or kept here.
            self.calls.clear();
        }
        if matches!(role, Role::Remote | Role::Unlinked) {
            // The owner keeps the wrap-ups and the outbox; this view shows the owner's state.
            self.saved = None;
            self.wrapups.clear();
            self.outbox = Outbox::default();
            self.emit(Effect::Mirror(Store::WrapUps));
            self.emit(Effect::Mirror(Store::Outbox));
            self.emit(Effect::StopSounds);
        }
    }

    /// The state the remote views show (the shell adds the OpenFrame configuration).
    pub fn owner_state(&self) -> OwnerState {
        OwnerState {
            calls: self.calls.clone(),
            agent_state: self.agent_state.clone(),
            muted: self.muted,
            line: self.line_status.clone(),
            wrapup: self.wrapups.first().cloned(),
            pops: self.pops.iter().filter(|(_, d)| matches!(d, Decision::Choose(_) | Decision::OfferNew { .. })).cloned().collect(),
            of_config: None,
        }
    }

    /// [`DeskCore::owner_state`] as the remote views receive it, with ServiceNow's configuration record.
    pub fn owner_state_json(&self, of_config: &Option<Value>) -> Value {
        state_json(&self.calls, &self.agent_state, self.muted, &self.line_status, self.wrapups.first(), &self.pops, of_config)
    }

    /// A remote view: shows the owner's state.
    pub(super) fn apply_owner_state(&mut self, s: OwnerState) {
        // Should this view own the phone later, its own calls get ids after the owner's.
        // Wrapping (as the release always did): another window's call id may be u32::MAX.
        let next = s.calls.iter().map(|c| c.id.wrapping_add(1)).max().unwrap_or(0);
        self.next_call_id = self.next_call_id.max(next);
        self.calls = s.calls;
        self.agent_state = s.agent_state;
        if self.muted != s.muted {
            self.muted = s.muted;
            self.emit(Effect::Icons);
        }
        self.line_status = s.line;
        self.pops = s.pops;
        // The owner's wrap-up; while this view edits it, its own copy is kept (the edits go to the owner).
        let shown = s.wrapup.filter(|w| !self.submitted.contains(&w.activity_id));
        let local = self.wrapups.first().map(|w| w.activity_id.clone());
        match shown {
            None if local.is_some() => self.wrapups.clear(),
            Some(w) if local.as_deref() != Some(w.activity_id.as_str()) => self.wrapups = vec![w],
            _ => return,
        }
        self.emit(Effect::Mirror(Store::WrapUps));
    }

    /// Another window may take the phone now (not while a call is being set up).
    pub fn can_hand_over(&self) -> bool {
        !self.calls.iter().any(|c| matches!(c.state, CallState::Alerting | CallState::Dialing | CallState::Ringing))
    }

    /// What the next owner needs from the desk: the live calls, the agent state, the wrap-ups and the
    /// activities not yet written (the shell adds the line's sign-in and dialogs, and the ServiceNow
    /// sign-in).
    pub fn packet(&self, now: f64) -> Value {
        json!({
            "at": now,
            "calls": calls_json(&self.calls, true),
            "agentState": self.agent_state.key(),
            "before": self.state_before_call.as_ref().map(|s| s.key()),
            "muted": self.muted,
            "nextId": self.next_call_id,
            // As stored (the same text as in localStorage).
            "wrapups": crate::json::to_string(&self.wrapups),
            "outbox": crate::json::to_string(&self.outbox),
        })
    }

    /// The outbox for a packet to another window (or this tab's reload): the copy; this window keeps its
    /// own, marked handed, until the receiver acknowledges it (servicenow::outbox_store).
    pub fn hand_over_outbox(&mut self) -> Outbox {
        let copy = self.outbox.hand_over();
        self.emit(Effect::Save(Store::Outbox));
        copy
    }

    /// The ids of the calls on hold (a call taken over stays on hold).
    pub fn held_calls(&self) -> Vec<u32> {
        let mut held = Vec::new();
        for c in &self.calls {
            if c.state == CallState::Held {
                held.push(c.id);
            }
        }
        held
    }

    /// The state saved before a reload: shown at once; the calls are taken back once this window owns
    /// the phone.
    pub(super) fn restore(&mut self, v: Value) {
        if let Some(s) = v.get("agentState").and_then(Value::as_str).and_then(AgentState::from_key) {
            self.agent_state = s;
        }
        if let Some(m) = v.get("muted").and_then(Value::as_bool) {
            self.muted = m;
        }
        if let Some(list) = v.get("calls").and_then(Value::as_array) {
            self.calls = calls_of(list);
        }
        // Past u32 it is not one we wrote: kept as it is, never cut to a smaller id.
        if let Some(n) = v.get("nextId").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()) {
            self.next_call_id = n;
        }
        self.saved = Some(v);
    }

    /// This window now owns the phone: takes over what the previous owner (or this tab before a reload)
    /// handed over, signs in and takes the calls back.
    pub(super) fn adopt(&mut self, packet: Option<Value>, stored_wrapups: Vec<WrapUp>, stored_outbox: Outbox) {
        // Calls shown by a remote view belong to the owner that had them; calls made before the election
        // (Starting) are this window's own.
        let was_remote = self.role == Role::Remote;
        self.role = Role::Owner;
        // Ended calls shown from the previous owner were wrapped up there.
        for c in &self.calls {
            if !c.is_live() {
                self.finalized.push(c.id);
            }
        }
        let now = self.now;
        let saved = self.saved.take().filter(|p| p.get("at").and_then(Value::as_f64).map(|at| now - at < crate::trust::SECRET_TTL_MS).unwrap_or(false));
        let p = packet.or(saved);
        // The outbox: this window's stored copy (one per deployment and storage partition), activities it
        // queued while still starting, and the outbox handed over (see servicenow::outbox::take_over).
        self.take_outbox(stored_outbox, p.as_ref().and_then(|p| p.get("outbox")).and_then(Value::as_str), was_remote);
        let Some(p) = p else {
            // No packet: the latest drafts and activities are in storage. SIP calls this view showed for
            // an owner that vanished cannot be taken back: they end (and are wrapped up) with that reason.
            self.take_wrapups(stored_wrapups, was_remote);
            if self.is_sip() && was_remote {
                for c in self.calls.iter_mut() {
                    c.end(EndReason::Failed(t::Key::TAKE_BACK_FAILED.into()), now);
                }
                self.after_call_change();
            }
            return;
        };
        if let Some(Some(w)) = p.get("wrapups").and_then(Value::as_str).map(crate::json::from_str::<Vec<WrapUp>>) {
            self.take_wrapups(w, was_remote);
        }
        if let Some(sn) = p.get("sn").and_then(Value::as_str) {
            self.emit(Effect::AdoptSnToken(sn.to_string()));
        }
        // An id past u32 is not one of ours (from another window): ignored, never cut to a smaller one.
        if let Some(n) = p.get("nextId").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()) {
            self.next_call_id = self.next_call_id.max(n);
        }
        self.state_before_call = p.get("before").and_then(Value::as_str).and_then(AgentState::from_key);
        let mut taken: Vec<Call> = p.get("calls").and_then(Value::as_array).map(|l| calls_of(l)).unwrap_or_default();
        let one = |r: &Value| {
            Some(Resume {
                id: u32::try_from(r.get("id")?.as_u64()?).ok()?,
                target: r.get("target")?.as_str()?.to_string(),
                replaces: r.get("replaces")?.as_str()?.to_string(),
                held: r.get("held").and_then(Value::as_bool).unwrap_or(false),
            })
        };
        let mut resume: Vec<Resume> = Vec::new();
        for r in p.get("resume").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            if let Some(r) = one(r) {
                resume.push(r);
            }
        }
        let sip = self.is_sip();
        for c in taken.iter_mut() {
            // A SIP call nobody can take over (still ringing, or no dialog) is lost: say so.
            if sip && !resume.iter().any(|r| r.id == c.id) {
                c.end(EndReason::Failed(t::Key::TAKE_BACK_FAILED.into()), now);
            }
        }
        self.calls.retain(|c| !taken.iter().any(|t| t.id == c.id));
        self.calls.extend(taken);
        // New calls never get the id of a call shown here (the packet's nextId may be missing or refused).
        for c in &self.calls {
            if c.id >= self.next_call_id && c.id < u32::MAX {
                self.next_call_id = c.id + 1;
            }
        }
        if let Some(m) = p.get("muted").and_then(Value::as_bool) {
            self.muted = m;
        }
        if let Some(s) = p.get("agentState").and_then(Value::as_str).and_then(AgentState::from_key) {
            self.agent_state = s;
        }
        if let (true, Some(c)) = (sip, p.get("sip").filter(|c| c.is_object())) {
            let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let creds = Credentials {
                server: text("server"),
                domain: text("domain"),
                user: text("user"),
                password: text("password"),
                ice: {
                    let mut ice = Vec::new();
                    for s in text("ice").split_whitespace() {
                        ice.push(s.to_string());
                    }
                    ice
                },
            };
            self.emit(Effect::SaveSipUser { server: creds.server.clone(), user: creds.user.clone() });
            self.sip_user = Some(creds.user.clone());
            self.emit(Effect::Line(LineCommand::SignIn { creds, resume }));
            // The agent's state comes back once the line is registered again.
            self.state_after_sign_in = Some(self.agent_state.clone());
        }
        self.after_call_change();
        self.last_presence.clear();
        self.publish_presence();
    }

    /// The wrap-ups handed over (or stored), plus those of calls this window ended while it was still
    /// starting (a call taken then must not lose its wrap-up; a remote view's is the previous owner's).
    fn take_wrapups(&mut self, mut w: Vec<WrapUp>, was_remote: bool) {
        if !was_remote {
            let mut own = Vec::new();
            for x in &self.wrapups {
                if !w.iter().any(|y| y.activity_id == x.activity_id) {
                    own.push(x.clone());
                }
            }
            w.append(&mut own);
        }
        self.wrapups = w;
        self.emit(Effect::Save(Store::WrapUps));
    }

    /// Merges the stored outbox, the activities queued while starting and the one handed over (its text;
    /// one that cannot be read is left to the shell, which keeps it aside and does not acknowledge it).
    fn take_outbox(&mut self, stored: Outbox, handed: Option<&str>, was_remote: bool) {
        let mut merged = stored;
        if !was_remote {
            for e in std::mem::take(&mut self.outbox.entries) {
                if !merged.entries.iter().any(|m| m.activity.call_id == e.activity.call_id) && !merged.done.contains(&e.activity.call_id) {
                    merged.entries.push(e);
                }
            }
        }
        merged.take_over(handed.and_then(|t| crate::servicenow::outbox::parse(t).ok()), self.now);
        self.outbox = merged;
        self.emit(Effect::Save(Store::Outbox));
    }
}
