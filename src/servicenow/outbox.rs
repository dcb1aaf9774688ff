//! The outbox: every activity is written to ServiceNow once, never lost and never doubled (pure).
//!
//! - Durable: the browser edge stores it (one copy per browser profile, storage partition and deployment,
//!   see [`crate::servicenow::outbox_store`]) before the first attempt and after every change; only the
//!   window that owns the phone delivers, and writes that copy.
//! - Independent entries: one request is in flight at a time, but an entry that waits (backoff,
//!   `Retry-After`) or is stuck never holds back the others (no head-of-line block).
//! - Never resend blind: a write whose outcome is unknown (timeout, dropped connection, any 5xx, a 429/503,
//!   a reload or a hand-over while it was in flight) marks the entry [`State::Unsure`]; it is looked up by
//!   its call id before any resend. An entry carries `sent` (a write may have reached ServiceNow) until a
//!   look-up proves it absent.
//! - Stuck entries (a refusal, a look-up refused, too many failed attempts in a row) stop and are shown to
//!   the agent with the reason; the agent retries (through the look-up when it may have been written) or
//!   discards them (their call ids are remembered, so a stale copy is never written again).
//! - Hand-over between windows: the sender keeps its copy, marked `handed`, until the receiver
//!   acknowledges it; a copy that comes back into use without that acknowledgement is looked up first.
//! - A 401 pauses delivery until this window has a sign-in again; the pause is the window's, not the
//!   outbox's (a window that takes the outbox over while signed in delivers at once).

use super::activity::Activity;
use crate::json::{json, FromJson, ToJson, Value};
use crate::strings::{Key as K, Msg};

pub const BASE_BACKOFF_MS: f64 = 2_000.0;
pub const MAX_BACKOFF_MS: f64 = 300_000.0;
/// At most this many activities wait or stay refused (each is an agent's notes: kept until ServiceNow takes
/// it or the agent dismisses a refused one). A new one beyond that is refused with a message, and its
/// wrap-up stays on screen, so storage cannot fill up and nothing is dropped silently.
pub const MAX_KEPT: usize = 50;
/// After this many attempts in a row that settled nothing (unknown outcomes, failed look-ups), an entry
/// is stuck: shown to the agent with the last reason, and retried only when the agent asks.
pub const STUCK_AFTER: u32 = 8;
/// How many delivered or discarded call ids are remembered (a stale copy of one is never written again).
pub const MAX_DONE: usize = 500;
/// A stored or handed-over outbox is read only up to this size (bytes of JSON) and this many entries.
pub const MAX_TEXT: usize = 1024 * 1024;
pub const MAX_ENTRIES: usize = 4 * MAX_KEPT;
/// An entry that was in flight in another window (or before a reload) is looked up only this long after:
/// the request it sent may still be on its way (the REST timeout is 10 s), and a look-up before it lands
/// would find nothing and send it again.
pub const SETTLE_MS: f64 = 12_000.0;

#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// Waiting for its turn (or its backoff).
    Pending,
    /// A request is on its way (stored: a window that finds it so after a reload or a crash looks it up).
    InFlight,
    /// The last attempt's outcome is unknown: look it up before sending again.
    Unsure,
    /// ServiceNow confirmed it.
    Delivered,
    /// Stuck: ServiceNow refused it, refused the look-up, or it failed too often; the text says why. Kept
    /// for the agent to retry or discard (nothing is silently dropped).
    Refused(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub activity: Activity,
    pub state: State,
    pub attempts: u32,
    pub next_at: f64,
    pub last_error: Option<String>,
    /// The activity's target was settled when it was first sent (a later `activityTables` change cannot move it).
    pub resolved: bool,
    /// A write of it may have reached ServiceNow: it is looked up before it is sent again. An entry stored
    /// by an older version (without the field) counts as sent.
    pub sent: bool,
    /// Handed to another window that has not acknowledged it yet.
    pub handed: bool,
}

/// What the edge must do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Write this activity.
    Send(String),
    /// Ask ServiceNow whether this call id was already written.
    Verify(String),
}

/// The outcome of a write.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Delivered,
    /// 429 / 503, with the Retry-After seconds when given: waited for, then looked up (a 503 may come
    /// after the change was saved).
    RetryAfter(Option<f64>),
    /// The request may or may not have changed ServiceNow (timeout, connection dropped, any 5xx).
    Ambiguous(String),
    /// 401: the token expired; nothing was written. Wait for a sign-in.
    Unauthorized,
    /// 400 / 403 / 404, or a write that did not stick: retrying will not help until someone acts.
    Refused(String),
}

/// The outcome of a look-up by call id.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    Yes,
    No,
    /// The look-up failed for now (network, 5xx, 429): try again later.
    Unknown(String),
    /// The look-up was refused (403...): the agent must check the record.
    Refused(String),
    /// 401: wait for a sign-in.
    Unauthorized,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outbox {
    pub entries: Vec<Entry>,
    pub paused_for_sign_in: bool,
    /// Call ids delivered or discarded (newest last, at most [`MAX_DONE`]).
    pub done: Vec<String>,
}

/// Stored as serde wrote it: a state without text as its name (`"Pending"`), `Refused` as `{"Refused": why}`.
impl ToJson for State {
    fn to_json(&self) -> Value {
        Value::from(match self {
            State::Pending => "Pending",
            State::InFlight => "InFlight",
            State::Unsure => "Unsure",
            State::Delivered => "Delivered",
            State::Refused(why) => return json!({"Refused": why}),
        })
    }
}

impl FromJson for State {
    fn from_json(v: &Value) -> Option<State> {
        Some(match v {
            Value::String(s) => match s.as_str() {
                "Pending" => State::Pending,
                "InFlight" => State::InFlight,
                "Unsure" => State::Unsure,
                "Delivered" => State::Delivered,
                _ => return None,
            },
            Value::Object(o) if o.len() == 1 => State::Refused(o.get("Refused")?.as_str()?.to_string()),
            _ => return None,
        })
    }
}

impl ToJson for Entry {
    fn to_json(&self) -> Value {
        json!({"activity": self.activity, "state": self.state, "attempts": self.attempts, "next_at": self.next_at,
            "last_error": self.last_error, "resolved": self.resolved, "sent": self.sent, "handed": self.handed})
    }
}

/// A flag missing from an entry stored by an older version: `resolved` and `handed` false, `sent` true.
fn flag(v: &Value, k: &str, missing: bool) -> Option<bool> {
    match v.get(k) {
        None => Some(missing),
        Some(b) => b.as_bool(),
    }
}

impl FromJson for Entry {
    fn from_json(v: &Value) -> Option<Entry> {
        Some(Entry {
            activity: Activity::from_json(v.get("activity")?)?,
            state: State::from_json(v.get("state")?)?,
            attempts: u32::try_from(v.get("attempts")?.as_u64()?).ok()?,
            next_at: v.get("next_at")?.as_f64()?,
            last_error: crate::openframe::protocol::opt_string(v, "last_error")?,
            resolved: flag(v, "resolved", false)?,
            sent: flag(v, "sent", true)?,
            handed: flag(v, "handed", false)?,
        })
    }
}

impl ToJson for Outbox {
    fn to_json(&self) -> Value {
        json!({"entries": self.entries, "paused_for_sign_in": self.paused_for_sign_in, "done": self.done})
    }
}

impl FromJson for Outbox {
    fn from_json(v: &Value) -> Option<Outbox> {
        Some(Outbox {
            entries: Vec::from_json(v.get("entries")?)?,
            paused_for_sign_in: flag(v, "paused_for_sign_in", false)?,
            done: match v.get("done") {
                None => Vec::new(),
                Some(d) => Vec::from_json(d)?,
            },
        })
    }
}

fn backoff(attempts: u32) -> f64 {
    (BASE_BACKOFF_MS * 2f64.powi(attempts.saturating_sub(1).min(20) as i32)).min(MAX_BACKOFF_MS)
}

/// Reads a stored or handed-over outbox; Err says why it cannot be used (the text is then kept aside).
pub fn parse(text: &str) -> Result<Outbox, String> {
    if text.len() > MAX_TEXT {
        return Err(K::STORED_TOO_BIG.arg("n", &text.len()).arg("max", &MAX_TEXT).render());
    }
    let v = crate::json::parse(text).map_err(|e| crate::stored::not_json(&e))?;
    let o = Outbox::from_json(&v).ok_or_else(|| Msg::from(K::STORED_NOT_OUTBOX).render())?;
    if o.entries.len() > MAX_ENTRIES {
        return Err(K::STORED_TOO_MANY.arg("n", &o.entries.len()).arg("max", &MAX_ENTRIES).render());
    }
    let bad = |s: &str| s.is_empty() || s.len() > 200 || s.chars().any(char::is_control);
    if let Some(e) = o.entries.iter().find(|e| bad(&e.activity.call_id)) {
        return Err(K::STORED_BAD_CALL_ID.arg("n", &e.activity.call_id.len()).render());
    }
    Ok(o)
}

impl Outbox {
    /// Adds an activity (once: a second add of the same call id, or of one already delivered, is ignored
    /// and returns false). Refused with a message the agent can act on when [`MAX_KEPT`] activities already
    /// wait or were refused.
    pub fn add(&mut self, activity: Activity, now: f64) -> Result<bool, String> {
        if self.entries.iter().any(|e| e.activity.call_id == activity.call_id) || self.done.contains(&activity.call_id) {
            return Ok(false);
        }
        let kept = self.entries.iter().filter(|e| e.state != State::Delivered).count();
        if kept >= MAX_KEPT {
            let refused = self.entries.iter().filter(|e| matches!(e.state, State::Refused(_))).count();
            return Err(crate::strings::outbox_full(MAX_KEPT, refused).render());
        }
        self.entries.push(Entry { activity, state: State::Pending, attempts: 0, next_at: now, last_error: None, resolved: false, sent: false, handed: false });
        Ok(true)
    }

    fn remember(&mut self, id: &str) {
        if !self.done.iter().any(|d| d == id) {
            self.done.push(id.to_string());
        }
        let over = self.done.len().saturating_sub(MAX_DONE);
        self.done.drain(..over);
    }

    /// The agent discards a stuck activity (after confirming, with its notes shown to copy). Only stuck
    /// ones can go; its call id is remembered so no stale copy writes it later.
    pub fn dismiss(&mut self, id: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| !(e.activity.call_id == id && matches!(e.state, State::Refused(_))));
        let gone = self.entries.len() != before;
        if gone {
            self.remember(id);
        }
        gone
    }

    /// The agent retries a stuck activity: at once, through the look-up when it may have been written.
    pub fn retry(&mut self, id: &str, now: f64) -> bool {
        let Some(e) = self.entry(id).filter(|e| matches!(e.state, State::Refused(_))) else { return false };
        e.state = if e.sent { State::Unsure } else { State::Pending };
        e.attempts = 0;
        e.next_at = now;
        e.last_error = None;
        true
    }

    /// After a reload, a crash or a hand-over: anything that was in flight, or handed to a window that did
    /// not acknowledge it, may have been written: it is looked up before any resend.
    pub fn recover(&mut self, now: f64) {
        for e in &mut self.entries {
            if e.state == State::InFlight {
                e.next_at = now + SETTLE_MS;
            }
            if e.state == State::InFlight || (e.handed && matches!(e.state, State::Pending | State::Unsure)) {
                e.state = State::Unsure;
                e.sent = true;
            }
            if e.handed {
                e.sent = true;
                e.handed = false;
            }
        }
    }

    pub fn pending(&self) -> usize {
        self.entries.iter().filter(|e| !matches!(e.state, State::Delivered | State::Refused(_))).count()
    }

    /// The stuck entries: call id, caller, reason and the agent's notes.
    pub fn stuck(&self) -> Vec<(String, String, String, String)> {
        let mut out = Vec::new();
        for e in &self.entries {
            if let State::Refused(m) = &e.state {
                out.push((e.activity.call_id.clone(), e.activity.caller.clone(), m.clone(), e.activity.notes.clone()));
            }
        }
        out
    }

    /// The next step, if one is due: one request at a time; the first entry that is due goes, whatever
    /// waits before it. `signed_in`: this window has a sign-in now (a pause for sign-in ends).
    pub fn next(&mut self, now: f64, signed_in: bool) -> Option<Step> {
        if signed_in {
            self.paused_for_sign_in = false;
        }
        if self.paused_for_sign_in || self.entries.iter().any(|e| e.state == State::InFlight) {
            return None;
        }
        let e = self.entries.iter_mut().find(|e| matches!(e.state, State::Pending | State::Unsure) && e.next_at <= now)?;
        let step = if e.state == State::Unsure || e.sent || e.handed { Step::Verify(e.activity.call_id.clone()) } else { Step::Send(e.activity.call_id.clone()) };
        if matches!(step, Step::Send(_)) {
            e.sent = true;
        }
        e.state = State::InFlight;
        // Saturating: a stored or handed-over count may be anything up to u32::MAX.
        e.attempts = e.attempts.saturating_add(1);
        Some(step)
    }

    /// The activity to write or look up for `id`: its target is settled by `settle` the first time and kept.
    pub fn settled(&mut self, id: &str, settle: impl FnOnce(&Activity) -> Activity) -> Option<Activity> {
        let e = self.entry(id)?;
        if !e.resolved {
            e.activity = settle(&e.activity);
            e.resolved = true;
        }
        Some(e.activity.clone())
    }

    fn entry(&mut self, id: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.activity.call_id == id)
    }

    /// Unknown again: wait, or stop for the agent after [`STUCK_AFTER`] attempts in a row.
    fn unsure(e: &mut Entry, m: String, wait: f64, now: f64) {
        e.state = if e.attempts >= STUCK_AFTER { State::Refused(crate::strings::outbox_stuck(e.attempts, &m).render()) } else { State::Unsure };
        e.next_at = now + wait;
        e.last_error = Some(m);
    }

    /// The result of a [`Step::Send`].
    pub fn on_sent(&mut self, id: &str, outcome: Outcome, now: f64) {
        let mut pause = false;
        let Some(e) = self.entry(id) else { return };
        if e.state != State::InFlight {
            return;
        }
        match outcome {
            Outcome::Delivered => {
                e.state = State::Delivered;
                e.last_error = None;
            }
            Outcome::RetryAfter(secs) => {
                let wait = secs.map(|s| s * 1000.0).unwrap_or_else(|| backoff(e.attempts)).min(MAX_BACKOFF_MS * 4.0);
                // Never stuck for being asked to wait.
                e.attempts = e.attempts.min(STUCK_AFTER - 1);
                Self::unsure(e, crate::strings::SN_RATE_LIMITED().into(), wait, now);
            }
            Outcome::Ambiguous(m) => {
                let wait = backoff(e.attempts);
                Self::unsure(e, m, wait, now);
            }
            Outcome::Unauthorized => {
                // Refused before anything was done.
                e.state = State::Pending;
                e.sent = false;
                e.next_at = now;
                e.attempts = e.attempts.saturating_sub(1);
                e.last_error = Some(crate::strings::SN_WAITING_SIGN_IN().into());
                pause = true;
            }
            Outcome::Refused(m) => {
                e.state = State::Refused(m.clone());
                e.last_error = Some(m);
            }
        }
        if pause {
            self.paused_for_sign_in = true;
        }
    }

    /// The result of a [`Step::Verify`].
    pub fn on_verified(&mut self, id: &str, found: Found, now: f64) {
        let mut pause = false;
        let Some(e) = self.entry(id) else { return };
        if e.state != State::InFlight {
            return;
        }
        match found {
            Found::Yes => {
                e.state = State::Delivered;
                e.last_error = None;
            }
            Found::No => {
                e.state = State::Pending;
                e.sent = false;
                e.next_at = now;
            }
            Found::Unknown(m) => {
                let wait = backoff(e.attempts);
                Self::unsure(e, m, wait, now);
            }
            Found::Refused(m) => {
                e.state = State::Refused(m.clone());
                e.last_error = Some(m);
            }
            Found::Unauthorized => {
                e.state = State::Unsure;
                e.next_at = now;
                e.attempts = e.attempts.saturating_sub(1);
                e.last_error = Some(crate::strings::SN_WAITING_SIGN_IN().into());
                pause = true;
            }
        }
        if pause {
            self.paused_for_sign_in = true;
        }
    }

    /// The agent signed in again.
    pub fn resume(&mut self) {
        self.paused_for_sign_in = false;
    }

    /// Drops delivered entries, remembering their call ids (keeps the refused ones for the agent to see).
    pub fn compact(&mut self) {
        let mut i = 0;
        while i < self.entries.len() {
            if self.entries[i].state == State::Delivered {
                let e = self.entries.remove(i);
                self.remember(&e.activity.call_id);
            } else {
                i += 1;
            }
        }
    }

    /// Gives the outbox to another window: returns the copy for the packet and keeps this one marked as
    /// handed (until [`Outbox::acknowledged`]; a copy used again without it is looked up first).
    pub fn hand_over(&mut self) -> Outbox {
        self.compact();
        let copy = Outbox { entries: self.entries.clone(), paused_for_sign_in: false, done: self.done.clone() };
        for e in &mut self.entries {
            e.handed = true;
        }
        copy
    }

    /// The receiver stored these call ids: the handed copies of them are forgotten. Returns whether
    /// anything changed.
    pub fn acknowledged(&mut self, ids: &[String]) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| !(e.handed && ids.contains(&e.activity.call_id)));
        self.entries.len() != before
    }

    /// This window takes the phone: its stored copy (`self`, plus any activity added before the election)
    /// is merged with the outbox handed over, if any. The handed-over entries are the previous owner's
    /// latest view and win over stored copies; a call id this window already delivered or discarded is
    /// not taken again. Nothing the packet says can drop one of this window's entries: a stored entry the
    /// packet calls delivered is looked up instead. The pause for sign-in stays with the window.
    pub fn take_over(&mut self, incoming: Option<Outbox>, now: f64) {
        self.recover(now);
        self.paused_for_sign_in = false;
        let Some(inc) = incoming else { return };
        for mut e in inc.entries {
            let id = e.activity.call_id.clone();
            if self.done.contains(&id) {
                continue;
            }
            e.handed = false;
            if e.state == State::InFlight {
                e.next_at = now + SETTLE_MS;
            }
            if matches!(e.state, State::InFlight | State::Delivered) {
                e.state = State::Unsure;
                e.sent = true;
            }
            match self.entry(&id) {
                Some(mine) => {
                    // An extra look-up never hurts: sent if either copy says so.
                    e.sent |= mine.sent;
                    *mine = e;
                }
                None => self.entries.push(e),
            }
        }
        for id in &inc.done {
            if let Some(mine) = self.entry(id) {
                if matches!(mine.state, State::Pending | State::Unsure) {
                    mine.state = State::Unsure;
                    mine.sent = true;
                }
            }
        }
    }

    /// The call ids an acknowledgement of this outbox names.
    pub fn ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for e in &self.entries {
            ids.push(e.activity.call_id.clone());
        }
        ids
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn hostile_changed_activity_tables_do_not_move_a_sent_activity() {
        use crate::openframe::protocol::RecordRef;
        let case = RecordRef { entity: "sn_customerservice_case".into(), sys_id: Some("ca5e0000000000000000000000000001".into()), ..Default::default() };
        let mut o = Outbox::default();
        o.add(Activity { record: Some(case.clone()), ..act("a") }, 0.0).unwrap();
        let first = o.settled("a", |a| crate::servicenow::activity::within(a, &["sn_customerservice_case".into()])).unwrap();
        assert_eq!(first.record, Some(case.clone()));
        // The admin changes the tables before the retry: the activity is not written somewhere else (or again).
        let again = o.settled("a", |a| crate::servicenow::activity::within(a, &["incident".into()])).unwrap();
        assert_eq!(again.record, Some(case));
        // An activity first sent with no allowed record stays without one.
        o.add(Activity { record: Some(RecordRef { entity: "incident".into(), ..first.record.clone().unwrap() }), ..act("b") }, 0.0).unwrap();
        assert_eq!(o.settled("b", |a| crate::servicenow::activity::within(a, &[])).unwrap().record, None);
        assert_eq!(o.settled("b", |a| crate::servicenow::activity::within(a, &["incident".into()])).unwrap().record, None);
    }

    pub(crate) fn act(id: &str) -> Activity {
        Activity {
            call_id: id.into(),
            call_type: "Inbound".into(),
            caller: "+1".into(),
            dialled: "1".into(),
            start_ms: 0.0,
            end_ms: 1.0,
            talk_ms: 1.0,
            hold_ms: 0.0,
            agent: "a".into(),
            queue: String::new(),
            transfers: vec![],
            disposition: String::new(),
            notes: String::new(),
            record: None,
        }
    }

    fn with(ids: &[&str]) -> Outbox {
        let mut o = Outbox::default();
        for id in ids {
            o.add(act(id), 0.0).unwrap();
        }
        o
    }

    fn state(o: &Outbox, id: &str) -> State {
        o.entries.iter().find(|e| e.activity.call_id == id).map(|e| e.state.clone()).unwrap()
    }

    #[test]
    fn one_at_a_time_and_deduplicated() {
        let mut o = with(&["a", "b"]);
        assert_eq!(o.add(act("a"), 0.0), Ok(false), "the same call id is written once");
        assert_eq!(o.next(0.0, true), Some(Step::Send("a".into())));
        assert_eq!(o.next(0.0, true), None, "one in flight at a time");
        o.on_sent("a", Outcome::Delivered, 1.0);
        assert_eq!(o.next(1.0, true), Some(Step::Send("b".into())));
        o.on_sent("b", Outcome::Delivered, 2.0);
        assert_eq!(o.pending(), 0);
        o.compact();
        assert!(o.entries.is_empty());
        assert_eq!(o.add(act("a"), 3.0), Ok(false), "a delivered call id is not taken again");
    }

    #[test]
    fn retries_back_off_and_respect_retry_after_then_look_up() {
        let mut o = with(&["a"]);
        o.next(0.0, true);
        o.on_sent("a", Outcome::Ambiguous("HTTP 500".into()), 0.0);
        assert_eq!(o.next(1_999.0, true), None);
        assert_eq!(o.next(2_000.0, true), Some(Step::Verify("a".into())));
        o.on_verified("a", Found::Unknown("HTTP 502".into()), 2_000.0);
        assert_eq!(o.next(5_999.0, true), None, "doubling: 4 s after the second failure");
        assert_eq!(o.next(6_000.0, true), Some(Step::Verify("a".into())));
        o.on_verified("a", Found::No, 6_000.0);
        assert_eq!(o.next(6_000.0, true), Some(Step::Send("a".into())), "proved absent: sent again");
        o.on_sent("a", Outcome::RetryAfter(Some(30.0)), 6_000.0);
        assert_eq!(o.next(35_999.0, true), None, "Retry-After is honoured");
        assert_eq!(o.next(36_000.0, true), Some(Step::Verify("a".into())), "a 503 may come after the change was saved");
        o.on_verified("a", Found::Yes, 36_001.0);
        assert_eq!(state(&o, "a"), State::Delivered);
    }

    /// Item 4: timeouts, dropped connections, any 5xx and a 429/503 on a write are all looked up first.
    #[test]
    fn every_unknown_outcome_is_looked_up_before_any_resend() {
        for outcome in [Outcome::Ambiguous("timeout".into()), Outcome::Ambiguous("502 Bad Gateway".into()), Outcome::RetryAfter(None), Outcome::RetryAfter(Some(1.0))] {
            let mut o = with(&["a"]);
            assert_eq!(o.next(0.0, true), Some(Step::Send("a".into())));
            o.on_sent("a", outcome.clone(), 0.0);
            assert_eq!(o.next(1e9, true), Some(Step::Verify("a".into())), "{outcome:?}");
            o.on_verified("a", Found::Yes, 1e9);
            assert_eq!(state(&o, "a"), State::Delivered, "{outcome:?}: it had arrived, not written twice");
        }
    }

    /// Item 2: an entry waiting for its backoff does not hold back the next one.
    #[test]
    fn a_waiting_entry_does_not_block_the_others() {
        let mut o = with(&["a", "b"]);
        o.next(0.0, true);
        o.on_sent("a", Outcome::Ambiguous("dropped".into()), 0.0);
        assert_eq!(o.next(1.0, true), Some(Step::Send("b".into())), "no head-of-line block");
        o.on_sent("b", Outcome::Delivered, 2.0);
        assert_eq!(o.next(2_000.0, true), Some(Step::Verify("a".into())));
    }

    /// Item 2: a look-up refused (403) ends stuck, shown with its reason; the rest flow; the agent retries
    /// (through the look-up again) or discards it.
    #[test]
    fn a_stuck_entry_is_shown_with_its_reason_retried_or_discarded_and_the_rest_flow() {
        let mut o = with(&["a", "b"]);
        o.next(0.0, true);
        o.on_sent("a", Outcome::Ambiguous("dropped".into()), 0.0);
        assert_eq!(o.next(1.0, true), Some(Step::Send("b".into())));
        o.on_sent("b", Outcome::Delivered, 1.0);
        assert_eq!(o.next(5_000.0, true), Some(Step::Verify("a".into())));
        o.on_verified("a", Found::Refused("403 ACL".into()), 5_000.0);
        assert_eq!(o.stuck().len(), 1);
        assert_eq!(o.stuck()[0].2, "403 ACL");
        assert_eq!(o.pending(), 0);
        o.add(act("c"), 5_000.0).unwrap();
        assert_eq!(o.next(5_000.0, true), Some(Step::Send("c".into())), "the rest flow");
        o.on_sent("c", Outcome::Delivered, 5_001.0);
        // Retried: looked up again (it may have been written), never resent blind.
        assert!(o.retry("a", 6_000.0));
        assert_eq!(o.next(6_000.0, true), Some(Step::Verify("a".into())));
        o.on_verified("a", Found::Refused("403 ACL".into()), 6_000.0);
        // Discarded: gone, and its call id is remembered.
        assert!(o.dismiss("a"));
        o.compact();
        assert!(o.entries.is_empty());
        assert_eq!(o.add(act("a"), 7_000.0), Ok(false));
        assert!(!o.retry("nothing", 0.0));
    }

    #[test]
    fn persistent_failures_end_stuck_instead_of_forever() {
        let mut o = with(&["a"]);
        let mut t = 0.0;
        o.next(t, true);
        o.on_sent("a", Outcome::Ambiguous("504".into()), t);
        for _ in 1..STUCK_AFTER {
            t += MAX_BACKOFF_MS;
            assert_eq!(o.next(t, true), Some(Step::Verify("a".into())));
            o.on_verified("a", Found::Unknown("HTTP 504".into()), t);
        }
        let stuck = o.stuck();
        assert_eq!(stuck.len(), 1, "{:?}", o.entries);
        assert!(stuck[0].2.contains("HTTP 504") && stuck[0].2.contains(&STUCK_AFTER.to_string()), "{}", stuck[0].2);
        assert_eq!(o.next(t + 1e9, true), None, "waits for the agent");
    }

    #[test]
    fn reload_mid_flight_is_looked_up_once_it_settled_and_sign_in_pauses() {
        let mut o = with(&["a"]);
        o.next(0.0, true);
        let saved = crate::json::to_string(&o);
        let mut again = parse(&saved).unwrap();
        again.take_over(None, 1_000.0);
        assert_eq!(again.next(1_000.0, true), None, "the request may still be on its way");
        assert_eq!(again.next(1_000.0 + SETTLE_MS, true), Some(Step::Verify("a".into())), "in flight at the reload: look it up first");
        again.on_verified("a", Found::Unauthorized, 20_000.0);
        assert_eq!(again.next(20_001.0, false), None, "paused until this window signs in");
        assert_eq!(again.next(20_002.0, true), Some(Step::Verify("a".into())));
        again.on_verified("a", Found::No, 20_003.0);
        assert_eq!(again.next(20_003.0, true), Some(Step::Send("a".into())));
        again.on_sent("a", Outcome::Refused("403: the role sn_openframe_user is missing".into()), 20_004.0);
        assert_eq!(again.pending(), 0);
        again.compact();
        assert_eq!(again.entries.len(), 1, "refused entries stay visible");
    }

    /// Item 3: the pause belongs to the window that lost its sign-in, not to the outbox it hands over.
    #[test]
    fn a_paused_outbox_resumes_in_a_window_that_is_signed_in() {
        let mut o = with(&["a"]);
        o.next(0.0, true);
        o.on_sent("a", Outcome::Unauthorized, 0.0);
        assert!(o.paused_for_sign_in);
        assert_eq!(o.next(1.0, false), None);
        // Handed to a window that is signed in: it delivers without anyone clicking.
        let mut other = Outbox::default();
        other.take_over(Some(o.hand_over()), 2.0);
        assert_eq!(other.next(2.0, true), Some(Step::Send("a".into())));
        // The same window, once it has a sign-in again (however it got it).
        assert_eq!(o.next(3.0, true), Some(Step::Verify("a".into())), "this copy was handed over: looked up at most");
        let mut p = with(&["b"]);
        p.paused_for_sign_in = true;
        assert_eq!(p.next(3.0, true), Some(Step::Send("b".into())));
    }

    /// Item 1: the sender's copy of an outbox it handed over is never written again without the look-up,
    /// and is forgotten once the receiver acknowledges it.
    #[test]
    fn hostile_a_stale_handed_over_copy_is_looked_up_never_resent() {
        let mut frame = with(&["a", "b"]);
        let packet = frame.hand_over();
        // The pop-out writes both.
        let mut popout = Outbox::default();
        popout.take_over(Some(packet), 0.0);
        for _ in 0..2 {
            let Some(Step::Send(id)) = popout.next(0.0, true) else { panic!("send") };
            popout.on_sent(&id, Outcome::Delivered, 0.0);
        }
        // Later a reloaded ServiceNow tab takes the phone with the frame's stored copy and no packet.
        let mut stale = parse(&crate::json::to_string(&frame)).unwrap();
        stale.take_over(None, 10.0);
        assert_eq!(stale.next(10.0, true), Some(Step::Verify("a".into())), "looked up, not written again");
        stale.on_verified("a", Found::Yes, 11.0);
        assert_eq!(stale.next(11.0, true), Some(Step::Verify("b".into())));
    }

    #[test]
    fn an_acknowledged_hand_over_is_forgotten_by_the_sender_and_kept_until_then() {
        let mut frame = with(&["a", "b"]);
        let packet = frame.hand_over();
        assert_eq!(frame.entries.len(), 2, "kept until the receiver says it has it");
        assert!(frame.entries.iter().all(|e| e.handed));
        assert_eq!(frame.next(0.0, true), Some(Step::Verify("a".into())), "the sender itself would only look it up");
        let mut frame = with(&["a", "b"]);
        frame.hand_over();
        assert!(frame.acknowledged(&packet.ids()[..1]));
        assert_eq!(frame.ids(), vec!["b".to_string()]);
        // An activity added after taking the phone back is not touched by a late acknowledgement.
        let mut back = with(&["c"]);
        assert!(!back.acknowledged(&["c".into()]));
    }

    #[test]
    fn merging_takes_the_newer_state_and_skips_what_this_window_delivered() {
        let mut mine = with(&["a", "b"]);
        let mut sender = with(&["b", "c"]);
        sender.next(0.0, true);
        sender.on_sent("b", Outcome::Ambiguous("x".into()), 0.0);
        mine.next(0.0, true);
        mine.on_sent("a", Outcome::Delivered, 0.0);
        mine.compact();
        mine.take_over(Some(sender.hand_over()), 1.0);
        assert_eq!(mine.ids(), vec!["b".to_string(), "c".to_string()]);
        assert_eq!(state(&mine, "b"), State::Unsure);
        // A packet holding "a" again (delivered here) does not bring it back.
        let mut again = with(&["a"]);
        mine.take_over(Some(again.hand_over()), 2.0);
        assert!(!mine.ids().contains(&"a".to_string()));
    }

    /// A forged or confused packet cannot make this window drop or skip one of its activities: what it
    /// calls delivered is looked up.
    #[test]
    fn hostile_a_forged_packet_cannot_drop_an_activity() {
        let mut mine = with(&["a", "b"]);
        let forged = Outbox {
            entries: vec![Entry { state: State::Delivered, ..with(&["b"]).entries.remove(0) }],
            paused_for_sign_in: true,
            done: vec!["a".into()],
        };
        mine.take_over(Some(forged), 0.0);
        assert_eq!(mine.entries.len(), 2, "nothing dropped");
        assert_eq!(mine.next(0.0, true), Some(Step::Verify("a".into())));
        mine.on_verified("a", Found::No, 0.0);
        assert_eq!(mine.next(0.0, true), Some(Step::Send("a".into())), "written when the look-up says it is not there");
        mine.on_sent("a", Outcome::Delivered, 0.0);
        assert_eq!(mine.next(0.0, true), Some(Step::Verify("b".into())));
        assert!(!mine.paused_for_sign_in, "the packet's pause is not adopted");
        assert!(!mine.done.contains(&"b".to_string()), "its done list is not adopted");
    }

    /// An outbox stored by an older version (no `sent`, `handed` or `done`): its entries are looked up
    /// before they are written.
    #[test]
    fn hostile_an_outbox_stored_by_an_older_version_is_looked_up_first() {
        let old = r#"{"entries":[{"activity":{"call_id":"old-1","call_type":"Inbound","caller":"+1","dialled":"1","start_ms":0,"end_ms":1,"talk_ms":1,"hold_ms":0,"agent":"a","queue":"","transfers":[],"disposition":"Resolved","notes":"n","record":null},"state":"Pending","attempts":1,"next_at":0,"last_error":"HTTP 504"}],"paused_for_sign_in":true}"#;
        let mut o = parse(old).unwrap();
        o.take_over(None, 0.0);
        assert_eq!(o.next(0.0, true), Some(Step::Verify("old-1".into())));
    }

    /// A stored (or handed-over) entry whose attempt count is at the top of u32: the next attempt must not
    /// overflow (a debug build panics; the release wrapped to 0 and the entry was never stuck).
    #[test]
    fn hostile_stored_outbox_attempts_at_the_top_of_u32() {
        let text = many(1).replace("\"attempts\":0", "\"attempts\":4294967295");
        let mut o = parse(&text).unwrap();
        assert_eq!(o.entries[0].attempts, u32::MAX);
        assert_eq!(o.next(0.0, true), Some(Step::Send("x0".into())));
        assert_eq!(o.entries[0].attempts, u32::MAX, "kept at the top, not wrapped to 0");
        o.on_sent("x0", Outcome::Ambiguous("timeout".into()), 0.0);
        assert!(matches!(o.entries[0].state, State::Refused(_)), "stuck for the agent: {:?}", o.entries[0].state);
    }

    macro_rules! unreadable {
        ($($name:ident: $text:expr,)*) => {$(
            #[test]
            fn $name() {
                let text: String = $text;
                assert!(parse(&text).is_err(), "{}", &text[..text.len().min(80)]);
            }
        )*};
    }

    fn many(n: usize) -> String {
        let mut o = Outbox::default();
        for i in 0..n {
            o.entries.push(Entry { activity: act(&format!("x{i}")), state: State::Pending, attempts: 0, next_at: 0.0, last_error: None, resolved: false, sent: false, handed: false });
        }
        crate::json::to_string(&o)
    }

    unreadable! {
        hostile_stored_outbox_garbage: "{\"entries\": [oops".into(),
        hostile_stored_outbox_wrong_shape: "[1,2,3]".into(),
        hostile_stored_outbox_unknown_state: many(1).replace("\"Pending\"", "\"Sending\""),
        hostile_stored_outbox_too_many_entries: many(MAX_ENTRIES + 1),
        hostile_stored_outbox_too_long: format!("{}{}", " ".repeat(MAX_TEXT), many(1)),
        hostile_stored_outbox_control_in_call_id: many(1).replace("\"x0\"", "\"x\\u0000\""),
        hostile_stored_outbox_empty_call_id: many(1).replace("\"x0\"", "\"\""),
    }

    /// Callers whose calls are refused by ServiceNow (a record that is gone, a missing role) again and again
    /// cannot make the outbox, and the agent's storage, grow without bound; the agent sees why and decides.
    #[test]
    fn hostile_outbox_refused_entries_are_bounded_and_the_next_one_is_refused_visibly() {
        let mut o = Outbox::default();
        for i in 0..MAX_KEPT {
            let id = format!("r{i}");
            o.add(act(&id), 0.0).unwrap();
            assert_eq!(o.next(0.0, true), Some(Step::Send(id.clone())));
            o.on_sent(&id, Outcome::Refused("404 No Record found".into()), 0.0);
        }
        let before = crate::json::to_string(&o);
        let e = o.add(act("one too many"), 0.0).unwrap_err();
        assert!(e.contains(&MAX_KEPT.to_string()) && e.contains("dismiss"), "{e}");
        assert_eq!(crate::json::to_string(&o), before, "nothing changed");
        // Dismissing a refused one makes room; a pending one cannot be dismissed.
        assert!(o.dismiss("r0"));
        assert_eq!(o.add(act("next"), 0.0), Ok(true));
        assert!(!o.dismiss("next"));
    }

    #[test]
    fn hostile_outbox_waiting_entries_are_bounded_too() {
        let mut o = Outbox { paused_for_sign_in: true, ..Default::default() };
        for i in 0..MAX_KEPT {
            o.add(act(&format!("w{i}")), 0.0).unwrap();
        }
        assert!(o.add(act("more"), 0.0).is_err());
        assert_eq!(o.entries.len(), MAX_KEPT);
    }

    #[test]
    fn the_done_list_is_bounded() {
        let mut o = Outbox::default();
        for i in 0..MAX_DONE + 10 {
            o.remember(&format!("d{i}"));
        }
        assert_eq!(o.done.len(), MAX_DONE);
        assert_eq!(o.done[0], "d10");
    }
}
