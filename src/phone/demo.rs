//! The demo line: a simulated phone line that needs no server (pure; the desk drives it with a clock).
//!
//! Outgoing calls are "sent", ring for a moment and are answered by a synthetic far end. Numbers ending in
//! 486 answer busy and numbers ending in 404 do not exist, so the failure paths can be seen too. Incoming
//! calls are triggered on demand and are missed when not answered within [`ALERT_TIMEOUT_MS`].

use super::call::{Call, CallState, Direction, EndReason};

pub const RING_AFTER_MS: f64 = 400.0;
pub const ANSWER_AFTER_MS: f64 = 2_500.0;
pub const ALERT_TIMEOUT_MS: f64 = 30_000.0;

/// Callers the demo line presents for incoming calls, in turn.
pub const DEMO_CALLERS: [(&str, &str); 3] =
    [("Beth Anglin", "+14155550123"), ("Fred Luddy", "+14155550142"), ("Charlie Whitherspoon", "+14155550177")];

#[derive(Default)]
pub struct DemoLine {
    next_caller: usize,
}

impl DemoLine {
    pub fn new() -> DemoLine {
        DemoLine { next_caller: 0 }
    }

    /// Places a call with the desk's id `id`. The number must contain digits.
    pub fn dial(&mut self, id: u32, number: &str, now: f64) -> Result<Call, String> {
        if !number.bytes().any(|b| b.is_ascii_digit()) {
            return Err(crate::strings::not_a_phone_number(&number.to_string()).render());
        }
        Ok(Call::new(id, Direction::Outbound, number.trim(), None, now))
    }

    /// A simulated incoming call from the next demo caller (or the given one), with the desk's id `id`.
    pub fn incoming(&mut self, id: u32, caller: Option<(&str, &str)>, now: f64) -> Call {
        let (name, number) = caller.unwrap_or_else(|| {
            let c = DEMO_CALLERS[self.next_caller % DEMO_CALLERS.len()];
            self.next_caller += 1;
            c
        });
        let name = (!name.is_empty()).then(|| name.to_string());
        Call::new(id, Direction::Inbound, number, name, now)
    }

    /// Advances one call by the clock; returns true when it changed.
    pub fn tick(&self, call: &mut Call, now: f64) -> bool {
        let age = now - call.created_ms;
        match call.state {
            CallState::Dialing if age >= RING_AFTER_MS => {
                if call.number.ends_with("486") {
                    call.end(EndReason::Failed(crate::strings::Key::DEMO_BUSY.into()), now);
                } else if call.number.ends_with("404") {
                    call.end(EndReason::Failed(crate::strings::Key::DEMO_NO_NUMBER.into()), now);
                } else {
                    call.state = CallState::Ringing;
                }
                true
            }
            CallState::Ringing if age >= ANSWER_AFTER_MS => {
                call.connect(now);
                true
            }
            CallState::Alerting if age >= ALERT_TIMEOUT_MS => {
                call.end(EndReason::Missed, now);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outgoing_rings_then_answers() {
        let mut line = DemoLine::new();
        let mut c = line.dial(1, "+1 415 555 0100", 0.0).unwrap();
        assert_eq!(c.state, CallState::Dialing);
        assert!(!line.tick(&mut c, 100.0));
        assert!(line.tick(&mut c, RING_AFTER_MS));
        assert_eq!(c.state, CallState::Ringing);
        assert!(line.tick(&mut c, ANSWER_AFTER_MS));
        assert_eq!(c.state, CallState::Connected);
        assert_eq!(c.answered_ms, Some(ANSWER_AFTER_MS));
        assert!(line.dial(2, "abc", 0.0).is_err());
    }

    #[test]
    fn failures_and_missed_calls() {
        let mut line = DemoLine::new();
        let mut busy = line.dial(1, "5550486", 0.0).unwrap();
        line.tick(&mut busy, 1_000.0);
        assert_eq!(busy.state, CallState::Ended(EndReason::Failed(crate::strings::Key::DEMO_BUSY.into())));
        let mut inc = line.incoming(2, None, 0.0);
        assert_eq!(inc.name.as_deref(), Some("Beth Anglin"));
        assert_eq!(inc.state, CallState::Alerting);
        line.tick(&mut inc, ALERT_TIMEOUT_MS);
        assert_eq!(inc.state, CallState::Ended(EndReason::Missed));
        assert_eq!(line.incoming(3, None, 0.0).name.as_deref(), Some("Fred Luddy"));
        assert_ne!(inc.id, busy.id);
    }
}
