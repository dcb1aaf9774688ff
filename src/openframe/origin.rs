//! Pure rules for the `topDomain` origin (no browser types).
//!
//! The OpenFrame configuration URL names the ServiceNow origin with `?topDomain=`. It is the only origin the
//! desktop ever posts to and the only one it accepts messages from, so it is parsed strictly:
//! `https://host[:port]`, or `http://` only for `localhost` / `127.0.0.1` / `[::1]` (development and the
//! sandbox). No path (a lone trailing `/` is tolerated), no query, no credentials, no wildcard.

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
    NoScheme(String),
    Scheme(String),
    InsecureHttp(String),
    Credentials,
    Path(String),
    Host(String),
    Port(String),
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginError::Empty => write!(f, "topDomain is empty: set it to your instance, e.g. https://acme.service-now.com"),
            OriginError::Wildcard => write!(f, "topDomain must name one origin; '*' and wildcards are not allowed"),
            OriginError::NoScheme(v) => write!(f, "topDomain '{v}' has no scheme: write it as https://{v}"),
            OriginError::Scheme(s) => write!(f, "topDomain scheme '{s}' is not allowed: use https"),
            OriginError::InsecureHttp(h) => {
                write!(f, "topDomain http://{h} is not allowed: use https (plain http only for localhost)")
            }
            OriginError::Credentials => write!(f, "topDomain must not contain a user name or password"),
            OriginError::Path(p) => write!(f, "topDomain must be an origin only, without the path '{p}'"),
            OriginError::Host(h) => write!(f, "topDomain host '{h}' is not a valid host name"),
            OriginError::Port(p) => write!(f, "topDomain port '{p}' is not a valid port"),
        }
    }
}

impl std::error::Error for OriginError {}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "[::1]"
}

fn valid_host(host: &str) -> bool {
    if host.starts_with('[') {
        // IPv6 literal: only brackets around hex digits, colons and dots.
        return host.ends_with(']')
            && host.len() > 2
            && host[1..host.len() - 1].chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl TopDomain {
    /// Parses and validates a topDomain value.
    pub fn parse(input: &str) -> Result<TopDomain, OriginError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(OriginError::Empty);
        }
        if s.contains('*') {
            return Err(OriginError::Wildcard);
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Err(OriginError::NoScheme(s.to_string()));
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(OriginError::Scheme(scheme));
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if let Some(i) = rest.find(['/', '?', '#', '\\']) {
            return Err(OriginError::Path(rest[i..].to_string()));
        }
        if rest.contains('@') {
            return Err(OriginError::Credentials);
        }
        let (host, port) = if rest.starts_with('[') {
            match rest.find(']') {
                Some(end) => {
                    let host = &rest[..=end];
                    match &rest[end + 1..] {
                        "" => (host, None),
                        p if p.starts_with(':') => (host, Some(&p[1..])),
                        _ => return Err(OriginError::Host(rest.to_string())),
                    }
                }
                None => return Err(OriginError::Host(rest.to_string())),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        let host = host.to_ascii_lowercase();
        if !valid_host(&host) {
            return Err(OriginError::Host(host));
        }
        let port = match port {
            None => None,
            Some(p) => {
                if p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()) {
                    return Err(OriginError::Port(p.to_string()));
                }
                let n: u32 = p.parse().map_err(|_| OriginError::Port(p.to_string()))?;
                if n == 0 || n > 65535 {
                    return Err(OriginError::Port(p.to_string()));
                }
                let default = if scheme == "https" { 443 } else { 80 };
                if n == default { None } else { Some(n as u16) }
            }
        };
        if scheme == "http" && !is_loopback_host(&host) {
            return Err(OriginError::InsecureHttp(host));
        }
        Ok(TopDomain { scheme, host, port })
    }

    /// The serialized origin, exactly as a browser reports `MessageEvent.origin`.
    pub fn origin(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{}", self.scheme, self.host, p),
            None => format!("{}://{}", self.scheme, self.host),
        }
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
        assert_eq!(TopDomain::parse("http://[::1]:8090").unwrap().origin(), "http://[::1]:8090");
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
        assert!(matches!(TopDomain::parse("https://ac me.com"), Err(OriginError::Host(_))));
        assert!(matches!(TopDomain::parse("https://acme.com:0"), Err(OriginError::Port(_))));
        assert!(matches!(TopDomain::parse("https://acme.com:70000"), Err(OriginError::Port(_))));
        assert!(matches!(TopDomain::parse("https://acme.com:"), Err(OriginError::Port(_))));
        assert!(matches!(TopDomain::parse("https://acme.com:8x"), Err(OriginError::Port(_))));
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
}
