//! base64url without padding (RFC 4648 section 5): the only base64 the desktop writes (PKCE code challenges,
//! pop-out tickets and their proofs). Written here because the base64 crate's generic engine cost about 1 KB gzip
//! of wasm for these three calls.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `bytes` in base64url, without `=` padding.
pub fn url_no_pad(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        // Up to 24 bits, first byte highest; n bytes give n + 1 characters of 6 bits.
        let bits = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::url_no_pad;

    #[test]
    fn rfc4648_test_vectors_without_padding() {
        // RFC 4648 section 10 (the padding removed, as base64url without padding does).
        for (input, want) in [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(url_no_pad(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn uses_the_url_safe_alphabet() {
        // Standard base64 would write "+/8=" and "/+8=".
        assert_eq!(url_no_pad(&[0xfb, 0xff]), "-_8");
        assert_eq!(url_no_pad(&[0xff, 0xef]), "_-8");
        assert_eq!(url_no_pad(&[0u8; 32]).len(), 43);
    }
}
