//! Settings that are URLs or paths (`?config=`, `topDomain`, `sip.server`) and the table allowlists: the
//! accepted forms, and the hostile spellings that must be refused (one test per case).

use super::*;
use crate::json::json;

#[test]
fn the_url_api_reading_must_stay_in_the_desktops_folder() {
    let page = ("https://desk.example.com", "/agent-desktop/index.html");
    assert_eq!(within_folder(page.0, page.1, "https://desk.example.com", "/agent-desktop/site.json", ""), Ok(()));
    assert_eq!(within_folder(page.0, "/agent-desktop/", "https://desk.example.com", "/agent-desktop/sites/a.json", ""), Ok(()));
    let e = within_folder(page.0, page.1, "https://desk.example.com", "/other/site.json", "").unwrap_err();
    assert!(e.contains("desktop's folder https://desk.example.com/agent-desktop/") && e.contains("config=site.json"), "{e}");
}

#[test]
fn sip_server_addresses_are_canonical() {
    assert_eq!(check_ws_url("WSS://PBX.Example.com:443/ws?x=1").unwrap(), "wss://pbx.example.com/ws?x=1");
    assert_eq!(check_ws_url("ws://localhost:5066").unwrap(), "ws://localhost:5066");
    assert_eq!(check_ws_url("wss://[::1]:5066/").unwrap(), "wss://[::1]:5066/");
    // The page's connect-src cannot name [::1]: refused here with a message rather than blocked by the browser.
    assert!(check_ws_url("ws://[::1]:5066/").unwrap_err().contains("not [::1]"));
    assert!(check_ws_url("wss://pbx.example.com/#x").unwrap_err().contains("fragment"));
}

#[test]
fn table_allowlists_default_to_the_task_tables_and_are_validated() {
    let s = Settings::default();
    assert_eq!(s.servicenow.pop_tables, vec!["sn_customerservice_case", "interaction"]);
    assert_eq!(s.servicenow.activity_tables, s.servicenow.pop_tables);
    let (s, e) = resolve("", Some(r#"{"servicenow": {"screenPopTables": ["incident", "sn_customerservice_case"], "activityTables": "incident"}}"#));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(s.servicenow.pop_tables, vec!["incident", "sn_customerservice_case"]);
    assert_eq!(s.servicenow.activity_tables, vec!["incident"]);
    let (s, e) = resolve("", Some(r#"{"servicenow": {"activityTables": ["incident^ORactive=true"]}}"#));
    assert_eq!(e[0].key, "servicenow.activityTables");
    assert_eq!(s.servicenow.activity_tables, Settings::default().servicenow.activity_tables);
}

/// `?config=` tricks: each must be refused with a message (the default config.json is used instead).
macro_rules! hostile_config_query {
    ($($name:ident: $query:expr;)*) => {$(
        #[test]
        fn $name() {
            let (p, e) = parse_query($query);
            assert_eq!(p.config, None, "{} was accepted", $query);
            assert_eq!(e.len(), 1, "{e:?}");
            assert_eq!(e[0].key, "config");
            assert!(e[0].message.contains("config=site.json"), "says what to do: {}", e[0].message);
            let (s, _) = resolve($query, None);
            assert_eq!(s.config_path, "config.json");
        }
    )*};
}
hostile_config_query! {
    hostile_config_tab_makes_a_protocol_relative_url: "config=/%09//evil.example/c.json";
    hostile_config_newline_makes_a_protocol_relative_url: "config=%0A//evil.example/c.json";
    hostile_config_carriage_return_in_the_name: "config=/%0D//evil.example/c.json";
    hostile_config_double_encoded_dot_dot: "config=%252e%252e/%252e%252e/c.json";
    hostile_config_triple_encoded_dot_dot: "config=%25252e%25252e/c.json";
    hostile_config_encoded_slash_and_dot_dot: "config=a%252f..%252fc.json";
    hostile_config_plain_dot_dot: "config=../secret.json";
    hostile_config_dot_segment: "config=./c.json";
    hostile_config_absolute_url: "config=https://evil.example/c.json";
    hostile_config_uppercase_scheme: "config=HTTPS://evil.example/c.json";
    hostile_config_scheme_relative: "config=//evil.example/c.json";
    hostile_config_root_relative_leaves_the_folder: "config=/uploads/c.json";
    hostile_config_backslashes: "config=%5C%5Cevil.example%5Cc.json";
    hostile_config_data_url: "config=data:application/json,%7B%7D.json";
    hostile_config_javascript_url: "config=javascript:alert(1)//.json";
    hostile_config_query_after_the_name: "config=c.json%3Fx=.json";
    hostile_config_userinfo: "config=user@evil.example/c.json";
    hostile_config_broken_escape: "config=%2G.json";
    hostile_config_non_ascii_look_alike: "config=%EF%BC%8F%EF%BC%8Fevil.example%EF%BC%8Fc.json";
}

#[test]
fn hostile_config_overlong_name() {
    let q = format!("config={}.json", "a".repeat(200));
    let (p, e) = parse_query(&q);
    assert_eq!(p.config, None);
    assert!(e[0].message.contains("longer than 128"), "{}", e[0].message);
}

/// The browser's reading of an accepted name that would still leave the folder (a second check).
macro_rules! hostile_config_resolved {
    ($($name:ident: $origin:expr, $path:expr, $rest:expr;)*) => {$(
        #[test]
        fn $name() {
            assert!(within_folder("https://desk.example.com", "/agent-desktop/", $origin, $path, $rest).is_err());
        }
    )*};
}
hostile_config_resolved! {
    hostile_config_resolved_to_another_origin: "https://evil.example", "/agent-desktop/c.json", "";
    hostile_config_resolved_to_an_opaque_origin: "null", "/agent-desktop/c.json", "";
    hostile_config_resolved_above_the_folder: "https://desk.example.com", "/c.json", "";
    hostile_config_resolved_to_a_sibling_folder: "https://desk.example.com", "/agent-desktop-evil/c.json", "";
    hostile_config_resolved_with_a_query: "https://desk.example.com", "/agent-desktop/c.json", "?x";
}

/// `sip.server` tricks: each is refused, the setting keeps its default (empty), and the error says why.
macro_rules! hostile_sip_server {
    ($($name:ident: $url:expr;)*) => {$(
        #[test]
        fn $name() {
            assert!(check_ws_url($url).is_err(), "{:?} was accepted", $url);
            let mut s = Settings::default();
            let e = s.apply_json(Source::ConfigFile, &json!({"sip": {"server": $url}}));
            assert_eq!(s.sip.server, "", "{:?}", $url);
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].key, "sip.server");
        }
    )*};
}
hostile_sip_server! {
    hostile_sip_server_userinfo_passes_as_loopback: "ws://localhost:1@evil.example/";
    hostile_sip_server_userinfo_ipv6_loopback: "ws://[::1]@evil.example/";
    hostile_sip_server_userinfo_ipv4_loopback: "ws://127.0.0.1:80@evil.example:5066/ws";
    hostile_sip_server_userinfo_on_wss: "wss://agent:secret@pbx.example.com/ws";
    hostile_sip_server_encoded_at: "ws://localhost:1%40evil.example/";
    hostile_sip_server_tab_in_the_host: "ws://local\thost@evil.example/";
    hostile_sip_server_newline_in_the_host: "ws://localhost\n.evil.example/";
    hostile_sip_server_backslash_authority: "ws://evil.example\\@localhost/";
    hostile_sip_server_plain_ws_elsewhere: "ws://evil.example/";
    hostile_sip_server_uppercase_plain_ws_elsewhere: "WS://EVIL.EXAMPLE/";
    hostile_sip_server_loopback_lookalike_subdomain: "ws://localhost.evil.example/";
    hostile_sip_server_loopback_lookalike_ip: "ws://127.0.0.1.nip.io/";
    hostile_sip_server_trailing_dot: "ws://localhost./";
    hostile_sip_server_short_ipv4: "ws://127.1:5066/";
    hostile_sip_server_hex_ipv4: "ws://0x7f000001:5066/";
    hostile_sip_server_ipv6_mapped: "ws://[::ffff:127.0.0.1]:5066/";
    hostile_sip_server_other_scheme: "https://pbx.example.com/ws";
    hostile_sip_server_no_host: "wss:///ws";
    hostile_sip_server_fragment: "wss://pbx.example.com/ws#x";
}

/// `topDomain` tricks as they arrive in the URL (percent-encoded): refused, and the desktop runs standalone.
macro_rules! hostile_top_domain_query {
    ($($name:ident: $query:expr;)*) => {$(
        #[test]
        fn $name() {
            let (s, e) = resolve($query, None);
            assert_eq!(s.top_domain, None, "{} was accepted", $query);
            assert!(e.iter().any(|e| e.key == "topDomain"), "{e:?}");
        }
    )*};
}
hostile_top_domain_query! {
    hostile_top_domain_userinfo_encoded: "topDomain=https%3A%2F%2Facme.service-now.com%40evil.example";
    hostile_top_domain_double_encoded: "topDomain=https%253A%252F%252Fevil.example";
    hostile_top_domain_encoded_tab: "topDomain=https%3A%2F%2Fevil.exa%09mple";
    hostile_top_domain_encoded_newline_before_host: "topDomain=https%3A%2F%2F%0Aevil.example";
    hostile_top_domain_encoded_backslash: "topDomain=https%3A%2F%2Fevil.example%5C.acme.service-now.com";
    hostile_top_domain_encoded_percent_host: "topDomain=https%3A%2F%2Fevil%252Eexample";
}

/// A bounded fuzz of the page's query (a link anyone can craft) and of the addresses in the settings: random
/// pieces (percent escapes, possibly cut, of multibyte characters; brackets, ports at the edges of u16,
/// user info, backslashes, invisible characters) never make the reading panic (the release wasm aborts).
#[test]
fn hostile_random_queries_and_addresses_never_panic() {
    const PIECES: &[&str] = &[
        "?", "&", "=", "topDomain=", "config=", "demo=", "language=", "https://", "http://", "ws://", "wss://", "acme.service-now.com",
        "localhost", "127.0.0.1", "[", "]", "[::1]", ":", ":0", ":443", ":65535", ":65536", ":99999999999", "/", "\\", "@", "#", "%",
        "%2", "%2e", "%2E", "%25", "%252e", "%2f", "%C3", "%C3%A9", "%E2%82", "%F0%9F%98%80", "%zz", "+", "é", "€", "😀", "\u{200B}",
        "\t", " ", ".", "..", "site.json", "a/b.json", "es", "es-MX", "yes", "0",
    ];
    let mut x: u64 = 0xC0FF_EE00_1234_5679;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20_000 {
        let mut q = String::new();
        for _ in 0..1 + next() % 10 {
            q.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        let _ = resolve(&q, None);
        let _ = check_config_path(&q);
        let _ = check_ws_url(&q);
        let _ = crate::openframe::origin::TopDomain::parse(&q);
        let _ = crate::trust::origin_of(&q);
        let _ = within_folder("https://desk.example.com", &q, "https://desk.example.com", &q, "");
    }
}
