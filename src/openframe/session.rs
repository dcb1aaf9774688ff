//! The OpenFrame session: handshake, request/response matching, timeouts, origin filtering and diagnostics.
//! Pure and sans-IO: it takes messages and clock ticks in (milliseconds) and gives back what to post and
//! what happened. The browser bridge feeds it and carries its actions out.

use crate::strings::{Key, Msg};
use super::origin::TopDomain;
use super::protocol::{self, FrameConfig, Incoming, Method, Outgoing, ProtocolError, Rejection};
use crate::json::{json, Value};

/// How long the handshake keeps retrying before falling back to the URL's topDomain alone.
pub const HANDSHAKE_MS: f64 = 10_000.0;
pub const FIRST_RETRY_MS: f64 = 500.0;
pub const MAX_RETRY_MS: f64 = 2_000.0;
/// Per-request timeouts (the classic host answers only init, get_config and visible).
pub const CONFIG_TIMEOUT_MS: f64 = 3_000.0;
pub const VISIBLE_TIMEOUT_MS: f64 = 2_000.0;
/// Publishes queued while the handshake runs (beyond this the oldest are dropped).
pub const MAX_QUEUED: usize = 50;
/// Entries kept in the diagnostics log.
pub const LOG_LEN: usize = 40;

#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// No topDomain: OpenFrame is off.
    Standalone,
    /// Sending `openframe_init` and waiting for an answer.
    Connecting,
    /// The host answered; asking for the configuration record.
    Configuring,
    /// Connected. `confirmed` is false when the host never answered (oldest hosts: URL parameter only).
    Ready { confirmed: bool },
    /// Refused to run (the host's origin is not the configured topDomain).
    Failed(Msg),
}

/// What the bridge must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Post `text` to `window.top`. `to_any` is true only for the empty init request (target `*`);
    /// everything else goes to the topDomain origin.
    Post { text: String, to_any: bool },
    Event(SessionEvent),
}

/// What happened, for the desk.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEvent {
    Connected { confirmed: bool },
    Config(FrameConfig),
    /// The configuration record could not be had (timeout or failure); the desk keeps its settings.
    ConfigUnavailable(Msg),
    Failed(Msg),
    Visible(bool),
    RequestFailed { method: Method, message: Msg },
    Host(Incoming),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub received: u32,
    pub accepted: u32,
    pub wrong_source: u32,
    pub wrong_origin: u32,
    pub not_a_string: u32,
    pub oversized: u32,
    pub malformed: u32,
    pub not_openframe: u32,
    pub unknown_event: u32,
    pub unmatched_reply: u32,
    pub sent: u32,
    pub refused_to_send: u32,
    pub timeouts: u32,
}

impl Counters {
    pub fn dropped(&self) -> u32 {
        self.wrong_source
            + self.wrong_origin
            + self.not_a_string
            + self.oversized
            + self.malformed
            + self.not_openframe
            + self.unknown_event
            + self.unmatched_reply
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Dropped,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub at_ms: f64,
    pub direction: Direction,
    pub text: String,
}

#[derive(Clone, Debug)]
struct Pending {
    id: String,
    method: Method,
    deadline: f64,
}

pub struct Session {
    top: Option<TopDomain>,
    phase: Phase,
    started_at: f64,
    next_init_at: f64,
    retry_ms: f64,
    pending: Vec<Pending>,
    queued: Vec<Outgoing>,
    seq: u64,
    widget: Value,
    pub counters: Counters,
    pub log: Vec<LogEntry>,
    pub frame_config: Option<FrameConfig>,
}

fn short(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((i, _)) => {
            let mut s = crate::text::upto(text, i).to_string();
            s.push('…');
            s
        }
        None => text.to_string(),
    }
}

/// One event as the actions of a step (one place for the single-event answers).
#[inline(never)]
fn event(e: SessionEvent) -> Vec<Action> {
    vec![Action::Event(e)]
}

impl Session {
    /// A session for this topDomain (None: standalone) with the widget's own settings for get_config.
    pub fn new(top: Option<TopDomain>, widget: &protocol::WidgetConfig) -> Session {
        let phase = if top.is_some() { Phase::Connecting } else { Phase::Standalone };
        Session {
            top,
            phase,
            started_at: 0.0,
            next_init_at: 0.0,
            retry_ms: FIRST_RETRY_MS,
            pending: Vec::new(),
            queued: Vec::new(),
            seq: 0,
            widget: json!({"width": widget.width, "height": widget.height, "title": widget.title,
                "subTitle": widget.sub_title, "titleIcon": widget.title_icon}),
            counters: Counters::default(),
            log: Vec::new(),
            frame_config: None,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn top_domain(&self) -> Option<&TopDomain> {
        self.top.as_ref()
    }

    fn note(&mut self, now: f64, direction: Direction, text: &str) {
        // Bounded Vecs (oldest first) through the group's push_bounded: no VecDeque code of their own.
        crate::trust::push_bounded(&mut self.log, LogEntry { at_ms: now, direction, text: short(text) }, LOG_LEN);
    }

    /// Logs a dropped message: its parts written one after the other (the log keeps the first 300
    /// characters, so a part need not be shortened first).
    #[inline(never)]
    fn dropped(&mut self, now: f64, parts: &[&str]) {
        let mut t = String::new();
        for p in parts {
            t.push_str(p);
        }
        self.note(now, Direction::Dropped, &t);
    }

    fn next_id(&mut self, method: Method) -> String {
        self.seq += 1;
        format!("{}_{}", method.name(), self.seq)
    }

    /// Starts the handshake (sends the first init). Nothing happens when standalone.
    pub fn start(&mut self, now: f64) -> Vec<Action> {
        if self.phase != Phase::Connecting {
            return Vec::new();
        }
        self.started_at = now;
        self.send_init(now)
    }

    fn send_init(&mut self, now: f64) -> Vec<Action> {
        let id = self.next_id(Method::Init);
        // Init replies are matched until the handshake ends, whatever attempt they answer.
        self.pending.push(Pending { id: id.clone(), method: Method::Init, deadline: self.started_at + HANDSHAKE_MS });
        self.next_init_at = now + self.retry_ms;
        self.retry_ms = (self.retry_ms * 1.5).min(MAX_RETRY_MS);
        let msg = Outgoing::Request { id, method: Method::Init, payload: json!({}) };
        // (Not `expect`: that would keep the error's Debug formatting in the wasm for a case that cannot happen.)
        let Ok(text) = msg.encode() else { panic!("init is small") };
        self.counters.sent += 1;
        self.note(now, Direction::Out, &text);
        vec![Action::Post { text, to_any: true }]
    }

    fn post(&mut self, now: f64, msg: &Outgoing) -> Result<Action, ProtocolError> {
        match msg.encode() {
            Ok(text) => {
                self.counters.sent += 1;
                self.note(now, Direction::Out, &text);
                Ok(Action::Post { text, to_any: false })
            }
            Err(e) => {
                self.counters.refused_to_send += 1;
                Err(e)
            }
        }
    }

    fn request(&mut self, now: f64, method: Method, payload: Value, timeout: f64) -> Vec<Action> {
        let id = self.next_id(method);
        self.pending.push(Pending { id: id.clone(), method, deadline: now + timeout });
        match self.post(now, &Outgoing::Request { id, method, payload }) {
            Ok(a) => vec![a],
            Err(e) => event(SessionEvent::RequestFailed { method, message: e.msg() }),
        }
    }

    fn connected(&mut self, now: f64) -> Vec<Action> {
        self.pending.retain(|p| p.method != Method::Init);
        self.phase = Phase::Configuring;
        let mut out = vec![Action::Event(SessionEvent::Connected { confirmed: true })];
        let widget = self.widget.clone();
        out.extend(self.request(now, Method::GetConfig, widget, CONFIG_TIMEOUT_MS));
        out.extend(self.flush(now));
        out
    }

    fn flush(&mut self, now: f64) -> Vec<Action> {
        let mut out = Vec::new();
        for m in std::mem::take(&mut self.queued) {
            if let Ok(a) = self.post(now, &m) {
                out.push(a);
            }
        }
        out
    }

    fn fail(&mut self, message: Msg) -> Vec<Action> {
        self.phase = Phase::Failed(message.clone());
        self.pending.clear();
        self.queued.clear();
        event(SessionEvent::Failed(message))
    }

    fn mismatch_message(&self, answered: &str) -> Msg {
        let expected = self.top.as_ref().map(|t| t.origin()).unwrap_or_default();
        Key::OF_MISMATCH.arg("expected", &expected).arg("answered", &answered)
    }

    /// Sends a one-way message to the host. While the handshake runs it is queued; when standalone or
    /// failed it is refused (nothing is ever posted to an origin that has not been confirmed or configured).
    pub fn publish(&mut self, now: f64, msg: Outgoing) -> Result<Vec<Action>, ProtocolError> {
        msg.encode()?;
        match self.phase {
            Phase::Standalone | Phase::Failed(_) => Ok(Vec::new()),
            Phase::Connecting => {
                crate::trust::push_bounded(&mut self.queued, msg, MAX_QUEUED);
                Ok(Vec::new())
            }
            Phase::Configuring | Phase::Ready { .. } => Ok(vec![self.post(now, &msg)?]),
        }
    }

    /// Asks the host whether the frame is visible (answered with [`SessionEvent::Visible`]).
    pub fn ask_visible(&mut self, now: f64) -> Vec<Action> {
        match self.phase {
            Phase::Configuring | Phase::Ready { .. } => self.request(now, Method::Visible, json!({}), VISIBLE_TIMEOUT_MS),
            _ => Vec::new(),
        }
    }

    /// Advances timers: init retries, the handshake deadline and request timeouts.
    pub fn tick(&mut self, now: f64) -> Vec<Action> {
        let mut out = Vec::new();
        if self.phase == Phase::Connecting {
            if now >= self.started_at + HANDSHAKE_MS {
                // Oldest hosts never answer: go on with the URL's topDomain, and say so.
                self.pending.retain(|p| p.method != Method::Init);
                self.phase = Phase::Ready { confirmed: false };
                out.push(Action::Event(SessionEvent::Connected { confirmed: false }));
                out.extend(self.flush(now));
                return out;
            } else if now >= self.next_init_at {
                out.extend(self.send_init(now));
            }
        }
        let mut expired = Vec::new();
        let mut i = 0;
        while i < self.pending.len() {
            let p = &self.pending[i];
            if p.method != Method::Init && now >= p.deadline {
                expired.push(self.pending.remove(i));
            } else {
                i += 1;
            }
        }
        for p in expired {
            self.counters.timeouts += 1;
            let message = Key::OF_NO_ANSWER.arg("method", &p.method.name());
            self.dropped(now, &["timeout: ", &p.id]);
            if p.method == Method::GetConfig {
                self.phase = Phase::Ready { confirmed: true };
                out.push(Action::Event(SessionEvent::ConfigUnavailable(message)));
            } else {
                out.push(Action::Event(SessionEvent::RequestFailed { method: p.method, message }));
            }
        }
        out
    }

    /// Handles one `message` event. `from_top`: `event.source === window.top`; `data`: the event's data when
    /// it is a string.
    pub fn on_message(&mut self, now: f64, from_top: bool, origin: &str, data: Option<&str>) -> Vec<Action> {
        self.counters.received += 1;
        let Some(top) = self.top.clone() else {
            self.counters.wrong_origin += 1;
            return Vec::new();
        };
        if !from_top {
            self.counters.wrong_source += 1;
            self.dropped(now, &["not from the top window (", origin, ")"]);
            return Vec::new();
        }
        let Some(text) = data else {
            self.counters.not_a_string += 1;
            self.dropped(now, &["non-string data from ", origin]);
            return Vec::new();
        };
        if !top.matches(origin) {
            self.counters.wrong_origin += 1;
            self.dropped(now, &["from ", origin, ": ", text]);
            // Not acted on; but an answer to our own init from another origin means topDomain is wrong:
            // say so clearly instead of timing out.
            if self.phase == Phase::Connecting {
                if let Ok(Incoming::Response { id, .. }) = protocol::parse_incoming(text) {
                    if self.pending.iter().any(|p| p.id == id && p.method == Method::Init) {
                        let m = self.mismatch_message(origin);
                        return self.fail(m);
                    }
                }
            }
            return Vec::new();
        }
        let incoming = match protocol::parse_incoming(text) {
            Ok(i) => i,
            Err(r) => {
                match r {
                    Rejection::NotAString => self.counters.not_a_string += 1,
                    Rejection::Oversized => self.counters.oversized += 1,
                    Rejection::Malformed => self.counters.malformed += 1,
                    Rejection::NotOpenFrame => self.counters.not_openframe += 1,
                    Rejection::UnknownEvent => self.counters.unknown_event += 1,
                }
                self.dropped(now, &[r.label(), ": ", text]);
                return Vec::new();
            }
        };
        if matches!(self.phase, Phase::Failed(_)) {
            return Vec::new();
        }
        self.note(now, Direction::In, text);
        match incoming {
            Incoming::Response { id, success, result } => {
                let Some(pos) = self.pending.iter().position(|p| p.id == id) else {
                    self.counters.unmatched_reply += 1;
                    return Vec::new();
                };
                self.counters.accepted += 1;
                let p = self.pending.remove(pos);
                match p.method {
                    Method::Init => {
                        if self.phase != Phase::Connecting {
                            return Vec::new();
                        }
                        if let Some(answered) = result.get("topDomain").and_then(Value::as_str) {
                            if !top.matches(answered) && TopDomain::parse(answered).map(|t| t != top).unwrap_or(true) {
                                let m = self.mismatch_message(answered);
                                return self.fail(m);
                            }
                        }
                        self.connected(now)
                    }
                    Method::GetConfig => {
                        self.phase = Phase::Ready { confirmed: true };
                        if success {
                            let cfg = protocol::parse_frame_config(&result);
                            self.frame_config = Some(cfg.clone());
                            event(SessionEvent::Config(cfg))
                        } else {
                            event(SessionEvent::ConfigUnavailable(Key::OF_CONFIG_REFUSED.into()))
                        }
                    }
                    Method::Visible => event(SessionEvent::Visible(result.as_bool().unwrap_or(false))),
                }
            }
            Incoming::TopFrameDomain(d) => {
                self.counters.accepted += 1;
                if self.phase != Phase::Connecting {
                    return Vec::new();
                }
                if TopDomain::parse(&d).map(|t| t == top).unwrap_or(false) {
                    self.connected(now)
                } else {
                    let m = self.mismatch_message(&d);
                    self.fail(m)
                }
            }
            other => {
                self.counters.accepted += 1;
                event(SessionEvent::Host(other))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openframe::protocol::{encode_host_event, WidgetConfig};

    const TOP: &str = "https://acme.service-now.com";

    fn widget() -> WidgetConfig {
        WidgetConfig { width: 373, height: 300, title: "Agent Desktop".into(), sub_title: String::new(), title_icon: String::new() }
    }

    fn session() -> Session {
        Session::new(Some(TopDomain::parse(TOP).unwrap()), &widget())
    }

    fn posts(actions: &[Action]) -> Vec<(Value, bool)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Post { text, to_any } => Some((crate::json::from_str(text).unwrap(), *to_any)),
                _ => None,
            })
            .collect()
    }

    fn events(actions: &[Action]) -> Vec<SessionEvent> {
        actions.iter().filter_map(|a| if let Action::Event(e) = a { Some(e.clone()) } else { None }).collect()
    }

    fn reply(id: &str, result: Value) -> String {
        encode_host_event("openframe_response", Some(json!({"isSuccess": true, "context": {"id": id, "result": result}})))
    }

    fn request_id(p: &(Value, bool)) -> String {
        p.0["args"]["id"].as_str().unwrap().to_string()
    }

    #[test]
    fn a_dropped_message_is_logged_as_its_first_300_characters() {
        // As the log wrote it before: the message shortened, then the whole line shortened again.
        let old = |prefix: &str, text: &str| {
            let cut = |t: &str| {
                let mut s: String = t.chars().take(300).collect();
                if s.len() < t.len() {
                    s.push('…');
                }
                s
            };
            cut(&format!("{prefix}{}", cut(text)))
        };
        let evil = "https://evil.example";
        for text in [String::new(), "é".repeat(200), "é".repeat(290), "x".repeat(299), "x".repeat(300), "é".repeat(301), "ü".repeat(5000)] {
            let mut s = session();
            s.on_message(0.0, true, evil, Some(&text));
            assert_eq!(s.log.last().unwrap().text, old(&format!("from {evil}: "), &text));
            s.on_message(0.0, true, TOP, Some(&text));
            let r = protocol::parse_incoming(&text).unwrap_err();
            assert_eq!(s.log.last().unwrap().text, old(&format!("{}: ", r.label()), &text));
            assert_eq!(short(&text), old("", &text));
        }
    }

    #[test]
    fn init_reply_handshake_then_get_config() {
        let mut s = session();
        let a = s.start(0.0);
        let p = posts(&a);
        assert_eq!(p.len(), 1);
        assert!(p[0].1, "the init request is the only message posted to *");
        assert_eq!(p[0].0["args"]["method"], "openframe_init");
        assert_eq!(p[0].0["args"]["payload"], json!({}));
        let id = request_id(&p[0]);
        let a = s.on_message(100.0, true, TOP, Some(&reply(&id, json!({"topDomain": TOP}))));
        assert_eq!(events(&a)[0], SessionEvent::Connected { confirmed: true });
        let p = posts(&a);
        assert_eq!(p.len(), 1);
        assert!(!p[0].1);
        assert_eq!(p[0].0["args"]["method"], "openframe_get_config");
        assert_eq!(p[0].0["args"]["payload"], json!({"width": 373, "height": 300, "title": "Agent Desktop", "subTitle": "", "titleIcon": ""}));
        let cid = request_id(&p[0]);
        let a = s.on_message(200.0, true, TOP, Some(&reply(&cid, json!({"title": "Phone", "configuration": "wrapUpSeconds=30"}))));
        match &events(&a)[0] {
            SessionEvent::Config(c) => assert_eq!(c.configuration, "wrapUpSeconds=30"),
            e => panic!("{e:?}"),
        }
        assert_eq!(s.phase(), &Phase::Ready { confirmed: true });
    }

    #[test]
    fn init_is_retried_with_backoff_and_late_replies_to_any_attempt_count() {
        let mut s = session();
        s.start(0.0);
        let mut sent_at = vec![0.0];
        let mut t = 0.0;
        while t < 9_900.0 {
            t += 50.0;
            if !posts(&s.tick(t)).is_empty() {
                sent_at.push(t);
            }
        }
        let gaps: Vec<f64> = sent_at.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps[0], 500.0);
        assert!(gaps.windows(2).all(|w| w[1] >= w[0]), "backoff grows: {gaps:?}");
        assert!(gaps.iter().all(|g| *g <= MAX_RETRY_MS), "{gaps:?}");
        assert!(sent_at.len() >= 6, "{sent_at:?}");
        // A reply to the first attempt still completes the handshake.
        let a = s.on_message(9_950.0, true, TOP, Some(&reply("openframe_init_1", json!({"topDomain": TOP}))));
        assert_eq!(events(&a)[0], SessionEvent::Connected { confirmed: true });
    }

    #[test]
    fn topframe_domain_push_handshake() {
        let mut s = session();
        s.start(0.0);
        let a = s.on_message(10.0, true, TOP, Some(&encode_host_event("openframe_topframe_domain", Some(json!({"topDomain": TOP})))));
        assert_eq!(events(&a)[0], SessionEvent::Connected { confirmed: true });
    }

    #[test]
    fn url_parameter_only_host_continues_unconfirmed_and_flushes_queue() {
        let mut s = session();
        s.start(0.0);
        let queued = s.publish(1.0, Outgoing::SetTitle("x".into())).unwrap();
        assert!(queued.is_empty(), "queued while connecting");
        let mut all = Vec::new();
        let mut t = 0.0;
        while t <= HANDSHAKE_MS {
            t += 100.0;
            all.extend(s.tick(t));
        }
        assert!(events(&all).contains(&SessionEvent::Connected { confirmed: false }));
        assert_eq!(s.phase(), &Phase::Ready { confirmed: false });
        let flushed: Vec<_> = posts(&all).into_iter().filter(|p| p.0["eventName"] == "openframe_set_header_title").collect();
        assert_eq!(flushed.len(), 1);
        assert!(!flushed[0].1);
    }

    /// The publishes queued during the handshake and the protocol log are bounded, keep the newest in order
    /// and drop the oldest (both were VecDeques before issue #16's cuts).
    #[test]
    fn the_queue_and_the_log_keep_the_newest_in_order() {
        let mut s = session();
        s.start(0.0);
        for i in 0..MAX_QUEUED + 7 {
            assert!(s.publish(1.0, Outgoing::SetTitle(format!("t{i}"))).unwrap().is_empty(), "queued while connecting");
        }
        assert!(s.log.len() <= LOG_LEN, "{}", s.log.len());
        let mut all = Vec::new();
        let mut t = 0.0;
        while t <= HANDSHAKE_MS {
            t += 100.0;
            all.extend(s.tick(t));
        }
        let titles: Vec<String> = posts(&all)
            .into_iter()
            .filter(|p| p.0["eventName"] == "openframe_set_header_title")
            .map(|p| p.0["args"]["title"].as_str().unwrap_or("?").to_string())
            .collect();
        let want: Vec<String> = (7..MAX_QUEUED + 7).map(|i| format!("t{i}")).collect();
        assert_eq!(titles, want, "the oldest 7 dropped, the rest sent oldest first");
        assert_eq!(s.publish(t, Outgoing::SetTitle("after".into())).unwrap().len(), 1, "nothing queued any more");
        // The log: its last LOG_LEN entries, the latest last.
        for i in 0..LOG_LEN + 5 {
            s.note(t + i as f64, Direction::In, &format!("n{i}"));
        }
        assert_eq!(s.log.len(), LOG_LEN);
        assert_eq!(s.log[0].text, "n5");
        assert_eq!(s.log[LOG_LEN - 1].text, format!("n{}", LOG_LEN + 4));
    }

    #[test]
    fn wrong_top_domain_fails_clearly_and_sends_nothing_more() {
        let mut s = session();
        let a = s.start(0.0);
        let id = request_id(&posts(&a)[0]);
        let other = "https://other.service-now.com";
        let a = s.on_message(5.0, true, other, Some(&reply(&id, json!({"topDomain": other}))));
        match &events(&a)[..] {
            [SessionEvent::Failed(m)] => {
                assert!(m.contains(TOP) && m.contains(other), "{m}");
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(s.counters.wrong_origin, 1);
        assert!(s.publish(6.0, Outgoing::Show).unwrap().is_empty());
        assert!(s.tick(20_000.0).is_empty(), "no more init retries");
        // A reply from the right origin that names another topDomain is refused too.
        let mut s = session();
        let id = request_id(&posts(&s.start(0.0))[0]);
        let a = s.on_message(5.0, true, TOP, Some(&reply(&id, json!({"topDomain": other}))));
        assert!(matches!(&events(&a)[..], [SessionEvent::Failed(_)]));
        let mut s = session();
        s.start(0.0);
        let a = s.on_message(5.0, true, TOP, Some(&encode_host_event("openframe_topframe_domain", Some(json!({"topDomain": other})))));
        assert!(matches!(&events(&a)[..], [SessionEvent::Failed(_)]));
    }

    #[test]
    fn drops_and_counts_everything_not_from_top_at_top_domain() {
        let mut s = session();
        let id = request_id(&posts(&s.start(0.0))[0]);
        let good = reply(&id, json!({"topDomain": TOP}));
        assert!(s.on_message(1.0, false, TOP, Some(&good)).is_empty());
        assert_eq!(s.counters.wrong_source, 1);
        assert!(s.on_message(1.0, true, TOP, None).is_empty());
        assert_eq!(s.counters.not_a_string, 1);
        assert!(s.on_message(1.0, true, "https://evil.example", Some(&encode_host_event("openframe_shown", None))).is_empty());
        assert_eq!(s.counters.wrong_origin, 1);
        assert!(s.on_message(1.0, true, TOP, Some("{oops")).is_empty());
        assert_eq!(s.counters.malformed, 1);
        assert!(s.on_message(1.0, true, TOP, Some(&"x".repeat(protocol::MAX_INCOMING_CHARS + 1))).is_empty());
        assert_eq!(s.counters.oversized, 1);
        assert!(s.on_message(1.0, true, TOP, Some(&encode_host_event("openframe_nope", None))).is_empty());
        assert_eq!(s.counters.unknown_event, 1);
        assert!(s.on_message(1.0, true, TOP, Some("{\"hello\":1}")).is_empty());
        assert_eq!(s.counters.not_openframe, 1);
        assert!(s.on_message(1.0, true, TOP, Some(&reply("openframe_init_999", json!({})))).is_empty());
        assert_eq!(s.counters.unmatched_reply, 1);
        assert_eq!(s.phase(), &Phase::Connecting, "nothing above moved the handshake");
        assert_eq!(s.counters.dropped(), 8);
        assert_eq!(s.counters.received, 8);
        assert!(!events(&s.on_message(2.0, true, TOP, Some(&good))).is_empty());
        assert_eq!(s.counters.accepted, 1);
        assert!(s.log.iter().any(|l| l.direction == Direction::Dropped));
    }

    #[test]
    fn requests_time_out_individually() {
        let mut s = session();
        let id = request_id(&posts(&s.start(0.0))[0]);
        s.on_message(1.0, true, TOP, Some(&reply(&id, json!({"topDomain": TOP}))));
        // get_config unanswered: the session goes on with its own settings.
        let a = s.tick(1.0 + CONFIG_TIMEOUT_MS);
        assert!(matches!(&events(&a)[..], [SessionEvent::ConfigUnavailable(_)]));
        assert_eq!(s.phase(), &Phase::Ready { confirmed: true });
        let a = s.ask_visible(5_000.0);
        let vid = request_id(&posts(&a)[0]);
        assert!(s.tick(5_000.0 + VISIBLE_TIMEOUT_MS - 1.0).is_empty());
        let a = s.on_message(5_100.0, true, TOP, Some(&reply(&vid, json!(true))));
        assert_eq!(events(&a), vec![SessionEvent::Visible(true)]);
        let a = s.ask_visible(6_000.0);
        assert_eq!(posts(&a).len(), 1);
        let a = s.tick(6_000.0 + VISIBLE_TIMEOUT_MS);
        assert!(matches!(&events(&a)[..], [SessionEvent::RequestFailed { method: Method::Visible, .. }]));
        assert_eq!(s.counters.timeouts, 2);
    }

    #[test]
    fn host_events_are_delivered_and_publishes_refused_when_standalone() {
        let mut s = session();
        let id = request_id(&posts(&s.start(0.0))[0]);
        s.on_message(1.0, true, TOP, Some(&reply(&id, json!({}))));
        let c2c = encode_host_event("openframe_communication", Some(json!({"type": "OUTGOING_CALL", "data": {"metaData": {"phoneNumber": "+1"}, "data": []}})));
        let a = s.on_message(2.0, true, TOP, Some(&c2c));
        assert!(matches!(&events(&a)[..], [SessionEvent::Host(Incoming::ClickToCall(_))]));
        let a = s.publish(3.0, Outgoing::Show).unwrap();
        assert_eq!(posts(&a)[0].0["eventName"], "openframe_show");
        assert!(s.publish(3.0, Outgoing::SetTitle("x".repeat(300))).is_err());

        let mut alone = Session::new(None, &widget());
        assert_eq!(alone.phase(), &Phase::Standalone);
        assert!(alone.start(0.0).is_empty());
        assert!(alone.publish(1.0, Outgoing::Show).unwrap().is_empty());
        assert!(alone.on_message(1.0, true, TOP, Some(&c2c)).is_empty());
    }
}
