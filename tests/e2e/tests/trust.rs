//! Trust boundaries end to end: a page at a third origin opens and frames the desktop with its own
//! `topDomain` and `popout=1` while the agent, in the sandbox's frame, is on a live call and signed in to
//! ServiceNow. The foreign windows get neither the phone, the call nor the sign-in, and the origin they
//! name as their "instance" receives no request at all.

use e2e::{enter, sn_sign_in, wait_state, Browser, Page, Sandbox};
use serde_json::json;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A listener on 127.0.0.1 that counts every connection (a CORS preflight, a directory search with the
/// token, anything) and answers nothing useful.
struct Listener {
    origin: String,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Listener {
    fn start() -> Listener {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().unwrap().port();
        l.set_nonblocking(true).unwrap();
        let (hits, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (h, s) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((mut conn, peer)) => {
                        h.fetch_add(1, Ordering::SeqCst);
                        eprintln!("the foreign instance was reached from {peer}");
                        use std::io::Write;
                        let _ = conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Listener { origin: format!("http://127.0.0.1:{port}"), hits, stop }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn live_cards(b: &Browser) -> u64 {
    b.exec("return [...document.querySelectorAll('[data-testid=call]')].filter(c => !c.dataset.state.startsWith('Ended')).length", json!([]))
        .as_u64()
        .unwrap()
}

/// In a foreign window of the desktop: searches the directory (which would carry a token), then reads
/// how many live calls it shows and its ServiceNow state.
fn look_into_foreign_window(b: &Browser) -> (u64, String) {
    b.find(".desk[data-loaded=true]");
    std::thread::sleep(Duration::from_secs(3));
    b.click(&b.find("#tab-directory"));
    b.send_keys(&b.find("[data-testid=directory-search]"), "Beth");
    std::thread::sleep(Duration::from_secs(2));
    b.click(&b.find("#tab-phone"));
    let cards = live_cards(b);
    b.click(&b.find("#tab-diagnostics"));
    let sn = b.text(&b.find("[data-testid=sn-state]"));
    b.click(&b.find("#tab-phone"));
    (cards, sn)
}

#[test]
fn hostile_foreign_page_opening_the_desktop_with_popout_gets_no_phone_no_call_and_sends_no_token() {
    let sb = Sandbox::start(&[]);
    let foreign = Listener::start();
    // The agent: in the sandbox's frame, signed in to ServiceNow, on a demo call.
    let a = Browser::start("trust_agent", 1280, 800);
    a.goto(&format!("{}/", sb.origin));
    sn_sign_in(&a);
    a.click(&a.find("#tab-phone"));
    e2e::dial(&a, "+14155550100");
    wait_state(&a, 0, "Connected");

    // A page at a third origin (the same site as the sandbox: its frame shares the agent's frame's storage
    // partition) frames the desktop and opens it, both with its own topDomain and popout=1.
    let url = format!("{}?topDomain={}&popout=1", sb.desktop_url, foreign.origin.replace(':', "%3A").replace('/', "%2F"));
    let page = Page::serve(format!(
        r#"<!DOCTYPE html><html><body><iframe id="f" style="width:373px;height:300px" src="{url}"></iframe>
<button id="open" onclick="window.open('{url}', 'agent-desktop')">open</button></body></html>"#
    ));
    let main = a.window_handles()[0].clone();
    let tab = a.new_tab();
    a.switch_window(&tab);
    a.goto(&page.url);
    let f = a.find("#f");
    a.enter_frame(&f);
    let framed = look_into_foreign_window(&a);
    a.top_frame();
    a.click(&a.find("#open"));
    let opened = a.new_window(&[main.clone(), tab.clone()]);
    a.switch_window(&opened);
    let opened_view = look_into_foreign_window(&a);
    // Nothing reached the origin the foreign windows name as their instance (no preflight, no search).
    assert_eq!(foreign.hits.load(Ordering::SeqCst), 0, "a request reached the foreign origin");
    for ((cards, sn), what) in [(framed, "the foreign frame"), (opened_view, "the window the foreign page opened")] {
        assert_eq!(cards, 0, "{what}: no call of the agent's");
        assert_ne!(sn, "Signed in", "{what}: not signed in with the agent's token");
    }

    // The agent still has the phone, the call and the sign-in.
    a.switch_window(&main);
    enter(&a);
    assert_eq!(live_cards(&a), 1);
    a.click(&a.find("#tab-diagnostics"));
    assert_eq!(a.text(&a.find("[data-testid=phone-owner]")), "In this window");
    assert_eq!(a.text(&a.find("[data-testid=sn-state]")), "Signed in");
    assert_eq!(foreign.hits.load(Ordering::SeqCst), 0, "a request reached the foreign origin");
}
