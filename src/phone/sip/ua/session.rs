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

    pub(super) fn on_invite_response(&mut self, out: &mut Vec<Output>, tx: ClientTx, resp: &Message) {
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

    pub(super) fn send_cancel(&mut self, out: &mut Vec<Output>, id: CallRef) {
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

    pub(super) fn on_new_invite(&mut self, out: &mut Vec<Output>, req: &Message) {
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

}
