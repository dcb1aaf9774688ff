use super::*;

const A: &str = "0123456789abcdef";
const B: &str = "fedcba9876543210";
const C: &str = "00000000000000cc";
const DEP: &str = "https://acme.service-now.com|https://acme.service-now.com|config.json";
const TICKET: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd";

fn msg(from: &str, to: Option<&str>, framed: bool, kind: Kind) -> Msg {
    Msg { from: from.into(), seq: 1, to: to.map(str::to_string), dep: DEP.into(), framed, kind }
}

fn ticket() -> String {
    let t = format!("{TICKET}e");
    assert!(is_ticket(&t));
    t
}

#[test]
fn messages_round_trip_through_encode_and_parse() {
    let kinds = vec![
        Kind::Hello,
        Kind::State(json!({"calls": []})),
        Kind::Cmd(json!({"c": "dial"})),
        Kind::Of(json!({"title": "x"})),
        Kind::Claim(None),
        Kind::Claim(Some(ticket())),
        Kind::Ask,
        Kind::Refused,
        Kind::Welcome(ticket()),
        Kind::Handover { packet: json!({"sip": {"password": "p"}}), links: vec![C.into()] },
        Kind::Link(C.into()),
        Kind::Bye,
    ];
    for k in kinds {
        let m = msg(A, Some(B), true, k);
        let text = encode(&m);
        assert!(text.starts_with(MARK), "{text}");
        assert_eq!(parse(&text), Some(m));
    }
}

/// `encode` writes the text in place: it is the text of the message's JSON object, members in key order (what
/// the value tree wrote before), for every kind, framed or not, to one window or all, with text needing escapes.
#[test]
fn encode_writes_the_message_objects_json_text() {
    let kinds = vec![
        Kind::Hello,
        Kind::State(json!({"calls": [], "n": "a\"b\\c\u{1}", "x": 1.5})),
        Kind::Cmd(json!({"c": "dial"})),
        Kind::Of(json!({"title": "x"})),
        Kind::Claim(None),
        Kind::Claim(Some(ticket())),
        Kind::Ask,
        Kind::Refused,
        Kind::Welcome(ticket()),
        Kind::Handover { packet: json!({"sip": {"password": "p\n"}}), links: vec![B.into(), C.into()] },
        Kind::Handover { packet: json!({}), links: vec![] },
        Kind::Link(C.into()),
        Kind::Bye,
    ];
    for k in kinds {
        for (to, framed, seq) in [(Some(B), true, 0u32), (None, false, u32::MAX)] {
            let m = Msg { seq, dep: "d\"ep\u{7f}é".into(), ..msg(A, to, framed, k.clone()) };
            let v = match &m.kind {
                Kind::State(v) | Kind::Cmd(v) | Kind::Of(v) => v.clone(),
                Kind::Claim(t) => json!(t),
                Kind::Handover { packet, links } => json!({"packet": packet, "links": links}),
                Kind::Link(id) | Kind::Welcome(id) => json!(id),
                Kind::Hello | Kind::Ask | Kind::Refused | Kind::Bye => Value::Null,
            };
            let body = json!({"from": m.from, "seq": m.seq, "to": m.to, "dep": m.dep, "fr": m.framed, "k": m.kind.name(), "v": v});
            assert_eq!(encode(&m), format!("{MARK}{}", &body.to_string()[1..]));
        }
    }
}

#[test]
fn the_deployment_key_and_tag_follow_instance_top_domain_and_settings_file() {
    let d = Deployment { instance: Some("https://acme.service-now.com".into()), top_domain: Some("https://acme.service-now.com".into()), config: "config.json".into() };
    assert_eq!(d.key(), DEP);
    assert_eq!(d.tag().len(), 12);
    let other_top = Deployment { top_domain: Some("https://evil.example".into()), ..d.clone() };
    let other_file = Deployment { config: "site.json".into(), ..d.clone() };
    assert_ne!(d.tag(), other_top.tag());
    assert_ne!(d.tag(), other_file.tag());
    assert_ne!(d.key(), other_top.key());
}

#[test]
fn linked_windows_and_framed_windows_are_trusted_and_the_heir_is_the_newest_link_still_there() {
    let mut t = Trust::new(A, DEP);
    assert!(!t.is_member());
    t.link(B);
    t.link(C);
    assert!(t.is_member());
    assert_eq!(t.admit(&msg(B, None, false, Kind::State(json!({})))), Admit::Act);
    assert_eq!(t.heir(&[B.into(), C.into()]).as_deref(), Some(C));
    assert_eq!(t.heir(&[B.into()]).as_deref(), Some(B));
    assert_eq!(t.heir(&[]), None);
    let mut f = Trust::new(A, DEP);
    f.framed = true;
    assert_eq!(f.admit(&msg(B, None, true, Kind::State(json!({})))), Admit::Act, "two frames of the instance");
}

#[test]
fn a_ticket_is_good_once_and_only_for_a_minute() {
    let mut t = Trust::new(A, DEP);
    let claim = ticket_proof(&ticket(), "claim");
    assert!(is_ticket(&claim));
    t.issue(&ticket(), 1_000.0);
    assert_eq!(t.redeem(&claim, 2_000.0), Some(ticket()));
    assert_eq!(t.redeem(&claim, 2_001.0), None, "used up");
    t.issue(&ticket(), 1_000.0);
    assert_eq!(t.redeem(&claim, 1_000.0 + TICKET_TTL_MS), None);
    assert_eq!(new_ticket([7; 32]).len(), TICKET_LEN);
}

#[test]
fn the_ticket_comes_from_the_fragment_only_in_its_exact_form() {
    assert_eq!(ticket_in_fragment(&format!("#pop={}", ticket())), Some(ticket()));
    assert_eq!(ticket_in_fragment(""), None);
}

#[test]
fn a_fresh_snapshot_of_this_deployment_keeps_its_secrets() {
    let mut p = json!({"calls": [], "sip": {"password": "p"}, "sn": "{}"});
    seal_snapshot(&mut p, DEP, 10_000.0);
    let v = open_snapshot(&p.to_string(), DEP, 10_000.0 + SECRET_TTL_MS - 1.0).unwrap();
    assert!(v["sip"].is_object() && v["sn"].is_string());
}

#[test]
fn tokens_go_to_their_own_instance() {
    assert!(token_may_go_to("https://acme.service-now.com", "https://acme.service-now.com/api/now/table/sys_user?x=1"));
    assert!(token_may_go_to("http://127.0.0.1:8090", "http://127.0.0.1:8090/api/now/table/x"));
    assert!(token_may_go_to("https://acme.service-now.com", "https://ACME.service-now.com:443/api"));
}

#[test]
fn the_instance_is_the_configured_one_or_a_vouched_top_domain() {
    assert_eq!(sn_instance(Some("https://a.example"), Some("https://b.example"), false).as_deref(), Some("https://a.example"));
    assert_eq!(sn_instance(None, Some("https://b.example"), true).as_deref(), Some("https://b.example"));
    assert_eq!(sn_instance(None, None, true), None);
}

// ---- Hostile cases: one test function each. ----

/// Messages that must not parse (each: `name => text`).
macro_rules! hostile_parse {
    ($($name:ident => $text:expr;)*) => {$(
        #[test]
        fn $name() {
            let text: String = $text;
            assert_eq!(parse(&text), None, "{text}");
        }
    )*};
}

fn good(k: &str, v: &str) -> String {
    format!("{MARK}\"from\":\"{A}\",\"seq\":1,\"to\":null,\"dep\":\"{DEP}\",\"fr\":false,\"k\":\"{k}\",\"v\":{v}}}")
}

#[test]
fn the_good_template_parses() {
    assert!(parse(&good("hello", "null")).is_some());
    assert!(parse(&good("state", "{}")).is_some());
}

hostile_parse! {
    hostile_group_message_unknown_kind_is_ignored => good("steal", "null");
    hostile_group_message_without_mark_is_ignored => good("hello", "null").replacen("{\"ad\":1,", "{\"ad\":2,", 1);
    hostile_group_message_oversized_is_ignored => good("state", &format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_MESSAGE)));
    hostile_group_message_bad_sender_id_is_ignored => good("hello", "null").replace(A, "0123456789ABCDEF");
    hostile_group_message_sender_id_with_markup_is_ignored => good("hello", "null").replace(A, "<img src=x>12345");
    hostile_group_message_bad_recipient_is_ignored => good("hello", "null").replace("\"to\":null", "\"to\":\"*\"");
    hostile_group_message_seq_out_of_range_is_ignored => good("hello", "null").replace("\"seq\":1", "\"seq\":99999999999");
    hostile_group_message_state_not_an_object_is_ignored => good("state", "\"<b>x</b>\"");
    hostile_group_message_command_not_an_object_is_ignored => good("cmd", "[1,2]");
    hostile_group_message_claim_with_malformed_ticket_is_ignored => good("claim", "\"short\"");
    hostile_group_message_handover_without_packet_is_ignored => good("handover", "{\"links\":[]}");
    hostile_group_message_handover_with_too_many_links_is_ignored => good("handover", &format!("{{\"packet\":{{}},\"links\":[{}]}}", vec![format!("\"{C}\""); MAX_LINKS + 1].join(",")));
    hostile_group_message_handover_with_bad_link_id_is_ignored => good("handover", "{\"packet\":{},\"links\":[\"x\"]}");
    hostile_group_message_missing_framed_flag_is_ignored => good("hello", "null").replace("\"fr\":false,", "");
    hostile_group_message_deployment_key_too_long_is_ignored => good("hello", "null").replace(DEP, &"d".repeat(2_000));
    hostile_group_message_bye_carrying_a_packet_is_ignored => good("bye", "{\"sip\":{\"password\":\"p\"}}");
}

/// Messages that parse but must be dropped by a window (each: `name => (trust setup, message)`).
macro_rules! hostile_admit {
    ($($name:ident => $setup:expr, $m:expr;)*) => {$(
        #[test]
        fn $name() {
            let t: Trust = $setup;
            let m: Msg = $m;
            assert_ne!(t.admit(&m), Admit::Act, "{m:?}");
        }
    )*};
}

fn linked_to(id: &str) -> Trust {
    let mut t = Trust::new(A, DEP);
    t.link(id);
    t
}

fn pop_out() -> Trust {
    Trust { ticket: Some(ticket()), ..Trust::new(A, DEP) }
}

fn asked(owner: &str) -> Trust {
    Trust { asked: Some(owner.into()), ..Trust::new(A, DEP) }
}

#[test]
fn a_pop_out_reads_the_welcome_of_its_ticket_and_an_asking_window_the_answer_of_the_owner_it_asked() {
    assert_eq!(pop_out().admit(&msg(B, Some(A), false, Kind::Welcome(ticket_proof(&ticket(), "welcome")))), Admit::Act);
    assert_eq!(asked(B).admit(&msg(B, Some(A), false, Kind::Handover { packet: json!({}), links: vec![] })), Admit::Act);
    assert_eq!(asked(B).admit(&msg(B, Some(A), false, Kind::Refused)), Admit::Act);
}

fn framed() -> Trust {
    let mut t = Trust::new(A, DEP);
    t.framed = true;
    t
}

hostile_admit! {
    hostile_state_from_a_window_not_linked_is_ignored => Trust::new(A, DEP), msg(B, None, false, Kind::State(json!({"calls": []})));
    hostile_command_from_a_window_not_linked_is_ignored => linked_to(C), msg(B, None, false, Kind::Cmd(json!({"c": "dial", "number": "+1900"})));
    hostile_relay_from_a_window_not_linked_is_ignored => linked_to(C), msg(B, None, false, Kind::Of(json!({"form": ["x", "y"]})));
    hostile_claim_without_ticket_from_a_window_not_linked_is_ignored => linked_to(C), msg(B, Some(A), false, Kind::Claim(None));
    hostile_handover_from_a_window_not_linked_is_ignored => Trust::new(A, DEP), msg(B, Some(A), false, Kind::Handover { packet: json!({}), links: vec![] });
    hostile_link_vouched_by_a_window_not_linked_is_ignored => linked_to(C), msg(B, None, false, Kind::Link(B.into()));
    hostile_framed_claim_to_a_window_not_framed_is_ignored => Trust::new(A, DEP), msg(B, None, true, Kind::State(json!({})));
    hostile_message_of_another_deployment_is_ignored => linked_to(B), Msg { dep: "https://evil.example|https://evil.example|config.json".into(), ..msg(B, None, true, Kind::State(json!({}))) };
    hostile_message_for_another_window_is_ignored => linked_to(B), msg(B, Some(C), false, Kind::Handover { packet: json!({}), links: vec![] });
    hostile_message_with_our_own_id_is_ignored => linked_to(B), msg(A, None, false, Kind::Cmd(json!({"c": "x"})));
    hostile_welcome_without_the_ticket_proof_is_ignored => pop_out(), msg(B, Some(A), false, Kind::Welcome(ticket_proof(&ticket(), "claim")));
    hostile_welcome_to_a_window_without_ticket_is_ignored => Trust::new(A, DEP), msg(B, Some(A), false, Kind::Welcome(ticket_proof(&ticket(), "welcome")));
    hostile_refused_from_an_owner_that_did_not_open_the_pop_out_is_ignored => pop_out(), msg(B, Some(A), false, Kind::Refused);
    hostile_refused_from_an_owner_not_asked_is_ignored => asked(C), msg(B, Some(A), false, Kind::Refused);
    hostile_handover_from_a_window_not_asked_is_ignored => asked(C), msg(B, Some(A), false, Kind::Handover { packet: json!({}), links: vec![] });
    hostile_framed_window_of_another_deployment_is_ignored => framed(), Msg { dep: "|https://evil.example|config.json".into(), ..msg(B, None, true, Kind::Cmd(json!({}))) };
}

#[test]
fn hostile_state_from_an_owner_not_linked_tells_only_that_it_exists() {
    assert_eq!(Trust::new(A, DEP).admit(&msg(B, None, false, Kind::State(json!({"calls": []})))), Admit::Presence);
}

#[test]
fn hostile_ticket_never_issued_is_refused() {
    let mut t = Trust::new(A, DEP);
    t.issue(&ticket(), 0.0);
    let forged = format!("{TICKET}f");
    assert_eq!(t.redeem(&ticket_proof(&forged, "claim"), 1.0), None);
}

#[test]
fn hostile_claim_with_a_ticket_this_owner_did_not_issue_gets_no_answer() {
    // Another owner of the deployment (another storage partition) hears the pop-out's claim: it must not
    // answer at all (a `refused` would make the pop-out drop its ticket).
    let mut other = Trust::new(C, DEP);
    other.issue(&format!("{TICKET}f"), 0.0);
    assert_eq!(other.answer_claim(&ticket_proof(&ticket(), "claim"), 1.0), None);
    assert_eq!(Trust::new(C, DEP).answer_claim(&ticket_proof(&ticket(), "claim"), 1.0), None);
    let mut opener = Trust::new(B, DEP);
    opener.issue(&ticket(), 0.0);
    assert_eq!(opener.answer_claim(&ticket_proof(&ticket(), "claim"), 1.0), Some(Kind::Welcome(ticket_proof(&ticket(), "welcome"))));
}

#[test]
fn hostile_ticket_replayed_is_refused() {
    let mut t = Trust::new(A, DEP);
    t.issue(&ticket(), 0.0);
    assert!(t.redeem(&ticket_proof(&ticket(), "claim"), 1.0).is_some());
    assert_eq!(t.redeem(&ticket_proof(&ticket(), "claim"), 2.0), None);
}

#[test]
fn hostile_ticket_expired_is_refused() {
    let mut t = Trust::new(A, DEP);
    t.issue(&ticket(), 0.0);
    assert_eq!(t.redeem(&ticket_proof(&ticket(), "claim"), TICKET_TTL_MS + 1.0), None);
}

#[test]
fn hostile_ticket_itself_or_the_welcome_proof_heard_on_the_channel_is_not_a_claim() {
    let mut t = Trust::new(A, DEP);
    t.issue(&ticket(), 0.0);
    assert_eq!(t.redeem(&ticket(), 1.0), None, "the bare ticket is never on the channel");
    assert_eq!(t.redeem(&ticket_proof(&ticket(), "welcome"), 1.0), None);
    assert!(t.redeem(&ticket_proof(&ticket(), "claim"), 1.0).is_some());
}

#[test]
fn hostile_ticket_in_query_form_is_not_read() {
    assert_eq!(ticket_in_fragment(&format!("#x=1&pop={}", ticket())), None);
    assert_eq!(ticket_in_fragment(&format!("pop={}", ticket())), None);
    assert_eq!(ticket_in_fragment(&format!("#pop={}<", &ticket()[..42])), None);
    assert_eq!(ticket_in_fragment("#pop="), None);
}

#[test]
fn hostile_heir_is_never_a_window_not_linked() {
    let t = linked_to(B);
    assert_eq!(t.heir(&[C.into()]), None, "only a linked window gets the packet");
}

#[test]
fn hostile_snapshot_of_another_deployment_is_not_used() {
    let mut p = json!({"sip": {"password": "p"}, "sn": "{}"});
    seal_snapshot(&mut p, DEP, 0.0);
    assert_eq!(open_snapshot(&p.to_string(), "|http://127.0.0.1:9|config.json", 1.0), None);
}

#[test]
fn hostile_snapshot_expired_loses_its_secrets() {
    let mut p = json!({"calls": [1], "sip": {"password": "p"}, "sn": "{}"});
    seal_snapshot(&mut p, DEP, 0.0);
    let v = open_snapshot(&p.to_string(), DEP, SECRET_TTL_MS).unwrap();
    assert!(v["sip"].is_null() && v["sn"].is_null(), "{v}");
    assert_eq!(v["calls"], json!([1]));
}

#[test]
fn hostile_snapshot_from_the_future_loses_its_secrets() {
    let mut p = json!({"sip": {"password": "p"}, "sn": "{}"});
    seal_snapshot(&mut p, DEP, 1e15);
    let v = open_snapshot(&p.to_string(), DEP, 0.0).unwrap();
    assert!(v["sip"].is_null() && v["sn"].is_null(), "{v}");
}

#[test]
fn hostile_snapshot_without_time_is_not_used() {
    let p = json!({"dep": DEP, "sip": {"password": "p"}});
    assert_eq!(open_snapshot(&p.to_string(), DEP, 0.0), None);
}

macro_rules! hostile_token {
    ($($name:ident => $inst:expr, $url:expr;)*) => {$(
        #[test]
        fn $name() {
            assert!(!token_may_go_to($inst, $url), "{} -> {}", $inst, $url);
        }
    )*};
}

hostile_token! {
    hostile_token_to_another_origin_is_refused => "https://acme.service-now.com", "https://evil.example/api/now/table/sys_user";
    hostile_token_to_another_port_is_refused => "http://127.0.0.1:8090", "http://127.0.0.1:8091/api/now/table/sys_user";
    hostile_token_to_plain_http_of_the_instance_is_refused => "https://acme.service-now.com", "http://acme.service-now.com/api";
    hostile_token_with_userinfo_trick_is_refused => "https://acme.service-now.com", "https://acme.service-now.com@evil.example/api";
    hostile_token_with_backslash_trick_is_refused => "https://acme.service-now.com", "https://evil.example\\@acme.service-now.com/api";
    hostile_token_to_a_longer_host_is_refused => "https://acme.service-now.com", "https://acme.service-now.com.evil.example/api";
    hostile_token_with_tab_in_host_is_refused => "https://acme.service-now.com", "https://acme.service-now.com\t.evil.example/api";
    hostile_token_without_an_instance_is_refused => "", "https://acme.service-now.com/api";
    hostile_token_to_a_relative_url_is_refused => "https://acme.service-now.com", "/api/now/table/sys_user";
}

#[test]
fn hostile_top_domain_not_vouched_is_not_a_token_instance() {
    assert_eq!(sn_instance(None, Some("https://evil.example"), false), None);
}
