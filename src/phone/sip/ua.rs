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
use std::collections::HashMap;

pub const T1_MS: f64 = 500.0;
pub const TIMEOUT_MS: f64 = 64.0 * T1_MS;
/// RFC 3261 T2: the longest interval between retransmissions.
pub const T2_MS: f64 = 4_000.0;
/// Keep-alive OPTIONS to the server while idle.
pub const KEEPALIVE_MS: f64 = 30_000.0;
const MAX_AUTH_TRIES: u8 = 2;

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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegState {
    Unregistered,
    Registering,
    Registered { expires: u32 },
    Failed(String),
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
    Failed { code: u16, text: String },
    /// Replaced by another dialog (RFC 3891).
    Replaced,
    /// Nothing arrived in time (no answer to INVITE or no ACK for our 200).
    Timeout,
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
    ReofferFailed { call: CallRef, code: u16 },
    /// The SDP answer to an offer we made in a 200 (late offer), carried by the ACK.
    LateAnswer { call: CallRef, sdp: String },
    /// Progress of a transfer we requested (NOTIFY sipfrag status; `done` when final).
    TransferProgress { call: CallRef, code: u16, done: bool },
    /// The far end asks us to call `target` (we are the transferee).
    TransferRequested { call: CallRef, target: String },
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
    auth_tries: u8,
    /// UAC: a provisional response arrived (a CANCEL may be sent).
    provisional: bool,
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
            auth_tries: 0,
            provisional: false,
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
    reg_auth_tries: u8,
    wanted_registered: bool,
    calls: HashMap<CallRef, Call>,
    next_call: CallRef,
    txs: Vec<ClientTx>,
    next_keepalive: f64,
    nc: u32,
    now: f64,
}

fn tag_of(h: Option<&str>) -> Option<String> {
    NameAddr::parse(h?).ok()?.tag().map(str::to_string)
}

impl UserAgent {
    /// `rand` supplies randomness for tags, branches and Call-IDs (the browser passes crypto randomness).
    pub fn new(cfg: UaConfig, mut rand: Box<dyn FnMut() -> u32>) -> UserAgent {
        let host = format!("{:08x}{:04x}.invalid", rand(), rand() & 0xffff);
        // The Contact names the user (not a random token), so a proxy can find the current connection of a
        // client that reconnected, by its registration.
        let contact_user = cfg.user.chars().filter(|c| c.is_ascii_alphanumeric() || "+-_.!~*'".contains(*c)).collect::<String>();
        let contact_user = if contact_user.is_empty() { format!("{:08x}", rand()) } else { contact_user };
        let reg_call_id = format!("{:08x}{:08x}", rand(), rand());
        UserAgent {
            cfg,
            rand,
            host,
            contact_user,
            reg_state: RegState::Unregistered,
            reg_call_id,
            reg_cseq: 0,
            reg_refresh_at: None,
            reg_auth_tries: 0,
            wanted_registered: false,
            calls: HashMap::new(),
            next_call: 1,
            txs: Vec::new(),
            next_keepalive: 0.0,
            nc: 0,
            now: 0.0,
        }
    }

    pub fn registration(&self) -> &RegState {
        &self.reg_state
    }

    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.cfg.user, self.cfg.domain)
    }

    fn token(&mut self) -> String {
        format!("{:08x}{:08x}", (self.rand)(), (self.rand)())
    }

    fn branch(&mut self) -> String {
        format!("z9hG4bK{}", self.token())
    }

    fn via(&self, branch: &str) -> String {
        format!("SIP/2.0/{} {};branch={branch};rport", self.cfg.transport, self.host)
    }

    fn contact(&self) -> String {
        format!("<sip:{}@{};transport=ws>", self.contact_user, self.host)
    }

    fn local_addr(&self, tag: Option<&str>) -> NameAddr {
        let mut na = NameAddr {
            display: (!self.cfg.display_name.is_empty()).then(|| self.cfg.display_name.clone()),
            uri: Uri::parse(&self.aor()).expect("valid AOR"),
            params: Vec::new(),
        };
        if let Some(t) = tag {
            na.set_param("tag", Some(t));
        }
        na
    }

    fn common(&self, m: &mut Message) {
        m.add("Max-Forwards", "70");
        if !self.cfg.user_agent.is_empty() {
            m.add("User-Agent", self.cfg.user_agent.clone());
        }
    }

    fn send_tx(&mut self, out: &mut Vec<Output>, kind: TxKind, call: Option<CallRef>, req: Message) {
        let branch = req.via().and_then(|v| v.branch().map(str::to_string)).unwrap_or_default();
        let method = req.method().unwrap_or("").to_string();
        out.push(Output::Send(req.serialize()));
        self.txs.push(ClientTx { branch, method, kind, call, request: req, deadline: self.now + TIMEOUT_MS });
    }

    // ---------------- registration ----------------

    fn register_request(&mut self, expires: u32) -> Message {
        self.reg_cseq += 1;
        let domain_uri = format!("sip:{}", self.cfg.domain);
        let mut m = Message::request("REGISTER", &domain_uri);
        let branch = self.branch();
        let from_tag = self.token();
        m.add("Via", self.via(&branch));
        self.common(&mut m);
        m.add("To", self.local_addr(None).to_string());
        m.add("From", self.local_addr(Some(&from_tag)).to_string());
        m.add("Call-ID", self.reg_call_id.clone());
        m.add("CSeq", format!("{} REGISTER", self.reg_cseq));
        m.add("Contact", format!("{};expires={expires}", self.contact()));
        m.add("Expires", expires.to_string());
        m.add("Allow", "INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,REFER,NOTIFY");
        m.add("Supported", "path,outbound,gruu,replaces");
        m
    }

    /// Registers (and keeps refreshing the registration).
    pub fn register(&mut self, now: f64) -> Vec<Output> {
        self.now = now;
        self.wanted_registered = true;
        self.reg_auth_tries = 0;
        let mut out = vec![];
        self.set_reg(&mut out, RegState::Registering);
        let req = self.register_request(self.cfg.expires);
        self.send_tx(&mut out, TxKind::Register, None, req);
        out
    }

    /// Removes the registration (logout).
    pub fn unregister(&mut self, now: f64) -> Vec<Output> {
        self.now = now;
        self.wanted_registered = false;
        self.reg_refresh_at = None;
        self.reg_auth_tries = 0;
        let mut out = vec![];
        let req = self.register_request(0);
        self.send_tx(&mut out, TxKind::Unregister, None, req);
        out
    }

    /// Asks for a registration as soon as the transport is up (see [`UserAgent::transport_up`]).
    pub fn want_registration(&mut self) {
        self.wanted_registered = true;
    }

    /// The WebSocket was lost: every transaction is gone; calls survive only if the server keeps them.
    pub fn transport_lost(&mut self, now: f64) -> Vec<Output> {
        self.now = now;
        self.txs.clear();
        self.reg_refresh_at = None;
        let mut out = vec![];
        if self.wanted_registered {
            self.set_reg(&mut out, RegState::Failed("Connection to the SIP server lost; reconnecting".into()));
        }
        out
    }

    /// The WebSocket is (re)connected: register again if we were registered.
    pub fn transport_up(&mut self, now: f64) -> Vec<Output> {
        if self.wanted_registered {
            self.register(now)
        } else {
            Vec::new()
        }
    }

    fn set_reg(&mut self, out: &mut Vec<Output>, s: RegState) {
        if self.reg_state != s {
            self.reg_state = s.clone();
            out.push(Output::Event(UaEvent::Registration(s)));
        }
    }

    fn on_register_response(&mut self, out: &mut Vec<Output>, tx: ClientTx, resp: &Message) {
        let code = resp.code().unwrap_or(0);
        if code < 200 {
            self.txs.push(tx);
            return;
        }
        if (code == 401 || code == 407) && self.reg_auth_tries < MAX_AUTH_TRIES {
            self.reg_auth_tries += 1;
            match self.authorize(&tx.request, resp) {
                Ok(mut req) => {
                    self.reg_cseq += 1;
                    req.set("CSeq", format!("{} REGISTER", self.reg_cseq));
                    self.send_tx(out, tx.kind, None, req);
                }
                Err(e) => self.set_reg(out, RegState::Failed(e)),
            }
            return;
        }
        if tx.kind == TxKind::Unregister {
            if (200..300).contains(&code) {
                self.set_reg(out, RegState::Unregistered);
            }
            return;
        }
        if (200..300).contains(&code) {
            self.reg_auth_tries = 0;
            // The granted lifetime: our Contact's expires param, else the Expires header.
            let mine = resp
                .header_values("Contact")
                .into_iter()
                .filter_map(|c| NameAddr::parse(c).ok())
                .find(|c| c.uri.user.as_deref() == Some(self.contact_user.as_str()))
                .and_then(|c| super::message::param(&c.params, "expires").and_then(|e| e.parse::<u32>().ok()));
            let expires = mine.or_else(|| resp.header("Expires").and_then(|e| e.parse().ok())).unwrap_or(self.cfg.expires);
            // Refresh well before expiry: at half the lifetime (at least 5 s before).
            let lead = (expires as f64 * 500.0).min(expires as f64 * 1000.0 - 5_000.0).max(1_000.0);
            self.reg_refresh_at = Some(self.now + lead);
            self.set_reg(out, RegState::Registered { expires });
        } else if code == 423 {
            if let Some(min) = resp.header("Min-Expires").and_then(|e| e.parse::<u32>().ok()) {
                self.cfg.expires = min;
                let req = self.register_request(min);
                self.send_tx(out, TxKind::Register, None, req);
            }
        } else {
            let text = match code {
                401 | 403 | 407 => "The SIP server refused the user name or password".to_string(),
                404 => format!("The SIP server does not know the user {}", self.cfg.user),
                _ => format!("Registration failed: {code} {}", reason(resp)),
            };
            self.set_reg(out, RegState::Failed(text));
        }
    }

    /// A copy of `req` with credentials answering the challenge in `resp`, a new branch and nonce count.
    fn authorize(&mut self, req: &Message, resp: &Message) -> Result<Message, String> {
        let (chal_h, auth_h) = if resp.code() == Some(407) {
            ("Proxy-Authenticate", "Proxy-Authorization")
        } else {
            ("WWW-Authenticate", "Authorization")
        };
        let challenges = resp.header_values(chal_h);
        let chal = challenges
            .iter()
            .filter_map(|c| Challenge::parse(c).ok())
            // Prefer SHA-256 when offered (RFC 8760).
            .max_by_key(|c| (c.algorithm == digest::Algorithm::Sha256) as u8)
            .ok_or_else(|| "The SIP server asked for credentials in a way this phone does not support".to_string())?;
        self.nc += 1;
        let cnonce = self.token();
        let uri = req.uri().unwrap_or("").to_string();
        let method = req.method().unwrap_or("").to_string();
        let auth_user = if self.cfg.auth_user.is_empty() { self.cfg.user.clone() } else { self.cfg.auth_user.clone() };
        let value = digest::authorization(&chal, &auth_user, &self.cfg.password, &method, &uri, self.nc, &cnonce);
        let mut m = req.clone();
        m.remove("Authorization").remove("Proxy-Authorization");
        m.add(auth_h, value);
        let branch = self.branch();
        m.remove("Via");
        m.headers.insert(0, ("Via".into(), self.via(&branch)));
        Ok(m)
    }

    // ---------------- calls: outgoing ----------------

    fn new_call_id(&mut self) -> CallRef {
        let id = self.next_call;
        self.next_call += 1;
        id
    }

    /// Places a call to `target` (a SIP URI or a number at our domain) with our SDP offer and extra headers
    /// (e.g. `X-` screen-pop data, `Replaces` for a consultative transfer's target).
    pub fn invite(&mut self, now: f64, target: &str, offer: &str, extra: &[(String, String)]) -> Result<(CallRef, Vec<Output>), String> {
        self.now = now;
        let mut target_uri = self.target_uri(target)?;
        // Headers in the target URI (`?Replaces=...` from a REFER) become request headers (RFC 3261 19.1.5).
        let mut uri_headers: Vec<(String, String)> = Vec::new();
        if let Some(h) = target_uri.headers.take() {
            for pair in h.split('&') {
                if let Some((k, v)) = pair.split_once('=') {
                    uri_headers.push((percent_decode(k), percent_decode(v)));
                }
            }
        }
        let id = self.new_call_id();
        let call_id = format!("{}@{}", self.token(), self.host);
        let local_tag = self.token();
        let local = self.local_addr(Some(&local_tag));
        let remote = NameAddr { display: None, uri: target_uri.clone(), params: Vec::new() };
        let mut m = Message::request("INVITE", &target_uri.to_string());
        let branch = self.branch();
        m.add("Via", self.via(&branch));
        self.common(&mut m);
        m.add("To", remote.to_string());
        m.add("From", local.to_string());
        m.add("Call-ID", call_id.clone());
        m.add("CSeq", "1 INVITE");
        m.add("Contact", self.contact());
        m.add("Allow", "INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,REFER,NOTIFY");
        m.add("Supported", "replaces");
        for (k, v) in extra.iter().chain(uri_headers.iter()) {
            if is_safe_header(k, v) {
                m.add(k, v.clone());
            }
        }
        m.with_body("application/sdp", offer);
        let dialog = Dialog {
            call_id,
            local_tag,
            remote_tag: None,
            local,
            remote,
            remote_target: target_uri.to_string(),
            route_set: Vec::new(),
            local_cseq: 1,
            remote_cseq: None,
        };
        self.calls.insert(id, Call::fresh(id, true, CallState::Calling, dialog, m.clone()));
        let mut out = vec![];
        self.send_tx(&mut out, TxKind::Invite, Some(id), m);
        Ok((id, out))
    }

    /// `sip:` URIs as given; anything else is a number (or user) at our domain. Spaces, dashes, dots and
    /// brackets in numbers are dropped; only digits, `+`, `*`, `#` and letters of a user name remain.
    pub fn target_uri(&self, target: &str) -> Result<Uri, String> {
        let t = target.trim();
        if t.to_ascii_lowercase().starts_with("sip:") || t.to_ascii_lowercase().starts_with("sips:") {
            return Uri::parse(t).map_err(|e| e.to_string());
        }
        let user: String = t.chars().filter(|c| !" -.()/".contains(*c)).collect();
        if user.is_empty() || !user.chars().all(|c| c.is_ascii_alphanumeric() || "+*#_".contains(c)) {
            return Err(format!("'{target}' is not a number or SIP address"));
        }
        let user = user.replace('#', "%23");
        Uri::parse(&format!("sip:{user}@{}", self.cfg.domain)).map_err(|e| e.to_string())
    }

    fn on_invite_response(&mut self, out: &mut Vec<Output>, tx: ClientTx, resp: &Message) {
        let Some(id) = tx.call else { return };
        let code = resp.code().unwrap_or(0);
        let Some(call) = self.calls.get_mut(&id) else { return };
        if code < 200 {
            self.txs.push(tx);
            call.provisional = true;
            if call.cancel_requested {
                // A CANCEL asked for before any provisional response can go now.
                call.cancel_requested = false;
                self.send_cancel(out, id);
                return;
            }
            if code > 100 {
                if let Some(tag) = tag_of(resp.header("To")) {
                    call.dialog.remote_tag = Some(tag);
                    if call.state == CallState::Calling {
                        call.state = CallState::Early;
                    }
                }
                let early = (!resp.body.is_empty()).then(|| resp.body.clone());
                out.push(Output::Event(UaEvent::Progress { call: id, code, early_sdp: early }));
            }
            return;
        }
        if (200..300).contains(&code) {
            let call = self.calls.get_mut(&id).unwrap();
            call.dialog.remote_tag = tag_of(resp.header("To"));
            if let Some(c) = resp.header("Contact").and_then(|c| NameAddr::parse(c).ok()) {
                call.dialog.remote_target = c.uri.to_string();
            }
            call.dialog.route_set = resp.header_values("Record-Route").into_iter().rev().map(str::to_string).collect();
            let was_cancelling = call.state == CallState::Terminating;
            call.state = CallState::Confirmed;
            let ack = self.in_dialog_request(id, "ACK", Some(1));
            out.push(Output::Send(ack.serialize()));
            if was_cancelling {
                // The 200 crossed our CANCEL: end the call properly.
                out.extend(self.hang_up(self.now, id));
                return;
            }
            out.push(Output::Event(UaEvent::Answered { call: id, sdp: resp.body.clone() }));
            return;
        }
        // Non-2xx final: ACK it within the transaction (same branch, the response's To).
        let mut ack = Message::request("ACK", call.invite.uri().unwrap_or(""));
        ack.add("Via", call.invite.header("Via").unwrap_or("").to_string());
        ack.add("Max-Forwards", "70");
        ack.add("To", resp.header("To").unwrap_or("").to_string());
        ack.add("From", call.invite.header("From").unwrap_or("").to_string());
        ack.add("Call-ID", call.dialog.call_id.clone());
        ack.add("CSeq", format!("{} ACK", call.invite.cseq().map(|c| c.0).unwrap_or(1)));
        for r in call.invite.header_values("Route") {
            ack.add("Route", r.to_string());
        }
        out.push(Output::Send(ack.serialize()));
        if (code == 401 || code == 407) && call.auth_tries < MAX_AUTH_TRIES && call.state != CallState::Terminating {
            call.auth_tries += 1;
            let invite = call.invite.clone();
            match self.authorize(&invite, resp) {
                Ok(mut req) => {
                    let call = self.calls.get_mut(&id).unwrap();
                    call.dialog.local_cseq += 1;
                    req.set("CSeq", format!("{} INVITE", call.dialog.local_cseq));
                    call.invite = req.clone();
                    call.dialog.remote_tag = None;
                    self.send_tx(out, TxKind::Invite, Some(id), req);
                }
                Err(e) => {
                    self.calls.remove(&id);
                    out.push(Output::Event(UaEvent::Ended { call: id, reason: Ended::Failed { code, text: e } }));
                }
            }
            return;
        }
        let call = self.calls.remove(&id).unwrap();
        let reason = if call.state == CallState::Terminating && code == 487 {
            Ended::Local
        } else {
            Ended::Failed { code, text: failure_text(code).to_string() }
        };
        out.push(Output::Event(UaEvent::Ended { call: id, reason }));
    }

    fn send_cancel(&mut self, out: &mut Vec<Output>, id: CallRef) {
        let Some(call) = self.calls.get(&id) else { return };
        let inv = &call.invite;
        let mut c = Message::request("CANCEL", inv.uri().unwrap_or(""));
        c.add("Via", inv.header("Via").unwrap_or("").to_string());
        c.add("Max-Forwards", "70");
        c.add("To", inv.header("To").unwrap_or("").to_string());
        c.add("From", inv.header("From").unwrap_or("").to_string());
        c.add("Call-ID", call.dialog.call_id.clone());
        c.add("CSeq", format!("{} CANCEL", inv.cseq().map(|c| c.0).unwrap_or(1)));
        for r in inv.header_values("Route") {
            c.add("Route", r.to_string());
        }
        self.send_tx(out, TxKind::Cancel, Some(id), c);
    }

    // ---------------- calls: incoming ----------------

    fn on_new_invite(&mut self, out: &mut Vec<Output>, req: &Message) {
        let from = match req.from() {
            Some(f) if f.tag().is_some() => f,
            _ => {
                out.push(Output::Send(self.reply(req, 400, "Bad Request", None, None).serialize()));
                return;
            }
        };
        let id = self.new_call_id();
        let local_tag = self.token();
        let to = req.to().map(|mut t| {
            t.set_param("tag", Some(&local_tag));
            t
        });
        let Some(local) = to else {
            out.push(Output::Send(self.reply(req, 400, "Bad Request", None, None).serialize()));
            return;
        };
        let remote_target = req
            .header("Contact")
            .and_then(|c| NameAddr::parse(c).ok())
            .map(|c| c.uri.to_string())
            .unwrap_or_else(|| from.uri.to_string());
        let replaces = req.header("Replaces").and_then(parse_replaces);
        let replaced = replaces.as_ref().and_then(|r| self.find_by_replaces(r));
        if replaces.is_some() && replaced.is_none() {
            out.push(Output::Send(self.reply(req, 481, "Call/Transaction Does Not Exist", None, None).serialize()));
            return;
        }
        let dialog = Dialog {
            call_id: req.call_id().unwrap_or("").to_string(),
            local_tag: local_tag.clone(),
            remote_tag: from.tag().map(str::to_string),
            local,
            remote: from.clone(),
            remote_target,
            route_set: req.header_values("Record-Route").into_iter().map(str::to_string).collect(),
            local_cseq: 0,
            remote_cseq: req.cseq().map(|c| c.0),
        };
        self.calls.insert(id, Call::fresh(id, false, CallState::Ringing, dialog, req.clone()));
        // A P-Asserted-Identity (set by a trusted proxy) names the caller better than From.
        let who = req.header("P-Asserted-Identity").and_then(|p| NameAddr::parse(p).ok()).unwrap_or(from);
        let party = Party {
            display: who.display.clone().filter(|d| !d.is_empty()),
            user: who.uri.user_decoded().unwrap_or_default(),
            uri: who.uri.to_string(),
        };
        if replaces.is_none() {
            let ringing = self.reply(req, 180, "Ringing", Some(&local_tag), None);
            out.push(Output::Send(ringing.serialize()));
        }
        out.push(Output::Event(UaEvent::Incoming {
            call: id,
            from: party,
            x_headers: req.x_headers(),
            offer: req.body.clone(),
            replaces: replaced,
        }));
    }

    fn find_by_replaces(&self, r: &Replaces) -> Option<CallRef> {
        self.calls
            .values()
            .find(|c| {
                c.dialog.call_id == r.call_id
                    && c.dialog.local_tag == r.to_tag
                    && c.dialog.remote_tag.as_deref() == Some(r.from_tag.as_str())
            })
            .map(|c| c.id)
    }

    /// Answers an incoming call (or a call replacing another) with our SDP answer.
    pub fn answer(&mut self, now: f64, id: CallRef, sdp: &str) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        let Some(call) = self.calls.get(&id) else { return out };
        if call.state != CallState::Ringing {
            return out;
        }
        let req = call.invite.clone();
        let tag = call.dialog.local_tag.clone();
        let mut ok = self.reply(&req, 200, "OK", Some(&tag), Some(sdp));
        ok.add("Contact", self.contact());
        ok.add("Allow", "INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,REFER,NOTIFY");
        ok.add("Supported", "replaces");
        let text = ok.serialize();
        out.push(Output::Send(text.clone()));
        let call = self.calls.get_mut(&id).unwrap();
        call.state = CallState::WaitAck;
        call.ack_deadline = Some(now + TIMEOUT_MS);
        // A proxy may carry it on over UDP, where it can be lost: the UAS core repeats it until the ACK.
        call.ok_again = Some((text, now + T1_MS, T1_MS));
        out
    }

    /// Refuses an incoming call (486 Busy Here, 480 Temporarily Unavailable, 603 Decline).
    pub fn reject(&mut self, now: f64, id: CallRef, code: u16) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        let Some(call) = self.calls.get(&id) else { return out };
        if call.state != CallState::Ringing {
            return out;
        }
        let (req, tag) = (call.invite.clone(), call.dialog.local_tag.clone());
        let text = match code {
            486 => "Busy Here",
            480 => "Temporarily Unavailable",
            603 => "Decline",
            _ => "Rejected",
        };
        out.push(Output::Send(self.reply(&req, code, text, Some(&tag), None).serialize()));
        self.calls.remove(&id);
        out.push(Output::Event(UaEvent::Ended { call: id, reason: Ended::Local }));
        out
    }

    /// Ends a call in any state: CANCEL while it rings out, reject while it rings in, BYE once answered.
    pub fn hang_up(&mut self, now: f64, id: CallRef) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        let Some(call) = self.calls.get_mut(&id) else { return out };
        match call.state {
            CallState::Calling | CallState::Early => {
                call.state = CallState::Terminating;
                // CANCEL only after a provisional response (RFC 3261 9.1); else as soon as one arrives.
                if call.provisional {
                    self.send_cancel(&mut out, id);
                } else {
                    call.cancel_requested = true;
                }
            }
            CallState::Ringing => return self.reject(now, id, 486),
            CallState::WaitAck | CallState::Confirmed => {
                call.state = CallState::Terminating;
                let bye = self.in_dialog_request(id, "BYE", None);
                self.send_tx(&mut out, TxKind::Bye, Some(id), bye);
            }
            CallState::Terminating => {}
        }
        out
    }

    /// Sends a re-INVITE with a new offer (hold: `a=sendonly`/`inactive`; resume: `a=sendrecv`).
    pub fn reinvite(&mut self, now: f64, id: CallRef, sdp: &str) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        match self.calls.get(&id) {
            Some(c) if c.state == CallState::Confirmed => {}
            _ => return out,
        }
        if self.txs.iter().any(|t| t.call == Some(id) && t.kind == TxKind::ReInvite) {
            out.push(Output::Event(UaEvent::ReofferFailed { call: id, code: 491 }));
            return out;
        }
        let mut m = self.in_dialog_request(id, "INVITE", None);
        m.add("Contact", self.contact());
        m.with_body("application/sdp", sdp);
        self.send_tx(&mut out, TxKind::ReInvite, Some(id), m);
        out
    }

    /// Answers the far end's re-INVITE (from [`UaEvent::RemoteOffer`]).
    pub fn answer_reoffer(&mut self, now: f64, id: CallRef, sdp: &str) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        let Some(call) = self.calls.get_mut(&id) else { return out };
        let Some(req) = call.pending_reinvite.take() else { return out };
        let tag = call.dialog.local_tag.clone();
        let mut ok = self.reply(&req, 200, "OK", Some(&tag), Some(sdp));
        ok.add("Contact", self.contact());
        out.push(Output::Send(ok.serialize()));
        out
    }

    /// Blind transfer (REFER to `target`), or consultative with `replaces` naming the consultation call.
    /// `headers` (X- headers such as the record on screen) ride in the Refer-To URI, so the transferee's
    /// INVITE to the target carries them ("send screen on transfer").
    pub fn refer(
        &mut self,
        now: f64,
        id: CallRef,
        target: &str,
        replaces: Option<CallRef>,
        headers: &[(String, String)],
    ) -> Result<Vec<Output>, String> {
        self.now = now;
        match self.calls.get(&id) {
            Some(c) if c.state == CallState::Confirmed => {}
            _ => return Err("The call is not connected".into()),
        }
        let mut uri = match replaces {
            None => self.target_uri(target)?,
            Some(r) => self.replaces_uri(r)?,
        };
        let extra: Vec<String> = headers
            .iter()
            .filter(|(k, v)| is_safe_header(k, v) && k.to_ascii_lowercase().starts_with("x-"))
            .map(|(k, v)| format!("{k}={}", escape_header_value(v)))
            .collect();
        if !extra.is_empty() {
            let joined = extra.join("&");
            uri.headers = Some(match uri.headers.take() {
                Some(h) => format!("{h}&{joined}"),
                None => joined,
            });
        }
        let mut m = self.in_dialog_request(id, "REFER", None);
        m.add("Contact", self.contact());
        m.add("Refer-To", format!("<{uri}>"));
        m.add("Referred-By", format!("<{}>", self.aor()));
        let mut out = vec![];
        self.send_tx(&mut out, TxKind::Refer, Some(id), m);
        Ok(out)
    }

    /// The consultation call's party with `?Replaces=` naming that dialog (RFC 3891), for a REFER.
    fn replaces_uri(&self, r: CallRef) -> Result<Uri, String> {
        {
            let c = self.calls.get(&r).ok_or("The consultation call has ended")?;
            let d = &c.dialog;
            let remote_tag = d.remote_tag.clone().ok_or("The consultation call is not connected")?;
            // Replaces names the dialog as the target sees it: its to-tag is our remote tag.
            let value = format!("{};to-tag={};from-tag={}", d.call_id, remote_tag, d.local_tag);
            let mut uri = Uri::parse(&d.remote.uri.to_string()).map_err(|e| e.to_string())?;
            uri.headers = Some(format!("Replaces={}", escape_header_value(&value)));
            Ok(uri)
        }
    }

    /// DTMF by SIP INFO (application/dtmf-relay), the fallback when RTP events are not used.
    pub fn info_dtmf(&mut self, now: f64, id: CallRef, digit: char) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        match self.calls.get(&id) {
            Some(c) if c.state == CallState::Confirmed => {}
            _ => return out,
        }
        let mut m = self.in_dialog_request(id, "INFO", None);
        m.with_body("application/dtmf-relay", format!("Signal={digit}\r\nDuration=160\r\n"));
        self.send_tx(&mut out, TxKind::Info, Some(id), m);
        out
    }

    /// For a transferee: report the new call's progress to the referrer (NOTIFY with a sipfrag).
    pub fn notify_transfer(&mut self, now: f64, referring: CallRef, code: u16) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        if !self.calls.contains_key(&referring) {
            return out;
        }
        let mut m = self.in_dialog_request(referring, "NOTIFY", None);
        m.add("Event", "refer");
        m.add("Contact", self.contact());
        m.add("Subscription-State", if code >= 200 { "terminated;reason=noresource" } else { "active;expires=60" });
        let reason = match code {
            100 => "Trying",
            180 => "Ringing",
            200..=299 => "OK",
            _ => "Failed",
        };
        m.with_body("message/sipfrag;version=2.0", format!("SIP/2.0 {code} {reason}\r\n"));
        self.send_tx(&mut out, TxKind::Notify, Some(referring), m);
        out
    }

    fn in_dialog_request(&mut self, id: CallRef, method: &str, cseq: Option<u32>) -> Message {
        let branch = self.branch();
        let via = self.via(&branch);
        let call = self.calls.get_mut(&id).expect("call exists");
        let d = &mut call.dialog;
        let n = match cseq {
            Some(n) => n,
            None => {
                d.local_cseq += 1;
                d.local_cseq
            }
        };
        let mut m = Message::request(method, &d.remote_target);
        m.add("Via", via);
        m.add("Max-Forwards", "70");
        let mut to = d.remote.clone();
        if let Some(t) = &d.remote_tag {
            to.set_param("tag", Some(t));
        }
        let mut from = d.local.clone();
        from.set_param("tag", Some(&d.local_tag));
        m.add("To", to.to_string());
        m.add("From", from.to_string());
        m.add("Call-ID", d.call_id.clone());
        m.add("CSeq", format!("{n} {method}"));
        for r in &d.route_set {
            m.add("Route", r.clone());
        }
        m
    }

    fn reply(&self, req: &Message, code: u16, text: &str, to_tag: Option<&str>, sdp: Option<&str>) -> Message {
        let mut r = Message::response(code, text);
        for v in req.header_values("Via") {
            r.add("Via", v.to_string());
        }
        for rr in req.header_values("Record-Route") {
            r.add("Record-Route", rr.to_string());
        }
        let mut to = req.header("To").unwrap_or("").to_string();
        if let Some(tag) = to_tag {
            if let Ok(mut na) = NameAddr::parse(&to) {
                if na.tag().is_none() {
                    na.set_param("tag", Some(tag));
                    to = na.to_string();
                }
            }
        }
        r.add("From", req.header("From").unwrap_or("").to_string());
        r.add("To", to);
        r.add("Call-ID", req.call_id().unwrap_or("").to_string());
        r.add("CSeq", req.header("CSeq").unwrap_or("").to_string());
        if !self.cfg.user_agent.is_empty() {
            r.add("Server", self.cfg.user_agent.clone());
        }
        if let Some(s) = sdp {
            r.with_body("application/sdp", s);
        }
        r
    }

    fn find_call(&self, req: &Message) -> Option<CallRef> {
        let call_id = req.call_id()?;
        let from_tag = tag_of(req.header("From"));
        let to_tag = tag_of(req.header("To"));
        self.calls
            .values()
            .find(|c| {
                c.dialog.call_id == call_id
                    && to_tag.as_deref() == Some(c.dialog.local_tag.as_str())
                    && (c.dialog.remote_tag.is_none() || from_tag == c.dialog.remote_tag)
            })
            .map(|c| c.id)
    }

    // ---------------- input ----------------

    /// Handles one frame from the WebSocket.
    pub fn on_frame(&mut self, now: f64, text: &str) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        if text.trim().is_empty() {
            return out; // keep-alive CRLF
        }
        let msg = match Message::parse(text) {
            Ok(m) => m,
            Err(_) => return out, // malformed input is dropped (RFC 3261 16.3 / 18.1.2 behaviour for UAs)
        };
        if msg.is_request() {
            self.on_request(&mut out, &msg);
        } else {
            self.on_response(&mut out, &msg);
        }
        out
    }

    fn on_response(&mut self, out: &mut Vec<Output>, resp: &Message) {
        let branch = resp.via().and_then(|v| v.branch().map(str::to_string)).unwrap_or_default();
        let method = resp.cseq().map(|c| c.1).unwrap_or_default();
        let Some(pos) = self.txs.iter().position(|t| t.branch == branch && t.method == method) else {
            // A retransmitted 2xx to our INVITE: ACK it again.
            if method == "INVITE" && resp.code().map(|c| (200..300).contains(&c)).unwrap_or(false) {
                if let Some(id) = self.calls.values().find(|c| Some(c.dialog.call_id.as_str()) == resp.call_id()).map(|c| c.id) {
                    let n = resp.cseq().map(|c| c.0);
                    let ack = self.in_dialog_request(id, "ACK", n);
                    out.push(Output::Send(ack.serialize()));
                }
            }
            return;
        };
        let tx = self.txs.remove(pos);
        let code = resp.code().unwrap_or(0);
        match tx.kind {
            TxKind::Register | TxKind::Unregister => self.on_register_response(out, tx, resp),
            TxKind::Invite => self.on_invite_response(out, tx, resp),
            TxKind::ReInvite => {
                let Some(id) = tx.call else { return };
                if code < 200 {
                    self.txs.push(tx);
                } else if (200..300).contains(&code) {
                    let ack = self.in_dialog_request(id, "ACK", resp.cseq().map(|c| c.0));
                    out.push(Output::Send(ack.serialize()));
                    out.push(Output::Event(UaEvent::ReofferAnswered { call: id, sdp: resp.body.clone() }));
                } else {
                    out.push(Output::Event(UaEvent::ReofferFailed { call: id, code }));
                    if code == 481 || code == 408 {
                        self.end_call(out, id, Ended::Remote);
                    }
                }
            }
            TxKind::Bye => {
                if code >= 200 {
                    if let Some(id) = tx.call {
                        self.end_call(out, id, Ended::Local);
                    }
                } else {
                    self.txs.push(tx);
                }
            }
            TxKind::Refer => {
                if code < 200 {
                    self.txs.push(tx);
                } else if code >= 300 {
                    if let Some(id) = tx.call {
                        out.push(Output::Event(UaEvent::TransferProgress { call: id, code, done: true }));
                    }
                }
            }
            TxKind::Options => {
                if code >= 200 {
                    out.push(Output::Event(UaEvent::Alive));
                } else {
                    self.txs.push(tx);
                }
            }
            TxKind::Cancel | TxKind::Notify | TxKind::Info => {
                if code < 200 {
                    self.txs.push(tx);
                }
            }
        }
    }

    fn end_call(&mut self, out: &mut Vec<Output>, id: CallRef, reason: Ended) {
        if self.calls.remove(&id).is_some() {
            self.txs.retain(|t| t.call != Some(id) || t.kind == TxKind::Notify);
            out.push(Output::Event(UaEvent::Ended { call: id, reason }));
        }
    }

    fn on_request(&mut self, out: &mut Vec<Output>, req: &Message) {
        let method = req.method().unwrap_or("").to_string();
        let has_to_tag = tag_of(req.header("To")).is_some();
        if method == "CANCEL" {
            let branch = req.via().and_then(|v| v.branch().map(str::to_string));
            let target = self.calls.values().find(|c| {
                !c.outbound
                    && c.state == CallState::Ringing
                    && c.invite.via().and_then(|v| v.branch().map(str::to_string)) == branch
                    && Some(c.dialog.call_id.as_str()) == req.call_id()
            });
            match target.map(|c| (c.id, c.invite.clone(), c.dialog.local_tag.clone())) {
                Some((id, invite, tag)) => {
                    out.push(Output::Send(self.reply(req, 200, "OK", None, None).serialize()));
                    out.push(Output::Send(self.reply(&invite, 487, "Request Terminated", Some(&tag), None).serialize()));
                    self.calls.remove(&id);
                    out.push(Output::Event(UaEvent::Ended { call: id, reason: Ended::CallerCancelled }));
                }
                None => out.push(Output::Send(self.reply(req, 481, "Call/Transaction Does Not Exist", None, None).serialize())),
            }
            return;
        }
        if !has_to_tag {
            match method.as_str() {
                "INVITE" => self.on_new_invite(out, req),
                "OPTIONS" => {
                    let mut r = self.reply(req, 200, "OK", Some("o"), None);
                    r.add("Allow", "INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,REFER,NOTIFY");
                    out.push(Output::Send(r.serialize()));
                }
                "ACK" => {}
                _ => out.push(Output::Send(self.reply(req, 405, "Method Not Allowed", Some("x"), None).serialize())),
            }
            return;
        }
        let Some(id) = self.find_call(req) else {
            if method != "ACK" {
                out.push(Output::Send(self.reply(req, 481, "Call/Transaction Does Not Exist", None, None).serialize()));
            }
            return;
        };
        let cseq = req.cseq().map(|c| c.0).unwrap_or(0);
        if method != "ACK" {
            let call = self.calls.get_mut(&id).unwrap();
            if let Some(prev) = call.dialog.remote_cseq {
                if cseq < prev || (cseq == prev && method != "INVITE") {
                    out.push(Output::Send(self.reply(req, 500, "Server Internal Error", None, None).serialize()));
                    return;
                }
            }
            call.dialog.remote_cseq = Some(cseq);
        }
        match method.as_str() {
            "ACK" => {
                let call = self.calls.get_mut(&id).unwrap();
                if call.state == CallState::WaitAck {
                    call.state = CallState::Confirmed;
                    call.ack_deadline = None;
                    call.ok_again = None;
                    if let Some(c) = req.header("Contact").and_then(|c| NameAddr::parse(c).ok()) {
                        call.dialog.remote_target = c.uri.to_string();
                    }
                    if call.invite.body.is_empty() && !req.body.is_empty() {
                        out.push(Output::Event(UaEvent::LateAnswer { call: id, sdp: req.body.clone() }));
                    } else {
                        out.push(Output::Event(UaEvent::Answered { call: id, sdp: call.invite.body.clone() }));
                    }
                } else if !req.body.is_empty() {
                    out.push(Output::Event(UaEvent::LateAnswer { call: id, sdp: req.body.clone() }));
                }
            }
            "BYE" => {
                out.push(Output::Send(self.reply(req, 200, "OK", None, None).serialize()));
                self.end_call(out, id, Ended::Remote);
            }
            "INVITE" => {
                let call = self.calls.get_mut(&id).unwrap();
                if call.pending_reinvite.is_some() || self.txs.iter().any(|t| t.call == Some(id) && t.kind == TxKind::ReInvite) {
                    out.push(Output::Send(self.reply(req, 491, "Request Pending", None, None).serialize()));
                    return;
                }
                let call = self.calls.get_mut(&id).unwrap();
                if let Some(c) = req.header("Contact").and_then(|c| NameAddr::parse(c).ok()) {
                    call.dialog.remote_target = c.uri.to_string();
                }
                call.pending_reinvite = Some(req.clone());
                out.push(Output::Event(UaEvent::RemoteOffer { call: id, sdp: req.body.clone() }));
            }
            "INFO" => {
                out.push(Output::Send(self.reply(req, 200, "OK", None, None).serialize()));
                if let Some(d) = parse_dtmf_info(&req.body) {
                    out.push(Output::Event(UaEvent::Dtmf { call: id, digit: d }));
                }
            }
            "REFER" => {
                let target = req.header("Refer-To").and_then(|r| NameAddr::parse(r).ok());
                match target {
                    Some(t) => {
                        out.push(Output::Send(self.reply(req, 202, "Accepted", None, None).serialize()));
                        out.extend(self.notify_transfer(self.now, id, 100));
                        out.push(Output::Event(UaEvent::TransferRequested { call: id, target: t.uri.to_string() }));
                    }
                    None => out.push(Output::Send(self.reply(req, 400, "Bad Refer-To", None, None).serialize())),
                }
            }
            "NOTIFY" => {
                out.push(Output::Send(self.reply(req, 200, "OK", None, None).serialize()));
                let event = req.header("Event").unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                if event == "refer" {
                    let code = req
                        .body
                        .lines()
                        .next()
                        .and_then(|l| l.strip_prefix("SIP/2.0 "))
                        .and_then(|l| l.get(..3))
                        .and_then(|c| c.parse::<u16>().ok());
                    let terminated = req.header("Subscription-State").map(|s| s.starts_with("terminated")).unwrap_or(false);
                    if let Some(code) = code {
                        out.push(Output::Event(UaEvent::TransferProgress { call: id, code, done: code >= 200 || terminated }));
                    }
                }
            }
            "OPTIONS" => out.push(Output::Send(self.reply(req, 200, "OK", None, None).serialize())),
            "UPDATE" => out.push(Output::Send(self.reply(req, 501, "Not Implemented", None, None).serialize())),
            _ => out.push(Output::Send(self.reply(req, 405, "Method Not Allowed", None, None).serialize())),
        }
    }

    /// Advances timers: transaction timeouts, missing ACKs, registration refresh, keep-alive.
    pub fn tick(&mut self, now: f64) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        let (expired, keep): (Vec<ClientTx>, Vec<ClientTx>) = self.txs.drain(..).partition(|t| now >= t.deadline);
        self.txs = keep;
        for tx in expired {
            match tx.kind {
                TxKind::Register => {
                    self.set_reg(&mut out, RegState::Failed("The SIP server did not answer the registration".into()));
                    self.reg_refresh_at = Some(now + 5_000.0);
                }
                TxKind::Invite => {
                    if let Some(id) = tx.call {
                        self.end_call(&mut out, id, Ended::Timeout);
                    }
                }
                TxKind::Bye => {
                    if let Some(id) = tx.call {
                        self.end_call(&mut out, id, Ended::Local);
                    }
                }
                TxKind::ReInvite => {
                    if let Some(id) = tx.call {
                        out.push(Output::Event(UaEvent::ReofferFailed { call: id, code: 408 }));
                    }
                }
                TxKind::Refer => {
                    if let Some(id) = tx.call {
                        out.push(Output::Event(UaEvent::TransferProgress { call: id, code: 408, done: true }));
                    }
                }
                _ => {}
            }
        }
        let no_ack: Vec<CallRef> =
            self.calls.values().filter(|c| c.ack_deadline.map(|d| now >= d).unwrap_or(false)).map(|c| c.id).collect();
        for id in no_ack {
            let bye = self.in_dialog_request(id, "BYE", None);
            out.push(Output::Send(bye.serialize()));
            self.end_call(&mut out, id, Ended::Timeout);
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
                    self.reg_auth_tries = 0;
                    let req = self.register_request(self.cfg.expires);
                    self.send_tx(&mut out, TxKind::Register, None, req);
                }
            }
            if matches!(self.reg_state, RegState::Registered { .. }) && now >= self.next_keepalive {
                self.next_keepalive = now + KEEPALIVE_MS;
                if !self.txs.iter().any(|t| t.kind == TxKind::Options) {
                    let mut m = Message::request("OPTIONS", &format!("sip:{}", self.cfg.domain));
                    let branch = self.branch();
                    let tag = self.token();
                    let cid = self.token();
                    m.add("Via", self.via(&branch));
                    self.common(&mut m);
                    m.add("To", format!("<sip:{}>", self.cfg.domain));
                    m.add("From", self.local_addr(Some(&tag)).to_string());
                    m.add("Call-ID", cid);
                    m.add("CSeq", "1 OPTIONS");
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

fn reason(m: &Message) -> String {
    match &m.start {
        super::message::StartLine::Response { reason, .. } => reason.clone(),
        _ => String::new(),
    }
}

/// Only `X-` headers and a few call-control headers may be added by the desk; values are single-line.
fn is_safe_header(name: &str, value: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let allowed = n.starts_with("x-") || n == "replaces" || n == "referred-by";
    allowed
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !value.contains(['\r', '\n'])
        && value.len() <= 1024
}

fn escape_header_value(v: &str) -> String {
    v.chars()
        .map(|c| match c {
            ';' => "%3B".to_string(),
            '=' => "%3D".to_string(),
            '@' => "%40".to_string(),
            ' ' => "%20".to_string(),
            '&' => "%26".to_string(),
            '?' => "%3F".to_string(),
            '>' => "%3E".to_string(),
            '<' => "%3C".to_string(),
            '%' => "%25".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `Replaces: callid;to-tag=x;from-tag=y` (RFC 3891).
pub fn parse_replaces(v: &str) -> Option<Replaces> {
    let v = percent_decode(v);
    let mut parts = v.split(';');
    let call_id = parts.next()?.trim().to_string();
    let (mut to, mut from) = (None, None);
    for p in parts {
        match p.trim().split_once('=') {
            Some(("to-tag", t)) => to = Some(t.to_string()),
            Some(("from-tag", f)) => from = Some(f.to_string()),
            _ => {}
        }
    }
    Some(Replaces { call_id, to_tag: to?, from_tag: from? })
}

/// `Signal=5\r\nDuration=160` (application/dtmf-relay).
fn parse_dtmf_info(body: &str) -> Option<char> {
    body.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("signal") {
            let c = v.trim().chars().next()?;
            "0123456789*#ABCD".contains(c.to_ascii_uppercase()).then_some(c.to_ascii_uppercase())
        } else {
            None
        }
    })
}

/// The quoted display name helper for callers building headers.
pub fn display(name: &str) -> String {
    quote(name)
}

#[cfg(test)]
#[path = "ua_tests.rs"]
mod tests;
