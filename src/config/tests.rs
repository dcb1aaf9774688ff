//! Host tests of the settings.
use super::*;
use crate::json::json;

#[test]
fn query_reads_top_domain_config_and_demo() {
    let (p, e) = parse_query("?topDomain=https%3A%2F%2Facme.service-now.com&config=site.json&demo=1");
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(p.top_domain.unwrap().unwrap().origin(), "https://acme.service-now.com");
    assert_eq!(p.config.as_deref(), Some("site.json"));
    assert_eq!(p.demo, Some(true));
}

#[test]
fn query_rejects_bad_values_visibly() {
    let (p, e) = parse_query("topDomain=*&config=https://evil.example/x.json&demo=maybe");
    assert!(matches!(p.top_domain, Some(Err(_))));
    assert_eq!(p.config, None);
    assert_eq!(p.demo, None);
    assert_eq!(e.len(), 2);
    assert!(e[0].to_string().contains("relative path"), "{}", e[0]);
    assert!(e[1].to_string().contains("demo=1"), "{}", e[1]);
    for bad in ["../secret.json", "//evil.example/c.json", "c.txt", "", "C:\\x.json"] {
        assert!(check_config_path(bad).is_err(), "{bad}");
    }
    assert_eq!(check_config_path("configs/site.json").unwrap(), "configs/site.json");
    assert_eq!(check_config_path("site-2_b.json").unwrap(), "site-2_b.json");
    assert_eq!(check_config_path("site%2Ejson").unwrap(), "site.json", "checked and used decoded");
    for bad in ["/configs/site.json", "a/b/c.json", ".json", "x/.json", ".hidden.json", "site.json/"] {
        assert!(check_config_path(bad).is_err(), "{bad}");
    }
}


#[test]
fn shipped_config_json_is_valid() {
    let text = include_str!("../../public/config.json");
    let (s, e) = resolve("", Some(text));
    assert!(e.is_empty(), "public/config.json has errors: {e:?}");
    assert_eq!(s.line, LineKind::Demo);
    assert!(!s.dispositions.is_empty());
}

#[test]
fn file_values_apply_and_bad_ones_keep_defaults() {
    let mut s = Settings::default();
    let e = s.apply_json(
        Source::ConfigFile,
        &json!({
            "title": "Support line",
            "wrapUpSeconds": 120,
            "dispositions": ["Solved", "Callback"],
            "defaultCountry": "gb",
            "wrapUpTimeout": "sometimes",
            "sip": {"server": "ws://sip.example.com", "domain": "example.com"},
            "colour": "blue"
        }),
    );
    assert_eq!(s.title, "Support line");
    assert_eq!(s.wrap_up_seconds, 120);
    assert_eq!(s.dispositions, vec!["Solved", "Callback"]);
    assert_eq!(s.default_country, "US");
    assert_eq!(s.wrap_up_timeout, WrapUpTimeout::Warn);
    assert_eq!(s.sip.server, "");
    assert_eq!(s.sip.domain, "example.com");
    let keys: Vec<_> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys.len(), 4, "{e:?}");
    for k in ["defaultCountry", "wrapUpTimeout", "sip.server", "colour"] {
        assert!(keys.contains(&k), "missing error for {k}: {keys:?}");
    }
}

#[test]
fn invalid_json_and_non_objects_are_reported() {
    let (_, e) = resolve("", Some("{\"title\": "));
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("not valid JSON"));
    let (_, e) = resolve("", Some("[1,2]"));
    assert_eq!(e[0].key, "", "about the whole file");
    assert_eq!(e[0].to_string(), "config.json: must be a JSON object such as {\"line\": \"sip\"}");
}

#[test]
fn sip_call_policies() {
    use crate::phone::sip::ua::ReferPolicy;
    let (s, e) = resolve("", None);
    assert!(e.is_empty());
    assert_eq!((s.sip.no_answer_seconds, s.sip.refer_policy, s.sip.accept_messages), (60, ReferPolicy::Ask, false));
    let (s, e) = resolve("", Some(r#"{"referPolicy":"never","sip":{"noAnswerSeconds":0,"messages":"show"}}"#));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!((s.sip.no_answer_seconds, s.sip.refer_policy, s.sip.accept_messages), (0, ReferPolicy::Never, true));
    let (s, _) = resolve("", Some(r#"{"sip":{"referPolicy":"domain"}}"#));
    assert_eq!(s.sip.refer_policy, ReferPolicy::Domain);
    let (s, e) = resolve("", Some(r#"{"referPolicy":"always","sip":{"noAnswerSeconds":-1,"messages":1}}"#));
    assert_eq!(s.sip.refer_policy, ReferPolicy::Ask, "a bad value keeps the safe default");
    assert_eq!(e.len(), 3, "{e:?}");
}

#[test]
fn sip_line_settings_and_url_demo_overrides() {
    let (s, e) = resolve("", Some(r#"{"line":"sip","sip":{"dtmf":"info"}}"#));
    assert_eq!(s.line, LineKind::Sip);
    assert!(e.is_empty(), "the sign-in form asks for a missing server: {e:?}");
    assert!(s.sip.dtmf_info);
    let (s, e) = resolve("", Some(r#"{"sip":{"iceServers":["turn:turn.example.com:3478?transport=tcp"],"iceUsername":"agent","iceCredential":"pw","iceTransportPolicy":"relay"}}"#));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!((s.sip.ice_username.as_str(), s.sip.ice_credential.as_str(), s.sip.ice_relay_only), ("agent", "pw", true));
    let (s, e) = resolve("", Some(r#"{"sip":{"iceTransportPolicy":"direct"}}"#));
    assert!(!s.sip.ice_relay_only && e.len() == 1, "{e:?}");
    let (_, e) = resolve("", Some(r#"{"sip":{"dtmf":"beeps"}}"#));
    assert_eq!(e[0].key, "sip.dtmf");
    let (s, e) = resolve("demo=1", Some(r#"{"line":"sip"}"#));
    assert_eq!(s.line, LineKind::Demo);
    assert!(e.is_empty());
    let (s, e) = resolve("", Some(r#"{"line":"sip","sip":{"server":"wss://pbx.example.com:7443/ws","domain":"Example.com"}}"#));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(s.sip.domain, "example.com");
    let (s, _) = resolve("", Some(r#"{"sip":{"server":"ws://127.0.0.1:5066"}}"#));
    assert_eq!(s.sip.server, "ws://127.0.0.1:5066");
}

#[test]
fn lists_and_speed_dials_are_validated() {
    let mut s = Settings::default();
    let e = s.apply_json(Source::ConfigFile, &json!({"notReadyReasons": ["Break", "Break"]}));
    assert_eq!(e.len(), 1);
    assert_eq!(s.not_ready_reasons, Settings::default().not_ready_reasons);
    let e = s.apply_json(Source::ConfigFile, &json!({"notReadyReasons": "Break, Lunch ,"}));
    assert!(e.is_empty());
    assert_eq!(s.not_ready_reasons, vec!["Break", "Lunch"]);
    let e = s.apply_json(
        Source::ConfigFile,
        &json!({"speedDials": [{"name": "Desk", "number": "+1 (415) 555-0100"}, {"name": "x", "number": "abc"}]}),
    );
    assert_eq!(e.len(), 1);
    assert!(s.speed_dials.is_empty());
    let e = s.apply_json(Source::ConfigFile, &json!({"speedDials": [{"name": "Desk", "number": "+1 (415) 555-0100"}]}));
    assert!(e.is_empty());
    assert_eq!(s.speed_dials[0].name, "Desk");
}

#[test]
fn openframe_configuration_sits_between_file_and_url() {
    let of = json!({"title": "From ServiceNow", "line": "sip", "sip": {"server": "wss://pbx.example.com"}});
    let (s, e) = resolve_layers("demo=1", Some(r#"{"title":"From file","wrapUpSeconds":5}"#), Some(&of));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(s.title, "From ServiceNow");
    assert_eq!(s.wrap_up_seconds, 5);
    assert_eq!(s.line, LineKind::Demo, "the URL wins");
    let (_, e) = resolve_layers("", None, Some(&json!({"bogus": 1})));
    assert_eq!(e[0].source, Source::OpenFrame);
    assert!(e[0].to_string().starts_with("OpenFrame configuration setting 'bogus'"), "{}", e[0]);
}

#[test]
fn servicenow_settings() {
    let mut s = Settings::default();
    let e = s.apply_json(
        Source::ConfigFile,
        &json!({"servicenow": {"instance": "https://acme.service-now.com", "clientId": "abc", "activity": "phone_log"}}),
    );
    assert!(e.is_empty());
    assert_eq!(s.servicenow.activity, ActivityStrategy::PhoneLog);
    let e = s.apply_json(Source::ConfigFile, &json!({"servicenow": {"instance": "http://acme.service-now.com"}}));
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("instance"));
}

/// ICE settings of the wrong kind (from config.json or ServiceNow's configuration record) are reported and
/// change nothing: no relay-only policy, no credential.
macro_rules! hostile_ice_setting {
    ($name:ident, $json:expr) => {
        #[test]
        fn $name() {
            let (s, e) = resolve("", Some(&$json.to_string()));
            assert_eq!(e.len(), 1, "{e:?}");
            let d = Settings::default();
            assert_eq!(
                (s.sip.ice_relay_only, &s.sip.ice_username, &s.sip.ice_credential),
                (d.sip.ice_relay_only, &d.sip.ice_username, &d.sip.ice_credential)
            );
        }
    };
}
hostile_ice_setting!(hostile_ice_policy_not_exactly_relay, json!({"sip": {"iceTransportPolicy": "RELAY"}}));
hostile_ice_setting!(hostile_ice_policy_not_text, json!({"sip": {"iceTransportPolicy": {"relay": true}}}));
hostile_ice_setting!(hostile_ice_credential_oversized, json!({"sip": {"iceCredential": "x".repeat(300)}}));
hostile_ice_setting!(hostile_ice_username_not_text, json!({"sip": {"iceUsername": {"$ne": 1}}}));
