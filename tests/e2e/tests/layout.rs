//! The release build at every width from the 300-pixel side bar to a large monitor, popped out on its own:
//! no sideways scrolling anywhere, every control whole; from 900 px the two-column work view (calls and dial
//! pad | wrap-up, directory and recents, all visible together). Then the computed colours of every visible
//! text, in the light and the dark theme. Screenshots of each size go to `$E2E_ARTIFACTS/layout/` (the
//! README's pictures in docs/layout/ are these files).

use e2e::{artifacts_dir, copy_dir, Browser, Sandbox, LAYOUT_PROBLEMS, SIDEWAYS_PROBLEMS, TEXT_CONTRAST_PROBLEMS};
use serde_json::{json, Value};
use std::path::PathBuf;

const TABS: [&str; 4] = ["#tab-phone", "#tab-directory", "#tab-recents", "#tab-diagnostics"];

/// Width x height: the side bar, the OpenFrame default, a half screen, both sides of the switch, a laptop
/// tab and a large monitor.
const SIZES: [(u32, u32); 8] = [(300, 750), (373, 300), (600, 800), (899, 800), (900, 800), (1280, 800), (1920, 1080), (1280, 400)];

/// The release build with a config.json that lets a call come in during a wrap-up, and a short wrap-up
/// (so it is overdue, the timer in its warning colour).
fn build_with_config() -> PathBuf {
    let dist = std::env::var_os("E2E_DIST").map(PathBuf::from).expect("E2E_DIST");
    let dir = std::env::temp_dir().join(format!("e2e-layout-dist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&dist, &dir);
    let mut cfg: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    cfg["rejectWhenBusy"] = json!(false);
    cfg["wrapUpSeconds"] = json!(2);
    std::fs::write(dir.join("config.json"), cfg.to_string()).unwrap();
    dir
}

fn click_text(b: &Browser, text: &str) {
    let el = b.wait_for(&format!("button {text}"), || b.find_all("button").into_iter().find(|x| b.text(x) == text));
    b.click(&el);
}

fn wait_calls(b: &Browser, states: &str) {
    b.wait_for(&format!("calls {states}"), || {
        let v = b.exec("return [...document.querySelectorAll('[data-testid=call]')].map(c => c.dataset.state).join(',')", json!([]));
        (v.as_str() == Some(states)).then_some(())
    });
}

/// A desktop in the middle of work: one call in wrap-up (overdue), one connected, a favourite, recents.
fn busy_desktop(name: &str) -> (Sandbox, Browser, PathBuf) {
    let dir = build_with_config();
    let sb = Sandbox::start(&["--serve-desktop", dir.to_str().unwrap()]);
    let b = Browser::start(name, 1280, 800);
    b.goto(&sb.desktop_url);
    b.find(".desk[data-loaded=true]");
    b.exec("localStorage.setItem('agent-desktop.favourites', JSON.stringify(['+1 415 555 0101']))", json!([]));
    b.goto(&sb.desktop_url);
    b.find(".desk[data-loaded=true]");
    b.click(&b.find("#tab-phone"));
    b.click(&b.find("[data-testid=simulate-incoming]"));
    click_text(&b, "Answer");
    wait_calls(&b, "Connected");
    b.click(&b.find("[data-testid=hang-up]"));
    b.find("[data-testid=wrap-up]");
    click_text(&b, "Clear");
    b.click(&b.find("[data-testid=simulate-incoming]"));
    click_text(&b, "Answer");
    wait_calls(&b, "Connected");
    b.find("[data-testid=wrap-up] .timer.overdue");
    (sb, b, dir)
}

/// Sizes the viewport; a window resize lands asynchronously on a busy machine, so it is checked and redone.
fn size_to(b: &Browser, w: u32, h: u32) {
    for _ in 0..5 {
        b.set_viewport(w, h);
        std::thread::sleep(std::time::Duration::from_millis(200));
        if b.exec("return [innerWidth, innerHeight]", json!([])) == json!([w, h]) {
            return;
        }
    }
    panic!("the viewport did not become {w}x{h}: {}", b.exec("return [innerWidth, innerHeight]", json!([])));
}

fn rect(b: &Browser, css: &str) -> Option<[f64; 4]> {
    let v = b.exec(
        "const e = document.querySelector(arguments[0]); if (!e) return null; const r = e.getBoundingClientRect(); \
         return r.width > 0 && r.height > 0 ? [r.left, r.top, r.right, r.bottom] : null;",
        json!([css]),
    );
    v.as_array().map(|a| [0, 1, 2, 3].map(|i| a[i].as_f64().unwrap()))
}

#[test]
fn every_width_from_the_side_bar_to_a_monitor_without_sideways_scrolling() {
    let (_sb, b, dir) = busy_desktop("layout_widths");
    let shots = artifacts_dir().join("layout");
    std::fs::create_dir_all(&shots).unwrap();
    for (w, h) in SIZES {
        size_to(&b, w, h);
        for tab in TABS {
            b.click(&b.find(tab));
            assert_eq!(b.exec(LAYOUT_PROBLEMS, json!([])), json!([]), "at {w}x{h} on {tab}");
            assert_eq!(b.exec(SIDEWAYS_PROBLEMS, json!([])), json!([]), "at {w}x{h} on {tab}");
        }
        b.click(&b.find("#tab-phone"));
        let wide = w >= 900;
        assert_eq!(rect(&b, "[data-testid=work-side]").is_some(), wide, "two columns at {w}x{h} only from 900 px");
        if wide {
            // Calls on one side; wrap-up, directory and recents on the other, all on screen together.
            let calls = rect(&b, "[data-testid=work-calls]").unwrap();
            let side = rect(&b, "[data-testid=work-side]").unwrap();
            assert!(calls[2] <= side[0], "columns side by side at {w}: {calls:?} {side:?}");
            for what in ["[data-testid=call]", "[data-testid=wrap-up]", "[data-testid=directory-search]", "[data-testid=directory-entry]", "[data-testid=recent]"] {
                let r = rect(&b, what).unwrap_or_else(|| panic!("{what} not shown at {w}x{h}"));
                let col = if what == "[data-testid=call]" { calls } else { side };
                assert!(r[0] >= col[0] - 0.5 && r[2] <= col[2] + 0.5, "{what} in its column at {w}x{h}");
                if h >= 800 {
                    assert!(r[1] >= 0.0 && r[3] <= h as f64 + 0.5, "{what} visible without scrolling at {w}x{h}: {r:?}");
                }
            }
            // One wrap-up only (not one per column).
            assert_eq!(b.find_all("[data-testid=wrap-up]").len(), 1);
            // The Directory tab takes the agent to the directory's search, the phone column stays.
            b.click(&b.find("#tab-directory"));
            assert_eq!(b.exec("return document.activeElement.id", json!([])), json!("directory-search"));
            assert!(rect(&b, "[data-testid=call]").is_some());
            b.click(&b.find("#tab-phone"));
        } else {
            assert_eq!(b.find_all("[data-testid=wrap-up]").len(), 1, "the wrap-up is on the phone panel");
        }
        let shot = b.shot(&format!("layout/{w}x{h}.png"));
        assert!(std::fs::metadata(&shot).unwrap().len() > 1000);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_visible_text_meets_wcag_aa_in_both_themes() {
    let (_sb, b, dir) = busy_desktop("layout_contrast");
    std::fs::create_dir_all(artifacts_dir().join("layout")).unwrap();
    let mut checked = 0;
    for scheme in ["light", "dark"] {
        b.color_scheme(scheme);
        let bg = b.exec("return getComputedStyle(document.body).backgroundColor", json!([]));
        assert_eq!(bg.as_str() == Some("rgb(255, 255, 255)"), scheme == "light", "the {scheme} theme is in force: {bg}");
        for (w, h) in [(1280u32, 800u32), (373, 300)] {
            size_to(&b, w, h);
            for tab in TABS {
                b.click(&b.find(tab));
                // The help and a search with a result shown too.
                if tab == "#tab-directory" {
                    b.click(&b.find("[data-testid=help]"));
                }
                let v = b.exec(TEXT_CONTRAST_PROBLEMS, json!([]));
                assert_eq!(v["problems"], json!([]), "{scheme} theme at {w}x{h} on {tab}");
                checked += v["checked"].as_u64().unwrap();
                if tab == "#tab-directory" {
                    b.click(&b.find("[data-testid=help]"));
                }
            }
        }
        size_to(&b, 1280, 800);
        b.click(&b.find("#tab-phone"));
        b.shot(&format!("layout/1280x800-{scheme}.png"));
    }
    println!("texts checked: {checked}");
    assert!(checked > 200, "only {checked} texts checked");
    let _ = std::fs::remove_dir_all(dir);
}
