//! Calls: placing, answering, cancelling, timeouts.

use super::tests::*;
use super::*;
use crate::phone::sip::message::Message;

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
    // The call is over for the agent once the BYE is sent (RFC 3261 15.1.1), said once.
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::Local }]);
    assert!(u.has_call(id), "kept until the BYE's transaction ends");
    let out = u.on_frame(5.0, &respond(bye, 200, None, &[], ""));
    assert_eq!(events(&out), vec![]);
    assert!(!u.has_call(id));
}

#[test]
fn a_hung_up_call_ends_for_the_agent_when_the_bye_leaves_even_if_it_is_challenged_or_never_answered() {
    for answer in ["challenge", "none"] {
        let mut u = ua();
        let (id, _) = super::tests_dialog::connected_incoming(&mut u);
        let out = u.hang_up(3.0, id);
        assert_eq!(sent(&out).iter().map(|m| m.method().unwrap_or("").to_string()).collect::<Vec<_>>(), vec!["BYE"]);
        assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::Local }], "{answer}");
        assert!(u.hang_up(3.5, id).is_empty(), "{answer}: hanging up again sends and says nothing");
        let bye = sent(&out)[0].clone();
        let mut last = 4.0;
        if answer == "challenge" {
            let c = "Digest realm=\"sip.example.com\", nonce=\"nb\", qop=\"auth\"";
            let out = u.on_frame(4.0, &respond(&bye, 407, None, &[("Proxy-Authenticate", c)], ""));
            assert_eq!(sent(&out).iter().map(|m| m.method().unwrap_or("").to_string()).collect::<Vec<_>>(), vec!["BYE"], "the BYE is sent again with credentials");
            assert_eq!(events(&out), vec![], "not said twice");
            let again = sent(&out)[0].clone();
            assert_eq!(events(&u.on_frame(5.0, &respond(&again, 200, None, &[], ""))), vec![]);
            last = 5.0;
        } else {
            // No answer: the BYE's transaction times out (64*T1), silently; the call is gone then.
            assert!(u.has_call(id));
            assert_eq!(events(&u.tick(last + TIMEOUT_MS + 1.0)), vec![], "not said twice");
        }
        assert!(!u.has_call(id), "{answer}: forgotten once the BYE's transaction ended (at {last})");
    }
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
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::Failed { code: 486, text: crate::strings::Key::DEMO_BUSY.into() } }]);
}

#[test]
fn cancel_waits_for_a_provisional_response() {
    let mut u = ua();
    let (id, out) = u.invite(0.0, "2002", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let out = u.hang_up(1.0, id);
    assert!(sent(&out).is_empty(), "no CANCEL before any provisional response");
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason: Ended::Local }], "ended for the agent at once");
    let out = u.on_frame(2.0, &respond(&inv, 100, None, &[], ""));
    let cancel = &sent(&out)[0];
    assert_eq!(cancel.method(), Some("CANCEL"));
    assert_eq!(cancel.via().unwrap().branch(), inv.via().unwrap().branch());
    assert_eq!(cancel.cseq(), Some((1, "CANCEL".into())));
    // A ringing that comes after the CANCEL is not said (no ring-back for a call the agent gave up).
    assert_eq!(events(&u.on_frame(2.5, &respond(&inv, 180, Some("t"), &[], ""))), vec![]);
    u.on_frame(3.0, &respond(cancel, 200, None, &[], ""));
    assert!(u.has_call(id), "kept until the INVITE is closed");
    let out = u.on_frame(4.0, &respond(&inv, 487, Some("t"), &[], ""));
    assert_eq!(sent(&out)[0].method(), Some("ACK"));
    assert_eq!(events(&out), vec![], "not said twice");
    assert!(!u.has_call(id));
}

#[test]
fn calls_the_agent_ended_do_not_take_a_call_slot_and_are_forgotten_when_the_connection_drops() {
    let mut u = ua();
    let caller = |n: usize| CALLER_INVITE.replace("incoming-1@caller", &format!("incoming-{n}@caller")).replace("z9hG4bKproxy1", &format!("z9hG4bKproxy1n{n}"));
    // MAX_CALLS calls answered and hung up, their BYEs never answered.
    let mut ended = Vec::new();
    for n in 0..MAX_CALLS {
        let out = u.on_frame(0.0, &caller(n));
        let tag = sent(&out)[0].to().unwrap().tag().unwrap().to_string();
        let UaEvent::Incoming { call, .. } = events(&out)[0].clone() else { panic!("{out:?}") };
        u.answer(1.0, call, "a");
        u.on_frame(2.0, &in_dialog("ACK", 10, &tag, "").replace("incoming-1@caller", &format!("incoming-{n}@caller")));
        let out = u.hang_up(3.0, call);
        assert_eq!(events(&out), vec![UaEvent::Ended { call, reason: Ended::Local }]);
        ended.push(call);
    }
    assert!(ended.iter().all(|c| u.has_call(*c)), "each kept for its BYE");
    // A new call still rings.
    let out = u.on_frame(4.0, &caller(99));
    assert!(matches!(events(&out).first(), Some(UaEvent::Incoming { .. })), "{:?}", sent(&out).iter().map(|m| m.code()).collect::<Vec<_>>());
    // The connection drops: the BYEs' transactions are gone, and so are the calls that waited for them.
    u.transport_lost(5.0);
    assert!(ended.iter().all(|c| !u.has_call(*c)));
}

#[test]
fn a_reinvite_or_refer_for_a_call_the_agent_hung_up_gets_481_and_nothing_happens() {
    for method in ["INVITE", "REFER"] {
        let mut u = ua();
        let (id, ttag) = super::tests_dialog::connected_incoming(&mut u);
        u.hang_up(3.0, id);
        let req = in_dialog(method, 11, &ttag, if method == "INVITE" { "v=0 hold" } else { "" })
            .replace("\r\n\r\n", "\r\nRefer-To: <sip:1003@sip.example.com>\r\nContent-Type: application/sdp\r\n\r\n");
        let out = u.on_frame(4.0, &req);
        let replies: Vec<_> = sent(&out).iter().map(|m| m.code()).collect();
        assert_eq!(replies, vec![Some(481)], "{method}");
        assert_eq!(events(&out), vec![], "{method}: no offer or transfer for an ended call");
    }
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

#[test]
fn the_next_invite_carries_the_last_challenges_credentials_and_a_stale_nonce_is_answered_again() {
    let mut u = ua();
    let (_, out) = u.invite(0.0, "2002", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    assert_eq!(inv.header("Proxy-Authorization"), None, "nothing to answer before a challenge");
    let chal = "Digest realm=\"sip.example.com\", nonce=\"abc\", qop=\"auth\"";
    u.on_frame(1.0, &respond(&inv, 407, Some("p"), &[("Proxy-Authenticate", chal)], ""));
    // RFC 3261 22.3: the next call goes out with credentials for the realm at once (no 407 round trip),
    // the nonce counted on (RFC 7616 3.4), on a branch of its own that CANCEL and ACK follow.
    let (id, out) = u.invite(2.0, "2003", "o2", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let auth = inv.header("Proxy-Authorization").expect("credentials sent at once");
    assert!(auth.contains("nonce=\"abc\"") && auth.contains("nc=00000002") && auth.contains("uri=\"sip:2003@sip.example.com\""), "{auth}");
    assert_eq!(inv.cseq(), Some((1, "INVITE".into())));
    let out = u.on_frame(3.0, &respond(&inv, 100, None, &[], ""));
    assert!(sent(&out).is_empty());
    // The nonce expired meanwhile: the proxy says stale and the INVITE goes again with the new one.
    let stale = "Digest realm=\"sip.example.com\", nonce=\"def\", qop=\"auth\", stale=true";
    let out = u.on_frame(4.0, &respond(&inv, 407, Some("p"), &[("Proxy-Authenticate", stale)], ""));
    let msgs = sent(&out);
    assert_eq!(msgs[0].method(), Some("ACK"));
    assert_eq!(msgs[1].method(), Some("INVITE"));
    assert!(msgs[1].header("Proxy-Authorization").unwrap().contains("nonce=\"def\""));
    assert_eq!(msgs[1].cseq(), Some((2, "INVITE".into())));
    // CANCEL follows the INVITE now under way.
    let out = u.on_frame(5.0, &respond(&msgs[1], 100, None, &[], ""));
    assert!(sent(&out).is_empty());
    let cancel = sent(&u.hang_up(6.0, id))[0].clone();
    assert_eq!(cancel.method(), Some("CANCEL"));
    assert_eq!(cancel.via().unwrap().branch(), msgs[1].via().unwrap().branch());
}

#[test]
fn hostile_a_far_ends_challenge_or_another_domain_never_gets_the_agents_credentials() {
    // A far end (not our proxy) challenges with 401 for a realm of its own (RFC 3261 22.1: the realm is the
    // protection domain; the agent's password is for ours). Not answered: the 401 is acknowledged in its
    // transaction (17.1.1.3) and the call ends saying why.
    let mut u = ua();
    let (id, out) = u.invite(0.0, "2002", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let chal = "Digest realm=\"evil.example\", nonce=\"n1\", qop=\"auth\"";
    let out = u.on_frame(1.0, &respond(&inv, 401, Some("p"), &[("WWW-Authenticate", chal)], ""));
    let msgs = sent(&out);
    assert_eq!(msgs.len(), 1, "only the ACK: {msgs:?}");
    assert_eq!(msgs[0].method(), Some("ACK"));
    assert_eq!(msgs[0].via().unwrap().branch(), inv.via().unwrap().branch());
    assert!(msgs[0].header("To").unwrap().contains("tag=p"));
    let reason = Ended::Failed { code: 401, text: crate::strings::Key::SIP_FOREIGN_REALM.arg("realm", &"evil.example") };
    assert_eq!(events(&out), vec![UaEvent::Ended { call: id, reason }]);
    assert!(!u.has_call(id));
    let (_, out) = u.invite(2.0, "2003", "o2", &[]).unwrap();
    let next = sent(&out)[0].clone();
    assert_eq!(next.header("Authorization"), None, "a far end's challenge is not answered on later calls");
    assert_eq!(next.header("Proxy-Authorization"), None);
    // Nor a 407 a far end makes up, even beside one of our realm.
    let (id, out) = u.invite(3.0, "2004", "o3", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let ours = "Digest realm=\"sip.example.com\", nonce=\"n2\", qop=\"auth\"";
    let evil = "Digest realm=\"evil.example\", nonce=\"n3\", qop=\"auth\"";
    let out = u.on_frame(4.0, &respond(&inv, 407, Some("q"), &[("Proxy-Authenticate", ours), ("Proxy-Authenticate", evil)], ""));
    assert!(sent(&out).iter().all(|m| m.method() == Some("ACK")), "{out:?}");
    assert!(matches!(&events(&out)[..], [UaEvent::Ended { call, reason: Ended::Failed { code: 407, .. } }] if *call == id));
    let (_, out) = u.invite(5.0, "2005", "o4", &[]).unwrap();
    assert_eq!(sent(&out)[0].header("Proxy-Authorization"), None, "nothing kept from a refused challenge");

    // The realm our registrar uses (not our domain's name, as Asterisk's "asterisk") is ours for calls too.
    let mut u = ua();
    let reg = sent(&u.register(0.0))[0].clone();
    let pbx = "Digest realm=\"asterisk\", nonce=\"r1\"";
    let reg2 = sent(&u.on_frame(1.0, &respond(&reg, 401, None, &[("WWW-Authenticate", pbx)], "")))[0].clone();
    assert!(reg2.header("Authorization").unwrap().contains("realm=\"asterisk\""));
    let (_, out) = u.invite(2.0, "2002", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let out = u.on_frame(3.0, &respond(&inv, 401, Some("a"), &[("WWW-Authenticate", "Digest realm=\"asterisk\", nonce=\"r2\"")], ""));
    let again = sent(&out).into_iter().find(|m| m.method() == Some("INVITE")).expect("our registrar's realm is answered");
    assert!(again.header("Authorization").unwrap().contains("username=\"1001\""));

    // Our proxy's 407: later calls to our domain carry it, a call to another domain does not.
    let mut u = ua();
    let (_, out) = u.invite(0.0, "2002", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let chal = "Digest realm=\"sip.example.com\", nonce=\"abc\", qop=\"auth\"";
    u.on_frame(1.0, &respond(&inv, 407, Some("p"), &[("Proxy-Authenticate", chal)], ""));
    let (_, out) = u.invite(2.0, "2003", "o2", &[]).unwrap();
    assert!(sent(&out)[0].header("Proxy-Authorization").is_some(), "our domain: at once");
    let (_, out) = u.invite(3.0, "sip:someone@elsewhere.example.net", "o3", &[]).unwrap();
    let away = sent(&out)[0].clone();
    assert_eq!(away.uri(), Some("sip:someone@elsewhere.example.net"));
    assert_eq!(away.header("Proxy-Authorization"), None, "never to another domain");
}
