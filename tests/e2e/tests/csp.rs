//! The release build under its own Content Security Policy (the `<meta>` in index.html): it loads, runs a
//! demo call and a wrap-up, and no `securitypolicyviolation` is reported; an injected inline script is refused.

use e2e::{dial, enter, finish_wrap_up, first_call_state, ring, Browser, Sandbox};
use serde_json::{json, Value};

/// Registered before any script of the page runs (and again from the test inside the frame): every
/// violation the page reports, as "directive blocked-uri source:line".
const WATCH: &str = "window.__csp = window.__csp || []; document.addEventListener('securitypolicyviolation', e => \
    window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));";

fn violations(b: &Browser) -> Value {
    b.exec("return window.__csp || null", json!([]))
}

fn policy(b: &Browser) -> String {
    b.exec("const m = document.querySelector('meta[http-equiv=Content-Security-Policy]'); return m ? m.content : ''", json!([]))
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn assert_strict(p: &str) {
    for part in ["script-src 'self' 'wasm-unsafe-eval';", "object-src 'none'", "base-uri 'none'", "style-src 'self';"] {
        assert!(p.contains(part), "the policy lacks {part}: {p}");
    }
    assert!(!p.contains("unsafe-inline") && !p.contains("'unsafe-eval'"), "{p}");
    // No host wildcard (a port wildcard on loopback is fine).
    assert!(!p.split([' ', ';']).any(|t| t.starts_with('*') || t.contains("://*")), "{p}");
}

fn demo_call(b: &Browser) {
    b.click(&b.find("#tab-phone"));
    dial(b, "2002");
    b.wait_for("connected", || (first_call_state(b) == "Connected").then_some(()));
    b.click(&b.find("[data-testid=hang-up]"));
    finish_wrap_up(b, "Resolved", "Under the content security policy");
}

#[test]
fn the_release_build_runs_a_demo_call_under_its_content_security_policy() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("csp", 1280, 800);
    b.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": WATCH}));
    // Popped out: the desktop is the top document, watched from its first script on.
    b.goto(&sb.desktop_url);
    b.find(".desk[data-loaded=true]");
    assert_eq!(violations(&b), json!([]), "the watcher runs before the page");
    assert_strict(&policy(&b));
    // The build starts the app from a file of its own: the page holds no inline script.
    let inline = b.exec("return [...document.scripts].filter(s => !s.src).length", json!([]));
    assert_eq!(inline, json!(0));
    demo_call(&b);
    assert_eq!(violations(&b), json!([]), "nothing was refused while the desktop ran");
    assert!(b.absent("[data-testid=config-errors]"), "config.json loaded under the policy");

    // Inside the sandbox's frame (another site): watched from the test before the actions.
    b.goto(&format!("{}/", sb.origin));
    enter(&b);
    b.exec(WATCH, json!([]));
    assert_strict(&policy(&b));
    ring(&b, "Beth Anglin", "+14155550123");
    enter(&b);
    b.click(&b.find("#tab-phone"));
    let answer = b.wait_for("answer button", || b.find_all("[data-testid=call] button").into_iter().find(|x| b.text(x) == "Answer"));
    b.click(&answer);
    b.wait_for("connected", || (first_call_state(&b) == "Connected").then_some(()));
    b.click(&b.find("[data-testid=hang-up]"));
    finish_wrap_up(&b, "Resolved", "Framed, under the policy");
    assert_eq!(violations(&b), json!([]), "nothing was refused in the frame");
}

#[test]
fn hostile_injected_inline_script_is_refused_by_the_policy() {
    let sb = Sandbox::start(&[]);
    let b = Browser::start("csp_inline", 1280, 800);
    b.cdp("Page.addScriptToEvaluateOnNewDocument", json!({"source": WATCH}));
    b.goto(&sb.desktop_url);
    b.find(".desk[data-loaded=true]");
    // What an injection would try: an inline script, an event-handler attribute, a javascript: URL, a plugin.
    b.exec(
        "const s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.head.appendChild(s);\
         const i = document.createElement('img'); i.setAttribute('onerror', 'window.__ran = 2'); i.src = 'data:,x'; document.body.appendChild(i);\
         const o = document.createElement('object'); o.data = 'data:text/html,x'; document.body.appendChild(o);",
        json!([]),
    );
    let v = b.wait_for("the refusals reported", || {
        let v = violations(&b);
        (v.as_array().map(|a| a.len() >= 3).unwrap_or(false)).then_some(v)
    });
    assert_eq!(b.exec("return window.__ran === undefined", json!([])), json!(true), "no injected script ran: {v}");
    let text = v.to_string();
    assert!(text.contains("script-src-elem") && text.contains("script-src-attr") && text.contains("object-src"), "{text}");
}
