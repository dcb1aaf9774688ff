//! Redaction (pure): what leaves the desktop in "Copy diagnostics" carries no secret. Every text (SIP
//! messages, the OpenFrame log, settings, errors) goes through [`redact`]:
//! - header lines whose name says secret (Authorization, Proxy-Authorization, WWW-/Proxy-Authenticate,
//!   Authentication-Info, Cookie, any `*auth*`, `*token*`, `*secret*`, `*pass*` ...) in any case, with or
//!   without spaces around the colon, and their folded continuation lines;
//! - `Bearer`, `Basic` and `Digest` credentials anywhere in a line;
//! - `name=value`, `name: "value"` and `"name": "value"` pairs whose name says secret (passwords, tokens,
//!   OAuth codes and verifiers, TURN credentials, digest nonces and responses...), in URLs, JSON and logs;
//! - passwords in URIs (`sip:user:pw@host`, `https://user:pw@host`), and JSON Web Tokens;
//! - and, last, every secret the desktop knows (the SIP password, the TURN credential, the ServiceNow
//!   tokens) wherever it still appears verbatim.

/// What a removed value is replaced with.
pub const REMOVED: &str = "[removed]";

/// Does a header or parameter name say it holds a secret?
pub fn secret_name(name: &str) -> bool {
    let n = crate::text::trim_end_of(crate::text::trim_start_of(name, "\"'"), "\"'").to_ascii_lowercase();
    const PARTS: [&str; 13] =
        ["pass", "pwd", "secret", "token", "credential", "nonce", "auth", "cookie", "session", "ticket", "signature", "apikey", "api_key"];
    const WHOLE: [&str; 8] = ["code", "code_verifier", "response", "rspauth", "key", "sig", "otp", "assertion"];
    PARTS.iter().any(|p| crate::text::contains(&n, p)) || WHOLE.contains(&n.as_str())
}

fn ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

/// Removes secrets from `text`; `known` are secrets to remove verbatim wherever they appear (those shorter
/// than 4 characters are left to the structural rules: they would match ordinary text).
pub fn redact(text: &str, known: &[&str]) -> String {
    let mut out = headers(text);
    out = schemes(&out);
    out = pairs(&out);
    out = userinfo(&out);
    out = jwts(&out);
    for k in known {
        if k.chars().count() >= 4 {
            out = crate::text::replace(&out, k, REMOVED);
            // And as it travels in URLs and forms.
            let enc = crate::config::form::encode(k);
            for e in [crate::text::replace(&enc, "+", "%20"), enc] {
                if e != *k {
                    out = crate::text::replace(&out, &e, REMOVED);
                }
            }
        }
    }
    out
}

/// Header lines (`Name: value` at the start of a line) with a secret name: the value and its folded
/// continuation lines go.
fn headers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut folding = false;
    for line in text.split_inclusive('\n') {
        let body = crate::text::trim_end_of(line, "\r\n");
        let end = crate::text::from(line, body.len());
        if folding && (body.starts_with(' ') || body.starts_with('\t')) {
            out.push_str(" ");
            out.push_str(REMOVED);
            out.push_str(end);
            continue;
        }
        folding = false;
        let trimmed = body.trim_start();
        let name_len = trimmed.bytes().take_while(|b| ident(*b)).count();
        let (name, after) = crate::text::split_at(trimmed, name_len);
        let after = crate::text::trim_start_of(after, " \t");
        if name_len > 0 && after.starts_with(':') && secret_name(name) {
            out.push_str(crate::text::upto(body, body.len() - trimmed.len()));
            out.push_str(name);
            out.push_str(": ");
            out.push_str(REMOVED);
            out.push_str(end);
            folding = true;
            continue;
        }
        out.push_str(line);
    }
    out
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    (from..hay.len().saturating_sub(needle.len() - 1)).find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// `Bearer x`, `Basic x` (one token) and `Digest ...` (to the end of the line).
fn schemes(text: &str) -> String {
    let mut s = text.to_string();
    for (scheme, to_eol) in [("bearer", false), ("basic", false), ("digest", true)] {
        let mut from = 0;
        while let Some(i) = find_ci(s.as_bytes(), from, scheme.as_bytes()) {
            let b = s.as_bytes();
            let start_ok = i == 0 || !ident(b[i - 1]);
            let mut j = i + scheme.len();
            let spaced = j < b.len() && (b[j] == b' ' || b[j] == b'\t');
            if !(start_ok && spaced) {
                from = i + 1;
                continue;
            }
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            let end = if to_eol {
                b[j..].iter().position(|c| *c == b'\n' || *c == b'\r').map(|p| j + p).unwrap_or(b.len())
            } else {
                b[j..].iter().position(|c| c.is_ascii_whitespace() || b"\"',;<>)".contains(c)).map(|p| j + p).unwrap_or(b.len())
            };
            if end == j || crate::text::cut(&s, j, end) == REMOVED {
                from = end.max(i + 1);
                continue;
            }
            crate::text::splice(&mut s, j, end, REMOVED);
            from = j + REMOVED.len();
        }
    }
    s
}

/// `name=value`, `name: "value"`, `"name": value` with a secret name.
fn pairs(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        if !ident(b[i]) || (i > 0 && ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && ident(b[i]) {
            i += 1;
        }
        let name = crate::text::cut(text, start, i);
        let quoted_name = start > 0 && (b[start - 1] == b'"' || b[start - 1] == b'\'');
        let mut j = i;
        if quoted_name && j < b.len() && b[j] == b[start - 1] {
            j += 1;
        }
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        if j >= b.len() || !(b[j] == b'=' || b[j] == b':') || !secret_name(name) {
            continue;
        }
        let sep = b[j];
        j += 1;
        while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
            j += 1;
        }
        let (vs, ve) = if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
            let q = b[j];
            let mut k = j + 1;
            while k < b.len() && b[k] != q && b[k] != b'\n' {
                if b[k] == b'\\' {
                    k += 1;
                }
                k += 1;
            }
            (j + 1, k.min(b.len()))
        } else if sep == b':' && !quoted_name {
            (j, b[j..].iter().position(|c| *c == b'\n' || *c == b'\r').map(|p| j + p).unwrap_or(b.len()))
        } else {
            (j, b[j..].iter().position(|c| c.is_ascii_whitespace() || b"&#,;\"'<>)}]".contains(c)).map(|p| j + p).unwrap_or(b.len()))
        };
        if ve > vs && crate::text::cut(text, vs, ve) != REMOVED {
            out.push_str(crate::text::cut(text, copied, vs));
            out.push_str(REMOVED);
            copied = ve;
        }
        i = ve.max(i);
    }
    out.push_str(crate::text::from(text, copied));
    out
}

/// `scheme:user:password@host` and `scheme://user:password@host`: the password goes.
fn userinfo(text: &str) -> String {
    let mut s = text.to_string();
    let mut from = 0;
    while let Some(p) = crate::text::from(&s, from).find('@').map(|x| x + from) {
        let b = s.as_bytes();
        let mut start = p;
        while start > 0 && !(b[start - 1].is_ascii_whitespace() || b"<\"'(/,;=[@".contains(&b[start - 1])) {
            start -= 1;
        }
        let seg = crate::text::cut(&s, start, p);
        let lower = seg.to_ascii_lowercase();
        let skip = ["sips:", "sip:", "tel:", "turns:", "turn:", "stun:", "stuns:"].iter().find(|sc| lower.starts_with(*sc)).map(|sc| sc.len()).unwrap_or(0);
        let rest = crate::text::from(seg, skip);
        match rest.find(':') {
            Some(c) if crate::text::from(rest, c + 1) != REMOVED && c + 1 <= rest.len() => {
                let (a, z) = (start + skip + c + 1, p);
                crate::text::splice(&mut s, a, z, REMOVED);
                from = a + REMOVED.len() + 1;
            }
            _ => from = p + 1,
        }
    }
    s
}

/// JSON Web Tokens (`eyJ...` with dots): OAuth access and ID tokens.
fn jwts(text: &str) -> String {
    let mut s = text.to_string();
    let mut from = 0;
    while let Some(i) = crate::text::find(crate::text::from(&s, from), "eyJ").map(|x| x + from) {
        let b = s.as_bytes();
        let end = b[i..].iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-' || *c == b'.')).map(|p| i + p).unwrap_or(b.len());
        if end - i >= 20 && crate::text::cut(&s, i, end).contains('.') {
            crate::text::splice(&mut s, i, end, REMOVED);
            from = i + REMOVED.len();
        } else {
            from = i + 3;
        }
    }
    s
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
