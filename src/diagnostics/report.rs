//! The support text of "Copy diagnostics" (pure): version, settings without secrets, browser, the last SIP
//! messages, the OpenFrame log, call statistics, self-check results and recent errors, redacted as a whole
//! at the end (the sections are built from values that should hold no secret; redaction makes sure).

use super::redact::redact;
use crate::config::Settings;

/// What goes into the support text; each list is printed as it is, one entry per line (or block).
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub version: String,
    pub generated: String,
    pub browser: String,
    pub page: String,
    pub settings: Vec<(String, String)>,
    pub status: Vec<(String, String)>,
    pub checks: Vec<String>,
    pub calls: Vec<String>,
    pub recents: Vec<String>,
    pub errors: Vec<String>,
    pub sip: Vec<String>,
    pub openframe: Vec<String>,
}

fn set(v: &str) -> String {
    if v.is_empty() { "no".into() } else { "yes".into() }
}

fn list(v: &[String]) -> String {
    if v.is_empty() { "—".into() } else { v.join(", ") }
}

/// The settings a support desk needs, without secrets: the TURN credential and user name only say whether
/// they are set (the SIP password is no setting: it is typed at sign-in).
pub fn settings_lines(s: &Settings) -> Vec<(String, String)> {
    let b = |x: bool| if x { "yes".to_string() } else { "no".to_string() };
    let sip = &s.sip;
    let sn = &s.servicenow;
    vec![
        ("config".into(), s.config_path.clone()),
        ("topDomain".into(), s.top_domain.as_ref().map(|t| t.origin()).unwrap_or_else(|| "—".into())),
        ("line".into(), if s.line == crate::config::LineKind::Sip { "sip".into() } else { "demo".into() }),
        ("sip.server".into(), sip.server.clone()),
        ("sip.domain".into(), sip.domain.clone()),
        ("sip.iceServers".into(), list(&sip.ice_servers)),
        // "name set: yes" (a secret's name followed by ':' would read as the secret itself and be redacted).
        ("sip.iceUsername set".into(), set(&sip.ice_username)),
        ("sip.iceCredential set".into(), set(&sip.ice_credential)),
        ("sip.iceTransportPolicy".into(), if sip.ice_relay_only { "relay".into() } else { "all".into() }),
        ("sip.dtmf".into(), if sip.dtmf_info { "info".into() } else { "rfc4733".into() }),
        ("sip.noAnswerSeconds".into(), sip.no_answer_seconds.to_string()),
        ("sip.messages".into(), if sip.accept_messages { "show".into() } else { "refuse".into() }),
        ("servicenow.instance".into(), sn.instance.as_ref().map(|t| t.origin()).unwrap_or_else(|| "—".into())),
        ("servicenow.clientId".into(), if sn.client_id.is_empty() { "agent-desktop (default)".into() } else { sn.client_id.clone() }),
        ("servicenow.activity".into(), match sn.activity {
            crate::config::ActivityStrategy::VoiceInteraction => "interaction".into(),
            crate::config::ActivityStrategy::PhoneLog => "phoneLog".into(),
            crate::config::ActivityStrategy::WorkNotes => "workNotes".into(),
        }),
        ("servicenow.screenPopTables".into(), list(&sn.pop_tables)),
        ("servicenow.activityTables".into(), list(&sn.activity_tables)),
        ("servicenow.trustCallData".into(), b(sn.trust_call_data)),
        ("wrapUp".into(), format!("{} ({} s)", b(s.wrap_up), s.wrap_up_seconds)),
        ("defaultCountry".into(), s.default_country.clone()),
    ]
}

/// The whole support text, redacted (`known`: the secrets the desktop holds, removed verbatim too).
pub fn render(r: &Report, known: &[&str]) -> String {
    let mut t = String::new();
    let mut section = |title: &str, lines: &[String]| {
        t.push_str("\n== ");
        t.push_str(title);
        t.push_str(" ==\n");
        if lines.is_empty() {
            t.push_str("(none)\n");
        }
        for l in lines {
            t.push_str(l.trim_end());
            t.push('\n');
        }
    };
    let kv = |v: &[(String, String)]| v.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>();
    section("Agent Desktop", &[format!("version: {}", r.version), format!("generated: {}", r.generated), format!("browser: {}", r.browser), format!("page: {}", r.page)]);
    section("Status", &kv(&r.status));
    section("Settings", &kv(&r.settings));
    section("Check my setup", &r.checks);
    section("Calls", &r.calls);
    section("Recent calls", &r.recents);
    section("Recent errors", &r.errors);
    section("SIP messages (last, oldest first)", &r.sip);
    section("OpenFrame messages (last, oldest first)", &r.openframe);
    redact(t.trim_start(), known)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_with_secrets() -> Settings {
        let mut s = Settings::default();
        s.sip.server = "wss://sip.example.test".into();
        s.sip.ice_servers = vec!["turn:turn.example.test:3478".into()];
        s.sip.ice_username = "agent-TURNUSER".into();
        s.sip.ice_credential = "TURN-CRED-SECRET".into();
        s
    }

    #[test]
    fn the_report_has_every_section() {
        let r = Report { version: "0.1.0".into(), settings: settings_lines(&Settings::default()), ..Report::default() };
        let text = render(&r, &[]);
        for s in ["version: 0.1.0", "== Settings ==", "== SIP messages", "== OpenFrame messages", "== Calls ==", "== Recent errors ==", "== Check my setup =="] {
            assert!(text.contains(s), "{s} missing:\n{text}");
        }
    }

    #[test]
    fn hostile_report_settings_never_show_the_turn_credential() {
        let s = settings_with_secrets();
        let text = render(&Report { settings: settings_lines(&s), ..Report::default() }, &[]);
        assert!(!text.contains("TURN-CRED-SECRET") && !text.contains("agent-TURNUSER"), "{text}");
        assert!(text.contains("sip.iceCredential set: yes") && text.contains("turn:turn.example.test:3478"), "{text}");
    }

    #[test]
    fn hostile_report_known_secrets_in_any_section_are_removed() {
        let r = Report {
            errors: vec!["SIP sign-in failed for 1001 with password sip-PW-typed".into()],
            sip: vec!["REGISTER sip:x SIP/2.0\nAuthorization: Digest response=\"abc\"".into()],
            openframe: vec!["← {\"type\":\"openframe_configuration\",\"iceCredential\":\"TURN-CRED-SECRET\"}".into()],
            calls: vec!["call 1: token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl".into()],
            ..Report::default()
        };
        let text = render(&r, &["sip-PW-typed", "TURN-CRED-SECRET"]);
        for secret in ["sip-PW-typed", "TURN-CRED-SECRET", "response=\"abc\"", "c2lnbmF0dXJl"] {
            assert!(!text.contains(secret), "{secret} survived:\n{text}");
        }
        assert!(text.contains("SIP sign-in failed for 1001"));
    }
}
