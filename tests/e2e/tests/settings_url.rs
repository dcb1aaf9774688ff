//! `?config=` tricks against the release build: a name that a browser would read as another site is refused,
//! shown to the agent with what to write instead, and nothing is requested from that site.

use e2e::{Browser, Sandbox};
use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A server at a third origin, http://127.0.0.1 on port 80 (the policy's connect-src allows it, so only the
/// config check stands in the way; the e2e layer runs as root in its own network namespace), that counts
/// every connection made to it.
struct Witness {
    hits: Arc<AtomicUsize>,
}

impl Witness {
    fn start() -> Witness {
        let l = TcpListener::bind("127.0.0.1:80").expect("bind 127.0.0.1:80 (run inside `unshare -n` as root, as scripts/test.sh does)");
        l.set_nonblocking(true).unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        std::thread::spawn(move || loop {
            match l.accept() {
                Ok((mut s, _)) => {
                    h.fetch_add(1, Ordering::SeqCst);
                    let mut buf = [0u8; 2048];
                    let _ = s.read(&mut buf);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        });
        Witness { hits }
    }
}

/// One witness for the whole test binary (the port stays bound); each test compares the count before and after.
fn witness() -> &'static Witness {
    static W: std::sync::OnceLock<Witness> = std::sync::OnceLock::new();
    W.get_or_init(Witness::start)
}

fn refused_and_nothing_fetched(query: &str) {
    let witness = witness();
    let before = witness.hits.load(Ordering::SeqCst);
    let sb = Sandbox::start(&[]);
    let b = Browser::start("config_trick", 1280, 800);
    b.goto(&format!("{}?{query}", sb.desktop_url));
    let text = b.text(&b.find("[data-testid=config-errors]"));
    assert!(text.contains("config=site.json"), "the refusal says what to write: {text}");
    b.find(".desk[data-loaded=true]");
    assert!(b.try_find("#tab-phone").is_some(), "the desktop runs on its own config.json");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(witness.hits.load(Ordering::SeqCst), before, "a request reached the third origin");
}

#[test]
fn hostile_config_with_a_tab_that_makes_a_protocol_relative_url() {
    refused_and_nothing_fetched("config=/%09//127.0.0.1/c.json");
}

#[test]
fn hostile_config_with_a_line_break_that_makes_a_protocol_relative_url() {
    refused_and_nothing_fetched("config=%0A//127.0.0.1/c.json");
}

/// The desktop's own server answers the settings file with a redirect to another origin: the desktop does
/// not follow it (nothing reaches that origin), says the file could not be read, and runs on its defaults.
#[test]
fn hostile_config_file_redirected_to_another_origin() {
    let witness = witness();
    let before = witness.hits.load(Ordering::SeqCst);
    let sb = Sandbox::start(&[]);
    let b = Browser::start("config_redirect", 1280, 800);
    b.goto(&format!("{}?config=moved-config.json", sb.desktop_url));
    let text = b.text(&b.find("[data-testid=config-errors]"));
    assert!(text.contains("moved-config.json"), "the agent sees which file failed: {text}");
    b.find(".desk[data-loaded=true]");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(witness.hits.load(Ordering::SeqCst), before, "the redirect was followed to the other origin");
}
