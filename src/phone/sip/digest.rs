//! HTTP Digest authentication for SIP (RFC 2617, RFC 7616, RFC 8760): MD5 and SHA-256, qop=auth.

use super::message::{split_outside, unquote};
use super::hash::{md5, sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    fn hash(self, data: &str) -> String {
        fn hex(b: &[u8]) -> String {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut s = String::with_capacity(2 * b.len());
            for x in b {
                s.push(HEX[(x >> 4) as usize] as char);
                s.push(HEX[(x & 15) as usize] as char);
            }
            s
        }
        match self {
            Algorithm::Md5 => hex(&md5(data.as_bytes())),
            Algorithm::Sha256 => hex(&sha256(data.as_bytes())),
        }
    }
}

/// A parsed `WWW-Authenticate` / `Proxy-Authenticate` Digest challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// True when the server offers qop=auth.
    pub qop_auth: bool,
    pub stale: bool,
}

impl Challenge {
    /// Parses a Digest challenge (None when it is not one). Unsupported algorithms (e.g. `-sess` variants) and
    /// qop values that do not include `auth` (when a qop is given) are refused.
    pub fn parse(header: &str) -> Option<Challenge> {
        let h = header.trim();
        let rest = match h.split_once(char::is_whitespace) {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("Digest") => rest,
            _ => return None,
        };
        let mut realm = None;
        let mut nonce = None;
        let mut opaque = None;
        let mut algorithm = Algorithm::Md5;
        let mut qop = None;
        let mut stale = false;
        for part in split_outside(rest, ',') {
            let Some((k, v)) = part.split_once('=') else { continue };
            let v = unquote(v);
            match k.trim().to_ascii_lowercase().as_str() {
                "realm" => realm = Some(v),
                "nonce" => nonce = Some(v),
                "opaque" => opaque = Some(v),
                "stale" => stale = v.eq_ignore_ascii_case("true"),
                "qop" => qop = Some(v),
                "algorithm" => {
                    algorithm = match v.to_ascii_uppercase().as_str() {
                        "MD5" => Algorithm::Md5,
                        "SHA-256" => Algorithm::Sha256,
                        _ => return None,
                    }
                }
                _ => {}
            }
        }
        let qop_auth = match qop {
            None => false,
            Some(q) => {
                if !crate::text::split_byte(&q, b',').any(|x| x.trim().eq_ignore_ascii_case("auth")) {
                    return None;
                }
                true
            }
        };
        Some(Challenge {
            realm: realm?,
            nonce: nonce?,
            opaque,
            algorithm,
            qop_auth,
            stale,
        })
    }
}

/// The response hash (RFC 7616 3.4.1) for qop=auth or no qop.
pub fn response(
    c: &Challenge,
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
    nc: u32,
    cnonce: &str,
) -> String {
    let a = c.algorithm;
    let ha1 = a.hash(&format!("{user}:{}:{password}", c.realm));
    let ha2 = a.hash(&format!("{method}:{uri}"));
    if c.qop_auth {
        a.hash(&format!("{ha1}:{}:{}:{cnonce}:auth:{ha2}", c.nonce, nc_hex(nc)))
    } else {
        a.hash(&format!("{ha1}:{}:{ha2}", c.nonce))
    }
}

/// The nonce count as 8 hex digits (`{:08x}`, RFC 7616 3.4), by the shared hex writer (no `LowerHex`).
fn nc_hex(nc: u32) -> String {
    let mut s = String::new();
    crate::text::push_hex(&mut s, nc, 8);
    s
}

/// The `Authorization` / `Proxy-Authorization` header value answering the challenge.
pub fn authorization(c: &Challenge, user: &str, password: &str, method: &str, uri: &str, nc: u32, cnonce: &str) -> String {
    let r = response(c, user, password, method, uri, nc, cnonce);
    let q = |s: &str| super::message::quote(s);
    let mut h = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response=\"{r}\", algorithm={}",
        q(user),
        q(&c.realm),
        q(&c.nonce),
        q(uri),
        c.algorithm.name()
    );
    if c.qop_auth {
        h.push_str(&format!(", qop=auth, nc={}, cnonce={}", nc_hex(nc), q(cnonce)));
    }
    if let Some(o) = &c.opaque {
        h.push_str(&format!(", opaque={}", q(o)));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_md5_vector() {
        let c = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert!(c.qop_auth);
        assert_eq!(c.algorithm, Algorithm::Md5);
        let r = response(&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b");
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
        let h = authorization(&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b");
        assert!(h.contains("nc=00000001"), "{h}");
        assert!(h.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""), "{h}");
    }

    #[test]
    fn rfc7616_sha256_and_md5_vectors() {
        let base = "realm=\"http-auth@example.org\", qop=\"auth, auth-int\", nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        let sha = Challenge::parse(&format!("Digest {base}, algorithm=SHA-256")).unwrap();
        assert_eq!(sha.algorithm, Algorithm::Sha256);
        assert_eq!(
            response(&sha, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, cnonce),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        let md5 = Challenge::parse(&format!("Digest {base}, algorithm=MD5")).unwrap();
        assert_eq!(response(&md5, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, cnonce), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn challenges_without_qop_and_refusals() {
        let c = Challenge::parse("Digest realm=\"sip.example.com\", nonce=\"abc\", stale=TRUE").unwrap();
        assert!(!c.qop_auth);
        assert!(c.stale);
        let h = authorization(&c, "alice", "pw", "REGISTER", "sip:sip.example.com", 1, "x");
        assert!(!h.contains("qop"), "{h}");
        assert!(Challenge::parse("Basic realm=\"x\"").is_none());
        assert!(Challenge::parse("Digest realm=\"x\", nonce=\"y\", algorithm=MD5-sess").is_none());
        assert!(Challenge::parse("Digest realm=\"x\", nonce=\"y\", qop=\"auth-int\"").is_none());
        assert!(Challenge::parse("Digest nonce=\"y\"").is_none());
    }
}
