//! Hostile input at the SIP boundary (issue 11, items 4 and 6): a far end, a proxy or a typed dial string
//! that tries to make the phone call somewhere, inject header lines, or crash it. Each case asserts that
//! nothing was acted on and nothing was sent that should not be.

use super::tests::*;
use super::tests_dialog::connected_incoming;
use super::*;

fn refer_with(u: &mut UserAgent, tag: &str, refer_to: &str) -> Vec<Output> {
    let refer = in_dialog("REFER", 11, tag, "").replace("\r\n\r\n", &format!("\r\nRefer-To: {refer_to}\r\n\r\n"));
    u.on_frame(3.0, &refer)
}

/// No call is placed: no TransferRequested event and no INVITE; the NOTIFY (if any) says 603.
fn assert_refused(out: &[Output]) {
    assert!(!events(out).iter().any(|e| matches!(e, UaEvent::TransferRequested { .. })), "{out:?}");
    let msgs = sent(out);
    assert!(!msgs.iter().any(|m| m.method() == Some("INVITE")));
    if let Some(n) = msgs.iter().find(|m| m.method() == Some("NOTIFY")) {
        assert_eq!(n.body, "SIP/2.0 603 Declined\r\n");
        assert!(n.header("Subscription-State").unwrap().starts_with("terminated"));
    }
}

#[test]
fn hostile_refer_with_policy_never_places_no_call_and_notifies_603() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Never);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1003@sip.example.com>");
    assert_eq!(sent(&out)[0].code(), Some(202));
    assert!(sent(&out).iter().any(|m| m.method() == Some("NOTIFY")), "the referrer is told");
    assert_refused(&out);
}

#[test]
fn hostile_refer_with_policy_domain_to_a_foreign_domain() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Domain);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:+881234567@premium.example.net>");
    assert_refused(&out);
    assert!(sent(&out).iter().any(|m| m.method() == Some("NOTIFY")));
}

#[test]
fn hostile_refer_with_policy_domain_to_a_lookalike_domain() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Domain);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1003@sip.example.com.evil.example>");
    assert_refused(&out);
}

#[test]
fn hostile_refer_with_policy_domain_carrying_uri_headers() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Domain);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1003@sip.example.com?X-Billing=free&Replaces=abc%3Bto-tag%3Dx%3Bfrom-tag%3Dy>");
    assert_refused(&out);
}

#[test]
fn hostile_refer_with_policy_domain_to_another_port() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Domain);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1003@sip.example.com:5099>");
    assert_refused(&out);
}

#[test]
fn hostile_refer_with_policy_ask_is_not_followed_until_the_agent_accepts() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:+881234567@premium.example.net>");
    assert!(!sent(&out).iter().any(|m| m.method() == Some("INVITE")));
    assert_eq!(
        events(&out),
        vec![UaEvent::TransferRequested { call: id, target: "sip:+881234567@premium.example.net".into(), by: None, ask: true }]
    );
    // The agent declines: the referrer is told 603 and the subscription ends.
    let out = u.decline_transfer(4.0, id);
    assert_refused(&out);
    assert_eq!(sent(&out)[0].body, "SIP/2.0 603 Declined\r\n");
}

#[test]
fn hostile_refer_to_a_non_sip_scheme() {
    let mut u = ua();
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<tel:+881234567>");
    assert_eq!(sent(&out)[0].code(), Some(400));
    assert_refused(&out);
}

#[test]
fn hostile_refer_with_two_refer_to_headers() {
    let mut u = ua();
    let (_, tag) = connected_incoming(&mut u);
    let refer = in_dialog("REFER", 11, &tag, "")
        .replace("\r\n\r\n", "\r\nRefer-To: <sip:1003@sip.example.com>\r\nRefer-To: <sip:666@evil.example>\r\n\r\n");
    let out = u.on_frame(3.0, &refer);
    assert_eq!(sent(&out)[0].code(), Some(400));
    assert_refused(&out);
}

#[test]
fn hostile_refer_to_with_a_bare_cr_in_a_parameter() {
    let mut u = ua();
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1003@sip.example.com;x=1\rInjected: yes>");
    assert!(sent(&out).is_empty(), "the message is not read at all: {out:?}");
    assert_refused(&out);
}

#[test]
fn hostile_refer_to_with_encoded_crlf_in_a_uri_header_never_reaches_the_invite() {
    let mut u = ua();
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1003@sip.example.com?X-Note=a%0D%0AInjected%3A%20yes>");
    let Some(UaEvent::TransferRequested { target, .. }) = events(&out).into_iter().next() else { panic!("{out:?}") };
    // The agent accepts: the INVITE to the target must carry no extra header line.
    let (_, out) = u.invite(5.0, &target, "v=0", &[]).unwrap();
    let text = match &out[0] {
        Output::Send(t) => t.clone(),
        _ => panic!(),
    };
    assert!(!text.contains("\r\nInjected"), "{text}");
    assert!(!text.contains("X-Note"), "a header value with control characters is dropped");
}

#[test]
fn hostile_contact_with_a_bare_cr_in_an_incoming_invite() {
    let mut u = ua();
    let inv = CALLER_INVITE.replace("Contact: <sip:caller@127.0.0.1:5070>", "Contact: <sip:caller@127.0.0.1:5070;x=\rRoute: <sip:evil>>");
    let out = u.on_frame(0.0, &inv);
    assert!(out.is_empty(), "not read, no call, nothing sent: {out:?}");
}

#[test]
fn hostile_from_display_name_with_a_nul() {
    let mut u = ua();
    let inv = CALLER_INVITE.replace("\"Beth Anglin\"", "\"Beth\0Anglin\"");
    assert!(u.on_frame(0.0, &inv).is_empty());
}

#[test]
fn hostile_contact_of_a_2xx_with_a_control_character_is_not_the_new_target() {
    let mut u = ua();
    let (id, out) = u.invite(0.0, "2002", "v=0", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let ok = respond(&inv, 200, Some("callee"), &[("Contact", "<sip:callee@10.0.0.9;x=\u{7}>")], "v=0 answer");
    let out = u.on_frame(1.0, &ok);
    assert!(out.is_empty(), "not read: {out:?}");
    assert!(u.has_call(id));
}

#[test]
fn hostile_dial_string_with_crlf_in_a_parameter() {
    let mut u = ua();
    assert!(u.target_uri("sip:1003@sip.example.com;x=1\r\nInjected: yes").is_err());
    assert!(u.invite(0.0, "sip:1003@sip.example.com;x=1\r\nInjected: yes", "v=0", &[]).is_err());
}

#[test]
fn hostile_dial_string_with_a_bare_lf_in_uri_headers() {
    let mut u = ua();
    assert!(u.invite(0.0, "sip:1003@sip.example.com?Subject=a\nInjected: yes", "v=0", &[]).is_err());
}

#[test]
fn hostile_dial_string_with_a_tab_and_nul_in_the_user() {
    let u = ua();
    assert!(u.target_uri("sip:10\t03@sip.example.com").is_err());
    assert!(u.target_uri("sip:10\u{0}03@sip.example.com").is_err());
}

#[test]
fn hostile_dial_string_uri_header_with_encoded_crlf_is_not_copied() {
    let mut u = ua();
    let (_, out) = u.invite(0.0, "sip:1003@sip.example.com?X-A=1%0D%0AInjected%3A%20yes", "v=0", &[]).unwrap();
    let Output::Send(text) = &out[0] else { panic!() };
    assert!(!text.contains("Injected"), "{text}");
}

#[test]
fn hostile_extra_header_value_with_a_control_character_is_dropped() {
    let mut u = ua();
    let (_, out) = u.invite(0.0, "2002", "v=0", &[("X-Case".into(), "a\u{b}b".into())]).unwrap();
    assert_eq!(sent(&out)[0].header("X-Case"), None);
}

#[test]
fn hostile_sip_user_name_with_a_space_is_refused_not_a_panic() {
    let mut cfg = base_config();
    cfg.user = "jane doe".into();
    let err = UserAgent::new(cfg, Box::new(|| 4)).err().expect("refused");
    assert!(err.contains("jane doe") && err.contains("spaces"), "{err}");
}

#[test]
fn hostile_sip_user_name_with_crlf_is_refused() {
    let mut cfg = base_config();
    cfg.user = "1001\r\nInjected: yes".into();
    assert!(UserAgent::new(cfg, Box::new(|| 4)).is_err());
}

#[test]
fn hostile_sip_user_name_with_an_at_sign_is_refused() {
    let mut cfg = base_config();
    cfg.user = "1001@evil.example".into();
    assert!(UserAgent::new(cfg, Box::new(|| 4)).is_err());
}

#[test]
fn hostile_sip_domain_with_a_path_is_refused() {
    let mut cfg = base_config();
    cfg.domain = "sip.example.com/evil".into();
    assert!(UserAgent::new(cfg, Box::new(|| 4)).is_err());
}

#[test]
fn hostile_oversized_frame_with_a_request_gets_513_and_no_call() {
    let mut u = ua();
    let huge = CALLER_INVITE.replace("v=0 offer", &"a".repeat(MAX_FRAME_BYTES + 1));
    let out = u.on_frame(0.0, &huge);
    assert_eq!(sent(&out).len(), 1);
    assert_eq!(sent(&out)[0].code(), Some(513));
    assert!(events(&out).is_empty());
}

#[test]
fn hostile_oversized_frame_cut_inside_a_character_gets_513() {
    let mut u = ua();
    let at = CALLER_INVITE.find("v=0 offer").unwrap();
    // A two-byte character across the 8,192nd byte, where the head of an oversized frame is cut.
    let body = format!("{}\u{e9}{}", "a".repeat(8_191 - at), "a".repeat(MAX_FRAME_BYTES));
    let huge = CALLER_INVITE.replace("v=0 offer", &body);
    assert!(!huge.is_char_boundary(8_192));
    let out = u.on_frame(0.0, &huge);
    assert_eq!(sent(&out).len(), 1);
    assert_eq!(sent(&out)[0].code(), Some(513));
    assert!(events(&out).is_empty());
}

#[test]
fn hostile_oversized_headers_are_dropped_without_a_call() {
    let mut u = ua();
    let many: String = (0..3_000).map(|i| format!("X-Pad-{i}: {}\r\n", "p".repeat(20))).collect();
    let huge = CALLER_INVITE.replace("X-Queue: Billing\r\n", &format!("X-Queue: Billing\r\n{many}"));
    assert!(huge.len() > MAX_FRAME_BYTES);
    let out = u.on_frame(0.0, &huge);
    assert!(events(&out).is_empty(), "no call");
    assert!(!sent(&out).iter().any(|m| m.code() == Some(180)));
}

#[test]
fn hostile_oversized_response_does_not_answer_our_call() {
    let mut u = ua();
    let (id, out) = u.invite(0.0, "2002", "v=0", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    let ok = respond(&inv, 200, Some("callee"), &[("Contact", "<sip:c@10.0.0.9>")], &"a".repeat(MAX_FRAME_BYTES));
    let out = u.on_frame(1.0, &ok);
    assert!(out.is_empty(), "not read");
    assert!(u.has_call(id));
}

#[test]
fn hostile_warning_text_with_crlf_stays_one_header_line() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    u.on_frame(3.0, &in_dialog("INVITE", 11, &tag, "v=0 t38"));
    let out = u.reject_reoffer(4.0, id, "bad\r\nInjected: \"yes\"");
    let Output::Send(text) = &out[0] else { panic!() };
    assert!(!text.contains("\r\nInjected"), "{text}");
}

#[test]
fn hostile_message_text_control_characters_are_not_shown() {
    let mut u = ua_with(|c| c.accept_messages = true);
    let msg = "MESSAGE sip:1001@sip.example.com SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1:8080;branch=z9hG4bKm\r\n\
From: <sip:1002@sip.example.com>;tag=m1\r\nTo: <sip:1001@sip.example.com>\r\nCall-ID: m-1\r\nCSeq: 1 MESSAGE\r\n\
Content-Type: text/plain\r\n\r\nhi\u{1b}[2J\u{7}there";
    let out = u.on_frame(0.0, msg);
    let Some(UaEvent::Message { text, .. }) = events(&out).into_iter().next() else { panic!("{out:?}") };
    assert_eq!(text, "hi[2Jthere");
}

#[test]
fn hostile_message_of_another_type_is_not_shown() {
    let mut u = ua_with(|c| c.accept_messages = true);
    let msg = "MESSAGE sip:1001@sip.example.com SIP/2.0\r\nVia: SIP/2.0/WS 127.0.0.1:8080;branch=z9hG4bKm\r\n\
From: <sip:1002@sip.example.com>;tag=m1\r\nTo: <sip:1001@sip.example.com>\r\nCall-ID: m-1\r\nCSeq: 1 MESSAGE\r\n\
Content-Type: text/html\r\n\r\n<img src=x onerror=alert(1)>";
    let out = u.on_frame(0.0, msg);
    assert_eq!(sent(&out)[0].code(), Some(415));
    assert!(events(&out).is_empty());
}

#[test]
fn hostile_2xx_for_a_dialog_we_never_started_gets_no_ack_or_bye() {
    let mut u = ua();
    let stray = "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bKnotours\r\n\
From: <sip:victim@other.example>;tag=v\r\nTo: <sip:target@other.example>;tag=t\r\nCall-ID: someone-else@other.example\r\n\
CSeq: 1 INVITE\r\nContact: <sip:target@203.0.113.9>\r\n\r\n";
    let out = u.on_frame(0.0, stray);
    assert!(out.is_empty(), "we are not used to send BYE to third parties: {out:?}");
}

/// An INVITE from someone else with `Replaces` naming the dialog of `CALLER_INVITE` with to-tag `ttag`.
fn replacing_invite(ttag: &str, extra: &str) -> String {
    CALLER_INVITE
        .replace("Call-ID: incoming-1@caller", "Call-ID: intruder-9@x")
        .replace("tag=caller-tag", "tag=intruder")
        .replace("X-Queue: Billing\r\n", &format!("Replaces: incoming-1@caller;to-tag={ttag};from-tag=caller-tag{extra}\r\n"))
}

/// Refused with `code`: no Incoming event (nothing answered) and nothing but the refusal sent.
fn assert_replaces_refused(out: &[Output], code: u16) {
    assert!(!events(out).iter().any(|e| matches!(e, UaEvent::Incoming { .. })), "{out:?}");
    let msgs = sent(out);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(msgs[0].code(), Some(code));
}

#[test]
fn hostile_replaces_naming_a_ringing_incoming_call_gets_481() {
    let mut u = ua();
    let out = u.on_frame(0.0, CALLER_INVITE);
    let ttag = sent(&out)[0].to().unwrap().tag().unwrap().to_string();
    let out = u.on_frame(1.0, &replacing_invite(&ttag, ""));
    assert_replaces_refused(&out, 481);
}

#[test]
fn hostile_replaces_early_only_naming_a_confirmed_call_gets_486() {
    let mut u = ua();
    let (_, ttag) = connected_incoming(&mut u);
    let out = u.on_frame(3.0, &replacing_invite(&ttag, ";early-only"));
    assert_replaces_refused(&out, 486);
}

#[test]
fn hostile_replaces_naming_a_call_being_hung_up_gets_603() {
    let mut u = ua();
    let (id, ttag) = connected_incoming(&mut u);
    u.hang_up(3.0, id);
    let out = u.on_frame(3.5, &replacing_invite(&ttag, ""));
    assert_replaces_refused(&out, 603);
}

#[test]
fn hostile_uri_with_two_at_signs_is_a_parse_error() {
    assert!(Uri::parse("sip:1900@evil.example;x=@sip.example.com").is_err());
    assert!(Uri::parse("sip:a@b@sip.example.com").is_err());
    assert_eq!(Uri::parse("sip:a%40b@sip.example.com").unwrap().host, "sip.example.com");
}

#[test]
fn hostile_refer_with_policy_domain_to_a_uri_with_two_at_signs() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Domain);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1900@evil.example;x=@sip.example.com>");
    assert_refused(&out);
}

#[test]
fn hostile_refer_with_policy_domain_carrying_maddr() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Domain);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1003@sip.example.com;maddr=203.0.113.9>");
    assert_refused(&out);
}

#[test]
fn hostile_refer_with_policy_domain_carrying_an_odd_transport() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Domain);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:1003@sip.example.com;transport=sctp-evil>");
    assert_refused(&out);
}

#[test]
fn refer_with_policy_domain_allows_user_phone() {
    let mut u = ua_with(|c| c.refer_policy = ReferPolicy::Domain);
    let (_, tag) = connected_incoming(&mut u);
    let out = refer_with(&mut u, &tag, "<sip:+15551234@sip.example.com;user=phone>");
    assert!(events(&out).iter().any(|e| matches!(e, UaEvent::TransferRequested { ask: false, .. })), "{out:?}");
}

#[test]
fn hostile_invite_flood_rings_a_few_calls_and_answers_the_rest_busy() {
    let flood = |n: usize| {
        CALLER_INVITE
            .replace("Call-ID: incoming-1@caller", &format!("Call-ID: flood-{n}@caller"))
            .replace("branch=z9hG4bKcaller1", &format!("branch=z9hG4bKflood{n}"))
            .replace("tag=caller-tag", &format!("tag=flood-{n}"))
    };
    let mut u = ua();
    let (mut incoming, mut busy) = (0, 0);
    for n in 0..200 {
        let out = u.on_frame(n as f64 * 0.01, &flood(n));
        incoming += events(&out).iter().filter(|e| matches!(e, UaEvent::Incoming { .. })).count();
        busy += sent(&out).iter().filter(|m| m.code() == Some(486)).count();
    }
    assert_eq!(incoming, MAX_RINGING, "only a few calls ring");
    assert_eq!(busy, 200 - MAX_RINGING, "every other INVITE is answered Busy Here");
    assert_eq!(u.calls.len(), MAX_RINGING, "nothing is kept for the refused ones");
    // The refusal is a final response with a To tag (RFC 3261 8.2.6.2).
    let refused = u.on_frame(2.5, &flood(500));
    assert!(sent(&refused)[0].to().unwrap().tag().is_some(), "{refused:?}");
    // A ringing call's retransmitted INVITE is still recognised (180 again, not 486).
    let again = u.on_frame(3.0, &flood(0));
    assert_eq!(sent(&again)[0].code(), Some(180), "{again:?}");
}

#[test]
fn hostile_invite_flood_does_not_refuse_a_call_taking_anothers_place() {
    // At the bound of calls, an attended transfer to us (Replaces naming a call of ours) still goes through:
    // it adds no call.
    let mut u = ua();
    let (existing, ttag) = super::tests_dialog::connected_incoming(&mut u);
    for n in 0..MAX_CALLS {
        let invite = CALLER_INVITE
            .replace("Call-ID: incoming-1@caller", &format!("Call-ID: more-{n}@caller"))
            .replace("branch=z9hG4bKcaller1", &format!("branch=z9hG4bKmore{n}"))
            .replace("tag=caller-tag", &format!("tag=more-{n}"));
        let out = u.on_frame(1.0 + n as f64, &invite);
        if let Some(UaEvent::Incoming { call, .. }) = events(&out).first().cloned() {
            u.answer(1.5 + n as f64, call, "a");
        }
    }
    assert_eq!(u.calls.len(), MAX_CALLS, "filled to the bound");
    let replacing = CALLER_INVITE
        .replace("Call-ID: incoming-1@caller", "Call-ID: new-2@x")
        .replace("branch=z9hG4bKcaller1", "branch=z9hG4bKrepl")
        .replace("tag=caller-tag", "tag=t2")
        .replace("X-Queue: Billing\r\n", &format!("Replaces: incoming-1@caller;to-tag={ttag};from-tag=caller-tag\r\n"));
    let out = u.on_frame(20.0, &replacing);
    assert!(matches!(&events(&out)[0], UaEvent::Incoming { replaces: Some(x), .. } if *x == existing), "{out:?}");
    // A new call at the bound is busy.
    let other = CALLER_INVITE.replace("Call-ID: incoming-1@caller", "Call-ID: one-more@x").replace("branch=z9hG4bKcaller1", "branch=z9hG4bKone").replace("tag=caller-tag", "tag=t3");
    assert_eq!(sent(&u.on_frame(21.0, &other))[0].code(), Some(486));
}
