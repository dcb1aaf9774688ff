//! The desk: the agent's desk as the components see it.
//!
//! - [`core`]: the call-center rules, pure and sans-IO ([`core::DeskCore`]: an [`Input`] in, [`Effect`]s out).
//! - [`intent`], [`effect`]: the typed vocabulary in and out (the same [`Intent`] from a button, a
//!   shortcut or another window).
//! - [`shell`]: the browser shell. [`Desk`] holds the signals the components read; it feeds the core one
//!   input at a time, carries out the effects through the edges (the SIP line, OpenFrame, ServiceNow,
//!   storage, the window group) and mirrors the core's state into the signals. The edges never import
//!   the desk: they report to the hosts the shell installs.
//!
//! See `docs/architecture.md` for the whole flow.

pub mod core;
pub mod effect;
pub mod intent;
pub mod shell;

pub use self::core::{screen_headers, DeskCore, Input, OwnerState};
pub use effect::{Effect, FrameRequest, Store};
pub use intent::Intent;

use crate::config::{ConfigError, Settings};
use crate::openframe::bridge::Snapshot;
use crate::phone::call::Call;
use crate::phone::line::LineStatus;
use crate::phone::model::AgentState;
use crate::phone::wrapup::{RecentCall, WrapUp};
use crate::servicenow::directory::Entry;
use crate::servicenow::outbox::Outbox;
use crate::servicenow::screen_pop::Decision;
use crate::servicenow::service::SnState;
use crate::tabs::{Group, Role};
use crate::trust;
use leptos::prelude::*;
use crate::json::Value;

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
/// The outbox of versions before it was kept per deployment (see crate::servicenow::outbox_store::key_for).
pub const OUTBOX_KEY: &str = crate::servicenow::outbox_store::LEGACY_KEY;

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

/// What the diagnostics view shows about OpenFrame.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenFrameView {
    pub snapshot: Option<Snapshot>,
    /// A problem the agent or admin should know about (handshake failed or unconfirmed, config refused...).
    pub problem: Option<crate::strings::Msg>,
    pub frame_title: Option<String>,
}

/// The inputs settings are resolved from, kept so a later layer (the OpenFrame configuration) can be added,
/// and the shell's other start-up facts (one stored value for all of them: one arena entry, not four).
#[derive(Clone, Debug, Default)]
struct Sources {
    query: String,
    file_text: Option<String>,
    file_error: Option<ConfigError>,
    openframe: Option<Value>,
    /// This deployment's key (instance, topDomain, settings file), fixed once the settings are read.
    dep: trust::Deployment,
    /// A pop-out's one-time ticket, taken from the address's fragment at start.
    ticket: Option<String>,
    /// This window's group id and links before a reload (same deployment only), and the linked owner it was
    /// a remote view of (id, last heard).
    before: Option<(String, Vec<String>, Option<(String, f64)>, Vec<String>)>,
}

/// The desk's signals whose value types no other signal has, as `ArcRwSignal`s in one block made once per
/// desk and kept for the page's life (one per page, a few hundred bytes). An `RwSignal` looks its value up in
/// Leptos's arena by type (a `TypeId` check) on every read and write, so each value type had its own copy of
/// every read, track and write path in the wasm; an `ArcRwSignal` holds its value directly, and its paths are
/// the same code for every type of the same layout (issue #16). `Desk` dereferences to this block, so
/// `desk.calls` reads the same as the fields of `Desk` itself.
pub struct Signals {
    pub settings: ArcRwSignal<Settings>,
    pub errors: ArcRwSignal<Vec<ConfigError>>,
    pub tab: ArcRwSignal<Tab>,
    pub openframe: ArcRwSignal<OpenFrameView>,
    pub agent_state: ArcRwSignal<AgentState>,
    pub calls: ArcRwSignal<Vec<Call>>,
    /// A short message for the agent (e.g. why a dial failed); cleared by the next action.
    pub notice: ArcRwSignal<Option<crate::strings::Msg>>,
    pub line_status: ArcRwSignal<LineStatus>,
    /// Finished calls waiting for the agent's wrap-up (the first is shown); saved as drafts.
    pub wrapups: ArcRwSignal<Vec<WrapUp>>,
    /// The agent's recent calls (localStorage).
    pub recents: ArcRwSignal<Vec<RecentCall>>,
    /// Activities waiting to be written to ServiceNow (localStorage; delivered by the outbox).
    pub outbox: ArcRwSignal<Outbox>,
    /// The ServiceNow connection.
    pub sn: ArcRwSignal<SnState>,
    /// Screen pops waiting for the agent (a choice between records, or an offer to create one), by call.
    pub pops: ArcRwSignal<Vec<(u32, Decision)>>,
    /// Directory entries from elsewhere (ServiceNow users and contacts).
    pub extra_directory: ArcRwSignal<Vec<Entry>>,
    /// Why the last ServiceNow directory search failed (shown instead of passing for "no results").
    pub directory_error: ArcRwSignal<Option<crate::strings::Msg>>,
    /// Whether this instance owns the phone, or shows the phone of another tab (a remote view).
    pub role: ArcRwSignal<Role>,
    /// The clock the call timers render from (ms since the epoch), updated by the desk's ticker.
    pub now: ArcRwSignal<f64>,
    /// The last call's set-up time: dial intent to INVITE sent (ms), shown in the Status panel; NaN before
    /// the first.
    pub setup_ms: ArcRwSignal<f64>,
}

impl std::ops::Deref for Desk {
    type Target = Signals;
    fn deref(&self) -> &Signals {
        self.s
    }
}

/// The desk as the components see it: signals mirrored from the [`DeskCore`], and the intents as methods.
#[derive(Clone, Copy)]
pub struct Desk {
    /// The signals of types no other signal has (see [`Signals`]): made once per desk, kept for the page's life.
    pub(crate) s: &'static Signals,
    pub loaded: RwSignal<bool>,
    pub muted: RwSignal<bool>,
    /// The far end asks to transfer the agent (REFER, `referPolicy` ask): what to show (the core keeps the
    /// call; the type of the other texts' signals).
    pub transfer_ask: RwSignal<Option<String>>,
    /// The last SIP MESSAGE shown to the agent (`sip.messages` show): sender and text, plain text.
    pub sip_message: RwSignal<Option<String>>,
    /// The last announcement for screen readers (an ARIA live region).
    pub announcement: RwSignal<String>,
    /// A wrap-up problem to show (disposition missing...).
    pub wrapup_error: RwSignal<Option<String>>,
    /// What is typed in the dial pad (kept across panels).
    pub dial_text: RwSignal<String>,
    /// ServiceNow has more directory results than shown.
    pub directory_more: RwSignal<bool>,
    /// The keyboard shortcut help is open.
    pub show_help: RwSignal<bool>,
    /// Windows that are not linked ask the agent for the phone (the owner shows the question).
    pub asking: RwSignal<usize>,
    /// This window is one of the agent's own: framed by the instance (handshake answered) or linked to
    /// such a window. Until then the topDomain is not trusted as the ServiceNow instance.
    pub member: RwSignal<bool>,
    /// The rules and the state they keep (the signals above mirror it).
    /// With this instance's membership of the desktop's group of windows (crate::tabs) and the settings'
    /// sources: one stored value.
    core: StoredValue<(DeskCore, Option<Group>, Sources), LocalStorage>,
    /// What the ServiceNow client reports to (see [`crate::servicenow::service::Link`]): this desk, made
    /// once and kept for the page's life (a few bytes; its calls do nothing once the desk's arena is gone).
    sn_host: &'static (dyn crate::servicenow::service::SnHost + Sync),
}

impl Default for Desk {
    fn default() -> Self {
        Desk::new()
    }
}

thread_local! {
    /// The desk of this page's [`crate::app::App`] (or of a test harness's shell): one per page.
    static PROVIDED: std::cell::Cell<Option<Desk>> = const { std::cell::Cell::new(None) };
}

/// Makes `desk` the one [`use_desk`] returns, for the components built after it. A page has one desk, so it is
/// kept here rather than in Leptos's context: `provide_context`/`use_context` keep contexts in a hash map per
/// reactive owner, and the desktop's two contexts were the only users of that map's insert, look-up and
/// rehash code in the wasm (issue #16).
pub fn provide_desk(desk: Desk) {
    PROVIDED.with(|d| d.set(Some(desk)));
}

/// The desk given to [`provide_desk`] last. Without one it panics with a plain message (`expect_context`'s
/// named the caller's `Location` and the type with `{:?}`, which linked `Debug` of structs and of `str`).
pub fn use_desk() -> Desk {
    match PROVIDED.with(|d| d.get()) {
        Some(desk) => desk,
        None => panic!("use_desk: no desk provided"),
    }
}
