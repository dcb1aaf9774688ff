//! The OpenFrame wire protocol as typed values (pure, no browser types).
//!
//! Every message in both directions is a JSON *string* `{"type":"NOW.PostMessage","eventName":..,"args":..}`.
//! Widget -> host: requests (`openframe_request` with `{id, method, payload}`, answered by
//! `openframe_response`) and one-way publishes. Host -> widget: responses and events. The limits of
//! ServiceNow's own client library are enforced here as errors.

use crate::json::{json, Map, Value};
use std::fmt;

pub const ENVELOPE_TYPE: &str = "NOW.PostMessage";
/// The library refuses to send a serialized message longer than this (characters).
pub const MAX_MESSAGE_CHARS: usize = 4400;
/// Titles and subtitles longer than this are refused.
pub const MAX_TITLE_CHARS: usize = 256;
/// Incoming messages longer than this are dropped unread (a generous bound on what a host sends).
pub const MAX_INCOMING_CHARS: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    TooLong { chars: usize },
    TitleTooLong { chars: usize },
    ForbiddenQuery(&'static str),
    Empty(&'static str),
}

impl ProtocolError {
    /// What was refused, for the agent (a catalogue text).
    pub fn msg(&self) -> crate::strings::Msg {
        use crate::strings::Key as K;
        use std::fmt::Display;
        // The key and its arguments, then one message (one construction for every case).
        let (k, name, value, max): (K, &'static str, &dyn Display, Option<&dyn Display>) = match self {
            ProtocolError::TooLong { chars } => (K::OF_TOO_LONG, "chars", chars, Some(&MAX_MESSAGE_CHARS)),
            ProtocolError::TitleTooLong { chars } => (K::OF_TITLE_TOO_LONG, "chars", chars, Some(&MAX_TITLE_CHARS)),
            ProtocolError::ForbiddenQuery(p) => (K::OF_FORBIDDEN_QUERY, "value", p, None),
            ProtocolError::Empty(what) => (K::OF_EMPTY, "value", what, None),
        };
        let m = k.arg(name, value);
        match max {
            Some(max) => m.arg("max", max),
            None => m,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg().render())
    }
}

impl std::error::Error for ProtocolError {}

/// Methods of requests the host answers (the classic host answers only these three).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Init,
    GetConfig,
    Visible,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Init => "openframe_init",
            Method::GetConfig => "openframe_get_config",
            Method::Visible => "openframe_visible",
        }
    }

    pub fn from_name(s: &str) -> Option<Method> {
        [Method::Init, Method::GetConfig, Method::Visible].into_iter().find(|m| m.name() == s)
    }
}

/// The widget's own settings sent with `openframe_get_config`.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetConfig {
    pub width: u32,
    pub height: u32,
    pub title: String,
    pub sub_title: String,
    pub title_icon: String,
}

/// An icon in the frame's header (or the title icon). Extra fields come back on click.
#[derive(Clone, Debug, PartialEq)]
pub struct Icon {
    pub id: String,
    pub image_url: String,
    pub image_title: String,
}

impl Icon {
    fn to_json(&self) -> Value {
        json!({"imageURL": self.image_url, "imageTitle": self.image_title, "id": self.id})
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresenceColor {
    Green,
    Red,
    Orange,
    Grey,
}

impl PresenceColor {
    pub fn name(self) -> &'static str {
        match self {
            PresenceColor::Green => "green",
            PresenceColor::Red => "red",
            PresenceColor::Orange => "orange",
            PresenceColor::Grey => "grey",
        }
    }
}

/// Everything the widget sends to the host. Only what the desktop sends: the library's other publishes
/// (set_size, set_width, set_height, set_header_title_icon, set_frame_mode, open_form_with_subtab, a list or a
/// URL in the top frame) are left out, their encoding and checks were code the release carried and never ran.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    Request { id: String, method: Method, payload: Value },
    Show,
    Hide,
    SetTitle(String),
    SetSubtitle(String),
    SetIcons(Vec<Icon>),
    OpenForm { entity: String, query: String, interaction_sys_id: Option<String> },
    SetPresence { state: String, color: PresenceColor },
}

fn check_title(s: &str) -> Result<(), ProtocolError> {
    let n = s.chars().count();
    if n > MAX_TITLE_CHARS {
        return Err(ProtocolError::TitleTooLong { chars: n });
    }
    Ok(())
}

fn check_query(q: &str) -> Result<(), ProtocolError> {
    for p in ["sysparm_stack", "sysparm_goto_url"] {
        if crate::text::contains(q, p) {
            return Err(ProtocolError::ForbiddenQuery(p));
        }
    }
    Ok(())
}

fn check_entity(e: &str) -> Result<(), ProtocolError> {
    if e.is_empty() {
        return Err(ProtocolError::Empty("the table name"));
    }
    Ok(())
}

fn envelope(event_name: &str, args: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String(ENVELOPE_TYPE.into()));
    m.insert("eventName".into(), Value::String(event_name.into()));
    if let Some(a) = args {
        m.insert("args".into(), a);
    }
    Value::Object(m)
}

impl Outgoing {
    /// The event name on the wire.
    pub fn event_name(&self) -> &'static str {
        match self {
            Outgoing::Request { .. } => "openframe_request",
            Outgoing::Show => "openframe_show",
            Outgoing::Hide => "openframe_hide",
            Outgoing::SetTitle(_) | Outgoing::SetSubtitle(_) => "openframe_set_header_title",
            Outgoing::SetIcons(_) => "openframe_set_header_icons",
            Outgoing::OpenForm { .. } => "openframe_set_top_frame_url",
            Outgoing::SetPresence { .. } => "openframe_set_presence_indicator",
        }
    }

    /// Validates against the library's limits and serializes to the wire string.
    pub fn encode(&self) -> Result<String, ProtocolError> {
        let args = match self {
            Outgoing::Request { id, method, payload } => {
                Some(json!({"id": id, "method": method.name(), "payload": payload}))
            }
            Outgoing::Show | Outgoing::Hide => None,
            Outgoing::SetTitle(t) => {
                check_title(t)?;
                Some(json!({ "title": t }))
            }
            Outgoing::SetSubtitle(t) => {
                check_title(t)?;
                Some(json!({ "subtitle": t }))
            }
            Outgoing::SetIcons(icons) => {
                let mut list = Vec::new();
                for i in icons {
                    check_title(&i.image_title)?;
                    list.push(i.to_json());
                }
                Some(Value::Array(list))
            }
            Outgoing::OpenForm { entity, query, interaction_sys_id } => {
                check_entity(entity)?;
                check_query(query)?;
                let mut form = json!({"entity": entity, "query": query});
                if let Some(i) = interaction_sys_id {
                    form["interaction_sys_id"] = Value::String(i.clone());
                }
                Some(json!({ "form": form }))
            }
            Outgoing::SetPresence { state, color } => {
                check_title(state)?;
                Some(json!({"state": state, "color": color.name()}))
            }
        };
        let text = envelope(self.event_name(), args).to_string();
        let chars = text.chars().count();
        if chars > MAX_MESSAGE_CHARS {
            return Err(ProtocolError::TooLong { chars });
        }
        Ok(text)
    }
}

/// A record reference from a click-to-call or a form: `entity` (table) and the record's sys_id when known.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RecordRef {
    pub entity: String,
    pub sys_id: Option<String>,
    pub query: String,
    pub label: String,
    pub value: String,
}

/// Written as `{"entity", "query", "label", "value", "sys_id"}` (`sys_id` null when unknown).
impl crate::json::ToJson for RecordRef {
    fn to_json(&self) -> Value {
        json!({"entity": self.entity, "sys_id": self.sys_id, "query": self.query, "label": self.label, "value": self.value})
    }
}

/// Read back from what [`ToJson`](crate::json::ToJson) writes (`sys_id` may be missing or null).
impl crate::json::FromJson for RecordRef {
    fn from_json(v: &Value) -> Option<RecordRef> {
        RecordRef::from_value(v)
    }
}

impl RecordRef {
    /// The record as the derived `Serialize` writes it (None when a field is missing or of the wrong type).
    pub fn from_value(v: &Value) -> Option<RecordRef> {
        let s = |k: &str| v.get(k)?.as_str().map(str::to_string);
        Some(RecordRef { entity: s("entity")?, sys_id: opt_string(v, "sys_id")?, query: s("query")?, label: s("label")?, value: s("value")? })
    }
}

/// An optional string field as a derived reader read it: missing or null is `Some(None)`, a string `Some(Some(..))`,
/// anything else None (not valid).
pub fn opt_string(v: &Value, k: &str) -> Option<Option<String>> {
    match v.get(k) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

impl RecordRef {
    /// The encoded query to open this record's form.
    pub fn form_query(&self) -> String {
        match &self.sys_id {
            Some(id) => sys_id_query(id),
            None => self.query.clone(),
        }
    }
}

/// `sys_id=<id>`: the query that opens one record (one place for every such query).
#[inline(never)]
pub fn sys_id_query(id: &str) -> String {
    let mut q = String::from("sys_id=");
    q.push_str(id);
    q
}

/// A click-to-call from ServiceNow: the number to dial and the records it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClickToCall {
    pub phone_number: String,
    pub records: Vec<RecordRef>,
}

impl ClickToCall {
    /// The record the call belongs to: the first that is not Workspace's auto-created interaction.
    pub fn context_record(&self) -> Option<&RecordRef> {
        self.records.iter().find(|r| r.entity != "interaction").or_else(|| self.records.first())
    }

    pub fn interaction(&self) -> Option<&RecordRef> {
        self.records.iter().find(|r| r.entity == "interaction")
    }
}

/// The ServiceNow OpenFrame configuration record returned by `openframe_get_config`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FrameConfig {
    pub url: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub title: String,
    pub sub_title: String,
    pub title_icon: String,
    pub nav_icon_class: String,
    pub collapsed_view_enabled: bool,
    pub allow: String,
    pub configuration: String,
}

/// Everything the host sends to the widget.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    Response { id: String, success: bool, result: Value },
    TopFrameDomain(String),
    Shown,
    Hidden,
    IconClicked(Value),
    TitleIconClicked(Value),
    Expand,
    Collapse,
    BeforeDestroy,
    ClickToCall(ClickToCall),
    /// A communication that is not a click-to-call (custom scripts); kept for diagnostics.
    Communication(Value),
    AwaPresence(Value),
    AwaWorkItemOffered(Value),
    AwaWorkItemAccepted(Value),
    OffInteraction(Value),
    HeartBeat(Value),
    WrapUpSubmitted(Value),
}

/// Why an incoming message was not acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rejection {
    NotAString,
    Oversized,
    Malformed,
    NotOpenFrame,
    UnknownEvent,
}

impl Rejection {
    pub fn label(self) -> &'static str {
        match self {
            Rejection::NotAString => "not a string",
            Rejection::Oversized => "oversized",
            Rejection::Malformed => "malformed JSON",
            Rejection::NotOpenFrame => "not an OpenFrame message",
            Rejection::UnknownEvent => "unknown event",
        }
    }
}

fn str_field(v: &Value, keys: &[&str]) -> Option<String> {
    for k in keys {
        match v.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_string()),
            Some(Value::Number(n)) => return Some(n.to_string()),
            _ => {}
        }
    }
    None
}

/// `sys_id=abc^other=x` -> `abc` (32 hex characters in ServiceNow, but accept any token).
fn sys_id_from_query(q: &str) -> Option<String> {
    crate::text::split_byte(q, b'^').find_map(|part| {
        let v = part.trim().strip_prefix("sys_id=")?;
        let v = crate::text::split_byte(v, b'&').next().unwrap_or(v);
        (!v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')).then(|| v.to_string())
    })
}

fn record_from(v: &Value) -> Option<RecordRef> {
    let entity = str_field(v, &["entity", "table", "recordType", "record_type"])?;
    let query = str_field(v, &["query"]).unwrap_or_default();
    let sys_id = str_field(v, &["sys_id", "sysId", "recordId", "record_id"]).or_else(|| sys_id_from_query(&query));
    Some(RecordRef {
        entity,
        sys_id,
        query,
        label: str_field(v, &["label", "displayValue", "display_value"]).unwrap_or_default(),
        value: str_field(v, &["value", "number"]).unwrap_or_default(),
    })
}

/// Reads every known click-to-call shape, leniently: `{"type":"OUTGOING_CALL","data":{"metaData":
/// {"phoneNumber"},"data":[records]}}`; top-level `phoneNumber`/`phone_number`; `recordId`/`recordType`.
pub fn parse_click_to_call(args: &Value) -> Option<ClickToCall> {
    let kind = args.get("type").and_then(Value::as_str).unwrap_or("");
    if !kind.is_empty() && !kind.eq_ignore_ascii_case("OUTGOING_CALL") {
        return None;
    }
    let data = args.get("data").filter(|d| d.is_object());
    let meta = data.and_then(|d| d.get("metaData")).or_else(|| args.get("metaData"));
    let number = meta
        .and_then(|m| str_field(m, &["phoneNumber", "phone_number"]))
        .or_else(|| data.and_then(|d| str_field(d, &["phoneNumber", "phone_number"])))
        .or_else(|| str_field(args, &["phoneNumber", "phone_number", "number"]))?;
    let mut records = Vec::new();
    let list = data.and_then(|d| d.get("data")).or_else(|| args.get("records"));
    if let Some(Value::Array(items)) = list {
        for item in items {
            if let Some(r) = record_from(item) {
                records.push(r);
            }
        }
    }
    if records.is_empty() {
        if let (Some(table), Some(id)) =
            (str_field(args, &["recordType", "record_type", "table"]), str_field(args, &["recordId", "record_id", "sys_id"]))
        {
            records.push(RecordRef { entity: table, query: sys_id_query(&id), sys_id: Some(id), ..Default::default() });
        }
    }
    Some(ClickToCall { phone_number: number, records })
}

/// Parses the configuration record of a `openframe_get_config` reply.
pub fn parse_frame_config(result: &Value) -> FrameConfig {
    let num = |k: &str| -> Option<u32> {
        match result.get(k) {
            Some(Value::Number(n)) => n.as_u64().map(|n| n as u32),
            Some(Value::String(s)) => crate::uint(s.trim()),
            _ => None,
        }
    };
    let s = |k: &str| str_field(result, &[k]).unwrap_or_default();
    FrameConfig {
        url: s("url"),
        width: num("width"),
        height: num("height"),
        title: s("title"),
        sub_title: s("subTitle"),
        title_icon: s("titleIcon"),
        nav_icon_class: s("navIconClass"),
        collapsed_view_enabled: matches!(result.get("collapsedViewEnabled"), Some(Value::Bool(true)))
            || matches!(result.get("collapsedViewEnabled"), Some(Value::String(v)) if v == "true"),
        allow: s("allow"),
        configuration: result.get("configuration").and_then(Value::as_str).unwrap_or("").to_string(),
    }
}

/// Turns the configuration record's free-form `configuration` string into settings JSON: a JSON object as
/// is, or `key=value` lines (`#` comments; dotted keys nest: `sip.server=wss://...`; values that parse as
/// JSON, such as `true` or `120`, keep their type).
pub fn parse_configuration_field(text: &str) -> Result<Value, crate::strings::Msg> {
    use crate::strings::Key as K;
    use crate::config::{check_config_depth, MAX_CONFIG_DEPTH, MAX_CONFIG_TEXT};
    let t = text.trim();
    if t.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    if t.len() > MAX_CONFIG_TEXT {
        return Err(K::CFG_TOO_LONG.arg("max", &MAX_CONFIG_TEXT));
    }
    if t.starts_with('{') {
        let v = crate::json::parse(t).map_err(|e| K::CFG_NOT_JSON.arg("line", &e.line()).arg("column", &e.column()))?;
        check_config_depth(&v)?;
        return Ok(v);
    }
    let mut root = Map::new();
    for (n, line) in t.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(K::CFG_NOT_KEY_VALUE.arg("line", &(n + 1)).arg("text", &line));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(K::CFG_NO_KEY.arg("line", &(n + 1)));
        }
        let value = match crate::json::parse(v) {
            Ok(j @ (Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_))) => j,
            _ => Value::String(v.to_string()),
        };
        let mut parts: Vec<&str> = crate::text::split_byte(k, b'.').collect();
        if parts.len() > MAX_CONFIG_DEPTH {
            return Err(K::CFG_TOO_DEEP.arg("max", &MAX_CONFIG_DEPTH));
        }
        let last = parts.pop().unwrap();
        let mut cur = &mut root;
        for p in parts {
            let entry = cur.entry_or_insert_with(p.to_string(), || Value::Object(Map::new()));
            if !entry.is_object() {
                return Err(K::CFG_VALUE_AND_GROUP.arg("line", &(n + 1)).arg("key", &p));
            }
            cur = entry.as_object_mut().unwrap();
        }
        cur.insert(last.to_string(), value);
    }
    let root = Value::Object(root);
    check_config_depth(&root)?;
    Ok(root)
}

/// Parses one incoming wire string. The caller has already checked source and origin.
pub fn parse_incoming(text: &str) -> Result<Incoming, Rejection> {
    if text.len() > MAX_INCOMING_CHARS {
        return Err(Rejection::Oversized);
    }
    let v: Value = crate::json::parse(text).map_err(|_| Rejection::Malformed)?;
    if v.get("type").and_then(Value::as_str) != Some(ENVELOPE_TYPE) {
        return Err(Rejection::NotOpenFrame);
    }
    let name = v.get("eventName").and_then(Value::as_str).ok_or(Rejection::NotOpenFrame)?;
    let args = v.get("args").cloned().unwrap_or(Value::Null);
    Ok(match name {
        "openframe_response" => {
            let ctx = args.get("context").ok_or(Rejection::Malformed)?;
            let id = ctx.get("id").and_then(Value::as_str).ok_or(Rejection::Malformed)?.to_string();
            let success = args.get("isSuccess").and_then(Value::as_bool).unwrap_or(false);
            Incoming::Response { id, success, result: ctx.get("result").cloned().unwrap_or(Value::Null) }
        }
        "openframe_topframe_domain" => Incoming::TopFrameDomain(
            str_field(&args, &["topDomain"]).or_else(|| args.as_str().map(str::to_string)).ok_or(Rejection::Malformed)?,
        ),
        "openframe_shown" => Incoming::Shown,
        "openframe_hidden" => Incoming::Hidden,
        "openframe_icon_clicked" | "openframe_header_icon_clicked" => Incoming::IconClicked(args),
        "openframe_title_icon_clicked" => Incoming::TitleIconClicked(args),
        "openframe_expand" => Incoming::Expand,
        "openframe_collapse" => Incoming::Collapse,
        "openframe_before_destroy" => Incoming::BeforeDestroy,
        "openframe_communication" => match parse_click_to_call(&args) {
            Some(c) => Incoming::ClickToCall(c),
            None => Incoming::Communication(args),
        },
        "openframe_awa_agent_presence" => Incoming::AwaPresence(args),
        "openframe_awa_workitem_offered" => Incoming::AwaWorkItemOffered(args),
        "openframe_awa_workitem_accepted" => Incoming::AwaWorkItemAccepted(args),
        "openframe_agent_off_interaction" => Incoming::OffInteraction(args),
        "openframe_heart_beat" => Incoming::HeartBeat(args),
        "openframe_wrap_up_submitted" => Incoming::WrapUpSubmitted(args),
        _ => return Err(Rejection::UnknownEvent),
    })
}

/// Serializes a host -> widget message (used by tests and the sandbox's expectations).
pub fn encode_host_event(event_name: &str, args: Option<Value>) -> String {
    envelope(event_name, args).to_string()
}

/// The id of an icon click (`{"id": ...}` of the icon object).
pub fn icon_id(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {

    #[test]
    fn record_ref_reads_back_what_it_writes() {
        let with_id = RecordRef { entity: "incident".into(), sys_id: Some("abc".into()), query: "sys_id=abc".into(), label: "INC1".into(), value: "v".into() };
        let without = RecordRef { entity: "incident".into(), query: "number=INC1".into(), ..Default::default() };
        for r in [with_id, without] {
            assert_eq!(crate::json::from_str::<RecordRef>(&crate::json::to_string(&r)).unwrap(), r);
        }
        let r: RecordRef = crate::json::from_str(r#"{"entity":"x","query":"","label":"","value":"","extra":1}"#).unwrap();
        assert_eq!(r.sys_id, None);
        for bad in [r#"{"query":"","label":"","value":""}"#, r#"{"entity":1,"query":"","label":"","value":""}"#, r#"{"entity":"x","sys_id":5,"query":"","label":"","value":""}"#, "[]", "null"] {
            assert!(crate::json::from_str::<RecordRef>(bad).is_none(), "{bad}");
        }
    }
    use super::*;

    fn parse_out(s: &str) -> Value {
        crate::json::from_str(s).unwrap()
    }

    #[test]
    fn every_publish_has_the_documented_shape() {
        let icon = Icon { id: "popout".into(), image_url: "https://d/x.svg".into(), image_title: "Pop out".into() };
        let cases: Vec<(Outgoing, Value)> = vec![
            (Outgoing::Show, json!({"type": ENVELOPE_TYPE, "eventName": "openframe_show"})),
            (Outgoing::Hide, json!({"type": ENVELOPE_TYPE, "eventName": "openframe_hide"})),
            (Outgoing::SetTitle("Call".into()), json!({"type": ENVELOPE_TYPE, "eventName": "openframe_set_header_title", "args": {"title": "Call"}})),
            (Outgoing::SetSubtitle("+1".into()), json!({"type": ENVELOPE_TYPE, "eventName": "openframe_set_header_title", "args": {"subtitle": "+1"}})),
            (Outgoing::SetIcons(vec![icon]), json!({"type": ENVELOPE_TYPE, "eventName": "openframe_set_header_icons", "args": [{"imageURL": "https://d/x.svg", "imageTitle": "Pop out", "id": "popout"}]})),
            (Outgoing::OpenForm { entity: "sn_customerservice_case".into(), query: "sys_id=abc".into(), interaction_sys_id: None },
             json!({"type": ENVELOPE_TYPE, "eventName": "openframe_set_top_frame_url", "args": {"form": {"entity": "sn_customerservice_case", "query": "sys_id=abc"}}})),
            (Outgoing::OpenForm { entity: "incident".into(), query: "sys_id=1".into(), interaction_sys_id: Some("i1".into()) },
             json!({"type": ENVELOPE_TYPE, "eventName": "openframe_set_top_frame_url", "args": {"form": {"entity": "incident", "query": "sys_id=1", "interaction_sys_id": "i1"}}})),
            (Outgoing::SetPresence { state: "Ready".into(), color: PresenceColor::Green }, json!({"type": ENVELOPE_TYPE, "eventName": "openframe_set_presence_indicator", "args": {"state": "Ready", "color": "green"}})),
            (Outgoing::Request { id: "openframe_init_1".into(), method: Method::Init, payload: json!({}) },
             json!({"type": ENVELOPE_TYPE, "eventName": "openframe_request", "args": {"id": "openframe_init_1", "method": "openframe_init", "payload": {}}})),
        ];
        for (msg, want) in cases {
            let text = msg.encode().unwrap();
            assert_eq!(parse_out(&text), want, "{msg:?}");
            // A JSON string, not an object: the envelope's type is present.
            assert!(text.starts_with('{') && text.contains("NOW.PostMessage"));
        }
    }

    #[test]
    fn library_limits_are_errors() {
        let long = "x".repeat(257);
        assert_eq!(Outgoing::SetTitle(long.clone()).encode(), Err(ProtocolError::TitleTooLong { chars: 257 }));
        assert_eq!(Outgoing::SetSubtitle(long).encode(), Err(ProtocolError::TitleTooLong { chars: 257 }));
        assert!(Outgoing::SetTitle("é".repeat(256)).encode().is_ok(), "characters, not bytes");
        for q in ["sys_id=1^sysparm_stack=x", "sysparm_goto_url=/evil"] {
            assert!(matches!(
                Outgoing::OpenForm { entity: "incident".into(), query: q.into(), interaction_sys_id: None }.encode(),
                Err(ProtocolError::ForbiddenQuery(_))
            ));
        }
        let big = Outgoing::Request { id: "x".into(), method: Method::GetConfig, payload: json!({"pad": "y".repeat(4400)}) };
        assert!(matches!(big.encode(), Err(ProtocolError::TooLong { .. })));
        assert!(matches!(Outgoing::OpenForm { entity: "".into(), query: "".into(), interaction_sys_id: None }.encode(), Err(ProtocolError::Empty(_))));
    }

    #[test]
    fn incoming_events_parse() {
        let ev = |name: &str, args: Option<Value>| parse_incoming(&encode_host_event(name, args));
        assert_eq!(
            ev("openframe_response", Some(json!({"isSuccess": true, "context": {"id": "openframe_init_0.5", "result": {"topDomain": "https://a.service-now.com"}}}))),
            Ok(Incoming::Response { id: "openframe_init_0.5".into(), success: true, result: json!({"topDomain": "https://a.service-now.com"}) })
        );
        assert_eq!(ev("openframe_topframe_domain", Some(json!({"topDomain": "https://a.service-now.com"}))), Ok(Incoming::TopFrameDomain("https://a.service-now.com".into())));
        assert_eq!(ev("openframe_shown", None), Ok(Incoming::Shown));
        assert_eq!(ev("openframe_hidden", Some(json!({}))), Ok(Incoming::Hidden));
        assert_eq!(ev("openframe_icon_clicked", Some(json!({"id": "mute"}))), Ok(Incoming::IconClicked(json!({"id": "mute"}))));
        assert_eq!(ev("openframe_header_icon_clicked", Some(json!({"id": "mute"}))), Ok(Incoming::IconClicked(json!({"id": "mute"}))));
        assert_eq!(ev("openframe_title_icon_clicked", Some(json!({"id": "t"}))), Ok(Incoming::TitleIconClicked(json!({"id": "t"}))));
        assert_eq!(ev("openframe_expand", None), Ok(Incoming::Expand));
        assert_eq!(ev("openframe_collapse", None), Ok(Incoming::Collapse));
        assert_eq!(ev("openframe_before_destroy", None), Ok(Incoming::BeforeDestroy));
        assert_eq!(ev("openframe_heart_beat", Some(json!({"lastUiActivity": 1}))), Ok(Incoming::HeartBeat(json!({"lastUiActivity": 1}))));
        assert!(matches!(ev("openframe_awa_agent_presence", Some(json!({}))), Ok(Incoming::AwaPresence(_))));
        assert!(matches!(ev("openframe_awa_workitem_offered", Some(json!({}))), Ok(Incoming::AwaWorkItemOffered(_))));
        assert!(matches!(ev("openframe_awa_workitem_accepted", Some(json!({}))), Ok(Incoming::AwaWorkItemAccepted(_))));
        assert!(matches!(ev("openframe_agent_off_interaction", Some(json!({}))), Ok(Incoming::OffInteraction(_))));
        assert!(matches!(ev("openframe_wrap_up_submitted", Some(json!({}))), Ok(Incoming::WrapUpSubmitted(_))));
        assert!(matches!(ev("openframe_communication", Some(json!({"type": "CHAT"}))), Ok(Incoming::Communication(_))));
    }

    #[test]
    fn incoming_rejections() {
        assert_eq!(parse_incoming("{not json"), Err(Rejection::Malformed));
        assert_eq!(parse_incoming("{\"type\":\"other\",\"eventName\":\"openframe_shown\"}"), Err(Rejection::NotOpenFrame));
        assert_eq!(parse_incoming("{\"type\":\"NOW.PostMessage\"}"), Err(Rejection::NotOpenFrame));
        assert_eq!(parse_incoming(&encode_host_event("openframe_bogus", None)), Err(Rejection::UnknownEvent));
        assert_eq!(parse_incoming(&format!("{{\"type\":\"NOW.PostMessage\",\"eventName\":\"openframe_shown\",\"args\":\"{}\"}}", "x".repeat(MAX_INCOMING_CHARS))), Err(Rejection::Oversized));
        assert_eq!(parse_incoming(&encode_host_event("openframe_response", Some(json!({"isSuccess": true})))), Err(Rejection::Malformed));
        assert_eq!(parse_incoming(&encode_host_event("openframe_topframe_domain", Some(json!({})))), Err(Rejection::Malformed));
    }

    #[test]
    fn click_to_call_shapes() {
        let standard = json!({"type": "OUTGOING_CALL", "data": {"metaData": {"phoneNumber": "+14155550123"},
            "data": [{"entity": "interaction", "query": "sys_id=int1"}, {"entity": "sn_customerservice_case", "query": "sys_id=c0ffee^active=true", "value": "CS0001001", "label": "Case"}]}});
        let c = parse_click_to_call(&standard).unwrap();
        assert_eq!(c.phone_number, "+14155550123");
        assert_eq!(c.records.len(), 2);
        let ctx = c.context_record().unwrap();
        assert_eq!(ctx.entity, "sn_customerservice_case");
        assert_eq!(ctx.sys_id.as_deref(), Some("c0ffee"));
        assert_eq!(ctx.value, "CS0001001");
        assert_eq!(ctx.form_query(), "sys_id=c0ffee");
        assert_eq!(c.interaction().unwrap().sys_id.as_deref(), Some("int1"));

        let top = parse_click_to_call(&json!({"phoneNumber": "(415) 555-0123"})).unwrap();
        assert_eq!(top.phone_number, "(415) 555-0123");
        assert!(top.records.is_empty());
        let snake = parse_click_to_call(&json!({"phone_number": "555", "recordId": "abc", "recordType": "incident"})).unwrap();
        assert_eq!(snake.records, vec![RecordRef { entity: "incident".into(), sys_id: Some("abc".into()), query: "sys_id=abc".into(), ..Default::default() }]);
        let data_level = parse_click_to_call(&json!({"type": "OUTGOING_CALL", "data": {"phoneNumber": "123"}})).unwrap();
        assert_eq!(data_level.phone_number, "123");
        let numeric = parse_click_to_call(&json!({"phoneNumber": 4155550123u64})).unwrap();
        assert_eq!(numeric.phone_number, "4155550123");
        assert!(parse_click_to_call(&json!({"type": "OUTGOING_CALL", "data": {"metaData": {}}})).is_none());
        assert!(parse_click_to_call(&json!({"type": "CHAT", "phoneNumber": "1"})).is_none());
        // Via the envelope.
        let text = encode_host_event("openframe_communication", Some(standard));
        assert!(matches!(parse_incoming(&text), Ok(Incoming::ClickToCall(c)) if c.phone_number == "+14155550123"));
    }

    #[test]
    fn frame_config_and_configuration_field() {
        let r = json!({"url": "https://d/", "width": "400", "height": 500, "title": "Phone", "subTitle": "s",
            "titleIcon": "https://d/i.svg", "navIconClass": "icon-phone", "collapsedViewEnabled": true,
            "allow": "microphone; autoplay", "configuration": "title=Support\nwrapUpSeconds=30"});
        let c = parse_frame_config(&r);
        assert_eq!(c.width, Some(400));
        assert_eq!(c.height, Some(500));
        assert_eq!(c.title, "Phone");
        assert!(c.collapsed_view_enabled);
        assert_eq!(c.allow, "microphone; autoplay");
        let v = parse_configuration_field(&c.configuration).unwrap();
        assert_eq!(v, json!({"title": "Support", "wrapUpSeconds": 30}));
        let v = parse_configuration_field("# comment\nsip.server = wss://pbx.example.com\nsip.domain=example.com\ndispositionRequired=false\ndispositions=A, B").unwrap();
        assert_eq!(v, json!({"sip": {"server": "wss://pbx.example.com", "domain": "example.com"}, "dispositionRequired": false, "dispositions": "A, B"}));
        assert_eq!(parse_configuration_field("{\"title\":\"X\"}").unwrap(), json!({"title": "X"}));
        assert_eq!(parse_configuration_field("  ").unwrap(), json!({}));
        assert!(parse_configuration_field("{bad").is_err());
        assert!(parse_configuration_field("justtext").unwrap_err().contains("key=value"));
        assert!(parse_configuration_field("a=1\na.b=2").is_err());
        assert_eq!(parse_frame_config(&json!({})), FrameConfig::default());
    }

    #[test]
    fn hostile_configuration_field_too_deep_or_too_long_is_refused_whole() {
        // One dotted key with thousands of parts would nest one object per dot (a stack overflow when the value is
        // copied, written or dropped, and a window-state message the other windows refuse).
        let deep_key = format!("{}=1", vec!["a"; 10_000].join("."));
        assert!(parse_configuration_field(&deep_key).unwrap_err().contains("8"));
        // Deep JSON, in either form.
        let deep_json = format!("{}1{}", "{\"a\":".repeat(20), "}".repeat(20));
        assert!(parse_configuration_field(&deep_json).is_err());
        assert!(parse_configuration_field(&format!("x={}1{}", "[".repeat(20), "]".repeat(20))).is_err());
        // Too long, even when well-formed.
        let long = format!("title={}", "x".repeat(crate::config::MAX_CONFIG_TEXT));
        assert!(parse_configuration_field(&long).is_err());
        // Real settings still read (three levels).
        assert!(parse_configuration_field("shortcuts.answer=Ctrl+Shift+A\nsip.server=wss://p/").is_ok());
        assert!(parse_configuration_field("{\"notReadyReasons\":[{\"code\":\"L\",\"label\":\"Lunch\"}]}").is_ok());
        // config.json follows the same limits.
        use crate::config::{parse_config_text, Source};
        assert!(parse_config_text(Source::ConfigFile, &deep_json).is_err());
        assert!(parse_config_text(Source::ConfigFile, &format!("{{\"title\":\"{}\"}}", "x".repeat(70_000))).is_err());
        assert!(parse_config_text(Source::ConfigFile, "{\"sip\":{\"server\":\"wss://p/\"}}").is_ok());
    }

    #[test]
    fn method_names_round_trip() {
        for m in [Method::Init, Method::GetConfig, Method::Visible] {
            assert_eq!(Method::from_name(m.name()), Some(m));
        }
        assert_eq!(Method::from_name("openframe_show"), None);
    }
}
