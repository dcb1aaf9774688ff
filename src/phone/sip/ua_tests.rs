//! User-agent scenarios driven by scripted messages, as a server and a far end would send them.

use super::*;
use crate::phone::sip::message::Message;

fn ua() -> UserAgent {
    let mut n = 0u32;
    UserAgent::new(
        UaConfig {
            user: "1001".into(),
            domain: "sip.example.com".into(),
            auth_user: String::new(),
            password: "secret".into(),
            display_name: "Agent One".into(),
            expires: 300,
            transport: "WSS".into(),
            user_agent: "agent-desktop".into(),
        },
        Box::new(move || {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            n
        }),
    )
}

fn sent(out: &[Output]) -> Vec<Message> {
    out.iter().filter_map(|o| if let Output::Send(t) = o { Some(Message::parse(t).expect("we send valid SIP")) } else { None }).collect()
}

fn events(out: &[Output]) -> Vec<UaEvent> {
    out.iter().filter_map(|o| if let Output::Event(e) = o { Some(e.clone()) } else { None }).collect()
}

/// A response to `req` as a server would build it.
fn respond(req: &Message, code: u16, to_tag: Option<&str>, extra: &[(&str, &str)], body: &str) -> String {
    let mut r = Message::response(code, "X");
    for v in req.header_values("Via") {
        r.add("Via", v.to_string());
    }
    r.add("From", req.header("From").unwrap().to_string());
    let mut to = req.header("To").unwrap().to_string();
    if let Some(t) = to_tag {
        if !to.contains("tag=") {
            to = format!("{to};tag={t}");
        }
    }
    r.add("To", to);
    r.add("Call-ID", req.call_id().unwrap().to_string());
    r.add("CSeq", req.header("CSeq").unwrap().to_string());
    for (k, v) in extra {
        r.add(k, v.to_string());
    }
    if !body.is_empty() {
        r.with_body("application/sdp", body);
    }
    r.serialize()
}

const CALLER_INVITE: &str = "INVITE sip:abcd@x.invalid;transport=ws SIP/2.0\r\n\
Via: SIP/2.0/WS 127.0.0.1:8080;branch=z9hG4bKproxy1\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKcaller1;rport=5070\r\n\
Record-Route: <sip:127.0.0.1:8080;transport=ws;r2=on;lr>\r\n\
Record-Route: <sip:127.0.0.1;r2=on;lr>\r\n\
From: \"Beth Anglin\" <sip:+14155550123@sip.example.com>;tag=caller-tag\r\n\
To: <sip:1001@sip.example.com>\r\n\
Call-ID: incoming-1@caller\r\n\
CSeq: 10 INVITE\r\n\
Contact: <sip:caller@127.0.0.1:5070>\r\n\
X-Case-Id: ca5e0000000000000000000000000001\r\n\
X-Queue: Billing\r\n\
Max-Forwards: 69\r\n\
Content-Type: application/sdp\r\n\
\r\n\
v=0 offer";

fn in_dialog(method: &str, cseq: u32, to_tag: &str, body: &str) -> String {
    format!(
        "{method} sip:abcd@x.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1:8080;branch=z9hG4bK{method}{cseq}\r\n\
From: <sip:+14155550123@sip.example.com>;tag=caller-tag\r\nTo: <sip:1001@sip.example.com>;tag={to_tag}\r\n\
Call-ID: incoming-1@caller\r\nCSeq: {cseq} {method}\r\nContact: <sip:caller@127.0.0.1:5070>\r\n\r\n{body}"
    )
}

#[test]
fn register_answers_the_challenge_and_refreshes_early() {
    let mut u = ua();
    let out = u.register(0.0);
    assert_eq!(events(&out), vec![UaEvent::Registration(RegState::Registering)]);
    let reg = &sent(&out)[0];
    assert_eq!(reg.method(), Some("REGISTER"));
    assert_eq!(reg.uri(), Some("sip:sip.example.com"));
    assert!(reg.header("Contact").unwrap().contains(";transport=ws>;expires=300"));
    assert_eq!(reg.via().unwrap().transport, "WSS");
    let chal = respond(reg, 401, None, &[("WWW-Authenticate", "Digest realm=\"sip.example.com\", nonce=\"n0nce\", qop=\"auth\"")], "");
    let out = u.on_frame(10.0, &chal);
    let reg2 = &sent(&out)[0];
    assert_eq!(reg2.cseq().unwrap().0, reg.cseq().unwrap().0 + 1);
    assert_ne!(reg2.via().unwrap().branch(), reg.via().unwrap().branch());
    assert_eq!(reg2.call_id(), reg.call_id(), "same Call-ID across a registration");
    let auth = reg2.header("Authorization").unwrap();
    let c = crate::phone::sip::digest::Challenge::parse("Digest realm=\"sip.example.com\", nonce=\"n0nce\", qop=\"auth\"").unwrap();
    let cnonce = auth.split("cnonce=\"").nth(1).unwrap().split('"').next().unwrap();
    let want = crate::phone::sip::digest::response(&c, "1001", "secret", "REGISTER", "sip:sip.example.com", 1, cnonce);
    assert!(auth.contains(&format!("response=\"{want}\"")), "{auth}");
    let contact = reg2.header("Contact").unwrap().split(";expires").next().unwrap().to_string();
    let ok = respond(reg2, 200, Some("reg"), &[("Contact", &format!("{contact};expires=120"))], "");
    let out = u.on_frame(20.0, &ok);
    assert_eq!(events(&out), vec![UaEvent::Registration(RegState::Registered { expires: 120 })]);
    // Refreshed at half the granted lifetime, not at expiry.
    assert!(sent(&u.tick(59_000.0)).iter().all(|m| m.method() != Some("REGISTER")));
    let refresh = sent(&u.tick(60_100.0));
    assert!(refresh.iter().any(|m| m.method() == Some("REGISTER")), "{refresh:?}");
}

#[test]
fn wrong_password_fails_after_bounded_retries() {
    let mut u = ua();
    let mut req = sent(&u.register(0.0))[0].clone();
    let mut last = vec![];
    for i in 0..4 {
        let chal = respond(&req, 401, None, &[("WWW-Authenticate", "Digest realm=\"r\", nonce=\"n\"")], "");
        last = u.on_frame(i as f64, &chal);
        match sent(&last).first() {
            Some(m) => req = m.clone(),
            None => break,
        }
    }
    assert_eq!(
        events(&last),
        vec![UaEvent::Registration(RegState::Failed("The SIP server refused the user name or password".into()))]
    );
}

#[test]
fn outgoing_call_ringing_answer_ack_and_bye() {
    let mut u = ua();
    let (id, out) = u.invite(0.0, "+1 (415) 555-0100", "v=0 offer", &[("X-Case-Id".into(), "abc".into()), ("Evil".into(), "x".into())]).unwrap();
    let inv = &sent(&out)[0];
    assert_eq!(inv.uri(), Some("sip:+14155550100@sip.example.com"));
    assert_eq!(inv.header("X-Case-Id"), Some("abc"));
    assert_eq!(inv.header("Evil"), None, "only X- headers may be added");
    assert_eq!(inv.body, "v=0 offer");
    assert!(inv.from().unwrap().tag().is_some());
    assert!(u.on_frame(1.0, &respond(inv, 100, None, &[], "")).is_empty());
    let out = u.on_frame(2.0, &respond(inv, 180, Some("callee"), &[], ""));
    assert_eq!(events(&out), vec![UaEvent::Progress { call: id, code: 180, early_sdp: None }]);
    let ok = respond(
        inv,
        200,
        Some("callee"),
        &[
            ("Contact", "<sip:callee@10.0.0.9:5070>"),
            ("Record-Route", "<sip:proxy1;lr>"),
            ("Record-Route", "<sip:proxy2;lr>"),
        ],
        "v=0 answer",
    );
    let out = u.on_frame(3.0, &ok);
    assert_eq!(events(&out), vec![UaEvent::Answered { call: id, sdp: "v=0 answer".into() }]);
    let ack = &sent(&out)[0];
    assert_eq!(ack.method(), Some("ACK"));
    assert_eq!(ack.uri(), Some("sip:callee@10.0.0.9:5070"), "ACK goes to the remote target");
    assert_eq!(ack.cseq(), Some((1, "ACK".into())));
    assert_eq!(ack.header_values("Route"), vec!["<sip:proxy2;lr>", "<sip:proxy1;lr>"], "UAC route set is reversed");
    assert_eq!(ack.to().unwrap().tag(), Some("callee"));
    let out = u.hang_up(4.0, id);
    let bye = &sent(&out)[0];
    assert_eq!(bye.method(), Some("BYE"));
    assert_eq!(bye.cseq(), Some((2, "BYE".into())));
    let out = u.on_frame(5.0, &respond(bye, 200, None, &[], ""));
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::Local }]);
    assert!(!u.has_call(id));
}

#[test]
fn invite_challenge_then_busy() {
    let mut u = ua();
    let (id, out) = u.invite(0.0, "sip:2002@sip.example.com", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let out = u.on_frame(1.0, &respond(&inv, 407, Some("p"), &[("Proxy-Authenticate", "Digest realm=\"sip.example.com\", nonce=\"abc\", qop=\"auth\", algorithm=SHA-256")], ""));
    let msgs = sent(&out);
    assert_eq!(msgs[0].method(), Some("ACK"), "the 407 is acknowledged");
    assert_eq!(msgs[0].via().unwrap().branch(), inv.via().unwrap().branch(), "ACK for non-2xx uses the INVITE's branch");
    assert_eq!(msgs[0].to().unwrap().tag(), Some("p"));
    let inv2 = &msgs[1];
    assert_eq!(inv2.method(), Some("INVITE"));
    assert_eq!(inv2.cseq(), Some((2, "INVITE".into())));
    assert!(inv2.header("Proxy-Authorization").unwrap().contains("algorithm=SHA-256"));
    assert_eq!(inv2.call_id(), inv.call_id());
    let out = u.on_frame(2.0, &respond(inv2, 486, Some("b"), &[], ""));
    assert_eq!(sent(&out)[0].method(), Some("ACK"));
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::Failed { code: 486, text: "The line is busy".into() } }]);
}

#[test]
fn cancel_waits_for_a_provisional_response() {
    let mut u = ua();
    let (id, out) = u.invite(0.0, "2002", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    assert!(sent(&u.hang_up(1.0, id)).is_empty(), "no CANCEL before any provisional response");
    let out = u.on_frame(2.0, &respond(&inv, 100, None, &[], ""));
    let cancel = &sent(&out)[0];
    assert_eq!(cancel.method(), Some("CANCEL"));
    assert_eq!(cancel.via().unwrap().branch(), inv.via().unwrap().branch());
    assert_eq!(cancel.cseq(), Some((1, "CANCEL".into())));
    u.on_frame(3.0, &respond(cancel, 200, None, &[], ""));
    let out = u.on_frame(4.0, &respond(&inv, 487, Some("t"), &[], ""));
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::Local }]);
}

#[test]
fn incoming_call_rings_carries_x_headers_answers_and_remote_bye() {
    let mut u = ua();
    let out = u.on_frame(0.0, CALLER_INVITE);
    let ringing = &sent(&out)[0];
    assert_eq!(ringing.code(), Some(180));
    let tag = ringing.to().unwrap().tag().unwrap().to_string();
    assert_eq!(ringing.header_values("Via").len(), 2);
    assert_eq!(ringing.header_values("Record-Route").len(), 2);
    let ev = events(&out);
    let UaEvent::Incoming { call, from, x_headers, offer, replaces } = &ev[0] else { panic!("{ev:?}") };
    assert_eq!(from.display.as_deref(), Some("Beth Anglin"));
    assert_eq!(from.user, "+14155550123");
    assert_eq!(x_headers, &vec![("X-Case-Id".to_string(), "ca5e0000000000000000000000000001".to_string()), ("X-Queue".to_string(), "Billing".to_string())]);
    assert_eq!(offer, "v=0 offer");
    assert_eq!(*replaces, None);
    let id = *call;
    let out = u.answer(1.0, id, "v=0 answer");
    let ok = &sent(&out)[0];
    assert_eq!(ok.code(), Some(200));
    assert_eq!(ok.to().unwrap().tag(), Some(tag.as_str()));
    assert_eq!(ok.body, "v=0 answer");
    assert!(ok.header("Contact").is_some());
    let out = u.on_frame(2.0, &in_dialog("ACK", 10, &tag, ""));
    assert_eq!(events(&out), vec![UaEvent::Answered { call: id, sdp: "v=0 offer".into() }]);
    // Our BYE would follow the route set in the INVITE's order (UAS) to the caller's Contact.
    let bye_ours = u.in_dialog_request(id, "BYE", None);
    assert_eq!(bye_ours.uri(), Some("sip:caller@127.0.0.1:5070"));
    assert_eq!(bye_ours.header_values("Route")[0], "<sip:127.0.0.1:8080;transport=ws;r2=on;lr>");
    let out = u.on_frame(3.0, &in_dialog("BYE", 12, &tag, ""));
    assert_eq!(sent(&out)[0].code(), Some(200));
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::Remote }]);
}

#[test]
fn caller_cancel_becomes_a_missed_call_and_reject_sends_486() {
    let mut u = ua();
    let out = u.on_frame(0.0, CALLER_INVITE);
    let UaEvent::Incoming { call, .. } = events(&out)[0].clone() else { panic!() };
    let cancel = CALLER_INVITE.replacen("INVITE sip:", "CANCEL sip:", 1).replace("CSeq: 10 INVITE", "CSeq: 10 CANCEL").replace("v=0 offer", "");
    let out = u.on_frame(1.0, &cancel);
    let msgs = sent(&out);
    assert_eq!(msgs[0].code(), Some(200));
    assert_eq!(msgs[0].cseq().unwrap().1, "CANCEL");
    assert_eq!(msgs[1].code(), Some(487));
    assert_eq!(msgs[1].cseq().unwrap().1, "INVITE");
    assert_eq!(events(&out), vec![UaEvent::Ended { call, reason: Ended::CallerCancelled }]);

    let mut u = ua();
    let out = u.on_frame(0.0, CALLER_INVITE);
    let UaEvent::Incoming { call, .. } = events(&out)[0].clone() else { panic!() };
    let out = u.reject(1.0, call, 486);
    assert_eq!(sent(&out)[0].code(), Some(486));
    assert_eq!(events(&out), vec![UaEvent::Ended { call, reason: Ended::Local }]);
}

fn connected_incoming(u: &mut UserAgent) -> (CallRef, String) {
    let out = u.on_frame(0.0, CALLER_INVITE);
    let tag = sent(&out)[0].to().unwrap().tag().unwrap().to_string();
    let UaEvent::Incoming { call, .. } = events(&out)[0].clone() else { panic!() };
    u.answer(1.0, call, "a");
    u.on_frame(2.0, &in_dialog("ACK", 10, &tag, ""));
    (call, tag)
}

#[test]
fn hold_by_reinvite_both_ways() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let out = u.reinvite(3.0, id, "v=0 a=sendonly");
    let re = sent(&out)[0].clone();
    assert_eq!(re.method(), Some("INVITE"));
    assert_eq!(re.cseq(), Some((1, "INVITE".into())));
    assert_eq!(re.to().unwrap().tag(), Some("caller-tag"));
    assert_eq!(re.from().unwrap().tag(), Some(tag.as_str()));
    // A second offer while one is pending is refused locally.
    assert_eq!(events(&u.reinvite(3.5, id, "x")), vec![UaEvent::ReofferFailed { call: id, code: 491 }]);
    let out = u.on_frame(4.0, &respond(&re, 200, None, &[], "v=0 a=recvonly"));
    assert_eq!(sent(&out)[0].method(), Some("ACK"));
    assert_eq!(events(&out), vec![UaEvent::ReofferAnswered { call: id, sdp: "v=0 a=recvonly".into() }]);
    // The far end puts us on hold.
    let out = u.on_frame(5.0, &in_dialog("INVITE", 11, &tag, "v=0 a=sendonly"));
    assert_eq!(events(&out), vec![UaEvent::RemoteOffer { call: id, sdp: "v=0 a=sendonly".into() }]);
    let out = u.answer_reoffer(6.0, id, "v=0 a=recvonly");
    let ok = &sent(&out)[0];
    assert_eq!(ok.code(), Some(200));
    assert_eq!(ok.cseq(), Some((11, "INVITE".into())));
    // An older CSeq is refused.
    let out = u.on_frame(7.0, &in_dialog("INFO", 5, &tag, "Signal=1"));
    assert_eq!(sent(&out)[0].code(), Some(500));
}

#[test]
fn blind_transfer_refer_and_notify_progress() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let screen = vec![("X-SN-Table".to_string(), "sn_customerservice_case".to_string()), ("X-SN-Sys-Id".to_string(), "ca5e 1&2".to_string())];
    let out = u.refer(3.0, id, "1003", None, &screen).unwrap();
    let refer = sent(&out)[0].clone();
    assert_eq!(refer.method(), Some("REFER"));
    assert_eq!(refer.header("Refer-To"), Some("<sip:1003@sip.example.com?X-SN-Table=sn_customerservice_case&X-SN-Sys-Id=ca5e%201%262>"));
    // The transferee's INVITE to that target carries the record as headers.
    let mut transferee = ua();
    let target = NameAddr::parse(refer.header("Refer-To").unwrap()).unwrap().uri.to_string();
    let (_, out) = transferee.invite(3.5, &target, "o", &[]).unwrap();
    let inv = &sent(&out)[0];
    assert_eq!(inv.uri(), Some("sip:1003@sip.example.com"));
    assert_eq!(inv.header("X-SN-Sys-Id"), Some("ca5e 1&2"));
    assert_eq!(inv.header("X-SN-Table"), Some("sn_customerservice_case"));
    assert!(u.on_frame(4.0, &respond(&refer, 202, None, &[], "")).iter().all(|o| matches!(o, Output::Send(_))));
    let notify = |cseq: u32, frag: &str, state: &str| {
        in_dialog("NOTIFY", cseq, &tag, frag).replace("\r\n\r\n", &format!("\r\nEvent: refer\r\nSubscription-State: {state}\r\nContent-Type: message/sipfrag\r\n\r\n"))
    };
    let out = u.on_frame(5.0, &notify(11, "SIP/2.0 100 Trying\r\n", "active"));
    assert_eq!(sent(&out)[0].code(), Some(200));
    assert_eq!(events(&out), vec![UaEvent::TransferProgress { call: id, code: 100, done: false }]);
    let out = u.on_frame(6.0, &notify(12, "SIP/2.0 200 OK\r\n", "terminated;reason=noresource"));
    assert_eq!(events(&out), vec![UaEvent::TransferProgress { call: id, code: 200, done: true }]);
}

#[test]
fn consultative_transfer_refer_carries_replaces_and_target_accepts_it() {
    let mut u = ua();
    let (first, _tag) = connected_incoming(&mut u);
    let (consult, out) = u.invite(3.0, "1003", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    u.on_frame(4.0, &respond(&inv, 200, Some("c-tag"), &[("Contact", "<sip:c@h.invalid;transport=ws>")], "a"));
    let out = u.refer(5.0, first, "", Some(consult), &[]).unwrap();
    let refer_to = sent(&out)[0].header("Refer-To").unwrap().to_string();
    let local_tag = inv.from().unwrap().tag().unwrap().to_string();
    assert!(refer_to.starts_with("<sip:1003@sip.example.com?Replaces="), "{refer_to}");
    let na = NameAddr::parse(&refer_to).unwrap();
    let r = parse_replaces(na.uri.headers.as_deref().unwrap().strip_prefix("Replaces=").unwrap()).unwrap();
    assert_eq!(r, Replaces { call_id: inv.call_id().unwrap().into(), to_tag: "c-tag".into(), from_tag: local_tag });

    // The transferee calls the Refer-To target: the URI's Replaces becomes a header, not part of the R-URI.
    let mut transferee = ua();
    let (_, out) = transferee.invite(5.5, &na.uri.to_string(), "o", &[]).unwrap();
    let inv3 = &sent(&out)[0];
    assert_eq!(inv3.uri(), Some("sip:1003@sip.example.com"));
    let rh = parse_replaces(inv3.header("Replaces").unwrap()).unwrap();
    assert_eq!(rh.to_tag, "c-tag");

    // The target side: an INVITE with Replaces naming one of its calls replaces it (no ringing).
    let mut target = ua();
    let (existing, ttag) = connected_incoming(&mut target);
    let replacing = CALLER_INVITE
        .replace("Call-ID: incoming-1@caller", "Call-ID: new-2@x")
        .replace("tag=caller-tag", "tag=t2")
        .replace("X-Queue: Billing\r\n", &format!("Replaces: incoming-1@caller;to-tag={ttag};from-tag=caller-tag\r\n"));
    let out = target.on_frame(6.0, &replacing);
    assert!(sent(&out).is_empty(), "no 180 for a replacing INVITE");
    assert!(matches!(&events(&out)[0], UaEvent::Incoming { replaces: Some(x), .. } if *x == existing));
    let bad = replacing.replace(&format!("to-tag={ttag}"), "to-tag=nope").replace("new-2@x", "new-3@x");
    assert_eq!(sent(&target.on_frame(7.0, &bad))[0].code(), Some(481));
}

#[test]
fn a_new_instance_takes_a_call_over_with_replaces() {
    // The desktop answered a call, then the page reloaded (or the phone moved to another tab).
    let mut old = ua();
    let (call, local_tag) = connected_incoming(&mut old);
    let (target, replaces) = old.takeover(call).expect("a confirmed call can be taken over");
    assert_eq!(target, "sip:caller@127.0.0.1:5070", "sent to the far end's Contact");
    assert_eq!(replaces, format!("incoming-1@caller;to-tag=caller-tag;from-tag={local_tag}"));
    // The new instance calls the far end with that Replaces header.
    let mut fresh = ua();
    let (_, out) = fresh.invite(10.0, &target, "v=0 new", &[("Replaces".into(), replaces.clone())]).unwrap();
    let inv = sent(&out)[0].clone();
    assert_eq!(inv.uri(), Some("sip:caller@127.0.0.1:5070"));
    assert_eq!(inv.header("Replaces"), Some(replaces.as_str()));
    // Seen from the far end (the caller's UA: its local tag is "caller-tag"), it names its dialog.
    let r = parse_replaces(inv.header("Replaces").unwrap()).unwrap();
    assert_eq!((r.to_tag.as_str(), r.from_tag.as_str()), ("caller-tag", local_tag.as_str()));
    // Ringing or ended calls cannot be taken over.
    let mut ringing = ua();
    let out = ringing.on_frame(0.0, CALLER_INVITE);
    let UaEvent::Incoming { call: r_call, .. } = events(&out)[0].clone() else { panic!() };
    assert_eq!(ringing.takeover(r_call), None);
    old.hang_up(20.0, call);
    assert_eq!(old.takeover(call), None);
}

#[test]
fn transferee_gets_refer_and_reports_progress() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let refer = in_dialog("REFER", 11, &tag, "").replace("\r\n\r\n", "\r\nRefer-To: <sip:1003@sip.example.com>\r\n\r\n");
    let out = u.on_frame(3.0, &refer);
    let msgs = sent(&out);
    assert_eq!(msgs[0].code(), Some(202));
    assert_eq!(msgs[1].method(), Some("NOTIFY"));
    assert_eq!(msgs[1].body, "SIP/2.0 100 Trying\r\n");
    assert_eq!(events(&out), vec![UaEvent::TransferRequested { call: id, target: "sip:1003@sip.example.com".into() }]);
    let out = u.notify_transfer(4.0, id, 200);
    let n = &sent(&out)[0];
    assert!(n.header("Subscription-State").unwrap().starts_with("terminated"));
    assert_eq!(n.body, "SIP/2.0 200 OK\r\n");
}

#[test]
fn dtmf_by_info_both_ways() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let out = u.info_dtmf(3.0, id, '7');
    let info = &sent(&out)[0];
    assert_eq!(info.method(), Some("INFO"));
    assert_eq!(info.header("Content-Type"), Some("application/dtmf-relay"));
    assert!(info.body.starts_with("Signal=7"));
    let out = u.on_frame(4.0, &in_dialog("INFO", 11, &tag, "Signal=#\r\nDuration=100\r\n"));
    assert_eq!(events(&out), vec![UaEvent::Dtmf { call: id, digit: '#' }]);
}

#[test]
fn our_200_is_sent_again_until_the_ack_comes() {
    let mut u = ua();
    let out = u.on_frame(0.0, CALLER_INVITE);
    let UaEvent::Incoming { call, .. } = events(&out)[0].clone() else { panic!() };
    let first = sent(&u.answer(1_000.0, call, "a"))[0].serialize();
    // T1, then doubling up to T2: 500, 1000, 2000, 4000, 4000 ms.
    let mut at = 1_000.0;
    for gap in [500.0, 1_000.0, 2_000.0, 4_000.0, 4_000.0] {
        assert!(sent(&u.tick(at + gap - 1.0)).is_empty(), "not before {gap} ms");
        at += gap;
        let again = sent(&u.tick(at));
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].serialize(), first, "the same 200");
    }
    let tag = Message::parse(&first).unwrap().to().unwrap().tag().unwrap().to_string();
    u.on_frame(at + 10.0, &in_dialog("ACK", 10, &tag, ""));
    assert!(sent(&u.tick(at + 10_000.0)).is_empty(), "nothing more once acknowledged");
}

#[test]
fn timeouts_and_strays() {
    let mut u = ua();
    let (id, _) = u.invite(0.0, "2002", "o", &[]).unwrap();
    assert!(events(&u.tick(TIMEOUT_MS - 1.0)).is_empty());
    assert_eq!(events(&u.tick(TIMEOUT_MS)), vec![UaEvent::Ended { call: id, reason: Ended::Timeout }]);
    // No ACK for our 200: BYE and end.
    let mut u = ua();
    let out = u.on_frame(0.0, CALLER_INVITE);
    let UaEvent::Incoming { call, .. } = events(&out)[0].clone() else { panic!() };
    u.answer(1.0, call, "a");
    let out = u.tick(1.0 + TIMEOUT_MS);
    assert_eq!(sent(&out)[0].method(), Some("BYE"));
    assert_eq!(events(&out), vec![UaEvent::Ended { call, reason: Ended::Timeout }]);
    // Requests for unknown dialogs get 481; garbage is ignored.
    let out = u.on_frame(2.0, &in_dialog("BYE", 20, "unknown", ""));
    assert_eq!(sent(&out)[0].code(), Some(481));
    assert!(u.on_frame(3.0, "garbage\r\n\r\n").is_empty());
    assert!(u.on_frame(3.0, "\r\n\r\n").is_empty());
    assert!(u.target_uri("x<y").is_err());
    assert!(u.target_uri("   ").is_err());
    assert_eq!(u.target_uri("jane doe").unwrap().to_string(), "sip:janedoe@sip.example.com");
    assert_eq!(u.target_uri("*72#").unwrap().to_string(), "sip:*72%23@sip.example.com");
}
