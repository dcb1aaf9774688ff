//! "Check my setup" (pure): what each check's raw outcome means for the agent, one line per check that
//! passes or says what to do. The browser side ([`super::probe`]) gathers the outcomes.

use crate::phone::line::LineStatus;
use crate::strings as t;
use crate::strings::Msg;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Microphone,
    Speaker,
    Ringer,
    WebSocket,
    Registered,
    IceHost,
    IceStun,
    IceRelay,
    ServiceNow,
}

impl Item {
    pub const ALL: [Item; 9] =
        [Item::Microphone, Item::Speaker, Item::Ringer, Item::WebSocket, Item::Registered, Item::IceHost, Item::IceStun, Item::IceRelay, Item::ServiceNow];

    pub fn key(self) -> &'static str {
        match self {
            Item::Microphone => "mic",
            Item::Speaker => "speaker",
            Item::Ringer => "ringer",
            Item::WebSocket => "websocket",
            Item::Registered => "registered",
            Item::IceHost => "ice-host",
            Item::IceStun => "ice-stun",
            Item::IceRelay => "ice-relay",
            Item::ServiceNow => "servicenow",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Item::Microphone => t::CHECK_MIC(),
            Item::Speaker => t::CHECK_SPEAKER(),
            Item::Ringer => t::CHECK_RINGER(),
            Item::WebSocket => t::CHECK_WS(),
            Item::Registered => t::CHECK_REGISTERED(),
            Item::IceHost => t::CHECK_ICE_HOST(),
            Item::IceStun => t::CHECK_ICE_STUN(),
            Item::IceRelay => t::CHECK_ICE_RELAY(),
            Item::ServiceNow => t::CHECK_SN(),
        }
    }
}

/// One check's result: passed (with what was found), failed (with what to do), skipped (with why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Running,
    Pass(Msg),
    Fail(Msg),
    Skipped(Msg),
}

impl Verdict {
    pub fn key(&self) -> &'static str {
        match self {
            Verdict::Running => "running",
            Verdict::Pass(_) => "pass",
            Verdict::Fail(_) => "fail",
            Verdict::Skipped(_) => "skipped",
        }
    }
    /// What was found or what to do, in the current language.
    pub fn text(&self) -> String {
        match self {
            Verdict::Running => t::CHECKING().into(),
            Verdict::Pass(s) | Verdict::Fail(s) | Verdict::Skipped(s) => s.render(),
        }
    }
}

impl Verdict {
    /// "OK", "Problem", "Not checked" or "Checking…".
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Running => t::CHECKING(),
            Verdict::Pass(_) => t::CHECK_PASSED(),
            Verdict::Fail(_) => t::CHECK_FAILED(),
            Verdict::Skipped(_) => t::CHECK_SKIPPED(),
        }
    }
}

/// A line of the support text: "Microphone: OK: Allowed; it picks up sound."
pub fn line_text(item: Item, v: &Verdict) -> String {
    format!("{}: {}: {}", item.label(), v.word(), v.text())
}

/// The microphone: allowed (or the browser's refusal in words), and the loudest level heard (0-100).
pub fn microphone(r: Result<u32, String>) -> Verdict {
    match r {
        Ok(level) if level >= 2 => Verdict::Pass(t::Key::MIC_HEARD.into()),
        Ok(_) => Verdict::Fail(t::Key::MIC_SILENT.into()),
        Err(why) => Verdict::Fail(why.into()),
    }
}

/// A test tone on a device.
pub fn tone(r: Result<(), String>) -> Verdict {
    match r {
        Ok(()) => Verdict::Pass(t::Key::TONE_PLAYED.into()),
        Err(why) => Verdict::Fail(t::tone_failed(&why)),
    }
}

/// How opening the SIP server's WebSocket went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsOutcome {
    /// Opened with this subprotocol.
    Open(String),
    /// Closed or failed before opening, or no answer in time.
    Failed,
}

pub fn websocket(url: &str, o: Option<WsOutcome>) -> Verdict {
    match o {
        _ if url.is_empty() => Verdict::Fail(t::Key::WS_NO_SERVER.into()),
        Some(WsOutcome::Open(p)) if p.eq_ignore_ascii_case("sip") => Verdict::Pass(t::Key::WS_OPEN.into()),
        Some(WsOutcome::Open(_)) => Verdict::Fail(t::ws_wrong_protocol(url)),
        _ => Verdict::Fail(t::ws_failed(url)),
    }
}

pub fn registered(s: &LineStatus) -> Verdict {
    match s {
        LineStatus::Registered => Verdict::Pass(t::Key::REG_OK.into()),
        LineStatus::Demo => Verdict::Skipped(t::Key::REG_DEMO.into()),
        LineStatus::SignedOut => Verdict::Fail(t::Key::REG_SIGNED_OUT.into()),
        LineStatus::Connecting => Verdict::Fail(t::Key::REG_CONNECTING.into()),
        LineStatus::Failed(m) => Verdict::Fail(t::Key::REG_FAILED.arg_msg("why", m.clone())),
    }
}

/// The type of an ICE candidate line (`candidate:... typ srflx ...`): host, srflx, prflx or relay.
pub fn candidate_type(line: &str) -> Option<&str> {
    let mut it = line.split_ascii_whitespace();
    it.by_ref().find(|w| *w == "typ")?;
    it.next()
}

/// An `icecandidateerror` event: the server's URL, the error code (401 refused credentials, 701 no answer)
/// and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceError {
    pub url: String,
    pub code: u16,
    pub text: String,
}

/// The server's address without any query (`turn:host:3478?transport=tcp` → `turn:host:3478`).
fn server_name(url: &str) -> &str {
    crate::text::split_byte(url, b'?').next().unwrap_or(url)
}

fn is_turn(url: &str) -> bool {
    let u = url.to_ascii_lowercase();
    u.starts_with("turn:") || u.starts_with("turns:")
}

fn error_for<'a>(errors: &'a [IceError], url: &str) -> Option<&'a IceError> {
    // Browsers report the URL as they resolved it (a host name may become an address): match on the
    // scheme and port, else take any error of the same kind of server.
    let name = server_name(url).to_ascii_lowercase();
    errors.iter().find(|e| server_name(&e.url).eq_ignore_ascii_case(&name)).or_else(|| {
        let turn = is_turn(url);
        errors.iter().find(|e| is_turn(&e.url) == turn)
    })
}

fn why(e: &IceError) -> String {
    if e.text.trim().is_empty() { format!("error {}", e.code) } else { format!("{} {}", e.code, e.text.trim()) }
}

/// The three network lines from a gathering with the configured servers: candidates gathered (their
/// `candidate:` lines), the servers' errors, and whether gathering completed in time (a server that never
/// answers keeps it going).
pub fn ice(servers: &[String], has_credentials: bool, relay_only: bool, candidates: &[String], errors: &[IceError], completed: bool) -> [Verdict; 3] {
    let has = |ty: &str| candidates.iter().any(|c| candidate_type(c) == Some(ty));
    let turn = || servers.iter().filter(|s| is_turn(s));
    let host = if relay_only {
        Verdict::Skipped(t::Key::ICE_RELAY_ONLY.into())
    } else if has("host") {
        Verdict::Pass(t::Key::ICE_HOST_OK.into())
    } else {
        Verdict::Fail(t::Key::ICE_HOST_NONE.into())
    };
    let stun = match servers.first() {
        _ if relay_only => Verdict::Skipped(t::Key::ICE_RELAY_ONLY.into()),
        None => Verdict::Skipped(t::Key::ICE_NO_STUN.into()),
        Some(_) if has("srflx") => {
            // The servers' names joined with ", " (no Vec of names).
            let mut names = String::new();
            for (i, s) in servers.iter().enumerate() {
                if i > 0 {
                    names.push_str(", ");
                }
                names.push_str(server_name(s));
            }
            Verdict::Pass(t::ice_stun_ok(&names))
        }
        // A server that answers with the address this computer already has gives no separate candidate; one
        // that does not answer reports an error (701) or keeps gathering from completing.
        // Failed when every server reported an error other than 401 (the first server's is told).
        Some(first) => match error_for(errors, first).filter(|_| servers.iter().all(|s| error_for(errors, s).is_some_and(|e| e.code != 401))) {
            Some(failed) => Verdict::Fail(t::ice_stun_failed(server_name(first), &why(failed))),
            None if !completed => Verdict::Fail(t::Key::ICE_STUN_FAILED.arg("server", &server_name(first)).arg_msg("why", t::Key::ICE_NO_ANSWER.into())),
            None => Verdict::Pass(t::ice_stun_direct(server_name(first))),
        },
    };
    let relay = match turn().next() {
        None => Verdict::Skipped(t::Key::ICE_NO_TURN.into()),
        Some(s) if has("relay") => Verdict::Pass(t::ice_relay_ok(server_name(s))),
        Some(s) if !has_credentials => Verdict::Fail(t::ice_turn_no_credentials(server_name(s))),
        Some(s) => match turn().find_map(|u| error_for(errors, u)) {
            Some(e) if e.code == 401 => Verdict::Fail(t::ice_turn_refused(server_name(s))),
            Some(e) => Verdict::Fail(t::ice_turn_unreachable(server_name(s), &why(e))),
            None => Verdict::Fail(t::Key::ICE_TURN_UNREACHABLE.arg("server", &server_name(s)).arg_msg("why", t::Key::ICE_NO_ANSWER.into())),
        },
    };
    [host, stun, relay]
}

/// What the ServiceNow probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnProbe {
    /// No instance to check.
    Off,
    /// Not signed in: only reachability (and CORS) was checked: Ok, or the reason in words.
    NotSignedIn(Result<(), String>),
    /// Signed in: a read with the token: Ok, refused (401), or another failure in words.
    SignedIn(Result<(), Option<String>>),
}

pub fn servicenow(p: SnProbe) -> Verdict {
    match p {
        SnProbe::Off => Verdict::Skipped(t::Key::SN_CHECK_OFF.into()),
        SnProbe::NotSignedIn(Ok(())) => Verdict::Fail(t::Key::SN_CHECK_NOT_SIGNED_IN.into()),
        SnProbe::NotSignedIn(Err(m)) | SnProbe::SignedIn(Err(Some(m))) => Verdict::Fail(m.into()),
        SnProbe::SignedIn(Ok(())) => Verdict::Pass(t::Key::SN_CHECK_OK.into()),
        SnProbe::SignedIn(Err(None)) => Verdict::Fail(t::Key::SN_CHECK_EXPIRED.into()),
    }
}

#[cfg(test)]
#[path = "checks_tests.rs"]
mod tests;
