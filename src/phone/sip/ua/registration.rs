//! Registration (RFC 3261 10): REGISTER, refresh, challenges, the granted lifetime.

use super::*;

impl UserAgent {
    pub(super) fn register_request(&mut self, expires: u32) -> Message {
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

    pub(super) fn set_reg(&mut self, out: &mut Vec<Output>, s: RegState) {
        if self.reg_state != s {
            self.reg_state = s.clone();
            out.push(Output::Event(UaEvent::Registration(s)));
        }
    }

    pub(super) fn on_register_response(&mut self, out: &mut Vec<Output>, tx: ClientTx, resp: &Message) {
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
                .and_then(|c| crate::phone::sip::message::param(&c.params, "expires").and_then(|e| e.parse::<u32>().ok()));
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
}
