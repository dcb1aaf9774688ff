//! The phone: agent and call state (pure), the lines that carry calls (the demo line; SIP comes next).
/// The characters of `s` that `keep` accepts, at most `max` of them (one copy of this loop for every
/// filter: a `chars().filter(..).collect()` is a generic instance per closure).
pub fn kept_chars(s: &str, keep: fn(char) -> bool, max: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for c in s.chars() {
        if keep(c) {
            if n == max {
                break;
            }
            out.push(c);
            n += 1;
        }
    }
    out
}

pub mod audio;
pub mod call;
pub mod demo;
pub mod line;
pub mod media;
pub mod model;
pub mod number;
pub mod panel;
pub mod sipline;
pub mod wrapup;
pub mod quality;
pub mod quality_probe;
pub mod sip;
