//! The last SIP messages both ways, for the support text: redacted as they are recorded (the log never
//! holds a secret), each cut to [`MAX_CHARS`], at most [`KEPT`] of them.

use super::redact::redact;
use crate::cell::RefCell;
use std::collections::VecDeque;

pub const KEPT: usize = 30;
pub const MAX_CHARS: usize = 3_000;

/// A bounded, redacted message log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SipLog {
    entries: VecDeque<String>,
}

impl SipLog {
    /// Records one message (`sent` by us, or received) at `at` ("hh:mm:ss.mmm"); `known` secrets are removed
    /// too. Keep-alives (blank frames) are not recorded.
    pub fn push(&mut self, sent: bool, at: &str, text: &str, known: &[&str]) {
        if text.trim().is_empty() {
            return;
        }
        let mut clean = redact(text, known);
        if clean.len() > MAX_CHARS {
            let mut cut = MAX_CHARS;
            while !clean.is_char_boundary(cut) {
                cut -= 1;
            }
            clean.truncate(cut);
            clean.push_str("\n[…]");
        }
        let arrow = if sent { "→" } else { "←" };
        self.entries.push_back(format!("{at} {arrow}\n{}", clean.trim_end()));
        while self.entries.len() > KEPT {
            self.entries.pop_front();
        }
    }

    pub fn entries(&self) -> Vec<String> {
        self.entries.iter().cloned().collect()
    }
}

thread_local! {
    static LOG: RefCell<SipLog> = const { RefCell::new(SipLog { entries: VecDeque::new() }) };
}

/// Records a message of the SIP line (see [`SipLog::push`]), stamped with the browser's clock.
pub fn record(sent: bool, text: &str, known: &[&str]) {
    let at = clock();
    LOG.with(|l| l.borrow_mut().push(sent, &at, text, known));
}

/// The recorded messages, oldest first.
pub fn entries() -> Vec<String> {
    LOG.with(|l| l.borrow().entries())
}

fn clock() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        super::collect::time_of(&js_sys::Date::new_0(), true)
    }
    #[cfg(not(target_arch = "wasm32"))]
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_messages_redacted_and_bounded() {
        let mut log = SipLog::default();
        for i in 0..40 {
            log.push(i % 2 == 0, "10:00:00.000", &format!("REGISTER sip:x SIP/2.0\r\nCSeq: {i} REGISTER\r\nAuthorization: Digest response=\"r{i}\"\r\n"), &[]);
        }
        let e = log.entries();
        assert_eq!(e.len(), KEPT);
        assert!(e[0].contains("CSeq: 10 REGISTER") && e[KEPT - 1].contains("CSeq: 39 REGISTER"));
        assert!(e.iter().all(|m| !m.contains("response=\"r")), "{e:?}");
        log.push(true, "", "\r\n\r\n", &[]);
        assert_eq!(log.entries().len(), KEPT, "keep-alives are not kept");
        log.push(false, "", &"é".repeat(MAX_CHARS), &[]);
        assert!(log.entries().last().unwrap().len() < MAX_CHARS + 40);
    }

    #[test]
    fn hostile_sip_log_never_holds_the_password() {
        let mut log = SipLog::default();
        log.push(false, "", "MESSAGE sip:1001@x SIP/2.0\r\nContent-Type: text/plain\r\n\r\nyour password is pw-LOGGED-1", &["pw-LOGGED-1"]);
        assert!(!format!("{:?}", log).contains("pw-LOGGED-1"));
    }
}
