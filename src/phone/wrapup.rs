//! After-call work and the call history (pure): the wrap-up of a finished call, what is handed to the
//! ServiceNow outbox, and the agent's recent calls.

use super::call::{Call, CallState, Direction, EndReason};
use crate::openframe::protocol::{opt_string, RecordRef};
use crate::json::{json, FromJson, ToJson, Value};

/// How a call ended, for the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Missed,
    Rejected,
    Failed,
    Cancelled,
    Transferred,
}

impl Outcome {
    pub fn of(call: &Call) -> Outcome {
        match &call.state {
            CallState::Ended(EndReason::Missed) => Outcome::Missed,
            CallState::Ended(EndReason::Rejected) => Outcome::Rejected,
            CallState::Ended(EndReason::Failed(_)) => Outcome::Failed,
            CallState::Ended(EndReason::Cancelled) => Outcome::Cancelled,
            CallState::Ended(EndReason::Transferred) => Outcome::Transferred,
            // Answered by another agent of the queue: the caller was served, so not a missed call.
            CallState::Ended(EndReason::AnsweredElsewhere) => Outcome::Cancelled,
            _ if call.answered_ms.is_some() => Outcome::Answered,
            _ if call.direction == Direction::Inbound => Outcome::Missed,
            _ => Outcome::Cancelled,
        }
    }
}

/// One entry of the agent's recent calls (kept in localStorage).
#[derive(Clone, Debug, PartialEq)]
pub struct RecentCall {
    pub number: String,
    pub name: Option<String>,
    pub direction: Direction,
    pub outcome: Outcome,
    pub started_ms: f64,
    pub talk_ms: f64,
    pub record: Option<RecordRef>,
    /// The call's audio quality (stored as one short string under `q`, see [`super::quality::Summary::encode`]).
    pub quality: Option<super::quality::Summary>,
}

pub const RECENTS_KEPT: usize = 100;

impl RecentCall {
    pub fn of(call: &Call, now: f64) -> RecentCall {
        RecentCall {
            number: call.number.clone(),
            name: call.name.clone(),
            direction: call.direction,
            outcome: Outcome::of(call),
            started_ms: call.created_ms,
            talk_ms: call.talk_ms(now),
            record: call.record.clone(),
            quality: Some(call.quality.summary).filter(|q| q.is_some()),
        }
    }
}

/// Adds a call to the front of the history, keeping at most [`RECENTS_KEPT`].
pub fn remember(recents: &mut Vec<RecentCall>, r: RecentCall) {
    recents.insert(0, r);
    recents.truncate(RECENTS_KEPT);
}

/// The wrap-up of a finished call: what the agent adds before the activity is written to ServiceNow.
#[derive(Clone, Debug, PartialEq)]
pub struct WrapUp {
    /// A stable id for the call's activity (the outbox writes each id at most once).
    pub activity_id: String,
    pub number: String,
    pub name: Option<String>,
    pub direction: Direction,
    pub started_ms: f64,
    pub answered_ms: Option<f64>,
    pub ended_ms: f64,
    pub talk_ms: f64,
    pub hold_ms: f64,
    pub transferred: bool,
    pub record: Option<RecordRef>,
    pub disposition: Option<String>,
    pub notes: String,
    /// When after-call work began (for the countdown).
    pub opened_ms: f64,
    pub overdue: bool,
}

/// Notes longer than this are refused (a case journal entry holds 4,000 characters, with room for the
/// call's details).
pub const MAX_NOTES: usize = 3_000;

impl WrapUp {
    pub fn of(call: &Call, activity_id: String, now: f64) -> WrapUp {
        WrapUp {
            activity_id,
            number: call.number.clone(),
            name: call.name.clone(),
            direction: call.direction,
            started_ms: call.created_ms,
            answered_ms: call.answered_ms,
            ended_ms: call.ended_ms.unwrap_or(now),
            talk_ms: call.talk_ms(now),
            hold_ms: call.total_hold_ms(now),
            transferred: call.state == CallState::Ended(EndReason::Transferred),
            record: call.record.clone(),
            disposition: None,
            notes: String::new(),
            opened_ms: now,
            overdue: false,
        }
    }

    /// Checks what the settings require; the error says what to do.
    pub fn check(&self, dispositions: &[String], required: bool) -> Result<(), String> {
        match &self.disposition {
            None if required && !dispositions.is_empty() => return Err(crate::strings::NEED_DISPOSITION().into()),
            Some(d) if !dispositions.is_empty() && !dispositions.contains(d) => {
                return Err(crate::strings::fill(crate::strings::NOT_A_DISPOSITION(), &[("disposition", d)]))
            }
            _ => {}
        }
        let n = self.notes.chars().count();
        if n > MAX_NOTES {
            return Err(crate::strings::notes_too_long(n, MAX_NOTES).render());
        }
        Ok(())
    }

    /// Seconds left of the countdown (None when there is no countdown).
    pub fn remaining_s(&self, now: f64, seconds: u32) -> Option<i64> {
        (seconds > 0).then(|| seconds as i64 - ((now - self.opened_ms).max(0.0) / 1000.0).floor() as i64)
    }
}

// Written with the field names as keys (an enum as its variant's name, `None` as null; a recent call's quality
// under `q`, left out when there is none), as serde's derived code wrote them; read back by hand (an `Option`
// may be missing or null).

impl ToJson for Direction {
    fn to_json(&self) -> Value {
        Value::from(match self {
            Direction::Inbound => "Inbound",
            Direction::Outbound => "Outbound",
        })
    }
}

impl Outcome {
    /// The outcome's name as stored (and as its derived `Debug` reads).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Answered => "Answered",
            Outcome::Missed => "Missed",
            Outcome::Rejected => "Rejected",
            Outcome::Failed => "Failed",
            Outcome::Cancelled => "Cancelled",
            Outcome::Transferred => "Transferred",
        }
    }
}

impl ToJson for Outcome {
    fn to_json(&self) -> Value {
        Value::from(self.name())
    }
}

impl ToJson for RecentCall {
    fn to_json(&self) -> Value {
        let mut v = json!({"number": self.number, "name": self.name, "direction": self.direction, "outcome": self.outcome,
            "started_ms": self.started_ms, "talk_ms": self.talk_ms, "record": self.record});
        if let Some(q) = &self.quality {
            v["q"] = q.to_json();
        }
        v
    }
}

impl ToJson for WrapUp {
    fn to_json(&self) -> Value {
        json!({"activity_id": self.activity_id, "number": self.number, "name": self.name, "direction": self.direction,
            "started_ms": self.started_ms, "answered_ms": self.answered_ms, "ended_ms": self.ended_ms,
            "talk_ms": self.talk_ms, "hold_ms": self.hold_ms, "transferred": self.transferred, "record": self.record,
            "disposition": self.disposition, "notes": self.notes, "opened_ms": self.opened_ms, "overdue": self.overdue})
    }
}

fn direction(v: &Value) -> Option<Direction> {
    match v.as_str()? {
        "Inbound" => Some(Direction::Inbound),
        "Outbound" => Some(Direction::Outbound),
        _ => None,
    }
}

fn outcome(v: &Value) -> Option<Outcome> {
    Some(match v.as_str()? {
        "Answered" => Outcome::Answered,
        "Missed" => Outcome::Missed,
        "Rejected" => Outcome::Rejected,
        "Failed" => Outcome::Failed,
        "Cancelled" => Outcome::Cancelled,
        "Transferred" => Outcome::Transferred,
        _ => return None,
    })
}

fn opt_record(v: &Value) -> Option<Option<RecordRef>> {
    match v.get("record") {
        None | Some(Value::Null) => Some(None),
        Some(r) => RecordRef::from_value(r).map(Some),
    }
}

/// A number member (None when missing or not a number): one reader for the stored calls' numbers.
#[inline(never)]
pub(super) fn get_f64(v: &Value, k: &str) -> Option<f64> {
    v.get(k)?.as_f64()
}

/// A text member, copied (None when missing or not text).
#[inline(never)]
pub(super) fn get_string(v: &Value, k: &str) -> Option<String> {
    v.get(k)?.as_str().map(str::to_string)
}

fn opt_f64(v: &Value, k: &str) -> Option<Option<f64>> {
    match v.get(k) {
        None | Some(Value::Null) => Some(None),
        Some(n) => n.as_f64().map(Some),
    }
}

impl RecentCall {
    fn from_value(v: &Value) -> Option<RecentCall> {
        let f = |k: &str| get_f64(v, k);
        Some(RecentCall {
            number: v.get("number")?.as_str()?.to_string(),
            name: opt_string(v, "name")?,
            direction: direction(v.get("direction")?)?,
            outcome: outcome(v.get("outcome")?)?,
            started_ms: f("started_ms")?,
            talk_ms: f("talk_ms")?,
            record: opt_record(v)?,
            // A summary that does not read back is dropped; the call stays in the history.
            quality: v.get("q").and_then(Value::as_str).and_then(super::quality::Summary::decode),
        })
    }
}

impl FromJson for RecentCall {
    fn from_json(v: &Value) -> Option<RecentCall> {
        RecentCall::from_value(v)
    }
}

impl WrapUp {
    fn from_value(v: &Value) -> Option<WrapUp> {
        let s = |k: &str| get_string(v, k);
        let f = |k: &str| get_f64(v, k);
        let b = |k: &str| v.get(k)?.as_bool();
        Some(WrapUp {
            activity_id: s("activity_id")?,
            number: s("number")?,
            name: opt_string(v, "name")?,
            direction: direction(v.get("direction")?)?,
            started_ms: f("started_ms")?,
            answered_ms: opt_f64(v, "answered_ms")?,
            ended_ms: f("ended_ms")?,
            talk_ms: f("talk_ms")?,
            hold_ms: f("hold_ms")?,
            transferred: b("transferred")?,
            record: opt_record(v)?,
            disposition: opt_string(v, "disposition")?,
            notes: s("notes")?,
            opened_ms: f("opened_ms")?,
            overdue: b("overdue")?,
        })
    }
}

impl FromJson for WrapUp {
    fn from_json(v: &Value) -> Option<WrapUp> {
        WrapUp::from_value(v)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn history_and_wrap_up_read_back_what_they_write() {
        let c = ended_call();
        let mut r = RecentCall::of(&c, 63_000.0);
        let plain = r.clone();
        r.record = Some(RecordRef { entity: "incident".into(), sys_id: Some("abc".into()), ..Default::default() });
        for o in [Outcome::Answered, Outcome::Missed, Outcome::Rejected, Outcome::Failed, Outcome::Cancelled, Outcome::Transferred] {
            r.outcome = o;
            let list = vec![r.clone(), plain.clone()];
            assert_eq!(crate::json::from_str::<Vec<RecentCall>>(&crate::json::to_string(&list)).unwrap(), list);
        }
        let mut w = WrapUp::of(&c, "call-1".into(), 63_000.0);
        let mut out = Call::new(2, Direction::Outbound, "1", None, 0.0);
        out.end(EndReason::Cancelled, 1.0);
        let never_answered = WrapUp::of(&out, "call-2".into(), 2.0);
        assert_eq!(never_answered.answered_ms, None);
        w.disposition = Some("Resolved".into());
        w.record = r.record.clone();
        let list = vec![w, never_answered];
        assert_eq!(crate::json::from_str::<Vec<WrapUp>>(&crate::json::to_string(&list)).unwrap(), list);
        // Wrong types are refused, as the derived code refused them.
        for (field, bad) in [("direction", json!("Sideways")), ("talk_ms", json!("1")), ("record", json!({"entity": 1})), ("notes", json!(null))] {
            let mut v = crate::json::ToJson::to_json(&list[0]);
            v[field] = bad;
            assert!(crate::json::from_str::<WrapUp>(&v.to_string()).is_none(), "{field}");
        }
    }
    use super::*;
    use crate::json::json;

    fn ended_call() -> Call {
        let mut c = Call::new(1, Direction::Inbound, "+14155550123", Some("Beth".into()), 0.0);
        c.connect(2_000.0);
        c.set_held(true, 12_000.0);
        c.set_held(false, 17_000.0);
        c.end(EndReason::RemoteHungUp, 62_000.0);
        c
    }

    #[test]
    fn wrap_up_captures_the_call_and_checks_the_rules() {
        let c = ended_call();
        let mut w = WrapUp::of(&c, "call-1".into(), 63_000.0);
        assert_eq!(w.talk_ms, 55_000.0);
        assert_eq!(w.hold_ms, 5_000.0);
        let d = vec!["Resolved".to_string(), "Escalated".to_string()];
        assert!(w.check(&d, true).unwrap_err().contains("Choose a disposition"));
        assert!(w.check(&d, false).is_ok());
        w.disposition = Some("Other".into());
        assert!(w.check(&d, true).is_err());
        w.disposition = Some("Resolved".into());
        assert!(w.check(&d, true).is_ok());
        w.notes = "x".repeat(MAX_NOTES + 1);
        assert!(w.check(&d, true).unwrap_err().contains("shorten"));
        assert_eq!(w.remaining_s(63_000.0 + 20_500.0, 60), Some(40));
        assert_eq!(w.remaining_s(0.0, 0), None);
        assert_eq!(w.remaining_s(62_900.0, 60), Some(60), "a clock read just before opening does not add time");
        // Drafts survive as JSON.
        let back: WrapUp = crate::json::from_str(&crate::json::to_string(&w)).unwrap();
        assert_eq!(back, w);
    }

    #[test]
    fn history_outcomes_and_bound() {
        let c = ended_call();
        assert_eq!(Outcome::of(&c), Outcome::Answered);
        let mut missed = Call::new(2, Direction::Inbound, "1", None, 0.0);
        missed.end(EndReason::Missed, 1.0);
        assert_eq!(Outcome::of(&missed), Outcome::Missed);
        // A ring-all leg another agent answered is not a missed call (the desk sets Missed only for Missed).
        let mut elsewhere = Call::new(3, Direction::Inbound, "1", None, 0.0);
        elsewhere.end(EndReason::AnsweredElsewhere, 1.0);
        assert_eq!(Outcome::of(&elsewhere), Outcome::Cancelled);
        let mut list = Vec::new();
        for i in 0..(RECENTS_KEPT + 5) {
            let mut r = RecentCall::of(&c, 0.0);
            r.number = i.to_string();
            remember(&mut list, r);
        }
        assert_eq!(list.len(), RECENTS_KEPT);
        assert_eq!(list[0].number, (RECENTS_KEPT + 4).to_string());
    }
}
