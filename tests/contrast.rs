//! Text contrast of the stylesheets against WCAG 2 AA (4.5:1), in the light and the dark theme.
//!
//! Every pair comes from `style/*.css` itself, not from a list kept here: the custom properties of each theme
//! (`:root`, and `:root` inside `@media (prefers-color-scheme: dark)`), then every rule that sets a `color`
//! with the background it sits on, and every rule that sets a background with the text colour drawn on it.
//! - A rule's background is its own `background`/`background-color`; else that of a rule for the same element
//!   with fewer conditions (`.tab` for `.tab[aria-selected="true"]`); else that of the nearest ancestor in its
//!   selector that has one (`.topbar` for `.topbar .help-btn`); else every surface of the page (each background
//!   set by a rule that sets no text colour: the page, cards, tab bar, help...), since the text may sit on any.
//! - A background rule's text colour is found the same way, ending at the page's text colour (`body`).
//! - A rule marked `/* decorative */` draws no text (the presence dot) and is left out.
//! The browser layer (tests/browser/contrast.rs) checks the computed colours of every visible text as well.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/wcag.rs"]
mod wcag;

use std::collections::HashMap;
use wcag::{over, parse, ratio, Rgba, AA};

#[derive(Clone, Debug)]
struct Rule {
    selectors: Vec<String>,
    decls: Vec<(String, String)>,
    /// The `@media` prelude the rule sits in, if any.
    media: Option<String>,
    decorative: bool,
}

impl Rule {
    fn get(&self, prop: &str) -> Option<&str> {
        self.decls.iter().rev().find(|(k, _)| k == prop).map(|(_, v)| v.as_str())
    }
    fn background(&self) -> Option<&str> {
        self.get("background-color").or_else(|| self.get("background"))
    }
}

fn strip_comments(css: &str) -> String {
    let mut out = String::new();
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("*/").map(|j| i + j + 2).expect("unterminated comment");
        // The one comment that means something here: this rule draws no text.
        if rest[i..end].contains("decorative") {
            out.push_str(" --decorative: 1; ");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn parse_rules(css: &str, media: Option<&str>, out: &mut Vec<Rule>) {
    let mut rest = css.trim();
    while !rest.is_empty() {
        let open = rest.find('{').unwrap_or_else(|| panic!("no block after {rest:?}"));
        let prelude = rest[..open].trim().to_string();
        // The matching closing brace.
        let mut depth = 0;
        let mut close = None;
        for (i, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close.unwrap_or_else(|| panic!("unbalanced block {prelude}"));
        let body = &rest[open + 1..close];
        if prelude.starts_with("@media") {
            assert!(media.is_none(), "nested @media is not expected: {prelude}");
            parse_rules(body, Some(&prelude), out);
        } else {
            assert!(!prelude.starts_with('@'), "at-rule {prelude} is not understood by this test; teach it");
            let decls: Vec<(String, String)> = body
                .split(';')
                .filter_map(|d| d.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            out.push(Rule {
                selectors: prelude.split(',').map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).collect(),
                decorative: decls.iter().any(|(k, _)| k == "--decorative"),
                decls,
                media: media.map(str::to_string),
            });
        }
        rest = rest[close + 1..].trim();
    }
}

fn stylesheets() -> Vec<Rule> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/style");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "css")).collect();
    files.sort();
    assert!(!files.is_empty(), "no stylesheet in {dir}");
    let mut rules = Vec::new();
    for f in files {
        parse_rules(&strip_comments(&std::fs::read_to_string(&f).unwrap()), None, &mut rules);
    }
    rules
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Theme {
    Light,
    Dark,
}

fn applies(rule: &Rule, theme: Theme) -> bool {
    match rule.media.as_deref() {
        None => true,
        Some(m) if m.contains("prefers-color-scheme") => m.contains("dark") == (theme == Theme::Dark),
        // Width and other conditions: the rule holds in both themes.
        Some(_) => true,
    }
}

/// The custom properties of a theme.
fn palette(rules: &[Rule], theme: Theme) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    // Unconditional :root first, then the theme's own.
    for conditional in [false, true] {
        for r in rules.iter().filter(|r| r.selectors.iter().any(|s| s == ":root") && r.media.is_some() == conditional && applies(r, theme)) {
            for (k, v) in &r.decls {
                if k.starts_with("--") {
                    vars.insert(k.clone(), v.clone());
                }
            }
        }
    }
    vars
}

/// A colour value with its `var()`s resolved; None for none, transparent, inherit and the like.
fn colour(value: &str, vars: &HashMap<String, String>) -> Option<Rgba> {
    let v = value.trim();
    if let Some(inner) = v.strip_prefix("var(").and_then(|s| s.strip_suffix(')')) {
        let (name, fallback) = inner.split_once(',').map(|(a, b)| (a.trim(), Some(b.trim()))).unwrap_or((inner.trim(), None));
        return match vars.get(name) {
            Some(x) => colour(x, vars),
            None => fallback.and_then(|f| colour(f, vars)),
        };
    }
    if let Some(c) = parse(v) {
        return Some(c);
    }
    // A shorthand (`background: var(--bg) url(...)`): its first colour.
    if v.contains(' ') && !v.starts_with("rgb") {
        return v.split_whitespace().find_map(|t| colour(t, vars));
    }
    None
}

/// The rightmost compound selector and its ancestors (nearest first).
fn split(selector: &str) -> (String, Vec<String>) {
    let parts: Vec<&str> = selector.split([' ', '>', '+', '~']).filter(|p| !p.is_empty()).collect();
    let subject = parts.last().copied().unwrap_or("").to_string();
    (subject, parts[..parts.len().saturating_sub(1)].iter().rev().map(|s| s.to_string()).collect())
}

/// The simple selectors of a compound that name the element (tag and classes), without states and attributes.
fn base(compound: &str) -> Vec<String> {
    let cut = compound.find(['[', ':']).unwrap_or(compound.len());
    let mut names = Vec::new();
    for (i, part) in compound[..cut].split('.').enumerate() {
        if !part.is_empty() {
            names.push(if i == 0 { part.to_string() } else { format!(".{part}") });
        }
    }
    names
}

/// The states and attributes of a compound (`:hover`, `[aria-selected="true"]`).
fn conditions(compound: &str) -> &str {
    &compound[compound.find(['[', ':']).unwrap_or(compound.len())..]
}

/// Rules for the same element as `subject` with no more conditions: same ancestors, classes a subset.
fn same_element<'a>(rules: &'a [Rule], theme: Theme, subject: &str, ancestors: &[String]) -> Vec<(&'a Rule, String)> {
    let want = base(subject);
    let mut found = Vec::new();
    for r in rules.iter().filter(|r| applies(r, theme)) {
        for s in &r.selectors {
            let (sub, anc) = split(s);
            let names = base(&sub);
            let same_state = conditions(&sub).is_empty() || conditions(&sub) == conditions(subject);
            if anc == ancestors && !names.is_empty() && names.iter().all(|n| want.contains(n)) && same_state {
                found.push((r, s.clone()));
            }
        }
    }
    found
}

/// The rules that style this exact compound (for an ancestor in a selector).
fn rules_for<'a>(rules: &'a [Rule], theme: Theme, compound: &str) -> Vec<&'a Rule> {
    rules.iter().filter(|r| applies(r, theme) && r.selectors.iter().any(|s| s == compound)).collect()
}

struct Pair {
    theme: Theme,
    selector: String,
    fg: String,
    bg: String,
    ratio: f64,
}

fn pairs(rules: &[Rule], theme: Theme) -> Vec<Pair> {
    let vars = palette(rules, theme);
    let col = |v: &str| colour(v, &vars);
    let body = rules.iter().find(|r| applies(r, theme) && r.selectors.iter().any(|s| s == "body")).expect("a body rule");
    let body_fg = body.get("color").expect("body sets a colour");
    let body_bg = body.background().and_then(col).expect("body sets a background");
    // The page's surfaces: backgrounds of rules that set no text colour (text inside takes the page's colour
    // or its own), and the page itself.
    let mut surfaces: Vec<(String, Rgba)> = vec![(body.background().unwrap().to_string(), body_bg)];
    let decorative = |r: &Rule| {
        r.decorative
            || r.selectors.iter().any(|s| {
                let (subject, ancestors) = split(s);
                same_element(rules, theme, &subject, &ancestors).iter().any(|(x, _)| x.decorative)
            })
    };
    for r in rules.iter().filter(|r| applies(r, theme) && !decorative(r) && r.get("color").is_none() && !r.selectors.iter().any(|s| s == ":root")) {
        if let Some(b) = r.background() {
            if let Some(c) = col(b) {
                let c = over(c, body_bg);
                if !surfaces.iter().any(|(_, s)| *s == c) {
                    surfaces.push((b.to_string(), c));
                }
            }
        }
    }
    let mut out = Vec::new();
    for r in rules.iter().filter(|r| applies(r, theme) && !r.decorative && !r.selectors.iter().any(|s| s == ":root")) {
        for selector in &r.selectors {
            let (subject, ancestors) = split(selector);
            let relatives = same_element(rules, theme, &subject, &ancestors);
            if relatives.iter().any(|(x, _)| x.decorative) {
                continue;
            }
            // What this rule sets, or else what the element gets from its other rules, then its ancestors.
            let find = |prop: &dyn Fn(&Rule) -> Option<&str>| -> Option<String> {
                if let Some(v) = prop(r) {
                    return Some(v.to_string());
                }
                if let Some(v) = relatives.iter().filter_map(|(x, _)| prop(x)).last() {
                    return Some(v.to_string());
                }
                ancestors.iter().find_map(|a| rules_for(rules, theme, a).iter().filter_map(|x| prop(x)).last().map(str::to_string))
            };
            let sets_fg = r.get("color").is_some();
            let sets_bg = r.background().is_some();
            if !sets_fg && !sets_bg {
                continue;
            }
            let fg = find(&|x| x.get("color").filter(|v| !matches!(*v, "inherit" | "currentColor" | "currentcolor")));
            let bg = find(&|x| x.background().filter(|v| col(v).is_some()));
            let fg = fg.unwrap_or_else(|| body_fg.to_string());
            let Some(fg_c) = col(&fg) else { continue };
            let backgrounds: Vec<(String, Rgba)> = match &bg {
                Some(b) => vec![(b.clone(), over(col(b).unwrap(), body_bg))],
                None if sets_bg && !sets_fg => continue, // `background: none` alone: its text is checked by its colour rules
                None => surfaces.clone(),
            };
            for (bname, bc) in backgrounds {
                out.push(Pair { theme, selector: selector.clone(), fg: fg.clone(), bg: bname, ratio: ratio(over(fg_c, bc), bc) });
            }
        }
    }
    out
}

#[test]
fn every_text_colour_in_the_stylesheets_meets_wcag_aa_in_both_themes() {
    let rules = stylesheets();
    let mut all = Vec::new();
    for theme in [Theme::Light, Theme::Dark] {
        all.extend(pairs(&rules, theme));
    }
    // The derivation found the pairs the desktop really draws (a parser that finds nothing passes nothing).
    for (theme, selector) in [(Theme::Dark, ".timer.overdue"), (Theme::Dark, ".star"), (Theme::Dark, ".log .in .dir"), (Theme::Light, ".btn.danger"), (Theme::Dark, ".notice.error")] {
        assert!(all.iter().any(|p| p.theme == theme && p.selector == selector), "{selector} ({theme:?}) not derived");
    }
    assert!(all.len() > 60, "only {} pairs derived", all.len());
    let mut failures: Vec<String> = all
        .iter()
        .filter(|p| p.ratio < AA)
        .map(|p| format!("{:?}: {} = {} on {}: {:.2}:1", p.theme, p.selector, p.fg, p.bg, p.ratio))
        .collect();
    failures.sort();
    failures.dedup();
    if std::env::var_os("CONTRAST_REPORT").is_some() {
        for p in &all {
            println!("{:?}\t{}\t{} on {}\t{:.2}", p.theme, p.selector, p.fg, p.bg, p.ratio);
        }
    }
    assert!(failures.is_empty(), "text below {AA}:1 ({} of {} pairs):\n{}", failures.len(), all.len(), failures.join("\n"));
}

/// The derivation itself, on a small sheet: theme overrides, shorthands, ancestors, states and surfaces.
#[test]
fn pairs_are_derived_from_rules_themes_ancestors_and_surfaces() {
    let css = strip_comments(
        ":root { --bg: #ffffff; --fg: #000000; --soft: #777777; --bar: #000000; }
         @media (prefers-color-scheme: dark) { :root { --bg: #000000; --fg: #ffffff; } }
         body { background: var(--bg); color: var(--fg); }
         .card { background: #eeeeee; }
         .dot { background: #ff0000; /* decorative */ }
         .bar { background: var(--bar); color: #ffffff; }
         .bar .icon { color: var(--bg); }
         .hint { color: var(--soft); }
         .hint:hover { color: var(--missing, #010101); }",
    );
    let mut rules = Vec::new();
    parse_rules(&css, None, &mut rules);
    let light = pairs(&rules, Theme::Light);
    let dark = pairs(&rules, Theme::Dark);
    let find = |ps: &[Pair], sel: &str, bg: &str| ps.iter().find(|p| p.selector == sel && p.bg == bg).map(|p| (p.fg.clone(), (p.ratio * 100.0).round() / 100.0));
    // A text colour with no background of its own is checked on every surface: the page and the card.
    assert_eq!(find(&light, ".hint", "var(--bg)"), Some(("var(--soft)".into(), 4.48)));
    assert!(find(&light, ".hint", "#eeeeee").is_some());
    // Inside .bar, on the bar's background; the dark theme's --bg is black on black.
    assert_eq!(find(&light, ".bar .icon", "var(--bar)"), Some(("var(--bg)".into(), 21.0)));
    assert_eq!(find(&dark, ".bar .icon", "var(--bar)"), Some(("var(--bg)".into(), 1.0)));
    // A state takes the base rule's background (none, so the surfaces), its var() fallback is used.
    assert!(find(&light, ".hint:hover", "#eeeeee").is_some());
    // A background with no colour of its own carries the page's text colour; the decorative dot carries none.
    assert_eq!(find(&dark, ".card", "#eeeeee").map(|p| p.0), Some("var(--fg)".to_string()));
    assert!(!light.iter().any(|p| p.selector == ".dot"));
}

#[test]
fn contrast_formula_matches_known_values() {
    let c = |s| parse(s).unwrap();
    assert!((ratio(c("#000000"), c("#ffffff")) - 21.0).abs() < 0.01);
    assert!((ratio(c("#777777"), c("#fff")) - 4.48).abs() < 0.01);
    assert!((ratio(c("rgb(119, 119, 119)"), c("#ffffff")) - 4.48).abs() < 0.01);
    assert_eq!(over(c("rgba(0, 0, 0, 0.5)"), c("#ffffff")).0.round(), 128.0);
}
