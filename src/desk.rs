//! The desk: the one reactive store the components read, and the only place state changes.
//! Components send intents (dial, answer, hang up, set state...) here; the desk asks the cores what to do
//! and carries it out through the browser edges (OpenFrame bridge, storage, the line).

use crate::browser;
use crate::config::{self, ConfigError, Settings};
use crate::openframe::bridge::{self, Snapshot};
use crate::openframe::protocol::{self, ClickToCall, Icon, Incoming, Outgoing, PresenceColor, RecordRef, WidgetConfig};
use crate::openframe::session::{Phase, SessionEvent};
use crate::phone::call::{Call, CallState, Direction, EndReason};
use crate::phone::demo::DemoLine;
use crate::config::LineKind;
use crate::phone::model::{AgentState, PresenceTone};
use crate::phone::sipline::{self, LineStatus};
use crate::phone::wrapup::{self, Outcome, RecentCall, WrapUp};
use crate::config::WrapUpTimeout;
use crate::servicenow::activity::Activity;
use crate::servicenow::outbox::Outbox;
use crate::servicenow::screen_pop::Decision;
use crate::servicenow::service::{self, SnState};
use crate::strings as t;
use crate::tabs::{self, Group, Join, Role};
use crate::trust;
use leptos::prelude::*;
use std::cell::RefCell;
use serde_json::{json, Value};

/// The desktop's sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Phone,
    Directory,
    Recents,
    Diagnostics,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Phone, Tab::Directory, Tab::Recents, Tab::Diagnostics];

    pub fn key(self) -> &'static str {
        match self {
            Tab::Phone => "phone",
            Tab::Directory => "directory",
            Tab::Recents => "recents",
            Tab::Diagnostics => "diagnostics",
        }
    }

    pub fn from_key(k: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.key() == k)
    }
}

/// Where the desktop is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Inside ServiceNow's OpenFrame iframe (a topDomain is configured).
    Embedded,
    /// In its own tab, or without a topDomain: OpenFrame features are off.
    Standalone,
}

/// localStorage key of the last section the agent looked at (a UI preference, not a secret).
pub const TAB_KEY: &str = "agent-desktop.tab";
/// localStorage keys of the last SIP server and user (not the password).
pub const SIP_SERVER_KEY: &str = "agent-desktop.sip.server";
pub const SIP_USER_KEY: &str = "agent-desktop.sip.user";
/// Only when the agent ticks "remember my password" (stored unencrypted; the box says so).
pub const SIP_PASSWORD_KEY: &str = "agent-desktop.sip.password";
/// localStorage keys of the wrap-up drafts, the recent calls and the activities waiting for ServiceNow.
/// They hold call details the agent typed (notes), never credentials.
pub const WRAPUPS_KEY: &str = "agent-desktop.wrapups";
pub const RECENTS_KEY: &str = "agent-desktop.recents";
pub const OUTBOX_KEY: &str = "agent-desktop.outbox";

fn load_json<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_str(&browser::load(key)?).ok()
}

fn save_json<T: serde::Serialize>(key: &str, v: &T) {
    if let Ok(text) = serde_json::to_string(v) {
        browser::save(key, &text);
    }
}

/// sessionStorage key of the state saved when the page goes away (reload, ServiceNow navigation): the
/// calls and, while signed in, the SIP sign-in and the ServiceNow token, so the desktop can take its calls
/// back. It is removed as soon as the desktop starts again, before anything else; it is used only by the
/// same deployment, and its secrets only within [`trust::SECRET_TTL_MS`] (sessionStorage belongs to this
/// tab only, but browsers keep it for "reopen closed tab").
pub const SNAPSHOT_KEY: &str = "agent-desktop.snapshot";
/// A saved state older than this is not used to take calls back.
pub const SNAPSHOT_TTL_MS: f64 = trust::SECRET_TTL_MS;
/// sessionStorage key of this window's id in the group and the ids it is linked to (no secrets), written
/// when the page goes away and removed at the next start: a reloaded window stays linked.
pub const WINDOW_KEY: &str = "agent-desktop.window";

thread_local! {
    /// The pop-out this frame opened (to focus it again instead of reloading it).
    static POPUP: RefCell<Option<web_sys::Window>> = const { RefCell::new(None) };
}

/// What the diagnostics view shows about OpenFrame.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenFrameView {
    pub snapshot: Option<Snapshot>,
    /// A problem the agent or admin should know about (handshake failed or unconfirmed, config refused...).
    pub problem: Option<String>,
    pub frame_title: Option<String>,
}

/// The inputs settings are resolved from, kept so a later layer (the OpenFrame configuration) can be added.
#[derive(Clone, Debug, Default)]
struct Sources {
    query: String,
    file_text: Option<String>,
    file_error: Option<ConfigError>,
    openframe: Option<Value>,
}

#[derive(Clone, Copy)]
pub struct Desk {
    pub settings: RwSignal<Settings>,
    pub errors: RwSignal<Vec<ConfigError>>,
    pub loaded: RwSignal<bool>,
    pub tab: RwSignal<Tab>,
    pub openframe: RwSignal<OpenFrameView>,
    pub agent_state: RwSignal<AgentState>,
    pub muted: RwSignal<bool>,
    pub frame_visible: RwSignal<Option<bool>>,
    pub calls: RwSignal<Vec<Call>>,
    /// A short message for the agent (e.g. why a dial failed); cleared by the next action.
    pub notice: RwSignal<Option<String>>,
    /// The far end asks to transfer the agent (REFER, `referPolicy` ask): the call and what to show.
    pub transfer_ask: RwSignal<Option<(u32, String)>>,
    /// The last SIP MESSAGE shown to the agent (`sip.messages` show): sender and text, plain text.
    pub sip_message: RwSignal<Option<String>>,
    /// The clock the call timers render from (ms since the epoch), updated every second by the line ticker.
    pub now: RwSignal<f64>,
    pub line_status: RwSignal<LineStatus>,
    /// The last call's set-up time: dial intent to INVITE sent (ms), shown in the Status panel.
    pub setup_ms: RwSignal<Option<f64>>,
    /// Finished calls waiting for the agent's wrap-up (the first is shown); saved as drafts.
    pub wrapups: RwSignal<Vec<WrapUp>>,
    /// The agent's recent calls (localStorage).
    pub recents: RwSignal<Vec<RecentCall>>,
    /// Activities waiting to be written to ServiceNow (localStorage; delivered by the outbox).
    pub outbox: RwSignal<Outbox>,
    /// The ServiceNow connection.
    pub sn: RwSignal<SnState>,
    /// Screen pops waiting for the agent (a choice between records, or an offer to create one), by call.
    pub pops: RwSignal<Vec<(u32, Decision)>>,
    /// The last announcement for screen readers (an ARIA live region).
    pub announcement: RwSignal<String>,
    /// A wrap-up problem to show (disposition missing...).
    pub wrapup_error: RwSignal<Option<String>>,
    /// What is typed in the dial pad (kept across panels).
    pub dial_text: RwSignal<String>,
    /// Directory entries from elsewhere (ServiceNow users and contacts).
    pub extra_directory: RwSignal<Vec<crate::ui::directory::Entry>>,
    /// ServiceNow has more directory results than shown.
    pub directory_more: RwSignal<bool>,
    /// The keyboard shortcut help is open.
    pub show_help: RwSignal<bool>,
    /// Whether this instance owns the phone, or shows the phone of another tab (a remote view).
    pub role: RwSignal<Role>,
    /// Windows that are not linked ask the agent for the phone (the owner shows the question).
    pub asking: RwSignal<usize>,
    /// This window is one of the agent's own: framed by the instance (handshake answered) or linked to
    /// such a window. Until then the topDomain is not trusted as the ServiceNow instance.
    pub member: RwSignal<bool>,
    /// This deployment's key (instance, topDomain, settings file), fixed once the settings are read.
    dep: StoredValue<trust::Deployment>,
    /// A pop-out's one-time ticket, taken from the address's fragment at start.
    ticket: StoredValue<Option<String>>,
    /// This window's group id and links before a reload (same deployment only).
    before: StoredValue<Option<(String, Vec<String>)>>,
    /// A remote view: wrap-ups it finished (sent to the owner), not to be shown again.
    submitted: StoredValue<Vec<String>>,
    /// The state saved before a reload, until the desk knows whether it owns the phone.
    saved: StoredValue<Option<Value>>,
    /// This instance's membership of the desktop's group of windows (crate::tabs).
    group: StoredValue<Option<Group>, LocalStorage>,
    /// The state to return to once the line registers after a takeover.
    state_after_sign_in: StoredValue<Option<AgentState>>,
    sources: StoredValue<Sources>,
    line: StoredValue<DemoLine>,
    next_call_id: StoredValue<u32>,
    finalized: StoredValue<Vec<u32>>,
    last_presence: StoredValue<String>,
    /// The header title and subtitle last sent to ServiceNow.
    last_header: StoredValue<[String; 2]>,
    state_before_call: StoredValue<Option<AgentState>>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl Desk {
    /// A desk with default settings, before config.json has been read.
    pub fn new() -> Desk {
        let tab = browser::load(TAB_KEY).and_then(|k| Tab::from_key(&k)).unwrap_or(Tab::Phone);
        Desk {
            settings: RwSignal::new(Settings::default()),
            errors: RwSignal::new(Vec::new()),
            loaded: RwSignal::new(false),
            tab: RwSignal::new(tab),
            openframe: RwSignal::new(OpenFrameView { snapshot: None, problem: None, frame_title: None }),
            agent_state: RwSignal::new(AgentState::NotReady(None)),
            muted: RwSignal::new(false),
            frame_visible: RwSignal::new(None),
            calls: RwSignal::new(Vec::new()),
            notice: RwSignal::new(None),
            transfer_ask: RwSignal::new(None),
            sip_message: RwSignal::new(None),
            now: RwSignal::new(now_ms()),
            line_status: RwSignal::new(LineStatus::Demo),
            setup_ms: RwSignal::new(None),
            sources: StoredValue::new(Sources::default()),
            line: StoredValue::new(DemoLine::new()),
            next_call_id: StoredValue::new(1),
            wrapups: RwSignal::new(load_json(WRAPUPS_KEY).unwrap_or_default()),
            recents: RwSignal::new(load_json(RECENTS_KEY).unwrap_or_default()),
            outbox: RwSignal::new(load_json(OUTBOX_KEY).unwrap_or_default()),
            sn: RwSignal::new(SnState::Off),
            pops: RwSignal::new(Vec::new()),
            announcement: RwSignal::new(String::new()),
            wrapup_error: RwSignal::new(None),
            dial_text: RwSignal::new(String::new()),
            extra_directory: RwSignal::new(Vec::new()),
            show_help: RwSignal::new(false),
            role: RwSignal::new(Role::Starting),
            asking: RwSignal::new(0),
            member: RwSignal::new(false),
            dep: StoredValue::new(Default::default()),
            ticket: StoredValue::new(None),
            before: StoredValue::new(None),
            submitted: StoredValue::new(Vec::new()),
            saved: StoredValue::new(None),
            group: StoredValue::new_local(None),
            state_after_sign_in: StoredValue::new(None),
            directory_more: RwSignal::new(false),
            finalized: StoredValue::new(Vec::new()),
            last_presence: StoredValue::new(String::new()),
            last_header: StoredValue::new(Default::default()),
            state_before_call: StoredValue::new(None),
        }
    }

    /// Applies resolved settings (from [`config::resolve`]).
    pub fn apply_settings(&self, settings: Settings, errors: Vec<ConfigError>) {
        self.settings.set(crate::intl::adopt(settings));
        self.errors.set(errors);
        self.loaded.set(true);
    }

    fn re_resolve(&self) {
        let src = self.sources.get_value();
        let (settings, mut errors) = config::resolve_layers(&src.query, src.file_text.as_deref(), src.openframe.as_ref());
        if let Some(e) = src.file_error {
            errors.insert(0, e);
        }
        errors.dedup();
        self.apply_settings(settings, errors);
    }

    /// Loads the settings: URL query, then the config file it names (config.json by default).
    pub async fn load_settings(&self) {
        // The saved state is erased before anything else, whatever happens next.
        let saved = browser::session_load(SNAPSHOT_KEY);
        browser::session_remove(SNAPSHOT_KEY);
        let window = browser::session_load(WINDOW_KEY);
        browser::session_remove(WINDOW_KEY);
        crate::servicenow::auth::forget_token();
        let query = browser::query_string();
        let (params, _) = config::parse_query(&query);
        let path = params.config.unwrap_or_else(|| "config.json".to_string());
        let fetched = match browser::config_url(&path) {
            Ok(url) => browser::fetch_text(&url).await,
            Err(m) => Err(m),
        };
        self.sources.update_value(|s| {
            s.query = query;
            match fetched {
                Ok(text) => s.file_text = Some(text),
                Err(reason) => {
                    s.file_error = Some(ConfigError {
                        source: config::Source::ConfigFile,
                        key: path.clone(),
                        message: t::config_load_failed(&path, &reason),
                    })
                }
            }
        });
        self.re_resolve();
        let dep = self.settings.with_untracked(|s| trust::Deployment {
            instance: s.servicenow.instance.as_ref().map(|i| i.origin()),
            top_domain: s.top_domain.as_ref().map(|t| t.origin()),
            config: s.config_path.clone(),
        });
        let key = dep.key();
        self.dep.set_value(dep);
        let before = window.and_then(|w| serde_json::from_str::<Value>(&w).ok()).filter(|w| w["dep"].as_str() == Some(key.as_str())).and_then(|w| {
            let links = w["links"].as_array()?.iter().filter_map(|l| l.as_str().map(str::to_string)).collect();
            Some((w["id"].as_str()?.to_string(), links))
        });
        self.before.set_value(before);
        if let Some(text) = saved {
            self.restore_snapshot(&text);
        }
    }

    /// Starts everything after the settings are known: OpenFrame (when framed with a topDomain) and the line.
    pub async fn start(&self) {
        // A pop-out's ticket leaves the address at once (it is good for one use).
        self.ticket.set_value(browser::take_fragment_ticket());
        self.load_settings().await;
        self.start_openframe();
        self.start_line();
        self.persist_on_pagehide();
        service::start(*self);
        self.join_group();
    }

    /// Saves the state whenever this page goes away (reload, navigation, tab closed), not only when
    /// ServiceNow announces it with `openframe_before_destroy`.
    fn persist_on_pagehide(&self) {
        use wasm_bindgen::JsCast;
        let desk = *self;
        let cb = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || desk.page_hidden());
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("pagehide", cb.as_ref().unchecked_ref());
        }
        cb.forget();
        self.guard_unload();
    }

    /// The page is going away: the state is saved for a reload, and the next owner gets the phone.
    pub fn page_hidden(&self) {
        let packet = self.persist();
        if let Some(g) = self.group() {
            let (id, links) = g.identity();
            browser::session_save(WINDOW_KEY, &json!({"dep": self.deployment_key(), "id": id, "links": links}).to_string());
            g.leave(packet);
        }
    }

    /// Closing or reloading the window that has the phone, with a live call, asks first (the call cannot
    /// always be taken back).
    pub fn guard_unload(&self) {
        use wasm_bindgen::JsCast;
        let desk = *self;
        let ask = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let live = desk.calls.try_with_untracked(|c| c.iter().any(Call::is_live)).unwrap_or(false);
            if live && desk.role.try_get_untracked() != Some(Role::Remote) {
                ev.prevent_default();
                let _ = js_sys::Reflect::set(&ev, &"returnValue".into(), &"".into());
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("beforeunload", ask.as_ref().unchecked_ref());
        }
        ask.forget();
    }

    pub fn mode(&self) -> Mode {
        let phase = self.openframe.with(|o| o.snapshot.as_ref().map(|s| s.phase.clone()));
        match phase {
            Some(Phase::Standalone) | Some(Phase::Failed(_)) => Mode::Standalone,
            Some(_) => Mode::Embedded,
            None if self.settings.with(|s| s.top_domain.is_some()) => Mode::Embedded,
            None => Mode::Standalone,
        }
    }

    /// Switches section and remembers it for the next visit.
    pub fn select_tab(&self, tab: Tab) {
        self.tab.set(tab);
        browser::save(TAB_KEY, tab.key());
    }

    pub fn dismiss_errors(&self) {
        self.errors.set(Vec::new());
    }

    // ---- OpenFrame ----

    /// Installs the OpenFrame bridge. Inside a frame with a topDomain it runs the handshake; otherwise
    /// (no topDomain, or opened in its own tab) OpenFrame stays off.
    pub fn start_openframe(&self) {
        let settings = self.settings.get_untracked();
        let top = settings.top_domain.clone().filter(|_| bridge::is_framed());
        let widget = WidgetConfig {
            width: 373,
            height: 300,
            title: settings.title.clone(),
            sub_title: String::new(),
            title_icon: String::new(),
        };
        let desk = *self;
        let snap = bridge::install(top, widget, move |event, snap| desk.on_openframe(event, snap));
        self.openframe.update(|o| o.snapshot = Some(snap));
    }

    fn set_problem(&self, problem: Option<String>) {
        self.openframe.update(|o| o.problem = problem);
    }

    /// Publishes to ServiceNow; a refusal (a limit of OpenFrame) is shown to the agent.
    pub fn publish(&self, msg: Outgoing) {
        // The header title and subtitle are sent when they change (calls change often; the header does not).
        let slot = match &msg {
            Outgoing::SetTitle(x) => Some((0, x.clone())),
            Outgoing::SetSubtitle(x) => Some((1, x.clone())),
            _ => None,
        };
        if let Some((i, x)) = slot {
            if self.last_header.with_value(|h| h[i] == x) {
                return;
            }
            self.last_header.update_value(|h| h[i] = x);
        }
        // An owner outside ServiceNow (popped out) has the frame show it instead.
        if self.is_owner() && self.mode() == Mode::Standalone {
            let relay = match &msg {
                Outgoing::Show => Some(json!({"show": true})),
                Outgoing::SetTitle(x) => Some(json!({"title": x})),
                Outgoing::SetSubtitle(x) => Some(json!({"sub": x})),
                Outgoing::OpenForm { entity, query, .. } => Some(json!({"form": [entity, query]})),
                _ => None,
            };
            if let (Some(v), Some(g)) = (relay, self.group()) {
                g.relay(v);
            }
        }
        if let Err(e) = bridge::publish(msg) {
            self.notice.set(Some(format!("{}: {e}", t::OPENFRAME_REFUSED())));
        }
    }

    fn on_openframe(&self, event: Option<SessionEvent>, snap: Snapshot) {
        self.openframe.update(|o| o.snapshot = Some(snap));
        let Some(event) = event else { return };
        match event {
            SessionEvent::Connected { confirmed } => {
                self.set_problem((!confirmed).then(|| t::HANDSHAKE_UNCONFIRMED().to_string()));
                if confirmed {
                    // ServiceNow at exactly the topDomain answered from window.top: one of the agent's own.
                    self.member.set(true);
                    if let Some(g) = self.group() {
                        g.set_framed();
                    }
                }
                self.publish(Outgoing::SetIcons(self.header_icons()));
                self.last_presence.set_value(String::new());
                self.last_header.set_value(Default::default());
                self.publish_presence();
            }
            SessionEvent::Config(cfg) => {
                self.openframe.update(|o| o.frame_title = Some(cfg.title.clone()));
                match protocol::parse_configuration_field(&cfg.configuration) {
                    Ok(v) => {
                        self.sources.update_value(|s| s.openframe = Some(v));
                        self.re_resolve();
                    }
                    Err(m) => self.errors.update(|e| {
                        e.push(ConfigError { source: config::Source::OpenFrame, key: "configuration".into(), message: m })
                    }),
                }
            }
            SessionEvent::ConfigUnavailable(m) => self.set_problem(Some(format!("{m}; {}", t::USING_LOCAL_SETTINGS()))),
            SessionEvent::Failed(m) => self.set_problem(Some(m)),
            SessionEvent::Visible(v) => self.frame_visible.set(Some(v)),
            SessionEvent::RequestFailed { message, .. } => self.set_problem(Some(message)),
            SessionEvent::Host(incoming) => self.on_host(incoming),
        }
    }

    fn on_host(&self, incoming: Incoming) {
        match incoming {
            Incoming::Shown => self.frame_visible.set(Some(true)),
            Incoming::Hidden => self.frame_visible.set(Some(false)),
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
                    let d = v.get("data").cloned().unwrap_or_default();
                    let number = d.get("phoneNumber").and_then(|n| n.as_str()).unwrap_or("").to_string();
                    let name = d.get("name").and_then(|n| n.as_str()).unwrap_or("").to_string();
                    if number.chars().any(|c| c.is_ascii_digit()) {
                        self.simulate_incoming_from(Some((&name, &number)));
                    }
                }
            }
            _ => {}
        }
    }

    fn asset_url(path: &str) -> String {
        let base = web_sys::window()
            .and_then(|w| w.location().href().ok())
            .map(|h| h.split(['?', '#']).next().unwrap_or("").to_string())
            .unwrap_or_default();
        let dir = base.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        format!("{dir}/{path}")
    }

    fn header_icons(&self) -> Vec<Icon> {
        let muted = self.muted.get_untracked();
        vec![
            Icon { id: "mute".into(), image_url: Self::asset_url(if muted { "icons/unmute.svg" } else { "icons/mute.svg" }),
                image_title: if muted { t::UNMUTE() } else { t::MUTE() }.into() },
            Icon { id: "popout".into(), image_url: Self::asset_url("icons/popout.svg"), image_title: t::POP_OUT().into() },
        ]
    }

    /// Mirrors the agent in ServiceNow's presence indicator: "On call" while a call is live, else the agent
    /// state. Sent only when it changes.
    fn publish_presence(&self) {
        let state = self.agent_state.get_untracked();
        let on_call = self.calls.with_untracked(|c| c.iter().any(|c| matches!(c.state, CallState::Connected | CallState::Held | CallState::Dialing | CallState::Ringing)));
        let (label, color) = if on_call {
            (t::ON_CALL().to_string(), PresenceColor::Red)
        } else {
            let color = match state.tone() {
                PresenceTone::Available => PresenceColor::Green,
                PresenceTone::Busy => PresenceColor::Red,
                PresenceTone::Away => PresenceColor::Orange,
                PresenceTone::Off => PresenceColor::Grey,
            };
            (state.label(), color)
        };
        let key = format!("{label}|{}", color.name());
        if self.last_presence.with_value(|l| *l == key) {
            return;
        }
        self.last_presence.set_value(key);
        self.publish(Outgoing::SetPresence { state: label, color });
    }

    /// Sets the agent's state and mirrors it in ServiceNow's presence indicator.
    pub fn set_agent_state(&self, state: AgentState) {
        if self.relay(json!({"c": "state", "state": state.key()})) {
            return;
        }
        self.agent_state.set(state);
        self.publish_presence();
    }

    pub fn toggle_mute(&self) {
        if self.relay_id("mute", 0) {
            return;
        }
        self.muted.update(|m| *m = !*m);
        sipline::set_muted(self.muted.get_untracked());
        self.publish(Outgoing::SetIcons(self.header_icons()));
    }

    /// Opens the desktop in its own tab (the same settings; OpenFrame is off in a tab of its own) and
    /// moves the phone there. An open pop-out is brought forward instead.
    pub fn pop_out(&self) {
        let Some(w) = web_sys::window() else { return };
        if let Some(p) = POPUP.with(|p| p.borrow().clone()).filter(|p| !p.closed().unwrap_or(true)) {
            let _ = p.focus();
            return;
        }
        let query: Vec<String> = browser::query_string()
            .trim_start_matches('?')
            .split('&')
            // topDomain stays: it names the ServiceNow instance; OpenFrame stays off in a top-level tab.
            .filter(|kv| !kv.is_empty() && !kv.starts_with("popout="))
            .map(str::to_string)
            .chain(["popout=1".to_string()])
            .collect();
        // A one-time ticket in the fragment (never sent to a server, never stored): it proves to this window
        // that the new one is the pop-out it opened.
        let mut random = [0u8; 32];
        if w.crypto().and_then(|c| c.get_random_values_with_u8_array(&mut random).map(|_| ())).is_err() {
            return;
        }
        let ticket = trust::new_ticket(random);
        let url = format!("{}#pop={ticket}", Self::asset_url(&format!("?{}", query.join("&"))));
        // A window name of its own per ticket: with one fixed name a second pop-out (after this frame was
        // reloaded) would only change the fragment of the tab already open, which never reads it.
        let name = format!("agent-desktop-{}", &trust::ticket_proof(&ticket, "name")[..12]);
        match w.open_with_url_and_target(&url, &name).ok().flatten() {
            Some(p) => {
                if let Some(g) = self.group() {
                    g.issue_ticket(&ticket);
                    g.link(p.clone());
                }
                POPUP.with(|s| *s.borrow_mut() = Some(p));
            }
            None => self.notice.set(Some(t::POPUP_BLOCKED().into())),
        }
    }

    // ---- One owner of the phone across tabs (see crate::tabs) ----

    /// True when this instance runs the phone (or no other instance does yet).
    pub fn is_owner(&self) -> bool {
        matches!(self.role.get_untracked(), Role::Owner | Role::Starting)
    }

    /// A remote view sends the intent to the owner instead of doing it; true when it did. A window that
    /// is not linked does nothing, and says so.
    fn relay(&self, cmd: Value) -> bool {
        if self.is_owner() {
            return false;
        }
        if self.role.get_untracked() == Role::Unlinked {
            self.notice.set(Some(t::NOT_LINKED().into()));
            return true;
        }
        if let Some(g) = self.group() {
            g.command(cmd);
        }
        true
    }

    fn relay_id(&self, c: &str, id: u32) -> bool {
        !self.is_owner() && self.relay(json!({"c": c, "id": id}))
    }

    fn group(&self) -> Option<Group> {
        self.group.try_get_value().flatten()
    }

    /// Joins the group of this deployment's instances (a pop-out with its ticket asks for the phone at
    /// once; `popout=1` alone does nothing).
    fn join_group(&self) {
        let dep = self.dep.get_value();
        let tag = dep.tag();
        let join = Join { dep: dep.key(), ticket: self.ticket.try_update_value(Option::take).flatten(), before: self.before.get_value() };
        self.join_group_named(&format!("{}.{tag}", tabs::CHANNEL), &format!("{}.{tag}", tabs::LOCK), join);
    }

    /// Joins the group `channel` / `lock` (tests use their own names).
    pub fn join_group_named(&self, channel: &str, lock: &str, join: Join) {
        let g = Group::join(channel, lock, Box::new(DeskHost(*self)), join);
        if self.member.get_untracked() {
            g.set_framed();
        }
        if let Some(opener) = web_sys::window().and_then(|w| w.opener().ok()).filter(|o| !o.is_null()) {
            // The opener is another window (another realm): `instanceof Window` would be false.
            use wasm_bindgen::JsCast;
            g.link(opener.unchecked_into::<web_sys::Window>());
        }
        self.group.set_value(Some(g));
        // The owner tells the other instances about every change (and every second anyway).
        let desk = *self;
        Effect::new(move || {
            desk.calls.track();
            desk.agent_state.track();
            desk.muted.track();
            desk.line_status.track();
            desk.wrapups.track();
            if desk.role.get_untracked() == Role::Owner {
                if let Some(g) = desk.group() {
                    g.publish_state();
                }
            }
        });
    }

    /// "Use the phone here": asks the owner to hand the phone over (a window that is not linked asks the
    /// agent there).
    pub fn claim_phone(&self) {
        if let Some(g) = self.group() {
            g.claim();
            if self.role.get_untracked() == Role::Unlinked {
                self.notice.set(Some(t::ASKED_OWNER().into()));
            }
        }
    }

    /// The owner: the agent gives the phone to the window that asked for it.
    pub fn allow_ask(&self) {
        if let Some(g) = self.group() {
            g.allow();
        }
    }

    /// The owner: the agent refuses the windows that asked for the phone.
    pub fn refuse_ask(&self) {
        if let Some(g) = self.group() {
            g.refuse();
        }
    }

    /// The state the remote views show.
    fn mirror(&self) -> Value {
        json!({
            "calls": self.calls.with_untracked(|c| c.iter().map(Call::to_json).collect::<Vec<_>>()),
            "agentState": self.agent_state.get_untracked().key(),
            "muted": self.muted.get_untracked(),
            "line": line_key(&self.line_status.get_untracked()),
            // The wrap-up being shown (a remote view edits and finishes it through the owner).
            "wrapup": self.wrapups.with_untracked(|w| w.first().map(|f| serde_json::to_string(&vec![f.clone()]).unwrap_or_default())),
            // Screen pops waiting for the agent: [call, [records as JSON text]] or [call, table, query].
            "pops": self.pops.with_untracked(|p| p.iter().filter_map(|(c, d)| match d {
                Decision::Choose(list) => Some(json!([c, list.iter().filter_map(|r| serde_json::to_string(r).ok()).collect::<Vec<_>>()])),
                Decision::OfferNew { table, query } => Some(json!([c, table, query])),
                _ => None,
            }).collect::<Vec<_>>()),
            // ServiceNow's configuration record, for an instance outside ServiceNow (the pop-out).
            "ofConfig": self.sources.with_value(|s| s.openframe.clone()),
        })
    }

    fn apply_mirror(&self, v: &Value) {
        if let Some(list) = v["calls"].as_array() {
            let calls: Vec<Call> = list.iter().filter_map(Call::from_json).collect();
            // Should this view own the phone later, its own calls get ids after the owner's.
            let next = calls.iter().map(|c| c.id + 1).max().unwrap_or(0);
            self.next_call_id.update_value(|id| *id = (*id).max(next));
            if self.calls.with_untracked(|c| *c != calls) {
                self.calls.set(calls);
            }
        }
        if let Some(s) = v["agentState"].as_str().and_then(AgentState::from_key) {
            if self.agent_state.get_untracked() != s {
                self.agent_state.set(s);
            }
        }
        if let Some(m) = v["muted"].as_bool() {
            if self.muted.get_untracked() != m {
                self.muted.set(m);
                self.publish(Outgoing::SetIcons(self.header_icons()));
            }
        }
        if let Some(l) = v["line"].as_str().map(line_from_key) {
            if self.line_status.get_untracked() != l {
                self.line_status.set(l);
            }
        }
        if v["ofConfig"].is_object() && self.sources.with_value(|s| s.openframe.is_none()) {
            self.sources.update_value(|s| s.openframe = Some(v["ofConfig"].clone()));
            self.re_resolve();
        }
        if let Some(list) = v["pops"].as_array() {
            let pops: Vec<(u32, Decision)> = list
                .iter()
                .filter_map(|p| {
                    let call = p[0].as_u64()? as u32;
                    let d = match (&p[1], p[2].as_str()) {
                        (Value::Array(rs), _) => Decision::Choose(rs.iter().filter_map(|r| serde_json::from_str(r.as_str()?).ok()).collect()),
                        (Value::String(table), Some(query)) => Decision::OfferNew { table: table.clone(), query: query.to_string() },
                        _ => return None,
                    };
                    Some((call, d))
                })
                .collect();
            if self.pops.with_untracked(|p| *p != pops) {
                self.pops.set(pops);
            }
        }
        // The owner's wrap-up; while this view edits it, its own copy is kept (the edits go to the owner).
        let shown = v["wrapup"].as_str().and_then(|t| serde_json::from_str::<Vec<WrapUp>>(t).ok()).and_then(|mut l| l.pop());
        let shown = shown.filter(|w| !self.submitted.with_value(|s| s.contains(&w.activity_id)));
        let local = self.wrapups.with_untracked(|w| w.first().map(|w| w.activity_id.clone()));
        match shown {
            None if local.is_some() => self.wrapups.set(Vec::new()),
            Some(w) if local.as_deref() != Some(w.activity_id.as_str()) => self.wrapups.set(vec![w]),
            _ => {}
        }
    }

    /// The owner runs a remote view's command.
    fn run_command(&self, v: &Value) {
        let id = v["id"].as_u64().unwrap_or(0) as u32;
        let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
        match v["c"].as_str().unwrap_or("") {
            "dial" => {
                let record = v["record"].as_str().and_then(|r| serde_json::from_str(r).ok());
                if let Some(id) = self.dial(&text("number"), record) {
                    let name = text("name");
                    if !name.is_empty() {
                        self.update_call(id, |c| c.name = Some(name));
                    }
                }
            }
            "answer" => self.answer(id),
            "reject" => self.reject(id),
            "hangup" => self.hang_up(id),
            "hold" => self.set_hold(id, v["on"].as_bool().unwrap_or(false)),
            "mute" => self.toggle_mute(),
            "dtmf" => {
                if let Some(d) = text("digit").chars().next() {
                    self.send_dtmf(id, d)
                }
            }
            "transfer" => self.transfer(id, &text("target"), v["consult"].as_u64().map(|c| c as u32)),
            "conference" => self.conference(id, v["other"].as_u64().unwrap_or(0) as u32),
            "state" => {
                if let Some(s) = AgentState::from_key(&text("state")) {
                    self.set_agent_state(s)
                }
            }
            "incoming" => {
                let (name, number) = (text("name"), text("number"));
                let caller = (!number.is_empty()).then_some((name.as_str(), number.as_str()));
                self.simulate_incoming_from(caller);
            }
            "signin" => {
                if let Err(m) = self.sign_in(&text("server"), &text("user"), &text("password")) {
                    self.notice.set(Some(m));
                }
            }
            "signout" => self.sign_out(),
            "clear" => self.clear_ended(),
            "choose" => {
                if let Some(r) = v["record"].as_str().and_then(|r| serde_json::from_str(r).ok()) {
                    self.choose_pop(id, r);
                }
            }
            "new" => self.open_new(id, &text("table"), &text("query")),
            "wrapup" | "submit" => {
                let edited = v["w"].as_str().and_then(|t| serde_json::from_str::<Vec<WrapUp>>(t).ok()).and_then(|mut l| l.pop());
                let Some(edited) = edited else { return };
                if self.wrapups.with_untracked(|w| w.first().map(|f| f.activity_id == edited.activity_id).unwrap_or(false)) {
                    self.edit_wrapup(|w| *w = edited);
                    if v["c"] == "submit" {
                        let _ = self.submit_wrapup();
                    }
                }
            }
            _ => {}
        }
    }

    /// A remote view shows in ServiceNow what the owner (popped out) asked for.
    fn show_relayed(&self, v: &Value) {
        let msg = if v.get("show").is_some() {
            Outgoing::Show
        } else if let Some(x) = v["title"].as_str() {
            Outgoing::SetTitle(x.chars().take(256).collect())
        } else if let Some(x) = v["sub"].as_str() {
            Outgoing::SetSubtitle(x.chars().take(256).collect())
        } else if let (Some(e), Some(q)) = (v["form"][0].as_str(), v["form"][1].as_str()) {
            Outgoing::OpenForm { entity: e.into(), query: q.into(), interaction_sys_id: None }
        } else {
            return;
        };
        self.publish(msg);
    }

    fn on_role(&self, role: Role) {
        self.role.set(role);
        if role == Role::Unlinked {
            // Nothing of another window's phone is shown or kept here.
            self.calls.set(Vec::new());
        }
        if matches!(role, Role::Remote | Role::Unlinked) {
            // The owner keeps the wrap-ups and the outbox; this view shows the owner's state.
            self.saved.set_value(None);
            self.wrapups.set(Vec::new());
            self.outbox.set(Default::default());
            crate::phone::audio::sync(false, false, false);
        }
    }

    /// What the next owner needs: calls (with the dialog names to take them over), the sign-in, the agent
    /// state, the wrap-ups and the activities not yet written. `release` lets go of the line.
    fn packet(&self, release: bool) -> Value {
        let line = if release { sipline::hand_over() } else { sipline::takeovers() };
        let (creds, resume) = line.unwrap_or_default();
        let held: Vec<u32> = self.calls.with_untracked(|c| c.iter().filter(|c| c.state == CallState::Held).map(|c| c.id).collect());
        json!({
            "at": now_ms(),
            "calls": self.calls.with_untracked(|c| c.iter().filter(|c| c.is_live()).map(Call::to_json).collect::<Vec<_>>()),
            "agentState": self.agent_state.get_untracked().key(),
            "before": self.state_before_call.get_value().map(|s| s.key()),
            "muted": self.muted.get_untracked(),
            "nextId": self.next_call_id.get_value(),
            "sip": (!creds.server.is_empty()).then(|| json!({"server": creds.server, "domain": creds.domain, "user": creds.user,
                "password": creds.password, "ice": creds.ice.join(" ")})),
            "resume": resume.iter().map(|r| json!({"id": r.id, "target": r.target, "replaces": r.replaces,
                "held": r.held || held.contains(&r.id)})).collect::<Vec<_>>(),
            // As stored (the same text as in localStorage).
            "wrapups": serde_json::to_string(&self.wrapups.get_untracked()).unwrap_or_default(),
            "outbox": serde_json::to_string(&self.outbox.get_untracked()).unwrap_or_default(),
            "sn": service::token_text(),
        })
    }

    /// Another instance asked for the phone: hand it over unless a call is being set up (then later).
    fn hand_over(&self) -> Option<Value> {
        let busy = self.calls.with_untracked(|c| c.iter().any(|c| matches!(c.state, CallState::Alerting | CallState::Dialing | CallState::Ringing)));
        if busy {
            return None;
        }
        let p = self.packet(true);
        crate::phone::audio::sync(false, false, false);
        Some(p)
    }

    /// This instance now owns the phone: takes over what the previous owner (or this tab before a reload)
    /// handed over, signs in and takes the calls back.
    fn adopt(&self, packet: Option<Value>) {
        // Calls shown by a remote view belong to the owner that had them; calls made before the election
        // (Starting) are this instance's own.
        let was_remote = self.role.get_untracked() == Role::Remote;
        self.role.set(Role::Owner);
        // Ended calls shown from the previous owner were wrapped up there.
        let ended: Vec<u32> = self.calls.with_untracked(|c| c.iter().filter(|c| !c.is_live()).map(|c| c.id).collect());
        self.finalized.update_value(|f| f.extend(ended));
        let packet = packet.or_else(|| self.saved.get_value().filter(|p| p["at"].as_f64().map(|at| now_ms() - at < SNAPSHOT_TTL_MS).unwrap_or(false)));
        self.saved.set_value(None);
        let Some(p) = packet else {
            // No packet: the latest drafts and activities are in storage. SIP calls this view showed for
            // an owner that vanished cannot be taken back: they end (and are wrapped up) with that reason.
            self.wrapups.set(load_json(WRAPUPS_KEY).unwrap_or_default());
            self.outbox.set(load_json(OUTBOX_KEY).unwrap_or_default());
            self.outbox.update(|o| o.recover());
            if self.is_sip() && was_remote {
                let now = now_ms();
                self.calls.update(|list| {
                    for c in list.iter_mut() {
                        c.end(EndReason::Failed(t::TAKE_BACK_FAILED().into()), now);
                    }
                });
                self.after_call_change();
            }
            return;
        };
        if let Some(Ok(w)) = p["wrapups"].as_str().map(serde_json::from_str::<Vec<WrapUp>>) {
            self.wrapups.set(w);
            save_json(WRAPUPS_KEY, &self.wrapups.get_untracked());
        }
        if let Some(Ok(mut o)) = p["outbox"].as_str().map(serde_json::from_str::<Outbox>) {
            o.recover();
            self.outbox.set(o);
            self.save_outbox();
        }
        if let Some(sn) = p["sn"].as_str() {
            service::adopt_token(*self, sn);
        }
        if let Some(n) = p["nextId"].as_u64() {
            self.next_call_id.update_value(|id| *id = (*id).max(n as u32));
        }
        self.state_before_call.set_value(p["before"].as_str().and_then(AgentState::from_key));
        let calls: Vec<Call> = p["calls"].as_array().map(|l| l.iter().filter_map(Call::from_json).collect()).unwrap_or_default();
        let resume: Vec<sipline::Resume> = p["resume"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|r| {
                        Some(sipline::Resume {
                            id: r["id"].as_u64()? as u32,
                            target: r["target"].as_str()?.to_string(),
                            replaces: r["replaces"].as_str()?.to_string(),
                            held: r["held"].as_bool().unwrap_or(false),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let now = now_ms();
        let sip = self.is_sip();
        let mut taken = calls;
        for c in taken.iter_mut() {
            // A SIP call nobody can take over (still ringing, or no dialog) is lost: say so.
            if sip && !resume.iter().any(|r| r.id == c.id) {
                c.end(EndReason::Failed(t::TAKE_BACK_FAILED().into()), now);
            }
        }
        self.calls.update(|list| {
            list.retain(|c| !taken.iter().any(|t| t.id == c.id));
            list.extend(taken);
        });
        if let Some(m) = p["muted"].as_bool() {
            self.muted.set(m);
        }
        if let Some(s) = p["agentState"].as_str().and_then(AgentState::from_key) {
            self.agent_state.set(s);
        }
        let creds = &p["sip"];
        if sip && creds.is_object() {
            let c = sipline::Credentials {
                server: creds["server"].as_str().unwrap_or("").into(),
                domain: creds["domain"].as_str().unwrap_or("").into(),
                user: creds["user"].as_str().unwrap_or("").into(),
                password: creds["password"].as_str().unwrap_or("").into(),
                ice: creds["ice"].as_str().unwrap_or("").split_whitespace().map(str::to_string).collect(),
            };
            browser::save(SIP_SERVER_KEY, &c.server);
            browser::save(SIP_USER_KEY, &c.user);
            // The agent's state comes back once the line is registered again.
            let state = self.agent_state.get_untracked();
            self.apply_ice_options();
            sipline::sign_in(*self, c, resume);
            self.state_after_sign_in.set_value(Some(state));
        }
        self.after_call_change();
        self.last_presence.set_value(String::new());
        self.publish_presence();
    }

    /// The number of a call (the SIP line tells a takeover by the same party from a transfer).
    pub fn call_number(&self, id: u32) -> Option<String> {
        self.calls.with_untracked(|c| c.iter().find(|c| c.id == id).map(|c| c.number.clone()))
    }

    /// Opens a record's form in ServiceNow (screen pop, the record attached to a call).
    pub fn open_record(&self, record: &RecordRef) {
        self.publish(Outgoing::OpenForm { entity: record.entity.clone(), query: record.form_query(), interaction_sys_id: None });
    }

    /// Saves what must survive the page going away (calls and their dialogs, the sign-in while signed in,
    /// the agent state) in this tab's session storage, and returns it for the instance that takes over.
    pub fn persist(&self) -> Option<Value> {
        if !self.is_owner() {
            browser::session_remove(SNAPSHOT_KEY);
            return None;
        }
        let p = self.packet(false);
        let mut sealed = p.clone();
        trust::seal_snapshot(&mut sealed, &self.dep.get_value().key(), now_ms());
        browser::session_save(SNAPSHOT_KEY, &sealed.to_string());
        Some(p)
    }

    /// The state read back after a reload, as kept until this window knows whether it owns the phone
    /// (diagnostics and tests: secrets only while fresh, nothing of another deployment).
    pub fn saved_snapshot(&self) -> Option<Value> {
        self.saved.get_value()
    }

    /// This window's deployment key (see crate::trust).
    pub fn deployment_key(&self) -> String {
        self.dep.with_value(|d| d.key())
    }

    /// Reads the state saved before a reload (already removed from storage): only a snapshot of this
    /// deployment, its secrets only when fresh. The agent state and calls are shown at once; the calls are
    /// taken back once this instance owns the phone.
    fn restore_snapshot(&self, text: &str) {
        let Some(v) = trust::open_snapshot(text, &self.dep.get_value().key(), now_ms()) else { return };
        if let Some(s) = v.get("agentState").and_then(Value::as_str).and_then(AgentState::from_key) {
            self.agent_state.set(s);
        }
        if let Some(m) = v.get("muted").and_then(Value::as_bool) {
            self.muted.set(m);
        }
        if let Some(list) = v["calls"].as_array() {
            self.calls.set(list.iter().filter_map(Call::from_json).collect());
        }
        if let Some(n) = v["nextId"].as_u64() {
            self.next_call_id.set_value(n as u32);
        }
        self.saved.set_value(Some(v));
    }

    // ---- Calls: one set of intents, carried by the demo line or the SIP line ----

    fn is_sip(&self) -> bool {
        self.settings.with_untracked(|s| s.line == LineKind::Sip)
    }

    /// A fresh call id for the desk (both lines use the desk's ids).
    pub fn alloc_call_id(&self) -> u32 {
        let id = self.next_call_id.get_value();
        self.next_call_id.set_value(id + 1);
        id
    }

    /// Starts the line's clock (call progress and timers).
    pub fn start_line(&self) {
        let desk = *self;
        let cb = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || desk.tick(now_ms()));
        if let Some(w) = web_sys::window() {
            use wasm_bindgen::JsCast;
            let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), 250);
        }
        cb.forget();
        if self.is_sip() {
            self.line_status.set(LineStatus::SignedOut);
            self.agent_state.set(AgentState::Offline);
        } else {
            self.line_status.set(LineStatus::Demo);
            // The demo line is for trying things out: start Ready (unless a saved state was restored).
            if self.agent_state.get_untracked() == AgentState::NotReady(None) {
                self.set_agent_state(AgentState::Ready);
            }
        }
    }

    /// Signs in to the SIP server (the SIP line).
    /// The settings' TURN credentials and relay-only policy, for the calls' peer connections.
    fn apply_ice_options(&self) {
        let o = self.settings.with_untracked(|s| crate::phone::media::IceOptions {
            username: s.sip.ice_username.clone(),
            credential: s.sip.ice_credential.clone(),
            relay_only: s.sip.ice_relay_only,
        });
        crate::phone::media::set_ice_options(o);
    }

    pub fn sign_in(&self, server: &str, user: &str, password: &str) -> Result<(), String> {
        config::check_ws_url(server.trim())?;
        if user.trim().is_empty() {
            return Err(t::SIGN_IN_USER_REQUIRED().into());
        }
        if self.relay(json!({"c": "signin", "server": server, "user": user, "password": password})) {
            return Ok(());
        }
        let (domain, ice) = self.settings.with_untracked(|s| (s.sip.domain.clone(), s.sip.ice_servers.clone()));
        self.apply_ice_options();
        let domain = if domain.is_empty() { host_of(server) } else { domain };
        crate::phone::sip::ua::check_identity(user.trim(), &domain)?;
        browser::save(SIP_SERVER_KEY, server.trim());
        browser::save(SIP_USER_KEY, user.trim());
        let creds = sipline::Credentials { server: server.trim().into(), domain, user: user.trim().into(), password: password.into(), ice };
        sipline::sign_in(*self, creds, Vec::new());
        Ok(())
    }

    /// The line went up or down: Offline follows it, and signing in makes the agent Not Ready (not Ready:
    /// taking calls is the agent's choice).
    pub fn set_line_status(&self, status: LineStatus) {
        let up = status == LineStatus::Registered;
        self.line_status.set(status);
        let state = self.agent_state.get_untracked();
        if up {
            if let Some(s) = self.state_after_sign_in.get_value().take() {
                self.state_after_sign_in.set_value(None);
                self.set_agent_state(s);
                return;
            }
        }
        if up && state == AgentState::Offline {
            self.set_agent_state(AgentState::NotReady(None));
        } else if !up && state != AgentState::Offline && self.is_sip() {
            self.set_agent_state(AgentState::Offline);
        }
    }

    pub fn sign_out(&self) {
        if self.relay_id("signout", 0) {
            return;
        }
        sipline::sign_out();
        self.agent_state.set(AgentState::Offline);
        self.publish_presence();
    }

    /// Advances calls by the clock.
    pub fn tick(&self, now: f64) {
        self.now.set(now);
        if !self.is_owner() {
            return;
        }
        self.wrapup_countdown(now);
        if self.is_sip() {
            return;
        }
        let mut ended = false;
        self.line.with_value(|line| {
            self.calls.update(|calls| {
                for c in calls.iter_mut() {
                    if line.tick(c, now) && !c.is_live() {
                        ended = true;
                    }
                }
            })
        });
        if ended {
            self.after_call_change();
        }
    }

    /// Dials a number, optionally for a ServiceNow record. Returns the call id (0 in a remote view: the
    /// owner places the call), or None when the number is refused (the notice says why).
    pub fn dial(&self, number: &str, record: Option<RecordRef>) -> Option<u32> {
        self.notice.set(None);
        // Every number dialled (dial pad, directory, click-to-call, recents) goes out in E.164; SIP addresses
        // and short extensions as typed.
        let is_sip_uri = number.trim().to_ascii_lowercase().starts_with("sip:");
        let country = self.settings.with_untracked(|s| s.default_country.clone());
        let normalized = if is_sip_uri {
            number.trim().to_string()
        } else {
            match crate::phone::number::normalize(number, &country) {
                Ok(n) => n.as_str().to_string(),
                Err(m) => {
                    self.notice.set(Some(m));
                    return None;
                }
            }
        };
        let number = normalized.as_str();
        // A remote view: the owner places the call (Some(0): sent there; real calls have ids from 1). A
        // window that is not linked places nothing.
        if self.role.get_untracked() == Role::Unlinked {
            self.notice.set(Some(t::NOT_LINKED().into()));
            return None;
        }
        if !self.is_owner() && self.relay(json!({"c": "dial", "number": number, "record": record_text(record.as_ref())})) {
            return Some(0);
        }
        let id = self.alloc_call_id();
        let mut call = if self.is_sip() {
            if self.line_status.get_untracked() != LineStatus::Registered {
                self.notice.set(Some(t::NOT_SIGNED_IN().into()));
                return None;
            }
            Call::new(id, Direction::Outbound, number.trim(), None, now_ms())
        } else {
            match self.line.try_update_value(|l| l.dial(id, number, now_ms())) {
                Some(Ok(c)) => c,
                Some(Err(m)) => {
                    self.notice.set(Some(m));
                    return None;
                }
                None => return None,
            }
        };
        // "Send screen on transfer": the record on screen travels with the call as X- headers.
        let extra = screen_headers(record.as_ref());
        call.record = record;
        self.hold_others(None);
        self.calls.update(|c| c.push(call));
        self.select_tab(Tab::Phone);
        if self.is_sip() {
            sipline::dial(id, number.trim().to_string(), extra);
        }
        Some(id)
    }

    /// A click-to-call from ServiceNow: dial the number with the record it came from attached.
    pub fn click_to_call(&self, c: ClickToCall) {
        let record = c.context_record().cloned();
        // The person record that came with the click names the party.
        let name = c
            .records
            .iter()
            .find(|r| matches!(r.entity.as_str(), "customer_contact" | "csm_consumer" | "sys_user"))
            .map(|r| if r.value.is_empty() { r.label.clone() } else { r.value.clone() })
            .filter(|n| !n.is_empty());
        // A remote view (the phone is popped out): the owner dials, with the record and the name.
        if !self.is_owner() && self.relay(json!({"c": "dial", "number": c.phone_number, "record": record_text(record.as_ref()), "name": name})) {
            self.publish(Outgoing::Show);
            return;
        }
        if let Some(id) = self.dial(&c.phone_number, record) {
            if name.is_some() {
                self.update_call(id, |call| call.name = name);
            }
        }
        self.publish(Outgoing::Show);
    }

    /// A simulated incoming call on the demo line.
    pub fn simulate_incoming(&self) -> u32 {
        self.simulate_incoming_from(None)
    }

    /// A simulated incoming call on the demo line from this caller (name, number), or the next demo caller.
    pub fn simulate_incoming_from(&self, caller: Option<(&str, &str)>) -> u32 {
        let (name, number) = caller.unwrap_or(("", ""));
        if self.relay(json!({"c": "incoming", "name": name, "number": number})) {
            return 0;
        }
        let id = self.alloc_call_id();
        let call = self.line.try_update_value(|l| l.incoming(id, caller, now_ms())).expect("line");
        let (name, number) = (call.name.clone(), call.number.clone());
        if let Some(code) = self.busy_code() {
            let mut call = call;
            call.end(EndReason::Missed, now_ms());
            call.note = Some(format!("{} ({code})", t::AUTO_REJECTED()));
            self.calls.update(|c| c.push(call));
            self.finalize_ended();
            return id;
        }
        self.calls.update(|c| c.push(call));
        self.alert_incoming(name.as_deref(), &number);
        self.maybe_pop(id, false);
        id
    }

    /// Whether an incoming call is refused automatically, and with which SIP code (480 while Not Ready,
    /// 486 in wrap-up or when already on a call), when the settings ask for it.
    fn busy_code(&self) -> Option<u16> {
        if !self.settings.with_untracked(|s| s.reject_when_busy) {
            return None;
        }
        match self.agent_state.get_untracked() {
            AgentState::Ready => None,
            AgentState::AfterCallWork => Some(486),
            _ => Some(480),
        }
    }

    /// The SIP line received a call. Returns the code to refuse it with, or None to ring.
    pub fn sip_incoming(&self, id: u32, name: Option<&str>, number: &str, x_headers: Vec<(String, String)>) -> Option<u16> {
        let mut call = Call::new(id, Direction::Inbound, number, name.map(str::to_string), now_ms());
        let (x_headers, dropped) = crate::phone::call::bound_x_headers(x_headers);
        let (tables, trust) = self.settings.with_untracked(|s| (s.servicenow.pop_tables.clone(), s.servicenow.trust_call_data));
        let carried = crate::servicenow::screen_pop::carried(&x_headers, &tables);
        // Untrusted call data is only a hint: the record is attached once the screen pop vouches for it.
        call.record = carried.record().filter(|_| carried.trusted(trust));
        call.note = carried.ignored.or(dropped);
        call.x_headers = x_headers;
        if let Some(code) = self.busy_code() {
            call.end(EndReason::Missed, now_ms());
            call.note = Some(format!("{} ({code})", t::AUTO_REJECTED()));
            self.calls.update(|c| c.push(call));
            self.finalize_ended();
            return Some(code);
        }
        self.calls.update(|c| c.push(call));
        self.alert_incoming(name, number);
        self.maybe_pop(id, false);
        None
    }

    /// The SIP line placed a call on the far end's request (we are being transferred).
    pub fn sip_outgoing(&self, id: u32, target: &str, replacing: Option<u32>) {
        let mut call = Call::new(id, Direction::Outbound, target, None, now_ms());
        if let Some(old) = replacing {
            call.record = self.calls.with_untracked(|c| c.iter().find(|c| c.id == old).and_then(|c| c.record.clone()));
        }
        self.calls.update(|c| c.push(call));
    }

    /// A call replacing another (consultative transfer completed towards us).
    pub fn sip_replacing(&self, id: u32, old: Option<u32>, name: &str, number: &str) {
        let prev = old.and_then(|o| self.calls.with_untracked(|c| c.iter().find(|c| c.id == o).cloned()));
        let mut call = Call::new(id, Direction::Inbound, number, (!name.is_empty()).then(|| name.to_string()), now_ms());
        if let Some(p) = prev {
            call.record = p.record.clone();
            call.x_headers = p.x_headers.clone();
        }
        self.calls.update(|c| c.push(call));
    }

    pub fn call_ringing(&self, id: u32) {
        self.update_call(id, |c| {
            if c.state == CallState::Dialing {
                c.state = CallState::Ringing
            }
        });
    }

    pub fn call_connected(&self, id: u32) {
        let now = now_ms();
        self.update_call(id, |c| {
            if c.is_live() && c.state != CallState::Held {
                c.connect(now)
            }
        });
        self.restore_title();
    }

    /// The far end asks to transfer the agent to `target` (REFER, `referPolicy` ask): the agent decides.
    pub fn transfer_asked(&self, id: u32, target: &str, by: Option<&str>) {
        let who = self.calls.with_untracked(|c| c.iter().find(|c| c.id == id).map(|c| c.party().to_string())).unwrap_or_default();
        let text = crate::strings::transfer_ask(&who, target, by);
        self.announce(&text);
        self.transfer_ask.set(Some((id, text)));
    }

    /// The agent's answer to [`Desk::transfer_asked`]: call the target, or decline (the far end is told).
    pub fn decide_transfer(&self, accept: bool) {
        if let Some((id, _)) = self.transfer_ask.get_untracked() {
            self.transfer_ask.set(None);
            sipline::transfer_decision(id, accept);
        }
    }

    pub fn call_ended(&self, id: u32, reason: EndReason) {
        if self.transfer_ask.with_untracked(|a| a.as_ref().map(|(c, _)| *c == id).unwrap_or(false)) {
            self.transfer_ask.set(None);
        }
        let now = now_ms();
        self.update_call(id, |c| c.end(reason, now));
        self.after_call_change();
    }

    pub fn call_note(&self, id: u32, note: Option<String>) {
        self.update_call(id, |c| c.note = note);
    }

    pub fn call_packets(&self, id: u32, packets: (u64, u64)) {
        self.update_call(id, |c| c.packets = packets);
    }

    /// A hold or resume did not go through: the card shows what stays agreed.
    pub fn hold_failed(&self, id: u32, held: bool) {
        let now = now_ms();
        self.update_call(id, |c| c.set_held(held, now));
    }

    pub fn transfer_progress(&self, id: u32, code: u16, done: bool) {
        let note = match (code, done) {
            (200..=299, true) => t::TRANSFER_DONE().to_string(),
            (_, true) => format!("{}: {}", t::TRANSFER_FAILED(), crate::phone::sip::message::failure_text(code)),
            _ => format!("{} ({code})", t::TRANSFER_PROGRESS()),
        };
        self.call_note(id, Some(note));
    }

    /// Tells ServiceNow about an incoming call: show the frame, title = caller, subtitle = number.
    pub fn alert_incoming(&self, name: Option<&str>, number: &str) {
        self.select_tab(Tab::Phone);
        self.announce(&format!("{} {}", t::INCOMING_CALL(), name.filter(|n| !n.is_empty()).unwrap_or(number)));
        browser::notify_if_hidden(t::INCOMING_CALL(), name.filter(|n| !n.is_empty()).unwrap_or(number));
        self.publish(Outgoing::Show);
        self.publish(Outgoing::SetTitle(name.filter(|n| !n.is_empty()).unwrap_or(number).chars().take(256).collect()));
        self.publish(Outgoing::SetSubtitle(format!("{} {number}", t::INCOMING_CALL()).chars().take(256).collect()));
    }

    fn update_call(&self, id: u32, f: impl FnOnce(&mut Call)) {
        self.calls.update(|calls| {
            if let Some(c) = calls.iter_mut().find(|c| c.id == id) {
                f(c)
            }
        });
    }

    fn hold_others(&self, except: Option<u32>) {
        let others: Vec<u32> = self.calls.with_untracked(|calls| {
            calls.iter().filter(|c| Some(c.id) != except && c.state == CallState::Connected).map(|c| c.id).collect()
        });
        for id in others {
            self.set_hold(id, true);
        }
    }

    pub fn answer(&self, id: u32) {
        if self.relay_id("answer", id) {
            return;
        }
        self.hold_others(Some(id));
        self.maybe_pop(id, true);
        if self.is_sip() {
            sipline::answer(id);
            return;
        }
        self.update_call(id, |c| {
            if c.state == CallState::Alerting {
                c.connect(now_ms())
            }
        });
        self.restore_title();
    }

    pub fn reject(&self, id: u32) {
        if self.relay_id("reject", id) {
            return;
        }
        if self.is_sip() {
            sipline::reject(id, 486);
        }
        self.update_call(id, |c| c.end(EndReason::Rejected, now_ms()));
        self.after_call_change();
    }

    pub fn hang_up(&self, id: u32) {
        if self.relay_id("hangup", id) {
            return;
        }
        if self.is_sip() {
            // The line reports the end (BYE answered, CANCEL done) and the desk updates then.
            sipline::hang_up(id);
            return;
        }
        self.update_call(id, |c| {
            let reason = match c.state {
                CallState::Dialing | CallState::Ringing => EndReason::Cancelled,
                CallState::Alerting => EndReason::Rejected,
                _ => EndReason::HungUp,
            };
            c.end(reason, now_ms())
        });
        self.after_call_change();
    }

    pub fn set_hold(&self, id: u32, held: bool) {
        if self.relay(json!({"c": "hold", "id": id, "on": held})) {
            return;
        }
        if !held {
            self.hold_others(Some(id));
        }
        let changed = self.calls.with_untracked(|c| {
            c.iter().any(|c| c.id == id && ((held && c.state == CallState::Connected) || (!held && c.state == CallState::Held)))
        });
        if !changed {
            return;
        }
        self.update_call(id, |c| c.set_held(held, now_ms()));
        if self.is_sip() {
            sipline::hold(id, held);
        }
    }

    /// Three-way conference: takes the held call off hold (without holding the other) and mixes the audio.
    pub fn conference(&self, a: u32, b: u32) {
        if self.relay(json!({"c": "conference", "id": a, "other": b})) {
            return;
        }
        let now = now_ms();
        for id in [a, b] {
            let held = self.calls.with_untracked(|c| c.iter().any(|c| c.id == id && c.state == CallState::Held));
            if held {
                self.update_call(id, |c| c.set_held(false, now));
                if self.is_sip() {
                    sipline::hold(id, false);
                }
            }
        }
        let result = if self.is_sip() { sipline::conference(a, b) } else { Ok(()) };
        let note = match result {
            Ok(()) => Some(t::IN_CONFERENCE().to_string()),
            Err(m) => Some(m),
        };
        self.call_note(a, note.clone());
        self.call_note(b, note);
    }

    /// Sends a DTMF digit on a connected call.
    pub fn send_dtmf(&self, id: u32, digit: char) {
        if !"0123456789*#ABCD".contains(digit) || self.relay(json!({"c": "dtmf", "id": id, "digit": digit.to_string()})) {
            return;
        }
        // The note says how the digit actually went, so a failure is visible (and testable).
        let prefix = if self.is_sip() {
            let info = self.settings.with_untracked(|s| s.sip.dtmf_info);
            match sipline::dtmf(id, digit, info) {
                Some(true) => t::DTMF_SENT_AUDIO(),
                Some(false) => t::DTMF_SENT_INFO(),
                None => {
                    self.call_note(id, Some(t::DTMF_NOT_SENT().into()));
                    return;
                }
            }
        } else {
            t::DTMF_SENT()
        };
        self.update_call(id, |c| {
            let mut n = c.note.clone().filter(|n| n.starts_with(prefix)).unwrap_or_else(|| format!("{prefix}: "));
            n.push(digit);
            c.note = Some(n);
        });
    }

    /// Blind transfer to `target`; with `consult`, completes a consultative transfer to that call's party.
    pub fn transfer(&self, id: u32, target: &str, consult: Option<u32>) {
        if self.relay(json!({"c": "transfer", "id": id, "target": target, "consult": consult})) {
            return;
        }
        if self.is_sip() {
            let record = self.calls.with_untracked(|c| c.iter().find(|c| c.id == id).and_then(|c| c.record.clone()));
            match sipline::transfer(id, target, consult, &screen_headers(record.as_ref())) {
                Ok(()) => self.call_note(id, Some(t::TRANSFER_PROGRESS().into())),
                Err(m) => self.call_note(id, Some(m)),
            }
            return;
        }
        if target.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 0 && consult.is_none() {
            self.call_note(id, Some(crate::strings::not_a_phone_number(target)));
            return;
        }
        self.call_ended(id, EndReason::Transferred);
        if let Some(c) = consult {
            self.call_ended(c, EndReason::Transferred);
        }
    }

    /// Plays the ring tone while a call alerts, ring-back while an outgoing call rings, and the demo far end
    /// while a demo call is connected.
    pub fn sync_sounds(&self) {
        let (ring, ringback, talking) = self.calls.with(|c| {
            (
                c.iter().any(|c| c.state == CallState::Alerting),
                c.iter().any(|c| c.state == CallState::Ringing),
                c.iter().any(|c| c.state == CallState::Connected),
            )
        });
        let demo = self.settings.with(|s| s.line == LineKind::Demo);
        // Sounds play where the phone is.
        if self.role.get() != Role::Remote {
            crate::phone::audio::sync(ring, ringback, demo && talking);
        }
        self.publish_presence();
    }

    /// Removes ended calls from the phone panel.
    pub fn clear_ended(&self) {
        if self.relay_id("clear", 0) {
            return;
        }
        self.calls.update(|c| c.retain(Call::is_live));
    }

    fn after_call_change(&self) {
        if !self.calls.with_untracked(|c| c.iter().any(|c| c.state == CallState::Alerting)) {
            self.restore_title();
        }
        self.finalize_ended();
    }

    /// Every call that ended goes to the recent calls once; an answered call opens a wrap-up (After Call
    /// Work); a call that rang unanswered while the agent was Ready makes the agent Missed.
    fn finalize_ended(&self) {
        if !self.is_owner() {
            return;
        }
        let now = now_ms();
        let done = self.finalized.get_value();
        let ended: Vec<Call> =
            self.calls.with_untracked(|c| c.iter().filter(|c| !c.is_live() && !done.contains(&c.id)).cloned().collect());
        if ended.is_empty() {
            return;
        }
        for call in ended {
            self.finalized.update_value(|f| f.push(call.id));
            let recent = RecentCall::of(&call, now);
            let outcome = recent.outcome;
            self.recents.update(|r| wrapup::remember(r, recent));
            if call.answered_ms.is_some() && !self.settings.with_untracked(|s| s.wrap_up) {
                // No wrap-up: the activity goes straight to the outbox.
                let id = format!("{:08x}{:08x}", crate::phone::media::random_u32(), crate::phone::media::random_u32());
                let w = WrapUp::of(&call, id, now);
                if let Err(m) = self.queue_activity(&w) {
                    // The outbox is full: the activity waits as a wrap-up instead, with the reason.
                    self.wrapups.update(|list| list.push(w));
                    self.wrapup_error.set(Some(m));
                }
            } else if call.answered_ms.is_some() {
                let id = format!("{:08x}{:08x}", crate::phone::media::random_u32(), crate::phone::media::random_u32());
                let w = WrapUp::of(&call, id, now);
                self.wrapups.update(|list| list.push(w));
                let state = self.agent_state.get_untracked();
                if state != AgentState::AfterCallWork {
                    self.state_before_call.set_value(Some(state));
                    self.set_agent_state(AgentState::AfterCallWork);
                }
                self.announce(&format!("{}: {}", t::call_ended(&EndReason::HungUp), call.party()));
            } else if outcome == Outcome::Missed && call.note.is_none() && self.agent_state.get_untracked() == AgentState::Ready {
                self.set_agent_state(AgentState::Missed);
                self.announce(&format!("{}: {}", t::call_ended(&EndReason::Missed), call.party()));
            }
        }
        save_json(RECENTS_KEY, &self.recents.get_untracked());
        save_json(WRAPUPS_KEY, &self.wrapups.get_untracked());
    }

    /// Hands a finished call's activity to the outbox (stored before the first attempt); Err when the
    /// outbox is full (the caller keeps the wrap-up).
    fn queue_activity(&self, w: &WrapUp) -> Result<(), String> {
        let agent = self.agent_name();
        let own = if self.is_sip() { agent.clone() } else { t::DEMO_LINE_NUMBER().to_string() };
        let activity = Activity::from_wrapup(w, &agent, &own, "");
        self.outbox.try_update(|o| o.add(activity, now_ms())).unwrap_or(Ok(false))?;
        self.save_outbox();
        Ok(())
    }

    /// Saves the outbox (before any attempt and after every change).
    pub fn save_outbox(&self) {
        save_json(OUTBOX_KEY, &self.outbox.get_untracked());
    }

    /// The agent as written in activities: the SIP user, or "Agent" on the demo line.
    pub fn agent_name(&self) -> String {
        browser::load(SIP_USER_KEY).filter(|u| !u.is_empty() && self.is_sip()).unwrap_or_else(|| "Agent".into())
    }

    /// A screen-pop decision for a call: open the record (and attach it to the call), or keep the choice
    /// or offer for the agent.
    pub fn pop_decided(&self, call: u32, d: Decision) {
        match d {
            Decision::Open(r) => {
                self.update_call(call, |c| {
                    if c.record.is_none() {
                        c.record = Some(r.clone())
                    }
                });
                self.open_record(&r);
            }
            Decision::Cancel => {}
            other => self.pops.update(|p| {
                p.retain(|(c, _)| *c != call);
                p.push((call, other));
            }),
        }
    }

    /// The agent dismisses a refused activity (after confirming); only the owner of the phone changes the
    /// outbox in storage.
    pub fn dismiss_activity(&self, id: &str) {
        if !self.is_owner() {
            return;
        }
        self.outbox.update(|o| {
            o.dismiss(id);
        });
        self.save_outbox();
    }

    /// The agent chose a record from a screen-pop choice.
    pub fn choose_pop(&self, call: u32, r: RecordRef) {
        if !self.is_owner() && self.relay(json!({"c": "choose", "id": call, "record": record_text(Some(&r))})) {
            return;
        }
        self.pops.update(|p| p.retain(|(c, _)| *c != call));
        self.update_call(call, |c| c.record = Some(r.clone()));
        self.open_record(&r);
    }

    /// Opens a new record form prefilled for the caller (screen pop found nobody).
    pub fn open_new(&self, call: u32, table: &str, query: &str) {
        if !self.is_owner() && self.relay(json!({"c": "new", "id": call, "table": table, "query": query})) {
            return;
        }
        self.pops.update(|p| p.retain(|(c, _)| *c != call));
        self.publish(Outgoing::OpenForm { entity: table.into(), query: query.into(), interaction_sys_id: None });
    }

    /// Starts the screen pop for a call, when the settings ask for it at this moment.
    fn maybe_pop(&self, call: u32, on_answer: bool) {
        let when = self.settings.with_untracked(|s| s.screen_pop);
        let due = matches!((when, on_answer), (crate::config::ScreenPopWhen::OnAlert, false) | (crate::config::ScreenPopWhen::OnAnswer, true));
        if !due {
            return;
        }
        let Some((number, headers)) = self.calls.with_untracked(|c| c.iter().find(|c| c.id == call).map(|c| (c.number.clone(), c.x_headers.clone()))) else { return };
        service::screen_pop(*self, call, number, headers);
    }

    /// Says something to screen-reader users (the live region).
    pub fn announce(&self, text: &str) {
        self.announcement.set(text.to_string());
    }

    /// Edits the wrap-up being shown; the draft is saved at once.
    pub fn edit_wrapup(&self, f: impl FnOnce(&mut WrapUp)) {
        self.wrapups.update(|w| {
            if let Some(first) = w.first_mut() {
                f(first)
            }
        });
        self.wrapup_error.set(None);
        if !self.relay_wrapup("wrapup") {
            save_json(WRAPUPS_KEY, &self.wrapups.get_untracked());
        }
    }

    /// A remote view sends the wrap-up it shows to the owner; true when it did.
    fn relay_wrapup(&self, c: &str) -> bool {
        if self.is_owner() {
            return false;
        }
        let text = self.wrapups.with_untracked(|w| w.first().map(|f| serde_json::to_string(&vec![f.clone()]).unwrap_or_default()));
        self.relay(json!({"c": c, "w": text}))
    }

    /// Finishes the wrap-up: checks it, hands the activity to the outbox, and (when no other wrap-up waits)
    /// returns the agent to the state held before the call, or Not Ready.
    pub fn submit_wrapup(&self) -> Result<(), String> {
        let Some(w) = self.wrapups.with_untracked(|w| w.first().cloned()) else { return Ok(()) };
        let (dispositions, required, back) =
            self.settings.with_untracked(|s| (s.dispositions.clone(), s.disposition_required, s.return_to_previous_state));
        if let Err(m) = w.check(&dispositions, required) {
            self.wrapup_error.set(Some(m.clone()));
            return Err(m);
        }
        // A remote view: the owner writes the activity.
        if self.relay_wrapup("submit") {
            self.submitted.update_value(|s| s.push(w.activity_id.clone()));
            self.wrapups.set(Vec::new());
            self.announce(t::WRAPUP_DONE());
            return Ok(());
        }
        if let Err(m) = self.queue_activity(&w) {
            self.wrapup_error.set(Some(m.clone()));
            return Err(m);
        }
        self.wrapups.update(|list| {
            list.remove(0);
        });
        save_json(WRAPUPS_KEY, &self.wrapups.get_untracked());
        self.wrapup_error.set(None);
        if self.wrapups.with_untracked(Vec::is_empty) {
            let prior = self.state_before_call.get_value().filter(|s| *s != AgentState::AfterCallWork && *s != AgentState::Missed);
            let next = match (back, prior) {
                (true, Some(s)) => s,
                _ => AgentState::NotReady(None),
            };
            self.state_before_call.set_value(None);
            if self.agent_state.get_untracked() == AgentState::AfterCallWork {
                self.set_agent_state(next);
            }
        }
        self.announce(t::WRAPUP_DONE());
        Ok(())
    }

    fn wrapup_countdown(&self, now: f64) {
        let (seconds, action) = self.settings.with_untracked(|s| (s.wrap_up_seconds, s.wrap_up_timeout));
        let Some(left) = self.wrapups.with_untracked(|w| w.first().and_then(|w| w.remaining_s(now, seconds))) else { return };
        if left > 0 {
            return;
        }
        match action {
            WrapUpTimeout::Complete => {
                if self.submit_wrapup().is_err() {
                    self.edit_wrapup(|w| w.overdue = true);
                }
            }
            WrapUpTimeout::Warn => {
                if !self.wrapups.with_untracked(|w| w.first().map(|w| w.overdue).unwrap_or(true)) {
                    self.edit_wrapup(|w| w.overdue = true);
                    self.announce(t::WRAPUP_OVERDUE());
                }
            }
        }
    }

    fn restore_title(&self) {
        let title = self.openframe.with_untracked(|o| o.frame_title.clone()).filter(|t| !t.is_empty());
        let title = title.unwrap_or_else(|| self.settings.with_untracked(|s| s.title.clone()));
        self.publish(Outgoing::SetTitle(title));
        self.publish(Outgoing::SetSubtitle(String::new()));
    }

    pub fn live_calls(&self) -> Vec<Call> {
        self.calls.with_untracked(|c| c.iter().filter(|c| c.is_live()).cloned().collect())
    }

    pub fn call_direction_label(d: Direction) -> &'static str {
        match d {
            Direction::Inbound => t::INBOUND(),
            Direction::Outbound => t::OUTBOUND(),
        }
    }
}

/// The host part of a ws(s):// URL (the SIP domain when none is configured).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hostport = rest.split(['/', '?']).next().unwrap_or("");
    if hostport.starts_with('[') {
        return hostport.split(']').next().map(|h| format!("{h}]")).unwrap_or_default();
    }
    hostport.split(':').next().unwrap_or("").to_string()
}

/// The headers that carry a ServiceNow record with a call (read back by [`record_from_headers`]).
pub fn screen_headers(record: Option<&RecordRef>) -> Vec<(String, String)> {
    let Some(r) = record else { return Vec::new() };
    let Some(id) = &r.sys_id else { return Vec::new() };
    vec![("X-SN-Table".to_string(), r.entity.clone()), ("X-SN-Sys-Id".to_string(), id.clone())]
}

/// A record as JSON text (what storage uses), for a command to the owner.
fn record_text(r: Option<&RecordRef>) -> Option<String> {
    r.and_then(|r| serde_json::to_string(r).ok())
}

/// The desk as a member of the group of tabs.
struct DeskHost(Desk);

impl tabs::Host for DeskHost {
    fn become_owner(&self, packet: Option<Value>) {
        self.0.adopt(packet)
    }
    fn hand_over(&self) -> Option<Value> {
        self.0.hand_over()
    }
    fn state(&self) -> Value {
        self.0.mirror()
    }
    fn on_state(&self, state: Value) {
        self.0.apply_mirror(&state)
    }
    fn on_command(&self, cmd: Value) {
        self.0.run_command(&cmd)
    }
    fn on_relay(&self, msg: Value) {
        self.0.show_relayed(&msg)
    }
    fn on_role(&self, role: Role) {
        self.0.on_role(role)
    }
    fn on_asking(&self, waiting: usize) {
        self.0.asking.set(waiting);
    }
    fn on_member(&self) {
        self.0.member.set(true);
    }
    fn on_refused(&self) {
        self.0.notice.set(Some(t::NOT_LINKED().into()));
    }
}

fn line_key(l: &LineStatus) -> String {
    match l {
        LineStatus::Failed(m) => format!("Failed:{m}"),
        other => format!("{other:?}"),
    }
}

fn line_from_key(k: &str) -> LineStatus {
    match k {
        "Demo" => LineStatus::Demo,
        "Connecting" => LineStatus::Connecting,
        "Registered" => LineStatus::Registered,
        "SignedOut" => LineStatus::SignedOut,
        other => LineStatus::Failed(other.trim_start_matches("Failed:").to_string()),
    }
}

impl Default for Desk {
    fn default() -> Self {
        Desk::new()
    }
}

/// The desk provided by the nearest [`crate::app::App`] (or a test harness).
pub fn use_desk() -> Desk {
    expect_context::<Desk>()
}
