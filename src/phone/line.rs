//! What a phone line and the desk say to each other (pure): the line's status, what happened on it
//! ([`LineEvent`], reported by the SIP line in `sipline.rs`) and what the desk asks of it ([`LineCommand`],
//! carried out by the browser shell). The line never knows the desk: it reports to a [`LineHost`].

use super::call::EndReason;

/// What the agent sees of the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineStatus {
    /// The demo line (no server).
    Demo,
    SignedOut,
    Connecting,
    Registered,
    /// Down, with the reason and what to do.
    Failed(crate::strings::Msg),
}

impl LineStatus {
    /// A stable text form (the owner's state sent to the other windows).
    pub fn key(&self) -> String {
        let name = match self {
            LineStatus::Failed(m) => return crate::ui::cat(&["Failed:", &m.render()]),
            LineStatus::Demo => "Demo",
            LineStatus::SignedOut => "SignedOut",
            LineStatus::Connecting => "Connecting",
            LineStatus::Registered => "Registered",
        };
        name.into()
    }

    pub fn from_key(k: &str) -> LineStatus {
        match k {
            "Demo" => LineStatus::Demo,
            "Connecting" => LineStatus::Connecting,
            "Registered" => LineStatus::Registered,
            "SignedOut" => LineStatus::SignedOut,
            other => LineStatus::Failed(crate::text::trim_start(other, "Failed:").into()),
        }
    }
}

/// The sign-in of a line, so another tab (or this tab after a reload) can sign in the same way.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Credentials {
    pub server: String,
    pub domain: String,
    pub user: String,
    pub password: String,
    pub ice: Vec<String>,
}

/// A call to take over: the desk's id, the far end's target, the `Replaces` value, and whether it is held.
#[derive(Clone, Debug, PartialEq)]
pub struct Resume {
    pub id: u32,
    pub target: String,
    pub replaces: String,
    pub held: bool,
}

/// What happened on the line (ids are the desk's call ids).
#[derive(Clone, Debug, PartialEq)]
pub enum LineEvent {
    Status(LineStatus),
    /// A new incoming call (the desk rings it or refuses it with [`LineCommand::Reject`]).
    Incoming { id: u32, name: Option<String>, number: String, x_headers: Vec<(String, String)> },
    /// The line placed a call on the far end's request (we are being transferred), replacing `replacing`.
    Outgoing { id: u32, target: String, replacing: Option<u32> },
    /// A call replacing another (a consultative transfer completed towards us).
    Replacing { id: u32, old: Option<u32>, name: String, number: String },
    Ringing(u32),
    Connected(u32),
    Ended { id: u32, reason: EndReason },
    /// A status line for a call (None clears it).
    Note { id: u32, note: Option<String> },
    /// Audio packets (received, sent).
    Packets { id: u32, packets: (u64, u64) },
    /// A quality reading of the call's audio (crate::phone::quality); `receiving`: its transceiver receives.
    Quality { id: u32, sample: super::quality::Sample, receiving: bool },
    /// A hold or resume did not go through: `held` is what stays agreed.
    HoldFailed { id: u32, held: bool },
    TransferProgress { id: u32, code: u16, done: bool },
    /// A transfer the agent asked for was sent (Ok) or could not be (Err, the reason).
    TransferSent { id: u32, result: Result<(), String> },
    /// The far end asks to transfer the agent (`referPolicy` ask).
    TransferAsked { id: u32, target: String, by: Option<String> },
    /// A SIP MESSAGE to show (sender and text, plain text).
    Message(String),
    /// Dial intent to INVITE handed to the WebSocket (ms).
    SetupMs(f64),
    /// How a DTMF digit went: `Some(true)` in the audio, `Some(false)` by SIP INFO, `None` not at all.
    DtmfSent { id: u32, digit: char, how: Option<bool> },
    /// Two calls were merged into a conference (or could not be: the reason).
    Conferenced { a: u32, b: u32, result: Result<(), String> },
}

/// What the desk asks of the SIP line.
#[derive(Clone, Debug, PartialEq)]
pub enum LineCommand {
    SignIn { creds: Credentials, resume: Vec<Resume> },
    SignOut,
    Dial { id: u32, target: String, headers: Vec<(String, String)> },
    Answer(u32),
    Reject { id: u32, code: u16 },
    HangUp(u32),
    Hold { id: u32, held: bool },
    Conference { a: u32, b: u32 },
    Dtmf { id: u32, digit: char, info: bool },
    Transfer { id: u32, target: String, consult: Option<u32>, headers: Vec<(String, String)> },
    TransferDecision { id: u32, accept: bool },
    SetMuted(bool),
}

/// Whom the SIP line reports to (the desk's shell installs one at sign-in).
pub trait LineHost {
    /// Something happened on the line.
    fn report(&self, event: LineEvent);
    /// A fresh call id in the desk's numbering (for calls the far end starts).
    fn new_call_id(&self) -> u32;
    /// The number of a call (a takeover by the same party is told from a transfer by it).
    fn call_number(&self, id: u32) -> Option<String>;
}

#[cfg(test)]
mod tests {
    use super::LineStatus;

    #[test]
    fn line_status_keys_read_back() {
        for s in [LineStatus::Demo, LineStatus::SignedOut, LineStatus::Connecting, LineStatus::Registered, LineStatus::Failed("Server down".into())] {
            assert_eq!(LineStatus::from_key(&s.key()), s);
        }
        assert_eq!(LineStatus::Registered.key(), "Registered");
        assert_eq!(LineStatus::Failed("x".into()).key(), "Failed:x");
    }
}
