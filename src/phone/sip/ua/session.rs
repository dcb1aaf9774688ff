//! The INVITE session (RFC 3261 13-15): placing, answering, rejecting, cancelling and ending calls.

use super::*;

impl UserAgent {
    pub(super) fn new_call_id(&mut self) -> CallRef {
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
            for pair in crate::text::split_byte(&h, b'&') {
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
        let branch = self.branch();
        let mut m = new_request("INVITE", &target_uri.to_string(), self.via(&branch), self.user_agent(), remote.to_string(), local.to_string(), call_id.clone(), 1);
        m.add("Contact", self.contact());
        m.add("Allow", self.allow());
        m.add("Supported", "replaces");
        for (k, v) in extra.iter().chain(uri_headers.iter()) {
            if is_safe_header(k, v) {
                m.add(k, v.clone());
            }
        }
        m.with_body("application/sdp", offer);
        // RFC 3261 22.3: the credentials our proxy asked of the last INVITE go with this one, sparing a 407
        // round trip before the call rings (an expired nonce is challenged again and answered as usual). Only to
        // our own domain, and only while the nonce's count is still kept (nc must keep rising, RFC 7616 3.4).
        let ours = target_uri.host.eq_ignore_ascii_case(&self.cfg.domain);
        if let Some(resp) = self.invite_challenge.clone().filter(|_| ours) {
            let mut known = true;
            for c in resp.header_values("Proxy-Authenticate") {
                if let Some(c) = Challenge::parse(c) {
                    known &= self.nonces.iter().any(|(n, _)| *n == c.nonce);
                }
            }
            if known {
                if let Ok((with, _)) = self.authorize(&m, &resp) {
                    m = with;
                }
            }
        }
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
        let mut call = Call::fresh(id, true, CallState::Calling, dialog, m.clone());
        call.no_answer_at = (self.cfg.no_answer_secs > 0).then(|| now + self.cfg.no_answer_secs as f64 * 1000.0);
        self.calls.insert(id, call);
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
        let user = crate::phone::kept_chars(t, |c| !crate::text::one_of(c, " -.()/"), usize::MAX);
        if user.is_empty() || !user.chars().all(|c| c.is_ascii_alphanumeric() || crate::text::one_of(c, "+*#_")) {
            return Err(format!("'{target}' is not a number or SIP address"));
        }
        let user = crate::text::replace(&user, "#", "%23");
        Uri::parse(&format!("sip:{user}@{}", self.cfg.domain)).map_err(|e| e.to_string())
    }

    pub(super) fn on_invite_response(&mut self, out: &mut Vec<Output>, mut tx: ClientTx, resp: &Message) {
        let Some(id) = tx.call else { return };
        let code = resp.code().unwrap_or(0);
        let Some(call) = self.calls.get_mut(&id) else { return };
        if code < 200 {
            // Proceeding: Timer B stops (RFC 3261 17.1.1.2); the no-answer time or a CANCEL ends the wait. After
            // a CANCEL, the final response is awaited 64*T1 at most (RFC 3261 9.1).
            if call.state != CallState::Terminating {
                tx.deadline = f64::INFINITY;
            }
            self.txs.push(tx);
            call.provisional = true;
            if call.cancel_requested {
                // A CANCEL asked for before any provisional response can go now.
                call.cancel_requested = false;
                self.send_cancel(out, id);
                return;
            }
            // After the agent hung up, nothing more is said of the call (no ring-back, no early media).
            if code > 100 && !call.ended {
                let early = (!resp.body.is_empty()).then(|| resp.body.clone());
                if let Some(tag) = tag_of(resp.header("To")) {
                    // One early dialog per To tag (forking, RFC 3261 12.1.2).
                    match call.early.iter_mut().find(|(t, _)| *t == tag) {
                        Some(e) => e.1 = early.clone().or(e.1.take()),
                        None => call.early.push((tag.clone(), early.clone())),
                    }
                    call.early.truncate(16);
                    if call.state == CallState::Calling {
                        call.state = CallState::Early;
                    }
                }
                emit(out, UaEvent::Progress { call: id, code, early_sdp: early });
            }
            return;
        }
        if (200..300).contains(&code) {
            // The first 2xx wins; the transaction ends here, so a later 2xx of another fork is acknowledged and
            // ended by `on_stray_invite_2xx`.
            let call = self.calls.get_mut(&id).unwrap();
            let tag = tag_of(resp.header("To"));
            call.dialog.remote_tag = tag.clone();
            if let Some(t) = contact_target(resp) {
                call.dialog.remote_target = t;
            }
            call.dialog.route_set = record_routes(resp, true);
            let was_cancelling = call.state == CallState::Terminating;
            call.state = CallState::Confirmed;
            // A 200 without SDP confirms the answer that came in this dialog's 183.
            let sdp = if resp.body.is_empty() {
                call.early.iter().find(|(t, _)| Some(t) == tag.as_ref()).and_then(|(_, s)| s.clone()).unwrap_or_default()
            } else {
                resp.body.clone()
            };
            call.early.clear();
            // The ACK carries the INVITE's CSeq number (RFC 3261 13.2.2.4), 2 after a challenge, not 1.
            let n = call.invite.cseq().map(|c| c.0).unwrap_or(1);
            let invite = call.invite.clone();
            let ack = self.ack_2xx(id, &invite, n);
            send_msg(out, &ack);
            if was_cancelling {
                // The 200 crossed our CANCEL: end the call properly.
                out.extend(self.hang_up(self.now, id));
                return;
            }
            emit(out, UaEvent::Answered { call: id, sdp });
            return;
        }
        // Non-2xx final: ACK it within the transaction (same branch, the response's To).
        send_msg(out, &super::transaction::ack_for_failure(&call.invite, resp));
        if call.state != CallState::Terminating {
            match self.retry_with_credentials(out, &tx, resp) {
                Ok(true) => {
                    // Kept for the next calls: only our proxy's own challenge (a 407 for an INVITE to our domain;
                    // a 401 of our realm is answered for this call only, never handed to later targets).
                    let to_us = tx.request.uri().and_then(|u| Uri::parse(u).ok()).is_some_and(|u| u.host.eq_ignore_ascii_case(&self.cfg.domain));
                    if code == 407 && to_us {
                        self.invite_challenge = Some(resp.clone());
                    }
                    let req = self.txs.last().expect("just sent").request.clone();
                    let call = self.calls.get_mut(&id).unwrap();
                    call.invite = req;
                    call.early.clear();
                    call.provisional = false;
                    return;
                }
                Ok(false) => {}
                Err(e) => {
                    self.calls.remove(&id);
                    emit(out, UaEvent::Ended { call: id, reason: Ended::Failed { code, text: e } });
                    return;
                }
            }
        }
        let call = self.calls.remove(&id).unwrap();
        if call.ended {
            return;
        }
        emit(out, UaEvent::Ended { call: id, reason: Ended::Failed { code, text: failure_text(code).into() } });
    }

    pub(super) fn send_cancel(&mut self, out: &mut Vec<Output>, id: CallRef) {
        let Some(call) = self.calls.get(&id) else { return };
        let inv = &call.invite;
        let c = super::transaction::in_invite_tx("CANCEL", inv, inv.header("To").unwrap_or(""), &call.dialog.call_id);
        self.send_tx(out, TxKind::Cancel, Some(id), c);
        // If no final response comes within 64*T1 of the CANCEL, the INVITE transaction ends (RFC 3261 9.1).
        let deadline = self.now + TIMEOUT_MS;
        if let Some(t) = self.txs.iter_mut().find(|t| t.call == Some(id) && t.kind == TxKind::Invite) {
            t.deadline = deadline;
        }
    }

    // ---------------- calls: incoming ----------------

    pub(super) fn on_new_invite(&mut self, out: &mut Vec<Output>, req: &Message) {
        let from = match req.from() {
            Some(f) if f.tag().is_some() => f,
            _ => {
                self.send_reply(out, req, 400, "Bad Request", None);
                return;
            }
        };
        // The same INVITE again (retransmitted, or forked back to us by another path): no second call
        // (RFC 3261 8.2.2.2, 17.2.1).
        let branch = req.branch();
        let same = self
            .calls
            .values()
            .find(|c| !c.outbound && Some(c.dialog.call_id.as_str()) == req.call_id() && c.dialog.remote_tag.as_deref() == from.tag() && c.invite.cseq() == req.cseq())
            .map(|c| (c.id, c.state.clone(), c.invite.branch() == branch, c.dialog.local_tag.clone(), c.ok_again.clone()));
        if let Some((_, state, same_branch, tag, ok_again)) = same {
            if !same_branch {
                self.send_reply(out, req, 482, "Loop Detected", None);
            } else if state == CallState::Ringing {
                self.send_with_contact(out, req, 180, "Ringing", &tag, None);
            } else if let Some((text, _, _)) = ok_again {
                out.push(Output::Send(text));
            }
            return;
        }
        // A flood of new INVITEs (each its own Call-ID) must not grow the calls, the cards and the media without
        // bound: above a few ringing calls, or more calls than an agent can hold, the next is busy (RFC 3261
        // 21.4.24 486 Busy Here; the caller's side may try elsewhere).
        // A call that takes another's place (Replaces, an attended transfer to us) adds none and is never refused.
        let ringing = self.calls.values().filter(|c| c.state == CallState::Ringing).count();
        let replacing = req.header("Replaces").and_then(parse_replaces).is_some_and(|r| self.find_by_replaces(&r).is_ok());
        // Calls the agent already ended (waiting only for the far end's answer to BYE or CANCEL) do not count.
        let live = self.calls.values().filter(|c| !c.ended).count();
        if !replacing && (ringing >= MAX_RINGING || live >= MAX_CALLS) {
            let tag = self.token();
            self.send_reply(out, req, 486, "Busy Here", Some(&tag));
            return;
        }
        let offer = match sdp_of(req) {
            Ok(sdp) => sdp,
            Err(()) => {
                self.send_reply_with(out, req, 415, "Unsupported Media Type", None, &[("Accept", "application/sdp, multipart/mixed")]);
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
            self.send_reply(out, req, 400, "Bad Request", None);
            return;
        };
        let remote_target = contact_target(req).unwrap_or_else(|| from.uri.to_string());
        let replaces = req.header("Replaces").and_then(parse_replaces);
        let replaced = match replaces.as_ref().map(|r| self.find_by_replaces(r)) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err((code, text))) => {
                self.send_reply(out, req, code, text, None);
                return;
            }
        };
        let dialog = Dialog {
            call_id: req.call_id().unwrap_or("").to_string(),
            local_tag: local_tag.clone(),
            remote_tag: from.tag().map(str::to_string),
            local,
            remote: from.clone(),
            remote_target,
            route_set: record_routes(req, false),
            local_cseq: 0,
            remote_cseq: req.cseq().map(|c| c.0),
        };
        // Kept with the SDP alone as its body (the SDP part of a multipart body; empty for a late offer).
        let mut invite = req.clone();
        invite.body = offer.clone();
        self.calls.insert(id, Call::fresh(id, false, CallState::Ringing, dialog, invite));
        // A P-Asserted-Identity (set by a trusted proxy) names the caller better than From.
        let who = req.header("P-Asserted-Identity").and_then(|p| NameAddr::parse(p).ok()).unwrap_or(from);
        let party = party(&who);
        if replaces.is_none() {
            // With a Contact: it sets up the early dialog (RFC 3261 12.1.1), and SIP.js and JsSIP drop a 180 without one.
            self.send_with_contact(out, req, 180, "Ringing", &local_tag, None);
        }
        emit(out, UaEvent::Incoming {
            call: id,
            from: party,
            x_headers: req.x_headers(),
            offer,
            replaces: replaced,
        });
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
        ok.add("Allow", self.allow());
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
        self.send_reply(&mut out, &req, code, text, Some(&tag));
        self.calls.remove(&id);
        emit(&mut out, UaEvent::Ended { call: id, reason: Ended::Local });
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
                call.ended = true;
                let reason = if call.no_answer { Ended::NoAnswer } else { Ended::Local };
                // CANCEL only after a provisional response (RFC 3261 9.1); else as soon as one arrives.
                if call.provisional {
                    self.send_cancel(&mut out, id);
                } else {
                    call.cancel_requested = true;
                }
                // The agent gave up the call: it ends for them now (ring-back and early media stop); the UA keeps
                // it until the 487 (or a 2xx that crossed the CANCEL, then ACK and BYE) closes the INVITE.
                emit(&mut out, UaEvent::Ended { call: id, reason });
            }
            CallState::Ringing => return self.reject(now, id, 486),
            CallState::WaitAck | CallState::Confirmed => {
                call.state = CallState::Terminating;
                let told = std::mem::replace(&mut call.ended, true);
                let reason = if call.no_answer { Ended::NoAnswer } else { Ended::Local };
                let bye = self.in_dialog_request(id, "BYE", None);
                self.send_tx(&mut out, TxKind::Bye, Some(id), bye);
                // The session is over once the BYE is handed to its transaction (RFC 3261 15.1.1): the agent
                // sees the call end now, not when (or whether) the other side answers it; once (a 2xx that
                // crossed our CANCEL is ended here too).
                if !told {
                    emit(&mut out, UaEvent::Ended { call: id, reason });
                }
            }
            CallState::Terminating => {}
        }
        out
    }

}

/// The SDP of a request: its body when `application/sdp` (or no body: a late offer), the `application/sdp`
/// part of a `multipart/mixed` or `multipart/alternative` body (RFC 5621); anything else cannot be used.
pub(super) fn sdp_of(req: &Message) -> Result<String, ()> {
    if req.body.trim().is_empty() {
        return Ok(String::new());
    }
    let ct = req.header("Content-Type").unwrap_or("application/sdp");
    let mime = first_part(ct);
    if mime == "application/sdp" {
        return Ok(req.body.clone());
    }
    if !mime.starts_with("multipart/") {
        return Err(());
    }
    let boundary = crate::text::split_byte(ct, b';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| crate::phone::sip::message::unquote(v.trim()))
        .filter(|b| !b.is_empty())
        .ok_or(())?;
    let delimiter = format!("--{boundary}");
    for part in crate::text::split(&req.body, &delimiter).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (head, body) = crate::text::split_once(part, "\r\n\r\n").unwrap_or(("", part));
        let is_sdp = head.lines().any(|l| {
            let (k, v) = l.split_once(':').unwrap_or(("", ""));
            k.trim().eq_ignore_ascii_case("content-type") && v.trim().to_ascii_lowercase().starts_with("application/sdp")
        });
        if is_sdp {
            return Ok(body.strip_suffix("\r\n").unwrap_or(body).to_string());
        }
    }
    Err(())
}
