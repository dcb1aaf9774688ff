//! Who may have the phone, the agent's sign-ins and the case records: the pure rules (no browser types).
//!
//! - A window belongs to a **deployment**: the ServiceNow instance its settings name, the `topDomain` of its
//!   address and the settings file it read. Windows of different deployments never share a channel, a
//!   lock or a message (their names carry the deployment's tag, and every message carries its key).
//! - Within a deployment a window takes part in the group (state, commands, the phone, the sign-ins) only
//!   with windows it is **linked** to. A link comes from one of: both windows are framed by the instance
//!   (their OpenFrame handshake with exactly that origin was answered); a one-time pop-out ticket the owner
//!   put in the fragment of the pop-out's address; a hand-over between the two windows (in either
//!   direction); the agent's own choice in the window that has the phone ("Use the phone here" asked in one
//!   window and allowed in the owner). A window that is linked to nobody does not queue for the phone.
//! - Group messages are parsed strictly ([`parse`]): bounded size, typed kinds, unknown kinds dropped.
//! - Secrets at rest: the reload snapshot's secrets live [`SECRET_TTL_MS`] and only for the same
//!   deployment ([`open_snapshot`]); a hand-over goes to one window ([`Trust::heir`]).
//! - A ServiceNow token is bound to the origin that issued it ([`token_may_go_to`]).

use crate::json::{json, Map, Value};
use crate::phone::sip::hash::sha256;

/// Marks the group's messages among other window messages (the OpenFrame bridge leaves these alone).
pub const MARK: &str = "{\"ad\":1,";
/// The longest group message read (a hand-over with calls, wrap-ups and the outbox fits well within it).
pub const MAX_MESSAGE: usize = 512 * 1024;
/// Instance ids: 16 lower-case hex digits.
pub const ID_LEN: usize = 16;
/// A pop-out ticket: 32 random bytes, base64url without padding.
pub const TICKET_LEN: usize = 43;
/// A pop-out must present its ticket this soon after the owner opened it.
pub const TICKET_TTL_MS: f64 = 60_000.0;
/// Secrets in the reload snapshot (SIP password, ServiceNow token) are used only this soon after they
/// were written.
pub const SECRET_TTL_MS: f64 = 60_000.0;
/// Linked windows remembered (oldest forgotten first).
pub const MAX_LINKS: usize = 16;
/// The longest deployment key accepted in a message.
const MAX_DEP: usize = 1_024;

/// A window's part in the group of the desktop's windows (see `crate::tabs`): exactly one owns the phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Looking for an owner.
    Starting,
    Owner,
    Remote,
    /// Another window has the phone and this one is not linked to it: nothing is shown or sent.
    Unlinked,
}

/// The deployment a window belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Deployment {
    /// `servicenow.instance` from the settings file (an origin), if any.
    pub instance: Option<String>,
    /// The `topDomain` of the window's address (an origin), if any.
    pub top_domain: Option<String>,
    /// The settings file read (`config.json`, or the one `?config=` names).
    pub config: String,
}

impl Deployment {
    /// The key every group message carries.
    pub fn key(&self) -> String {
        crate::servicenow::rest::concat(&[self.instance.as_deref().unwrap_or(""), "|", self.top_domain.as_deref().unwrap_or(""), "|", &self.config])
    }

    /// A short tag of the key for the channel and lock names (names must not grow with the key).
    pub fn tag(&self) -> String {
        // Lower-case hex written by hand (no format! per byte).
        let mut s = String::new();
        for b in &sha256(self.key().as_bytes())[..6] {
            for d in [b >> 4, b & 15] {
                s.push(char::from_digit(d.into(), 16).unwrap_or('0'));
            }
        }
        s
    }
}

/// What a group message asks or says.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A window joined.
    Hello,
    /// The owner's state (for linked remote views).
    State(Value),
    /// A linked remote view's command for the owner.
    Cmd(Value),
    /// The owner asks a linked frame to show something in ServiceNow.
    Of(Value),
    /// A window asks the owner for the phone: a linked one, or a pop-out with the owner's ticket.
    Claim(Option<String>),
    /// A window that is not linked asks the agent (in the owner) for the phone.
    Ask,
    /// The owner refused an explicit ask (never a ticket).
    Refused,
    /// The owner accepted a pop-out's ticket (the proof shows it knows the ticket, see [`ticket_proof`]).
    Welcome(String),
    /// The phone for the one window addressed: the packet (sign-ins, calls) and the ids the giver was
    /// linked to (they stay linked to the new owner).
    Handover { packet: Value, links: Vec<String> },
    /// A linked window vouches for a new member.
    Link(String),
    /// A window leaves (never carries secrets).
    Bye,
}

/// The kinds' names on the wire, in [`Kind`]'s order (one table for writing and reading them).
const KIND_NAMES: [&str; 11] = ["hello", "state", "cmd", "of", "claim", "ask", "refused", "welcome", "handover", "link", "bye"];

impl Kind {
    fn name(&self) -> &'static str {
        KIND_NAMES[match self {
            Kind::Hello => 0,
            Kind::State(_) => 1,
            Kind::Cmd(_) => 2,
            Kind::Of(_) => 3,
            Kind::Claim(_) => 4,
            Kind::Ask => 5,
            Kind::Refused => 6,
            Kind::Welcome(_) => 7,
            Kind::Handover { .. } => 8,
            Kind::Link(_) => 9,
            Kind::Bye => 10,
        }]
    }
}

/// One group message.
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    pub from: String,
    pub seq: u32,
    /// One window, or all.
    pub to: Option<String>,
    /// The sender's deployment key.
    pub dep: String,
    /// The sender says its OpenFrame handshake with the deployment's topDomain was answered.
    pub framed: bool,
    pub kind: Kind,
}

pub fn is_id(s: &str) -> bool {
    s.len() == ID_LEN && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn is_ticket(s: &str) -> bool {
    s.len() == TICKET_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The message as sent (starts with [`MARK`]).
pub fn encode(m: &Msg) -> String {
    use crate::json::{write, write_str, write_u64};
    // Written in place, the members in key order as an object of ours is written (no value tree built).
    let mut out = String::from(MARK);
    out.push_str("\"dep\":");
    write_str(&mut out, &m.dep);
    out.push_str(if m.framed { ",\"fr\":true,\"from\":" } else { ",\"fr\":false,\"from\":" });
    write_str(&mut out, &m.from);
    out.push_str(",\"k\":");
    write_str(&mut out, m.kind.name());
    out.push_str(",\"seq\":");
    write_u64(&mut out, m.seq.into());
    out.push_str(",\"to\":");
    match &m.to {
        Some(t) => write_str(&mut out, t),
        None => out.push_str("null"),
    }
    out.push_str(",\"v\":");
    match &m.kind {
        Kind::State(v) | Kind::Cmd(v) | Kind::Of(v) => write(&mut out, v),
        Kind::Claim(Some(t)) | Kind::Link(t) | Kind::Welcome(t) => write_str(&mut out, t),
        Kind::Handover { packet, links } => {
            out.push_str("{\"links\":[");
            for (i, l) in links.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(&mut out, l);
            }
            out.push_str("],\"packet\":");
            write(&mut out, packet);
            out.push('}');
        }
        Kind::Claim(None) | Kind::Hello | Kind::Ask | Kind::Refused | Kind::Bye => out.push_str("null"),
    }
    out.push('}');
    out
}

/// Reads a group message; None for anything that is not exactly one (too long, not our mark, a field
/// missing or of the wrong type, an unknown kind).
pub fn parse(text: &str) -> Option<Msg> {
    if text.len() > MAX_MESSAGE || !text.starts_with(MARK) {
        return None;
    }
    let Value::Object(o) = crate::json::parse(text).ok()? else { return None };
    // Everything is checked on borrowed values first, and owned only at the end (one drop on the way out).
    fn id(v: &Value) -> Option<&str> {
        v.as_str().filter(|s| is_id(s))
    }
    let from = id(o.get("from")?)?;
    let seq = u32::try_from(o.get("seq")?.as_u64()?).ok()?;
    let to = match o.get("to")? {
        Value::Null => None,
        v => Some(id(v)?),
    };
    let dep = o.get("dep")?.as_str().filter(|d| d.len() <= MAX_DEP)?;
    let framed = o.get("fr")?.as_bool()?;
    let v = o.get("v").unwrap_or(&Value::Null);
    let ticket = v.as_str().filter(|t| is_ticket(t));
    let k = o.get("k")?.as_str()?;
    let kind = match KIND_NAMES.iter().position(|n| *n == k)? {
        0 if v.is_null() => Kind::Hello,
        1 if v.is_object() => Kind::State(v.clone()),
        2 if v.is_object() => Kind::Cmd(v.clone()),
        3 if v.is_object() => Kind::Of(v.clone()),
        4 if v.is_null() => Kind::Claim(None),
        4 => Kind::Claim(Some(ticket?.to_string())),
        5 if v.is_null() => Kind::Ask,
        6 if v.is_null() => Kind::Refused,
        8 => {
            let packet = v.get("packet").filter(|p| p.is_object())?.clone();
            let links = v.get("links")?.as_array()?;
            if links.len() > MAX_LINKS {
                return None;
            }
            let mut ids = Vec::new();
            for l in links {
                ids.push(id(l)?.to_string());
            }
            Kind::Handover { packet, links: ids }
        }
        7 => Kind::Welcome(ticket?.to_string()),
        9 => Kind::Link(id(v)?.to_string()),
        10 if v.is_null() => Kind::Bye,
        _ => return None,
    };
    Some(Msg { from: from.into(), seq, to: to.map(str::to_string), dep: dep.into(), framed, kind })
}

/// Adds `x` at the end of `v`, dropping the oldest entry beyond `max` (every bounded list of the group).
pub fn push_bounded<T>(v: &mut Vec<T>, x: T, max: usize) {
    v.push(x);
    if v.len() > max {
        v.remove(0);
    }
}

/// One window's view of who it may deal with.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// This window's id and deployment key.
    pub me: String,
    pub dep: String,
    /// This window's OpenFrame handshake with the deployment's topDomain was answered.
    pub framed: bool,
    /// Windows linked to this one (newest last).
    links: Vec<String>,
    /// Pop-out tickets this window issued and nobody used yet, with when.
    tickets: Vec<(String, f64)>,
    /// Windows that asked the agent for the phone (shown in the owner until answered).
    pub asking: Vec<String>,
    /// This window asked the agent, in the owner with this id, for the phone ("Use the phone here"
    /// from a window that is not linked): that owner's answer is read.
    pub asked: Option<String>,
    /// This window's pop-out ticket (from its address), until the owner welcomes it.
    pub ticket: Option<String>,
}

/// What a window does with a message that passed [`parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Not for this window, or from a window it is not linked to: ignored.
    Drop,
    /// The state of an owner this window is not linked to: only its id is kept (that an owner exists,
    /// and whom to ask), nothing of what it says.
    Presence,
    /// Acted on.
    Act,
}

impl Trust {
    pub fn new(me: &str, dep: &str) -> Trust {
        Trust { me: me.into(), dep: dep.into(), ..Default::default() }
    }

    /// True when `from` is linked to this window (`framed`: what its message says of itself).
    pub fn trusts(&self, from: &str, framed: bool) -> bool {
        self.links.iter().any(|l| l == from) || (self.framed && framed)
    }

    /// True when this window is linked to anyone (or framed: the agent's ServiceNow page shows it).
    pub fn is_member(&self) -> bool {
        self.framed || !self.links.is_empty()
    }

    pub fn link(&mut self, id: &str) {
        if !is_id(id) || id == self.me {
            return;
        }
        self.links.retain(|l| l != id);
        push_bounded(&mut self.links, id.to_string(), MAX_LINKS);
        self.asking.retain(|a| a != id);
    }

    pub fn links(&self) -> Vec<String> {
        self.links.clone()
    }

    /// Remembers a ticket put in a pop-out's address.
    pub fn issue(&mut self, ticket: &str, now: f64) {
        self.tickets.retain(|(_, at)| now - at < TICKET_TTL_MS);
        push_bounded(&mut self.tickets, (ticket.to_string(), now), 4);
    }

    /// Uses up a ticket: a claim's proof ([`ticket_proof`] with "claim") of a ticket this window issued
    /// less than [`TICKET_TTL_MS`] ago gives the ticket back, once.
    pub fn redeem(&mut self, proof: &str, now: f64) -> Option<String> {
        let pos = self.tickets.iter().position(|(t, at)| now - at < TICKET_TTL_MS && now >= *at && eq_ct(ticket_proof(t, "claim").as_bytes(), proof.as_bytes()))?;
        Some(self.tickets.remove(pos).0)
    }

    /// The owner's answer to a pop-out's claim with a ticket proof: the welcome when this window issued
    /// the ticket (used up here), else nothing at all. An owner that does not know a ticket stays silent:
    /// the ticket may be another owner's (another storage partition of the same deployment), and the
    /// pop-out must hear only its opener.
    pub fn answer_claim(&mut self, proof: &str, now: f64) -> Option<Kind> {
        self.redeem(proof, now).map(|t| Kind::Welcome(ticket_proof(&t, "welcome")))
    }

    /// Whether to act on `m` (already parsed): the same deployment, addressed to this window or to all,
    /// and from a linked window, except the few kinds a window that is not linked yet may send (hello,
    /// bye, ask, a claim with a ticket: each checked where it is handled).
    pub fn admit(&self, m: &Msg) -> Admit {
        if m.dep != self.dep || m.from == self.me || m.to.as_deref().is_some_and(|t| t != self.me) {
            return Admit::Drop;
        }
        let open = matches!(m.kind, Kind::Hello | Kind::Bye | Kind::Ask | Kind::Claim(Some(_)));
        let answer = match &m.kind {
            Kind::Welcome(p) => self.ticket.as_deref().is_some_and(|t| eq_ct(ticket_proof(t, "welcome").as_bytes(), p.as_bytes())),
            Kind::Handover { .. } => self.asked.as_deref() == Some(m.from.as_str()),
            // A refusal only ends this window's own question to the owner it asked. A ticket is never
            // refused (an owner that does not know it stays silent, see [`Trust::answer_claim`]): a
            // `refused` from another owner of the deployment (another storage partition) must not make a
            // pop-out drop its ticket and then its opener's welcome and hand-over.
            Kind::Refused => self.asked.as_deref() == Some(m.from.as_str()),
            _ => false,
        };
        if open || answer || self.trusts(&m.from, m.framed) {
            Admit::Act
        } else if matches!(m.kind, Kind::State(_)) {
            Admit::Presence
        } else {
            Admit::Drop
        }
    }

    /// The one window that gets the phone's packet when this owner leaves: the most recently linked
    /// window still heard (`alive`), if any.
    pub fn heir(&self, alive: &[String]) -> Option<String> {
        self.links.iter().rev().find(|l| alive.contains(l)).cloned()
    }
}

/// Compares without stopping at the first difference.
fn eq_ct(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a window shows of a ticket on the channel (which every window of the origin hears): a proof
/// that it knows the ticket, different for each `purpose` ("claim" from the pop-out, "welcome" from the
/// owner), so a window that only heard the claim can neither answer it nor use it again.
pub fn ticket_proof(ticket: &str, purpose: &str) -> String {
    crate::b64::url_no_pad(&sha256(format!("{purpose}:{ticket}").as_bytes()))
}

/// A fresh ticket (32 random bytes).
pub fn new_ticket(random: [u8; 32]) -> String {
    crate::b64::url_no_pad(&random)
}

/// The pop-out ticket in a page's fragment (`#pop=<ticket>`), if it is exactly one.
pub fn ticket_in_fragment(hash: &str) -> Option<String> {
    let t = hash.strip_prefix('#')?.strip_prefix("pop=")?;
    is_ticket(t).then(|| t.to_string())
}

/// The fields of the reload snapshot and of a hand-over packet that are secrets.
pub const SECRET_FIELDS: [&str; 2] = ["sip", "sn"];

/// Marks a snapshot with its deployment and time before it is saved.
pub fn seal_snapshot(packet: &mut Value, dep: &str, now: f64) {
    if let Some(o) = packet.as_object_mut() {
        o.insert("dep".into(), json!(dep));
        o.insert("at".into(), json!(now));
    }
}

/// Reads a saved snapshot: None when it belongs to another deployment or is malformed; its secrets are
/// removed when it is older than [`SECRET_TTL_MS`] (or from the future).
pub fn open_snapshot(text: &str, dep: &str, now: f64) -> Option<Value> {
    if text.len() > MAX_MESSAGE {
        return None;
    }
    let Value::Object(mut o) = crate::json::parse(text).ok()? else { return None };
    if o.get("dep").and_then(Value::as_str) != Some(dep) {
        return None;
    }
    let at = o.get("at").and_then(Value::as_f64)?;
    if !(at <= now && now - at < SECRET_TTL_MS) {
        strip_secrets(&mut o);
    }
    Some(Value::Object(o))
}

/// Empties the secret fields (set to null: what reads them finds no sign-in).
pub fn strip_secrets(o: &mut Map) {
    for k in SECRET_FIELDS {
        if let Some(v) = o.get_mut(k) {
            *v = Value::Null;
        }
    }
}

/// The origin (`scheme://host[:port]`, lower case) of an http(s) URL, or None when it is anything odd
/// (user info, backslashes, spaces or control characters, no host).
pub fn origin_of(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = crate::text::split_once(&lower, "://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = crate::text::upto(rest, end);
    if auth.is_empty() || auth.bytes().any(|b| b <= b' ' || b == b'@' || b == b'\\' || b >= 0x7f) || url.contains('\\') {
        return None;
    }
    let auth = match (scheme, crate::text::rsplit_once_byte(auth, b':')) {
        ("https", Some((h, "443"))) | ("http", Some((h, "80"))) => h,
        _ => auth,
    };
    Some(format!("{scheme}://{auth}"))
}

/// A ServiceNow token issued by `token_instance` may be sent with a request to `url` only when the
/// request goes to exactly that origin.
pub fn token_may_go_to(token_instance: &str, url: &str) -> bool {
    match (origin_of(url), origin_of(token_instance)) {
        (Some(a), Some(b)) => a == b && !token_instance.is_empty(),
        _ => false,
    }
}

/// The ServiceNow instance the desktop signs in to and sends its token to: `servicenow.instance` from
/// the settings file or ServiceNow's own configuration record; else the `topDomain` only once it is
/// vouched for (this window's OpenFrame handshake with exactly that origin was answered, or the window is
/// linked to one of the agent's windows of the same deployment). An address anyone can type does not
/// choose where the agent's token goes.
pub fn sn_instance(configured: Option<&str>, top_domain: Option<&str>, vouched: bool) -> Option<String> {
    match configured {
        Some(c) => Some(c.to_string()),
        None => top_domain.filter(|_| vouched).map(str::to_string),
    }
}

#[cfg(test)]
#[path = "trust_tests.rs"]
mod tests;
