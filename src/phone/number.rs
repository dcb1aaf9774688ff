//! Phone numbers as agents type and paste them: normalization to E.164 with a default country (pure).

/// Country calling codes and whether the national trunk prefix `0` is dropped, for common countries.
const COUNTRIES: &[(&str, &str, bool)] = &[
    ("US", "1", false), ("CA", "1", false), ("GB", "44", true), ("IE", "353", true), ("DE", "49", true),
    ("FR", "33", true), ("ES", "34", false), ("IT", "39", false), ("NL", "31", true), ("BE", "32", true),
    ("CH", "41", true), ("AT", "43", true), ("SE", "46", true), ("NO", "47", false), ("DK", "45", false),
    ("FI", "358", true), ("PL", "48", false), ("PT", "351", false), ("AU", "61", true), ("NZ", "64", true),
    ("IN", "91", true), ("SG", "65", false), ("JP", "81", true), ("BR", "55", true), ("MX", "52", false),
    ("ZA", "27", true), ("IL", "972", true), ("AE", "971", true),
];

/// The calling code of a two-letter country (None when unknown).
pub fn calling_code(country: &str) -> Option<&'static str> {
    find_country(country).map(|(_, code, _)| *code)
}

fn find_country(country: &str) -> Option<&'static (&'static str, &'static str, bool)> {
    COUNTRIES.iter().find(|(c, _, _)| c.eq_ignore_ascii_case(country))
}

/// What an agent may dial: an E.164 number, or a short internal extension / feature code kept as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialable {
    E164(String),
    Extension(String),
}

impl Dialable {
    pub fn as_str(&self) -> &str {
        match self {
            Dialable::E164(s) | Dialable::Extension(s) => s,
        }
    }
}

/// Normalizes free text ("(415) 555-0123", "+44 20 7946 0958", "00 49 30 1234567", "tel:+1...", "ext 2002")
/// to E.164 with `country` as the default. Up to 6 digits (or anything with `*`/`#`) is an extension.
pub fn normalize(input: &str, country: &str) -> Result<Dialable, String> {
    let t = input.trim();
    let t = t.strip_prefix("tel:").unwrap_or(t);
    // Drop an extension suffix for the main number ("x123", "ext. 123") is out of scope: refuse letters.
    let (mut out, mut bad) = (String::new(), false);
    for (i, c) in t.chars().enumerate() {
        match c {
            '0'..='9' | '*' | '#' => out.push(c),
            '+' if i == 0 || out.is_empty() => out.push('+'),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => {
                bad = true;
                break;
            }
        }
    }
    if bad || out.is_empty() || out == "+" {
        return Err(crate::strings::not_a_phone_number(input).render());
    }
    if out.contains(['*', '#']) {
        return Ok(Dialable::Extension(out));
    }
    let digits = crate::text::trim_start_of(&out, "+");
    if out.starts_with('+') {
        return check_e164(digits, input);
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return check_e164(rest, input);
    }
    if digits.len() <= 6 {
        return Ok(Dialable::Extension(digits.to_string()));
    }
    let in_country = |text: &str| crate::strings::fill(text, &[("input", input), ("country", country)]);
    let Some(&(_, code, trunk)) = find_country(country) else {
        return Err(in_country(crate::strings::NUMBER_NO_COUNTRY()));
    };
    if code == "1" {
        // North American Numbering Plan: 10 digits, or 11 starting with the country code 1.
        return match digits.len() {
            10 => check_e164(&crate::ui::cat(&["1", digits]), input),
            11 if digits.starts_with('1') => check_e164(digits, input),
            _ => Err(in_country(crate::strings::NUMBER_NOT_VALID_IN())),
        };
    }
    let national = if trunk { digits.strip_prefix('0').unwrap_or(digits) } else { digits };
    check_e164(&crate::ui::cat(&[code, national]), input)
}

fn check_e164(digits: &str, input: &str) -> Result<Dialable, String> {
    if digits.starts_with('0') || !(8..=15).contains(&digits.len()) {
        return Err(crate::strings::fill(crate::strings::NUMBER_NOT_INTERNATIONAL(), &[("input", input)]));
    }
    Ok(Dialable::E164(crate::ui::cat(&["+", digits])))
}

/// The last `n` digits of a number, for matching free-text phone fields.
pub fn trailing_digits(s: &str, n: usize) -> String {
    let mut d = super::kept_chars(s, |c| c.is_ascii_digit(), usize::MAX);
    // ASCII digits: one byte each.
    d.drain(..d.len().saturating_sub(n));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Dialable {
        Dialable::E164(s.into())
    }

    #[test]
    fn formats_agents_paste() {
        assert_eq!(normalize("(415) 555-0123", "US"), Ok(e("+14155550123")));
        assert_eq!(normalize("415.555.0142", "US"), Ok(e("+14155550142")));
        assert_eq!(normalize("1 415 555 0123", "US"), Ok(e("+14155550123")));
        assert_eq!(normalize("+1 (415) 555-0123", "GB"), Ok(e("+14155550123")));
        assert_eq!(normalize("tel:+442079460958", "US"), Ok(e("+442079460958")));
        assert_eq!(normalize("020 7946 0958", "GB"), Ok(e("+442079460958")));
        assert_eq!(normalize("07700 900123", "GB"), Ok(e("+447700900123")));
        assert_eq!(normalize("00 49 30 1234567", "US"), Ok(e("+49301234567")));
        assert_eq!(normalize("030 1234567", "DE"), Ok(e("+49301234567")));
        assert_eq!(normalize("612 345 678", "ES"), Ok(e("+34612345678")));
    }

    #[test]
    fn extensions_and_codes_pass_through() {
        assert_eq!(normalize("2002", "US"), Ok(Dialable::Extension("2002".into())));
        assert_eq!(normalize("*72", "US"), Ok(Dialable::Extension("*72".into())));
        assert_eq!(normalize("#31#", "US"), Ok(Dialable::Extension("#31#".into())));
    }

    #[test]
    fn rejects_what_cannot_be_dialled() {
        for bad in ["", "+", "abc", "555-CALL-NOW", "415 555 012", "+0123456789", "+1234567890123456", "1+2"] {
            assert!(normalize(bad, "US").is_err(), "{bad}");
        }
        assert!(normalize("0301234567", "XX").unwrap_err().contains("unknown"));
        assert_eq!(trailing_digits("(415) 555-0123", 7), "5550123");
        assert_eq!(calling_code("gb"), Some("44"));
    }
}
