//! Settings: defaults, `config.json`, the OpenFrame `configuration` field and the URL query.
//!
//! Pure code. Every bad value is reported as a [`ConfigError`] naming the setting, what was wrong and what to
//! write instead; the setting then keeps its default so the desktop still starts. The UI shows these errors.

use crate::openframe::origin::TopDomain;
use crate::json::{Map, Value};
use crate::strings::{Key as K, Msg};
use std::fmt;

/// Where a setting came from, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Url,
    ConfigFile,
    OpenFrame,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Url => crate::strings::CFG_IN_URL(),
            Source::ConfigFile => "config.json",
            Source::OpenFrame => crate::strings::CFG_IN_OPENFRAME(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub source: Source,
    /// The setting, empty when the error is about the whole source (not JSON, not an object).
    pub key: String,
    /// Kept as data: shown in the language of the moment (see [`Msg`]).
    pub message: Msg,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (source, message) = (self.source.to_string(), self.message.render());
        let values = [("source", source.as_str()), ("key", self.key.as_str()), ("message", message.as_str())];
        f.write_str(&crate::strings::fill(if self.key.is_empty() { crate::strings::CFG_ERROR_WHOLE() } else { crate::strings::CFG_ERROR() }, &values))
    }
}

/// Which phone line the desktop uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// The built-in simulated line (no server needed).
    Demo,
    /// SIP over WebSocket to the configured server.
    Sip,
}

/// What happens when the wrap-up countdown reaches zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrapUpTimeout {
    Complete,
    Warn,
}

/// When the caller's record is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScreenPopWhen {
    OnAlert,
    OnAnswer,
    Never,
}

/// How call activity is written to ServiceNow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityStrategy {
    VoiceInteraction,
    PhoneLog,
    WorkNotes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpeedDial {
    pub name: String,
    pub number: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipSettings {
    /// `wss://` (or `ws://` on loopback) URL of the SIP server's WebSocket.
    pub server: String,
    /// SIP domain of the agent's address of record.
    pub domain: String,
    pub ice_servers: Vec<String>,
    /// TURN long-term credentials, given to the `turn:`/`turns:` servers of `ice_servers`.
    pub ice_username: String,
    pub ice_credential: String,
    /// `iceTransportPolicy: "relay"`: media only through the TURN servers (never a direct or STUN path).
    pub ice_relay_only: bool,
    /// Send DTMF by SIP INFO instead of in the audio (RFC 4733).
    pub dtmf_info: bool,
    /// `sip.noAnswerSeconds`: an outgoing call ringing this long is cancelled (0: never). Default 60.
    pub no_answer_seconds: u32,
    /// `referPolicy` (or `sip.referPolicy`): `ask` (default), `domain` or `never`.
    pub refer_policy: crate::phone::sip::ua::ReferPolicy,
    /// `sip.messages`: `show` answers MESSAGE 200 and shows it; `refuse` (default) answers 405.
    pub accept_messages: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNowSettings {
    pub instance: Option<TopDomain>,
    pub client_id: String,
    pub activity: ActivityStrategy,
    /// Tables a call's own data (`X-SN-Table`) may open on screen.
    pub pop_tables: Vec<String>,
    /// Tables call activity may be written to (as work notes, or linked from the phone log).
    pub activity_tables: Vec<String>,
    /// `trustCallData`: a call's `X-SN-*` / `X-Case-Number` open their record by themselves (only when the SBC
    /// strips them from external calls and sets them itself). Otherwise they are a hint, checked against the caller.
    pub trust_call_data: bool,
    /// `phoneLogTaskField`: the phone log's reference field to its task (instance-specific; default `task`).
    pub phone_log_task_field: String,
}

/// The default of both table allowlists: the task tables the desktop works with (cases and interactions).
pub const DEFAULT_TASK_TABLES: [&str; 2] = ["sn_customerservice_case", "interaction"];

/// A ServiceNow table name: lower-case letters, digits and `_`, up to 80 characters.
pub fn valid_table(t: &str) -> bool {
    !t.is_empty() && t.len() <= 80 && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Everything configurable about the desktop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub top_domain: Option<TopDomain>,
    pub config_path: String,
    pub title: String,
    pub line: LineKind,
    pub sip: SipSettings,
    pub default_country: String,
    pub not_ready_reasons: Vec<String>,
    pub dispositions: Vec<String>,
    pub disposition_required: bool,
    /// After Call Work with a wrap-up form; when false the activity is written as soon as the call ends.
    pub wrap_up: bool,
    pub wrap_up_seconds: u32,
    pub wrap_up_timeout: WrapUpTimeout,
    pub reject_when_busy: bool,
    pub return_to_previous_state: bool,
    pub speed_dials: Vec<SpeedDial>,
    pub queues: Vec<SpeedDial>,
    pub screen_pop: ScreenPopWhen,
    /// Keyboard shortcuts overriding the defaults: (action, combination).
    pub shortcuts: Vec<(String, String)>,
    pub servicenow: ServiceNowSettings,
    /// The language of the texts (`en`, `es`, ...), empty to follow the browser (see `strings`).
    pub language: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            top_domain: None,
            config_path: "config.json".into(),
            title: "Agent Desktop".into(),
            line: LineKind::Demo,
            sip: SipSettings {
                server: String::new(),
                domain: String::new(),
                ice_servers: Vec::new(),
                ice_username: String::new(),
                ice_credential: String::new(),
                ice_relay_only: false,
                dtmf_info: false,
                no_answer_seconds: 60,
                refer_policy: crate::phone::sip::ua::ReferPolicy::Ask,
                accept_messages: false,
            },
            default_country: "US".into(),
            not_ready_reasons: vec!["Break".into(), "Lunch".into(), "Meeting".into(), "Training".into()],
            dispositions: vec!["Resolved".into(), "Follow-up needed".into(), "Escalated".into(), "Wrong number".into()],
            disposition_required: true,
            wrap_up: true,
            wrap_up_seconds: 60,
            wrap_up_timeout: WrapUpTimeout::Warn,
            reject_when_busy: true,
            return_to_previous_state: true,
            speed_dials: Vec::new(),
            queues: Vec::new(),
            shortcuts: Vec::new(),
            screen_pop: ScreenPopWhen::OnAlert,
            servicenow: ServiceNowSettings {
                instance: None,
                client_id: String::new(),
                activity: ActivityStrategy::WorkNotes,
                pop_tables: default_task_tables(),
                activity_tables: default_task_tables(),
                phone_log_task_field: "task".into(),
                trust_call_data: false,
            },
            language: String::new(),
        }
    }
}

/// The URL query as the desktop understands it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryParams {
    pub top_domain: Option<Result<TopDomain, Msg>>,
    pub config: Option<String>,
    pub demo: Option<bool>,
    pub language: Option<String>,
}

/// Reads `topDomain`, `config` and `demo` from a query string (with or without the leading `?`).
pub fn parse_query(query: &str) -> (QueryParams, Vec<ConfigError>) {
    let mut params = QueryParams::default();
    let mut errors = Vec::new();
    let q = query.strip_prefix('?').unwrap_or(query);
    for (key, value) in form::parse(q) {
        let err = |message: Msg| ConfigError { source: Source::Url, key: key.to_string(), message };
        match key.as_str() {
            "topDomain" => params.top_domain = Some(TopDomain::parse(&value).map_err(|e| e.msg("topDomain".into()))),
            "config" => match check_config_path(&value) {
                Ok(p) => params.config = Some(p),
                Err(m) => errors.push(err(m)),
            },
            "language" => match crate::strings::check_language(&value) {
                Ok(l) => params.language = Some(l),
                Err(m) => errors.push(err(m.into())),
            },
            "demo" => match parse_bool_text(&value) {
                Some(b) => params.demo = Some(b),
                None => errors.push(err(K::CFG_NOT_YES_NO.arg("value", &value))),
            },
            _ => {}
        }
    }
    (params, errors)
}

/// Longest `config` value accepted.
pub const MAX_CONFIG_PATH: usize = 128;

/// Decodes `%XX` escapes once; None when a `%` is not followed by two hex digits or the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(form::hex2(*b.get(i + 1)?, *b.get(i + 2)?)?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// [`DEFAULT_TASK_TABLES`] as owned names (one loop for both lists that start with them).
fn default_task_tables() -> Vec<String> {
    let mut v = Vec::new();
    for t in DEFAULT_TASK_TABLES {
        v.push(t.to_string());
    }
    v
}

/// The `config` parameter may only name a file next to the desktop: `name.json` or `folder/name.json`,
/// letters, digits, `.`, `_` and `-` only, checked after every layer of percent-encoding is undone (a
/// browser undoes `%2e` in a path; `%252e` becomes `%2e` after the query is read). Loading settings from
/// anywhere else would let a crafted link point the phone at someone else's server.
pub fn check_config_path(value: &str) -> Result<String, Msg> {
    let mut shown = String::new();
    for c in value.chars().take(MAX_CONFIG_PATH) {
        if !c.is_control() {
            shown.push(c);
        }
    }
    let refuse = |why: Msg| Err(K::CFG_PATH_REFUSED.arg("path", &shown).arg_msg("why", why));
    let mut v = value.to_string();
    for _ in 0..4 {
        if !v.contains('%') {
            break;
        }
        match percent_decode(&v) {
            Some(d) => v = d,
            None => return refuse(K::CFG_PATH_NOT_PLAIN.into()),
        }
    }
    if v.len() > MAX_CONFIG_PATH {
        return refuse(K::CFG_TOO_LONG.arg("max", &MAX_CONFIG_PATH));
    }
    let plain = |seg: &str| !seg.is_empty() && !seg.starts_with('.') && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    // At most two parts, each plain (counted as they come: no list of them).
    for (i, p) in crate::text::split_byte(&v, b'/').enumerate() {
        if i >= 2 || !plain(p) {
            return refuse(K::CFG_PATH_NOT_RELATIVE.into());
        }
    }
    if !v.ends_with(".json") || v.ends_with("/.json") {
        return refuse(K::CFG_PATH_NOT_JSON.into());
    }
    Ok(v)
}

/// The URL API's reading of the config path (`new URL(path, document.baseURI)`) must stay on the page's
/// origin and under the page's folder, with no query or fragment: a second check, by the browser's own
/// parser, that nothing in the name was read differently.
pub fn within_folder(page_origin: &str, page_path: &str, url_origin: &str, url_path: &str, url_rest: &str) -> Result<(), Msg> {
    let folder = crate::text::upto(page_path, crate::text::rfind_byte(page_path, b'/').map(|i| i + 1).unwrap_or(0));
    if url_origin != page_origin || url_origin == "null" || !url_rest.is_empty() || !url_path.starts_with(folder) || folder.is_empty() {
        return Err(K::CFG_OUTSIDE_FOLDER.arg("folder", &format_args!("{page_origin}{folder}")));
    }
    Ok(())
}

fn parse_bool_text(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

struct Applier<'a> {
    source: Source,
    errors: &'a mut Vec<ConfigError>,
}

impl Applier<'_> {
    fn err(&mut self, key: &str, message: impl Into<Msg>) {
        self.errors.push(ConfigError { source: self.source, key: key.to_string(), message: message.into() });
    }

    /// The index of `v` among `names`, else an error listing them (`"a", "b"`).
    fn choice(&mut self, key: &str, v: &Value, names: &[&str]) -> Option<usize> {
        let i = v.as_str().and_then(|s| names.iter().position(|n| *n == s));
        if i.is_none() {
            let mut values = String::new();
            for n in names {
                if !values.is_empty() {
                    values.push_str(", ");
                }
                values.push('"');
                values.push_str(n);
                values.push('"');
            }
            self.err(key, K::CFG_ONE_OF.arg("values", &values));
        }
        i
    }

    fn string(&mut self, key: &str, v: &Value, max: usize) -> Option<String> {
        match v {
            Value::String(s) if s.chars().count() <= max => Some(s.trim().to_string()),
            Value::String(_) => {
                self.err(key, K::CFG_TOO_LONG.arg("max", &max));
                None
            }
            _ => {
                self.err(key, K::CFG_NOT_TEXT);
                None
            }
        }
    }

    fn bool(&mut self, key: &str, v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => {
                let b = parse_bool_text(s).filter(|_| !s.trim().is_empty());
                if b.is_none() {
                    self.err(key, K::CFG_NOT_TRUE_FALSE.arg("value", s));
                }
                b
            }
            _ => {
                self.err(key, K::CFG_NOT_BOOL);
                None
            }
        }
    }

    fn uint(&mut self, key: &str, v: &Value, max: u32) -> Option<u32> {
        let n = match v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => crate::uint::<u64>(s.trim()),
            _ => None,
        };
        match n {
            Some(n) if n <= max as u64 => Some(n as u32),
            _ => {
                self.err(key, K::CFG_NOT_UINT.arg("max", &max));
                None
            }
        }
    }

    fn list(&mut self, key: &str, v: &Value) -> Option<Vec<String>> {
        let items: Vec<Value> = match v {
            Value::Array(a) => a.clone(),
            // key=value lines give lists as comma-separated text.
            Value::String(s) => {
                let mut items = Vec::new();
                for x in crate::text::split_byte(s, b',') {
                    items.push(Value::String(x.trim().to_string()));
                }
                items
            }
            _ => {
                self.err(key, K::CFG_NOT_LIST);
                return None;
            }
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Value::String(s) if !s.trim().is_empty() && s.chars().count() <= 80 => {
                    let s = s.trim().to_string();
                    if out.contains(&s) {
                        self.err(key, K::CFG_TWICE.arg("item", &s));
                        return None;
                    }
                    out.push(s)
                }
                Value::String(s) if s.trim().is_empty() => {}
                _ => {
                    self.err(key, K::CFG_LONG_ITEMS);
                    return None;
                }
            }
        }
        Some(out)
    }
}

/// A SIP WebSocket address must be `wss://`, or `ws://` only for a server on this computer (`localhost`,
/// `127.0.0.1`; not `[::1]`, which the page's connect-src cannot name), read strictly (see [`crate::openframe::origin::split_url`]): no user info, no
/// backslash, no invisible characters, no fragment. Returns the address with scheme and host in lower case.
pub fn check_ws_url(url: &str) -> Result<String, Msg> {
    use crate::openframe::origin::{is_loopback_host, split_url};
    let p = split_url(url).map_err(|e| e.msg(K::SIP_SERVER_ADDRESS.into()))?;
    let scheme = match p.scheme.as_str() {
        _ if p.tail.contains('#') => return Err(K::CFG_WS_FRAGMENT.into()),
        "wss" => "wss://",
        "ws" if is_loopback_host(&p.host) => "ws://",
        "ws" => return Err(K::CFG_WS_PLAIN.arg("host", &p.host)),
        _ => return Err(K::CFG_WS_SCHEME.into()),
    };
    // Written in place (no format! of the port and again of the address).
    let mut out = crate::servicenow::rest::concat(&[scheme, &p.host]);
    if let Some(n) = p.port {
        out.push(':');
        crate::json::write_u64(&mut out, n.into());
    }
    out.push_str(&p.tail);
    Ok(out)
}

/// A list of `{"name", "number"}` entries (speed dials, queues).
fn parse_dials(a: &mut Applier<'_>, key: &str, v: &Value) -> Option<Vec<SpeedDial>> {
    let Value::Array(items) = v else {
        a.err(key, K::CFG_NOT_DIALS);
        return None;
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let k = format!("{key}[{i}]");
        let name = item.get("name").and_then(Value::as_str).map(str::trim).unwrap_or("");
        let number = item.get("number").and_then(Value::as_str).map(str::trim).unwrap_or("");
        let digits = number.chars().filter(|c| c.is_ascii_digit()).count();
        if name.is_empty() || number.is_empty() {
            a.err(&k, K::CFG_DIAL_INCOMPLETE);
            return None;
        }
        if digits == 0 || number.chars().any(|c| !(c.is_ascii_digit() || crate::text::one_of(c, " +-().*#"))) {
            a.err(&k, K::NOT_A_PHONE_NUMBER.arg("target", &number));
            return None;
        }
        out.push(SpeedDial { name: name.to_string(), number: number.to_string() });
    }
    Some(out)
}

fn check_country(c: &str) -> bool {
    c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase())
}

impl Settings {
    /// Applies one JSON object of settings (from config.json or the OpenFrame configuration field).
    /// Bad values are reported and leave the setting as it was. Unknown keys are reported too, so a typo
    /// in an admin's configuration does not go unnoticed.
    pub fn apply_json(&mut self, source: Source, value: &Value) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let Value::Object(map) = value else {
            errors.push(ConfigError {
                source,
                key: String::new(),
                message: K::CFG_NOT_OBJECT.into(),
            });
            return errors;
        };
        let mut a = Applier { source, errors: &mut errors };
        for (key, v) in map {
            self.apply_one(&mut a, key, v);
        }
        errors
    }

    fn apply_one(&mut self, a: &mut Applier<'_>, key: &str, v: &Value) {
        match key {
            "title" => {
                if let Some(s) = a.string(key, v, 256) {
                    if s.is_empty() {
                        a.err(key, K::CFG_EMPTY);
                    } else {
                        self.title = s;
                    }
                }
            }
            "language" => match v.as_str().map(crate::strings::check_language) {
                Some(Ok(l)) => self.language = l,
                Some(Err(m)) => a.err(key, m),
                None => a.err(key, crate::strings::language_unknown()),
            },
            "line" => {
                if let Some(i) = a.choice(key, v, &["demo", "sip"]) {
                    self.line = [LineKind::Demo, LineKind::Sip][i];
                }
            }
            "referPolicy" => {
                let mut m = Map::new();
                m.insert("referPolicy".into(), v.clone());
                self.apply_sip(a, &m);
            }
            "sip" => match v {
                Value::Object(m) => self.apply_sip(a, m),
                _ => a.err(key, K::CFG_SIP_NOT_OBJECT),
            },
            "defaultCountry" => {
                if let Some(s) = a.string(key, v, 2) {
                    if check_country(&s) {
                        self.default_country = s;
                    } else {
                        a.err(key, K::CFG_COUNTRY.arg("value", &s));
                    }
                }
            }
            "notReadyReasons" => {
                if let Some(l) = a.list(key, v) {
                    self.not_ready_reasons = l;
                }
            }
            "dispositions" => {
                if let Some(l) = a.list(key, v) {
                    self.dispositions = l;
                }
            }
            "dispositionRequired" => {
                if let Some(b) = a.bool(key, v) {
                    self.disposition_required = b;
                }
            }
            "wrapUp" => {
                if let Some(b) = a.bool(key, v) {
                    self.wrap_up = b;
                }
            }
            "wrapUpSeconds" => {
                if let Some(n) = a.uint(key, v, 3600) {
                    self.wrap_up_seconds = n;
                }
            }
            "wrapUpTimeout" => {
                if let Some(i) = a.choice(key, v, &["complete", "warn"]) {
                    self.wrap_up_timeout = [WrapUpTimeout::Complete, WrapUpTimeout::Warn][i];
                }
            }
            "rejectWhenBusy" => {
                if let Some(b) = a.bool(key, v) {
                    self.reject_when_busy = b;
                }
            }
            "returnToPreviousState" => {
                if let Some(b) = a.bool(key, v) {
                    self.return_to_previous_state = b;
                }
            }
            "speedDials" => {
                if let Some(l) = parse_dials(a, "speedDials", v) {
                    self.speed_dials = l;
                }
            }
            "queues" => {
                if let Some(l) = parse_dials(a, "queues", v) {
                    self.queues = l;
                }
            }
            "screenPop" => {
                if let Some(i) = a.choice(key, v, &["alert", "answer", "never"]) {
                    self.screen_pop = [ScreenPopWhen::OnAlert, ScreenPopWhen::OnAnswer, ScreenPopWhen::Never][i];
                }
            }
            "shortcuts" => match v {
                Value::Object(m) => {
                    let mut out = Vec::new();
                    for (action, combo) in m {
                        let ck = crate::servicenow::rest::concat(&["shortcuts.", action]);
                        if !shortcuts::ACTIONS.iter().any(|(a, _)| a == action) {
                            a.err(&ck, K::CFG_NOT_ACTION);
                            continue;
                        }
                        match combo.as_str().map(shortcuts::Combo::parse) {
                            Some(Ok(_)) => out.push((action.clone(), combo.as_str().unwrap().to_string())),
                            Some(Err(m)) => a.err(&ck, m),
                            None => a.err(&ck, K::CFG_SHORTCUT_NOT_TEXT),
                        }
                    }
                    self.shortcuts = out;
                }
                _ => a.err(key, K::CFG_SHORTCUTS_NOT_OBJECT),
            },
            "servicenow" => match v {
                Value::Object(m) => self.apply_servicenow(a, m),
                _ => a.err(key, K::CFG_SN_NOT_OBJECT),
            },
            k if k.starts_with('_') || k == "$comment" => {} // documentation keys
            _ => a.err(key, K::CFG_UNKNOWN),
        }
    }

    fn apply_sip(&mut self, a: &mut Applier<'_>, m: &Map) {
        for (k, v) in m {
            let key = crate::servicenow::rest::concat(&["sip.", k]);
            match k.as_str() {
                "server" => {
                    if let Some(s) = a.string(&key, v, 512) {
                        match (s.is_empty(), check_ws_url(&s)) {
                            (true, _) => self.sip.server.clear(),
                            (false, Ok(url)) => self.sip.server = url,
                            (false, Err(m)) => a.err(&key, m),
                        }
                    }
                }
                "domain" => {
                    if let Some(s) = a.string(&key, v, 253) {
                        if !s.is_empty() && !crate::openframe::origin::valid_host(&s.to_ascii_lowercase()) {
                            a.err(&key, K::CFG_DOMAIN.arg("value", &s));
                        } else {
                            self.sip.domain = s.to_ascii_lowercase();
                        }
                    }
                }
                "dtmf" => {
                    if let Some(i) = a.choice(&key, v, &["rfc4733", "info"]) {
                        self.sip.dtmf_info = i == 1;
                    }
                }
                "noAnswerSeconds" => {
                    if let Some(n) = a.uint(&key, v, 3_600) {
                        self.sip.no_answer_seconds = n;
                    }
                }
                "referPolicy" => match v.as_str().and_then(crate::phone::sip::ua::ReferPolicy::parse) {
                    Some(p) => self.sip.refer_policy = p,
                    None => a.err(&key, K::CFG_ONE_OF.arg("values", &"\"ask\", \"domain\", \"never\"")),
                },
                "messages" => {
                    if let Some(i) = a.choice(&key, v, &["show", "refuse"]) {
                        self.sip.accept_messages = i == 0;
                    }
                }
                "iceServers" => {
                    if let Some(l) = a.list(&key, v) {
                        let scheme_ok = |u: &str| u.starts_with("stun:") || u.starts_with("turn:") || u.starts_with("turns:");
                        if let Some(bad) = l.iter().find(|u| !scheme_ok(u) || !u.bytes().all(|b| b.is_ascii_graphic())) {
                            a.err(&key, K::CFG_ICE_SCHEME.arg("value", bad));
                        } else {
                            self.sip.ice_servers = l;
                        }
                    }
                }
                "iceUsername" => {
                    if let Some(s) = a.string(&key, v, 256) {
                        self.sip.ice_username = s;
                    }
                }
                "iceCredential" => {
                    if let Some(s) = a.string(&key, v, 256) {
                        self.sip.ice_credential = s;
                    }
                }
                "iceTransportPolicy" => {
                    if let Some(i) = a.choice(&key, v, &["all", "relay"]) {
                        self.sip.ice_relay_only = i == 1;
                    }
                }
                _ => a.err(&key, K::CFG_UNKNOWN),
            }
        }
    }

    fn apply_servicenow(&mut self, a: &mut Applier<'_>, m: &Map) {
        for (k, v) in m {
            let key = crate::servicenow::rest::concat(&["servicenow.", k]);
            match k.as_str() {
                "instance" => {
                    if let Some(s) = a.string(&key, v, 512) {
                        if s.is_empty() {
                            self.servicenow.instance = None;
                        } else {
                            match TopDomain::parse(&s) {
                                Ok(t) => self.servicenow.instance = Some(t),
                                Err(e) => a.err(&key, e.msg("instance".into())),
                            }
                        }
                    }
                }
                "clientId" => {
                    if let Some(s) = a.string(&key, v, 128) {
                        self.servicenow.client_id = s;
                    }
                }
                "activity" => {
                    if let Some(i) = a.choice(&key, v, &["voice_interaction", "phone_log", "work_notes"]) {
                        self.servicenow.activity = [ActivityStrategy::VoiceInteraction, ActivityStrategy::PhoneLog, ActivityStrategy::WorkNotes][i];
                    }
                }
                "phoneLogTaskField" => {
                    if let Some(f) = a.string(&key, v, 80) {
                        if valid_table(&f) {
                            self.servicenow.phone_log_task_field = f;
                        } else {
                            a.err(&key, K::CFG_FIELD_NAME);
                        }
                    }
                }
                "trustCallData" => {
                    if let Some(b) = a.bool(&key, v) {
                        self.servicenow.trust_call_data = b;
                    }
                }
                "screenPopTables" | "activityTables" => {
                    if let Some(l) = a.list(&key, v) {
                        if let Some(bad) = l.iter().find(|t| !valid_table(t)) {
                            a.err(&key, K::CFG_TABLE.arg("value", bad));
                        } else if k == "screenPopTables" {
                            self.servicenow.pop_tables = l;
                        } else {
                            self.servicenow.activity_tables = l;
                        }
                    }
                }
                _ => a.err(&key, K::CFG_UNKNOWN),
            }
        }
    }

    /// Applies the URL query on top of the file settings (the URL wins for `demo`).
    pub fn apply_query(&mut self, q: &QueryParams) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        match &q.top_domain {
            Some(Ok(t)) => self.top_domain = Some(t.clone()),
            Some(Err(m)) => errors.push(ConfigError { source: Source::Url, key: "topDomain".into(), message: m.clone() }),
            None => {}
        }
        if let Some(c) = &q.config {
            self.config_path = c.clone();
        }
        if let Some(l) = &q.language {
            self.language = l.clone();
        }
        if let Some(d) = q.demo {
            self.line = if d { LineKind::Demo } else { LineKind::Sip };
        }
        errors
    }

    /// Problems that make the chosen line unusable (checked after all sources are applied).
    pub fn check(&self) -> Vec<ConfigError> {
        let _ = self;
        // The SIP server may be left out: the sign-in form asks for it.
        Vec::new()
    }
}

/// Parses config.json text. A file that is not JSON yields one clear error and no changes.
pub fn parse_config_text(source: Source, text: &str) -> Result<Value, ConfigError> {
    let refuse = |message: Msg| ConfigError { source, key: String::new(), message };
    if text.len() > MAX_CONFIG_TEXT {
        return Err(refuse(K::CFG_TOO_LONG.arg("max", &MAX_CONFIG_TEXT)));
    }
    let v = crate::json::parse(text).map_err(|e| refuse(K::CFG_NOT_JSON.arg("line", &e.line()).arg("column", &e.column())))?;
    check_config_depth(&v).map_err(refuse)?;
    Ok(v)
}

/// The longest settings text read (config.json, the OpenFrame record's `configuration` field): real ones are a
/// few KB; a longer one is refused whole rather than parsed.
pub const MAX_CONFIG_TEXT: usize = 64 * 1024;
/// How deep settings may nest. Real settings are two or three levels deep (`sip.server`, `shortcuts.answer`);
/// the limit keeps a hostile record from building values so deep that copying, writing or dropping them
/// overflows the stack, or that the window-state message carrying them is refused by the other windows.
pub const MAX_CONFIG_DEPTH: usize = 8;

/// Refuses settings that nest deeper than [`MAX_CONFIG_DEPTH`].
pub fn check_config_depth(v: &Value) -> Result<(), Msg> {
    if crate::json::depth(v) > MAX_CONFIG_DEPTH {
        return Err(K::CFG_TOO_DEEP.arg("max", &MAX_CONFIG_DEPTH));
    }
    Ok(())
}

/// Loads all sources in order: defaults, then the config file (if any), then the URL query.
pub fn resolve(query: &str, config_text: Option<&str>) -> (Settings, Vec<ConfigError>) {
    resolve_layers(query, config_text, None)
}

/// Loads all sources in order (later wins): defaults, the config file, the OpenFrame configuration record's
/// `configuration` field (already parsed), then the URL query.
pub fn resolve_layers(query: &str, config_text: Option<&str>, openframe: Option<&Value>) -> (Settings, Vec<ConfigError>) {
    let (params, mut errors) = parse_query(query);
    let mut settings = Settings::default();
    if let Some(text) = config_text {
        match parse_config_text(Source::ConfigFile, text) {
            Ok(v) => errors.extend(settings.apply_json(Source::ConfigFile, &v)),
            Err(e) => errors.push(e),
        }
    }
    if let Some(v) = openframe {
        errors.extend(settings.apply_json(Source::OpenFrame, v));
    }
    errors.extend(settings.apply_query(&params));
    errors.extend(settings.check());
    (settings, errors)
}

pub mod form;
pub mod shortcuts;

#[cfg(test)]
mod url_tests;

#[cfg(test)]
mod tests;
