//! The outbox: every activity is written to ServiceNow once, never lost and never doubled (pure).
//!
//! Entries are stored (by the browser edge) before the first attempt and after every change. One request
//! is in flight at a time, in order. Failures back off exponentially (honouring `Retry-After`); a 401 waits
//! for the agent to sign in again; a failure whose outcome is unknown (the connection dropped after the
//! request was sent) is verified by looking the call id up before any resend.

use super::activity::Activity;
use serde::{Deserialize, Serialize};

pub const BASE_BACKOFF_MS: f64 = 2_000.0;
pub const MAX_BACKOFF_MS: f64 = 300_000.0;
/// At most this many activities wait or stay refused (each is an agent's notes: kept until ServiceNow takes
/// it or the agent dismisses a refused one). A new one beyond that is refused with a message, and its
/// wrap-up stays on screen, so storage cannot fill up and nothing is dropped silently.
pub const MAX_KEPT: usize = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum State {
    /// Waiting for its turn (or its backoff).
    Pending,
    /// A request is on its way.
    InFlight,
    /// The last attempt's outcome is unknown: look it up before sending again.
    Unsure,
    /// ServiceNow confirmed it.
    Delivered,
    /// ServiceNow refused it for good; the text says why (kept so nothing is silently dropped).
    Refused(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub activity: Activity,
    pub state: State,
    pub attempts: u32,
    pub next_at: f64,
    pub last_error: Option<String>,
    /// The activity's target was settled when it was first sent (a later `activityTables` change cannot move it).
    #[serde(default)]
    pub resolved: bool,
}

/// What the edge must do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Write this activity.
    Send(String),
    /// Ask ServiceNow whether this call id was already written.
    Verify(String),
}

/// The outcome of a write or of a verification.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Delivered,
    /// 429 / 503, with the Retry-After seconds when given.
    RetryAfter(Option<f64>),
    /// 5xx or the network was down before anything was sent.
    Transient(String),
    /// The request may or may not have reached ServiceNow (timeout, connection dropped).
    Ambiguous(String),
    /// 401: the token expired; wait for the agent to sign in again.
    Unauthorized,
    /// 400 / 403 / 404: retrying will not help.
    Refused(String),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pub entries: Vec<Entry>,
    #[serde(default)]
    pub paused_for_sign_in: bool,
}

fn backoff(attempts: u32) -> f64 {
    (BASE_BACKOFF_MS * 2f64.powi(attempts.saturating_sub(1).min(20) as i32)).min(MAX_BACKOFF_MS)
}

impl Outbox {
    /// Adds an activity (once: a second add of the same call id is ignored and returns false). Refused with
    /// a message the agent can act on when [`MAX_KEPT`] activities already wait or were refused.
    pub fn add(&mut self, activity: Activity, now: f64) -> Result<bool, String> {
        if self.entries.iter().any(|e| e.activity.call_id == activity.call_id) {
            return Ok(false);
        }
        let kept = self.entries.iter().filter(|e| e.state != State::Delivered).count();
        if kept >= MAX_KEPT {
            let refused = self.entries.iter().filter(|e| matches!(e.state, State::Refused(_))).count();
            return Err(crate::strings::outbox_full(MAX_KEPT, refused));
        }
        self.entries.push(Entry { activity, state: State::Pending, attempts: 0, next_at: now, last_error: None, resolved: false });
        Ok(true)
    }

    /// The agent dismisses a refused activity (after reading or copying it). Only refused ones can go.
    pub fn dismiss(&mut self, id: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| !(e.activity.call_id == id && matches!(e.state, State::Refused(_))));
        self.entries.len() != before
    }

    /// After a reload: anything that was in flight is unsure (it may have arrived).
    pub fn recover(&mut self) {
        for e in &mut self.entries {
            if e.state == State::InFlight {
                e.state = State::Unsure;
            }
        }
    }

    pub fn pending(&self) -> usize {
        self.entries.iter().filter(|e| !matches!(e.state, State::Delivered | State::Refused(_))).count()
    }

    /// The next step, if one is due: strictly in order, one at a time.
    pub fn next(&mut self, now: f64) -> Option<Step> {
        if self.paused_for_sign_in || self.entries.iter().any(|e| e.state == State::InFlight) {
            return None;
        }
        let e = self.entries.iter_mut().find(|e| matches!(e.state, State::Pending | State::Unsure))?;
        if e.next_at > now {
            return None;
        }
        let step = if e.state == State::Unsure { Step::Verify(e.activity.call_id.clone()) } else { Step::Send(e.activity.call_id.clone()) };
        e.state = State::InFlight;
        e.attempts += 1;
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

    /// The result of a [`Step::Send`].
    pub fn on_sent(&mut self, id: &str, outcome: Outcome, now: f64) {
        let mut pause = false;
        let Some(e) = self.entry(id) else { return };
        match outcome {
            Outcome::Delivered => {
                e.state = State::Delivered;
                e.last_error = None;
            }
            Outcome::RetryAfter(secs) => {
                e.state = State::Pending;
                e.next_at = now + secs.map(|s| s * 1000.0).unwrap_or_else(|| backoff(e.attempts)).min(MAX_BACKOFF_MS * 4.0);
                e.last_error = Some("ServiceNow asked to wait (rate limit)".into());
            }
            Outcome::Transient(m) => {
                e.state = State::Pending;
                e.next_at = now + backoff(e.attempts);
                e.last_error = Some(m);
            }
            Outcome::Ambiguous(m) => {
                e.state = State::Unsure;
                e.next_at = now + backoff(e.attempts);
                e.last_error = Some(m);
            }
            Outcome::Unauthorized => {
                e.state = State::Pending;
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

    /// The result of a [`Step::Verify`]: `Some(true)` it is there, `Some(false)` it is not, `None` unknown.
    pub fn on_verified(&mut self, id: &str, found: Option<bool>, now: f64) {
        let Some(e) = self.entry(id) else { return };
        match found {
            Some(true) => {
                e.state = State::Delivered;
                e.last_error = None;
            }
            Some(false) => {
                e.state = State::Pending;
                e.next_at = now;
            }
            None => {
                e.state = State::Unsure;
                e.next_at = now + backoff(e.attempts);
            }
        }
    }

    /// The agent signed in again.
    pub fn resume(&mut self) {
        self.paused_for_sign_in = false;
    }

    /// Drops delivered entries (keeps the refused ones for the agent to see).
    pub fn compact(&mut self) {
        self.entries.retain(|e| e.state != State::Delivered);
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

    #[test]
    fn in_order_one_at_a_time_and_deduplicated() {
        let mut o = Outbox::default();
        assert_eq!(o.add(act("a"), 0.0), Ok(true));
        assert_eq!(o.add(act("b"), 0.0), Ok(true));
        assert_eq!(o.add(act("a"), 0.0), Ok(false), "the same call id is written once");
        assert_eq!(o.next(0.0), Some(Step::Send("a".into())));
        assert_eq!(o.next(0.0), None, "one in flight at a time");
        o.on_sent("a", Outcome::Delivered, 1.0);
        assert_eq!(o.next(1.0), Some(Step::Send("b".into())));
        o.on_sent("b", Outcome::Delivered, 2.0);
        assert_eq!(o.pending(), 0);
        o.compact();
        assert!(o.entries.is_empty());
    }

    #[test]
    fn retries_back_off_and_respect_retry_after() {
        let mut o = Outbox::default();
        o.add(act("a"), 0.0).unwrap();
        o.next(0.0);
        o.on_sent("a", Outcome::Transient("HTTP 500".into()), 0.0);
        assert_eq!(o.next(1_999.0), None);
        assert_eq!(o.next(2_000.0), Some(Step::Send("a".into())));
        o.on_sent("a", Outcome::Transient("HTTP 500".into()), 2_000.0);
        assert_eq!(o.next(5_999.0), None, "doubling: 4 s after the second failure");
        assert!(o.next(6_000.0).is_some());
        o.on_sent("a", Outcome::RetryAfter(Some(30.0)), 6_000.0);
        assert_eq!(o.next(35_999.0), None);
        assert!(o.next(36_000.0).is_some());
        o.on_sent("a", Outcome::Delivered, 36_001.0);
        assert_eq!(o.entries[0].state, State::Delivered);
    }

    #[test]
    fn ambiguous_failures_are_verified_before_any_resend() {
        let mut o = Outbox::default();
        o.add(act("a"), 0.0).unwrap();
        o.next(0.0);
        o.on_sent("a", Outcome::Ambiguous("connection dropped".into()), 0.0);
        assert_eq!(o.next(10_000.0), Some(Step::Verify("a".into())));
        o.on_verified("a", Some(true), 10_001.0);
        assert_eq!(o.entries[0].state, State::Delivered, "it had arrived: not written twice");
        let mut o = Outbox::default();
        o.add(act("b"), 0.0).unwrap();
        o.next(0.0);
        o.on_sent("b", Outcome::Ambiguous("timeout".into()), 0.0);
        o.next(10_000.0);
        o.on_verified("b", Some(false), 10_000.0);
        assert_eq!(o.next(10_000.0), Some(Step::Send("b".into())), "it had not: send again");
    }

    #[test]
    fn reload_mid_flight_and_sign_in_pauses() {
        let mut o = Outbox::default();
        o.add(act("a"), 0.0).unwrap();
        o.next(0.0);
        let saved = serde_json::to_string(&o).unwrap();
        let mut again: Outbox = serde_json::from_str(&saved).unwrap();
        again.recover();
        assert_eq!(again.next(0.0), Some(Step::Verify("a".into())), "in flight at the reload: look it up first");
        again.on_sent("a", Outcome::Unauthorized, 1.0);
        assert_eq!(again.next(2.0), None, "paused until the agent signs in");
        again.resume();
        assert_eq!(again.next(2.0), Some(Step::Send("a".into())));
        again.on_sent("a", Outcome::Refused("403: the role sn_openframe_user is missing".into()), 3.0);
        assert_eq!(again.pending(), 0);
        again.compact();
        assert_eq!(again.entries.len(), 1, "refused entries stay visible");
    }

    /// Callers whose calls are refused by ServiceNow (a record that is gone, a missing role) again and again
    /// cannot make the outbox, and the agent's storage, grow without bound; the agent sees why and decides.
    #[test]
    fn hostile_outbox_refused_entries_are_bounded_and_the_next_one_is_refused_visibly() {
        let mut o = Outbox::default();
        for i in 0..MAX_KEPT {
            let id = format!("r{i}");
            o.add(act(&id), 0.0).unwrap();
            assert_eq!(o.next(0.0), Some(Step::Send(id.clone())));
            o.on_sent(&id, Outcome::Refused("404 No Record found".into()), 0.0);
        }
        let before = serde_json::to_string(&o).unwrap();
        let e = o.add(act("one too many"), 0.0).unwrap_err();
        assert!(e.contains(&MAX_KEPT.to_string()) && e.contains("dismiss"), "{e}");
        assert_eq!(serde_json::to_string(&o).unwrap(), before, "nothing changed");
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
}
