//! User-agent scenarios driven by scripted messages, as a server and a far end would send them.

use super::*;
use crate::phone::sip::message::Message;

pub(super) fn ua() -> UserAgent {
    ua_with(|_| {})
}

/// A UA with settings changed by `f` from the defaults the tests use.
pub(super) fn ua_with(f: impl FnOnce(&mut UaConfig)) -> UserAgent {
    let mut cfg = base_config();
    f(&mut cfg);
    ua_from(cfg, 0)
}

/// A UA whose randomness starts from `seed` (several desktops).
pub(super) fn ua_seeded(seed: u32) -> UserAgent {
    ua_from(base_config(), seed)
}

fn ua_from(cfg: UaConfig, seed: u32) -> UserAgent {
    let mut n = seed.wrapping_mul(2_654_435_761);
    UserAgent::new(
        cfg,
        Box::new(move || {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            n
        }),
    )
    .expect("valid test identity")
}

pub(super) fn base_config() -> UaConfig {
    {
        UaConfig {
            user: "1001".into(),
            domain: "sip.example.com".into(),
            auth_user: String::new(),
            password: "secret".into(),
            display_name: "Agent One".into(),
            expires: 300,
            transport: "WSS".into(),
            user_agent: "agent-desktop".into(),
            no_answer_secs: 60,
            refer_policy: ReferPolicy::Ask,
            accept_messages: false,
        }
    }
}

pub(super) fn sent(out: &[Output]) -> Vec<Message> {
    out.iter().filter_map(|o| if let Output::Send(t) = o { Some(Message::parse(t).expect("we send valid SIP")) } else { None }).collect()
}

pub(super) fn events(out: &[Output]) -> Vec<UaEvent> {
    out.iter().filter_map(|o| if let Output::Event(e) = o { Some(e.clone()) } else { None }).collect()
}

/// A response to `req` as a server would build it.
pub(super) fn respond(req: &Message, code: u16, to_tag: Option<&str>, extra: &[(&str, &str)], body: &str) -> String {
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

pub(super) const CALLER_INVITE: &str = "INVITE sip:abcd@x.invalid;transport=ws SIP/2.0\r\n\
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

pub(super) fn in_dialog(method: &str, cseq: u32, to_tag: &str, body: &str) -> String {
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
        vec![UaEvent::Registration(RegState::Failed(crate::strings::Key::SIP_REG_CREDENTIALS.into()))]
    );
}
