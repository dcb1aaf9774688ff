//! `application/x-www-form-urlencoded` (the WHATWG URL standard's serializer and parser), written here for
//! the few places that need it (REST query strings, the OAuth token request, the page's query, redaction):
//! the `form_urlencoded` crate's generic builders cost the wasm about 0.8 KB gzip for the same bytes.

/// Appends `s` encoded: ASCII letters, digits and `*-._` as they are, space as `+`, every other byte `%XX`.
pub fn push_encoded(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b' ' => out.push('+'),
            b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            _ if b.is_ascii_alphanumeric() => out.push(b as char),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
}

/// `s` encoded ([`push_encoded`]).
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    push_encoded(&mut out, s);
    out
}

/// `name=value` pairs joined by `&`, each encoded.
pub fn serialize(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, k);
        out.push('=');
        push_encoded(&mut out, v);
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The byte two hex digits `a` `b` write, read exactly as `u8::from_str_radix(.., 16)` reads those two bytes
/// (so `+f` is 15: the percent decoders of the settings' path and of SIP URIs read escapes that way): one
/// reader here instead of the standard library's radix parser, linked for these two uses only (issue #16).
pub fn hex2(a: u8, b: u8) -> Option<u8> {
    if a == b'+' {
        hex(b)
    } else {
        Some(hex(a)? * 16 + hex(b)?)
    }
}

/// One name or value decoded: `+` is a space, `%XX` a byte (a `%` without two hex digits stays as it is),
/// then UTF-8 with U+FFFD for what is not.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() => {
                out.push(hex(b[i + 1]).unwrap_or(0) * 16 + hex(b[i + 2]).unwrap_or(0));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The pairs of a query string (without its `?`): split at `&` (empty parts skipped), then at the first
/// `=` (none: the value is empty), each decoded.
pub fn parse(q: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for p in crate::text::split_byte(q, b'&') {
        if !p.is_empty() {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            pairs.push((decode(k), decode(v)));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [&str; 14] = [
        "",
        "plain",
        "a b+c",
        "x=1&y=2",
        "ünï©ødé ✓",
        "*-._~!'()",
        "%",
        "%4",
        "%41%4a%zz%%",
        "&&a=&=b&c",
        "a=b=c&d",
        "%FF%FE+x",
        "\u{0}\u{1f}\u{7f}",
        "sysparm_query=phone=+1 (415) 555-0123^ORmobile_phone!=x",
    ];

    #[test]
    fn encodes_as_the_form_urlencoded_crate_does() {
        for s in SAMPLES {
            let reference: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
            assert_eq!(encode(s), reference, "{s:?}");
            let pairs = [("k", s), (s, "v"), ("a b", "c&d=e")];
            let reference = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish();
            assert_eq!(serialize(&pairs), reference, "{s:?}");
        }
        assert_eq!(serialize(&[]), "");
    }

    #[test]
    fn hex2_reads_two_bytes_as_from_str_radix_does() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let reference = std::str::from_utf8(&[a, b]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                assert_eq!(hex2(a, b), reference, "{a} {b}");
            }
        }
    }

    #[test]
    fn hostile_queries_parse_as_the_form_urlencoded_crate_parses_them() {
        for s in SAMPLES.iter().copied().chain(["topDomain=https%3A%2F%2Fx.service-now.com&demo=yes", "config=a%252e%252e%2Fx.json", "a=%C3%28", "=%"]) {
            let reference: Vec<(String, String)> = form_urlencoded::parse(s.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            assert_eq!(parse(s), reference, "{s:?}");
        }
    }
}
