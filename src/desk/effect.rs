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
    /// The request for an OpenFrame message as a window message, when the frame shows it for the owner
    /// (written from the message itself: no request built first).
    pub fn json_of(msg: &Outgoing) -> Option<Value> {
        Some(match msg {
            Outgoing::Show => json!({"show": true}),
            Outgoing::SetTitle(x) => json!({"title": x}),
            Outgoing::SetSubtitle(x) => json!({"sub": x}),
            Outgoing::OpenForm { entity, query, .. } => json!({"form": [entity, query]}),
            _ => return None,
        })
    }

    /// The OpenFrame message the frame sends (titles cut to OpenFrame's 256 characters).
    pub fn to_outgoing(&self) -> Outgoing {
        match self {
            FrameRequest::Show => Outgoing::Show,
            FrameRequest::Title(x) => Outgoing::SetTitle(cut_title(x)),
            FrameRequest::Subtitle(x) => Outgoing::SetSubtitle(cut_title(x)),
            FrameRequest::Form { entity, query } => Outgoing::OpenForm { entity: entity.clone(), query: query.clone(), interaction_sys_id: None },
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

/// A title or subtitle cut to OpenFrame's 256 characters (one copy for every site).
#[inline(never)]
pub(crate) fn cut_title(x: &str) -> String {
    match x.char_indices().nth(256) {
        Some((end, _)) => crate::text::upto(x, end).to_string(),
        None => x.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_frame_shows_for_the_owner_reads_back_as_its_request() {
        let form = Outgoing::OpenForm { entity: "incident".into(), query: "sys_id=1".into(), interaction_sys_id: Some("i".into()) };
        let cases = [
            (Outgoing::Show, FrameRequest::Show),
            (Outgoing::SetTitle("Ana".into()), FrameRequest::Title("Ana".into())),
            (Outgoing::SetSubtitle("+1 415".into()), FrameRequest::Subtitle("+1 415".into())),
            (form, FrameRequest::Form { entity: "incident".into(), query: "sys_id=1".into() }),
        ];
        for (msg, want) in cases {
            let v = FrameRequest::json_of(&msg).unwrap();
            assert_eq!(FrameRequest::from_json(&v), Some(want));
        }
        assert_eq!(FrameRequest::json_of(&Outgoing::Hide), None, "only what the frame shows for the owner");
    }
}
