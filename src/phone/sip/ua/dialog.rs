//! Dialogs (RFC 3261 12): requests inside a dialog, responses, and finding the dialog of a request.

use super::*;

impl UserAgent {
    /// The call a `Replaces` may take over, or the refusal (RFC 3891 3): an early dialog this UA did not
    /// start gets 481 (a caller must not answer our ringing phone), `early-only` on a confirmed dialog 486,
    /// a dialog being torn down 603, an unknown one 481.
    pub(super) fn find_by_replaces(&self, r: &Replaces) -> Result<CallRef, (u16, &'static str)> {
        let c = self
            .calls
            .values()
            .find(|c| {
                c.dialog.call_id == r.call_id
                    && c.dialog.local_tag == r.to_tag
                    && c.dialog.remote_tag.as_deref() == Some(r.from_tag.as_str())
            })
            .ok_or((481, "Call/Transaction Does Not Exist"))?;
        match c.state {
            CallState::Confirmed | CallState::WaitAck if r.early_only => Err((486, "Busy Here")),
            CallState::Confirmed | CallState::WaitAck => Ok(c.id),
            CallState::Calling | CallState::Early if c.outbound => Ok(c.id),
            CallState::Terminating => Err((603, "Decline")),
            _ => Err((481, "Call/Transaction Does Not Exist")),
        }
    }


    /// The ACK to a 2xx for `invite`: it carries the INVITE's CSeq number and the same credentials
    /// (Authorization/Proxy-Authorization, RFC 3261 13.2.2.4), or a proxy that challenged the INVITE drops it.
    pub(super) fn ack_2xx(&mut self, id: CallRef, invite: &Message, n: u32) -> Message {
        let mut ack = self.in_dialog_request(id, "ACK", Some(n));
        for h in ["Authorization", "Proxy-Authorization"] {
            for v in invite.header_values(h) {
                ack.add(h, v.to_string());
            }
        }
        ack
    }

    pub(super) fn in_dialog_request(&mut self, id: CallRef, method: &str, cseq: Option<u32>) -> Message {
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
        let mut to = d.remote.clone();
        if let Some(t) = &d.remote_tag {
            to.set_param("tag", Some(t));
        }
        let mut from = d.local.clone();
        from.set_param("tag", Some(&d.local_tag));
        let mut m = new_request(method, &d.remote_target, via, None, to.to_string(), from.to_string(), d.call_id.clone(), n);
        // One Route header with the whole set (RFC 3261 7.3.1): Kamailio's loose_route takes its own double
        // Record-Route (r2=on) out of one header field, not out of two.
        if !d.route_set.is_empty() {
            m.add("Route", crate::text::join(&d.route_set, ", "));
        }
        m
    }

    /// A response to `req` without a body, sent (one place for every such reply: small in the wasm).
    #[inline(never)]
    pub(super) fn send_reply(&self, out: &mut Vec<Output>, req: &Message, code: u16, text: &str, to_tag: Option<&str>) {
        self.send_reply_with(out, req, code, text, to_tag, &[]);
    }

    /// [`Self::send_reply`] with `extra` headers (one place builds, serializes and queues every reply).
    pub(super) fn send_reply_with(&self, out: &mut Vec<Output>, req: &Message, code: u16, text: &str, to_tag: Option<&str>, extra: &[(&str, &str)]) {
        let mut r = self.reply(req, code, text, to_tag, None);
        for (name, value) in extra {
            r.add(name, *value);
        }
        send_msg(out, &r);
    }

    /// A response to `req` with our Contact (180 and 200 set up the dialog), sent.
    pub(super) fn send_with_contact(&self, out: &mut Vec<Output>, req: &Message, code: u16, text: &str, to_tag: &str, sdp: Option<&str>) {
        let mut r = self.reply(req, code, text, Some(to_tag), sdp);
        r.add("Contact", self.contact());
        send_msg(out, &r);
    }

    pub(super) fn reply(&self, req: &Message, code: u16, text: &str, to_tag: Option<&str>, sdp: Option<&str>) -> Message {
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

    pub(super) fn find_call(&self, req: &Message) -> Option<CallRef> {
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
}
