//! The desktop's release build inside the sandbox page's OpenFrame iframe, at a different origin.

use e2e::{Browser, Sandbox, LAYOUT_PROBLEMS};
use serde_json::json;



fn open_in_sandbox(b: &Browser, sb: &Sandbox) {
    b.goto(&format!("{}/", sb.origin));
    let frame = b.find("iframe[name=gsft_openframe]");
    b.enter_frame(&frame);
    b.find(".desk[data-loaded=true]");
}

#[test]
fn desktop_runs_inside_the_sandbox_frame_at_another_origin() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("desktop_in_sandbox", 1280, 800);
    b.goto(&format!("{}/", sb.origin));
    let frame = b.find("iframe[name=gsft_openframe]");
    let allow = b.attr(&frame, "allow").unwrap_or_default();
    assert!(allow.contains("microphone") && allow.contains("autoplay"), "allow={allow}");
    let src = b.attr(&frame, "src").unwrap();
    assert!(src.starts_with(&sb.desktop_url), "frame src {src} should be the desktop at {}", sb.desktop_url);
    assert!(src.contains(&format!("topDomain={}", sb.origin.replace(':', "%3A").replace('/', "%2F"))), "{src}");
    assert_ne!(sb.origin, sb.desktop_origin());
    // The phone icon in the banner hides and shows the floating frame.
    let toggle = b.find("#openframe-toggle");
    b.click(&toggle);
    assert_eq!(b.exec("return document.getElementById('openframe').hidden", json!([])), json!(true));
    b.click(&toggle);
    assert_eq!(b.exec("return document.getElementById('openframe').hidden", json!([])), json!(false));

    b.enter_frame(&frame);
    b.find(".desk[data-loaded=true]");
    let here = b.exec("return location.origin", json!([]));
    assert_eq!(here, json!(sb.desktop_origin()));
    // Really cross-origin: the desktop cannot reach into the ServiceNow page.
    let blocked = b.exec("try { return String(window.top.document.title) && false; } catch (e) { return true; }", json!([]));
    assert_eq!(blocked, json!(true), "the top document must not be readable from the desktop");
    b.click(&b.find("#tab-diagnostics"));
    assert_eq!(b.text(&b.find("[data-testid=mode]")), "In ServiceNow");
    b.click(&b.find("#tab-phone"));
    assert_eq!(b.text(&b.find("h1.title")), "Agent Desktop");
    assert_eq!(b.text(&b.find("[data-testid=line]")), "Demo line");
    assert!(b.absent("[data-testid=config-errors]"), "shipped config.json must load without errors");
    b.top_frame();
    b.shot("sandbox-1280x800.png");
}

#[test]
fn shell_fits_openframe_default_size_and_a_full_tab() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("shell_layout", 1280, 800);
    open_in_sandbox(&b, &sb);
    let size = b.exec("return [innerWidth, innerHeight]", json!([]));
    assert_eq!(size, json!([373, 300]), "the OpenFrame default size");
    for tab in ["#tab-phone", "#tab-directory", "#tab-recents", "#tab-diagnostics"] {
        b.click(&b.find(tab));
        let problems = b.exec(LAYOUT_PROBLEMS, json!([]));
        assert_eq!(problems, json!([]), "at 373x300 on {tab}");
    }
    b.top_frame();
    // Popped out: the desktop alone in a full tab, and in a tall narrow window.
    for (w, h) in [(1280u32, 800u32), (300, 750), (373, 300)] {
        b.set_viewport(w, h);
        b.goto(&sb.desktop_url);
        b.find(".desk[data-loaded=true]");
        for tab in ["#tab-phone", "#tab-directory", "#tab-recents", "#tab-diagnostics"] {
            b.click(&b.find(tab));
            let problems = b.exec(LAYOUT_PROBLEMS, json!([]));
            assert_eq!(problems, json!([]), "at {w}x{h} on {tab}");
        }
        let desk_h = b.exec("return document.querySelector('.desk').getBoundingClientRect().height", json!([]));
        assert_eq!(desk_h.as_f64().unwrap().round() as u32, h, "the desktop fills the tab's height");
    }
}

#[test]
fn tabs_switch_panels_and_the_choice_survives_a_reload() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("tabs", 1280, 800);
    open_in_sandbox(&b, &sb);
    assert!(b.try_find("[data-testid=phone-idle]").is_some());
    b.click(&b.find("#tab-directory"));
    let list = b.find("[data-testid=directory-results]");
    assert!(b.text(&list).contains("Service Desk"), "speed dials come from the served config.json");
    b.top_frame();
    b.exec("location.reload()", json!([]));
    open_in_sandbox(&b, &sb);
    assert_eq!(b.attr(&b.find("#tab-directory"), "aria-selected").as_deref(), Some("true"));
    assert!(b.try_find("[data-testid=directory-results]").is_some());
}

#[test]
fn bad_settings_in_the_url_are_shown_to_the_agent() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("bad_settings", 1280, 800);
    b.goto(&format!("{}?topDomain=http%3A%2F%2Facme.service-now.com&demo=maybe&config=https%3A%2F%2Fevil.example%2Fc.json", sb.desktop_url));
    let alert = b.find("[data-testid=config-errors]");
    let text = b.text(&alert);
    assert!(text.contains("use https"), "{text}");
    assert!(text.contains("demo=1"), "{text}");
    assert!(text.contains("relative path"), "{text}");
    b.click(&b.find("#tab-diagnostics"));
    assert_eq!(b.text(&b.find("[data-testid=mode]")), "Standalone", "a rejected topDomain is not used");
    // A config file that is missing is reported, and the desktop still works on defaults.
    b.goto(&format!("{}?config=missing.json", sb.desktop_url));
    let text = b.text(&b.find("[data-testid=config-errors]"));
    assert!(text.contains("missing.json could not be loaded (HTTP 404)"), "{text}");
    assert!(b.try_find("#tab-phone").is_some());
}
