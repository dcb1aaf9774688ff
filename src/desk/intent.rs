//! What the agent asks of the desk (pure): the same [`Intent`] comes from a button, a keyboard shortcut or
//! another window of the desktop (a remote view sends its intents to the window that has the phone).
//!
//! Between windows an intent travels as a small JSON object (`{"c": "dial", ...}`), written and read here
//! by hand (derived serde code would cost the wasm more than these few lines). Reading is strict: a
//! missing or mistyped field drops the whole message.

use crate::openframe::protocol::RecordRef;
use crate::phone::model::AgentState;
use crate::phone::wrapup::WrapUp;
use crate::json::{json, Map, Value};

#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    /// Dial a number (E.164 or a SIP address), for a record, naming the party when known.
    Dial { number: String, record: Option<RecordRef>, name: Option<String> },
    Answer(u32),
    Reject(u32),
    HangUp(u32),
    Hold { id: u32, on: bool },
    /// Mute or unmute (every call).
    ToggleMute,
    Dtmf { id: u32, digit: char },
    /// Blind transfer, or with `consult` the consultative transfer to that call's party.
    Transfer { id: u32, target: String, consult: Option<u32> },
    Conference { id: u32, other: u32 },
    SetState(AgentState),
    /// A simulated incoming call on the demo line (empty number: the next demo caller).
    SimulateIncoming { name: String, number: String },
    SignIn { server: String, user: String, password: String },
    SignOut,
    ClearEnded,
    /// The agent chose this record from a screen-pop choice.
    ChoosePop { call: u32, record: RecordRef },
    /// The agent asked for a new record form (the screen pop found nobody).
    OpenNew { call: u32, table: String, query: String },
    /// The wrap-up being shown, as edited (matched by its activity id).
    EditWrapUp(WrapUp),
    /// Finish the wrap-up being shown (as edited, when it comes from another window).
    SubmitWrapUp(Option<WrapUp>),
    /// The agent's answer to a transfer the far end asked for.
    DecideTransfer(bool),
    /// The agent dismisses an activity ServiceNow refused.
    DismissActivity(String),
}

/// A record or a wrap-up travels as its JSON text (the same text as in storage: no second serializer in the
/// wasm).
fn text_of<T: crate::json::ToJson>(v: &T) -> Option<String> {
    Some(crate::json::to_string(v))
}

fn opt<T: crate::json::ToJson>(v: &Option<T>) -> Value {
    v.as_ref().and_then(text_of).map(Value::String).unwrap_or(Value::Null)
}

impl Intent {
    /// The intent as a window message; None for intents that stay in their window.
    pub fn to_json(&self) -> Option<Value> {
        Some(match self {
            Intent::Dial { number, record, name } => json!({"c": "dial", "number": number, "record": opt(record), "name": name}),
            Intent::Answer(id) => json!({"c": "answer", "id": id}),
            Intent::Reject(id) => json!({"c": "reject", "id": id}),
            Intent::HangUp(id) => json!({"c": "hangup", "id": id}),
            Intent::Hold { id, on } => json!({"c": "hold", "id": id, "on": on}),
            Intent::ToggleMute => json!({"c": "mute"}),
            Intent::Dtmf { id, digit } => json!({"c": "dtmf", "id": id, "digit": digit.to_string()}),
            Intent::Transfer { id, target, consult } => json!({"c": "transfer", "id": id, "target": target, "consult": consult}),
            Intent::Conference { id, other } => json!({"c": "conference", "id": id, "other": other}),
            Intent::SetState(s) => json!({"c": "state", "state": s.key()}),
            Intent::SimulateIncoming { name, number } => json!({"c": "incoming", "name": name, "number": number}),
            Intent::SignIn { server, user, password } => json!({"c": "signin", "server": server, "user": user, "password": password}),
            Intent::SignOut => json!({"c": "signout"}),
            Intent::ClearEnded => json!({"c": "clear"}),
            Intent::ChoosePop { call, record } => json!({"c": "choose", "id": call, "record": text_of(record)?}),
            Intent::OpenNew { call, table, query } => json!({"c": "new", "id": call, "table": table, "query": query}),
            Intent::EditWrapUp(w) => json!({"c": "wrapup", "w": text_of(w)?}),
            Intent::SubmitWrapUp(w) => json!({"c": "submit", "w": opt(w)}),
            Intent::DecideTransfer(_) | Intent::DismissActivity(_) => return None,
        })
    }

    /// Reads [`Intent::to_json`] back (a message from another window of the desktop); None when it is
    /// not an intent another window may send.
    pub fn from_json(v: &Value) -> Option<Intent> {
        let o: &Map = v.as_object()?;
        let num = |v: &Value| v.as_u64().filter(|n| *n <= u32::MAX as u64).map(|n| n as u32);
        let id = || num(o.get("id")?);
        let text = |k: &str| o.get(k)?.as_str().map(str::to_string);
        let opt_text = |k: &str| match o.get(k) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            _ => None,
        };
        let opt_id = |k: &str| match o.get(k) {
            None | Some(Value::Null) => Some(None),
            Some(n) => num(n).map(Some),
        };
        let record = |k: &str| -> Option<Option<RecordRef>> {
            match o.get(k) {
                None | Some(Value::Null) => Some(None),
                Some(r) => crate::json::from_str(r.as_str()?).map(Some),
            }
        };
        let wrapup = || -> Option<WrapUp> { crate::json::from_str(o.get("w")?.as_str()?) };
        Some(match o.get("c")?.as_str()? {
            "dial" => Intent::Dial { number: text("number")?, record: record("record")?, name: opt_text("name")? },
            "answer" => Intent::Answer(id()?),
            "reject" => Intent::Reject(id()?),
            "hangup" => Intent::HangUp(id()?),
            "hold" => Intent::Hold { id: id()?, on: o.get("on")?.as_bool()? },
            "mute" => Intent::ToggleMute,
            "dtmf" => {
                let d = text("digit")?;
                let mut chars = d.chars();
                let digit = chars.next().filter(|c| crate::text::one_of(*c, "0123456789*#ABCD"))?;
                if chars.next().is_some() {
                    return None;
                }
                Intent::Dtmf { id: id()?, digit }
            }
            "transfer" => Intent::Transfer { id: id()?, target: text("target")?, consult: opt_id("consult")? },
            "conference" => Intent::Conference { id: id()?, other: num(o.get("other")?)? },
            "state" => Intent::SetState(AgentState::from_key(&text("state")?)?),
            "incoming" => Intent::SimulateIncoming { name: text("name")?, number: text("number")? },
            "signin" => Intent::SignIn { server: text("server")?, user: text("user")?, password: text("password")? },
            "signout" => Intent::SignOut,
            "clear" => Intent::ClearEnded,
            "choose" => Intent::ChoosePop { call: id()?, record: record("record")?? },
            "new" => Intent::OpenNew { call: id()?, table: text("table")?, query: text("query")? },
            "wrapup" => Intent::EditWrapUp(wrapup()?),
            "submit" => Intent::SubmitWrapUp(Some(wrapup()?)),
            _ => return None,
        })
    }
}
