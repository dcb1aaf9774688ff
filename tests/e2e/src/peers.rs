//! The interop bed's other parties, all Debian packages on loopback, each stopped when dropped: rtpengine (media
//! relay between WebRTC and plain RTP), baresip (a plain SIP phone over UDP that sends a tone, records what it
//! hears and is driven over ctrl_tcp), coturn (TURN), and a small file server for the browser SIP stacks' page.

use crate::audio::{read_wav, Pcm};
use crate::{free_port, free_udp_port, terminate, Kamailio};
use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Each media process gets its own RTP port range (every test of a run shares the namespace).
static NEXT_RANGE: AtomicU16 = AtomicU16::new(0);
fn port_range(len: u16) -> (u16, u16) {
    let i = NEXT_RANGE.fetch_add(1, Ordering::Relaxed) % 100;
    let lo = 20_000 + i * 400;
    (lo, lo + len - 1)
}

fn temp_dir(what: &str, port: u16) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("e2e-{what}-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// rtpengine in userspace (no kernel module), ng control protocol on loopback UDP.
pub struct Rtpengine {
    child: Option<Child>,
    dir: PathBuf,
    pub ng_port: u16,
}

impl Rtpengine {
    pub fn start() -> Rtpengine {
        let ng_port = free_udp_port();
        let dir = temp_dir("rtpengine", ng_port);
        let (lo, hi) = port_range(400);
        let log = std::fs::File::create(dir.join("rtpengine.log")).unwrap();
        let child = Command::new("rtpengine")
            .args(["--foreground", "--table=-1", "--interface=127.0.0.1", "--log-stderr", "--log-level=6"])
            .arg(format!("--listen-ng=127.0.0.1:{ng_port}"))
            .arg(format!("--port-min={lo}"))
            .arg(format!("--port-max={hi}"))
            .arg(format!("--pidfile={}", dir.join("rtpengine.pid").display()))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start rtpengine (apt-get install rtpengine-daemon)");
        let r = Rtpengine { child: Some(child), dir, ng_port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !r.log().contains("Startup complete") {
            assert!(Instant::now() < deadline, "rtpengine did not start: {}", r.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        r
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("rtpengine.log")).unwrap_or_default()
    }
}

impl Drop for Rtpengine {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- rtpengine log (last lines) ---\n{}", tail(&self.log(), 40));
        }
        if let Some(mut c) = self.child.take() {
            terminate(&mut c);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// baresip 1.0 (Debian) as a plain SIP phone over UDP, registered to Kamailio as `user` (password "secret"):
/// sends a sine at `tone` Hz (ausine), records what it hears (sndfile: `dump-*-dec.wav`), and is driven over
/// ctrl_tcp (JSON netstrings). Calls are answered by command (it rings first).
pub struct Baresip {
    child: Option<Child>,
    dir: PathBuf,
    pub user: String,
    pub sip_port: u16,
    ctrl: Mutex<TcpStream>,
    messages: Arc<Mutex<Vec<Value>>>,
    token: AtomicU16,
}

/// A port for baresip's SIP: free for UDP, and for TCP on it and the next one. baresip 1.0 ignores
/// `sip_transports` and also listens for SIP over TCP on the port and SIP over TLS on the port after it,
/// so a port free only for UDP can make it fail to start ("Address already in use").
fn baresip_sip_port() -> u16 {
    loop {
        let p = free_udp_port();
        let tcp = |q: u16| std::net::TcpListener::bind(("127.0.0.1", q)).is_ok();
        if p < u16::MAX && tcp(p) && tcp(p + 1) {
            return p;
        }
    }
}

impl Baresip {
    pub fn start(k: &Kamailio, user: &str, tone: u32) -> Baresip {
        let (sip_port, ctrl_port) = (baresip_sip_port(), free_port());
        let dir = temp_dir("baresip", sip_port);
        let (lo, hi) = port_range(100);
        std::fs::create_dir_all(dir.join("rec")).unwrap();
        let config = format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{sip_port}\nsip_transports udp\nnet_interface 127.0.0.1\n\
             audio_player alsa,null\naudio_alert alsa,null\naudio_source ausine,{tone}\n\
             ausrc_srate 48000\nausrc_channels 2\nauplay_srate 48000\nauplay_channels 2\n\
             rtp_ports {lo}-{hi}\nrtp_timeout 0\nmodule_path /usr/lib/baresip/modules\n\
             module g711.so\nmodule opus.so\nmodule ausine.so\nmodule alsa.so\nmodule sndfile.so\n\
             module menu.so\nmodule ctrl_tcp.so\nmodule_app account.so\nmodule_app contact.so\n\
             snd_path {}\nctrl_tcp_listen 127.0.0.1:{ctrl_port}\n",
            dir.join("rec").display()
        );
        std::fs::write(dir.join("config"), config).unwrap();
        std::fs::write(
            dir.join("accounts"),
            format!("<sip:{user}@127.0.0.1:{};transport=udp>;auth_pass=secret;regint=600;answermode=manual\n", k.udp_port),
        )
        .unwrap();
        std::fs::write(dir.join("contacts"), "").unwrap();
        let log = std::fs::File::create(dir.join("baresip.log")).unwrap();
        let child = Command::new("baresip")
            .arg("-v") // debug lines, e.g. "received event: '5' (end=1)" for RFC 4733 DTMF
            .arg("-f")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start baresip (apt-get install baresip-core)");
        let deadline = Instant::now() + Duration::from_secs(10);
        let ctrl = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", ctrl_port)) {
                break s;
            }
            assert!(Instant::now() < deadline, "baresip did not start: {}", std::fs::read_to_string(dir.join("baresip.log")).unwrap_or_default());
            std::thread::sleep(Duration::from_millis(100));
        };
        let messages = Arc::new(Mutex::new(Vec::new()));
        let (reader, sink) = (ctrl.try_clone().unwrap(), messages.clone());
        std::thread::spawn(move || read_netstrings(reader, sink));
        let b = Baresip {
            child: Some(child),
            dir,
            user: user.to_string(),
            sip_port,
            ctrl: Mutex::new(ctrl),
            messages,
            token: AtomicU16::new(1),
        };
        b.wait_log("registered", Duration::from_secs(10), |l| l.contains("200 OK") && l.contains("binding"));
        b
    }

    /// Sends a ctrl_tcp command and waits for its response.
    pub fn command(&self, command: &str, params: &str) -> Value {
        let token = self.token.fetch_add(1, Ordering::Relaxed).to_string();
        let body = json!({"command": command, "params": params, "token": token}).to_string();
        {
            let mut s = self.ctrl.lock().unwrap();
            s.write_all(format!("{}:{},", body.len(), body).as_bytes()).expect("write to baresip ctrl_tcp");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(v) = self.messages.lock().unwrap().iter().find(|m| m["response"] == json!(true) && m["token"] == json!(token)) {
                return v.clone();
            }
            assert!(Instant::now() < deadline, "baresip did not answer '{command} {params}': {}", tail(&self.log(), 30));
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Calls a user registered at Kamailio.
    pub fn dial(&self, k: &Kamailio, user: &str) {
        self.command("dial", &format!("sip:{user}@127.0.0.1:{}", k.udp_port));
    }

    /// The events baresip has reported so far (`type` such as CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED,
    /// CALL_DTMF_START), with their `param`.
    pub fn events(&self) -> Vec<Value> {
        self.messages.lock().unwrap().iter().filter(|m| m["event"] == json!(true)).cloned().collect()
    }

    /// Waits (up to 15 s) for an event of `kind`; returns it.
    pub fn wait_event(&self, kind: &str) -> Value {
        self.wait_event_after(kind, 0)
    }

    /// Waits for an event of `kind` among those after the first `skip` events.
    pub fn wait_event_after(&self, kind: &str, skip: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(e) = self.events().into_iter().skip(skip).find(|e| e["type"] == json!(kind)) {
                return e;
            }
            assert!(Instant::now() < deadline, "baresip reported no {kind}; events {:?}\nlog: {}", self.events(), tail(&self.log(), 30));
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("baresip.log")).unwrap_or_default()
    }

    /// Waits for a line of baresip's log that `f` accepts.
    pub fn wait_log(&self, what: &str, timeout: Duration, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.log().lines().find(|l| f(l)) {
                return l.to_string();
            }
            assert!(Instant::now() < deadline, "baresip: timed out waiting for {what}; log:\n{}", tail(&self.log(), 40));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What baresip heard on its newest call so far (the decoder side's recording).
    pub fn heard(&self) -> Pcm {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("rec"))
            .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().ends_with("-dec.wav")).collect())
            .unwrap_or_default();
        files.sort();
        let path = files.pop().unwrap_or_else(|| panic!("baresip recorded nothing; log:\n{}", tail(&self.log(), 30)));
        read_wav(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// How many recordings (calls with audio) baresip has made.
    pub fn recordings(&self) -> usize {
        std::fs::read_dir(self.dir.join("rec")).map(|rd| rd.flatten().filter(|e| e.path().to_string_lossy().ends_with("-dec.wav")).count()).unwrap_or(0)
    }
}

fn read_netstrings(mut s: TcpStream, sink: Arc<Mutex<Vec<Value>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        loop {
            let Some(colon) = buf.iter().position(|&c| c == b':') else { break };
            let Some(len) = std::str::from_utf8(&buf[..colon]).ok().and_then(|l| l.parse::<usize>().ok()) else { return };
            if buf.len() < colon + 1 + len + 1 {
                break;
            }
            if let Ok(v) = serde_json::from_slice::<Value>(&buf[colon + 1..colon + 1 + len]) {
                sink.lock().unwrap().push(v);
            }
            buf.drain(..colon + 1 + len + 1);
        }
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let full = crate::artifacts_dir().join(format!("FAILED-baresip-{}.log", self.user));
            let _ = std::fs::write(&full, self.log());
            eprintln!("--- baresip {} log (last lines; all of it in {}) ---\n{}", self.user, full.display(), tail(&self.log(), 40));
        }
        if let Some(mut c) = self.child.take() {
            terminate(&mut c);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// coturn as a TURN server on loopback (long-term credentials `agent` / `secret`), relaying to loopback peers.
pub struct Coturn {
    child: Option<Child>,
    dir: PathBuf,
    pub port: u16,
}

impl Coturn {
    pub fn start() -> Coturn {
        let port = free_port();
        let dir = temp_dir("coturn", port);
        let (lo, hi) = port_range(200);
        let log = std::fs::File::create(dir.join("coturn.log")).unwrap();
        let child = Command::new("turnserver")
            .args(["-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--lt-cred-mech", "--user=agent:secret"])
            .args(["--realm=interop.test", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-cli", "--simple-log"])
            .args(["--no-software-attribute", "--verbose"])
            .arg(format!("--log-file={}", dir.join("turn.log").display()))
            .arg(format!("--listening-port={port}"))
            .arg(format!("--min-port={lo}"))
            .arg(format!("--max-port={hi}"))
            .arg(format!("--pidfile={}", dir.join("coturn.pid").display()))
            .arg(format!("--userdb={}", dir.join("turndb").display()))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start turnserver (apt-get install coturn)");
        let c = Coturn { child: Some(child), dir, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "coturn did not start: {}", c.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        c
    }

    /// coturn's own log (sessions, allocations, permissions), after its start-up output.
    pub fn log(&self) -> String {
        let own = std::fs::read_to_string(self.dir.join("turn.log")).unwrap_or_default();
        own + &std::fs::read_to_string(self.dir.join("coturn.log")).unwrap_or_default()
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- coturn log (last lines) ---\n{}", tail(&self.log(), 40));
        }
        if let Some(mut c) = self.child.take() {
            terminate(&mut c);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A static file server on 127.0.0.1 (its own origin) for the browser SIP stacks: `pages` answer their exact
/// paths; any other path is a file under `root` (never outside it).
pub struct FileServer {
    pub origin: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl FileServer {
    pub fn serve(root: PathBuf, pages: Vec<(String, String)>) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        let pages = Arc::new(pages);
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => {
                        let (root, pages) = (root.clone(), pages.clone());
                        std::thread::spawn(move || serve_one(s, &root, &pages));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FileServer { origin: format!("http://127.0.0.1:{port}"), stop }
    }
}

fn serve_one(mut s: TcpStream, root: &Path, pages: &[(String, String)]) {
    s.set_nonblocking(false).ok();
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = std::io::BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
    let found = if let Some((_, html)) = pages.iter().find(|(p, _)| *p == path) {
        Some((html.clone().into_bytes(), "text/html; charset=utf-8"))
    } else if path.split('/').any(|seg| seg == ".." || seg.contains('\\')) {
        None
    } else {
        let file = root.join(path.trim_start_matches('/'));
        let kind = match file.extension().and_then(|e| e.to_str()) {
            Some("js") | Some("mjs") => "text/javascript",
            Some("json") => "application/json",
            Some("html") => "text/html; charset=utf-8",
            _ => "application/octet-stream",
        };
        std::fs::read(&file).ok().filter(|_| file.is_file()).map(|b| (b, kind))
    };
    let resp = match found {
        Some((body, kind)) => {
            let mut r = format!("HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
            r.extend_from_slice(&body);
            r
        }
        None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    };
    let _ = s.write_all(&resp);
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One line of the interop matrix: `peer`, `scenario`, pass or fail, appended to `interop-results.txt` in the
/// artifacts folder (scripts/test.sh prints the table).
pub fn record(peer: &str, scenario: &str, pass: bool) {
    let path = crate::artifacts_dir().join("interop-results.txt");
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    let _ = writeln!(f, "{peer}\t{scenario}\t{}", if pass { "pass" } else { "FAIL" });
}

/// Runs one scenario step of a peer and records it in the matrix: a failure is recorded, then re-raised.
pub fn step<T>(peer: &str, scenario: &str, f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => {
            record(peer, scenario, true);
            v
        }
        Err(e) => {
            record(peer, scenario, false);
            std::panic::resume_unwind(e)
        }
    }
}

/// A browser SIP stack as the far end: `sipjs.html` or `jssip.html` from tests/interop/js (served with its
/// node_modules by a [`FileServer`], an origin of its own), in its own Chromium whose microphone plays `tone`,
/// registered to Kamailio as `user`. Driven through the page's `window.peer`.
pub struct JsPeer {
    pub b: crate::Browser,
    pub stack: String,
}

impl JsPeer {
    pub fn files() -> FileServer {
        let root = crate::repo_root().join("tests/interop/js");
        assert!(
            root.join("node_modules/sip.js/package.json").exists() && root.join("node_modules/jssip/package.json").exists(),
            "SIP.js and JsSIP are not installed in tests/interop/js (scripts/install.sh test installs them)"
        );
        FileServer::serve(root, Vec::new())
    }

    pub fn open(files: &FileServer, stack: &str, k: &Kamailio, user: &str, tone: u32) -> JsPeer {
        let wav = crate::audio::write_tone(&crate::artifacts_dir(), tone);
        let b = crate::Browser::start_with(&format!("{stack}_{user}"), 800, 600, &[format!("--use-file-for-fake-audio-capture={}", wav.display())]);
        b.goto(&format!("{}/{stack}.html", files.origin));
        let p = JsPeer { b, stack: stack.to_string() };
        p.wait_log("ready");
        p.b.exec_async(
            "const done = arguments[arguments.length - 1]; Promise.resolve(peer.register(arguments[0], arguments[1])).then(() => done(''), e => done(String(e)));",
            json!([k.ws_url(), user]),
        );
        p.wait_state("registered");
        p
    }

    /// Runs `peer.<js>` in the page (e.g. `call('1001')`).
    pub fn run(&self, js: &str) {
        self.b.exec(&format!("peer.{js}"), json!([]));
    }

    pub fn state(&self) -> String {
        self.b.exec("return peer.state", json!([])).as_str().unwrap_or("").to_string()
    }

    pub fn log(&self) -> Vec<String> {
        match self.b.exec("return peer.log", json!([])) {
            Value::Array(a) => a.iter().map(|v| v.as_str().unwrap_or("").to_string()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn wait_state(&self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.state() != want {
            assert!(Instant::now() < deadline, "{}: state {} (want {want}); log:\n{}", self.stack, self.state(), self.log().join("\n"));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_log(&self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let log = self.log();
            if log.iter().any(|l| l.starts_with(want)) {
                return;
            }
            assert!(Instant::now() < deadline, "{}: no '{want}' in its log:\n{}\nconsole: {:?}", self.stack, log.join("\n"), self.b.console());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
