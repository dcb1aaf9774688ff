//! Requests inside a call (RFC 3261 14, RFC 3515, RFC 6086): re-INVITE, REFER and NOTIFY, INFO DTMF, and the
//! dispatch of every request that arrives.

use super::*;

impl UserAgent {
    #[inline(never)]
    pub(super) fn on_request(&mut self, out: &mut Vec<Output>, req: &Message) {
        // The method looked up once (a number each) instead of compared as text at every branch.
        let method = method_index(req.method().unwrap_or(""));
        let has_to_tag = tag_of(req.header("To")).is_some();
        if method == CANCEL {
            let branch = req.branch();
            let target = self.calls.values().find(|c| {
                !c.outbound
                    && c.invite.branch() == branch
                    && Some(c.dialog.call_id.as_str()) == req.call_id()
            });
            // The 200 carries the To tag of our responses to the INVITE (RFC 3261 9.2).
            match target.map(|c| (c.id, c.invite.clone(), c.dialog.local_tag.clone(), c.state == CallState::Ringing)) {
                Some((id, invite, tag, true)) => {
                    self.send_reply(out, req, 200, "OK", Some(&tag));
                    self.send_reply(out, &invite, 487, "Request Terminated", Some(&tag));
                    self.calls.remove(&id);
                    // Ring-all queues cancel the other agents' legs with `Reason: SIP;cause=200` (RFC 3326).
                    let reason = if answered_elsewhere(req) { Ended::AnsweredElsewhere } else { Ended::CallerCancelled };
                    emit(out, UaEvent::Ended { call: id, reason });
                }
                // Already answered: the CANCEL has no effect on the call, but is answered 200 (RFC 3261 9.2).
                Some((_, _, tag, false)) => self.send_reply(out, req, 200, "OK", Some(&tag)),
                None => self.send_reply(out, req, 481, "Call/Transaction Does Not Exist", None),
            }
            return;
        }
        if method != ACK {
            // Extensions the request requires that this UA does not implement: 420 (RFC 3261 8.2.2.3).
            let mut missing = String::new();
            for v in req.header_values("Require") {
                for t in crate::text::split_byte(v, b',') {
                    let t = t.trim().to_ascii_lowercase();
                    if !t.is_empty() && !SUPPORTED.contains(&t.as_str()) {
                        if !missing.is_empty() {
                            missing.push_str(", ");
                        }
                        missing.push_str(&t);
                    }
                }
            }
            if !missing.is_empty() {
                self.send_reply_with(out, req, 420, "Bad Extension", (!has_to_tag).then_some("x"), &[("Unsupported", &missing)]);
                return;
            }
        }
        if !has_to_tag {
            match method {
                INVITE => self.on_new_invite(out, req),
                OPTIONS => {
                    self.send_reply_with(out, req, 200, "OK", Some("o"), &[("Allow", self.allow()), ("Accept", "application/sdp"), ("Supported", &crate::text::join(SUPPORTED, ","))]);
                }
                MESSAGE => self.on_message(out, req),
                ACK => {}
                _ => self.not_allowed(out, req, (UPDATE..UNKNOWN).contains(&method), true),
            }
            return;
        }
        let Some(id) = self.find_call(req) else {
            if method != ACK {
                self.send_reply(out, req, 481, "Call/Transaction Does Not Exist", None);
            }
            return;
        };
        let cseq = req.cseq().map(|c| c.0).unwrap_or(0);
        if method != ACK {
            let call = self.calls.get_mut(&id).unwrap();
            if let Some(prev) = call.dialog.remote_cseq {
                if cseq < prev || (cseq == prev && method != INVITE) {
                    self.send_reply(out, req, 500, "Server Internal Error", None);
                    return;
                }
            }
            call.dialog.remote_cseq = Some(cseq);
            // The agent ended this call (our BYE or CANCEL is on its way): a new offer, transfer or DTMF for it
            // finds no session (RFC 3261 15.1.1); a BYE crossing ours is still answered below.
            if call.ended && matches!(method, INVITE | REFER | INFO) {
                self.send_reply(out, req, 481, "Call/Transaction Does Not Exist", None);
                return;
            }
        }
        match method {
            ACK => {
                let call = self.calls.get_mut(&id).unwrap();
                if call.state == CallState::WaitAck {
                    call.state = CallState::Confirmed;
                    call.ack_deadline = None;
                    call.ok_again = None;
                    if let Some(t) = contact_target(req) {
                        call.dialog.remote_target = t;
                    }
                    // Late offer: the answer to the offer in our 200 is in this ACK; then the call is up.
                    if call.invite.body.is_empty() && !req.body.is_empty() {
                        emit(out, UaEvent::LateAnswer { call: id, sdp: req.body.clone() });
                    }
                    emit(out, UaEvent::Answered { call: id, sdp: call.invite.body.clone() });
                } else if !req.body.is_empty() {
                    emit(out, UaEvent::LateAnswer { call: id, sdp: req.body.clone() });
                }
            }
            BYE => {
                self.send_reply(out, req, 200, "OK", None);
                // BYE in the early dialog of a call still ringing here: the INVITE gets 487 (RFC 3261 15.1.2).
                let ringing = self.calls.get(&id).filter(|c| c.state == CallState::Ringing).map(|c| (c.invite.clone(), c.dialog.local_tag.clone()));
                match ringing {
                    Some((invite, tag)) => {
                        self.send_reply(out, &invite, 487, "Request Terminated", Some(&tag));
                        self.end_call(out, id, Ended::CallerCancelled);
                    }
                    None => self.end_call(out, id, Ended::Remote),
                }
            }
            INVITE => {
                let call = self.calls.get_mut(&id).unwrap();
                if call.pending_reinvite.is_some() || self.txs.iter().any(|t| t.call == Some(id) && t.kind == TxKind::ReInvite) {
                    self.send_reply(out, req, 491, "Request Pending", None);
                    return;
                }
                let call = self.calls.get_mut(&id).unwrap();
                if let Some(t) = contact_target(req) {
                    call.dialog.remote_target = t;
                }
                let Ok(sdp) = super::session::sdp_of(req) else {
                    self.send_reply_with(out, req, 415, "Unsupported Media Type", None, &[("Accept", "application/sdp, multipart/mixed")]);
                    return;
                };
                let call = self.calls.get_mut(&id).unwrap();
                call.pending_reinvite = Some(req.clone());
                emit(out, UaEvent::RemoteOffer { call: id, sdp });
            }
            INFO => {
                self.send_reply(out, req, 200, "OK", None);
                if let Some(d) = parse_dtmf_info(&req.body) {
                    emit(out, UaEvent::Dtmf { call: id, digit: d });
                }
            }
            REFER => self.on_refer(out, id, req),
            NOTIFY => {
                self.send_reply(out, req, 200, "OK", None);
                let event = first_part(req.header("Event").unwrap_or(""));
                if event == "refer" {
                    let code = req
                        .body
                        .lines()
                        .next()
                        .and_then(|l| l.strip_prefix("SIP/2.0 "))
                        .and_then(|l| l.get(..3))
                        .and_then(crate::uint::<u16>);
                    let terminated = req.header("Subscription-State").map(|s| s.starts_with("terminated")).unwrap_or(false);
                    if let Some(code) = code {
                        emit(out, UaEvent::TransferProgress { call: id, code, done: code >= 200 || terminated });
                    }
                }
            }
            OPTIONS => {
                self.send_reply_with(out, req, 200, "OK", None, &[("Allow", self.allow())]);
            }
            MESSAGE => self.on_message(out, req),
            _ => self.not_allowed(out, req, (UPDATE..UNKNOWN).contains(&method), false),
        }
    }


    /// 405 for methods this UA knows but does not take (UPDATE, PRACK, SUBSCRIBE...), 501 for methods it does
    /// not know; both with `Allow` (RFC 3261 21.4.6, 21.5.2).
    fn not_allowed(&self, out: &mut Vec<Output>, req: &Message, known: bool, needs_tag: bool) {
        let (code, text) = if known { (405, "Method Not Allowed") } else { (501, "Not Implemented") };
        self.send_reply_with(out, req, code, text, needs_tag.then_some("x"), &[("Allow", self.allow())]);
    }

    /// MESSAGE (RFC 3428): plain text shown to the agent when the setting allows it, else 405.
    fn on_message(&mut self, out: &mut Vec<Output>, req: &Message) {
        if !self.cfg.accept_messages {
            return self.not_allowed(out, req, true, tag_of(req.header("To")).is_none());
        }
        let ct = first_part(req.header("Content-Type").unwrap_or("text/plain"));
        if ct != "text/plain" {
            self.send_reply_with(out, req, 415, "Unsupported Media Type", Some("m"), &[("Accept", "text/plain")]);
            return;
        }
        self.send_reply(out, req, 200, "OK", Some("m"));
        let who = req.from().map(|f| party(&f));
        // Shown as text (never HTML), without control characters other than line breaks, and bounded.
        let text = crate::phone::kept_chars(&req.body, |c| !c.is_control() || c == '\n', 2_000);
        if let Some(from) = who {
            emit(out, UaEvent::Message { from, text });
        }
    }

    /// REFER (RFC 3515) per the `referPolicy`: the REFER is accepted (202), and a NOTIFY reports the outcome;
    /// a target the policy refuses (or the agent declines) gets `603 Declined` in that NOTIFY and no call.
    fn on_refer(&mut self, out: &mut Vec<Output>, id: CallRef, req: &Message) {
        let target = req.header_values("Refer-To");
        let target = match target.as_slice() {
            [one] => NameAddr::parse(one).ok().filter(|t| t.uri.scheme == "sip" || t.uri.scheme == "sips"),
            _ => None,
        };
        let Some(t) = target else {
            self.send_reply(out, req, 400, "Bad Refer-To", None);
            return;
        };
        self.send_reply(out, req, 202, "Accepted", None);
        let allowed = match self.cfg.refer_policy {
            ReferPolicy::Never => false,
            ReferPolicy::Ask => true,
            ReferPolicy::Domain => {
                t.uri.headers.is_none()
                    && t.uri.host.eq_ignore_ascii_case(&self.cfg.domain)
                    && t.uri.port.is_none()
                    && t.uri.params.iter().all(harmless_uri_param)
            }
        };
        if !allowed {
            out.extend(self.notify_transfer(self.now, id, 603));
            return;
        }
        out.extend(self.notify_transfer(self.now, id, 100));
        let by = req.header("Referred-By").and_then(|b| NameAddr::parse(b).ok()).map(|b| b.uri.to_string());
        let ask = self.cfg.refer_policy == ReferPolicy::Ask;
        emit(out, UaEvent::TransferRequested { call: id, target: t.uri.to_string(), by, ask });
    }

    /// The agent declined the transfer the far end asked for: NOTIFY `603 Declined` ends the subscription.
    pub fn decline_transfer(&mut self, now: f64, referring: CallRef) -> Vec<Output> {
        self.notify_transfer(now, referring, 603)
    }

    /// Refuses the far end's re-INVITE (from [`UaEvent::RemoteOffer`]) that the browser cannot accept: 488 with
    /// a `Warning` saying why (RFC 3261 13.3.1.3, 20.43); the call goes on as it was.
    pub fn reject_reoffer(&mut self, now: f64, id: CallRef, why: &str) -> Vec<Output> {
        self.now = now;
        let mut out = vec![];
        let Some(call) = self.calls.get_mut(&id) else { return out };
        let Some(req) = call.pending_reinvite.take() else { return out };
        let tag = call.dialog.local_tag.clone();
        let mut r = self.reply(&req, 488, "Not Acceptable Here", Some(&tag), None);
        let why = crate::phone::kept_chars(why, |c| !c.is_control() && c != '"' && c != '\\', 200);
        // 305: incompatible media format; 399: miscellaneous.
        r.add("Warning", format!("399 {} \"{why}\"", self.host));
        send_msg(&mut out, &r);
        out
    }

    /// Sends a re-INVITE with a new offer (hold: `a=sendonly`/`inactive`; resume: `a=sendrecv`).
    pub fn reinvite(&mut self, now: f64, id: CallRef, sdp: &str) -> Vec<Output> {
        self.now = now;
        self.send_reinvite(id, sdp, false)
    }

    /// A re-INVITE that only refreshes our target (after a reconnect): a failure is retried after 1, 2, 4, 8 s.
    pub fn refresh(&mut self, now: f64, id: CallRef, sdp: &str) -> Vec<Output> {
        self.now = now;
        self.send_reinvite(id, sdp, true)
    }

    /// True when a re-INVITE can go now (the call is connected and none is under way).
    pub fn can_reoffer(&self, id: CallRef) -> bool {
        self.calls.get(&id).is_some_and(|c| c.state == CallState::Confirmed)
            && !self.txs.iter().any(|t| t.call == Some(id) && t.kind == TxKind::ReInvite)
    }

    pub(super) fn send_reinvite(&mut self, id: CallRef, sdp: &str, refresh: bool) -> Vec<Output> {
        let mut out = vec![];
        if !self.can_reoffer(id) {
            if self.calls.contains_key(&id) {
                emit(&mut out, UaEvent::ReofferFailed { call: id, code: 491, refresh });
            }
            return out;
        }
        if let Some(c) = self.calls.get_mut(&id) {
            c.refresh = refresh.then(|| (c.refresh.map_or(0, |r| r.0), f64::INFINITY));
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
        self.send_with_contact(&mut out, &req, 200, "OK", &tag, Some(sdp));
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
            _ => return Err(crate::strings::CALL_NOT_CONNECTED().into()),
        }
        let mut uri = match replaces {
            None => self.target_uri(target)?,
            Some(r) => self.replaces_uri(r)?,
        };
        // `k=v&k=v`: each name starts with `x-`, so the text is empty only when no header is kept.
        let mut joined = String::new();
        for (k, v) in headers {
            if is_safe_header(k, v) && k.to_ascii_lowercase().starts_with("x-") {
                if !joined.is_empty() {
                    joined.push('&');
                }
                joined.push_str(k);
                joined.push('=');
                joined.push_str(&escape_header_value(v));
            }
        }
        if !joined.is_empty() {
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
    pub(super) fn replaces_uri(&self, r: CallRef) -> Result<Uri, String> {
        {
            let c = self.calls.get(&r).ok_or(crate::strings::CONSULT_ENDED())?;
            let d = &c.dialog;
            let remote_tag = d.remote_tag.clone().ok_or(crate::strings::CONSULT_NOT_CONNECTED())?;
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
            603 => "Declined",
            _ => "Failed",
        };
        m.with_body("message/sipfrag;version=2.0", format!("SIP/2.0 {code} {reason}\r\n"));
        self.send_tx(&mut out, TxKind::Notify, Some(referring), m);
        out
    }
}

/// The methods a request may name that this UA tells apart: those it takes, then those it knows but does not
/// take (405 rather than 501 when they reach [`UserAgent::not_allowed`]).
const METHODS: [&str; 14] =
    ["ACK", "BYE", "CANCEL", "INFO", "INVITE", "MESSAGE", "NOTIFY", "OPTIONS", "REFER", "UPDATE", "PRACK", "SUBSCRIBE", "PUBLISH", "REGISTER"];
const ACK: usize = 0;
const BYE: usize = 1;
const CANCEL: usize = 2;
const INFO: usize = 3;
const INVITE: usize = 4;
const MESSAGE: usize = 5;
const NOTIFY: usize = 6;
const OPTIONS: usize = 7;
const REFER: usize = 8;
const UPDATE: usize = 9;
/// Any other method (not in [`METHODS`]).
const UNKNOWN: usize = 14;

#[inline(never)]
fn method_index(m: &str) -> usize {
    let mut i = 0;
    while i < UNKNOWN && METHODS[i] != m {
        i += 1;
    }
    i
}

/// Only `X-` headers and a few call-control headers may be added by the desk; values are single-line.
/// A CANCEL whose `Reason` says the call was answered elsewhere (`SIP;cause=200`, RFC 3326).
fn answered_elsewhere(req: &Message) -> bool {
    for v in req.header_values("Reason") {
        for r in crate::phone::sip::message::split_outside(v, ',') {
            let mut parts = crate::text::split_byte(r, b';');
            let proto = parts.next().unwrap_or("").trim();
            if proto.eq_ignore_ascii_case("SIP")
                && parts.any(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    k.trim().eq_ignore_ascii_case("cause") && v.trim() == "200"
                })
            {
                return true;
            }
        }
    }
    false
}

pub(super) fn is_safe_header(name: &str, value: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let allowed = n.starts_with("x-") || n == "replaces" || n == "referred-by";
    allowed
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !crate::phone::sip::message::has_control(value, ' ')
        && value.len() <= 1024
}

pub(super) fn escape_header_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            ';' | '=' | '@' | ' ' | '&' | '?' | '>' | '<' | '%' => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out
}

/// A Refer-To URI parameter that cannot send the call elsewhere than our domain: `maddr` (RFC 3261 19.1.1)
/// overrides the host, so only `user=phone|ip` and a standard `transport` pass the domain policy.
fn harmless_uri_param((k, v): &(String, Option<String>)) -> bool {
    let v = v.as_deref().map(str::to_ascii_lowercase);
    match (k.as_str(), v.as_deref()) {
        ("user", Some("phone" | "ip")) => true,
        ("transport", Some("udp" | "tcp" | "tls" | "ws" | "wss")) => true,
        _ => false,
    }
}

/// `Replaces: callid;to-tag=x;from-tag=y` (RFC 3891).
pub fn parse_replaces(v: &str) -> Option<Replaces> {
    let v = percent_decode(v);
    let mut parts = crate::text::split_byte(&v, b';');
    let call_id = parts.next()?.trim().to_string();
    let (mut to, mut from, mut early_only) = (None, None, false);
    for p in parts {
        if p.trim().eq_ignore_ascii_case("early-only") {
            early_only = true;
            continue;
        }
        match p.trim().split_once('=') {
            Some(("to-tag", t)) => to = Some(t.to_string()),
            Some(("from-tag", f)) => from = Some(f.to_string()),
            _ => {}
        }
    }
    Some(Replaces { call_id, to_tag: to?, from_tag: from?, early_only })
}

/// `Signal=5\r\nDuration=160` (application/dtmf-relay).
fn parse_dtmf_info(body: &str) -> Option<char> {
    body.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("signal") {
            let c = v.trim().chars().next()?;
            crate::text::one_of(c.to_ascii_uppercase(), "0123456789*#ABCD").then_some(c.to_ascii_uppercase())
        } else {
            None
        }
    })
}
