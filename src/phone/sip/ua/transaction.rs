//! Client transactions (RFC 3261 17.1): matching responses to requests, timeouts, digest challenges.

use super::*;

impl UserAgent {
    pub(super) fn send_tx(&mut self, out: &mut Vec<Output>, kind: TxKind, call: Option<CallRef>, req: Message) {
        let branch = req.branch().unwrap_or_default();
        let method = req.method().unwrap_or("").to_string();
        send_msg(out, &req);
        let deadline = self.now + TIMEOUT_MS;
        self.txs.push(ClientTx { branch, method, kind, call, request: req, deadline, auth_tries: 0, challenges: 0 });
    }

    /// Sends `req` again with credentials for the 401/407 `resp` to `tx`, when the challenge can be answered
    /// and the bounds allow (a `stale=true` challenge reuses the password without counting as a failure).
    /// The new CSeq number is the registration's next, or the call's next. True when sent.
    pub(super) fn retry_with_credentials(&mut self, out: &mut Vec<Output>, tx: &ClientTx, resp: &Message) -> Result<bool, crate::strings::Msg> {
        let code = resp.code().unwrap_or(0);
        if !(code == 401 || code == 407) || tx.auth_tries >= MAX_AUTH_TRIES || tx.challenges >= MAX_CHALLENGES {
            return Ok(false);
        }
        let (mut req, stale) = self.authorize(&tx.request, resp)?;
        let n = match tx.call.and_then(|id| self.calls.get_mut(&id)) {
            Some(c) => {
                c.dialog.local_cseq += 1;
                c.dialog.local_cseq
            }
            None => {
                self.reg_cseq += 1;
                self.reg_cseq
            }
        };
        req.set("CSeq", format!("{n} {}", tx.method));
        self.send_tx(out, tx.kind.clone(), tx.call, req);
        let last = self.txs.last_mut().expect("just sent");
        last.auth_tries = tx.auth_tries + u8::from(!stale);
        last.challenges = tx.challenges + 1;
        Ok(true)
    }

    /// A copy of `req` answering every challenge in `resp` (RFC 3261 22.3: one credential per realm, for
    /// `WWW-Authenticate` and `Proxy-Authenticate` alike), with a new branch. Also says whether every
    /// challenge was `stale=true` (the password was right, only the nonce had expired).
    ///
    /// The agent's password belongs to one protection domain (RFC 3261 22.1: the realm alone defines it): the
    /// realms our registrar challenges REGISTER with, and our domain. A challenge for any other realm (a far
    /// end's own 401, or a 407 it made up) is never answered with it: the request fails, saying so (22.2 lets
    /// a UA without credentials for a realm give up).
    pub(super) fn authorize(&mut self, req: &Message, resp: &Message) -> Result<(Message, bool), crate::strings::Msg> {
        let method = req.method().unwrap_or("").to_string();
        // Each header's challenges, parsed once.
        let mut parsed: [Vec<Challenge>; 2] = Default::default();
        for (h, list) in ["WWW-Authenticate", "Proxy-Authenticate"].into_iter().zip(parsed.iter_mut()) {
            for v in resp.header_values(h) {
                list.extend(Challenge::parse(v));
            }
        }
        for c in parsed.iter().flatten() {
            if method == "REGISTER" {
                // Only our registrar sees REGISTER: its realms are ours (a few are enough).
                if !self.realms.contains(&c.realm) && self.realms.len() < 4 {
                    self.realms.push(c.realm.clone());
                }
            } else if !c.realm.eq_ignore_ascii_case(&self.cfg.domain) && !self.realms.contains(&c.realm) {
                let shown = crate::phone::kept_chars(&c.realm, |c| !c.is_control(), 64);
                return Err(crate::strings::Key::SIP_FOREIGN_REALM.arg("realm", &shown));
            }
        }
        let mut m = req.clone();
        m.remove("Authorization").remove("Proxy-Authorization");
        let (mut any, mut all_stale) = (false, true);
        let uri = req.uri().unwrap_or("").to_string();
        let auth_user = if self.cfg.auth_user.is_empty() { self.cfg.user.clone() } else { self.cfg.auth_user.clone() };
        for (chals, auth_h) in parsed.iter().zip(["Authorization", "Proxy-Authorization"]) {
            // One credential per realm, in the order the realms first appear.
            for (k, first) in chals.iter().enumerate() {
                if chals[..k].iter().any(|c| c.realm == first.realm) {
                    continue;
                }
                // The strongest algorithm offered for this realm (RFC 8760; of equals, the last).
                let mut chal = first;
                for c in &chals[k + 1..] {
                    if c.realm == first.realm && (c.algorithm == digest::Algorithm::Sha256 || chal.algorithm != digest::Algorithm::Sha256) {
                        chal = c;
                    }
                }
                let nc = match self.nonces.iter_mut().find(|(n, _)| *n == chal.nonce) {
                    Some((_, c)) => {
                        *c += 1;
                        *c
                    }
                    None => {
                        // A few recent nonces are enough (a server issues a new one per challenge).
                        if self.nonces.len() >= 8 {
                            self.nonces.remove(0);
                        }
                        self.nonces.push((chal.nonce.clone(), 1));
                        1
                    }
                };
                let cnonce = self.token();
                m.add(auth_h, digest::authorization(chal, &auth_user, &self.cfg.password, &method, &uri, nc, &cnonce));
                any = true;
                all_stale &= chal.stale;
            }
        }
        if !any {
            return Err(crate::strings::Key::SIP_AUTH_UNSUPPORTED.into());
        }
        let branch = self.branch();
        m.remove("Via");
        m.headers.insert(0, ("Via".into(), self.via(&branch)));
        Ok((m, all_stale))
    }

    pub(super) fn on_response(&mut self, out: &mut Vec<Output>, resp: &Message) {
        let branch = resp.branch().unwrap_or_default();
        let method = resp.cseq().map(|c| c.1).unwrap_or_default();
        let Some(pos) = self.txs.iter().position(|t| t.branch == branch && t.method == method) else {
            if method == "INVITE" && resp.code().map(|c| (200..300).contains(&c)).unwrap_or(false) {
                self.on_stray_invite_2xx(out, resp);
            }
            return;
        };
        let tx = self.txs.remove(pos);
        let code = resp.code().unwrap_or(0);
        if code < 200 {
            if tx.kind == TxKind::Invite {
                self.on_invite_response(out, tx, resp);
            } else {
                // A provisional response: the transaction goes on (for INVITE, Timer B stops: RFC 3261 17.1.1.2).
                let mut tx = tx;
                if tx.kind == TxKind::ReInvite {
                    tx.deadline = f64::INFINITY;
                }
                self.txs.push(tx);
            }
            return;
        }
        if tx.kind == TxKind::ReInvite && code >= 300 {
            // A non-2xx final to our re-INVITE is acknowledged in its transaction (RFC 3261 17.1.1.3).
            send_msg(out, &ack_for_failure(&tx.request, resp));
        }
        let in_call = tx.call.map(|id| self.calls.contains_key(&id)).unwrap_or(false);
        if in_call && matches!(tx.kind, TxKind::ReInvite | TxKind::Bye | TxKind::Refer | TxKind::Info | TxKind::Notify) {
            if self.retry_with_credentials(out, &tx, resp) == Ok(true) {
                return;
            }
        }
        match tx.kind {
            TxKind::Register | TxKind::Unregister => self.on_register_response(out, tx, resp),
            TxKind::Invite => self.on_invite_response(out, tx, resp),
            TxKind::ReInvite => {
                let Some(id) = tx.call else { return };
                let Some(c) = self.calls.get_mut(&id) else { return };
                if (200..300).contains(&code) {
                    c.refresh = None;
                    let ack = self.ack_2xx(id, &tx.request, resp.cseq().map(|c| c.0).unwrap_or(1));
                    send_msg(out, &ack);
                    emit(out, UaEvent::ReofferAnswered { call: id, sdp: resp.body.clone() });
                } else if code == 491 && tx.challenges < MAX_CHALLENGES {
                    // Glare: try again after a random wait (RFC 3261 14.1): 2.1-4 s when we own the Call-ID
                    // (we placed the call), else 0-2 s, in units of 10 ms.
                    let r = ((self.rand)() % 200) as f64 * 10.0;
                    let wait = if c.outbound { 2_100.0 + (r * 0.95).min(1_900.0) } else { r };
                    c.reinvite_retry = Some((self.now + wait, tx.request.body.clone()));
                } else {
                    // A failed target refresh is tried again while the call lives: after 1, 2, 4, 8 s.
                    let refresh = c.refresh.is_some();
                    c.refresh = c.refresh.filter(|r| r.0 < 4).map(|(n, _)| (n + 1, self.now + 1_000.0 * (1u32 << n) as f64));
                    emit(out, UaEvent::ReofferFailed { call: id, code, refresh });
                    // The dialog is gone (RFC 3261 12.2.1.2).
                    if code == 481 || code == 408 {
                        let text = if code == 481 { crate::strings::Key::SIP_CALL_LOST_481 } else { crate::strings::Key::SIP_CALL_LOST_408 };
                        self.end_call(out, id, Ended::Failed { code, text: text.into() });
                    }
                }
            }
            TxKind::Bye => {
                if let Some(id) = tx.call {
                    self.end_call(out, id, Ended::Local);
                }
            }
            TxKind::Refer => {
                if code >= 300 {
                    if let Some(id) = tx.call {
                        emit(out, UaEvent::TransferProgress { call: id, code, done: true });
                    }
                }
            }
            TxKind::Options => emit(out, UaEvent::Alive),
            TxKind::Cancel | TxKind::Notify | TxKind::Info => {}
        }
    }

    /// A 2xx to an INVITE with no transaction waiting for it: a retransmission of the 2xx that set up the
    /// call (ACK it again), or another fork's 2xx, or one that came after we gave up: ACK it and end that
    /// dialog with BYE (RFC 3261 13.2.2.4).
    fn on_stray_invite_2xx(&mut self, out: &mut Vec<Output>, resp: &Message) {
        let Some(call_id) = resp.call_id() else { return };
        let tag = tag_of(resp.header("To"));
        let n = resp.cseq().map(|c| c.0).unwrap_or(1);
        let same = self
            .calls
            .values()
            .find(|c| c.outbound && c.dialog.call_id == call_id && c.dialog.remote_tag == tag && c.state != CallState::Calling && c.state != CallState::Early)
            .map(|c| c.id);
        if let Some(id) = same {
            let invite = self.calls[&id].invite.clone();
            let ack = self.ack_2xx(id, &invite, n);
            send_msg(out, &ack);
            return;
        }
        // Only dialogs we started (our Call-IDs end with our host) and whose From is ours.
        let ours = call_id.ends_with(&format!("@{}", self.host))
            && resp.from().map(|f| f.uri.user.as_deref() == Some(self.cfg.user.as_str())).unwrap_or(false);
        let (Some(_), Some(contact), true) = (tag, contact_target(resp), ours) else { return };
        let routes = record_routes(resp, true);
        for (method, seq) in [("ACK", n), ("BYE", n + 1)] {
            let branch = self.branch();
            let (to, from) = (resp.header("To").unwrap_or("").to_string(), resp.header("From").unwrap_or("").to_string());
            let mut m = new_request(method, &contact, self.via(&branch), None, to, from, call_id.to_string(), seq);
            if !routes.is_empty() {
                m.add("Route", crate::text::join(&routes, ", "));
            }
            if method == "ACK" {
                send_msg(out, &m);
            } else {
                self.send_tx(out, TxKind::Bye, None, m);
            }
        }
    }

    pub(super) fn end_call(&mut self, out: &mut Vec<Output>, id: CallRef, reason: Ended) {
        if let Some(c) = self.calls.remove(&id) {
            self.txs.retain(|t| t.call != Some(id) || t.kind == TxKind::Notify);
            let reason = if c.no_answer && reason == Ended::Local { Ended::NoAnswer } else { reason };
            if !c.ended {
                emit(out, UaEvent::Ended { call: id, reason });
            }
        }
    }
}

/// The ACK for a non-2xx final response, inside the INVITE's transaction (RFC 3261 17.1.1.3): the request's
/// top Via, the response's To, the request's From, Call-ID, CSeq number and Route.
pub(super) fn ack_for_failure(req: &Message, resp: &Message) -> Message {
    in_invite_tx("ACK", req, resp.header("To").unwrap_or(""), req.call_id().unwrap_or(""))
}

/// A request inside the INVITE `inv`'s transaction (its ACK above, or its CANCEL, RFC 3261 9.1): the INVITE's
/// Request-URI, top Via, From, CSeq number and Route, with `to` and `call_id`.
pub(super) fn in_invite_tx(method: &str, inv: &Message, to: &str, call_id: &str) -> Message {
    let n = inv.cseq().map(|c| c.0).unwrap_or(1);
    let (via, from) = (inv.header("Via").unwrap_or("").to_string(), inv.header("From").unwrap_or("").to_string());
    let mut m = new_request(method, inv.uri().unwrap_or(""), via, None, to.to_string(), from, call_id.to_string(), n);
    for r in inv.header_values("Route") {
        m.add("Route", r.to_string());
    }
    m
}
