//! Registration (RFC 3261 10): REGISTER, refresh, challenges, the granted lifetime.

use super::*;

impl UserAgent {
    pub(super) fn register_request(&mut self, expires: u32) -> Message {
        self.reg_cseq += 1;
        let domain_uri = format!("sip:{}", self.cfg.domain);
        let branch = self.branch();
        let from_tag = self.token();
        let (to, from) = (self.local_addr(None).to_string(), self.local_addr(Some(&from_tag)).to_string());
        let mut m = new_request("REGISTER", &domain_uri, self.via(&branch), self.user_agent(), to, from, self.reg_call_id.clone(), self.reg_cseq);
        m.add("Contact", format!("{};expires={expires}", self.contact()));
        m.add("Expires", expires.to_string());
        m.add("Allow", self.allow());
        // Only what is implemented: not `outbound`/`gruu` (RFC 5626/5627 need +sip.instance and reg-id), not
        // `timer` (RFC 4028), not `100rel` (RFC 3262). `path` (RFC 3327) asks nothing of a UA.
        m.add("Supported", "path,replaces");
        m
    }

    /// Registers (and keeps refreshing the registration).
    pub fn register(&mut self, now: f64) -> Vec<Output> {
        self.now = now;
        self.wanted_registered = true;
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
        // Calls the agent already ended waited only for their BYE's or CANCEL's answer, which is lost with the
        // transactions: forget them (they were said ended already).
        self.calls.retain(|_, c| !c.ended);
        self.reg_refresh_at = None;
        let mut out = vec![];
        if self.wanted_registered {
            self.set_reg(&mut out, RegState::Failed(crate::strings::Key::SIP_CONNECTION_LOST.into()));
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
            emit(out, UaEvent::Registration(s));
        }
    }

    pub(super) fn on_register_response(&mut self, out: &mut Vec<Output>, tx: ClientTx, resp: &Message) {
        let code = resp.code().unwrap_or(0);
        match self.retry_with_credentials(out, &tx, resp) {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => {
                self.set_reg(out, RegState::Failed(e));
                return;
            }
        }
        if tx.kind == TxKind::Unregister {
            if (200..300).contains(&code) {
                self.set_reg(out, RegState::Unregistered);
            }
            return;
        }
        if (200..300).contains(&code) {
            self.reg_failures = 0;
            // The granted lifetime: the expires param of the binding that is ours (same user and host: another
            // device of the same user has its own), else the Expires header.
            let mut mine = None;
            for c in resp.header_values("Contact") {
                let Ok(c) = NameAddr::parse(c) else { continue };
                if c.uri.user.as_deref() == Some(self.contact_user.as_str()) && c.uri.host.eq_ignore_ascii_case(&self.host) {
                    mine = crate::phone::sip::message::param(&c.params, "expires").and_then(crate::uint::<u32>);
                    break;
                }
            }
            let expires = mine.or_else(|| resp.header("Expires").and_then(crate::uint)).unwrap_or(self.cfg.expires);
            // Refresh well before expiry: at half the lifetime (at least 5 s before).
            let lead = (expires as f64 * 500.0).min(expires as f64 * 1000.0 - 5_000.0).max(1_000.0);
            self.reg_refresh_at = Some(self.now + lead);
            self.set_reg(out, RegState::Registered { expires });
            return;
        }
        if code == 423 {
            match resp.header("Min-Expires").and_then(|e| crate::uint::<u32>(e.trim())).filter(|m| *m > self.cfg.expires && *m <= 86_400) {
                Some(min) => {
                    self.cfg.expires = min;
                    let req = self.register_request(min);
                    self.send_tx(out, TxKind::Register, None, req);
                }
                None => self.set_reg(
                    out,
                    RegState::Failed(crate::strings::Key::SIP_REG_423.into()),
                ),
            }
            return;
        }
        use crate::strings::Key as K;
        let text = match code {
            401 | 407 => K::SIP_REG_CREDENTIALS.into(),
            403 => K::SIP_REG_FORBIDDEN.into(),
            404 => K::SIP_REG_UNKNOWN_USER.arg("user", &self.cfg.user),
            _ => K::SIP_REG_FAILED.arg("reason", &format_args!("{code} {}", reason(resp))),
        };
        // Wrong credentials and unknown users stay down; anything else is tried again later, spread out so
        // that a server restart does not bring every desktop back in the same second (RFC 5626 4.5).
        if matches!(code, 401 | 404 | 407) {
            self.set_reg(out, RegState::Failed(text));
            return;
        }
        self.reg_failures += 1;
        let retry_after = if matches!(code, 500 | 503 | 480 | 486 | 600 | 603) {
            resp.header("Retry-After").and_then(|r| crate::uint::<u32>(r.split(|c: char| c == ';' || c == '(').next()?.trim()))
        } else {
            None
        };
        let wait = self.retry_wait(retry_after);
        self.reg_refresh_at = Some(self.now + wait);
        self.set_reg(out, RegState::Failed(K::SIP_REG_RETRY.arg_msg("why", text).arg("seconds", &((wait / 1000.0).ceil() as u64))));
    }

    /// How long to wait before registering again after `reg_failures` failures: `Retry-After` when the server
    /// gave one, plus up to half of it again; else RFC 5626 4.5: W = min(max, base * 2^(failures-1)), waiting
    /// a random time between W/2 and W.
    pub(super) fn retry_wait(&mut self, retry_after: Option<u32>) -> f64 {
        let r = ((self.rand)() % 1_000) as f64 / 1_000.0;
        match retry_after {
            Some(s) => {
                let s = (s.min(86_400) as f64) * 1000.0;
                s + s * 0.5 * r
            }
            None => {
                let exp = self.reg_failures.saturating_sub(1).min(16) as i32;
                let w = (RETRY_BASE_MS * 2f64.powi(exp)).min(RETRY_MAX_MS);
                w * (0.5 + 0.5 * r)
            }
        }
    }
}
