//! The last SIP messages both ways, for the support text: redacted as they are recorded (the log never
//! holds a secret), each cut to [`MAX_CHARS`], at most [`KEPT`] of them.

use super::redact::redact;
use crate::cell::RefCell;

pub const KEPT: usize = 30;
pub const MAX_CHARS: usize = 3_000;
/// What is redacted of a longer message: its whole lines within the first this many bytes. Redaction's work grows
/// faster than the text (a hostile frame of megabytes froze the page for seconds), and a line is kept or dropped
/// whole, so a secret is never cut in half where the rules could no longer recognise it.
pub const REDACTED_BYTES: usize = 4 * MAX_CHARS;

/// A bounded, redacted message log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SipLog {
    /// Oldest first (a Vec bounded by the group's push_bounded: no VecDeque copy of its own for 30 entries).
    entries: Vec<String>,
}

impl SipLog {
    /// Records one message (`sent` by us, or received) at `at` ("hh:mm:ss.mmm"); `known` secrets are removed
    /// too. Keep-alives (blank frames) are not recorded.
    pub fn push(&mut self, sent: bool, at: &str, text: &str, known: &[&str]) {
        if text.trim().is_empty() {
            return;
        }
        let mut short = false;
        let text = if text.len() > REDACTED_BYTES {
            short = true;
            let mut cut = REDACTED_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            crate::text::rfind_byte(crate::text::upto(text, cut), b'\n').map_or("", |i| crate::text::upto(text, i + 1))
        } else {
            text
        };
        let mut clean = redact(text, known);
        if short || clean.len() > MAX_CHARS {
            let mut cut = MAX_CHARS.min(clean.len());
            while !clean.is_char_boundary(cut) {
                cut -= 1;
            }
            clean.truncate(cut);
            clean.truncate(clean.trim_end().len());
            clean.push_str(if clean.is_empty() { "[…]" } else { "\n[…]" });
        }
        let arrow = if sent { "→" } else { "←" };
        crate::trust::push_bounded(&mut self.entries, format!("{at} {arrow}\n{}", clean.trim_end()), KEPT);
    }

    pub fn entries(&self) -> Vec<String> {
        self.entries.clone()
    }
}

thread_local! {
    static LOG: RefCell<SipLog> = const { RefCell::new(SipLog { entries: Vec::new() }) };
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

    #[test]
    fn hostile_megabyte_frames_are_recorded_bounded_and_never_half_a_secret() {
        let mut log = SipLog::default();
        // A header redaction shrinks to a few bytes, then a known secret across the byte where redaction stops.
        let auth = format!("Authorization: Digest response=\"{}\"\r\n", "a".repeat(REDACTED_BYTES - 200));
        let pad = "X-Pad: ".to_string() + &"b".repeat(REDACTED_BYTES - auth.len() - 60) + "\r\n";
        let head = format!("MESSAGE sip:1001@x SIP/2.0\r\n{auth}{pad}");
        let frame = format!("{head}{}X-Note: pw-LOGGED-secret-1\r\n{}", "c".repeat(REDACTED_BYTES - head.len() - 12), "d\r\n".repeat(1_000_000));
        let at = frame.find("pw-LOGGED").unwrap();
        assert!(at < REDACTED_BYTES && at + "pw-LOGGED-secret-1".len() > REDACTED_BYTES, "the secret crosses the cut");
        let started = std::time::Instant::now();
        log.push(false, "", &frame, &["pw-LOGGED-secret-1"]);
        eprintln!("a {} byte frame recorded in {:?}", frame.len(), started.elapsed());
        let e = log.entries();
        let last = e.last().unwrap();
        assert!(last.starts_with(" ←\nMESSAGE sip:1001@x SIP/2.0"), "{}", &last[..80]);
        assert!(!last.contains("pw-L") && !last.contains("aaaa"), "{last}");
        assert!(last.len() < MAX_CHARS + 40 && last.ends_with("\n[…]"), "{}", last.len());

        // One line of megabytes: nothing of it but the mark.
        log.push(false, "", &"é".repeat(2_000_000), &[]);
        assert_eq!(log.entries().last().unwrap(), " ←\n[…]");
        // A frame just under the bound is recorded as before (cut to MAX_CHARS after redaction).
        let under = format!("OPTIONS sip:x SIP/2.0\r\n{}", "X-A: 1\r\n".repeat((REDACTED_BYTES - 30) / 8));
        assert!(under.len() <= REDACTED_BYTES);
        log.push(true, "", &under, &[]);
        let last = log.entries().pop().unwrap();
        assert!(last.starts_with(" →\nOPTIONS sip:x SIP/2.0\r\nX-A: 1") && last.ends_with("\n[…]"));
    }
}
