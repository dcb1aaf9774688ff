//! Client transactions (RFC 3261 17.1): matching responses to requests, timeouts, digest challenges.

use super::*;

impl UserAgent {
    pub(super) fn send_tx(&mut self, out: &mut Vec<Output>, kind: TxKind, call: Option<CallRef>, req: Message) {
        let branch = req.via().and_then(|v| v.branch().map(str::to_string)).unwrap_or_default();
        let method = req.method().unwrap_or("").to_string();
        out.push(Output::Send(req.serialize()));
        self.txs.push(ClientTx { branch, method, kind, call, request: req, deadline: self.now + TIMEOUT_MS });
    }

    /// A copy of `req` with credentials answering the challenge in `resp`, a new branch and nonce count.
    pub(super) fn authorize(&mut self, req: &Message, resp: &Message) -> Result<Message, String> {
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

    pub(super) fn on_response(&mut self, out: &mut Vec<Output>, resp: &Message) {
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

    pub(super) fn end_call(&mut self, out: &mut Vec<Output>, id: CallRef, reason: Ended) {
        if self.calls.remove(&id).is_some() {
            self.txs.retain(|t| t.call != Some(id) || t.kind == TxKind::Notify);
            out.push(Output::Event(UaEvent::Ended { call: id, reason }));
        }
    }
}
