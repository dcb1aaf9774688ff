//! The agent: state and reasons, presence in ServiceNow, mute, the line going up and down, sign-in.

use super::DeskCore;
use crate::desk::effect::Effect;
use crate::desk::intent::Intent;
use crate::openframe::protocol::{Outgoing, PresenceColor};
use crate::phone::call::CallState;
use crate::phone::line::{Credentials, LineCommand, LineStatus};
use crate::phone::model::{AgentState, PresenceTone};
use crate::strings as t;

impl DeskCore {
    /// Whether media is prepared for the next call (microphone and ICE candidates, `phone::media::prewarm`):
    /// while the agent may get one: the SIP line registered, this window owns the phone, and the agent
    /// neither Not Ready nor Offline.
    pub fn takes_calls(&self) -> bool {
        self.is_sip()
            && self.line_status == LineStatus::Registered
            && self.is_owner()
            && !matches!(self.agent_state, AgentState::NotReady(_) | AgentState::Offline)
    }

    /// Sets the agent's state and mirrors it in ServiceNow's presence indicator.
    pub(super) fn set_agent_state(&mut self, state: AgentState) {
        if self.relay(|| Intent::SetState(state.clone())) {
            return;
        }
        self.agent_state = state;
        self.publish_presence();
    }

    /// Mirrors the agent in ServiceNow's presence indicator: "On call" while a call is live, else the
    /// agent state. Sent only when it changes.
    pub(super) fn publish_presence(&mut self) {
        let on_call = self.calls.iter().any(|c| matches!(c.state, CallState::Connected | CallState::Held | CallState::Dialing | CallState::Ringing));
        let (label, color) = if on_call {
            (t::ON_CALL().to_string(), PresenceColor::Red)
        } else {
            let color = match self.agent_state.tone() {
                PresenceTone::Available => PresenceColor::Green,
                PresenceTone::Busy => PresenceColor::Red,
                PresenceTone::Away => PresenceColor::Orange,
                PresenceTone::Off => PresenceColor::Grey,
            };
            (self.agent_state.label(), color)
        };
        let key = crate::text::cat(&[&label, "|", color.name()]);
        if self.last_presence == key {
            return;
        }
        self.last_presence = key;
        self.publish(Outgoing::SetPresence { state: label, color });
    }

    pub(super) fn toggle_mute(&mut self) {
        if self.relay(|| Intent::ToggleMute) {
            return;
        }
        self.muted = !self.muted;
        self.emit(Effect::Line(LineCommand::SetMuted(self.muted)));
        self.emit(Effect::Icons);
    }

    /// Whether an incoming call is refused automatically, and with which SIP code (480 while Not Ready,
    /// 486 in wrap-up or when already on a call), when the settings ask for it.
    pub fn busy_code(&self) -> Option<u16> {
        if !self.settings.reject_when_busy {
            return None;
        }
        match self.agent_state {
            AgentState::Ready => None,
            AgentState::AfterCallWork => Some(486),
            _ => Some(480),
        }
    }

    /// The line of the settings starts: SIP is Offline until signed in; the demo line (for trying things
    /// out) starts Ready unless a saved state was restored.
    pub(super) fn line_started(&mut self) {
        if self.is_sip() {
            self.line_status = LineStatus::SignedOut;
            self.agent_state = AgentState::Offline;
        } else {
            self.line_status = LineStatus::Demo;
            if self.agent_state == AgentState::NotReady(None) {
                self.set_agent_state(AgentState::Ready);
            }
        }
    }

    /// The line went up or down: Offline follows it, and signing in makes the agent Not Ready (not Ready:
    /// taking calls is the agent's choice); after a takeover the agent's state comes back.
    pub(super) fn set_line_status(&mut self, status: LineStatus) {
        let up = status == LineStatus::Registered;
        self.line_status = status;
        if up {
            if let Some(s) = self.state_after_sign_in.take() {
                self.set_agent_state(s);
                return;
            }
        }
        let state = self.agent_state.clone();
        if up && state == AgentState::Offline {
            self.set_agent_state(AgentState::NotReady(None));
        } else if !up && state != AgentState::Offline && self.is_sip() {
            self.set_agent_state(AgentState::Offline);
        }
    }

    /// Signs in to the SIP server; Err says what to fix.
    pub(super) fn sign_in(&mut self, server: &str, user: &str, password: &str) -> Result<(), String> {
        crate::config::check_ws_url(server.trim()).map_err(|m| m.render())?;
        if user.trim().is_empty() {
            return Err(t::SIGN_IN_USER_REQUIRED().into());
        }
        if self.relay(|| Intent::SignIn { server: server.into(), user: user.into(), password: password.into() }) {
            return Ok(());
        }
        let domain = if self.settings.sip.domain.is_empty() { host_of(server) } else { self.settings.sip.domain.clone() };
        crate::phone::sip::ua::check_identity(user.trim(), &domain).map_err(|m| m.render())?;
        self.emit(Effect::SaveSipUser { server: server.trim().into(), user: user.trim().into() });
        self.sip_user = Some(user.trim().into());
        let creds = Credentials { server: server.trim().into(), domain, user: user.trim().into(), password: password.into(), ice: self.settings.sip.ice_servers.clone() };
        self.emit(Effect::Line(LineCommand::SignIn { creds, resume: Vec::new() }));
        Ok(())
    }

    pub(super) fn sign_out(&mut self) {
        if self.relay(|| Intent::SignOut) {
            return;
        }
        self.agent_state = AgentState::Offline;
        self.emit(Effect::Line(LineCommand::SignOut));
        self.publish_presence();
    }

    /// The agent as written in activities: the SIP user, or "Agent" on the demo line.
    pub fn agent_name(&self) -> String {
        self.sip_user.clone().filter(|u| !u.is_empty() && self.is_sip()).unwrap_or_else(|| "Agent".into())
    }
}

/// The host part of a ws(s):// URL (the SIP domain when none is configured).
pub fn host_of(url: &str) -> String {
    let rest = crate::text::split_once(url, "://").map(|(_, r)| r).unwrap_or(url);
    let hostport = rest.split(['/', '?']).next().unwrap_or("");
    if hostport.starts_with('[') {
        return crate::text::split_byte(hostport, b']').next().map(|h| crate::text::cat(&[h, "]"])).unwrap_or_default();
    }
    crate::text::split_byte(hostport, b':').next().unwrap_or("").to_string()
}
