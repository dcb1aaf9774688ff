//! The support text of "Copy diagnostics" (pure): version, settings without secrets, browser, the last SIP
//! messages, the OpenFrame log, call statistics, self-check results and recent errors, redacted as a whole
//! at the end (the sections are built from values that should hold no secret; redaction makes sure).

use super::redact::redact;
use crate::config::Settings;

/// What goes into the support text; each list is printed as it is, one entry per line (or block).
/// `settings` and `status` hold `name: value` lines ([`kv`]).
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub version: String,
    pub generated: String,
    pub browser: String,
    pub page: String,
    pub settings: Vec<String>,
    pub status: Vec<String>,
    pub checks: Vec<String>,
    pub calls: Vec<String>,
    pub recents: Vec<String>,
    pub errors: Vec<String>,
    pub sip: Vec<String>,
    pub openframe: Vec<String>,
}

/// Adds the line `name: value` (one small function for every line: no formatting machinery at each use).
#[inline(never)]
pub fn kv(out: &mut Vec<String>, name: &str, value: &str) {
    let mut l = String::with_capacity(name.len() + 2 + value.len());
    l.push_str(name);
    l.push_str(": ");
    l.push_str(value);
    out.push(l);
}

fn yes(x: bool) -> &'static str {
    if x { "yes" } else { "no" }
}

fn list(v: &[String]) -> String {
    if v.is_empty() { "—".into() } else { crate::text::join(v, ", ") }
}

/// The settings a support desk needs, without secrets, as `name: value` lines: the TURN credential and user
/// name only say whether they are set (the SIP password is no setting: it is typed at sign-in).
pub fn settings_lines(s: &Settings) -> Vec<String> {
    let sip = &s.sip;
    let sn = &s.servicenow;
    let origin = |t: Option<&crate::openframe::origin::TopDomain>| t.map(|t| t.origin()).unwrap_or_else(|| "—".into());
    let mut o = Vec::new();
    kv(&mut o, "config", &s.config_path);
    kv(&mut o, "topDomain", &origin(s.top_domain.as_ref()));
    kv(&mut o, "line", if s.line == crate::config::LineKind::Sip { "sip" } else { "demo" });
    kv(&mut o, "sip.server", &sip.server);
    kv(&mut o, "sip.domain", &sip.domain);
    kv(&mut o, "sip.iceServers", &list(&sip.ice_servers));
    // "name set: yes" (a secret's name followed by ':' would read as the secret itself and be redacted).
    kv(&mut o, "sip.iceUsername set", yes(!sip.ice_username.is_empty()));
    kv(&mut o, "sip.iceCredential set", yes(!sip.ice_credential.is_empty()));
    kv(&mut o, "sip.iceTransportPolicy", if sip.ice_relay_only { "relay" } else { "all" });
    kv(&mut o, "sip.dtmf", if sip.dtmf_info { "info" } else { "rfc4733" });
    kv(&mut o, "sip.noAnswerSeconds", &sip.no_answer_seconds.to_string());
    kv(&mut o, "sip.messages", if sip.accept_messages { "show" } else { "refuse" });
    kv(&mut o, "servicenow.instance", &origin(sn.instance.as_ref()));
    kv(&mut o, "servicenow.clientId", if sn.client_id.is_empty() { "agent-desktop (default)" } else { &sn.client_id });
    kv(&mut o, "servicenow.activity", match sn.activity {
        crate::config::ActivityStrategy::VoiceInteraction => "interaction",
        crate::config::ActivityStrategy::PhoneLog => "phoneLog",
        crate::config::ActivityStrategy::WorkNotes => "workNotes",
    });
    kv(&mut o, "servicenow.screenPopTables", &list(&sn.pop_tables));
    kv(&mut o, "servicenow.activityTables", &list(&sn.activity_tables));
    kv(&mut o, "servicenow.trustCallData", yes(sn.trust_call_data));
    let mut w = String::from(yes(s.wrap_up));
    w.push_str(" (");
    w.push_str(&s.wrap_up_seconds.to_string());
    w.push_str(" s)");
    kv(&mut o, "wrapUp", &w);
    kv(&mut o, "defaultCountry", &s.default_country);
    o
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
    let mut head = Vec::new();
    kv(&mut head, "version", &r.version);
    kv(&mut head, "generated", &r.generated);
    kv(&mut head, "browser", &r.browser);
    kv(&mut head, "page", &r.page);
    section("Agent Desktop", &head);
    section("Status", &r.status);
    section("Settings", &r.settings);
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
