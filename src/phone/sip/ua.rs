//! The SIP user agent: registration, calls (dialogs) and their transactions, sans-IO.
//!
//! It takes text frames from the WebSocket and clock ticks (milliseconds) in, and gives frames to send and
//! events for the desk out. The transport is reliable (WebSocket, RFC 7118), so requests are not
//! retransmitted: client transactions only time out (Timer B/F = 64*T1 = 32 s). The one exception is the 2xx
//! to an INVITE, which the UAS core repeats (T1 doubling to T2) until the ACK comes, because a proxy may carry
//! it on over UDP (RFC 3261 13.3.1.4); without an ACK after 64*T1 the call is torn down.
//! Media (SDP) is produced by the browser edge and handed in; the UA only carries it.

use super::digest::{self, Challenge};
use super::message::{failure_text, percent_decode, quote, Message, NameAddr, Uri};
use crate::strings::{Key, Msg};
use crate::vecmap::VecMap as HashMap;

mod dialog;
mod in_dialog;
mod registration;
mod session;
mod transaction;

pub use in_dialog::parse_replaces;
use in_dialog::is_safe_header;

pub const T1_MS: f64 = 500.0;
pub const TIMEOUT_MS: f64 = 64.0 * T1_MS;
/// RFC 3261 T2: the longest interval between retransmissions.
pub const T2_MS: f64 = 4_000.0;
/// Keep-alive OPTIONS to the server while idle.
pub const KEEPALIVE_MS: f64 = 30_000.0;
const MAX_AUTH_TRIES: u8 = 2;
/// Challenges answered for one request in all, `stale=true` ones included (a server that always says stale).
const MAX_CHALLENGES: u8 = 4;
/// The largest frame the UA reads (RFC 3261 18.1.1 names 64 KiB as the UDP ceiling); larger ones get 513.
pub const MAX_FRAME_BYTES: usize = 65_536;
/// What this UA implements, for `Allow` (405/501, OPTIONS, INVITE, 200).
const ALLOW: &str = "INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,REFER,NOTIFY";
const ALLOW_WITH_MESSAGE: &str = "INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,REFER,NOTIFY,MESSAGE";
/// Option tags this UA implements (RFC 3891 Replaces); anything else in `Require` gets 420.
const SUPPORTED: &[&str] = &["replaces"];
/// RFC 5626 4.5: base and ceiling of the registration retry wait.
const RETRY_BASE_MS: f64 = 30_000.0;
const RETRY_MAX_MS: f64 = 1_800_000.0;

pub type CallRef = u32;

#[derive(Clone, Debug, PartialEq)]
pub struct UaConfig {
    pub user: String,
    pub domain: String,
    pub auth_user: String,
    pub password: String,
    pub display_name: String,
    /// Registration lifetime requested, in seconds.
    pub expires: u32,
    /// `WS` or `WSS`, as in the Via header.
    pub transport: String,
    pub user_agent: String,
    /// An outgoing call not answered after this many seconds is cancelled (0: never).
    pub no_answer_secs: u32,
    /// What to do when the far end asks us to call someone else (REFER, RFC 3515).
    pub refer_policy: ReferPolicy,
    /// MESSAGE (RFC 3428): answered 200 and shown to the agent, or refused with 405.
    pub accept_messages: bool,
}

/// Incoming REFER: `Ask` the agent, follow only targets in our `Domain` (no URI headers), or `Never`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReferPolicy {
    #[default]
    Ask,
    Domain,
    Never,
}

impl ReferPolicy {
    pub fn parse(s: &str) -> Option<ReferPolicy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ask" => Some(ReferPolicy::Ask),
            "domain" => Some(ReferPolicy::Domain),
            "never" => Some(ReferPolicy::Never),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegState {
    Unregistered,
    Registering,
    Registered { expires: u32 },
    Failed(Msg),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// We hung up (BYE sent), cancelled or rejected.
    Local,
    /// The far end hung up.
    Remote,
    /// The caller cancelled before we answered.
    CallerCancelled,
    /// The call failed with this final response.
    Failed { code: u16, text: Msg },
    /// Replaced by another dialog (RFC 3891).
    Replaced,
    /// Nothing arrived in time (no answer to INVITE or no ACK for our 200).
    Timeout,
    /// The caller's leg was cancelled because another agent answered (`Reason: SIP;cause=200`, RFC 3326).
    AnsweredElsewhere,
    /// Our outgoing call rang longer than the no-answer time and was cancelled.
    NoAnswer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub display: Option<String>,
    /// The user part of the URI (usually the number), percent-decoded.
    pub user: String,
    pub uri: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replaces {
    pub call_id: String,
    pub to_tag: String,
    pub from_tag: String,
    /// `early-only`: replace the dialog only while it is early (RFC 3891 3).
    pub early_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UaEvent {
    Registration(RegState),
    Incoming { call: CallRef, from: Party, x_headers: Vec<(String, String)>, offer: String, replaces: Option<CallRef> },
    Progress { call: CallRef, code: u16, early_sdp: Option<String> },
    Answered { call: CallRef, sdp: String },
    Ended { call: CallRef, reason: Ended },
    /// The far end sent a re-INVITE: answer it with [`UserAgent::answer_reoffer`] (an empty offer asks us for one).
    RemoteOffer { call: CallRef, sdp: String },
    /// Our re-INVITE (hold/resume) was answered.
    ReofferAnswered { call: CallRef, sdp: String },
    /// Our re-INVITE got a final failure: the offer is void (roll it back). `refresh`: it was a target refresh
    /// ([`UserAgent::refresh`]), not the agent's hold/resume.
    ReofferFailed { call: CallRef, code: u16, refresh: bool },
    /// Time to try the failed target refresh again: make a new offer and pass it to [`UserAgent::refresh`].
    RefreshDue { call: CallRef },
    /// The SDP answer to an offer we made in a 200 (late offer), carried by the ACK.
    LateAnswer { call: CallRef, sdp: String },
    /// Progress of a transfer we requested (NOTIFY sipfrag status; `done` when final).
    TransferProgress { call: CallRef, code: u16, done: bool },
    /// The far end asks us to call `target` (we are the transferee). With `ask`, the agent decides
    /// ([`UserAgent::decline_transfer`] or placing the call); `by` is the Referred-By, when given.
    TransferRequested { call: CallRef, target: String, by: Option<String>, ask: bool },
    /// A MESSAGE (RFC 3428) arrived and was accepted: the sender and its plain text.
    Message { from: Party, text: String },
    /// The server stopped answering keep-alives: the edge should drop the connection and reconnect.
    Reconnect,
    Dtmf { call: CallRef, digit: char },
    /// The server answered a keep-alive.
    Alive,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Send(String),
    Event(UaEvent),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum CallState {
    /// UAC: INVITE sent.
    Calling,
    /// UAC: provisional response with a tag received.
    Early,
    /// UAS: INVITE received, ringing.
    Ringing,
    /// UAS: 200 sent, waiting for ACK.
    WaitAck,
    Confirmed,
    /// BYE or CANCEL sent.
    Terminating,
}

/// Incoming calls ringing at once, and calls of any kind, above which a new INVITE is answered 486 Busy Here.
/// An agent handles a call, a consultation and a conference; the bounds only stop a flood.
pub const MAX_RINGING: usize = 4;
pub const MAX_CALLS: usize = 8;

#[derive(Clone, Debug)]
struct Dialog {
    call_id: String,
    local_tag: String,
    remote_tag: Option<String>,
    local: NameAddr,
    remote: NameAddr,
    remote_target: String,
    route_set: Vec<String>,
    local_cseq: u32,
    remote_cseq: Option<u32>,
}

#[derive(Clone, Debug)]
struct Call {
    id: CallRef,
    outbound: bool,
    state: CallState,
    dialog: Dialog,
    /// UAC: the INVITE as last sent (for CANCEL and ACK); UAS: the INVITE received.
    invite: Message,
    /// UAS: a re-INVITE waiting for our answer.
    pending_reinvite: Option<Message>,
    /// UAS: when the 200 was sent (ACK deadline).
    ack_deadline: Option<f64>,
    /// UAS: the 200 to send again until the ACK comes (RFC 3261 13.3.1.4): text, next time, interval.
    ok_again: Option<(String, f64, f64)>,
    cancel_requested: bool,
    /// UAC: a provisional response arrived (a CANCEL may be sent).
    provisional: bool,
    /// UAC: when to cancel an unanswered call; `no_answer` once that happened.
    no_answer_at: Option<f64>,
    no_answer: bool,
    /// UAC: early dialogs by remote tag, with the SDP of their provisional response (RFC 3261 12.1.2, 13.2.2.4).
    early: Vec<(String, Option<String>)>,
    /// Our re-INVITE to send again after a 491 (RFC 3261 14.1): when, and its offer.
    reinvite_retry: Option<(f64, String)>,
    /// A target refresh under way: failed attempts so far, and when to try again.
    refresh: Option<(u32, f64)>,
    /// The call's end was already reported: the agent hung up and our BYE went out (the session is over for
    /// the agent then, RFC 3261 15.1.1); the call stays here only until the BYE's transaction ends.
    ended: bool,
}

impl Call {
    /// A call as its first INVITE (sent or received) leaves it.
    fn fresh(id: CallRef, outbound: bool, state: CallState, dialog: Dialog, invite: Message) -> Call {
        Call {
            id,
            outbound,
            state,
            dialog,
            invite,
            pending_reinvite: None,
            ack_deadline: None,
            ok_again: None,
            cancel_requested: false,
            provisional: false,
            no_answer_at: None,
            no_answer: false,
            early: Vec::new(),
            reinvite_retry: None,
            refresh: None,
            ended: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TxKind {
    Register,
    Unregister,
    Invite,
    ReInvite,
    Bye,
    Cancel,
    Refer,
    Notify,
    Info,
    Options,
}

#[derive(Clone, Debug)]
struct ClientTx {
    branch: String,
    method: String,
    kind: TxKind,
    call: Option<CallRef>,
    request: Message,
    deadline: f64,
    /// Challenges answered so far (failures, and all including `stale=true`).
    auth_tries: u8,
    challenges: u8,
}

pub struct UserAgent {
    cfg: UaConfig,
    rand: Box<dyn FnMut() -> u32>,
    host: String,
    contact_user: String,
    reg_state: RegState,
    reg_call_id: String,
    reg_cseq: u32,
    reg_refresh_at: Option<f64>,
    /// Consecutive registration failures (RFC 5626 4.5 backoff).
    reg_failures: u32,
    wanted_registered: bool,
    calls: HashMap<CallRef, Call>,
    next_call: CallRef,
    txs: Vec<ClientTx>,
    next_keepalive: f64,
    /// Nonce counts per nonce (RFC 7616 3.4: nc counts the requests sent with one nonce).
    nonces: Vec<(String, u32)>,
    /// The last challenge to an INVITE: new INVITEs carry its credentials at once (RFC 3261 22.3).
    invite_challenge: Option<Message>,
    /// The realms our registrar challenged REGISTER with: the only ones, with our domain, that get the password.
    realms: Vec<String>,
    now: f64,
}

/// Queues an event (one push site for every event: the enum is large).
#[inline(never)]
fn emit(out: &mut Vec<Output>, e: UaEvent) {
    out.push(Output::Event(e));
}

/// Queues a message's wire form.
#[inline(never)]
fn send_msg(out: &mut Vec<Output>, m: &Message) {
    out.push(Output::Send(m.serialize()));
}

/// The URI of a message's Contact (the far end's target), when it has a readable one.
#[inline(never)]
fn contact_target(m: &Message) -> Option<String> {
    Some(NameAddr::parse(m.header("Contact")?).ok()?.uri.to_string())
}

/// The party a From or P-Asserted-Identity names, for the desk.
#[inline(never)]
fn party(na: &NameAddr) -> Party {
    Party { display: na.display.clone().filter(|d| !d.is_empty()), user: na.uri.user_decoded().unwrap_or_default(), uri: na.uri.to_string() }
}

/// A message's Record-Route entries as a route set: in order (UAS), or reversed (UAC, RFC 3261 12.1.2).
fn record_routes(m: &Message, reverse: bool) -> Vec<String> {
    let mut routes: Vec<String> = Vec::new();
    for r in m.header_values("Record-Route") {
        routes.push(r.to_string());
    }
    if reverse {
        routes.reverse();
    }
    routes
}

/// A header value's part before its first `;` (a media type, an event package), trimmed and lower-cased.
fn first_part(v: &str) -> String {
    crate::text::split_byte(v, b';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// `n` random numbers as 8 hex digits each (`{:08x}` each, in the order drawn): no `LowerHex` in the wasm.
fn hex8s(rand: &mut dyn FnMut() -> u32, n: u32) -> String {
    let mut s = String::new();
    for _ in 0..n {
        crate::text::push_hex(&mut s, rand(), 8);
    }
    s
}

fn tag_of(h: Option<&str>) -> Option<String> {
    NameAddr::parse(h?).ok()?.tag().map(str::to_string)
}

impl UserAgent {
    /// `rand` supplies randomness for tags, branches and Call-IDs (the browser passes crypto randomness).
    /// Refuses a user name or domain that cannot form a SIP address (the agent sees why).
    pub fn new(cfg: UaConfig, mut rand: Box<dyn FnMut() -> u32>) -> Result<UserAgent, Msg> {
        check_identity(&cfg.user, &cfg.domain)?;
        let mut host = hex8s(&mut *rand, 1);
        crate::text::push_hex(&mut host, rand() & 0xffff, 4);
        host.push_str(".invalid");
        // The Contact names the user (not a random token), so a proxy can find the current connection of a
        // client that reconnected, by its registration.
        let contact_user = crate::phone::kept_chars(&cfg.user, |c| c.is_ascii_alphanumeric() || crate::text::one_of(c, "+-_.!~*'"), usize::MAX);
        let contact_user = if contact_user.is_empty() { hex8s(&mut *rand, 1) } else { contact_user };
        let reg_call_id = hex8s(&mut *rand, 2);
        Ok(UserAgent {
            cfg,
            rand,
            host,
            contact_user,
            reg_state: RegState::Unregistered,
            reg_call_id,
            reg_cseq: 0,
            reg_refresh_at: None,
            reg_failures: 0,
            wanted_registered: false,
            calls: HashMap::new(),
            next_call: 1,
            txs: Vec::new(),
            next_keepalive: 0.0,
            nonces: Vec::new(),
            invite_challenge: None,
            realms: Vec::new(),
            now: 0.0,
        })
    }

    pub fn registration(&self) -> &RegState {
        &self.reg_state
    }

    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.cfg.user, self.cfg.domain)
    }

    fn token(&mut self) -> String {
        hex8s(&mut *self.rand, 2)
    }

    fn branch(&mut self) -> String {
        format!("z9hG4bK{}", self.token())
    }

    fn via(&self, branch: &str) -> String {
        format!("SIP/2.0/{} {};branch={branch};rport", self.cfg.transport, self.host)
    }

    fn allow(&self) -> &'static str {
        if self.cfg.accept_messages {
            ALLOW_WITH_MESSAGE
        } else {
            ALLOW
        }
    }

    fn contact(&self) -> String {
        format!("<sip:{}@{};transport=ws>", self.contact_user, self.host)
    }

    fn local_addr(&self, tag: Option<&str>) -> NameAddr {
        let mut na = NameAddr {
            display: (!self.cfg.display_name.is_empty()).then(|| self.cfg.display_name.clone()),
            // Checked in `new`; a fallback rather than a panic all the same.
            uri: match Uri::parse(&self.aor()).or_else(|_| Uri::parse("sip:invalid@invalid.invalid")) {
                Ok(u) => u,
                // Not `unwrap`: that would keep ParseError's Debug formatting in the wasm for a constant.
                Err(_) => panic!("a constant URI"),
            },
            params: Vec::new(),
        };
        if let Some(t) = tag {
            na.set_param("tag", Some(t));
        }
        na
    }

    /// Our `User-Agent`, when configured (requests outside a dialog carry it).
    fn user_agent(&self) -> Option<&str> {
        Some(self.cfg.user_agent.as_str()).filter(|u| !u.is_empty())
    }

    // ---------------- input ----------------

    /// Handles one frame from the WebSocket.
    pub fn on_frame(&mut self, now: f64, text: &str) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        if text.trim().is_empty() {
            return out; // keep-alive CRLF
        }
        // A message that is not read, refused when its head is a request other than ACK (one place for both).
        let (head, code, reason) = if text.len() > MAX_FRAME_BYTES {
            // Not read: a request whose head can be read is refused with 513 (RFC 3261 21.5.11).
            // Cut at a character boundary (slicing inside one would panic, and abort the wasm).
            let mut cut = 8_192;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            (crate::text::upto(text, cut), 513, "Message Too Large")
        } else {
            match Message::parse(text) {
                Ok(msg) => {
                    if msg.is_request() {
                        self.on_request(&mut out, &msg);
                    } else {
                        self.on_response(&mut out, &msg);
                    }
                    return out;
                }
                // A request that claims more body than it carries gets 400 (RFC 3261 18.3); anything else that
                // cannot be read is dropped (RFC 3261 18.1.2 behaviour for UAs).
                Err(e) if crate::text::contains(&e.0, "Content-Length") => (text, 400, "Bad Request (Content-Length exceeds the body)"),
                Err(_) => return out,
            }
        };
        if let Some(req) = head_only(head).filter(|m| m.is_request() && m.method() != Some("ACK")) {
            self.send_reply(&mut out, &req, code, reason, None);
        }
        out
    }

    /// Advances timers: transaction timeouts, missing ACKs, registration refresh, keep-alive.
    pub fn tick(&mut self, now: f64) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        let mut expired = Vec::new();
        let mut i = 0;
        while i < self.txs.len() {
            if now >= self.txs[i].deadline {
                expired.push(self.txs.remove(i));
            } else {
                i += 1;
            }
        }
        for tx in expired {
            match tx.kind {
                TxKind::Register => {
                    self.reg_failures += 1;
                    let wait = self.retry_wait(None);
                    self.set_reg(&mut out, RegState::Failed(Key::SIP_REG_NO_ANSWER.arg("seconds", &((wait / 1000.0).ceil() as u64))));
                    self.reg_refresh_at = Some(now + wait);
                }
                TxKind::Invite => {
                    if let Some(id) = tx.call {
                        let reason = match self.calls.get(&id) {
                            Some(c) if c.no_answer => Ended::NoAnswer,
                            Some(c) if c.state == CallState::Terminating => Ended::Local,
                            _ => Ended::Timeout,
                        };
                        self.end_call(&mut out, id, reason);
                    }
                }
                TxKind::Bye => {
                    if let Some(id) = tx.call {
                        self.end_call(&mut out, id, Ended::Local);
                    }
                }
                TxKind::ReInvite => {
                    if let Some(id) = tx.call {
                        let refresh = self.calls.get_mut(&id).and_then(|c| c.refresh.take()).is_some();
                        emit(&mut out, UaEvent::ReofferFailed { call: id, code: 408, refresh });
                    }
                }
                TxKind::Refer => {
                    if let Some(id) = tx.call {
                        emit(&mut out, UaEvent::TransferProgress { call: id, code: 408, done: true });
                    }
                }
                TxKind::Options => {
                    // The flow is dead though the socket looks open: say so and let the edge reconnect.
                    if self.wanted_registered {
                        self.set_reg(&mut out, RegState::Failed(Key::SIP_STOPPED_ANSWERING.into()));
                        emit(&mut out, UaEvent::Reconnect);
                    }
                }
                _ => {}
            }
        }
        // Each step below looks at the calls still there (one list of ids, not one list per step).
        let mut ids: Vec<CallRef> = Vec::new();
        for id in self.calls.keys() {
            ids.push(*id);
        }
        for &id in &ids {
            if self.calls.get(&id).is_some_and(|c| c.ack_deadline.is_some_and(|d| now >= d)) {
                let bye = self.in_dialog_request(id, "BYE", None);
                send_msg(&mut out, &bye);
                self.end_call(&mut out, id, Ended::Timeout);
            }
        }
        // Outgoing calls that rang too long: CANCEL them (or as soon as a provisional response allows it).
        for &id in &ids {
            let Some(c) = self.calls.get_mut(&id) else { continue };
            if matches!(c.state, CallState::Calling | CallState::Early) && c.no_answer_at.is_some_and(|t| now >= t) {
                c.no_answer = true;
                c.no_answer_at = None;
                out.extend(self.hang_up(now, id));
            }
        }
        // Re-INVITEs to send again after a 491.
        for &id in &ids {
            let Some(c) = self.calls.get_mut(&id) else { continue };
            if let Some((_, sdp)) = c.reinvite_retry.take_if(|(t, _)| now >= *t) {
                let refresh = c.refresh.is_some();
                out.extend(self.send_reinvite(id, &sdp, refresh));
            }
        }
        // Target refreshes to try again (the edge makes the new offer), once no other re-INVITE is under way.
        for c in self.calls.values_mut() {
            let busy = self.txs.iter().any(|t| t.call == Some(c.id) && t.kind == TxKind::ReInvite);
            if let Some((_, at)) = c.refresh.as_mut().filter(|r| now >= r.1 && !busy) {
                *at = f64::INFINITY;
                emit(&mut out, UaEvent::RefreshDue { call: c.id });
            }
        }
        for call in self.calls.values_mut() {
            if call.state != CallState::WaitAck {
                continue;
            }
            if let Some((text, at, interval)) = call.ok_again.as_mut() {
                if now >= *at {
                    out.push(Output::Send(text.clone()));
                    *interval = (*interval * 2.0).min(T2_MS);
                    *at = now + *interval;
                }
            }
        }
        if self.wanted_registered {
            if let Some(at) = self.reg_refresh_at {
                if now >= at && !self.txs.iter().any(|t| t.kind == TxKind::Register) {
                    self.reg_refresh_at = None;
                    let req = self.register_request(self.cfg.expires);
                    self.send_tx(&mut out, TxKind::Register, None, req);
                }
            }
            if matches!(self.reg_state, RegState::Registered { .. }) && now >= self.next_keepalive {
                self.next_keepalive = now + KEEPALIVE_MS;
                if !self.txs.iter().any(|t| t.kind == TxKind::Options) {
                    let branch = self.branch();
                    let tag = self.token();
                    let cid = self.token();
                    let (to, from) = (format!("<sip:{}>", self.cfg.domain), self.local_addr(Some(&tag)).to_string());
                    let m = new_request("OPTIONS", &format!("sip:{}", self.cfg.domain), self.via(&branch), self.user_agent(), to, from, cid, 1);
                    self.send_tx(&mut out, TxKind::Options, None, m);
                }
            }
        }
        out
    }

    /// The dialog identifiers of a call, to save it for recovery after a reload.
    pub fn dialog_ids(&self, id: CallRef) -> Option<(String, String, Option<String>)> {
        self.calls.get(&id).map(|c| (c.dialog.call_id.clone(), c.dialog.local_tag.clone(), c.dialog.remote_tag.clone()))
    }

    /// What another instance of the desktop needs to take this call over (RFC 3891): the far end's
    /// target (its Contact) and the `Replaces` value naming this dialog as the far end sees it.
    /// None until the dialog is confirmed (a ringing call cannot be taken over).
    pub fn takeover(&self, id: CallRef) -> Option<(String, String)> {
        let c = self.calls.get(&id).filter(|c| c.state == CallState::Confirmed)?;
        let d = &c.dialog;
        let replaces = format!("{};to-tag={};from-tag={}", d.call_id, d.remote_tag.as_ref()?, d.local_tag);
        Some((d.remote_target.clone(), replaces))
    }

    pub fn has_call(&self, id: CallRef) -> bool {
        self.calls.contains_key(&id)
    }
}

/// A request with its first headers, in this order: Via, Max-Forwards, User-Agent (when given), To, From,
/// Call-ID and CSeq (`n` and the method). One place builds them for every request the UA makes.
#[allow(clippy::too_many_arguments)]
fn new_request(method: &str, uri: &str, via: String, user_agent: Option<&str>, to: String, from: String, call_id: String, n: u32) -> Message {
    let mut m = Message::request(method, uri);
    m.add("Via", via);
    m.add("Max-Forwards", "70");
    if let Some(ua) = user_agent {
        m.add("User-Agent", ua);
    }
    m.add("To", to);
    m.add("From", from);
    m.add("Call-ID", call_id);
    m.add("CSeq", format!("{n} {method}"));
    m
}

fn reason(m: &Message) -> String {
    match &m.start {
        super::message::StartLine::Response { reason, .. } => reason.clone(),
        _ => String::new(),
    }
}

/// The head of a message whose body could not be read (Content-Length lines left out), to answer it.
fn head_only(text: &str) -> Option<Message> {
    let end = crate::text::find(text, "\r\n\r\n")?;
    let mut head = String::new();
    for l in crate::text::split(crate::text::upto(text, end), "\r\n") {
        let n = crate::text::split_byte(l, b':').next().unwrap_or("").trim().to_ascii_lowercase();
        if n != "content-length" && n != "l" {
            head.push_str(l);
            head.push_str("\r\n");
        }
    }
    head.push_str("\r\n");
    Message::parse(&head).ok()
}

/// A user name and domain that form a valid SIP address of record, or a refusal a person can act on.
pub fn check_identity(user: &str, domain: &str) -> Result<(), Msg> {
    let user_ok = !user.is_empty() && user.chars().all(|c| c.is_ascii_alphanumeric() || crate::text::one_of(c, "-_.!~*'()&=+$,%"));
    if !user_ok {
        return Err(Key::SIP_BAD_USER.arg("user", &quoted(user)));
    }
    let domain_ok = !domain.is_empty() && domain.chars().all(|c| c.is_ascii_alphanumeric() || crate::text::one_of(c, "-.:[]"));
    if !domain_ok {
        return Err(Key::SIP_BAD_DOMAIN.arg("domain", &quoted(domain)));
    }
    Uri::parse(&format!("sip:{user}@{domain}")).map(|_| ()).map_err(|e| Key::SIP_BAD_ADDRESS.arg("why", &e.0))
}

/// A user's setting quoted and escaped for a message ([`super::message::push_quoted`]).
fn quoted(s: &str) -> String {
    let mut out = String::new();
    super::message::push_quoted(&mut out, s);
    out
}

/// The quoted display name helper for callers building headers.
pub fn display(name: &str) -> String {
    quote(name)
}

#[cfg(test)]
#[path = "ua_tests.rs"]
mod tests;
#[cfg(test)]
#[path = "ua_tests_calls.rs"]
mod tests_calls;
#[cfg(test)]
#[path = "ua_tests_dialog.rs"]
mod tests_dialog;
#[cfg(test)]
#[path = "ua_tests_interop.rs"]
mod tests_interop;
#[cfg(test)]
#[path = "ua_tests_hostile.rs"]
mod tests_hostile;
#[cfg(test)]
#[path = "ua_fuzz.rs"]
mod fuzz;
