//! The shell's start and its OpenFrame side: settings, the bridge to ServiceNow, the header icons, the
//! pop-out, and the clock.

use super::super::{Desk, Input, Intent, Mode, Tab, FrameRequest, SNAPSHOT_KEY, TAB_KEY, WINDOW_KEY};
use super::run::now_ms;
use crate::browser;
use crate::config::{self, ConfigError, Settings};
use crate::openframe::bridge::{self, Snapshot};
use crate::openframe::protocol::{self, Icon, Incoming, Outgoing, WidgetConfig};
use crate::openframe::session::{Phase, SessionEvent};
use crate::servicenow::service;
use crate::strings as t;
use crate::trust;
use leptos::prelude::*;
use std::cell::RefCell;

thread_local! {
    /// The pop-out this frame opened (to focus it again instead of reloading it), and its window name.
    static POPUP: RefCell<Option<(web_sys::Window, String)>> = const { RefCell::new(None) };
    /// The window name of the pop-out this window's page had open before its reload (see [`Desk::find_pop_out`]).
    static POPUP_BEFORE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The window name of the pop-out this frame opened, while it is open (kept for a reload).
pub(super) fn pop_out_name() -> Option<String> {
    POPUP.with(|p| p.borrow().as_ref().filter(|(w, _)| !w.closed().unwrap_or(true)).map(|(_, n)| n.clone()))
}

/// A pop-out's window name as this frame gives it: `agent-desktop-` and 12 base64url characters.
fn is_pop_out_name(n: &str) -> bool {
    n.strip_prefix("agent-desktop-").is_some_and(|r| r.len() == 12 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

impl Desk {
    /// Applies resolved settings (from [`config::resolve`]).
    pub fn apply_settings(&self, settings: Settings, errors: Vec<ConfigError>) {
        let settings = crate::intl::adopt(settings);
        // The core reads the same settings (they change only here).
        self.core.try_update_value(|(c, _, _)| c.settings = settings.clone());
        crate::desk::shell::aput(&self.settings, settings);
        crate::desk::shell::aput(&self.errors, errors);
        crate::desk::shell::set(self.loaded, true);
    }

    pub(super) fn re_resolve(&self) {
        // Read in place (no copy of the settings file's text).
        let (settings, mut errors) = self.core.with_value(|(_, _, src)| {
            let (settings, mut errors) = config::resolve_layers(&src.query, src.file_text.as_deref(), src.openframe.as_ref());
            if let Some(e) = &src.file_error {
                errors.insert(0, e.clone());
            }
            (settings, errors)
        });
        errors.dedup();
        self.apply_settings(settings, errors);
    }

    /// Loads the settings: URL query, then the config file it names (config.json by default).
    pub async fn load_settings(&self) {
        // The steps before and after the fetch are plain functions: the future holds only what crosses it.
        let (saved, window, path, url) = self.settings_begin();
        let fetched = match url {
            Ok(url) => browser::fetch_text(&url).await,
            Err(m) => Err(m),
        };
        self.settings_fetched(saved, window, path, fetched);
    }

    /// The saved state taken out of the session (erased before anything else, whatever happens next), the
    /// query read, and the config file's path and address.
    #[inline(never)]
    fn settings_begin(&self) -> (Option<String>, Option<String>, String, Result<String, t::Msg>) {
        let saved = browser::session_load(SNAPSHOT_KEY);
        browser::session_remove(SNAPSHOT_KEY);
        let window = browser::session_load(WINDOW_KEY);
        browser::session_remove(WINDOW_KEY);
        crate::servicenow::auth::forget_token();
        let query = browser::query_string();
        let (params, _) = config::parse_query(&query);
        self.core.update_value(|(_, _, s)| s.query = query);
        let path = params.config.unwrap_or_else(|| "config.json".to_string());
        let url = browser::config_url(&path);
        (saved, window, path, url)
    }

    #[inline(never)]
    fn settings_fetched(&self, saved: Option<String>, window: Option<String>, path: String, fetched: Result<String, t::Msg>) {
        self.core.update_value(|(_, _, s)| match fetched {
            Ok(text) => s.file_text = Some(text),
            Err(reason) => {
                s.file_error = Some(ConfigError { source: config::Source::ConfigFile, key: path.clone(), message: t::Key::CONFIG_LOAD_FAILED.arg("path", &path).arg_msg("reason", reason) })
            }
        });
        self.re_resolve();
        let dep = self.settings.with_untracked(|s| trust::Deployment {
            instance: s.servicenow.instance.as_ref().map(|i| i.origin()),
            top_domain: s.top_domain.as_ref().map(|t| t.origin()),
            config: s.config_path.clone(),
        });
        let key = dep.key();
        let before = window.and_then(|w| crate::json::parse(&w).ok()).filter(|w| w["dep"].as_str() == Some(key.as_str())).and_then(|w| {
            let ids = |k: &str| {
                let mut ids: Vec<String> = Vec::new();
                for l in w[k].as_array().map(Vec::as_slice).unwrap_or_default() {
                    if let Some(l) = l.as_str() {
                        ids.push(l.to_string());
                    }
                }
                ids
            };
            let owner = w["owner"].as_str().filter(|o| trust::is_id(o)).zip(w["ownerAt"].as_f64()).map(|(o, at)| (o.to_string(), at));
            w["links"].as_array()?;
            POPUP_BEFORE.with(|p| *p.borrow_mut() = w["pop"].as_str().filter(|n| is_pop_out_name(n)).map(str::to_string));
            Some((w["id"].as_str()?.to_string(), ids("links"), owner, ids("gone")))
        });
        self.core.update_value(|(_, _, s)| {
            s.dep = dep;
            s.before = before;
        });
        if let Some(text) = saved {
            self.restore_snapshot(&text);
        }
    }

    /// Starts everything after the settings are known: OpenFrame (when framed with a topDomain) and the line.
    pub async fn start(&self) {
        // A pop-out's ticket leaves the address at once (it is good for one use).
        let ticket = browser::take_fragment_ticket();
        self.core.update_value(|(_, _, s)| s.ticket = ticket);
        self.load_settings().await;
        self.started();
    }

    #[inline(never)]
    fn started(&self) {
        self.start_openframe();
        self.start_line();
        self.persist_on_pagehide();
        service::start(*self);
        self.join_group();
    }

    pub fn mode(&self) -> Mode {
        // Read in place (no copy of the phase and its message).
        let known = self.openframe.with(|o| o.snapshot.as_ref().map(|s| !matches!(s.phase, Phase::Standalone | Phase::Failed(_))));
        match known {
            Some(false) => Mode::Standalone,
            Some(true) => Mode::Embedded,
            None if self.settings.with(|s| s.top_domain.is_some()) => Mode::Embedded,
            None => Mode::Standalone,
        }
    }

    /// Switches section and remembers it for the next visit.
    pub fn select_tab(&self, tab: Tab) {
        crate::desk::shell::aput(&self.tab, tab);
        browser::save(TAB_KEY, tab.key());
    }

    pub fn dismiss_errors(&self) {
        crate::desk::shell::aput(&self.errors, Vec::new());
    }

    /// Installs the OpenFrame bridge. Inside a frame with a topDomain it runs the handshake; otherwise
    /// (no topDomain, or opened in its own tab) OpenFrame stays off.
    pub fn start_openframe(&self) {
        let (top, title) = self.settings.with_untracked(|s| (s.top_domain.clone(), s.title.clone()));
        let top = top.filter(|_| bridge::is_framed());
        let widget = WidgetConfig { width: 373, height: 300, title, sub_title: String::new(), title_icon: String::new() };
        let desk = *self;
        let snap = bridge::install(top, widget, move |event, snap| desk.on_openframe(event, snap));
        self.show_snapshot(snap);
    }

    fn show_snapshot(&self, snap: Snapshot) {
        self.openframe.update(|o| o.snapshot = Some(snap));
    }

    fn set_problem(&self, problem: Option<t::Msg>) {
        self.openframe.update(|o| o.problem = problem);
    }

    /// Publishes to ServiceNow; a refusal (a limit of OpenFrame) is shown to the agent. A window that has
    /// the phone outside ServiceNow (popped out) has the frame show it instead.
    pub fn publish(&self, msg: Outgoing) {
        if self.is_owner() && self.mode() == Mode::Standalone {
            if let (Some(r), Some(g)) = (FrameRequest::json_of(&msg), self.group()) {
                g.relay(r);
            }
        }
        if let Err(e) = bridge::publish(msg) {
            crate::desk::shell::aput(&self.notice, Some(t::Key::OPENFRAME_REFUSED_WHY.arg_msg("why", e.msg())));
        }
    }

    fn on_openframe(&self, event: Option<SessionEvent>, snap: Snapshot) {
        self.show_snapshot(snap);
        let Some(event) = event else { return };
        match event {
            SessionEvent::Connected { confirmed } => {
                self.set_problem((!confirmed).then(|| t::Key::HANDSHAKE_UNCONFIRMED.into()));
                if confirmed {
                    // ServiceNow at exactly the topDomain answered from window.top: one of the agent's own.
                    crate::desk::shell::set(self.member, true);
                    if let Some(g) = self.group() {
                        g.set_framed();
                    }
                }
                self.run(Input::FrameConnected);
            }
            SessionEvent::Config(cfg) => {
                self.openframe.update(|o| o.frame_title = Some(cfg.title.clone()));
                self.run(Input::FrameTitle(cfg.title.clone()));
                match protocol::parse_configuration_field(&cfg.configuration) {
                    Ok(v) => {
                        self.core.update_value(|(_, _, s)| s.openframe = Some(v));
                        self.re_resolve();
                    }
                    Err(m) => self.errors.update(|e| e.push(ConfigError { source: config::Source::OpenFrame, key: "configuration".into(), message: m })),
                }
            }
            SessionEvent::ConfigUnavailable(m) => self.set_problem(Some(t::Key::CONFIG_UNAVAILABLE.arg_msg("why", m))),
            SessionEvent::Failed(m) => self.set_problem(Some(m)),
            // Nothing in the desktop reads whether the frame is shown (it was a signal no view or test read).
            SessionEvent::Visible(_) => {}
            SessionEvent::RequestFailed { message, .. } => self.set_problem(Some(message)),
            SessionEvent::Host(incoming) => self.on_host(incoming),
        }
    }

    fn on_host(&self, incoming: Incoming) {
        match incoming {
            Incoming::Shown | Incoming::Hidden => {}
            Incoming::IconClicked(v) | Incoming::TitleIconClicked(v) => match protocol::icon_id(&v) {
                Some("popout") => self.pop_out(),
                Some("mute") => self.toggle_mute(),
                _ => {}
            },
            Incoming::BeforeDestroy => {
                self.persist();
            }
            Incoming::ClickToCall(c) => self.click_to_call(c),
            // The sandbox (or a test script) rings the demo line: {"type":"INCOMING_CALL","data":{"phoneNumber","name"}}.
            Incoming::Communication(v) if v.get("type").and_then(|t| t.as_str()) == Some("INCOMING_CALL") => {
                if !self.is_sip() {
                    // Read in place (no copy of the data).
                    let text = |k: &str| v.get("data").and_then(|d| d.get(k)).and_then(|n| n.as_str()).unwrap_or("").to_string();
                    let (number, name) = (text("phoneNumber"), text("name"));
                    if number.chars().any(|c| c.is_ascii_digit()) {
                        self.run(Input::Intent(Intent::SimulateIncoming { name, number }));
                    }
                }
            }
            _ => {}
        }
    }

    fn asset_url(path: &str) -> String {
        crate::servicenow::auth::beside_page(path)
    }

    pub(super) fn header_icons(&self) -> Vec<Icon> {
        let muted = self.muted.get_untracked();
        vec![
            Icon {
                id: "mute".into(),
                image_url: Self::asset_url(if muted { "icons/unmute.svg" } else { "icons/mute.svg" }),
                image_title: if muted { t::UNMUTE() } else { t::MUTE() }.into(),
            },
            Icon { id: "popout".into(), image_url: Self::asset_url("icons/popout.svg"), image_title: t::POP_OUT().into() },
        ]
    }

    /// Opens the desktop in its own tab (the same settings; OpenFrame is off in a tab of its own) and
    /// moves the phone there. An open pop-out is brought forward instead.
    pub fn pop_out(&self) {
        let Some(w) = web_sys::window() else { return };
        if let Some((p, _)) = POPUP.with(|p| p.borrow().clone()).filter(|(p, _)| !p.closed().unwrap_or(true)) {
            let _ = p.focus();
            return;
        }
        // The same query with `popout=1` last (written in place: no list of pairs).
        let mut query = String::from("?");
        // topDomain stays: it names the ServiceNow instance; OpenFrame stays off in a top-level tab.
        for kv in crate::text::split_byte(crate::text::trim_start_of(&browser::query_string(), "?"), b'&').filter(|kv| !kv.is_empty() && !kv.starts_with("popout=")) {
            query.push_str(kv);
            query.push('&');
        }
        query.push_str("popout=1");
        // A one-time ticket in the fragment (never sent to a server, never stored): it proves to this window
        // that the new one is the pop-out it opened.
        let mut random = [0u8; 32];
        if w.crypto().and_then(|c| c.get_random_values_with_u8_array(&mut random).map(|_| ())).is_err() {
            return;
        }
        let ticket = trust::new_ticket(random);
        let url = crate::text::cat(&[&Self::asset_url(&query), "#pop=", &ticket]);
        // A window name of its own per ticket: with one fixed name a second pop-out (after this frame was
        // reloaded) would only change the fragment of the tab already open, which never reads it.
        let name = crate::text::cat(&["agent-desktop-", crate::text::upto(&trust::ticket_proof(&ticket, "name"), 12)]);
        match w.open_with_url_and_target(&url, &name).ok().flatten() {
            Some(p) => {
                if let Some(g) = self.group() {
                    g.issue_ticket(&ticket);
                    g.link(p.clone());
                }
                POPUP.with(|s| *s.borrow_mut() = Some((p, name)));
            }
            None => crate::desk::shell::aput(&self.notice, Some(t::Key::POPUP_BLOCKED.into())),
        }
    }

    /// After a reload of the ServiceNow page while popped out, with the phone in the pop-out: that pop-out,
    /// found by its window name (it looks for the new frame among the top window's frames, but a frame in a
    /// shadow tree, as in Workspace, is not among them). Only a window already open and of this desktop: a
    /// blank one the browser made for the name instead (the pop-out was closed meanwhile) is closed at once.
    pub(super) fn find_pop_out() -> Option<web_sys::Window> {
        let name = POPUP_BEFORE.with(|p| p.borrow_mut().take())?;
        let w = web_sys::window()?.open_with_url_and_target("", &name).ok().flatten()?;
        let href = w.location().href().ok()?;
        let origin = web_sys::window()?.location().origin().ok()?;
        if !href.strip_prefix(origin.as_str()).is_some_and(|r| r.starts_with('/')) {
            if href == "about:blank" {
                let _ = w.close();
            }
            return None;
        }
        POPUP.with(|s| *s.borrow_mut() = Some((w.clone(), name)));
        Some(w)
    }

    /// Starts the desk's clock (call progress and timers) and the line of the settings.
    pub fn start_line(&self) {
        let desk = *self;
        super::run::every(250, Box::new(move || desk.tick(now_ms())));
        self.run(Input::LineStarted);
    }
}
