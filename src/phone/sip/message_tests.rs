//! Parser and serializer tests (RFC 3261, RFC 4475 torture cases).

use super::*;

const INVITE: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice \\\"A\\\"\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>\r\n\
X-Case-Id: CS0001001\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

#[test]
fn parses_a_request() {
    let m = Message::parse(INVITE).unwrap();
    assert_eq!(m.method(), Some("INVITE"));
    assert_eq!(m.uri(), Some("sip:bob@biloxi.example.com"));
    assert_eq!(m.cseq(), Some((314159, "INVITE".into())));
    let from = m.from().unwrap();
    assert_eq!(from.display.as_deref(), Some("Alice \"A\""));
    assert_eq!(from.tag(), Some("1928301774"));
    assert_eq!(from.uri.user.as_deref(), Some("alice"));
    let via = m.via().unwrap();
    assert_eq!(via.transport, "WSS");
    assert_eq!(via.branch(), Some("z9hG4bK776asdhds"));
    assert!(via.params.iter().any(|(k, v)| k == "rport" && v.is_none()));
    assert_eq!(m.body, "v=0\n");
    assert_eq!(m.x_headers(), vec![("X-Case-Id".to_string(), "CS0001001".to_string())]);
}

#[test]
fn round_trips() {
    let m = Message::parse(INVITE).unwrap();
    let again = Message::parse(&m.serialize()).unwrap();
    assert_eq!(m, again);
    let mut r = Message::response(180, "Ringing");
    r.add("Via", "SIP/2.0/WSS x.invalid;branch=z9hG4bKa")
        .add("From", "<sip:a@b>;tag=1")
        .add("To", "<sip:b@b>;tag=2")
        .add("Call-ID", "c")
        .add("CSeq", "1 INVITE");
    let text = r.serialize();
    assert!(text.starts_with("SIP/2.0 180 Ringing\r\n"));
    assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    assert_eq!(Message::parse(&text).unwrap(), r);
}

#[test]
fn compact_forms_and_folding_and_odd_spacing() {
    // Cases in the spirit of RFC 4475 3.1.1.1 (wsinv) and 3.1.1.2 (intmeth): compact names, folded
    // lines, unusual whitespace, multiple Vias in one header and many, case-insensitive names.
    let text = "OPTIONS sip:user@example.com SIP/2.0\r\n\
v: SIP/2.0/UDP  192.0.2.1:5060 ;branch=z9hG4bK1 , SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2\r\n\
VIA: SIP/2.0/WS h.invalid;branch=z9hG4bK3\r\n\
f: <sip:caller@example.net>\r\n  ;tag=134161461246\r\n\
t  :   <sip:user@example.com>\r\n\
i: 1234@x\r\n\
CSeq:   7    OPTIONS\r\n\
Max-Forwards: 69\r\n\
m: \"A, B\" <sip:a@h.invalid>;expires=60, <sip:b@h.invalid>\r\n\
l: 0\r\n\r\n";
    let m = Message::parse(text).unwrap();
    assert_eq!(m.header_values("Via").len(), 3);
    assert_eq!(Via::parse(m.header_values("via")[0]).unwrap().port, Some(5060));
    assert_eq!(Via::parse(m.header_values("Via")[2]).unwrap().transport, "WS");
    assert_eq!(m.from().unwrap().tag(), Some("134161461246"));
    assert_eq!(m.call_id(), Some("1234@x"));
    assert_eq!(m.cseq(), Some((7, "OPTIONS".into())));
    let contacts = m.header_values("Contact");
    assert_eq!(contacts.len(), 2, "{contacts:?}");
    assert_eq!(NameAddr::parse(contacts[0]).unwrap().display.as_deref(), Some("A, B"));
    assert_eq!(param(&NameAddr::parse(contacts[0]).unwrap().params, "expires"), Some("60"));
}

#[test]
fn uris() {
    let u = Uri::parse("sip:%61lice:secret@Atlanta.COM:5061;transport=ws;lr?subject=x").unwrap();
    assert_eq!(u.user.as_deref(), Some("%61lice"));
    assert_eq!(u.user_decoded().as_deref(), Some("alice"));
    assert_eq!(u.host, "atlanta.com");
    assert_eq!(u.port, Some(5061));
    assert_eq!(u.param("transport"), Some("ws"));
    assert!(u.has_param("lr"));
    assert_eq!(u.headers.as_deref(), Some("subject=x"));
    assert_eq!(Uri::parse("sips:[2001:db8::1]:5061").unwrap().port, Some(5061));
    assert_eq!(Uri::parse("tel:+14155550123;phone-context=x").unwrap().user.as_deref(), Some("+14155550123"));
    assert!(Uri::parse("http://x").is_err());
    assert!(Uri::parse("sip:").is_err());
    assert!(Uri::parse("sip:a@h:99999").is_err());
    assert!(Uri::parse("sip:a b@h").is_err());
    let s = "sip:bob@h.example;transport=ws";
    assert_eq!(Uri::parse(s).unwrap().to_string(), s);
    // addr-spec with header params (RFC 3261 20.10)
    let na = NameAddr::parse("sip:bob@h;tag=88").unwrap();
    assert_eq!(na.tag(), Some("88"));
    assert!(na.uri.params.is_empty());
    let na = NameAddr::parse("<sip:bob@h;transport=ws>;tag=9").unwrap();
    assert_eq!(na.uri.param("transport"), Some("ws"));
    assert_eq!(na.to_string(), "<sip:bob@h;transport=ws>;tag=9");
    assert!(NameAddr::parse("Bob <sip:bob@h").is_err());
    // RFC 5118-style IPv6 references
    let v = Via::parse("SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3").unwrap();
    assert_eq!(v.host, "[2001:db8::9:1]");
    assert_eq!(v.port, Some(6050));
    let v = Via::parse("SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3").unwrap();
    assert_eq!(v.port, None);
}

#[test]
fn rejects_malformed_input() {
    let base = |start: &str, extra: &str| {
        format!("{start}\r\nVia: SIP/2.0/WS h.invalid;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n{extra}\r\n")
    };
    assert!(Message::parse(&base("INVITE sip:c@d SIP/2.0", "")).is_ok());
    let bad = [
        base("INVITE sip:c@d SIP/7.0", ""),                         // RFC 4475 badvers
        base("INVITE sip:c@d  SIP/2.0", ""),                        // extra space in the request line
        base("INVITE c@d SIP/2.0", ""),                             // no scheme
        base("INV ITE sip:c@d SIP/2.0", ""),
        base("SIP/2.0 99 Too low", ""),
        base("SIP/2.0 2000 Big", ""),
        base("OPTIONS sip:c@d SIP/2.0", ""),                        // RFC 4475 mismatch01: CSeq method differs
        base("INVITE sip:c@d SIP/2.0", "Content-Length: 10\r\n"),   // RFC 4475 clerr: longer than the body
        base("INVITE sip:c@d SIP/2.0", "Content-Length: -1\r\n"),   // RFC 4475 ncl
        base("INVITE sip:c@d SIP/2.0", "Content-Length: x\r\n"),
        base("INVITE sip:c@d SIP/2.0", "Max-Forwards: 300\r\n"),
        base("INVITE sip:c@d SIP/2.0", "Bad Header: x\r\n"),
        base("INVITE sip:c@d SIP/2.0", "NoColon\r\n"),
        "INVITE sip:c@d SIP/2.0\r\nCall-ID: x\r\n\r\n".to_string(), // missing headers
        "INVITE sip:c@d SIP/2.0\r\n".to_string(),                  // no blank line
        String::new(),
        "\r\n\r\n".to_string(),
        "SIP/2.0 200 OK\r\nCSeq: 99999999999 INVITE\r\nVia: SIP/2.0/WS h;branch=z\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n\r\n".to_string(),
    ];
    for b in bad {
        assert!(Message::parse(&b).is_err(), "accepted: {b:?}");
    }
}

#[test]
fn body_is_bounded_by_content_length_in_bytes() {
    let text = "MESSAGE sip:c@d SIP/2.0\r\nVia: SIP/2.0/WS h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\nContent-Length: 2\r\n\r\néxyz";
    assert_eq!(Message::parse(text).unwrap().body, "é");
    let text = text.replace("Content-Length: 2", "Content-Length: 1");
    assert!(Message::parse(&text).is_err(), "a length ending inside a character is an error");
    let no_len = "MESSAGE sip:c@d SIP/2.0\r\nVia: SIP/2.0/WS h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\n\r\nhello";
    assert_eq!(Message::parse(no_len).unwrap().body, "hello", "WebSocket frames may omit Content-Length");
}

#[test]
fn quoting() {
    assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_eq!(unquote(&quote("a\"b\\c")), "a\"b\\c");
    assert_eq!(unquote("token"), "token");
    assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
    assert_eq!(crate::strings::Lang::En.texts().get(failure_text(486)), "The line is busy");
}

#[test]
fn never_panics_on_prefixes_of_valid_messages() {
    for i in 0..INVITE.len() {
        if INVITE.is_char_boundary(i) {
            let _ = Message::parse(&INVITE[..i]);
        }
    }
}

#[test]
fn a_refused_hold_or_resume_is_told_in_words() {
    assert_eq!(hold_failure_note(false, 500).render(), "The hold did not go through (The SIP server is unavailable). Try again.");
    assert_eq!(hold_failure_note(true, 491).render(), "Taking the call off hold did not go through (Another change to the call was under way). Try again.");
}

#[test]
fn quoted_values_are_escaped_as_debug_writes_them() {
    // Every ASCII character, the invisible and direction-changing ones escaped by hand, and printable
    // non-ASCII text: the same as Rust's `{:?}` (which the release does not link).
    let mut cases: Vec<String> = (0u8..128).map(|b| format!("a{}b", b as char)).collect();
    for c in ('\u{80}'..='\u{9f}').chain('\u{200B}'..='\u{200F}').chain('\u{2028}'..='\u{202E}').chain('\u{2060}'..='\u{206F}').chain(['\u{FEFF}']) {
        cases.push(format!("x{c}y"));
    }
    cases.extend(["", "é日本 Ñandú", "\"quoted\" \\ back", "line\r\nInjected: yes"].map(String::from));
    for s in cases {
        let mut q = String::new();
        super::push_quoted(&mut q, &s);
        assert_eq!(q, format!("{s:?}"));
    }
}

#[test]
fn branch_is_read_only_from_a_well_formed_top_via() {
    for via in [
        "SIP/2.0/WSS h.invalid;branch=z9hG4bKa;rport",
        "SIP  /2.0/ UDP host.example:5060;Branch=z9hG4bKb",
        "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKc",
        "SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKd",
        "SIP/2.0/UDP [2001:db8::9:1]x;branch=z9hG4bKe",
        "SIP/2.0/UDP [2001:db8::9:1;branch=z9hG4bKf",
        "SIP/2.0/UDP host:99999;branch=z9hG4bKg",
        "SIP/3.0/UDP host;branch=z9hG4bKh",
        "SIP/2.0 host;branch=z9hG4bKi",
        "SIP/2.0/UDP :5060;branch=z9hG4bKj",
        "SIP/2.0/UDP host;rport",
        "SIP/2.0/UDP host;branch",
    ] {
        let m = Message::parse(&INVITE.replacen("SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK776asdhds;rport", via, 1)).unwrap();
        let want = Via::parse(via).ok().and_then(|v| v.branch().map(str::to_string));
        assert_eq!(m.branch(), want, "{via}");
        let well_formed = ["bKa;", "bKb", "bKc", "bKd"].iter().any(|b| via.contains(b));
        assert_eq!(m.branch().is_some(), well_formed, "{via}");
    }
}

#[test]
fn hostile_control_characters_in_a_folded_header_line_refuse_the_message() {
    // A folded (continuation) line is part of its header: a NUL, bare CR or other control character there is
    // refused as on the header's first line; a tab is folding whitespace.
    for bad in ["\0", "\r", "\u{1b}", "\u{7f}"] {
        let text = INVITE.replace("Max-Forwards: 70\r\n", &format!("Max-Forwards: 70\r\nSubject: hello\r\n  wor{bad}ld\r\n"));
        assert!(Message::parse(&text).is_err(), "{bad:?} accepted in a folded line");
    }
    let ok = INVITE.replace("Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nSubject: hello\r\n\tworld\r\n");
    assert_eq!(Message::parse(&ok).unwrap().header("Subject"), Some("hello world"));
}
