//! Text contrast of the stylesheet's palette, in both themes, against WCAG 2 AA (4.5:1 for text).
//! Reads style/app.css itself, so a colour change that breaks contrast fails here.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;

fn palette(css: &str, block_start: &str) -> HashMap<String, String> {
    let start = css.find(block_start).unwrap_or_else(|| panic!("{block_start} not in app.css"));
    let body = &css[start..];
    let body = &body[body.find('{').unwrap() + 1..];
    // The :root block inside the media query, or the block itself.
    let body = if block_start.starts_with("@media") { &body[body.find('{').unwrap() + 1..] } else { body };
    let body = &body[..body.find('}').unwrap()];
    body.split(';')
        .filter_map(|d| {
            let (k, v) = d.split_once(':')?;
            let k = k.trim();
            k.starts_with("--").then(|| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

fn rgb(hex: &str) -> (f64, f64, f64) {
    let h = hex.trim_start_matches('#');
    assert_eq!(h.len(), 6, "colour {hex} must be #rrggbb");
    let p = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).unwrap() as f64 / 255.0;
    (p(0), p(2), p(4))
}

fn luminance(hex: &str) -> f64 {
    let lin = |c: f64| if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
    let (r, g, b) = rgb(hex);
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

fn ratio(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// (foreground, background) pairs the stylesheet draws text with.
const PAIRS: &[(&str, &str)] = &[
    ("--text", "--bg"),
    ("--text", "--surface"),
    ("--muted", "--bg"),
    ("--muted", "--surface"),
    ("--brand-text", "--brand"),
    ("--accent-text", "--accent"),
    ("--accent", "--bg"),
    ("--error-text", "--error-bg"),
    ("--info-text", "--info-bg"),
    ("#ffffff", "--danger"),
    ("#ffffff", "--warn"),
];

#[test]
fn palette_meets_wcag_aa_in_both_themes() {
    let css = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/style/app.css")).unwrap();
    let light = palette(&css, ":root {");
    let mut dark = light.clone();
    dark.extend(palette(&css, "@media (prefers-color-scheme: dark)"));
    let mut failures = Vec::new();
    for (theme, p) in [("light", &light), ("dark", &dark)] {
        for (fg, bg) in PAIRS {
            let get = |k: &str| if k.starts_with('#') { k.to_string() } else { p.get(k).cloned().unwrap_or_else(|| panic!("{k} missing")) };
            let r = ratio(&get(fg), &get(bg));
            if r < 4.5 {
                failures.push(format!("{theme}: {fg} on {bg} = {r:.2}:1"));
            }
        }
    }
    assert!(failures.is_empty(), "below 4.5:1: {failures:#?}");
}

#[test]
fn contrast_formula_matches_known_values() {
    assert!((ratio("#000000", "#ffffff") - 21.0).abs() < 0.01);
    assert!((ratio("#777777", "#ffffff") - 4.48).abs() < 0.01);
}
