//! Text searched for text (a `&str` in a `&str`), as the standard library's `find`, `contains`, `split_once`,
//! `split` and `replace` do with a `&str` pattern, but without its two-way searcher: that searcher and the
//! generic copies around it (`StrSearcher`, `TwoWaySearcher`, a `Split`, `trim_*_matches` and `contains` per
//! pattern type) were ~4 KB of the wasm. A `char` tested against a set of characters goes through [`one_of`]
//! (`"+-.".contains(c)` with a `char` is a `&str` search too when `c` is not ASCII).
//!
//! The search is Knuth-Morris-Pratt over bytes: linear in the text and the needle whatever they hold (both
//! may come from a peer). A match of a whole UTF-8 needle in UTF-8 text starts on a character boundary, so
//! the byte index is the one `str::find` gives.

/// The byte index of the first `needle` in `hay` (`Some(0)` for an empty needle), as `hay.find(needle)`.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    if n.len() > h.len() {
        return None;
    }
    // fail[i]: the length of the longest proper prefix of n[..=i] that is also its suffix.
    let mut fail = vec![0usize; n.len()];
    let mut k = 0;
    for i in 1..n.len() {
        while k > 0 && n[i] != n[k] {
            k = fail[k - 1];
        }
        if n[i] == n[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let mut k = 0;
    for (i, &b) in h.iter().enumerate() {
        while k > 0 && b != n[k] {
            k = fail[k - 1];
        }
        if b == n[k] {
            k += 1;
            if k == n.len() {
                return Some(i + 1 - n.len());
            }
        }
    }
    None
}

/// Whether `needle` is in `hay`, as `hay.contains(needle)`.
pub fn contains(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// The text before and after the first `sep`, as `hay.split_once(sep)`.
pub fn split_once<'a>(hay: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let i = find(hay, sep)?;
    Some((upto(hay, i), from(hay, i + sep.len())))
}

/// The pieces of `hay` between the (non-overlapping) `sep`s, as `hay.split(sep)` for a non-empty `sep`.
/// An empty `sep` (std would split between every character) gives `hay` whole: no caller passes one.
pub fn split<'a, 'b>(hay: &'a str, sep: &'b str) -> Split<'a, 'b> {
    debug_assert!(!sep.is_empty(), "text::split with an empty separator");
    Split { rest: Some(hay), sep }
}

pub struct Split<'a, 'b> {
    rest: Option<&'a str>,
    sep: &'b str,
}

impl<'a> Iterator for Split<'a, '_> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_once(rest, self.sep) {
            Some((piece, after)) if !self.sep.is_empty() => {
                self.rest = Some(after);
                Some(piece)
            }
            _ => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// `hay` with every (non-overlapping, left to right) `from` replaced by `to`, as `hay.replace(from, to)`
/// for a non-empty `from`.
/// An empty `from` (std would insert `to` between every character) gives `hay` unchanged: no caller passes one.
pub fn replace(hay: &str, from: &str, to: &str) -> String {
    debug_assert!(!from.is_empty(), "text::replace with an empty pattern");
    let mut out = String::with_capacity(hay.len());
    let mut rest = hay;
    while let Some((before, after)) = split_once(rest, from).filter(|_| !from.is_empty()) {
        out.push_str(before);
        out.push_str(to);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `s` without every leading `p`, as `s.trim_start_matches(p)` with a `&str`.
pub fn trim_start<'a>(mut s: &'a str, p: &str) -> &'a str {
    while let Some(rest) = s.strip_prefix(p).filter(|_| !p.is_empty()) {
        s = rest;
    }
    s
}

/// `s` without every trailing `p`, as `s.trim_end_matches(p)` with a `&str`.
pub fn trim_end<'a>(mut s: &'a str, p: &str) -> &'a str {
    while let Some(rest) = s.strip_suffix(p).filter(|_| !p.is_empty()) {
        s = rest;
    }
    s
}

/// The parts with `sep` between them, as `parts.join(sep)` (a plain loop: std's join is a specialised copy
/// per element type).
pub fn join<S: AsRef<str>>(parts: &[S], sep: &str) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(p.as_ref());
    }
    out
}

/// The byte index of the last `b` in `s`, as `s.rfind(b as char)` for an ASCII `b` (a byte below 0x80 is never
/// part of a longer character, so the index is a character boundary; std's char searcher is a copy of its own).
pub fn rfind_byte(s: &str, b: u8) -> Option<usize> {
    debug_assert!(b.is_ascii());
    s.bytes().rposition(|x| x == b)
}

/// The text before and after the last `b`, as `s.rsplit_once(b as char)` for an ASCII `b`.
pub fn rsplit_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = rfind_byte(s, b)?;
    Some((upto(s, i), from(s, i + 1)))
}

/// The pieces of `s` between the `b`s, as `s.split(b as char)` for an ASCII `b` (a byte below 0x80 is always a
/// character boundary; std's `Split<char>` and its char searcher are copies of their own).
pub fn split_byte(s: &str, b: u8) -> SplitByte<'_> {
    splitn_byte(s, usize::MAX, b)
}

/// At most `n` pieces of `s` between the `b`s, the last one the rest, as `s.splitn(n, b as char)` for an ASCII `b`.
pub fn splitn_byte(s: &str, n: usize, b: u8) -> SplitByte<'_> {
    debug_assert!(b.is_ascii());
    SplitByte { rest: Some(s), b, n, terminator: false }
}

/// The pieces of `s` ended by the `b`s, as `s.split_terminator(b as char)` for an ASCII `b` (as [`split_byte`]
/// but without an empty last piece).
pub fn split_terminator_byte(s: &str, b: u8) -> SplitByte<'_> {
    SplitByte { terminator: true, ..split_byte(s, b) }
}

pub struct SplitByte<'a> {
    rest: Option<&'a str>,
    b: u8,
    n: usize,
    terminator: bool,
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest.take()?;
        self.n = self.n.checked_sub(1)?;
        if self.n > 0 {
            if let Some(i) = rest.bytes().position(|x| x == self.b) {
                self.rest = Some(from(rest, i + 1));
                return Some(upto(rest, i));
            }
        }
        Some(rest).filter(|r| !(self.terminator && r.is_empty()))
    }
}

/// `s` without its leading characters that are in `set` (ASCII only), as `s.trim_start_matches(|c| set.contains(c))`.
pub fn trim_start_of<'a>(s: &'a str, set: &str) -> &'a str {
    debug_assert!(set.is_ascii());
    from(s, s.bytes().take_while(|b| set.bytes().any(|x| x == *b)).count())
}

/// `s` without its trailing characters that are in `set` (ASCII only), as `s.trim_end_matches(|c| set.contains(c))`.
pub fn trim_end_of<'a>(s: &'a str, set: &str) -> &'a str {
    debug_assert!(set.is_ascii());
    upto(s, s.len() - s.bytes().rev().take_while(|b| set.bytes().any(|x| x == *b)).count())
}

/// `s[a..b]` replaced by `with`, as `s.replace_range(a..b, with)` (std's goes through `Vec::splice`).
pub fn splice(s: &mut String, a: usize, b: usize, with: &str) {
    let tail = s.split_off(b);
    s.truncate(a);
    s.push_str(with);
    s.push_str(&tail);
}

/// `s[a..b]` without a panic path: the empty text when `a..b` is not a range of character boundaries within
/// `s` (a slice at a bad index panics, and its message formats the text with `Debug`, which links `char`'s
/// escaping and the Unicode printable tables; callers pass indices they found in `s`, so the fallback is for
/// the impossible case, never a slice at a bad index).
pub fn cut(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or_default()
}

/// `s[a..]` without a panic path (the empty text when `a` is not a character boundary within `s`).
pub fn from(s: &str, a: usize) -> &str {
    cut(s, a, s.len())
}

/// `s[..b]` without a panic path (the empty text when `b` is not a character boundary within `s`).
pub fn upto(s: &str, b: usize) -> &str {
    cut(s, 0, b)
}

/// `s.split_at(i)` without a panic path (`s` whole and the empty text when `i` is not a character boundary
/// within `s`).
pub fn split_at(s: &str, i: usize) -> (&str, &str) {
    s.split_at_checked(i).unwrap_or((s, ""))
}

/// `s` in double quotes, written after `out`, as `format!("{s:?}")` writes it (the call state's text), without
/// the Unicode tables `Debug` links: `"`, `\\`, `\n`, `\r`, `\t` and `\0` escaped with a backslash, and as
/// `\u{hex}` the control characters, the spaces other than U+0020, the line and paragraph separators, the
/// format characters (U+00AD, U+200B-200F, U+FEFF, ...), private-use characters, the noncharacters of U+FDD0-FDEF
/// and U+FFFE-FFFF, and the combining diacritical marks U+0300-036F (the characters `Debug` escapes there). The
/// only difference from `Debug` (a host test checks every code point): other combining marks and code points not
/// yet assigned are written as they are, where `Debug` writes `\u{hex}`.
pub fn quoted(out: &mut String, s: &str) {
    quoted_with(out, s, |c| escaped_as_code(c as u32));
}

/// `s` in double quotes as [`quoted`] writes it, with `as_code` choosing the characters written as
/// `\u{hex}`: one writer for the call state's text and the SIP stack's quoted values (issue #16).
#[inline(never)]
pub fn quoted_with(out: &mut String, s: &str, as_code: fn(char) -> bool) {
    out.push('"');
    for c in s.chars() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\0' => "\\0",
            c if as_code(c) => {
                out.push_str("\\u{");
                push_hex(out, c as u32, 1);
                out.push('}');
                continue;
            }
            c => {
                out.push(c);
                continue;
            }
        };
        out.push_str(esc);
    }
    out.push('"');
}

/// Joins texts into one, instead of a `format!` of plain texts at each site: the views', the desk's notes,
/// announcements and names (issue #16).
#[inline(never)]
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        s.push_str(p);
    }
    s
}

/// Appends `v` in lower-case hex, zero-padded to at least `min` digits (1 to 8), as `{:0min$x}` writes it
/// (the SIP stack's random tokens, without `format!` and `LowerHex` at each site).
#[inline(never)]
pub fn push_hex(out: &mut String, v: u32, min: u32) {
    let mut n = 8;
    while n > min && v >> (4 * (n - 1)) == 0 {
        n -= 1;
    }
    while n > 0 {
        n -= 1;
        out.push(char::from(b"0123456789abcdef"[(v >> (4 * n) & 15) as usize]));
    }
}

/// Whether [`quoted`] writes the character as `\u{hex}` (see there).
fn escaped_as_code(n: u32) -> bool {
    matches!(n,
        0x01..=0x1f | 0x7f..=0xa0 | 0xad | 0x300..=0x36f | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891
        | 0x8e2 | 0x1680 | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000 | 0xe000..=0xf8ff
        | 0xfdd0..=0xfdef | 0xfeff | 0xfff9..=0xfffb | 0xfffe..=0xffff | 0x110bd | 0x110cd | 0x13430..=0x1343f
        | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0xffffd | 0x100000..=0x10fffd)
}

/// Whether `c` is one of the characters of `set`, as `set.contains(c)`.
pub fn one_of(c: char, set: &str) -> bool {
    set.chars().any(|x| x == c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_hex_writes_as_format_does() {
        let mut rng = crate::fuzz_rng::Rng(0x5eed);
        let mut values: Vec<u32> = vec![0, 1, 9, 10, 15, 16, 255, 256, 0xffff, 0x1_0000, 0x0fff_ffff, 0x1000_0000, u32::MAX];
        for _ in 0..5_000 {
            let v = rng.next() as u32;
            values.push(v);
            values.push(v >> rng.below(32));
        }
        for v in values {
            for min in 1..=8u32 {
                let mut s = String::from("x");
                push_hex(&mut s, v, min);
                assert_eq!(s, format!("x{v:0w$x}", w = min as usize), "{v} {min}");
            }
        }
    }

    #[test]
    fn same_as_the_standard_library() {
        let hays = ["", "a", "aaa", "abcabcabd", "abababab", "x\r\n\r\ny\r\n", "héllo wörld é", "--b\r\n--b--", "aabaabaaab"];
        let needles = ["", "a", "aa", "ab", "abd", "abab", "\r\n\r\n", "é", "ö", "--b", "aab", "aaab", "zzzzzzzzzzzz"];
        for h in hays {
            for n in needles {
                assert_eq!(find(h, n), h.find(n), "{h:?} {n:?}");
                assert_eq!(contains(h, n), h.contains(n));
                assert_eq!(split_once(h, n), h.split_once(n));
                if !n.is_empty() {
                    assert_eq!(split(h, n).collect::<Vec<_>>(), h.split(n).collect::<Vec<_>>(), "{h:?} {n:?}");
                    assert_eq!(replace(h, n, "<>"), h.replace(n, "<>"));
                    assert_eq!(trim_start(h, n), h.trim_start_matches(n));
                    assert_eq!(trim_end(h, n), h.trim_end_matches(n));
                }
            }
        }
        let mut rng = crate::fuzz_rng::Rng(7);
        for _ in 0..5000 {
            let h: String = (0..rng.below(40)).map(|_| ['a', 'b', 'é'][rng.below(3)]).collect();
            let n: String = (0..1 + rng.below(5)).map(|_| ['a', 'b', 'é'][rng.below(3)]).collect();
            assert_eq!(find(&h, &n), h.find(n.as_str()), "{h:?} {n:?}");
            assert_eq!(split(&h, &n).collect::<Vec<_>>(), h.split(n.as_str()).collect::<Vec<_>>());
            assert_eq!(replace(&h, &n, "x"), h.replace(n.as_str(), "x"));
        }
        for parts in [&[][..], &[""], &["a"], &["a", ""], &["", "b", "é"]] {
            assert_eq!(join(parts, ", "), parts.join(", "));
        }
        for (a, b) in [(0, 0), (0, 3), (1, 3), (3, 7), (7, 7), (0, 7)] {
            let (mut x, mut y) = ("aé-éb".to_string(), "aé-éb".to_string());
            splice(&mut x, a, b, "[x]");
            y.replace_range(a..b, "[x]");
            assert_eq!(x, y);
        }
        let s = "aé-b";
        for a in 0..=s.len() + 1 {
            for b in 0..=s.len() + 1 {
                assert_eq!(cut(s, a, b), s.get(a..b).unwrap_or(""), "{a} {b}");
            }
            assert_eq!(from(s, a), s.get(a..).unwrap_or(""));
            assert_eq!(upto(s, a), s.get(..a).unwrap_or(""));
            assert_eq!(split_at(s, a), s.split_at_checked(a).unwrap_or((s, "")));
        }
        assert_eq!((cut(s, 1, 3), from(s, 3), upto(s, 1), cut(s, 2, 3), from(s, 9)), ("é", "-b", "a", "", ""));
        for c in ['a', '+', '-', 'é', '\0'] {
            assert_eq!(one_of(c, "+-.é"), "+-.é".contains(c));
        }
    }

    #[test]
    fn byte_searches_and_trims_as_the_standard_library() {
        let owned: Vec<String> = vec!["a".into(), "".into(), "é".into()];
        assert_eq!(join(&owned, ", "), owned.join(", "));
        assert_eq!(join(&Vec::<String>::new(), "+"), Vec::<String>::new().join("+"));
        let hays = ["", ".", "a.b", "é.é:é", "a\0b\0", "\0", "\0\0", "a. .b .", "..", "a:b:c", " \t x \t ", "'\"x\"'", "\r\n\r\nab\r\n", "?a=1", "++1", "é", " é "];
        let mut rng = crate::fuzz_rng::Rng(11);
        let random: Vec<String> = (0..3000)
            .map(|_| (0..rng.below(12)).map(|_| ['.', ':', ' ', '\t', 'é', 'a', '\r', '\n', '\'', '"', '\0'][rng.below(11)]).collect())
            .collect();
        for h in hays.iter().copied().chain(random.iter().map(String::as_str)) {
            for b in [b'.', b':', b'/', b'\n', b' ', b'\0', b'a'] {
                assert_eq!(rfind_byte(h, b), h.rfind(b as char), "{h:?} {b}");
                assert_eq!(rsplit_once_byte(h, b), h.rsplit_once(b as char), "{h:?} {b}");
                assert_eq!(split_byte(h, b).collect::<Vec<_>>(), h.split(b as char).collect::<Vec<_>>(), "{h:?} {b}");
                let terminated = split_terminator_byte(h, b).collect::<Vec<_>>();
                assert_eq!(terminated, h.split_terminator(b as char).collect::<Vec<_>>(), "{h:?} {b}");
                for n in 0..5 {
                    assert_eq!(splitn_byte(h, n, b).collect::<Vec<_>>(), h.splitn(n, b as char).collect::<Vec<_>>(), "{h:?} {n} {b}");
                }
            }
            for set in ["", " ", " \t", "\r\n", "\"'", "?", "+"] {
                let inset = |c: char| set.contains(c);
                assert_eq!(trim_start_of(h, set), h.trim_start_matches(inset), "{h:?} {set:?}");
                assert_eq!(trim_end_of(h, set), h.trim_end_matches(inset), "{h:?} {set:?}");
                assert_eq!(trim_end_of(trim_start_of(h, set), set), h.trim_matches(inset), "{h:?} {set:?}");
            }
        }
    }

    #[test]
    fn quoted_as_debug() {
        for t in ["", "a", "The person is not available right now", "say \"hi\"", "a\\b", "x\ny\r\tz\0", "é ñ 日本 😀", "'single'", "{}"] {
            let mut out = String::from("x");
            quoted(&mut out, t);
            assert_eq!(out, format!("x{t:?}"));
        }
        // Every code point: the same as Debug, but for characters Debug escapes and quoted writes as they are
        // (combining marks past U+036F and unassigned code points), never the other way round.
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let t = c.to_string();
            let mut out = String::new();
            quoted(&mut out, &t);
            let debug = format!("{t:?}");
            if out != debug {
                assert_eq!(out, ['"', c, '"'].iter().collect::<String>(), "{debug}");
                assert!(debug.starts_with("\"\\u{") && !escaped_as_code(c as u32), "{debug}");
                assert!(c as u32 >= 0x370, "{debug}");
            }
        }
    }

    #[test]
    fn linear_on_hostile_text() {
        let h = "a".repeat(200_000);
        let n = format!("{}b", "a".repeat(100_000));
        let t = std::time::Instant::now();
        assert_eq!(find(&h, &n), None);
        assert!(t.elapsed().as_millis() < 2_000);
    }
}
