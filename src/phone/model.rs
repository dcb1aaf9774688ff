//! Agent state and its presentation (pure).

/// The agent's availability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentState {
    /// The line is down or the agent has not signed in.
    Offline,
    Ready,
    /// Not Ready, with the reason code chosen (when codes are configured).
    NotReady(Option<String>),
    AfterCallWork,
    /// An alert went unanswered.
    Missed,
}

/// Colours of ServiceNow's OpenFrame presence indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresenceTone {
    Available,
    Busy,
    Away,
    Off,
}

impl AgentState {
    /// The label shown to the agent and in ServiceNow's presence indicator.
    pub fn label(&self) -> String {
        use crate::strings as t;
        let text = match self {
            AgentState::Offline => t::STATE_OFFLINE(),
            AgentState::Ready => t::STATE_READY(),
            AgentState::NotReady(None) => t::STATE_NOT_READY(),
            AgentState::NotReady(Some(r)) => return t::not_ready(r).render(),
            AgentState::AfterCallWork => t::STATE_ACW(),
            AgentState::Missed => t::STATE_MISSED(),
        };
        text.into()
    }

    pub fn tone(&self) -> PresenceTone {
        match self {
            AgentState::Ready => PresenceTone::Available,
            AgentState::NotReady(_) => PresenceTone::Busy,
            AgentState::AfterCallWork | AgentState::Missed => PresenceTone::Away,
            AgentState::Offline => PresenceTone::Off,
        }
    }

    /// A stable key for a `<select>` value: `ready`, `not-ready`, `not-ready:<reason>`, ...
    pub fn key(&self) -> String {
        let key = match self {
            AgentState::Offline => "offline",
            AgentState::Ready => "ready",
            AgentState::NotReady(None) => "not-ready",
            AgentState::NotReady(Some(r)) => return crate::ui::cat(&["not-ready:", r]),
            AgentState::AfterCallWork => "acw",
            AgentState::Missed => "missed",
        };
        key.into()
    }

    pub fn from_key(k: &str) -> Option<AgentState> {
        Some(match k {
            "offline" => AgentState::Offline,
            "ready" => AgentState::Ready,
            "not-ready" => AgentState::NotReady(None),
            "acw" => AgentState::AfterCallWork,
            "missed" => AgentState::Missed,
            _ => AgentState::NotReady(Some(k.strip_prefix("not-ready:")?.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_labels() {
        for s in [
            AgentState::Offline,
            AgentState::Ready,
            AgentState::NotReady(None),
            AgentState::NotReady(Some("Lunch".into())),
            AgentState::AfterCallWork,
            AgentState::Missed,
        ] {
            assert_eq!(AgentState::from_key(&s.key()), Some(s.clone()));
        }
        assert_eq!(AgentState::NotReady(Some("Lunch".into())).label(), "Not Ready: Lunch");
        assert_eq!(AgentState::from_key("bogus"), None);
        assert_eq!(AgentState::Ready.tone(), PresenceTone::Available);
        assert_eq!(AgentState::AfterCallWork.tone(), PresenceTone::Away);
    }
}
