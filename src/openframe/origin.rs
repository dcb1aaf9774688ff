//! Pure rules for the `topDomain` origin (no browser types).
//!
//! The OpenFrame configuration URL names the ServiceNow origin with `?topDomain=`. It is the only origin the
//! desktop ever posts to and the only one it accepts messages from, so it is parsed strictly:
//! `https://host[:port]`, or `http://` only for `localhost` / `127.0.0.1` (development and the sandbox;
//! not `[::1]`, which the page's connect-src cannot name). No path (a lone trailing `/` is tolerated), no query, no credentials, no wildcard.

use std::fmt;

/// A validated web origin (scheme, lower-cased host, explicit port when not the scheme's default).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopDomain {
    scheme: String,
    host: String,
    port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginError {
    Empty,
    Wildcard,
    /// A tab, line break, space, control or non-ASCII character: browsers strip or rewrite these, so what
    /// they load would differ from what was checked.
    Hidden,
    Backslash,
    NoScheme(String),
    Scheme(String),
    InsecureHttp(String),
    Credentials,
    Path(String),
    Host(String),
    Port(String),
}

impl OriginError {
    /// What is wrong, saying `what` was checked (`topDomain`, `instance`, the SIP server address).
    pub fn msg(&self, what: crate::strings::Msg) -> crate::strings::Msg {
        use crate::strings::Key as K;
        // The key and the value it names, then one message (one construction for every case).
        let (k, v) = match self {
            OriginError::Empty => (K::ORIGIN_EMPTY, None),
            OriginError::Wildcard => (K::ORIGIN_WILDCARD, None),
            OriginError::Hidden => (K::ORIGIN_HIDDEN, None),
            OriginError::Backslash => (K::ORIGIN_BACKSLASH, None),
            OriginError::NoScheme(v) => (K::ORIGIN_NO_SCHEME, Some(v)),
            OriginError::Scheme(v) => (K::ORIGIN_SCHEME, Some(v)),
            OriginError::InsecureHttp(v) => (K::ORIGIN_HTTP, Some(v)),
            OriginError::Credentials => (K::ORIGIN_CREDENTIALS, None),
            OriginError::Path(v) => (K::ORIGIN_PATH, Some(v)),
            OriginError::Host(v) => (K::ORIGIN_HOST, Some(v)),
            OriginError::Port(v) => (K::ORIGIN_PORT, Some(v)),
        };
        let m = crate::strings::Msg::from(k).arg_msg("what", what);
        match v {
            Some(v) => m.arg("value", v),
            None => m,
        }
    }
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg("topDomain".into()).render())
    }
}

impl std::error::Error for OriginError {}

/// `localhost` or `127.0.0.1`: the only hosts plain `http://` / `ws://` may name. Not `[::1]`: a CSP source
/// cannot name an IPv6 literal, so the page's connect-src would block it anyway.
pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1"
}

/// A dotted-quad IPv4 address written the one way browsers serialize it (no leading zeros, no hex).
fn canonical_ipv4(host: &str) -> bool {
    let mut parts = 0;
    for p in crate::text::split_byte(host, b'.') {
        parts += 1;
        let ok = !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) && (p.len() == 1 || !p.starts_with('0')) && decimal(p) <= 255;
        if !ok {
            return false;
        }
    }
    parts == 4
}

/// The value of a run of at most five ASCII digits (checked by the caller).
fn decimal(digits: &str) -> u32 {
    let mut n = 0;
    for b in digits.bytes() {
        n = n * 10 + u32::from(b - b'0');
    }
    n
}

/// A host name (lower case) a browser keeps exactly as written: letters, digits and hyphens in labels, no
/// trailing dot, IPv4 only as a canonical dotted quad (a browser reads `0x7f.1` or `127.1` as 127.0.0.1),
/// and of IPv6 literals only `[::1]` (other spellings are rewritten by browsers and never match).
pub fn valid_host(host: &str) -> bool {
    if host.starts_with('[') {
        return host == "[::1]";
    }
    // The last label (the whole host without a dot).
    let last = crate::text::rsplit_once_byte(host, b'.').map_or(host, |(_, l)| l);
    if last.bytes().next().map(|b| b.is_ascii_digit()).unwrap_or(false) {
        return canonical_ipv4(host);
    }
    !host.is_empty()
        && host.len() <= 253
        && crate::text::split_byte(host, b'.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// An absolute URL split strictly: lower-case scheme and host, the port when not the scheme's default, and
/// what follows the authority (path and query, possibly empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    pub tail: String,
}

/// Splits `scheme://host[:port][/path][?query]` the way a browser would read it, refusing every spelling
/// a browser would read differently from a plain reading: invisible characters (browsers drop tabs and
/// line breaks), backslashes (read as `/`), user info (`ws://localhost:1@evil.example/` goes to
/// evil.example), percent-encoded hosts, non-canonical IP addresses, trailing dots.
pub fn split_url(input: &str) -> Result<UrlParts, OriginError> {
    let s = crate::text::trim_end_of(crate::text::trim_start_of(input, " "), " ");
    if s.is_empty() {
        return Err(OriginError::Empty);
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(OriginError::Hidden);
    }
    if s.contains('*') {
        return Err(OriginError::Wildcard);
    }
    if s.contains('\\') {
        return Err(OriginError::Backslash);
    }
    let Some((scheme, rest)) = crate::text::split_once(s, "://") else {
        return Err(OriginError::NoScheme(s.to_string()));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(OriginError::Scheme(scheme));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = crate::text::split_at(rest, end);
    if authority.contains('@') {
        return Err(OriginError::Credentials);
    }
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(close) => match crate::text::from(authority, close + 1) {
                "" => (crate::text::upto(authority, close + 1), None),
                p if p.starts_with(':') => (crate::text::upto(authority, close + 1), Some(crate::text::from(p, 1))),
                _ => return Err(OriginError::Host(authority.to_string())),
            },
            None => return Err(OriginError::Host(authority.to_string())),
        }
    } else {
        match crate::text::rsplit_once_byte(authority, b':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host = host.to_ascii_lowercase();
    if !valid_host(&host) {
        return Err(OriginError::Host(host));
    }
    let port = match port {
        None => None,
        Some(p) => {
            // Empty, not digits, over five of them, 0 or over 65535: refused alike.
            let n = if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) { decimal(p) } else { 0 };
            if n == 0 || n > 65535 {
                return Err(OriginError::Port(p.to_string()));
            }
            let default = if scheme == "https" || scheme == "wss" { 443 } else { 80 };
            if n == default { None } else { Some(n as u16) }
        }
    };
    Ok(UrlParts { scheme, host, port, tail: tail.to_string() })
}

impl TopDomain {
    /// Parses and validates a topDomain value.
    pub fn parse(input: &str) -> Result<TopDomain, OriginError> {
        let UrlParts { scheme, host, port, tail } = split_url(input)?;
        if scheme != "https" && scheme != "http" {
            return Err(OriginError::Scheme(scheme));
        }
        if !tail.is_empty() && tail != "/" {
            return Err(OriginError::Path(tail));
        }
        if scheme == "http" && !is_loopback_host(&host) {
            return Err(OriginError::InsecureHttp(host));
        }
        Ok(TopDomain { scheme, host, port })
    }

    /// The serialized origin, exactly as a browser reports `MessageEvent.origin`.
    pub fn origin(&self) -> String {
        let mut o = String::new();
        o.push_str(&self.scheme);
        o.push_str("://");
        o.push_str(&self.host);
        if let Some(p) = self.port {
            o.push(':');
            crate::json::write_u64(&mut o, p.into());
        }
        o
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// True when a message's `origin` is exactly this origin (scheme, host case-insensitively, port).
    /// Browsers serialize origins canonically; anything that does not parse is not a match.
    pub fn matches(&self, event_origin: &str) -> bool {
        if event_origin.is_empty() || event_origin == "null" {
            return false;
        }
        // A browser never serializes a trailing slash, a path or a default port: be exact about that too.
        if event_origin.ends_with('/') {
            return false;
        }
        match TopDomain::parse(event_origin) {
            Ok(other) => other == *self && !has_default_port_spelled(event_origin),
            Err(_) => false,
        }
    }
}

fn has_default_port_spelled(origin: &str) -> bool {
    let lower = origin.to_ascii_lowercase();
    (lower.starts_with("https://") && lower.ends_with(":443")) || (lower.starts_with("http://") && lower.ends_with(":80"))
}

impl fmt::Display for TopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_instance_origins() {
        let t = TopDomain::parse("https://Acme.Service-Now.com").unwrap();
        assert_eq!(t.origin(), "https://acme.service-now.com");
        assert_eq!(TopDomain::parse("https://acme.service-now.com/").unwrap().origin(), "https://acme.service-now.com");
        assert_eq!(TopDomain::parse("https://acme.service-now.com:443").unwrap().origin(), "https://acme.service-now.com");
        assert_eq!(TopDomain::parse("https://acme.example:8443").unwrap().origin(), "https://acme.example:8443");
        assert_eq!(TopDomain::parse("http://127.0.0.1:8090").unwrap().origin(), "http://127.0.0.1:8090");
        assert_eq!(TopDomain::parse("http://localhost:8090").unwrap().origin(), "http://localhost:8090");
        assert_eq!(TopDomain::parse("https://[::1]:8090").unwrap().origin(), "https://[::1]:8090");
    }

    #[test]
    fn rejects_everything_else() {
        assert_eq!(TopDomain::parse(""), Err(OriginError::Empty));
        assert_eq!(TopDomain::parse("*"), Err(OriginError::Wildcard));
        assert_eq!(TopDomain::parse("https://*.service-now.com"), Err(OriginError::Wildcard));
        assert!(matches!(TopDomain::parse("acme.service-now.com"), Err(OriginError::NoScheme(_))));
        assert!(matches!(TopDomain::parse("javascript://x"), Err(OriginError::Scheme(_))));
        assert!(matches!(TopDomain::parse("ftp://acme.com"), Err(OriginError::Scheme(_))));
        assert!(matches!(TopDomain::parse("http://acme.service-now.com"), Err(OriginError::InsecureHttp(_))));
        assert!(matches!(TopDomain::parse("https://acme.com/now/nav"), Err(OriginError::Path(_))));
        assert!(matches!(TopDomain::parse("https://acme.com?x=1"), Err(OriginError::Path(_))));
        assert!(matches!(TopDomain::parse("https://acme.com#x"), Err(OriginError::Path(_))));
        assert!(matches!(TopDomain::parse("https://user:pw@acme.com"), Err(OriginError::Credentials)));
        assert!(matches!(TopDomain::parse("https://acme..com"), Err(OriginError::Host(_))));
        assert!(matches!(TopDomain::parse("https://ac me.com"), Err(OriginError::Hidden)));
        assert!(matches!(TopDomain::parse("https://acme.com:0"), Err(OriginError::Port(_))));
        assert!(matches!(TopDomain::parse("https://acme.com:70000"), Err(OriginError::Port(_))));
        assert!(matches!(TopDomain::parse("https://acme.com:"), Err(OriginError::Port(_))));
        assert!(matches!(TopDomain::parse("https://acme.com:8x"), Err(OriginError::Port(_))));
        // Loopback, but the page's connect-src cannot name an IPv6 literal: said at once, not blocked later.
        assert!(matches!(TopDomain::parse("http://[::1]:8090"), Err(OriginError::InsecureHttp(h)) if h == "[::1]"));
        // Looks like loopback but is not.
        assert!(matches!(TopDomain::parse("http://localhost.evil.com"), Err(OriginError::InsecureHttp(_))));
        assert!(matches!(TopDomain::parse("http://127.0.0.1.nip.io"), Err(OriginError::InsecureHttp(_))));
    }

    #[test]
    fn matching_is_exact() {
        let t = TopDomain::parse("https://acme.service-now.com").unwrap();
        assert!(t.matches("https://acme.service-now.com"));
        assert!(t.matches("https://ACME.service-now.com"));
        assert!(!t.matches("https://acme.service-now.com.evil.com"));
        assert!(!t.matches("https://evil-acme.service-now.com"));
        assert!(!t.matches("http://acme.service-now.com"));
        assert!(!t.matches("https://acme.service-now.com:8443"));
        assert!(!t.matches("https://acme.service-now.com/"));
        assert!(!t.matches("https://acme.service-now.com:443"));
        assert!(!t.matches("null"));
        assert!(!t.matches(""));
        let local = TopDomain::parse("http://127.0.0.1:8090").unwrap();
        assert!(local.matches("http://127.0.0.1:8090"));
        assert!(!local.matches("http://127.0.0.1:8091"));
        assert!(!local.matches("http://localhost:8090"));
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let e = TopDomain::parse("acme.service-now.com").unwrap_err().to_string();
        assert!(e.contains("https://acme.service-now.com"), "{e}");
        let e = TopDomain::parse("http://acme.service-now.com").unwrap_err().to_string();
        assert!(e.contains("use https"), "{e}");
    }

    /// topDomain spellings that a browser reads differently from a plain reading, or that name another
    /// origin than they seem to: every one is refused (never a TopDomain the desktop would post to).
    macro_rules! hostile_top_domain {
        ($($name:ident: $input:expr;)*) => {$(
            #[test]
            fn $name() {
                let r = TopDomain::parse($input);
                assert!(r.is_err(), "{:?} was accepted as {:?}", $input, r);
                assert!(!r.unwrap_err().to_string().is_empty());
            }
        )*};
    }
    hostile_top_domain! {
        hostile_top_domain_userinfo: "https://acme.service-now.com@evil.example";
        hostile_top_domain_userinfo_with_port: "https://acme.service-now.com:443@evil.example";
        hostile_top_domain_tab_inside_the_host: "https://evil.exa\tmple";
        hostile_top_domain_line_feed_inside_the_scheme: "ht\ntps://evil.example";
        hostile_top_domain_carriage_return_after_the_host: "https://acme.service-now.com\r.evil.example";
        hostile_top_domain_trailing_tab: "https://acme.service-now.com\t";
        hostile_top_domain_backslash_as_slash: "https://evil.example\\.acme.service-now.com";
        hostile_top_domain_backslash_scheme: "https:\\\\evil.example";
        hostile_top_domain_percent_encoded_host: "https://evil%2Eexample";
        hostile_top_domain_percent_encoded_at: "https://acme.service-now.com%40evil.example";
        hostile_top_domain_ipv6_mapped_loopback_over_http: "http://[::ffff:127.0.0.1]:8090";
        hostile_top_domain_ipv6_long_form: "http://[0:0:0:0:0:0:0:1]:8090";
        hostile_top_domain_ipv6_unterminated: "http://[::1:8090";
        hostile_top_domain_ipv6_with_text_after: "http://[::1]evil.example";
        hostile_top_domain_uppercase_plain_http: "HTTP://ACME.SERVICE-NOW.COM";
        hostile_top_domain_uppercase_javascript: "JAVASCRIPT://acme.service-now.com";
        hostile_top_domain_trailing_dot: "https://acme.service-now.com.";
        hostile_top_domain_localhost_trailing_dot_over_http: "http://localhost.:8090";
        hostile_top_domain_short_ipv4_loopback: "http://127.1:8090";
        hostile_top_domain_hex_ipv4: "https://0x7f.0.0.1";
        hostile_top_domain_octal_ipv4: "https://0177.0.0.1";
        hostile_top_domain_non_ascii_look_alike: "https://\u{430}cme.service-now.com";
        hostile_top_domain_fullwidth_dot: "https://acme\u{ff0e}service-now.com";
        hostile_top_domain_null_origin: "null";
        hostile_top_domain_data_url: "data://text/html,x";
        hostile_top_domain_wildcard_port: "https://acme.service-now.com:*";
        hostile_top_domain_scheme_relative: "//acme.service-now.com";
    }

    #[test]
    fn strict_parts_of_a_url() {
        let p = split_url("WSS://PBX.example.com:443/ws?transport=ws").unwrap();
        assert_eq!((p.scheme.as_str(), p.host.as_str(), p.port, p.tail.as_str()), ("wss", "pbx.example.com", None, "/ws?transport=ws"));
        assert_eq!(split_url("ws://127.0.0.1:5066").unwrap().port, Some(5066));
        assert!(valid_host("10.0.0.1") && !valid_host("10.0.0.01") && !valid_host("256.0.0.1") && valid_host("[::1]"));
    }
}
