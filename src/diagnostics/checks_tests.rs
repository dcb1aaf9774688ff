use super::*;

const HOST: &str = "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0";
const SRFLX: &str = "candidate:2 1 udp 1686052607 203.0.113.7 40000 typ srflx raddr 127.0.0.1 rport 50000";
const RELAY: &str = "candidate:3 1 udp 41885439 127.0.0.1 49160 typ relay raddr 0.0.0.0 rport 0";

fn servers(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn err(url: &str, code: u16) -> IceError {
    IceError { url: url.into(), code, text: "x".into() }
}

#[test]
fn candidate_types() {
    assert_eq!(candidate_type(HOST), Some("host"));
    assert_eq!(candidate_type(SRFLX), Some("srflx"));
    assert_eq!(candidate_type(RELAY), Some("relay"));
    assert_eq!(candidate_type("garbage"), None);
    assert_eq!(candidate_type("typ"), None);
}

#[test]
fn all_three_gathered_pass() {
    let s = servers(&["stun:stun.example:3478", "turn:turn.example:3478?transport=udp"]);
    let [h, st, r] = ice(&s, true, false, &[HOST.into(), SRFLX.into(), RELAY.into()], &[], true);
    assert!(matches!(h, Verdict::Pass(_)));
    assert!(matches!(st, Verdict::Pass(_)));
    assert!(matches!(&r, Verdict::Pass(m) if m.contains("turn:turn.example:3478") && !m.contains("transport")), "{r:?}");
}

#[test]
fn wrong_turn_credentials_say_what_to_do() {
    let s = servers(&["turn:127.0.0.1:3478"]);
    let [_, _, r] = ice(&s, true, false, &[HOST.into()], &[err("turn:127.0.0.1:3478?transport=udp", 401)], true);
    match r {
        Verdict::Fail(m) => assert!(m.contains("refused the TURN user name or password") && m.contains("sip.iceCredential"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreachable_turn_server_says_so() {
    let s = servers(&["turn:127.0.0.1:9"]);
    let [_, st, r] = ice(&s, true, false, &[HOST.into()], &[err("turn:127.0.0.1:9?transport=udp", 701)], true);
    assert!(matches!(&r, Verdict::Fail(m) if m.contains("could not be reached") && m.contains("701")), "{r:?}");
    assert!(matches!(&st, Verdict::Fail(m) if m.contains("did not answer")), "{st:?}");
}

#[test]
fn turn_without_credentials_says_to_configure_them() {
    let [_, _, r] = ice(&servers(&["turn:t:3478"]), false, false, &[HOST.into()], &[], true);
    assert!(matches!(&r, Verdict::Fail(m) if m.contains("none is configured")), "{r:?}");
}

#[test]
fn stun_on_an_untranslated_network_passes() {
    // Loopback or a public address: the server answers with the address we have (no srflx, no error).
    let [_, st, _] = ice(&servers(&["stun:127.0.0.1:3478"]), false, false, &[HOST.into()], &[], true);
    assert!(matches!(&st, Verdict::Pass(m) if m.contains("not translated")), "{st:?}");
}

#[test]
fn a_stun_server_that_keeps_gathering_from_completing_did_not_answer() {
    let [_, st, _] = ice(&servers(&["stun:127.0.0.1:9"]), false, false, &[HOST.into()], &[], false);
    assert!(matches!(&st, Verdict::Fail(m) if m.contains("did not answer")), "{st:?}");
}

#[test]
fn no_servers_and_relay_only_are_skipped_with_why() {
    let [h, st, r] = ice(&[], false, false, &[HOST.into()], &[], true);
    assert!(matches!(h, Verdict::Pass(_)));
    assert!(matches!(st, Verdict::Skipped(_)) && matches!(r, Verdict::Skipped(_)));
    let [h, st, r] = ice(&servers(&["turn:t:3478"]), true, true, &[RELAY.into()], &[], true);
    assert!(matches!(h, Verdict::Skipped(_)) && matches!(st, Verdict::Skipped(_)) && matches!(r, Verdict::Pass(_)));
}

#[test]
fn no_host_candidate_is_a_problem() {
    let [h, _, _] = ice(&[], false, false, &[], &[], true);
    assert!(matches!(h, Verdict::Fail(_)));
}

#[test]
fn websocket_lines() {
    assert!(matches!(websocket("wss://x", Some(WsOutcome::Open("sip".into()))), Verdict::Pass(_)));
    assert!(matches!(websocket("wss://x", Some(WsOutcome::Open("".into()))), Verdict::Fail(m) if m.contains("subprotocol")));
    assert!(matches!(websocket("wss://x", Some(WsOutcome::Failed)), Verdict::Fail(m) if m.contains("Cannot reach the SIP server at wss://x")));
    assert!(matches!(websocket("wss://x", None), Verdict::Fail(_)));
    assert!(matches!(websocket("", None), Verdict::Fail(m) if m.contains("sip.server")));
}

#[test]
fn registration_lines() {
    assert!(matches!(registered(&LineStatus::Registered), Verdict::Pass(_)));
    assert!(matches!(registered(&LineStatus::Demo), Verdict::Skipped(_)));
    assert!(matches!(registered(&LineStatus::Failed("403 Forbidden".into())), Verdict::Fail(m) if m.contains("403")));
}

#[test]
fn microphone_and_tone_lines() {
    assert!(matches!(microphone(Ok(30)), Verdict::Pass(_)));
    assert!(matches!(microphone(Ok(0)), Verdict::Fail(m) if m.contains("unmute")));
    assert!(matches!(microphone(Err("blocked".into())), Verdict::Fail(m) if m.render() == "blocked"));
    assert!(matches!(tone(Err("NotFoundError".into())), Verdict::Fail(m) if m.contains("NotFoundError")));
}

#[test]
fn servicenow_lines() {
    assert!(matches!(servicenow(SnProbe::Off), Verdict::Skipped(_)));
    assert!(matches!(servicenow(SnProbe::NotSignedIn(Ok(()))), Verdict::Fail(m) if m.contains("not signed in")));
    assert!(matches!(servicenow(SnProbe::NotSignedIn(Err("CORS rule".into()))), Verdict::Fail(m) if m.render() == "CORS rule"));
    assert!(matches!(servicenow(SnProbe::SignedIn(Ok(()))), Verdict::Pass(_)));
    assert!(matches!(servicenow(SnProbe::SignedIn(Err(None))), Verdict::Fail(m) if m.contains("sign in again")));
}

#[test]
fn line_text_for_the_support_text() {
    assert_eq!(line_text(Item::Microphone, &Verdict::Pass("fine".into())), format!("{}: OK: fine", t::CHECK_MIC()));
}
