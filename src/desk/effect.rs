//! What the desk core asks the browser shell to do (pure): each [`Effect`] names one edge.

use super::intent::Intent;
use crate::openframe::protocol::Outgoing;
use crate::phone::line::LineCommand;
use crate::json::{json, Value};

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// A command for the SIP line.
    Line(LineCommand),
    /// A message for ServiceNow's OpenFrame (a window outside ServiceNow has the frame show it).
    Frame(Outgoing),
    /// The header icons show the mute state: send them again.
    Icons,
    /// A remote view sends the agent's intent to the window that has the phone.
    ToOwner(Intent),
    /// Look the caller up in ServiceNow and pop their record (the answer comes back as an `SnEvent`).
    ScreenPop { call: u32, number: String, headers: Vec<(String, String)> },
    /// A ServiceNow sign-in handed over with the phone (JSON, checked by the ServiceNow client).
    AdoptSnToken(String),
    /// Write this part of the core's state to storage (and show it).
    Save(Store),
    /// Show this part of the core's state again (it changed, but is not this window's to store).
    Mirror(Store),
    /// Remember the SIP server and user (never the password) for the next sign-in form.
    SaveSipUser { server: String, user: String },
    /// A short message for the agent (None clears it).
    Notice(Option<crate::strings::Msg>),
    /// A wrap-up problem to show (None clears it).
    WrapUpError(Option<String>),
    /// Say this to screen-reader users (the live region).
    Announce(String),
    /// A desktop notification when the page is hidden.
    NotifyIfHidden { title: String, body: String },
    /// Show the Phone section.
    ShowPhone,
    /// A SIP MESSAGE to show.
    SipMessage(String),
    /// The last call's set-up time (ms), for the Status panel.
    SetupMs(f64),
    /// Silence the ring tone, ring-back and demo audio (this window no longer has the phone).
    StopSounds,
}

/// The parts of the core's state kept in localStorage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    WrapUps,
    Recents,
    Outbox,
}

/// What the window that has the phone, popped out of ServiceNow, asks the frame to show there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameRequest {
    Show,
    Title(String),
    Subtitle(String),
    Form { entity: String, query: String },
}

impl FrameRequest {
    /// The request for an OpenFrame message, when the frame shows it for the owner.
    pub fn of(msg: &Outgoing) -> Option<FrameRequest> {
        Some(match msg {
            Outgoing::Show => FrameRequest::Show,
            Outgoing::SetTitle(x) => FrameRequest::Title(x.clone()),
            Outgoing::SetSubtitle(x) => FrameRequest::Subtitle(x.clone()),
            Outgoing::OpenForm { entity, query, .. } => FrameRequest::Form { entity: entity.clone(), query: query.clone() },
            _ => return None,
        })
    }

    /// The OpenFrame message the frame sends (titles cut to OpenFrame's 256 characters).
    pub fn to_outgoing(&self) -> Outgoing {
        match self {
            FrameRequest::Show => Outgoing::Show,
            FrameRequest::Title(x) => Outgoing::SetTitle(x.chars().take(256).collect()),
            FrameRequest::Subtitle(x) => Outgoing::SetSubtitle(x.chars().take(256).collect()),
            FrameRequest::Form { entity, query } => Outgoing::OpenForm { entity: entity.clone(), query: query.clone(), interaction_sys_id: None },
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            FrameRequest::Show => json!({"show": true}),
            FrameRequest::Title(x) => json!({"title": x}),
            FrameRequest::Subtitle(x) => json!({"sub": x}),
            FrameRequest::Form { entity, query } => json!({"form": [entity, query]}),
        }
    }

    pub fn from_json(v: &Value) -> Option<FrameRequest> {
        if v.get("show").is_some() {
            Some(FrameRequest::Show)
        } else if let Some(x) = v.get("title") {
            Some(FrameRequest::Title(x.as_str()?.to_string()))
        } else if let Some(x) = v.get("sub") {
            Some(FrameRequest::Subtitle(x.as_str()?.to_string()))
        } else {
            let f = v.get("form")?;
            Some(FrameRequest::Form { entity: f.get(0)?.as_str()?.to_string(), query: f.get(1)?.as_str()?.to_string() })
        }
    }
}
