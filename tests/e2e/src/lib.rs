//! End-to-end harness: starts the sandbox (serving the release build of the desktop at a second origin) and a
//! real headless Chromium through chromedriver, and speaks W3C WebDriver to it over HTTP.
//!
//! Environment (set by scripts/test.sh):
//! - `E2E_DIST`: the release build (trunk's dist folder);
//! - `E2E_SANDBOX_BIN`: the sandbox binary;
//! - `E2E_ARTIFACTS`: where screenshots go (failures always; `shot()` on demand).
//! - `CHROMEDRIVER` / `CHROMIUM`: override /usr/bin/chromedriver and /usr/bin/chromium.

pub mod audio;
pub mod peers;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Layout check run inside the desktop's document: no overflow of the page, nothing cut off at the sides,
/// and every control outside the scrolling panel fully visible (the panel itself may scroll, like any list).
pub const LAYOUT_PROBLEMS: &str = r#"
const de = document.documentElement, problems = [];
if (de.scrollWidth > de.clientWidth) problems.push('horizontal overflow ' + de.scrollWidth + '>' + de.clientWidth);
if (de.scrollHeight > de.clientHeight) problems.push('vertical overflow ' + de.scrollHeight + '>' + de.clientHeight);
for (const el of document.querySelectorAll('button, input, select, textarea, a[href], [role=tab]')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  const name = el.id || el.getAttribute('aria-label') || el.textContent.trim();
  if (r.left < -0.5 || r.right > innerWidth + 0.5) problems.push('cut at the side: ' + name);
  if (el.scrollWidth > el.clientWidth + 1 && el.tagName === 'BUTTON') problems.push('text cut in: ' + name);
  if (el.closest('.panel')) continue;
  if (r.top < 0 || r.bottom > innerHeight + 0.5) problems.push('clipped: ' + name + ' ' + JSON.stringify([r.left, r.top, r.right, r.bottom]));
}
return problems;"#;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn env_path(name: &str, default: &str) -> PathBuf {
    std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default))
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where screenshots and logs of this run go (a folder under the repository's `target/`).
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("E2E_ARTIFACTS").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target/e2e"));
    std::fs::create_dir_all(&dir).expect("create artifacts dir");
    dir
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().unwrap().port()
}

/// A child process killed when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The sandbox: a stand-in ServiceNow page plus the desktop's release build on a second origin.
pub struct Sandbox {
    _proc: Proc,
    /// e.g. http://127.0.0.1:40123 (no trailing slash)
    pub origin: String,
    /// e.g. http://localhost:40124/ (the desktop's own origin, with a trailing slash)
    pub desktop_url: String,
}

impl Sandbox {
    /// Starts the sandbox with the release build; `extra` are additional sandbox arguments.
    pub fn start(extra: &[&str]) -> Sandbox {
        let bin = env_path("E2E_SANDBOX_BIN", "target/debug/sandbox");
        let dist = env_path("E2E_DIST", repo_root().join("dist").to_str().unwrap());
        assert!(dist.join("index.html").exists(), "no release build at {} (run scripts/test.sh)", dist.display());
        let mut child = Command::new(&bin)
            .args(["--port", "0", "--serve-desktop"])
            .arg(&dist)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the sandbox {}: {e}", bin.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut origin, mut desktop_url) = (None, None);
        while origin.is_none() || desktop_url.is_none() {
            let line = lines.next().expect("sandbox exited before printing its addresses").unwrap();
            if let Some(rest) = line.strip_prefix("sandbox: ") {
                origin = Some(rest.trim().trim_end_matches('/').to_string());
            } else if let Some(rest) = line.strip_prefix("desktop: ") {
                desktop_url = Some(rest.split_whitespace().next().unwrap().to_string());
            }
        }
        // Keep draining the sandbox's output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Sandbox { _proc: Proc(child), origin: origin.unwrap(), desktop_url: desktop_url.unwrap() }
    }

    pub fn desktop_origin(&self) -> String {
        self.desktop_url.trim_end_matches('/').to_string()
    }
}

/// A WebDriver session on a fresh headless Chromium.
pub struct Browser {
    base: String,
    session: String,
    name: String,
    _driver: Proc,
    _profile: PathBuf,
}

#[derive(Clone, Debug)]
pub struct Element(Value);

fn unwrap_value(v: Value) -> Value {
    v.get("value").cloned().unwrap_or(Value::Null)
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a window of `width` x `height`.
    /// `name` names the failure screenshot.
    pub fn start(name: &str, width: u32, height: u32) -> Browser {
        Browser::start_with(name, width, height, &[])
    }

    /// Starts it with extra Chromium arguments, e.g. `--use-file-for-fake-audio-capture=tone.wav` (the fake
    /// microphone then plays that file, looped).
    pub fn start_with(name: &str, width: u32, height: u32, extra_args: &[String]) -> Browser {
        let port = free_port();
        let driver_bin = env_path("CHROMEDRIVER", "/usr/bin/chromedriver");
        let child = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));
        let driver = Proc(child);
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = ureq::get(&format!("{base}/status")).call() {
                let v: Value = r.into_json().unwrap_or(Value::Null);
                if v["value"]["ready"] == json!(true) {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = std::env::temp_dir().join(format!("e2e-chromium-{}-{port}", std::process::id()));
        let chromium = env_path("CHROMIUM", "/usr/bin/chromium");
        let mut args: Vec<String> = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--hide-scrollbars",
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            "--autoplay-policy=no-user-gesture-required", "--allow-loopback-in-peer-connection",
            "--force-renderer-accessibility",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push(format!("--window-size={width},{height}"));
        args.extend(extra_args.iter().cloned());
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            // "Leave the page with a live call?" is answered Leave (the tests close and reload mid-call).
            "unhandledPromptBehavior": "accept",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args
            }
        }}});
        let resp = ureq::post(&format!("{base}/session")).send_json(caps);
        let v: Value = match resp {
            Ok(r) => r.into_json().unwrap(),
            Err(ureq::Error::Status(_, r)) => panic!("new session refused: {}", r.into_string().unwrap_or_default()),
            Err(e) => panic!("new session failed: {e}"),
        };
        let session = v["value"]["sessionId"].as_str().expect("session id").to_string();
        let b = Browser { base, session, name: name.to_string(), _driver: driver, _profile: profile };
        b.set_viewport(width, height);
        b
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{}", self.base, self.session, path)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let req = ureq::request(method, &self.url(path));
        let resp = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match resp {
            Ok(r) => Ok(unwrap_value(r.into_json().map_err(|e| e.to_string())?)),
            Err(ureq::Error::Status(code, r)) => {
                let v: Value = r.into_json().unwrap_or(Value::Null);
                Err(format!("HTTP {code}: {} {}", v["value"]["error"], v["value"]["message"]))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.call("POST", path, Some(body)).unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Makes the page's viewport (not the outer window) exactly `width` x `height`.
    pub fn set_viewport(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({"width": width, "height": height}));
        let inner = self.exec("return [window.innerWidth, window.innerHeight]", json!([]));
        let (iw, ih) = (inner[0].as_u64().unwrap() as i64, inner[1].as_u64().unwrap() as i64);
        let (dw, dh) = (width as i64 - iw, height as i64 - ih);
        if dw != 0 || dh != 0 {
            self.post("/window/rect", json!({"width": width as i64 + dw, "height": height as i64 + dh}));
        }
    }

    pub fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    /// Reloads the current top-level page as the agent's F5 does, and returns once the new page has loaded
    /// (WebDriver "Refresh"; a `location.reload()` from a script returns before the old page is gone).
    pub fn refresh(&self) {
        self.post("/refresh", json!({}));
    }

    /// Runs synchronous JavaScript (`arguments` holds `args`); returns its result.
    pub fn exec(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
    }

    /// Runs asynchronous JavaScript: the script calls `arguments[arguments.length - 1](result)`.
    pub fn exec_async(&self, script: &str, args: Value) -> Value {
        self.post("/execute/async", json!({"script": script, "args": args}))
    }

    pub fn try_find(&self, css: &str) -> Option<Element> {
        let v = self.call("POST", "/element", Some(json!({"using": "css selector", "value": css}))).ok();
        v.map(Element)
    }

    /// Whether no element matches `css`: true only for WebDriver's "no such element"; any other error (a
    /// closed window, an invalid selector, a dead driver) fails the test instead of passing an absence check.
    pub fn absent(&self, css: &str) -> bool {
        match self.call("POST", "/element", Some(json!({"using": "css selector", "value": css}))) {
            Ok(_) => false,
            Err(e) if e.contains("\"no such element\"") => true,
            Err(e) => panic!("looking for {css}: {e}"),
        }
    }

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        match self.post("/elements", json!({"using": "css selector", "value": css})) {
            Value::Array(a) => a.into_iter().map(Element).collect(),
            _ => Vec::new(),
        }
    }

    /// Waits (up to 15 s) for an element matching `css`.
    /// The first element `css` matches in the open shadow root of the first element `host_css` matches,
    /// or None (WebDriver's shadow root commands; "no such element" or "no such shadow root" only).
    pub fn try_find_in_shadow(&self, host_css: &str, css: &str) -> Option<Element> {
        let host = self.try_find(host_css)?;
        let root = self.call("GET", &format!("/element/{}/shadow", host.id()), None).ok()?;
        let root = root.get("shadow-6066-11e4-a52e-4f735466cecf")?.as_str()?.to_string();
        self.call("POST", &format!("/shadow/{root}/element"), Some(json!({"using": "css selector", "value": css}))).ok().map(Element)
    }

    pub fn find(&self, css: &str) -> Element {
        self.wait_for(&format!("element {css}"), || self.try_find(css))
    }

    /// Polls `f` until it returns Some, for up to 15 s.
    pub fn wait_for<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(v) = f() {
                return v;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn click(&self, el: &Element) {
        let id = el.id();
        self.post(&format!("/element/{id}/click"), json!({}));
    }

    pub fn text(&self, el: &Element) -> String {
        let id = el.id();
        self.call("GET", &format!("/element/{id}/text"), None).unwrap().as_str().unwrap_or("").to_string()
    }

    /// The element's accessible name as Chromium's accessibility tree computes it (WebDriver computedlabel).
    pub fn accessible_name(&self, el: &Element) -> String {
        let id = el.id();
        match self.call("GET", &format!("/element/{id}/computedlabel"), None) {
            Ok(v) => v.as_str().map(str::to_string).unwrap_or_default(),
            Err(e) => panic!("computedlabel: {e}"),
        }
    }

    pub fn attr(&self, el: &Element, name: &str) -> Option<String> {
        let id = el.id();
        self.call("GET", &format!("/element/{id}/attribute/{name}"), None).unwrap().as_str().map(str::to_string)
    }

    pub fn send_keys(&self, el: &Element, text: &str) {
        let id = el.id();
        self.post(&format!("/element/{id}/value"), json!({ "text": text }));
    }

    pub fn window_handles(&self) -> Vec<String> {
        let v = self.call("GET", "/window/handles", None).unwrap();
        v.as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_string()).collect()
    }

    /// Closes the current window (as the agent closing the tab); switch to another one after.
    pub fn close_window(&self) {
        let _ = self.call("DELETE", "/window", None);
    }

    /// Opens a new tab (as the agent would, not from a page) and returns its handle.
    pub fn new_tab(&self) -> String {
        let v = self.post("/window/new", json!({"type": "tab"}));
        v["handle"].as_str().expect("a window handle").to_string()
    }

    /// Waits for a window other than `known` and returns its handle.
    pub fn new_window(&self, known: &[String]) -> String {
        self.wait_for("a new window", || self.window_handles().into_iter().find(|h| !known.contains(h)))
    }

    pub fn switch_window(&self, handle: &str) {
        self.post("/window", json!({ "handle": handle }));
    }

    /// Switches into an iframe element of the current browsing context.
    pub fn enter_frame(&self, el: &Element) {
        self.post("/frame", json!({ "id": el.0 }));
    }

    pub fn top_frame(&self) {
        self.post("/frame", json!({ "id": null }));
    }

    /// Saves a PNG of the viewport under the artifacts folder; returns its path.
    pub fn shot(&self, file: &str) -> PathBuf {
        use base64::Engine;
        let data = self.call("GET", "/screenshot", None).expect("screenshot");
        let bytes = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap()).unwrap();
        let path = artifacts_dir().join(file);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Browser console messages since the last call.
    pub fn console(&self) -> Vec<String> {
        match self.call("POST", "/se/log", Some(json!({"type": "browser"}))) {
            Ok(Value::Array(a)) => a.iter().map(|m| m["message"].as_str().unwrap_or("").to_string()).collect(),
            _ => Vec::new(),
        }
    }
}

impl Element {
    /// The WebDriver element reference, to pass to scripts as an argument.
    pub fn json(&self) -> Value {
        self.0.clone()
    }

    fn id(&self) -> &str {
        self.0[ELEMENT_KEY].as_str().expect("element reference")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.top_frame_quiet();
            if let Ok(data) = self.call("GET", "/screenshot", None) {
                use base64::Engine;
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or("")) {
                    let path = artifacts_dir().join(format!("FAILED-{}.png", self.name));
                    let _ = std::fs::write(&path, bytes);
                    eprintln!("failure screenshot: {}", path.display());
                }
            }
            for line in self.console() {
                eprintln!("browser console: {line}");
            }
        }
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}

impl Browser {
    fn top_frame_quiet(&self) {
        let _ = self.call("POST", "/frame", Some(json!({ "id": null })));
    }
}

/// A tiny HTTP server on 127.0.0.1 that answers every request with one HTML page: a page at a third
/// origin (neither the sandbox nor the desktop), for tests of what the desktop must ignore.
pub struct Page {
    pub url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Page {
    pub fn serve(html: String) -> Page {
        use std::io::{Read, Write};
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        s.set_nonblocking(false).ok();
                        s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf);
                        let resp = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                            html.len(),
                            html
                        );
                        let _ = s.write_all(resp.as_bytes());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Page { url: format!("http://127.0.0.1:{port}/"), stop }
    }

    pub fn origin(&self) -> String {
        self.url.trim_end_matches('/').to_string()
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Sends SIGTERM (so Kamailio stops its children), then SIGKILL if it is still there.
pub(crate) fn terminate(child: &mut Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    for _ in 0..40 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Debian's Kamailio as a SIP registrar and proxy with WebSocket, on loopback, from tests/kamailio.
pub struct Kamailio {
    child: Option<Child>,
    dir: PathBuf,
    cfg: PathBuf,
    pub ws_port: u16,
    pub udp_port: u16,
    rtpengine: bool,
}

impl Kamailio {
    pub fn start() -> Kamailio {
        Kamailio::start_opts(None)
    }

    /// Starts it with media anchored in `rtpengine` for calls between WebRTC and plain SIP (`-A WITH_RTPENGINE`).
    pub fn start_with_rtpengine(rtpengine: &peers::Rtpengine) -> Kamailio {
        Kamailio::start_opts(Some(rtpengine.ng_port))
    }

    fn start_opts(rtpengine_ng: Option<u16>) -> Kamailio {
        let (ws_port, udp_port) = (free_port(), free_udp_port());
        let dir = std::env::temp_dir().join(format!("e2e-kamailio-{}-{ws_port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let template = std::fs::read_to_string(repo_root().join("tests/kamailio/kamailio.cfg")).expect("kamailio.cfg");
        let modules = ["/usr/lib/x86_64-linux-gnu/kamailio/modules/", "/usr/lib/kamailio/modules/"]
            .into_iter()
            .find(|p| std::path::Path::new(p).join("websocket.so").exists())
            .expect("kamailio-websocket-modules is not installed (scripts/install.sh test installs it)");
        let cfg = dir.join("kamailio.cfg");
        std::fs::write(
            &cfg,
            template
                .replace("{{WS_PORT}}", &ws_port.to_string())
                .replace("{{UDP_PORT}}", &udp_port.to_string())
                .replace("{{MODULES}}", modules)
                .replace("{{RTPENGINE_NG_PORT}}", &rtpengine_ng.unwrap_or(0).to_string()),
        )
        .unwrap();
        let mut k = Kamailio { child: None, dir, cfg, ws_port, udp_port, rtpengine: rtpengine_ng.is_some() };
        k.spawn();
        k
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.join("kamailio.log")).unwrap();
        let child = Command::new("kamailio")
            .args(["-DD", "-E", "-m", "64", "-M", "8"])
            .args(if self.rtpengine { &["-A", "WITH_RTPENGINE"][..] } else { &[][..] })
            .arg("-f")
            .arg(&self.cfg)
            .args(["-P"])
            .arg(self.dir.join("kamailio.pid"))
            .args(["-w"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start kamailio");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.ws_port)).is_err() {
            assert!(Instant::now() < deadline, "kamailio did not start; log: {}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The WebSocket address desktops sign in to.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.ws_port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("kamailio.log")).unwrap_or_default()
    }

    /// Stops the server (every WebSocket drops).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            terminate(&mut c);
        }
    }

    /// Starts it again on the same ports (registrations are lost: clients must register again).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- kamailio log (last lines) ---\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp").local_addr().unwrap().port()
}

/// A sipp scenario (Debian's sip-tester) running against Kamailio over UDP, as a scripted far end.
pub struct Sipp {
    child: Option<Child>,
    log_dir: PathBuf,
}

impl Sipp {
    /// Starts `tests/sipp/<scenario>` calling `service` (the user part) through Kamailio, one call.
    pub fn start(scenario: &str, kamailio: &Kamailio, service: &str) -> Sipp {
        let path = repo_root().join("tests/sipp").join(scenario);
        let port = free_udp_port();
        let log_dir = std::env::temp_dir().join(format!("e2e-sipp-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&log_dir).unwrap();
        let child = Command::new("sipp")
            .arg(format!("127.0.0.1:{}", kamailio.udp_port))
            .arg("-sf")
            .arg(&path)
            .args(["-s", service, "-i", "127.0.0.1", "-p", &port.to_string(), "-m", "1", "-l", "1"])
            .args(["-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg"])
            .current_dir(&log_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sipp (apt-get install sip-tester)");
        Sipp { child: Some(child), log_dir }
    }

    /// Waits for the scenario to finish; true when it completed without error.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut child = self.child.take().expect("running");
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// sipp's message and error traces, for failure reports.
    pub fn traces(&self) -> String {
        let mut out = String::new();
        if let Ok(rd) = std::fs::read_dir(&self.log_dir) {
            for e in rd.flatten() {
                out.push_str(&format!("--- {}\n", e.path().display()));
                out.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        out
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!("{}", self.traces());
        }
        let _ = std::fs::remove_dir_all(&self.log_dir);
    }
}

/// Fills in and finishes the wrap-up shown in the desktop (inside the current frame).
pub fn finish_wrap_up(b: &Browser, disposition: &str, notes: &str) {
    b.click(&b.find("#tab-phone"));
    b.find("[data-testid=wrap-up]");
    b.exec(
        "const s = document.querySelector('[data-testid=disposition]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
        json!([disposition]),
    );
    b.send_keys(&b.find("[data-testid=notes]"), notes);
    b.click(&b.find("[data-testid=finish-wrap-up]"));
    b.wait_for("wrap-up finished", || b.absent("[data-testid=wrap-up]").then_some(()));
}

/// The state of the first call card, read in one script (cards update in place while calls change).
pub fn first_call_state(b: &Browser) -> String {
    b.exec("const c = document.querySelector('[data-testid=call]'); return c ? c.dataset.state : ''", json!([]))
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// A desktop on the SIP line, signed in as `user`.
pub fn desktop(sb: &Sandbox, k: &Kamailio, name: &str, user: &str) -> Browser {
    let b = Browser::start(name, 1280, 800);
    b.goto(&format!("{}?demo=0", sb.desktop_url));
    b.find(".desk[data-loaded=true]");
    sip_sign_in(&b, k, user);
    b
}

/// Signs the desktop in the current frame in to Kamailio as `user` (password "secret") and waits for it.
pub fn sip_sign_in(b: &Browser, k: &Kamailio, user: &str) {
    b.send_keys(&b.find("[data-testid=sip-server]"), &k.ws_url());
    b.send_keys(&b.find("[data-testid=sip-user]"), user);
    b.send_keys(&b.find("[data-testid=sip-password]"), "secret");
    b.click(&b.find("[data-testid=sign-in-button]"));
    wait_text(b, "[data-testid=line]", "SIP ready");
}

pub fn wait_text(b: &Browser, css: &str, want: &str) {
    b.wait_for(&format!("{css} = {want}"), || {
        let el = b.try_find(css)?;
        (b.text(&el) == want).then_some(())
    });
}

pub fn set_state(b: &Browser, key: &str) {
    b.exec(
        "const s = document.querySelector('[data-testid=agent-state]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
        json!([key]),
    );
}

pub fn dial(b: &Browser, number: &str) {
    b.send_keys(&b.find("[data-testid=dial-input]"), number);
    b.click(&b.find("[data-testid=dial-button]"));
}

/// The state of the call card that shows `party` (or of the only card).
pub fn call_attr(b: &Browser, nth: usize, attr: &str) -> Option<String> {
    let v = b.exec(
        "const c = document.querySelectorAll('[data-testid=call]')[arguments[0]]; return c ? c.getAttribute(arguments[1]) : null;",
        json!([nth, attr]),
    );
    v.as_str().map(str::to_string)
}

pub fn wait_state(b: &Browser, nth: usize, want: &str) {
    b.wait_for(&format!("call {nth} {want}"), || (call_attr(b, nth, "data-state").as_deref() == Some(want)).then_some(()));
}

pub fn rx(b: &Browser, nth: usize) -> u64 {
    call_attr(b, nth, "data-rx").and_then(|v| v.parse().ok()).unwrap_or(0)
}

pub fn wait_rx_above(b: &Browser, nth: usize, n: u64) -> u64 {
    b.wait_for(&format!("call {nth} receiving audio"), || {
        let v = rx(b, nth);
        (v > n).then_some(v)
    })
}

pub fn click_in_card(b: &Browser, nth: usize, testid: &str) {
    b.exec(
        "document.querySelectorAll('[data-testid=call]')[arguments[0]].querySelector('[data-testid=' + arguments[1] + ']').click()",
        json!([nth, testid]),
    );
}

/// Hangs up the first call, opens Recents and returns what an agent reads on the newest call's quality badge
/// (its `aria-label`) and the compact quality summary stored with it (`q` of the newest stored recent call).
pub fn hang_up_and_read_recent_quality(b: &Browser) -> (String, String) {
    click_in_card(b, 0, "hang-up");
    wait_state(b, 0, "Ended(HungUp)");
    b.click(&b.find("#tab-recents"));
    let badge = b.find("[data-testid=recent-quality]");
    let label = b.attr(&badge, "aria-label").unwrap_or_default();
    eprintln!("recents: {label}");
    let stored = b.exec("return localStorage.getItem('agent-desktop.recents')", json!([]));
    let recents: Value = serde_json::from_str(stored.as_str().expect("recent calls are stored")).expect("stored recents are JSON");
    let q = recents[0]["q"].as_str().expect("the summary is stored with the call").to_string();
    (label, q)
}

pub fn answer(b: &Browser) {
    let btn = b.wait_for("answer button", || b.find_all("[data-testid=call] button").into_iter().find(|x| b.text(x) == "Answer"));
    b.click(&btn);
}

/// Enters the desktop's frame in the sandbox page (from wherever the session is).
pub fn enter(b: &Browser) {
    b.top_frame();
    // In the page, or in the shadow root of its box (the sandbox's --workspace).
    let f = b.wait_for("the OpenFrame iframe", || b.try_find("iframe[name=gsft_openframe]").or_else(|| b.try_find_in_shadow("#of-frame-box", "iframe[name=gsft_openframe]")));
    b.enter_frame(&f);
    b.find(".desk[data-loaded=true]");
}

/// Clicks "Sign in to ServiceNow" and "Allow" in the consent popup; back in the desktop's frame after.
pub fn consent(b: &Browser) {
    enter(b);
    b.click(&b.find("#tab-diagnostics"));
    let main = b.window_handles()[0].clone();
    b.click(&b.find("[data-testid=sn-sign-in]"));
    let popup = b.wait_for("sign-in window", || b.window_handles().into_iter().find(|h| *h != main));
    b.switch_window(&popup);
    b.click(&b.find("#allow"));
    b.wait_for("sign-in window closes", || (b.window_handles().len() == 1).then_some(()));
    b.switch_window(&main);
    enter(b);
}

/// Signs in through the consent popup; leaves the browser inside the desktop's frame.
pub fn sn_sign_in(b: &Browser) {
    consent(b);
    b.click(&b.find("#tab-diagnostics"));
    b.wait_for("signed in", || (b.text(&b.find("[data-testid=sn-state]")) == "Signed in").then_some(()));
}

pub fn ring(b: &Browser, name: &str, number: &str) {
    b.top_frame();
    b.exec("window.sandboxSend('openframe_communication', {type: 'INCOMING_CALL', data: {name: arguments[0], phoneNumber: arguments[1]}})", json!([name, number]));
}

/// The sandbox's content title (the record ServiceNow shows).
pub fn title(b: &Browser) -> String {
    b.top_frame();
    b.text(&b.find("#content-title"))
}

pub fn journal(sb: &Sandbox, table: &str, id: &str) -> Vec<String> {
    let v: Value = ureq::get(&format!("{}/sandbox/record/{table}/{id}", sb.origin)).call().unwrap().into_json().unwrap();
    v["activity"].as_array().unwrap().iter().map(|j| j["value"].as_str().unwrap().to_string()).collect()
}

impl Browser {
    /// Sends a Chrome DevTools Protocol command through chromedriver (e.g. a script that runs before the
    /// page's own: `Page.addScriptToEvaluateOnNewDocument`).
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.post("/goog/cdp/execute", json!({"cmd": cmd, "params": params}))
    }
}

/// A script returning the stored outbox of the desktop in the current document (one per deployment, under
/// `agent-desktop.outbox.<deployment tag>`), or null.
pub const STORED_OUTBOX_JS: &str =
    "const k = Object.keys(localStorage).find(k => /^agent-desktop\\.outbox\\.[0-9a-f]{12}$/.test(k)); return k ? localStorage.getItem(k) : null";

// ---- ui (#17): widths, sideways scrolling and the contrast of every visible text ----

/// Sideways scrolling anywhere: the page, or any element that scrolls (a panel, a column, a list), and any
/// visible element that reaches past the window's right or left edge.
pub const SIDEWAYS_PROBLEMS: &str = r#"
const problems = [], de = document.documentElement;
if (de.scrollWidth > de.clientWidth) problems.push('page scrolls sideways ' + de.scrollWidth + '>' + de.clientWidth);
for (const el of document.querySelectorAll('body *')) {
  const s = getComputedStyle(el);
  if (s.display === 'none' || s.visibility === 'hidden') continue;
  const name = el.className || el.tagName;
  if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1)
    problems.push('scrolls sideways: ' + name + ' ' + el.scrollWidth + '>' + el.clientWidth);
  const r = el.getBoundingClientRect();
  if (r.width > 1 && (r.right > innerWidth + 0.5 || r.left < -0.5) && !el.closest('.sr-only'))
    problems.push('past the edge: ' + name + ' ' + JSON.stringify([r.left, r.right]));
}
return problems;"#;

/// WCAG 2 AA contrast of every visible text in the document, from computed styles: the text colour over the
/// backgrounds of the element and its ancestors (with their opacity), 4.5:1 (3:1 for large text); input values
/// and placeholders too. Returns the failures as "ratio selector text".
pub const TEXT_CONTRAST_PROBLEMS: &str = r#"
const parse = s => { const m = /rgba?\(([^)]+)\)/.exec(s || ''); if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
const over = (t, b) => [0, 1, 2].map(i => t[i] * t[3] + b[i] * (1 - t[3])).concat([1]);
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
function check(el, colour, what, out) {
  const chain = []; for (let e = el; e; e = e.parentElement) chain.unshift(e);
  let bg = [255, 255, 255, 1]; const layers = [];
  for (const e of chain) { const s = getComputedStyle(e);
    const op = Number(s.opacity); if (op < 1) layers.push([op, bg]);
    const c = parse(s.backgroundColor); if (c && c[3] > 0) bg = over(c, bg); }
  let fg = over(parse(colour), bg), back = bg;
  for (const [op, below] of layers.reverse()) { fg = over(fg.slice(0, 3).concat([op]), below); back = over(back.slice(0, 3).concat([op]), below); }
  const s = getComputedStyle(el), size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
  const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5, r = ratio(fg, back);
  if (r < need) out.push(r.toFixed(2) + ' ' + el.tagName.toLowerCase() + '.' + el.className + ' ' + what);
}
const out = []; let checked = 0;
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect(); if (r.width < 2 || r.height < 2) continue;
  const s = getComputedStyle(el); if (s.visibility === 'hidden' || el.closest('[hidden], .sr-only') || el.disabled) continue;
  if (el.matches('input, textarea')) {
    if (el.value) { check(el, s.color, JSON.stringify(el.value), out); checked++; }
    else if (el.placeholder) { check(el, getComputedStyle(el, '::placeholder').color, 'placeholder ' + JSON.stringify(el.placeholder), out); checked++; }
    continue;
  }
  const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join(' ').trim();
  if (text) { check(el, s.color, JSON.stringify(text.slice(0, 30)), out); checked++; }
}
return {checked, problems: out};"#;

impl Browser {
    /// Emulates `prefers-color-scheme` (`light` or `dark`) for the current page and those after it.
    pub fn color_scheme(&self, scheme: &str) {
        self.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}));
    }
}

/// Click-to-call from a record's form in the sandbox (`table`, `sys_id`, the number's button), answered by
/// the far end, hung up, then the wrap-up with `notes` (`before_wrap_up` runs right after the hang-up).
pub fn click_to_call_and_wrap_up(b: &Browser, table: &str, sys_id: &str, number: &str, notes: &str, before_wrap_up: impl FnOnce()) {
    b.top_frame();
    b.exec("window.sandboxShowForm(arguments[0], 'sys_id=' + arguments[1])", json!([table, sys_id]));
    b.click(&b.find(&format!("button[data-c2c='{number}']")));
    enter(b);
    b.click(&b.find("#tab-phone"));
    b.wait_for("connected", || (first_call_state(b) == "Connected").then_some(()));
    b.click(&b.find("[data-testid=hang-up]"));
    before_wrap_up();
    finish_wrap_up(b, "Resolved", notes);
}

/// Copies a directory tree (a release build to serve with a config file of a test's own).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
