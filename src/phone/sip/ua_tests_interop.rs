//! What real PBXs, carriers and other softphones expect (issue 12): each test fed the messages such a peer
//! sends, asserting what the UA sends back.

use super::tests::*;
use super::*;
use crate::phone::sip::message::Message;

fn call_out(u: &mut UserAgent) -> (CallRef, Message) {
    let (id, out) = u.invite(0.0, "2002", "v=0 offer", &[]).unwrap();
    (id, sent(&out)[0].clone())
}

fn methods(out: &[Output]) -> Vec<String> {
    sent(out).iter().map(|m| m.method().map(str::to_string).unwrap_or_else(|| m.code().unwrap().to_string())).collect()
}

#[test]
fn ringing_longer_than_timer_b_keeps_the_call_until_the_no_answer_time_cancels_it() {
    let mut u = ua();
    let (id, inv) = call_out(&mut u);
    u.on_frame(100.0, &respond(&inv, 180, Some("callee"), &[], ""));
    // 40 s of ringing: Timer B (32 s) no longer applies after a 1xx.
    assert!(u.tick(40_000.0).is_empty(), "still ringing");
    assert!(u.has_call(id));
    let out = u.tick(60_000.0);
    assert_eq!(methods(&out), vec!["CANCEL"], "the no-answer time sends CANCEL");
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::NoAnswer }]);
    let cancel = &sent(&out)[0];
    assert_eq!(cancel.via().unwrap().branch(), inv.via().unwrap().branch());
    let out = u.on_frame(60_100.0, &respond(&inv, 487, Some("callee"), &[], ""));
    assert_eq!(methods(&out), vec!["ACK"]);
    assert_eq!(events(&out), vec![]);
}

#[test]
fn no_answer_time_zero_lets_a_call_ring_on() {
    let mut u = ua_with(|c| c.no_answer_secs = 0);
    let (id, inv) = call_out(&mut u);
    u.on_frame(100.0, &respond(&inv, 180, Some("callee"), &[], ""));
    assert!(u.tick(600_000.0).is_empty());
    assert!(u.has_call(id));
}

#[test]
fn a_2xx_crossing_the_no_answer_cancel_is_acked_and_ended_with_bye() {
    let mut u = ua();
    let (id, inv) = call_out(&mut u);
    u.on_frame(100.0, &respond(&inv, 180, Some("callee"), &[], ""));
    assert_eq!(events(&u.tick(60_000.0)), vec![UaEvent::Ended { call: id, reason: Ended::NoAnswer }]);
    let ok = respond(&inv, 200, Some("callee"), &[("Contact", "<sip:callee@10.0.0.9>")], "v=0 answer");
    let out = u.on_frame(60_050.0, &ok);
    assert_eq!(methods(&out), vec!["ACK", "BYE"]);
    assert_eq!(events(&out), vec![], "said once, at the CANCEL");
    let bye = &sent(&out)[1];
    let out = u.on_frame(60_100.0, &respond(bye, 200, None, &[], ""));
    assert_eq!(events(&out), vec![]);
    assert!(!u.has_call(id));
}

#[test]
fn a_2xx_after_the_call_was_given_up_is_acked_and_ended_with_bye() {
    let mut u = ua();
    let (id, inv) = call_out(&mut u);
    // No response at all: Timer B ends the call.
    assert_eq!(events(&u.tick(TIMEOUT_MS)), vec![UaEvent::Ended { call: id, reason: Ended::Timeout }]);
    let ok = respond(&inv, 200, Some("late"), &[("Contact", "<sip:callee@10.0.0.9>"), ("Record-Route", "<sip:p1;lr>")], "v=0 answer");
    let out = u.on_frame(TIMEOUT_MS + 10.0, &ok);
    let msgs = sent(&out);
    assert_eq!(methods(&out), vec!["ACK", "BYE"]);
    for m in &msgs {
        assert_eq!(m.uri(), Some("sip:callee@10.0.0.9"));
        assert_eq!(m.to().unwrap().tag(), Some("late"));
        assert_eq!(m.header_values("Route"), vec!["<sip:p1;lr>"]);
    }
    assert_eq!(msgs[0].cseq(), Some((1, "ACK".into())));
    assert_eq!(msgs[1].cseq(), Some((2, "BYE".into())));
    assert!(events(&out).is_empty(), "the call was already ended for the agent");
}

#[test]
fn the_ack_carries_the_cseq_and_credentials_of_the_challenged_invite() {
    let mut u = ua();
    let (id, inv) = call_out(&mut u);
    let chal = [("Proxy-Authenticate", "Digest realm=\"sip.example.com\", nonce=\"n1\", qop=\"auth\"")];
    let out = u.on_frame(1.0, &respond(&inv, 407, Some("p"), &chal, ""));
    let inv2 = sent(&out)[1].clone();
    assert_eq!(inv2.cseq(), Some((2, "INVITE".into())));
    let out = u.on_frame(2.0, &respond(&inv2, 200, Some("callee"), &[("Contact", "<sip:c@10.0.0.9>")], "v=0 answer"));
    assert_eq!(sent(&out)[0].cseq(), Some((2, "ACK".into())), "ACK CSeq = INVITE CSeq (RFC 3261 13.2.2.4)");
    assert!(matches!(events(&out)[0], UaEvent::Answered { call, .. } if call == id));
    // The same credentials as the INVITE (RFC 3261 13.2.2.4), also on the ACK to a retransmitted 200.
    let creds = inv2.header("Proxy-Authorization").expect("the INVITE answered the challenge");
    assert_eq!(sent(&out)[0].header("Proxy-Authorization"), Some(creds));
    let out = u.on_frame(2.5, &respond(&inv2, 200, Some("callee"), &[("Contact", "<sip:c@10.0.0.9>")], "v=0 answer"));
    assert_eq!(sent(&out)[0].method(), Some("ACK"));
    assert_eq!(sent(&out)[0].header("Proxy-Authorization"), Some(creds));
}

fn ringing_in(u: &mut UserAgent) -> (CallRef, String) {
    let out = u.on_frame(0.0, CALLER_INVITE);
    let tag = sent(&out)[0].to().unwrap().tag().unwrap().to_string();
    let UaEvent::Incoming { call, .. } = events(&out)[0].clone() else { panic!() };
    (call, tag)
}

fn cancel_of_caller_invite(extra: &str) -> String {
    let inv = Message::parse(CALLER_INVITE).unwrap();
    let mut c = Message::request("CANCEL", inv.uri().unwrap());
    for v in inv.header_values("Via") {
        c.add("Via", v.to_string());
    }
    c.add("From", inv.header("From").unwrap().to_string());
    c.add("To", inv.header("To").unwrap().to_string());
    c.add("Call-ID", inv.call_id().unwrap().to_string());
    c.add("CSeq", "10 CANCEL");
    if !extra.is_empty() {
        c.add("Reason", extra.to_string());
    }
    c.serialize()
}

#[test]
fn a_cancel_after_our_200_is_answered_200_with_the_to_tag_and_leaves_the_call_up() {
    let mut u = ua();
    let (id, tag) = ringing_in(&mut u);
    u.answer(1.0, id, "a");
    let out = u.on_frame(1.5, &cancel_of_caller_invite(""));
    assert_eq!(methods(&out), vec!["200"], "RFC 3261 9.2: 200, not 481, and no 487");
    assert_eq!(sent(&out)[0].cseq(), Some((10, "CANCEL".into())));
    assert_eq!(sent(&out)[0].to().unwrap().tag(), Some(tag.as_str()));
    assert!(events(&out).is_empty(), "the call goes on");
    assert!(u.has_call(id));
    // While ringing, the 200 to CANCEL carries the same To tag as the 180 and the 487.
    let mut u = ua();
    let (_, tag) = ringing_in(&mut u);
    let out = u.on_frame(1.0, &cancel_of_caller_invite(""));
    assert_eq!(sent(&out)[0].to().unwrap().tag(), Some(tag.as_str()));
    assert_eq!(sent(&out)[1].to().unwrap().tag(), Some(tag.as_str()));
}

#[test]
fn a_cancel_with_reason_cause_200_is_answered_elsewhere_not_missed() {
    let mut u = ua();
    let (id, _) = ringing_in(&mut u);
    let out = u.on_frame(1.0, &cancel_of_caller_invite("SIP ;cause=200 ;text=\"Call completed elsewhere\""));
    assert_eq!(methods(&out), vec!["200", "487"]);
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::AnsweredElsewhere }]);
    // Without it (or with another cause), the caller gave up: a missed call.
    let mut u = ua();
    let (id, _) = ringing_in(&mut u);
    let out = u.on_frame(1.0, &cancel_of_caller_invite("Q.850;cause=16"));
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::CallerCancelled }]);
}

#[test]
fn an_unacceptable_reinvite_gets_488_with_a_warning_and_the_next_one_is_taken() {
    let mut u = ua();
    let (id, tag) = super::tests_dialog::connected_incoming(&mut u);
    let out = u.on_frame(3.0, &in_dialog("INVITE", 11, &tag, "v=0 m=image 9 udptl t38"));
    assert!(matches!(events(&out)[0], UaEvent::RemoteOffer { .. }));
    let out = u.reject_reoffer(4.0, id, "setRemoteDescription failed: no audio codec in common");
    let r = &sent(&out)[0];
    assert_eq!(r.code(), Some(488));
    assert_eq!(r.cseq(), Some((11, "INVITE".into())));
    assert!(r.header("Warning").unwrap().starts_with("399 "), "{:?}", r.header("Warning"));
    assert!(r.header("Warning").unwrap().contains("no audio codec in common"));
    assert!(u.has_call(id), "the call goes on");
    // State cleared: the next re-INVITE is taken, not 491.
    let out = u.on_frame(5.0, &in_dialog("INVITE", 12, &tag, "v=0 audio"));
    assert_eq!(events(&out), vec![UaEvent::RemoteOffer { call: id, sdp: "v=0 audio".into() }]);
}

#[test]
fn forked_answers_first_2xx_wins_the_other_is_acked_and_ended() {
    let mut u = ua();
    let (id, inv) = call_out(&mut u);
    let out = u.on_frame(1.0, &respond(&inv, 183, Some("a"), &[("Contact", "<sip:a@10.0.0.1>")], "v=0 early-a"));
    assert_eq!(events(&out), vec![UaEvent::Progress { call: id, code: 183, early_sdp: Some("v=0 early-a".into()) }]);
    let out = u.on_frame(2.0, &respond(&inv, 200, Some("b"), &[("Contact", "<sip:b@10.0.0.2>")], "v=0 answer-b"));
    let ack = &sent(&out)[0];
    assert_eq!((ack.method(), ack.to().unwrap().tag(), ack.uri()), (Some("ACK"), Some("b"), Some("sip:b@10.0.0.2")));
    assert_eq!(events(&out), vec![UaEvent::Answered { call: id, sdp: "v=0 answer-b".into() }]);
    let out = u.on_frame(3.0, &respond(&inv, 200, Some("a"), &[("Contact", "<sip:a@10.0.0.1>")], "v=0 answer-a"));
    let msgs = sent(&out);
    assert_eq!(methods(&out), vec!["ACK", "BYE"], "the other fork's 2xx is acknowledged and ended");
    assert!(msgs.iter().all(|m| m.to().unwrap().tag() == Some("a") && m.uri() == Some("sip:a@10.0.0.1")));
    assert!(events(&out).is_empty());
    // The call that won is untouched: a retransmission of its 2xx is acknowledged again, nothing ended.
    let out = u.on_frame(4.0, &respond(&inv, 200, Some("b"), &[("Contact", "<sip:b@10.0.0.2>")], "v=0 answer-b"));
    assert_eq!(methods(&out), vec!["ACK"]);
    assert!(u.has_call(id));
}

#[test]
fn a_200_without_sdp_confirms_the_183_answer_of_its_dialog() {
    let mut u = ua();
    let (id, inv) = call_out(&mut u);
    u.on_frame(1.0, &respond(&inv, 183, Some("a"), &[], "v=0 early-a"));
    let out = u.on_frame(2.0, &respond(&inv, 200, Some("a"), &[("Contact", "<sip:a@10.0.0.1>")], ""));
    assert_eq!(events(&out), vec![UaEvent::Answered { call: id, sdp: "v=0 early-a".into() }]);
}

#[test]
fn an_invite_without_sdp_gets_our_offer_in_the_200_and_the_answer_from_the_ack() {
    let mut u = ua();
    let no_sdp = CALLER_INVITE.replace("Content-Type: application/sdp\r\n", "").replace("\r\n\r\nv=0 offer", "\r\n\r\n");
    let out = u.on_frame(0.0, &no_sdp);
    assert_eq!(methods(&out), vec!["180"], "not 488");
    let UaEvent::Incoming { call, offer, .. } = events(&out)[0].clone() else { panic!() };
    assert_eq!(offer, "");
    let tag = sent(&out)[0].to().unwrap().tag().unwrap().to_string();
    let ok = &sent(&u.answer(1.0, call, "v=0 our-offer"))[0];
    assert_eq!(ok.body, "v=0 our-offer");
    let out = u.on_frame(2.0, &in_dialog("ACK", 10, &tag, "v=0 their-answer"));
    assert_eq!(
        events(&out),
        vec![UaEvent::LateAnswer { call, sdp: "v=0 their-answer".into() }, UaEvent::Answered { call, sdp: String::new() }],
        "the answer is applied, then the call is up"
    );
}

#[test]
fn the_sdp_part_of_a_multipart_invite_is_the_offer() {
    let mut u = ua();
    let body = "--b1\r\nContent-Type: application/sdp\r\n\r\nv=0 multi\r\n--b1\r\nContent-Type: application/isup; version=itu-t92+\r\n\r\nISUP\r\n--b1--\r\n";
    let inv = CALLER_INVITE
        .replace("Content-Type: application/sdp", "Content-Type: multipart/mixed; boundary=b1")
        .replace("\r\n\r\nv=0 offer", &format!("\r\n\r\n{body}"));
    let out = u.on_frame(0.0, &inv);
    let UaEvent::Incoming { offer, .. } = events(&out)[0].clone() else { panic!("{out:?}") };
    assert_eq!(offer, "v=0 multi");
    // A body of a type with no SDP at all: 415 naming what is accepted.
    let mut u = ua();
    let out = u.on_frame(0.0, &CALLER_INVITE.replace("Content-Type: application/sdp", "Content-Type: text/plain"));
    assert_eq!(sent(&out)[0].code(), Some(415));
    assert!(sent(&out)[0].header("Accept").unwrap().contains("application/sdp"));
    assert!(events(&out).is_empty());
}

#[test]
fn bye_while_ringing_also_ends_the_invite_with_487() {
    let mut u = ua();
    let (id, tag) = ringing_in(&mut u);
    let out = u.on_frame(1.0, &in_dialog("BYE", 11, &tag, ""));
    let msgs = sent(&out);
    assert_eq!((msgs[0].code(), msgs[0].cseq().unwrap().1.as_str()), (Some(200), "BYE"));
    assert_eq!((msgs[1].code(), msgs[1].cseq().unwrap().1.as_str()), (Some(487), "INVITE"));
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::CallerCancelled }]);
}

#[test]
fn a_491_to_our_reinvite_is_retried_after_the_random_wait_and_a_failure_is_acked() {
    let mut u = ua();
    let (id, _) = super::tests_dialog::connected_incoming(&mut u);
    let re = sent(&u.reinvite(10.0, id, "v=0 hold"))[0].clone();
    let out = u.on_frame(20.0, &respond(&re, 491, None, &[], ""));
    assert_eq!(methods(&out), vec!["ACK"], "the 491 is acknowledged in its transaction");
    assert_eq!(sent(&out)[0].via().unwrap().branch(), re.via().unwrap().branch());
    assert!(events(&out).is_empty(), "not a failure yet");
    // We did not place the call (the far end owns the Call-ID): 0-2 s (RFC 3261 14.1).
    let mut retried = None;
    for t in (20..=2_020).step_by(10) {
        let out = u.tick(20.0 + t as f64);
        if let Some(m) = sent(&out).into_iter().find(|m| m.method() == Some("INVITE")) {
            retried = Some(m);
            break;
        }
    }
    let again = retried.expect("retried within 2 s");
    assert_eq!(again.body, "v=0 hold");
    assert!(again.cseq().unwrap().0 > re.cseq().unwrap().0);
    let out = u.on_frame(3_000.0, &respond(&again, 500, None, &[], ""));
    assert_eq!(methods(&out), vec!["ACK"]);
    assert_eq!(events(&out), vec![UaEvent::ReofferFailed { call: id, code: 500, refresh: false }]);
}

#[test]
fn ringing_carries_a_contact() {
    let mut u = ua();
    let out = u.on_frame(0.0, CALLER_INVITE);
    let ringing = &sent(&out)[0];
    assert_eq!(ringing.code(), Some(180));
    assert!(ringing.header("Contact").unwrap().contains(";transport=ws>"));
}

#[test]
fn an_unsupported_required_extension_gets_420_with_unsupported() {
    let mut u = ua();
    let inv = CALLER_INVITE.replace("Max-Forwards: 69\r\n", "Max-Forwards: 69\r\nRequire: 100rel, timer\r\n");
    let out = u.on_frame(0.0, &inv);
    let r = &sent(&out)[0];
    assert_eq!(r.code(), Some(420));
    assert_eq!(r.header_values("Unsupported"), vec!["100rel", "timer"]);
    assert!(events(&out).is_empty(), "no call");
    // Require: replaces is implemented.
    let mut u = ua();
    let inv = CALLER_INVITE.replace("Max-Forwards: 69\r\n", "Max-Forwards: 69\r\nRequire: replaces\r\n");
    assert_eq!(sent(&u.on_frame(0.0, &inv))[0].code(), Some(180));
}

#[test]
fn only_implemented_extensions_are_advertised() {
    let mut u = ua();
    let reg = &sent(&u.register(0.0))[0];
    let sup = reg.header("Supported").unwrap();
    for not in ["outbound", "gruu", "timer", "100rel"] {
        assert!(!sup.contains(not), "{sup}");
    }
    let (_, inv) = call_out(&mut u);
    assert_eq!(inv.header("Supported"), Some("replaces"));
}

fn challenge(realm: &str, nonce: &str, extra: &str) -> String {
    format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", qop=\"auth\"{extra}")
}

#[test]
fn challenges_to_bye_refer_and_reinvite_are_answered() {
    for method in ["BYE", "REFER", "INVITE"] {
        let mut u = ua();
        let (id, _) = super::tests_dialog::connected_incoming(&mut u);
        let out = match method {
            "BYE" => u.hang_up(3.0, id),
            "REFER" => u.refer(3.0, id, "2003", None, &[]).unwrap(),
            _ => u.reinvite(3.0, id, "v=0 hold"),
        };
        let req = sent(&out)[0].clone();
        let c = challenge("sip.example.com", "nb", "");
        let out = u.on_frame(4.0, &respond(&req, 407, None, &[("Proxy-Authenticate", &c)], ""));
        let again = sent(&out).into_iter().find(|m| m.method() == Some(method)).unwrap_or_else(|| panic!("{method} not resent: {out:?}"));
        assert!(again.header("Proxy-Authorization").unwrap().contains("nonce=\"nb\""), "{method}");
        assert_eq!(again.cseq().unwrap().0, req.cseq().unwrap().0 + 1, "{method}: a new CSeq in the dialog");
        assert!(u.has_call(id));
    }
}

#[test]
fn several_challenges_are_answered_together_one_per_realm() {
    let mut u = ua();
    let reg = sent(&u.register(0.0))[0].clone();
    let resp = respond(
        &reg,
        401,
        None,
        &[
            ("WWW-Authenticate", &challenge("a.example", "na", "")),
            ("WWW-Authenticate", &challenge("a.example", "na2", ", algorithm=SHA-256")),
            ("Proxy-Authenticate", &challenge("proxy.example", "np", "")),
        ],
        "",
    );
    let reg2 = sent(&u.on_frame(1.0, &resp))[0].clone();
    let auth = reg2.header_values("Authorization");
    assert_eq!(auth.len(), 1, "one credential per realm");
    assert!(auth[0].contains("algorithm=SHA-256") && auth[0].contains("nonce=\"na2\""), "{auth:?}");
    assert_eq!(reg2.header_values("Proxy-Authorization").len(), 1);
}

#[test]
fn stale_nonce_reuses_the_password_without_counting_as_a_failure_and_nc_counts_per_nonce() {
    let mut u = ua();
    let mut req = sent(&u.register(0.0))[0].clone();
    // Two stale challenges and two wrong-password ones are still within bounds (a stale is not a failure).
    let mut ncs = vec![];
    for (i, (nonce, stale)) in [("n1", false), ("n1", true), ("n2", true), ("n2", false)].iter().enumerate() {
        let extra = if *stale { ", stale=true" } else { "" };
        let out = u.on_frame(i as f64, &respond(&req, 401, None, &[("WWW-Authenticate", &challenge("r", nonce, extra))], ""));
        req = sent(&out).into_iter().find(|m| m.method() == Some("REGISTER")).unwrap_or_else(|| panic!("step {i}: {out:?}"));
        let a = req.header("Authorization").unwrap().to_string();
        ncs.push(a.split("nc=").nth(1).unwrap()[..8].to_string());
    }
    assert_eq!(ncs, vec!["00000001", "00000002", "00000001", "00000002"], "nc counts per nonce");
    // A third non-stale failure is the end: wrong password.
    let out = u.on_frame(9.0, &respond(&req, 401, None, &[("WWW-Authenticate", &challenge("r", "n3", ""))], ""));
    assert!(sent(&out).is_empty());
    assert!(matches!(u.registration(), RegState::Failed(_)));
}

#[test]
fn unknown_and_unsupported_methods_get_501_and_405_with_allow() {
    let mut u = ua();
    let (_, tag) = super::tests_dialog::connected_incoming(&mut u);
    let out = u.on_frame(3.0, &in_dialog("FOO", 11, &tag, ""));
    assert_eq!(sent(&out)[0].code(), Some(501));
    assert!(sent(&out)[0].header("Allow").unwrap().contains("INVITE"));
    let out = u.on_frame(4.0, &in_dialog("UPDATE", 12, &tag, ""));
    assert_eq!(sent(&out)[0].code(), Some(405));
    assert!(sent(&out)[0].header("Allow").is_some());
    let out = u.on_frame(5.0, &in_dialog("OPTIONS", 13, &tag, ""));
    assert_eq!(sent(&out)[0].code(), Some(200));
    assert!(sent(&out)[0].header("Allow").is_some());
}

fn message_request(body: &str) -> String {
    format!(
        "MESSAGE sip:1001@sip.example.com SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1:8080;branch=z9hG4bKmsg1\r\n\
From: \"Team Lead\" <sip:1002@sip.example.com>;tag=m1\r\nTo: <sip:1001@sip.example.com>\r\nCall-ID: msg-1\r\n\
CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n\r\n{body}"
    )
}

#[test]
fn message_is_refused_with_405_unless_the_setting_shows_it() {
    let mut u = ua();
    let out = u.on_frame(0.0, &message_request("hello"));
    assert_eq!(sent(&out)[0].code(), Some(405));
    assert!(!sent(&out)[0].header("Allow").unwrap().contains("MESSAGE"));
    assert!(events(&out).is_empty());
    let mut u = ua_with(|c| c.accept_messages = true);
    let out = u.on_frame(0.0, &message_request("Call me back"));
    assert_eq!(sent(&out)[0].code(), Some(200));
    let UaEvent::Message { from, text } = events(&out)[0].clone() else { panic!() };
    assert_eq!((from.display.as_deref(), text.as_str()), (Some("Team Lead"), "Call me back"));
}

#[test]
fn a_retransmitted_or_merged_invite_makes_no_second_call() {
    let mut u = ua();
    let out = u.on_frame(0.0, CALLER_INVITE);
    assert_eq!(events(&out).len(), 1);
    let tag = sent(&out)[0].to().unwrap().tag().unwrap().to_string();
    let out = u.on_frame(500.0, CALLER_INVITE);
    assert!(events(&out).is_empty(), "no second call");
    assert_eq!(methods(&out), vec!["180"]);
    assert_eq!(sent(&out)[0].to().unwrap().tag(), Some(tag.as_str()), "the same dialog");
    // The same request by another path (another branch): merged, 482.
    let out = u.on_frame(600.0, &CALLER_INVITE.replace("z9hG4bKproxy1", "z9hG4bKproxy2"));
    assert!(events(&out).is_empty());
    assert_eq!(sent(&out)[0].code(), Some(482));
}

#[test]
fn the_granted_lifetime_is_read_from_our_own_binding() {
    let mut u = ua();
    let reg = sent(&u.register(0.0))[0].clone();
    let ours = reg.header("Contact").unwrap().split(";expires").next().unwrap().to_string();
    // Another device of the same user comes first, with another lifetime.
    let other = "<sip:1001@otherdevice.invalid;transport=ws>;expires=3600".to_string();
    let out = u.on_frame(1.0, &respond(&reg, 200, Some("r"), &[("Contact", &other), ("Contact", &format!("{ours};expires=90"))], ""));
    assert_eq!(events(&out), vec![UaEvent::Registration(RegState::Registered { expires: 90 })]);
}

fn retry_at(u: &mut UserAgent, from: f64) -> f64 {
    let mut t = from;
    while t < from + 4_000_000.0 {
        t += 100.0;
        if sent(&u.tick(t)).iter().any(|m| m.method() == Some("REGISTER")) {
            return t - from;
        }
    }
    panic!("no retry");
}

#[test]
fn register_503_with_retry_after_is_retried_after_it_with_jitter() {
    let mut waits = vec![];
    for seed in 0..4u32 {
        let mut u = ua_seeded(seed);
        let reg = sent(&u.register(0.0))[0].clone();
        let out = u.on_frame(10.0, &respond(&reg, 503, None, &[("Retry-After", "20")], ""));
        let RegState::Failed(m) = u.registration().clone() else { panic!("{out:?}") };
        assert!(m.contains("trying again"), "{m}");
        let w = retry_at(&mut u, 10.0);
        assert!((20_000.0..=30_100.0).contains(&w), "not before Retry-After, at most half again: {w}");
        waits.push(w as u64);
    }
    waits.sort();
    waits.dedup();
    assert!(waits.len() > 1, "desktops do not come back in the same second: {waits:?}");
}

#[test]
fn register_403_and_500_back_off_per_rfc_5626() {
    let mut u = ua();
    let mut reg = sent(&u.register(0.0))[0].clone();
    let mut now = 0.0;
    let mut waits = vec![];
    for code in [403, 500, 500] {
        u.on_frame(now, &respond(&reg, code, None, &[], ""));
        let w = retry_at(&mut u, now);
        waits.push(w);
        now += w;
        reg = u.txs.last().unwrap().request.clone();
    }
    // W = min(1800 s, 30 s * 2^(n-1)); the wait is between W/2 and W.
    for (w, max) in waits.iter().zip([30_000.0, 60_000.0, 120_000.0]) {
        assert!(*w >= max / 2.0 && *w <= max + 100.0, "{waits:?}");
    }
    // A success resets the count.
    u.on_frame(now, &respond(&reg, 200, Some("r"), &[], ""));
    assert_eq!(u.reg_failures, 0);
}

#[test]
fn a_423_is_answered_with_min_expires_and_the_200_registers() {
    let mut u = ua();
    let reg = sent(&u.register(0.0))[0].clone();
    let out = u.on_frame(1.0, &respond(&reg, 423, None, &[("Min-Expires", "1800")], ""));
    let reg2 = sent(&out)[0].clone();
    assert_eq!(reg2.header("Expires"), Some("1800"));
    // The 200 names no lifetime at all: the one asked for is granted.
    let out = u.on_frame(2.0, &respond(&reg2, 200, Some("r"), &[], ""));
    assert_eq!(events(&out), vec![UaEvent::Registration(RegState::Registered { expires: 1800 })]);
    // A 423 without a usable Min-Expires does not leave the line "Registering".
    let mut u = ua();
    let reg = sent(&u.register(0.0))[0].clone();
    u.on_frame(1.0, &respond(&reg, 423, None, &[], ""));
    assert!(matches!(u.registration(), RegState::Failed(m) if m.contains("423")));
}

#[test]
fn a_keepalive_that_gets_no_answer_says_so_and_asks_to_reconnect() {
    let mut u = ua();
    let reg = sent(&u.register(0.0))[0].clone();
    u.on_frame(1.0, &respond(&reg, 200, Some("r"), &[], ""));
    let out = u.tick(2.0);
    assert_eq!(methods(&out), vec!["OPTIONS"]);
    let out = u.tick(2.0 + TIMEOUT_MS);
    assert!(events(&out).contains(&UaEvent::Reconnect), "{out:?}");
    assert!(matches!(u.registration(), RegState::Failed(m) if m.contains("stopped answering")));
}

#[test]
fn a_request_whose_content_length_exceeds_its_body_gets_400() {
    let mut u = ua();
    let bad = CALLER_INVITE.replace("Max-Forwards: 69\r\n", "Max-Forwards: 69\r\nContent-Length: 500\r\n");
    let out = u.on_frame(0.0, &bad);
    assert_eq!(methods(&out), vec!["400"]);
    assert!(events(&out).is_empty());
}

#[test]
fn via_with_spaces_around_the_slashes_is_read() {
    // RFC 4475 3.1.1.1 writes the sent-protocol as "SIP / 2.0 / UDP".
    let inv = CALLER_INVITE.replace("Via: SIP/2.0/WS 127.0.0.1:8080", "Via: SIP / 2.0 / WS 127.0.0.1:8080");
    let mut u = ua();
    let out = u.on_frame(0.0, &inv);
    assert_eq!(methods(&out), vec!["180"]);
    let v = crate::phone::sip::message::Via::parse("SIP  /2.0/ UDP host.example:5060;branch=z9hG4bKx").unwrap();
    assert_eq!((v.transport.as_str(), v.host.as_str(), v.port), ("UDP", "host.example", Some(5060)));
}
