use super::*;

/// `text` redacted (knowing `known`) must not contain `secret`, and must still contain `kept`.
fn check(text: &str, known: &[&str], secret: &str, kept: &str) {
    let out = redact(text, known);
    assert!(!out.contains(secret), "{secret:?} survived:\n{out}");
    assert!(out.contains(kept), "{kept:?} should stay:\n{out}");
    assert!(out.contains(REMOVED), "says what was removed:\n{out}");
}

macro_rules! hostile_redaction {
    ($($name:ident: $text:expr, $known:expr, $secret:expr, $kept:expr;)*) => {$(
        #[test]
        fn $name() {
            check($text, $known, $secret, $kept);
        }
    )*};
}

const REGISTER: &str = "REGISTER sip:example.test SIP/2.0\r\nVia: SIP/2.0/WSS abc.invalid;branch=z9hG4bK1\r\nFrom: <sip:1001@example.test>;tag=1\r\nAuthorization: Digest username=\"1001\", realm=\"example.test\", nonce=\"N0NCE-abc123\", uri=\"sip:example.test\", response=\"5f2b9c0d7e1a\", algorithm=MD5\r\nCSeq: 2 REGISTER\r\n\r\n";

hostile_redaction! {
    hostile_redact_sip_authorization_header: REGISTER, &[], "5f2b9c0d7e1a", "CSeq: 2 REGISTER";
    hostile_redact_sip_authorization_nonce: REGISTER, &[], "N0NCE-abc123", "From: <sip:1001@example.test>";
    hostile_redact_proxy_authorization_lower_case: "INVITE sip:1002@x SIP/2.0\r\nproxy-authorization: digest username=\"a\", response=\"deadbeef99\"\r\nContent-Length: 0\r\n", &[], "deadbeef99", "Content-Length: 0";
    hostile_redact_authorization_upper_case_no_space: "AUTHORIZATION:Digest response=\"cafe0123\"\nCall-ID: 77", &[], "cafe0123", "Call-ID: 77";
    hostile_redact_authorization_space_before_colon: "Authorization : Bearer tok-SECRET-1\nAccept: */*", &[], "tok-SECRET-1", "Accept: */*";
    hostile_redact_folded_authorization_header: "Authorization: Digest username=\"a\",\r\n  nonce=\"FOLDEDNONCE\",\r\n\tresponse=\"FOLDEDRESP\"\r\nCSeq: 1 REGISTER\r\n", &[], "FOLDEDRESP", "CSeq: 1 REGISTER";
    hostile_redact_folded_header_continuation_without_secret_names: "Proxy-Authorization: Digest username=\"a\",\r\n opaque=\"FOLDOPAQUE\", uri=\"sip:x\"\r\nMax-Forwards: 70\r\n", &[], "FOLDOPAQUE", "Max-Forwards: 70";
    hostile_redact_www_authenticate_nonce: "SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"x\", nonce=\"SRVNONCE42\", algorithm=MD5\r\n", &[], "SRVNONCE42", "401 Unauthorized";
    hostile_redact_proxy_authenticate_nonce: "SIP/2.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm=\"x\", nonce=\"PRXNONCE42\"\r\n", &[], "PRXNONCE42", "407 Proxy";
    hostile_redact_authentication_info_nextnonce: "SIP/2.0 200 OK\r\nAuthentication-Info: nextnonce=\"NEXT77\", rspauth=\"RSP77\"\r\n", &[], "NEXT77", "200 OK";
    hostile_redact_digest_in_a_flattened_log_line: "→ REGISTER sip:x SIP/2.0 | Authorization: Digest username=\"1001\", response=\"FLAT99\"", &[], "FLAT99", "REGISTER sip:x";
    hostile_redact_bearer_token_anywhere: "fetch failed (header was bearer abcDEF123tok) at 10:00", &[], "abcDEF123tok", "fetch failed";
    hostile_redact_basic_credentials: "sent Basic dXNlcjpwYXNzd29yZA== to the proxy", &[], "dXNlcjpwYXNzd29yZA", "to the proxy";
    hostile_redact_access_token_in_url_query: "GET https://dev.service-now.com/api/now/table/x?access_token=AT-SECRET-9&sysparm_limit=1", &[], "AT-SECRET-9", "sysparm_limit=1";
    hostile_redact_access_token_in_url_fragment: "redirect to https://desk.example/cb.html#access_token=FRAG-TOK&token_type=Bearer", &[], "FRAG-TOK", "https://desk.example/cb.html";
    hostile_redact_refresh_token_form_body: "grant_type=refresh_token&refresh_token=RT-77-SECRET&client_id=agent-desktop", &[], "RT-77-SECRET", "client_id=agent-desktop";
    hostile_redact_oauth_code_in_callback: "callback: /oauth_callback.html?code=AUTHCODE-XYZ&state=s1", &[], "AUTHCODE-XYZ", "state=s1";
    hostile_redact_pkce_code_verifier: "code_verifier=VERIFIER-abcdefghijklmnop&grant_type=authorization_code", &[], "VERIFIER-abcdefghijklmnop", "grant_type";
    hostile_redact_client_secret: "client_secret=CS-shh&client_id=x", &[], "CS-shh", "client_id=x";
    hostile_redact_json_password: "{\"sip\": {\"server\": \"wss://x\", \"password\":\"hunter2-json\"}}", &[], "hunter2-json", "wss://x";
    hostile_redact_json_turn_credential: "{\"iceServers\": [\"turn:127.0.0.1:3478\"], \"iceUsername\": \"agent\", \"iceCredential\": \"TURN-PW-1\"}", &[], "TURN-PW-1", "turn:127.0.0.1:3478";
    hostile_redact_settings_line_turn_credential: "ice_credential: \"TURN-PW-2\"\nice_relay_only: true", &[], "TURN-PW-2", "ice_relay_only: true";
    hostile_redact_json_escaped_quote_in_password: "{\"password\": \"pa\\\"ss-ESC\", \"user\": \"1001\"}", &[], "ss-ESC", "\"user\": \"1001\"";
    hostile_redact_sip_uri_with_password: "To: <sip:1001:URI-PW-1@example.test>", &[], "URI-PW-1", "sip:1001:";
    hostile_redact_sips_uri_with_password: "target sips:alice:URI-PW-2@example.test;transport=ws", &[], "URI-PW-2", "@example.test;transport=ws";
    hostile_redact_https_userinfo_password: "config from https://admin:HTTP-PW@desk.example/config.json", &[], "HTTP-PW", "desk.example/config.json";
    hostile_redact_turn_uri_with_credentials: "iceServers: turn:agent:TURN-URI-PW@127.0.0.1:3478?transport=tcp", &[], "TURN-URI-PW", "127.0.0.1:3478";
    hostile_redact_jwt_anywhere: "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMDAxIn0.c2lnbmF0dXJlLXNlY3JldA was refused", &[], "c2lnbmF0dXJlLXNlY3JldA", "was refused";
    hostile_redact_cookie_header: "Cookie: glide_session_store=SESS-COOKIE\nHost: x", &[], "SESS-COOKIE", "Host: x";
    hostile_redact_custom_token_header: "X-Auth-Token: CUSTOM-TOK\r\nX-SN-Case: CS0001", &[], "CUSTOM-TOK", "X-SN-Case: CS0001";
    hostile_redact_known_password_in_free_text: "the server said 'hunter2hunter2 is wrong'", &["hunter2hunter2"], "hunter2hunter2", "the server said";
    hostile_redact_known_password_url_encoded: "sent pw=a%26b%3Dc%20d here", &["a&b=c d"], "a%26b%3Dc%20d", "here";
    hostile_redact_known_turn_credential_in_error: "TURN 401 for agent/secret-turn-7 at 127.0.0.1", &["secret-turn-7"], "secret-turn-7", "TURN 401";
    hostile_redact_password_param_in_sip_uri_params: "sip:1001@x;password=PARAM-PW;transport=ws", &[], "PARAM-PW", "transport=ws";
}

#[test]
fn plain_sip_stays_readable() {
    let text = "INVITE sip:1002@example.test SIP/2.0\r\nFrom: \"Ann\" <sip:1001@example.test>;tag=9\r\nTo: <sip:1002@example.test>\r\nCall-ID: abc@host\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n\r\nv=0\r\na=sendrecv\r\n";
    assert_eq!(redact(text, &[]), text);
}

#[test]
fn short_known_secrets_are_not_replaced_everywhere() {
    // A 2-letter password would match ordinary words; the structural rules still apply.
    assert_eq!(redact("Registered as 1001", &["as"]), "Registered as 1001");
    assert!(!redact("password=as", &["as"]).contains("=as"));
}

#[test]
fn secret_names() {
    for n in ["password", "sipPassword", "iceCredential", "access_token", "X-Auth-Token", "Proxy-Authorization", "code", "nonce", "cnonce", "\"refresh_token\""] {
        assert!(secret_name(n), "{n}");
    }
    for n in ["user", "server", "Call-ID", "Via", "state", "encode", "codec"] {
        assert!(!secret_name(n), "{n}");
    }
}
