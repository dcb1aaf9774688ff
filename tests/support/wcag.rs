//! WCAG 2 contrast arithmetic, shared by the stylesheet test (host) and the computed-style test (browser).
#![allow(dead_code)]

/// An sRGB colour with alpha, components 0..=255 and alpha 0..=1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgba(pub f64, pub f64, pub f64, pub f64);

/// Parses `#rgb`, `#rrggbb`, `rgb(r, g, b)`, `rgba(r, g, b, a)` (also the space-separated form that
/// `getComputedStyle` never uses but authors may); None for anything else (keywords, `var()`...).
pub fn parse(s: &str) -> Option<Rgba> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix('#') {
        let h: String = if h.len() == 3 { h.chars().flat_map(|c| [c, c]).collect() } else { h.to_string() };
        if h.len() != 6 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let p = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok().map(f64::from);
        return Some(Rgba(p(0)?, p(2)?, p(4)?, 1.0));
    }
    let inner = s.strip_prefix("rgba(").or_else(|| s.strip_prefix("rgb("))?.strip_suffix(')')?;
    let parts: Vec<f64> = inner.split([',', ' ', '/']).filter(|p| !p.is_empty()).map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
    match parts[..] {
        [r, g, b] => Some(Rgba(r, g, b, 1.0)),
        [r, g, b, a] => Some(Rgba(r, g, b, a)),
        _ => None,
    }
}

/// `top` drawn over the opaque `bottom`.
pub fn over(top: Rgba, bottom: Rgba) -> Rgba {
    let a = top.3;
    Rgba(top.0 * a + bottom.0 * (1.0 - a), top.1 * a + bottom.1 * (1.0 - a), top.2 * a + bottom.2 * (1.0 - a), 1.0)
}

/// Relative luminance (WCAG 2).
pub fn luminance(c: Rgba) -> f64 {
    let lin = |v: f64| {
        let v = v / 255.0;
        if v <= 0.03928 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
}

/// Contrast ratio of two opaque colours (1..=21).
pub fn ratio(a: Rgba, b: Rgba) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// WCAG 2 AA for normal text.
pub const AA: f64 = 4.5;
/// WCAG 2 AA for large text (at least 24 px, or 18.66 px bold).
pub const AA_LARGE: f64 = 3.0;
