//! A call as the desk sees it (pure), whatever line carries it.

use crate::openframe::protocol::RecordRef;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The agent hung up.
    HungUp,
    /// The far end hung up.
    RemoteHungUp,
    /// The agent rejected an incoming call.
    Rejected,
    /// The caller gave up (or the alert timed out) before the agent answered.
    Missed,
    /// The agent cancelled an outgoing call before it was answered.
    Cancelled,
    /// The call could not be set up; the text says why, for a person.
    Failed(crate::strings::Msg),
    /// The agent transferred the call.
    Transferred,
    /// Another agent answered the caller first (a ring-all queue's `Reason: SIP;cause=200`): not missed.
    AnsweredElsewhere,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallState {
    /// Outgoing: sent, waiting for the far end to ring.
    Dialing,
    /// Outgoing: the far end is ringing.
    Ringing,
    /// Incoming: waiting for the agent to answer.
    Alerting,
    Connected,
    Held,
    Ended(EndReason),
}

impl CallState {
    /// The state as its derived `Debug` writes it (`Connected`, `Ended(HungUp)`, `Ended(Failed("why"))`): the
    /// call card's `data-state` and the support text's call lines. Written by hand because `{:?}` of the failure's
    /// text linked `str`'s `Debug` and with it `char`'s escaping, the Unicode printable and grapheme tables and
    /// the panic message of a bad text slice (~5 KB raw) for these two lines alone. The text is quoted by
    /// [`crate::text::quoted`]: the same as `Debug` except for characters neither printable nor control
    /// (format characters such as U+200B, combining marks, unassigned code points), written as they are.
    pub fn text(&self) -> String {
        let name = match self {
            CallState::Dialing => "Dialing",
            CallState::Ringing => "Ringing",
            CallState::Alerting => "Alerting",
            CallState::Connected => "Connected",
            CallState::Held => "Held",
            CallState::Ended(r) => {
                let mut out = crate::ui::cat(&["Ended(", r.name()]);
                if let EndReason::Failed(m) = r {
                    out.push('(');
                    crate::text::quoted(&mut out, &m.render());
                    out.push(')');
                }
                out.push(')');
                return out;
            }
        };
        name.to_string()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub id: u32,
    pub direction: Direction,
    /// The far end's number as given (dialled or presented).
    pub number: String,
    /// The far end's display name, when known.
    pub name: Option<String>,
    pub state: CallState,
    pub created_ms: f64,
    pub answered_ms: Option<f64>,
    pub ended_ms: Option<f64>,
    /// Time spent on hold so far (not counting a hold in progress).
    pub hold_ms: f64,
    pub held_since: Option<f64>,
    /// The ServiceNow record the call belongs to (click-to-call context, screen pop, or the agent's choice).
    pub record: Option<RecordRef>,
    /// `X-` headers the call arrived with (screen-pop data from an IVR or another desk).
    pub x_headers: Vec<(String, String)>,
    /// Audio packets (received, sent), from the media statistics.
    pub packets: (u64, u64),
    /// A transient status line (transfer progress, hold failure...).
    pub note: Option<String>,
    /// Call quality from the media statistics (loss, jitter, RTT, MOS, warnings).
    pub quality: super::quality::Quality,
}

/// At most this many `X-` headers of a call are kept (shown, copied to the other windows and into the state
/// saved for a reload).
pub const MAX_X_HEADERS: usize = 16;
/// Longest `X-` header name kept.
pub const MAX_X_NAME: usize = 64;
/// Longest `X-` header value kept (a sys_id is 32 characters, a case number about 10).
pub const MAX_X_VALUE: usize = 256;

/// An `X-` name of token characters (RFC 3261), and a value of at most [`MAX_X_VALUE`] bytes without control
/// or direction-changing characters (line breaks, ESC, U+202A-202E, U+2066-2069...).
fn x_header_ok(name: &str, value: &str) -> bool {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b);
    let hidden = |c: char| c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}');
    (3..=MAX_X_NAME).contains(&name.len()) && name.as_bytes()[..2].eq_ignore_ascii_case(b"x-") && name.bytes().all(token) && value.len() <= MAX_X_VALUE && !value.contains(hidden)
}

/// The headers that name a ServiceNow record (screen-pop data), kept first when a call's `X-` headers are
/// bounded.
pub const RECORD_HEADERS: [&str; 3] = ["X-SN-Table", "X-SN-Sys-Id", "X-Case-Number"];

/// Keeps the `X-` headers within the bounds: the first [`MAX_X_HEADERS`] (record headers first) with a name
/// up to [`MAX_X_NAME`] and a value up to [`MAX_X_VALUE`] bytes on one line. The rest are dropped, never cut (a cut value could
/// name another record); the count of those left out is returned, to tell the agent.
pub fn bound_x_headers(headers: Vec<(String, String)>) -> (Vec<(String, String)>, usize) {
    let total = headers.len();
    // Record headers first (a stable partition, not a sort: ~4 KB less wasm), so other headers cannot push them out.
    let (mut first, mut rest) = (Vec::new(), Vec::new());
    for h in headers {
        if x_header_ok(&h.0, &h.1) {
            if RECORD_HEADERS.iter().any(|r| h.0.eq_ignore_ascii_case(r)) { first.push(h) } else { rest.push(h) }
        }
    }
    let mut headers = first;
    headers.append(&mut rest);
    headers.truncate(MAX_X_HEADERS);
    let dropped = total - headers.len();
    (headers, dropped)
}

impl Call {
    pub fn new(id: u32, direction: Direction, number: &str, name: Option<String>, now: f64) -> Call {
        Call {
            id,
            direction,
            number: number.to_string(),
            name,
            state: if direction == Direction::Outbound { CallState::Dialing } else { CallState::Alerting },
            created_ms: now,
            answered_ms: None,
            ended_ms: None,
            hold_ms: 0.0,
            held_since: None,
            record: None,
            x_headers: Vec::new(),
            packets: (0, 0),
            note: None,
            quality: Default::default(),
        }
    }

    pub fn is_live(&self) -> bool {
        !matches!(self.state, CallState::Ended(_))
    }

    /// The name if known, else the number.
    pub fn party(&self) -> &str {
        self.name.as_deref().filter(|n| !n.is_empty()).unwrap_or(&self.number)
    }

    /// Talk time in ms (connected time minus hold), as of `now`.
    pub fn talk_ms(&self, now: f64) -> f64 {
        let Some(start) = self.answered_ms else { return 0.0 };
        let end = self.ended_ms.unwrap_or(now);
        (end - start - self.total_hold_ms(now)).max(0.0)
    }

    /// Hold time in ms, including a hold in progress.
    pub fn total_hold_ms(&self, now: f64) -> f64 {
        let end = self.ended_ms.unwrap_or(now);
        self.hold_ms + self.held_since.map(|h| (end - h).max(0.0)).unwrap_or(0.0)
    }

    pub fn connect(&mut self, now: f64) {
        if self.answered_ms.is_none() {
            self.answered_ms = Some(now);
        }
        self.state = CallState::Connected;
    }

    pub fn set_held(&mut self, held: bool, now: f64) {
        match (held, &self.state) {
            (true, CallState::Connected) => {
                self.state = CallState::Held;
                self.held_since = Some(now);
            }
            (false, CallState::Held) => {
                self.state = CallState::Connected;
                if let Some(h) = self.held_since.take() {
                    self.hold_ms += now - h;
                }
            }
            _ => {}
        }
    }

    pub fn end(&mut self, reason: EndReason, now: f64) {
        if !self.is_live() {
            return;
        }
        if let Some(h) = self.held_since.take() {
            self.hold_ms += now - h;
        }
        self.ended_ms = Some(now);
        self.state = CallState::Ended(reason);
    }
}

impl EndReason {
    /// The variant's name, as the derived `Debug` writes it (`Failed`'s text follows it in [`CallState::text`]).
    fn name(&self) -> &'static str {
        match self {
            EndReason::HungUp => "HungUp",
            EndReason::RemoteHungUp => "RemoteHungUp",
            EndReason::Rejected => "Rejected",
            EndReason::Missed => "Missed",
            EndReason::Cancelled => "Cancelled",
            EndReason::Failed(_) => "Failed",
            EndReason::Transferred => "Transferred",
            EndReason::AnsweredElsewhere => "AnsweredElsewhere",
        }
    }

    fn key(&self) -> String {
        match self {
            EndReason::Failed(m) => crate::ui::cat(&["Failed:", &m.render()]),
            other => other.name().to_string(),
        }
    }

    fn from_key(k: &str) -> EndReason {
        match k {
            "HungUp" => EndReason::HungUp,
            "RemoteHungUp" => EndReason::RemoteHungUp,
            "Rejected" => EndReason::Rejected,
            "Missed" => EndReason::Missed,
            "Cancelled" => EndReason::Cancelled,
            "Transferred" => EndReason::Transferred,
            "AnsweredElsewhere" => EndReason::AnsweredElsewhere,
            other => EndReason::Failed(other.strip_prefix("Failed:").unwrap_or(other).into()),
        }
    }
}

impl Call {
    /// The call as JSON, for the other tabs of the desktop and for the state saved across a reload.
    pub fn to_json(&self) -> crate::json::Value {
        let state = match &self.state {
            CallState::Ended(r) => crate::ui::cat(&["Ended:", &r.key()]),
            s => s.text(),
        };
        let mut x = Vec::new();
        for (k, v) in &self.x_headers {
            x.push(crate::json::Value::from(vec![k.clone(), v.clone()]));
        }
        crate::json::json!({
            "id": self.id, "dir": self.direction == Direction::Inbound, "number": self.number, "name": self.name,
            "state": state, "created": self.created_ms, "answered": self.answered_ms, "ended": self.ended_ms,
            "hold": self.hold_ms, "heldSince": self.held_since,
            // The record as JSON text and the headers as [name, value] pairs.
            "record": self.record.as_ref().map(crate::json::to_string),
            "x": x,
            "rx": self.packets.0, "tx": self.packets.1, "note": self.note, "q": self.quality.to_compact(),
        })
    }

    /// Reads [`Call::to_json`] back; None when it is not a call.
    pub fn from_json(v: &crate::json::Value) -> Option<Call> {
        use crate::json::Value;
        let f = |k: &str| super::wrapup::get_f64(v, k);
        let s = |k: &str| super::wrapup::get_string(v, k);
        let state = match s("state")?.as_str() {
            "Dialing" => CallState::Dialing,
            "Ringing" => CallState::Ringing,
            "Alerting" => CallState::Alerting,
            "Connected" => CallState::Connected,
            "Held" => CallState::Held,
            other => CallState::Ended(EndReason::from_key(other.strip_prefix("Ended:")?)),
        };
        let mut x_headers = Vec::new();
        for p in v.get("x")?.as_array()? {
            x_headers.push((p.get(0)?.as_str()?.to_string(), p.get(1)?.as_str()?.to_string()));
        }
        // From another window or storage: held to the same bounds as when the call arrived.
        let x_headers = bound_x_headers(x_headers).0;
        Some(Call {
            // An id past u32 is not one of ours: refused, not cut to another call's id.
            id: u32::try_from(v.get("id")?.as_u64()?).ok()?,
            direction: if v.get("dir")?.as_bool()? { Direction::Inbound } else { Direction::Outbound },
            number: s("number")?,
            name: s("name"),
            state,
            created_ms: f("created")?,
            answered_ms: f("answered"),
            ended_ms: f("ended"),
            hold_ms: f("hold").unwrap_or(0.0),
            held_since: f("heldSince"),
            record: v.get("record").and_then(Value::as_str).and_then(|r| crate::json::from_str(r)),
            x_headers,
            packets: (f("rx").unwrap_or(0.0) as u64, f("tx").unwrap_or(0.0) as u64),
            note: s("note"),
            quality: s("q").and_then(|q| super::quality::Quality::from_compact(&q)).unwrap_or_default(),
        })
    }
}

/// `mm:ss`, or `h:mm:ss` past an hour.
pub fn format_duration(ms: f64) -> String {
    let total = (ms.max(0.0) / 1000.0).floor() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn state_text_is_what_debug_wrote() {
        use crate::strings::Msg;
        let mut states = vec![CallState::Dialing, CallState::Ringing, CallState::Alerting, CallState::Connected, CallState::Held];
        for r in [EndReason::HungUp, EndReason::RemoteHungUp, EndReason::Rejected, EndReason::Missed, EndReason::Cancelled, EndReason::Transferred, EndReason::AnsweredElsewhere] {
            states.push(CallState::Ended(r));
        }
        for why in ["", "Busy here", "a \"quoted\" \\ word\nand\tmore\u{1b}", "é 日本"] {
            states.push(CallState::Ended(EndReason::Failed(Msg::Raw(why.into()))));
        }
        states.push(CallState::Ended(EndReason::Failed(crate::strings::Key::TAKE_BACK_FAILED.into())));
        for s in states {
            assert_eq!(s.text(), format!("{s:?}"));
        }
    }
    use super::*;

    #[test]
    fn talk_and_hold_time() {
        let mut c = Call::new(1, Direction::Outbound, "+14155550123", None, 0.0);
        assert_eq!(c.state, CallState::Dialing);
        c.connect(1_000.0);
        c.set_held(true, 11_000.0);
        assert_eq!(c.total_hold_ms(16_000.0), 5_000.0);
        c.set_held(false, 21_000.0);
        c.set_held(true, 31_000.0);
        c.end(EndReason::HungUp, 41_000.0);
        assert_eq!(c.total_hold_ms(99_000.0), 20_000.0);
        assert_eq!(c.talk_ms(99_000.0), 20_000.0);
        assert!(!c.is_live());
        c.end(EndReason::RemoteHungUp, 50_000.0);
        assert_eq!(c.state, CallState::Ended(EndReason::HungUp), "ending twice keeps the first reason");
        assert_eq!(format_duration(65_400.0), "01:05");
        assert_eq!(format_duration(3_725_000.0), "1:02:05");
        assert_eq!(c.party(), "+14155550123");
    }

    #[test]
    fn hostile_call_id_past_u32_is_refused_not_cut_to_another_calls_id() {
        // From another window or stored data: 2^32 + 1 would have become call 1.
        let text = crate::json::to_string(&Call::new(1, Direction::Inbound, "+14155550123", None, 0.0).to_json());
        assert!(text.contains("\"id\":1,"), "{text}");
        let v = |id: &str| crate::json::from_str(&text.replacen("\"id\":1,", &format!("\"id\":{id},"), 1)).expect("json");
        assert_eq!(Call::from_json(&v("4294967295")).map(|c| c.id), Some(u32::MAX));
        for id in ["4294967296", "4294967297", "1e300", "-1", "1.5"] {
            assert_eq!(Call::from_json(&v(id)), None, "id {id}");
        }
    }

    #[test]
    fn json_round_trip_keeps_every_field() {
        let mut c = Call::new(7, Direction::Inbound, "+14155550123", Some("Beth \"B\" <x>".into()), 1_000.0);
        c.connect(2_000.0);
        c.set_held(true, 3_000.0);
        c.record = Some(RecordRef { entity: "incident".into(), sys_id: Some("abc".into()), ..Default::default() });
        c.x_headers = vec![("X-Queue".into(), "Billing".into())];
        c.packets = (120, 118);
        c.note = Some("In conference".into());
        let back = Call::from_json(&c.to_json()).expect("a call");
        assert_eq!(back, c);
        for reason in [EndReason::HungUp, EndReason::Failed("Busy: try later".into()), EndReason::Transferred, EndReason::Missed] {
            let mut e = c.clone();
            e.end(reason.clone(), 9_000.0);
            assert_eq!(Call::from_json(&e.to_json()).unwrap().state, CallState::Ended(reason));
        }
        assert_eq!(Call::from_json(&crate::json::json!({"id": 1})), None);
        assert_eq!(Call::from_json(&crate::json::json!({"id": 1, "dir": true, "number": "1", "state": "Bogus", "created": 0, "x": []})), None);
    }

    #[test]
    fn hostile_x_headers_junk_does_not_push_out_the_record_headers() {
        let mut h: Vec<(String, String)> = (0..40).map(|i| (format!("X-Junk{i}"), "v".into())).collect();
        h.push(("X-SN-Table".into(), "sn_customerservice_case".into()));
        h.push(("x-case-number".into(), "CS0001001".into()));
        let (kept, _) = bound_x_headers(h);
        assert_eq!(kept.len(), MAX_X_HEADERS);
        assert_eq!((kept[0].0.as_str(), kept[1].0.as_str()), ("X-SN-Table", "x-case-number"), "{kept:?}");
    }

    #[test]
    fn x_headers_within_bounds_are_kept_as_they_are() {
        let h: Vec<(String, String)> = (0..MAX_X_HEADERS).map(|i| (format!("X-H{i}"), "v".repeat(MAX_X_VALUE))).collect();
        assert_eq!(bound_x_headers(h.clone()), (h, 0));
    }

    /// Oversized call data never reaches the other windows or the state saved for a reload in full.
    macro_rules! hostile_x_headers {
        ($($name:ident: $headers:expr, $kept:expr;)*) => {$(
            #[test]
            fn $name() {
                let headers: Vec<(String, String)> = $headers;
                let (kept, dropped) = bound_x_headers(headers.clone());
                assert_eq!(kept.len(), $kept);
                assert!(dropped > 0 && crate::strings::x_headers_dropped(dropped).contains("left out"), "the agent is told");
                // The same bound applies to a call read from another window's state or a saved snapshot.
                let mut c = Call::new(1, Direction::Inbound, "+1", None, 0.0);
                c.x_headers = headers;
                let back = Call::from_json(&c.to_json()).expect("a call");
                assert_eq!(back.x_headers, kept);
                assert!(back.to_json().to_string().len() < 40_000);
            }
        )*};
    }
    hostile_x_headers! {
        hostile_x_headers_too_many: (0..5_000).map(|i| (format!("X-H{i}"), "v".into())).collect(), MAX_X_HEADERS;
        hostile_x_headers_huge_value: vec![("X-SN-Sys-Id".into(), "a".repeat(1_000_000)), ("X-Queue".into(), "Billing".into())], 1;
        hostile_x_headers_huge_name: vec![(format!("X-{}", "n".repeat(10_000)), "v".into())], 0;
        hostile_x_headers_line_break_in_value: vec![("X-Note".into(), "a\r\nVia: evil".into())], 0;
        hostile_x_headers_name_without_x_prefix: vec![("Via".into(), "v".into())], 0;
        hostile_x_headers_name_not_a_token: vec![("X-A B:<i>".into(), "v".into())], 0;
        hostile_x_headers_value_bidi_override: vec![("X-Name".into(), "Bob\u{202E}gnp.exe".into())], 0;
        hostile_x_headers_value_bidi_isolate: vec![("X-Name".into(), "\u{2067}Bob".into())], 0;
        hostile_x_headers_value_escape: vec![("X-Name".into(), "\u{1b}[31mred".into())], 0;
    }
}
