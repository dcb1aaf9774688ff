//! The shell's loop: one input into the core, its effects carried out through the edges, the core's
//! state mirrored into the signals. Also the hosts the edges report to (the SIP line, ServiceNow).

use super::super::{Desk, Effect, Signals, Input, Sources, Store, Tab, RECENTS_KEY, SIP_SERVER_KEY, SIP_USER_KEY, TAB_KEY, WRAPUPS_KEY};
use crate::browser;
use crate::config::Settings;
use crate::desk::core::DeskCore;
use crate::desk::OpenFrameView;
use crate::phone::line::{LineCommand, LineEvent, LineHost, LineStatus};
use crate::phone::model::AgentState;
use crate::phone::sipline;
use crate::servicenow::outbox::Outbox;
use crate::servicenow::outbox_store;
use crate::servicenow::screen_pop::SnEvent;
use crate::servicenow::service::{self, Link, SnHost, SnState};
use crate::tabs::Role;
use leptos::prelude::*;
use std::rc::Rc;

pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Sets one of the desk's signals, which live as long as the page, and lets go of the views that read it
/// before (issue #16: wasm memory grew ~3 KB per call).
///
/// Leptos 0.8 keeps in each signal a weak link to every effect and memo that read it, and drops a link only
/// when that reader runs again; a reader whose view is gone (a call card, a wrap-up, the dial pad during a
/// call) never runs again, so its link, and the memory block behind it, stayed in the signal for the page's
/// life. Every reader has just been told of this change, so the list can be emptied now: the live readers
/// run (or, for memos, recompute when read) and subscribe again; the readers that are gone do not.
///
/// The value is written without notifying (the typed part, one per signal type); then one function for every
/// type takes the signal's readers out of it and marks each dirty (what `set` and `clear_subscribers` did, in
/// one step: the list is emptied exactly when its readers are told of the change, never at any other time,
/// since live readers that were not told would never subscribe again).
pub(crate) fn put<T: Send + Sync + 'static>(s: RwSignal<T>, v: T) {
    // One typed look-up in the arena (the signal's own handles), after an untyped check that it is there
    // (so the conversion cannot meet a disposed signal).
    if !s.is_disposed() {
        aput(&ArcRwSignal::from(s), v);
    }
}

/// [`put`] for the desk's signals kept outside the arena ([`crate::desk::Signals`]).
#[inline(never)]
pub(crate) fn aput<T: Send + Sync + 'static>(a: &ArcRwSignal<T>, v: T) {
    use leptos::reactive::graph::ToAnySource;
    if a.try_update_untracked(|x| *x = v).is_some() {
        tell_and_forget(a.to_any_source());
    }
}

#[inline(never)]
fn tell_and_forget(readers: leptos::reactive::graph::AnySource) {
    use leptos::reactive::graph::ReactiveNode;
    // A signal's reader list, as a node, takes its readers out and marks each dirty.
    readers.mark_dirty();
}

/// A reactive effect whose closure is boxed: one copy of Leptos's effect code for every effect made here.
pub(crate) fn effect(f: Box<dyn FnMut()>) {
    let mut f = f;
    leptos::prelude::Effect::new(move || f());
}

/// Runs `f` every `ms` for the page's life (the desk's clock, the outbox's step): one copy of the
/// closure and timer code for both.
#[inline(never)]
pub(crate) fn every(ms: i32, f: Box<dyn FnMut()>) {
    let cb = wasm_bindgen::closure::Closure::wrap(f);
    if let Some(w) = web_sys::window() {
        use wasm_bindgen::JsCast;
        let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), ms);
    }
    cb.forget();
}

/// A new signal, made in one function per value type (RwSignal::new inlines the arena's insert at each
/// call: the desk's signals of one type share one copy).
#[inline(never)]
fn sig<T: Send + Sync + 'static>(v: T) -> RwSignal<T> {
    RwSignal::new(v)
}

/// Sets a signal (as `set` does), in one function per value type (`set` is inlined at each call).
#[inline(never)]
pub(crate) fn set<T: Send + Sync + 'static>(s: RwSignal<T>, v: T) {
    s.set(v)
}

/// Unreadable stored data is kept aside and reported; a refused write is reported (crate::stored).
pub(crate) fn load_json<T: crate::json::FromJson>(key: &str) -> Option<T> {
    crate::stored::load(key)
}

pub(crate) fn save_json<T: crate::json::ToJson>(key: &str, v: &T) {
    crate::stored::save(key, v);
}

impl Desk {
    /// A desk with default settings, before config.json has been read. One per page (the app makes it once): its
    /// block of signals ([`Signals`]) is kept for the page's life.
    pub fn new() -> Desk {
        let tab = browser::load(TAB_KEY).and_then(|k| Tab::from_key(&k)).unwrap_or(Tab::Phone);
        let seed = ((browser::random_u32() as u64) << 32) | browser::random_u32() as u64;
        let mut core = DeskCore::new(Settings::default(), seed);
        core.wrapups = load_json(WRAPUPS_KEY).unwrap_or_default();
        core.recents = load_json(RECENTS_KEY).unwrap_or_default();
        // The outbox is read from storage when this window takes the phone (its key is the deployment's).
        core.sip_user = browser::load(SIP_USER_KEY);
        // Made once per desk and kept for the page's life (a few bytes): a reference, not a stored value.
        let link: &'static SnLink = Box::leak(Box::new(SnLink(std::sync::OnceLock::new())));
        let s: &'static Signals = Box::leak(Box::new(Signals {
            settings: ArcRwSignal::new(Settings::default()),
            errors: ArcRwSignal::new(Vec::new()),
            tab: ArcRwSignal::new(tab),
            openframe: ArcRwSignal::new(OpenFrameView { snapshot: None, problem: None, frame_title: None }),
            agent_state: ArcRwSignal::new(core.agent_state.clone()),
            calls: ArcRwSignal::new(Vec::new()),
            notice: ArcRwSignal::new(None),
            line_status: ArcRwSignal::new(LineStatus::Demo),
            wrapups: ArcRwSignal::new(core.wrapups.clone()),
            recents: ArcRwSignal::new(core.recents.clone()),
            outbox: ArcRwSignal::new(core.outbox.clone()),
            sn: ArcRwSignal::new(SnState::Off),
            pops: ArcRwSignal::new(Vec::new()),
            extra_directory: ArcRwSignal::new(Vec::new()),
            directory_error: ArcRwSignal::new(None),
            role: ArcRwSignal::new(Role::Starting),
            now: ArcRwSignal::new(now_ms()),
            setup_ms: ArcRwSignal::new(f64::NAN),
        }));
        let desk = Desk {
            s,
            loaded: sig(false),
            muted: sig(false),
            transfer_ask: sig(None),
            sip_message: sig(None),
            announcement: sig(String::new()),
            wrapup_error: sig(None),
            dial_text: sig(String::new()),
            directory_more: sig(false),
            show_help: sig(false),
            asking: sig(0),
            member: sig(false),
            core: StoredValue::new_local((core, None, Sources::default())),
            sn_host: link,
        };
        let _ = link.0.set(desk);
        desk
    }

    /// Feeds one input to the core now.
    pub fn run(&self, input: Input) {
        self.run_at(now_ms(), input)
    }

    /// Feeds one input to the core at `now`, carries out its effects and mirrors its state.
    pub fn run_at(&self, now: f64, input: Input) {
        let alert = matches!(input, Input::Line(LineEvent::Incoming { .. }));
        let effects = self.core.try_update_value(|(c, _, _)| c.handle(now, input));
        let Some(effects) = effects else { return };
        self.sync(false);
        for e in effects {
            match e {
                e if waits_for_paint(&e) && (alert || LATER.with(|l| !l.borrow().is_empty())) => self.later(e),
                e => self.carry_out(e),
            }
        }
    }

    /// Reads the core (for the shell's own questions: roles, packets, the last intent's result).
    pub(crate) fn with_core<R>(&self, f: impl FnOnce(&DeskCore) -> R) -> Option<R> {
        self.core.try_with_value(|(c, _, _)| f(c))
    }

    /// Changes the core directly, then mirrors it (tests; settings the core reads from storage).
    pub fn edit_core(&self, f: impl FnOnce(&mut DeskCore)) {
        self.core.try_update_value(|(c, _, _)| f(c));
        self.sync(true);
    }

    /// Mirrors the core's state into the signals the components read: the small parts when they changed,
    /// the calls when the input may have changed them (`full`: everything).
    fn sync(&self, full: bool) {
        fn mirror<T: Clone + PartialEq + Send + Sync + 'static>(s: &ArcRwSignal<T>, v: &T) {
            if s.with_untracked(|x| x != v) {
                aput(s, v.clone());
            }
        }
        self.core.try_with_value(|(c, _, _)| {
            mirror(&self.role, &c.role);
            mirror(&self.agent_state, &c.agent_state);
            if self.muted.get_untracked() != c.muted {
                put(self.muted, c.muted);
            }
            mirror(&self.line_status, &c.line_status);
            mirror(&self.pops, &c.pops);
            let ask = c.transfer_ask.as_ref().map(|(_, t)| t.clone());
            if self.transfer_ask.with_untracked(|x| *x != ask) {
                put(self.transfer_ask, ask);
            }
            crate::phone::sipline::prepare_media(c.takes_calls());
            // Only when they did change: an unchanged list would have every view of the calls run again (the
            // Answer click, before its 200: issue #16).
            if full || (c.calls_changed && self.calls.with_untracked(|x| *x != c.calls)) {
                aput(&self.calls, c.calls.clone());
            }
        });
        if full {
            for s in [Store::WrapUps, Store::Recents, Store::Outbox] {
                self.show(s);
            }
        }
    }

    /// Shows a stored part of the core's state again (the wrap-ups, the recents or the outbox changed).
    fn show(&self, store: Store) {
        self.core.try_with_value(|(c, _, _)| match store {
            Store::WrapUps => aput(&self.wrapups, c.wrapups.clone()),
            Store::Recents => aput(&self.recents, c.recents.clone()),
            Store::Outbox => aput(&self.outbox, c.outbox.clone()),
        });
    }

    /// Carries out `e` once the next frame is painted (issue #16: the alerting card is shown first), after
    /// the effects already waiting, in order. A hidden page paints nothing: then at once.
    fn later(&self, e: Effect) {
        if !crate::phone::media::paints() && LATER.with(|l| l.borrow().is_empty()) {
            return self.carry_out(e);
        }
        let first = LATER.with(|l| {
            let mut l = l.borrow_mut();
            l.push(e);
            l.len() == 1
        });
        if first {
            let desk = *self;
            crate::phone::media::after_paint_run(Box::new(move || {
                let list = LATER.with(|l| std::mem::take(&mut *l.borrow_mut()));
                for e in list {
                    desk.carry_out(e);
                }
            }));
        }
    }

    fn carry_out(&self, e: Effect) {
        match e {
            Effect::Line(cmd) => self.line_command(cmd),
            Effect::Frame(msg) => self.publish(msg),
            Effect::Icons => self.publish(crate::openframe::protocol::Outgoing::SetIcons(self.header_icons())),
            Effect::ToOwner(intent) => {
                if let (Some(g), Some(v)) = (self.group(), intent.to_json()) {
                    g.command(v);
                }
            }
            Effect::ScreenPop { call, number, headers } => service::screen_pop(*self, call, number, headers),
            Effect::AdoptSnToken(text) => service::adopt_token(*self, &text),
            Effect::Save(store) => {
                self.save(store);
                self.show(store);
            }
            Effect::Mirror(store) => self.show(store),
            Effect::SaveSipUser { server, user } => {
                browser::save(SIP_SERVER_KEY, &server);
                browser::save(SIP_USER_KEY, &user);
            }
            Effect::Notice(n) => aput(&self.notice, n),
            Effect::Announce(text) => put(self.announcement, text),
            Effect::WrapUpError(e) => put(self.wrapup_error, e),
            Effect::NotifyIfHidden { title, body } => browser::notify_if_hidden(&title, &body),
            // Already shown: nothing to change (or store).
            Effect::ShowPhone if self.tab.get_untracked() == Tab::Phone => {}
            Effect::ShowPhone => self.select_tab(Tab::Phone),
            // Through `put`, as the other signals of these types (no `set` of their own).
            Effect::SipMessage(m) => put(self.sip_message, Some(m)),
            Effect::SetupMs(ms) => aput(&self.setup_ms, ms),
            Effect::StopSounds => crate::phone::audio::sync(false, false, false),
        }
    }

    pub(super) fn save(&self, store: Store) {
        self.core.try_with_value(|(c, _, _)| match store {
            Store::WrapUps => save_json(WRAPUPS_KEY, &c.wrapups),
            Store::Recents => save_json(RECENTS_KEY, &c.recents),
            Store::Outbox => {
                outbox_store::save(&self.outbox_key(), c.role, &c.outbox);
            }
        });
    }

    /// Saves the outbox (before any attempt and after every change).
    pub fn save_outbox(&self) {
        self.save(Store::Outbox);
    }

    /// This deployment's outbox key (crate::servicenow::outbox_store).
    pub fn outbox_key(&self) -> String {
        outbox_store::key_for(&self.deployment_key())
    }

    /// The agent retries a stuck activity (looked up first when it may have been written); only the window
    /// that has the phone.
    pub fn retry_activity(&self, id: &str) {
        let now = now_ms();
        let done = self.core.try_update_value(|(c, _, _)| c.role == Role::Owner && c.outbox.retry(id, now)).unwrap_or(false);
        if done {
            self.save(Store::Outbox);
            self.show(Store::Outbox);
            self.sync(false);
        }
    }

    /// The settings' TURN credentials and relay-only policy, for the calls' peer connections.
    fn apply_ice_options(&self) {
        let o = self.settings.with_untracked(|s| crate::phone::media::IceOptions {
            username: s.sip.ice_username.clone(),
            credential: s.sip.ice_credential.clone(),
            relay_only: s.sip.ice_relay_only,
        });
        crate::phone::media::set_ice_options(o);
    }

    /// Carries out a command for the SIP line; what it answers at once goes back to the core.
    fn line_command(&self, cmd: LineCommand) {
        match cmd {
            LineCommand::SignIn { creds, resume } => {
                self.apply_ice_options();
                let muted = self.with_core(|c| c.muted).unwrap_or(false);
                let opts = self.settings.with_untracked(|s| sipline::LineOptions {
                    no_answer_secs: s.sip.no_answer_seconds,
                    refer_policy: s.sip.refer_policy,
                    accept_messages: s.sip.accept_messages,
                    muted,
                });
                sipline::sign_in(Rc::new(LineLink(*self)), opts, creds, resume);
            }
            LineCommand::SignOut => sipline::sign_out(),
            LineCommand::Dial { id, target, headers } => sipline::dial(id, target, headers),
            LineCommand::Answer(id) => sipline::answer(id),
            LineCommand::Reject { id, code } => sipline::reject(id, code),
            LineCommand::HangUp(id) => sipline::hang_up(id),
            LineCommand::Hold { id, held } => sipline::hold(id, held),
            LineCommand::Conference { a, b } => {
                let result = sipline::conference(a, b);
                self.run(Input::Line(LineEvent::Conferenced { a, b, result }));
            }
            LineCommand::Dtmf { id, digit, info } => {
                let how = sipline::dtmf(id, digit, info);
                self.run(Input::Line(LineEvent::DtmfSent { id, digit, how }));
            }
            LineCommand::Transfer { id, target, consult, headers } => {
                let result = sipline::transfer(id, &target, consult, &headers);
                self.run(Input::Line(LineEvent::TransferSent { id, result }));
            }
            LineCommand::TransferDecision { id, accept } => sipline::transfer_decision(id, accept),
            LineCommand::SetMuted(m) => sipline::set_muted(m),
        }
    }

    /// True when this instance runs the phone (or no other instance does yet).
    pub fn is_owner(&self) -> bool {
        self.with_core(|c| c.is_owner()).unwrap_or(false)
    }

    pub(crate) fn is_sip(&self) -> bool {
        self.settings.with_untracked(|s| s.line == crate::config::LineKind::Sip)
    }

    /// The agent as written in activities: the SIP user, or "Agent" on the demo line.
    pub fn agent_name(&self) -> String {
        self.with_core(|c| c.agent_name()).unwrap_or_else(|| "Agent".into())
    }

    /// The agent state now (for the edges that need it once).
    pub fn agent_state_now(&self) -> AgentState {
        self.with_core(|c| c.agent_state.clone()).unwrap_or(AgentState::Offline)
    }
}

thread_local! {
    /// Effects waiting for the next frame ([`Desk::later`]).
    static LATER: crate::cell::RefCell<Vec<Effect>> = const { crate::cell::RefCell::new(Vec::new()) };
}

/// What an incoming call's alert does not need before its card is painted: ServiceNow's messages and
/// screen pop, the notification and the screen-reader announcement (and, once some wait, the same kinds
/// after them, so their order holds).
fn waits_for_paint(e: &Effect) -> bool {
    matches!(e, Effect::Frame(_) | Effect::Icons | Effect::ScreenPop { .. } | Effect::NotifyIfHidden { .. } | Effect::Announce(_))
}

/// The SIP line reports to the desk through this.
struct LineLink(Desk);

impl LineHost for LineLink {
    fn report(&self, event: LineEvent) {
        self.0.run(Input::Line(event));
    }
    fn new_call_id(&self) -> u32 {
        self.0.alloc_call_id()
    }
    fn call_number(&self, id: u32) -> Option<String> {
        self.0.with_core(|c| c.call_number(id)).flatten()
    }
}

/// ServiceNow reports to the desk through this, and steps the core's outbox (the desk is set right after
/// it is made, with this link in it).
struct SnLink(std::sync::OnceLock<Desk>);

impl SnLink {
    fn with<R: Default>(&self, f: impl FnOnce(Desk) -> R) -> R {
        self.0.get().map(|d| f(*d)).unwrap_or_default()
    }
}

impl SnHost for SnLink {
    fn outbox(&self, f: &mut dyn FnMut(&mut Outbox)) -> bool {
        self.with(|d| {
            let done = d.core.try_update_value(|(c, _, _)| f(&mut c.outbox)).is_some();
            if done {
                d.save(Store::Outbox);
                d.show(Store::Outbox);
            }
            done
        })
    }
    fn report(&self, event: SnEvent) {
        self.with(|d| d.run(Input::Sn(event)));
    }
    fn is_owner(&self) -> bool {
        // Only once elected: a window still starting has not read the stored outbox yet.
        self.with(|d| d.with_core(|c| c.role == Role::Owner).unwrap_or(false))
    }
    fn call_live(&self) -> bool {
        self.with(|d| d.with_core(|c| c.calls.iter().any(crate::phone::call::Call::is_live)).unwrap_or(false))
    }
}

impl From<Desk> for Link {
    fn from(d: Desk) -> Link {
        Link {
            settings: &d.s.settings,
            member: d.member,
            sn: &d.s.sn,
            notice: &d.s.notice,
            extra_directory: &d.s.extra_directory,
            directory_more: d.directory_more,
            directory_error: &d.s.directory_error,
            host: d.sn_host,
        }
    }
}
