//! The call activity written to ServiceNow (pure): plain text for a work note (within the 4,000 characters
//! of a journal entry), and the bodies of the voice-interaction API and the phone log.

use crate::openframe::protocol::RecordRef;
use crate::phone::call::Direction;
use crate::phone::wrapup::WrapUp;
use crate::json::{json, Value};

/// A journal entry holds at most this many characters.
pub const MAX_JOURNAL: usize = 4_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// Stable across retries: how a retry after an ambiguous failure is recognised.
    pub call_id: String,
    pub call_type: String,
    pub caller: String,
    pub dialled: String,
    pub start_ms: f64,
    pub end_ms: f64,
    pub talk_ms: f64,
    pub hold_ms: f64,
    pub agent: String,
    pub queue: String,
    pub transfers: Vec<String>,
    pub disposition: String,
    pub notes: String,
    pub record: Option<RecordRef>,
}

/// Written with the field names as keys (`record` null when there is none).
impl crate::json::ToJson for Activity {
    fn to_json(&self) -> Value {
        json!({"call_id": self.call_id, "call_type": self.call_type, "caller": self.caller, "dialled": self.dialled,
            "start_ms": self.start_ms, "end_ms": self.end_ms, "talk_ms": self.talk_ms, "hold_ms": self.hold_ms,
            "agent": self.agent, "queue": self.queue, "transfers": self.transfers, "disposition": self.disposition,
            "notes": self.notes, "record": self.record})
    }
}

/// Read back from what [`ToJson`](crate::json::ToJson) writes (every field, `record` may be null).
impl crate::json::FromJson for Activity {
    fn from_json(v: &Value) -> Option<Activity> {
        Activity::from_value(v)
    }
}

impl Activity {
    fn from_value(v: &Value) -> Option<Activity> {
        let s = |k: &str| v.get(k)?.as_str().map(str::to_string);
        let f = |k: &str| v.get(k)?.as_f64();
        Some(Activity {
            call_id: s("call_id")?,
            call_type: s("call_type")?,
            caller: s("caller")?,
            dialled: s("dialled")?,
            start_ms: f("start_ms")?,
            end_ms: f("end_ms")?,
            talk_ms: f("talk_ms")?,
            hold_ms: f("hold_ms")?,
            agent: s("agent")?,
            queue: s("queue")?,
            transfers: {
                let mut list = Vec::new();
                for t in v.get("transfers")?.as_array()? {
                    list.push(t.as_str()?.to_string());
                }
                list
            },
            disposition: s("disposition")?,
            notes: s("notes")?,
            record: match v.get("record") {
                None | Some(Value::Null) => None,
                Some(r) => Some(RecordRef::from_value(r)?),
            },
        })
    }

    /// From a finished wrap-up; `agent` is the agent's name or user, `own_number` the agent's line.
    pub fn from_wrapup(w: &WrapUp, agent: &str, own_number: &str, queue: &str) -> Activity {
        let (call_type, caller, dialled) = match w.direction {
            Direction::Inbound => ("Inbound", w.number.clone(), own_number.to_string()),
            Direction::Outbound => ("Outbound", own_number.to_string(), w.number.clone()),
        };
        Activity {
            call_id: w.activity_id.clone(),
            call_type: if w.transferred { format!("{call_type}, transferred") } else { call_type.to_string() },
            caller,
            dialled,
            start_ms: w.started_ms,
            end_ms: w.ended_ms,
            talk_ms: w.talk_ms,
            hold_ms: w.hold_ms,
            agent: agent.to_string(),
            queue: queue.to_string(),
            transfers: Vec::new(),
            disposition: w.disposition.clone().unwrap_or_default(),
            notes: w.notes.clone(),
            record: w.record.clone(),
        }
    }
}

/// The record an activity may be written to: its table must be in `tables` (the `activityTables` setting)
/// and its id a sys_id. Otherwise None: the activity becomes an interaction of its own, so a record named
/// by a caller (or one without work notes) never receives the agent's notes.
pub fn target(record: Option<&RecordRef>, tables: &[String]) -> Option<(String, String)> {
    let r = record?;
    let id = r.sys_id.as_deref()?;
    (tables.contains(&r.entity) && super::screen_pop::is_sys_id(id)).then(|| (r.entity.clone(), id.to_string()))
}

/// The activity as it may be written: without its record when the record is not an allowed target.
pub fn within(a: &Activity, tables: &[String]) -> Activity {
    let mut a = a.clone();
    if target(a.record.as_ref(), tables).is_none() {
        a.record = None;
    }
    a
}

/// The line every written note carries, by which it is recognised when read back.
pub fn marker(call_id: &str) -> String {
    format!("Call ID: {call_id}\n")
}

/// Whether a record's `work_notes` as read back with `sysparm_display_value=true` (the journal entries,
/// newest first) holds this call's note. A plain read returns "" for a journal field whatever it holds,
/// and a missing field (an ACL, or a table without work notes) holds nothing.
pub fn note_stored(work_notes: &Value, call_id: &str) -> bool {
    let text = match work_notes {
        Value::String(s) => s.as_str(),
        Value::Object(m) => m.get("display_value").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    };
    !call_id.is_empty() && crate::text::contains(text, &marker(call_id))
}

/// What a look-up (the read-back after a write, or the check after an unclear outcome) says about an
/// activity. It reads only what the agent's roles can read: the written record itself (never
/// `sys_journal_field`, closed to agents).
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// It is there (once: it is looked up by its call id).
    Yes,
    /// It is not there.
    No,
    /// The reply lacks what would confirm it (a field the table does not have or the agent cannot read, a
    /// phone log whose task reference field did not keep the task): neither written-for-sure nor absent.
    /// Never resent; shown to the agent with this message.
    Unconfirmed(String),
}

/// A reference field's value as the Table API returns it: the sys_id, or `{"value": sys_id, "link": ...}`.
fn ref_value(v: &Value) -> &str {
    match v {
        Value::String(s) => s,
        Value::Object(m) => m.get("value").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

/// Judges a record read back with its `work_notes` display value (`result` of `GET table/id`).
pub fn judge_record(result: &Value, table: &str, id: &str, call_id: &str) -> Found {
    match result.get("work_notes") {
        None => Found::Unconfirmed(crate::strings::lookup_blind(table, id, "work_notes").render()),
        Some(w) if note_stored(w, call_id) => Found::Yes,
        Some(_) => Found::No,
    }
}

/// Judges the rows found by call id (`rows`, at most the first is read): the row's `notes` field must hold
/// the call's note, and, when the activity names a task (`task`: the phone log's reference field and the
/// task's sys_id), that field must hold it.
pub fn judge_row(rows: &[Value], table: &str, notes: &str, call_id: &str, task: Option<(&str, &str)>) -> Found {
    let Some(row) = rows.first() else { return Found::No };
    let id = row.get("sys_id").and_then(Value::as_str).unwrap_or("");
    let Some(text) = row.get(notes) else { return Found::Unconfirmed(crate::strings::lookup_blind(table, id, notes).render()) };
    if !note_stored(text, call_id) {
        return Found::No;
    }
    match task {
        Some((field, want)) if row.get(field).map(ref_value) != Some(want) => Found::Unconfirmed(crate::strings::phone_log_task_missing(field, want).render()),
        _ => Found::Yes,
    }
}

/// The read access the look-up of an activity needs (named to the agent when ServiceNow refuses it):
/// the target record's work notes, an interaction's work notes by `client_session_id`, or the phone log
/// by `call_id` (with its task reference field when it names a task).
pub fn lookup_access(strategy: crate::config::ActivityStrategy, target: Option<(&str, &str)>, task_field: &str) -> String {
    use crate::config::ActivityStrategy as S;
    match (strategy, target) {
        (S::WorkNotes, Some((table, _))) => format!("{table}.work_notes"),
        (S::WorkNotes, None) => "interaction (client_session_id, work_notes)".into(),
        (S::PhoneLog, Some(_)) => format!("sn_openframe_phone_log (call_id, notes, {task_field})"),
        _ => "sn_openframe_phone_log (call_id, notes)".into(),
    }
}

/// `2026-11-21 23:43:24 UTC` from milliseconds since the epoch.
pub fn utc(ms: f64) -> String {
    stamp(ms, " UTC")
}

/// The date and time of `ms` in UTC, then `suffix` (the REST bodies' times go without " UTC": written
/// so, not cut off with a searcher of their own).
fn stamp(ms: f64, suffix: &str) -> String {
    let secs = (ms / 1000.0).floor() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}{suffix}", rem / 3600, (rem / 60) % 60, rem % 60)
}

fn mmss(ms: f64) -> String {
    crate::phone::call::format_duration(ms)
}

/// Plain text for the case's work notes, one line per fact, the notes last (cut to fit 4,000 characters).
pub fn work_note(a: &Activity) -> String {
    let mut head = format!(
        "Phone call ({})\nFrom: {}\nTo: {}\nStart: {}\nEnd: {}\nDuration: {} (talk {}, hold {})\nAgent: {}\n",
        a.call_type,
        a.caller,
        a.dialled,
        utc(a.start_ms),
        utc(a.end_ms),
        mmss(a.talk_ms + a.hold_ms),
        mmss(a.talk_ms),
        mmss(a.hold_ms),
        a.agent
    );
    // The facts that may be missing: a line each when given (one writer, no text built for it).
    let transfers = crate::text::join(&a.transfers, ", ");
    for (label, v) in [("Queue: ", &a.queue), ("Transfers: ", &transfers), ("Disposition: ", &a.disposition)] {
        if !v.is_empty() {
            head.push_str(label);
            head.push_str(v);
            head.push('\n');
        }
    }
    head.push_str(&marker(&a.call_id));
    if a.notes.trim().is_empty() {
        return head;
    }
    head.push_str("Notes:\n");
    let room = MAX_JOURNAL.saturating_sub(head.chars().count());
    let notes: String = if a.notes.chars().count() > room {
        let mut n: String = a.notes.chars().take(room.saturating_sub(1)).collect();
        n.push('…');
        n
    } else {
        a.notes.clone()
    };
    head + &notes
}

/// `POST /api/now/openframe/voice-interaction` body.
pub fn voice_interaction_body(a: &Activity) -> Value {
    let mut related = Vec::new();
    if let Some(r) = &a.record {
        if let Some(id) = &r.sys_id {
            related.push(json!({"documentTable": r.entity, "documentId": id}));
        }
    }
    json!({
        "interaction": {"userPhoneNumber": a.caller, "callbackPhoneNumber": a.caller, "clientSessionId": a.call_id,
            "additionalParams": {"disposition": a.disposition, "queue": a.queue}},
        "interactionContext": {"direction": a.call_type},
        "phoneLogs": [{"call_id": a.call_id, "agent": a.agent, "start_time": stamp(a.start_ms, ""),
            "end_time": stamp(a.end_ms, ""), "phone_number": a.caller,
            "duration": ((a.talk_ms + a.hold_ms) / 1000.0).round(), "notes": work_note(a)}],
        "relatedRecords": related,
    })
}

/// `POST /api/now/table/sn_openframe_phone_log` body (the task reference field is instance-specific).
pub fn phone_log_body(a: &Activity, task_field: &str) -> Value {
    let mut v = json!({"call_id": a.call_id, "phone_number": a.caller, "agent": a.agent,
        "start_time": stamp(a.start_ms, ""), "notes": work_note(a)});
    if let (Some(r), false) = (&a.record, task_field.is_empty()) {
        if let Some(id) = &r.sys_id {
            v[task_field] = json!(id);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(notes: &str) -> Activity {
        Activity {
            call_id: "a1b2c3d4e5f60718".into(),
            call_type: "Inbound".into(),
            caller: "+14155550123".into(),
            dialled: "1001".into(),
            start_ms: 1_795_304_604_000.0,
            end_ms: 1_795_304_724_000.0,
            talk_ms: 100_000.0,
            hold_ms: 20_000.0,
            agent: "Abel Tuter".into(),
            queue: "Billing".into(),
            transfers: vec![],
            disposition: "Resolved".into(),
            notes: notes.into(),
            record: Some(RecordRef { entity: "sn_customerservice_case".into(), sys_id: Some("ca5e".into()), ..Default::default() }),
        }
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000.0), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_795_304_604_000.0), "2026-11-21 23:43:24 UTC");
    }

    #[test]
    fn work_note_reads_well_and_fits() {
        let n = work_note(&activity("Router replaced."));
        assert!(n.starts_with("Phone call (Inbound)\nFrom: +14155550123\nTo: 1001\nStart: 2026-11-21 23:43:24 UTC\n"), "{n}");
        assert!(n.contains("Duration: 02:00 (talk 01:40, hold 00:20)"), "{n}");
        assert!(n.contains("Disposition: Resolved\nCall ID: a1b2c3d4e5f60718\nNotes:\nRouter replaced."), "{n}");
        let long = work_note(&activity(&"é".repeat(5_000)));
        assert_eq!(long.chars().count(), MAX_JOURNAL);
        assert!(long.ends_with('…'));
        assert!(!work_note(&activity("  ")).contains("Notes:"));
    }

    #[test]
    fn api_bodies() {
        let v = voice_interaction_body(&activity("n"));
        assert_eq!(v["relatedRecords"][0], json!({"documentTable": "sn_customerservice_case", "documentId": "ca5e"}));
        assert_eq!(v["phoneLogs"][0]["call_id"], "a1b2c3d4e5f60718");
        assert_eq!(v["phoneLogs"][0]["duration"], 120.0);
        // The times go without " UTC".
        assert_eq!(v["phoneLogs"][0]["start_time"], "2026-11-21 23:43:24");
        assert_eq!(v["phoneLogs"][0]["end_time"], "2026-11-21 23:45:24");
        let p = phone_log_body(&activity("n"), "task");
        assert_eq!(p["task"], "ca5e");
        assert_eq!(p["start_time"], "2026-11-21 23:43:24");
        assert!(phone_log_body(&activity("n"), "").get("task").is_none());
    }

    fn tables() -> Vec<String> {
        crate::config::DEFAULT_TASK_TABLES.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn targets_and_read_back() {
        let case = RecordRef { entity: "sn_customerservice_case".into(), sys_id: Some("ca5e0000000000000000000000000001".into()), ..Default::default() };
        assert_eq!(target(Some(&case), &tables()), Some(("sn_customerservice_case".into(), "ca5e0000000000000000000000000001".into())));
        let mut a = activity("n");
        a.record = Some(case);
        assert_eq!(within(&a, &tables()), a);
        let note = work_note(&a);
        let display = format!("2026-11-21 23:45:00 - Abel Tuter (Work notes)\n{note}\n\n");
        assert!(note_stored(&json!(display), &a.call_id));
        assert!(note_stored(&json!({"display_value": display, "value": ""}), &a.call_id));
        assert!(!note_stored(&json!(""), &a.call_id), "a plain read of a journal field is always empty");
        assert!(!note_stored(&Value::Null, &a.call_id));
        assert!(!note_stored(&json!("Call ID: a1b2c3d4e5f607189\n"), "a1b2c3d4e5f60718"), "another call's note");
    }

    /// Records an activity must not be written to: the note goes to an interaction of its own instead.
    macro_rules! hostile_activity_target {
        ($($name:ident: $table:expr, $id:expr;)*) => {$(
            #[test]
            fn $name() {
                let r = RecordRef { entity: $table.into(), sys_id: Some($id.to_string()), ..Default::default() };
                assert_eq!(target(Some(&r), &tables()), None);
                let mut a = activity("n");
                a.record = Some(r);
                let w = within(&a, &tables());
                assert_eq!(w.record, None);
                assert_eq!(voice_interaction_body(&w)["relatedRecords"], json!([]));
                assert!(phone_log_body(&w, "task").get("task").is_none());
            }
        )*};
    }
    hostile_activity_target! {
        hostile_activity_to_a_table_without_work_notes: "customer_contact", "c1a1d0c0000000000000000000000001";
        hostile_activity_to_a_system_table: "sys_user", "6816f79cc0a8016401c5a33be04be441";
        hostile_activity_to_a_path: "sn_customerservice_case/../sys_user", "6816f79cc0a8016401c5a33be04be441";
        hostile_activity_to_a_bad_sys_id: "sn_customerservice_case", "ca5e01?sysparm_fields=x";
    }

    const CASE_ID: &str = "ca5e0000000000000000000000000001";

    #[test]
    fn the_look_up_reads_the_written_record() {
        let a = activity("n");
        let display = format!("2026-11-21 23:45:00 - Abel Tuter (Work notes)\n{}\n\n", work_note(&a));
        assert_eq!(judge_record(&json!({"work_notes": display}), "sn_customerservice_case", CASE_ID, &a.call_id), Found::Yes);
        assert_eq!(judge_record(&json!({"work_notes": ""}), "sn_customerservice_case", CASE_ID, &a.call_id), Found::No);
        let log = json!({"sys_id": "1", "notes": work_note(&a), "task": CASE_ID});
        assert_eq!(judge_row(&[log.clone()], "sn_openframe_phone_log", "notes", &a.call_id, Some(("task", CASE_ID))), Found::Yes);
        let linked = json!({"sys_id": "1", "notes": work_note(&a), "task": {"link": "https://x/api/now/table/task/1", "value": CASE_ID}});
        assert_eq!(judge_row(&[linked], "sn_openframe_phone_log", "notes", &a.call_id, Some(("task", CASE_ID))), Found::Yes);
        assert_eq!(judge_row(&[log], "sn_openframe_phone_log", "notes", &a.call_id, None), Found::Yes);
        assert_eq!(judge_row(&[], "sn_openframe_phone_log", "notes", &a.call_id, None), Found::No);
        use crate::config::ActivityStrategy as S;
        assert_eq!(lookup_access(S::WorkNotes, Some(("sn_customerservice_case", CASE_ID)), "task"), "sn_customerservice_case.work_notes");
        assert_eq!(lookup_access(S::PhoneLog, Some(("sn_customerservice_case", CASE_ID)), "u_case"), "sn_openframe_phone_log (call_id, notes, u_case)");
    }

    #[test]
    fn hostile_work_notes_the_agent_cannot_read_are_not_taken_for_absent() {
        // A field a read ACL hides is left out of the reply: that is not "not written" (a resend would double it).
        let f = judge_record(&json!({"number": "CS0001001"}), "sn_customerservice_case", CASE_ID, "a1b2c3d4e5f60718");
        assert!(matches!(&f, Found::Unconfirmed(m) if m.contains("sn_customerservice_case.work_notes")), "{f:?}");
        let f = judge_row(&[json!({"sys_id": "i1", "number": "IMS1"})], "interaction", "work_notes", "a1b2c3d4e5f60718", None);
        assert!(matches!(f, Found::Unconfirmed(_)));
    }

    #[test]
    fn hostile_phone_log_without_its_task_reference_is_refused_not_resent() {
        let a = activity("n");
        // The instance has no field named "task" on the phone log: the write ignored it.
        let log = json!({"sys_id": "1", "notes": work_note(&a)});
        let f = judge_row(&[log], "sn_openframe_phone_log", "notes", &a.call_id, Some(("task", CASE_ID)));
        assert!(matches!(&f, Found::Unconfirmed(m) if m.contains("servicenow.phoneLogTaskField") && m.contains("'task'")), "{f:?}");
        // Another task in it.
        let other = json!({"sys_id": "1", "notes": work_note(&a), "task": "ca5e0000000000000000000000000002"});
        assert!(matches!(judge_row(&[other], "sn_openframe_phone_log", "notes", &a.call_id, Some(("task", CASE_ID))), Found::Unconfirmed(_)));
    }

    #[test]
    fn the_phone_log_task_field_is_a_validated_setting() {
        let mut s = crate::config::Settings::default();
        assert_eq!(s.servicenow.phone_log_task_field, "task");
        assert!(s.apply_json(crate::config::Source::ConfigFile, &json!({"servicenow": {"phoneLogTaskField": "u_case"}})).is_empty());
        assert_eq!(s.servicenow.phone_log_task_field, "u_case");
        assert_eq!(phone_log_body(&activity("n"), &s.servicenow.phone_log_task_field)["u_case"], "ca5e");
    }

    macro_rules! hostile_task_field {
        ($($name:ident: $v:expr;)*) => {$(
            #[test]
            fn $name() {
                let mut s = crate::config::Settings::default();
                let e = s.apply_json(crate::config::Source::ConfigFile, &json!({"servicenow": {"phoneLogTaskField": $v}}));
                assert_eq!(e.len(), 1, "{e:?}");
                assert!(e[0].to_string().contains("phoneLogTaskField"), "{}", e[0]);
                assert_eq!(s.servicenow.phone_log_task_field, "task", "the default stays");
            }
        )*};
    }
    hostile_task_field! {
        hostile_task_field_empty: "";
        hostile_task_field_with_a_query: "task^ORsys_id!=x";
        hostile_task_field_dotted: "task.sys_id";
        hostile_task_field_upper_case: "Task";
        hostile_task_field_not_text: 5;
    }

    #[test]
    fn stored_activities_read_back_as_written() {
        let mut a = activity("Router replaced.");
        a.transfers = vec!["1002".into()];
        let text = crate::json::to_string(&a);
        assert_eq!(crate::json::from_str::<Activity>(&text).unwrap(), a);
        a.record = None;
        assert_eq!(crate::json::from_str::<Activity>(&crate::json::to_string(&a)).unwrap(), a);
        assert!(crate::json::from_str::<Activity>(r#"{"call_id": 1}"#).is_none());
    }
}
