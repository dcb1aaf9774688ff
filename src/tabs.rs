//! One owner of the phone across the desktop's tabs and frames.
//!
//! Every instance of the desktop (the frame inside ServiceNow, a popped-out tab, a second tab) joins the
//! group of its deployment. Exactly one instance, the owner, runs the phone (SIP registration, calls,
//! audio); the others are remote views: they show the owner's state and send it commands.
//!
//! - Who takes part: only windows of the same deployment (the channel and lock names carry its tag, every
//!   message its key) that are linked to each other ([`crate::trust`]: both framed by the instance, a
//!   pop-out with the owner's one-time ticket, a hand-over between them, or the agent's choice in the
//!   owner). A window linked to nobody is [`Role::Unlinked`]: it does not queue for the lock, its buttons
//!   act on nothing, and its "Use the phone here" asks the agent in the owner.
//! - Election: the Web Locks API (`navigator.locks`, lock [`LOCK`]). The holder of the lock may own the
//!   phone; linked windows wait in the lock's queue. A window not linked asks for the lock only if it is
//!   free (`ifAvailable`): the first window of the agent has the phone; a later one does not inherit it.
//! - Messages: a `BroadcastChannel` ([`CHANNEL`]), plus `postMessage` to our own origin between a frame and
//!   the tab it popped out (they can sit in different storage partitions, where neither the channel nor
//!   the lock reaches across). A lock holder that still hears another owner (a different partition) waits
//!   until that owner is gone. Without Web Locks, an instance acts as the lock holder and the same rule,
//!   plus a tie-break on the instance id, keeps a single owner.
//! - Handover: a linked instance that wants the phone sends `claim` (a pop-out: with the proof of its
//!   ticket); the owner lets go of its line without hanging up and sends `handover`, addressed to that one
//!   window, with a packet (sign-in, calls and the dialog names to take them over); the claimer steals
//!   the lock and takes the calls over. An owner that goes away hands the packet to one linked window
//!   (the heir) and says `bye` (without secrets) to the others.
//!
//! Only messages from our own origin are read (a `BroadcastChannel` is same-origin by construction; window
//! messages are checked), parsed strictly ([`crate::trust::parse`]), never inserted as HTML.

use crate::trust::{self, Admit, Kind, Msg, Trust};
use crate::json::Value;
use {crate::cell::RefCell, std::cell::Cell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The channel and lock names; the desktop adds its deployment's tag ([`crate::trust::Deployment::tag`]).
pub const CHANNEL: &str = "agent-desktop";
pub const LOCK: &str = "agent-desktop.phone";
/// An owner that cannot hold our lock (another storage partition, or no Web Locks) and has not been heard
/// for this long is gone. Long, because browsers wake timers in a background tab only once a minute; an
/// owner that closes says so at once (`bye`). An owner heard on our channel shares our lock: once the lock
/// is ours, it is gone.
pub const OWNER_SILENT_MS: f64 = 75_000.0;
/// The owner's state goes out at least this often (it doubles as its heartbeat).
pub const BEAT_MS: i32 = 1_000;
/// A packet handed over is used only this soon after.
pub const PACKET_TTL_MS: f64 = 15_000.0;
/// A window reloaded (it kept its id) may find the lock still held by its own previous document, whose
/// release reaches the browser's lock manager after the new document asked: it asks again this long (every
/// [`RELOAD_RETRY_MS`]) before it calls the holder a window it is not linked to.
pub const RELOAD_LOCK_GRACE_MS: f64 = 5_000.0;
pub const RELOAD_RETRY_MS: i32 = 200;

pub use crate::trust::Role;

/// How an instance joins: its deployment key and, for a pop-out, the ticket from its address.
#[derive(Clone, Debug, Default)]
pub struct Join {
    pub dep: String,
    pub ticket: Option<String>,
    /// The same window before a reload: its id and the windows it was linked to (see [`Group::identity`]).
    pub before: Option<(String, Vec<String>)>,
    /// The same window before a reload was a remote view of this linked owner, last heard then (ms since the
    /// epoch; see [`Group::owner`]): the reloaded window waits for it as for an owner just heard.
    pub owner: Option<(String, f64)>,
    /// The same window before a reload: the linked windows that had said they left (never the heir after
    /// the reload either: a closed pop-out stays in the links, and would be handed the phone otherwise).
    pub gone: Vec<String>,
}

/// What the group asks of the desktop (the desk in the app; a recorder in tests).
pub trait Host {
    /// This instance now owns the phone; `packet` is what the previous owner handed over, if anything.
    fn become_owner(&self, packet: Option<Value>);
    /// Another instance asks for the phone: let go of it and return the packet (None: not now, e.g. a
    /// call is ringing).
    fn hand_over(&self) -> Option<Value>;
    /// The owner's state for the remote views.
    fn state(&self) -> Value;
    /// A remote view: the owner's state.
    fn on_state(&self, state: Value);
    /// The owner: a command from a remote view.
    fn on_command(&self, cmd: Value);
    /// A remote view: something the owner wants shown in ServiceNow (it is not framed itself).
    fn on_relay(&self, msg: Value);
    /// The role changed.
    fn on_role(&self, role: Role);
    /// The owner: windows that are not linked ask the agent for the phone (how many are waiting).
    fn on_asking(&self, _waiting: usize) {}
    /// This window is linked to one of the agent's windows (or framed by the instance).
    fn on_member(&self) {}
    /// The owner refused this window's ask (a ticket is never refused).
    fn on_refused(&self) {}
}

struct Inner {
    id: String,
    lock: String,
    host: Box<dyn Host>,
    chan: Option<web_sys::BroadcastChannel>,
    /// Windows linked by opener (the frame and its pop-out), or whose linked instance spoke by the window
    /// link (a frame made again by a reload of the ServiceNow page).
    windows: RefCell<Vec<web_sys::Window>>,
    /// A pop-out: the top window of the frame that opened it (ServiceNow's page). When that page reloads,
    /// the frame is made again and knows nothing of this tab; the frames of that top window are where it is.
    finder: RefCell<Option<web_sys::Window>>,
    origin: String,
    seq: Cell<u32>,
    seen: RefCell<Vec<(String, u32)>>,
    role: Cell<Role>,
    trust: RefCell<Trust>,
    holds_lock: Cell<bool>,
    /// Which of this instance's lock requests holds the lock (a steal of our own queued grant must not
    /// count as losing it).
    lock_gen: Cell<u32>,
    lock_reqs: Cell<u32>,
    /// A request for the lock is queued (or held).
    queued: Cell<bool>,
    /// The lock was held by another window when this one asked for it if free.
    lock_busy: Cell<bool>,
    /// Resolves the promise the held lock waits on (lets go of it).
    release: RefCell<Option<js_sys::Function>>,
    /// The other owner last heard (linked or not), and when.
    owner: RefCell<Option<(String, f64)>>,
    /// Whether that owner is linked to this window.
    owner_linked: Cell<bool>,
    /// Windows that said they left (never the heir).
    gone: RefCell<Vec<String>>,
    /// Instances heard on our channel: they share our storage partition, so our lock.
    on_channel: RefCell<Vec<String>>,
    /// When the lock was last granted.
    granted_at: Cell<f64>,
    /// When an owner last said `bye` (its heir may be about to take the lock).
    owner_left_at: Cell<f64>,
    /// When this instance last sent its state.
    state_sent: Cell<f64>,
    /// A packet handed to this instance while it waits for the lock, with when it came.
    orphan: RefCell<Option<(Value, f64)>>,
    /// Claims not answered yet (the owner was busy): the claimer's id.
    pending_claim: RefCell<Option<String>>,
    /// This instance wants the phone (a pop-out with a ticket) once the owner welcomes it.
    wants: Cell<bool>,
    closed: Cell<bool>,
    started: f64,
    /// This window was reloaded (see [`RELOAD_LOCK_GRACE_MS`]).
    reloaded: bool,
    timer: Cell<i32>,
    closures: RefCell<Vec<JsValue>>,
}

/// One instance's membership of the group.
#[derive(Clone)]
pub struct Group(Rc<Inner>);

fn now() -> f64 {
    js_sys::Date::now()
}

fn own_origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// True for a window message that belongs to the group (our origin and our mark): the OpenFrame bridge
/// leaves these alone.
pub fn is_group_message(ev: &web_sys::MessageEvent) -> bool {
    ev.origin() == own_origin() && ev.data().as_string().map(|d| d.starts_with(trust::MARK)).unwrap_or(false)
}

fn locks() -> Option<JsValue> {
    let nav = web_sys::window()?.navigator();
    let l = js_sys::Reflect::get(&nav, &"locks".into()).ok()?;
    (!l.is_undefined() && !l.is_null()).then_some(l)
}

/// How a lock is asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// Only if nobody holds it (a window not linked to anyone).
    IfFree,
    /// Wait in the queue (a linked window).
    Queue,
    /// Take it from the holder (it is being handed over).
    Steal,
}

impl Group {
    /// Joins the group named `channel` (the lock is `lock`) of the deployment `join.dep`. A pop-out's
    /// `join.ticket` asks the owner that opened it for the phone.
    pub fn join(channel: &str, lock: &str, host: Box<dyn Host>, join: Join) -> Group {
        // A reloaded window keeps its id and links (its peers know it by them).
        let (id, links) = join
            .before
            .clone()
            .filter(|(id, _)| trust::is_id(id))
            .unwrap_or_else(|| (crate::desk::core::hex16(((crate::browser::random_u32() as u64) << 32) | crate::browser::random_u32() as u64), Vec::new()));
        let chan = web_sys::BroadcastChannel::new(channel).ok();
        let mut t = Trust::new(&id, &join.dep);
        t.ticket = join.ticket.clone();
        for l in links.iter().take(trust::MAX_LINKS) {
            t.link(l);
        }
        // The owner this window was a remote view of before its reload: only a linked one, recently heard.
        let owner = join.owner.clone().filter(|(o, at)| t.trusts(o, false) && (0.0..OWNER_SILENT_MS).contains(&(now() - at)));
        // The first 32 well-formed ids of the windows that had said bye (a plain loop, no collect chain).
        let mut gone = Vec::new();
        for g in &join.gone {
            if gone.len() == 32 {
                break;
            }
            if trust::is_id(g) {
                gone.push(g.clone());
            }
        }
        let inner = Rc::new(Inner {
            id,
            lock: lock.to_string(),
            host,
            chan,
            windows: RefCell::new(Vec::new()),
            finder: RefCell::new(None),
            origin: own_origin(),
            // Messages are told apart by (sender, seq): a reloaded window must not repeat its old numbers.
            seq: Cell::new(crate::browser::random_u32() >> 1),
            seen: RefCell::new(Vec::new()),
            role: Cell::new(Role::Starting),
            trust: RefCell::new(t),
            holds_lock: Cell::new(false),
            lock_gen: Cell::new(0),
            lock_reqs: Cell::new(0),
            queued: Cell::new(false),
            lock_busy: Cell::new(false),
            release: RefCell::new(None),
            owner_linked: Cell::new(owner.is_some()),
            owner: RefCell::new(owner),
            gone: RefCell::new(gone),
            on_channel: RefCell::new(Vec::new()),
            granted_at: Cell::new(0.0),
            owner_left_at: Cell::new(0.0),
            state_sent: Cell::new(0.0),
            orphan: RefCell::new(None),
            pending_claim: RefCell::new(None),
            wants: Cell::new(join.ticket.is_some()),
            closed: Cell::new(false),
            started: now(),
            reloaded: join.before.as_ref().is_some_and(|(id, _)| trust::is_id(id)),
            timer: Cell::new(-1),
            closures: RefCell::new(Vec::new()),
        });
        let g = Group(inner);
        g.listen();
        g.send(Kind::Hello, None);
        g.send_claim();
        g.request_lock(Ask::IfFree);
        let weak = Rc::downgrade(&g.0);
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(i) = weak.upgrade() {
                Group(i).tick();
            }
        });
        if let Some(w) = web_sys::window() {
            let id = w.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), BEAT_MS).unwrap_or(-1);
            g.0.timer.set(id);
            // A first look soon after joining: an owner answers `hello` quickly.
            let weak = Rc::downgrade(&g.0);
            let first = Closure::once_into_js(move || {
                if let Some(i) = weak.upgrade() {
                    Group(i).consider();
                }
            });
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(first.unchecked_ref(), 300);
        }
        g.0.closures.borrow_mut().push(tick.into_js_value());
        g
    }

    pub fn id(&self) -> String {
        self.0.id.clone()
    }

    /// This window's id and links, kept by the page for its reload (ids only, no secrets).
    pub fn identity(&self) -> (String, Vec<String>) {
        (self.0.id.clone(), self.0.trust.borrow().links())
    }

    /// The linked windows that said they left (kept for a reload with [`Group::identity`]).
    pub fn gone(&self) -> Vec<String> {
        self.0.gone.borrow().clone()
    }

    pub fn role(&self) -> Role {
        self.0.role.get()
    }

    /// The linked owner this window is a remote view of (or, starting, waits for), and when it was last
    /// heard (kept for a reload).
    pub fn owner(&self) -> Option<(String, f64)> {
        if !matches!(self.role(), Role::Remote | Role::Starting) || !self.0.owner_linked.get() {
            return None;
        }
        self.0.owner.borrow().clone()
    }

    /// Links the window that opened this one (a pop-out's frame) and remembers that frame's top window, to
    /// find the frame again when ServiceNow's page reloads.
    pub fn link_opener(&self, opener: web_sys::Window) {
        *self.0.finder.borrow_mut() = opener.top().ok().flatten();
        self.link(opener);
    }

    /// Links a window (the pop-out this frame opened, or the frame that opened this tab) for messages.
    /// (Trust comes from [`crate::trust`], not from this.)
    pub fn link(&self, w: web_sys::Window) {
        self.0.windows.borrow_mut().push(w);
        // A pop-out's first claim may have gone out before its opener was linked.
        self.send_claim();
    }

    /// Links a window of the group this one found again (a reloaded frame's pop-out) and says hello there:
    /// an owner answers with its state.
    pub fn link_found(&self, w: web_sys::Window) {
        self.0.windows.borrow_mut().push(w);
        self.send(Kind::Hello, None);
    }

    /// The owner: a ticket it put in the address of a pop-out it opens.
    pub fn issue_ticket(&self, ticket: &str) {
        self.0.trust.borrow_mut().issue(ticket, now());
    }

    /// This window's OpenFrame handshake with the deployment's topDomain was answered.
    pub fn set_framed(&self) {
        if self.0.trust.borrow().framed {
            return;
        }
        self.0.trust.borrow_mut().framed = true;
        self.0.host.on_member();
        // Tell the others at once (an owner answers with its state).
        self.send(Kind::Hello, None);
        if self.role() == Role::Owner {
            self.publish_state();
        }
    }

    /// True when this window is linked to one of the agent's windows or framed by the instance.
    pub fn is_member(&self) -> bool {
        self.0.trust.borrow().is_member()
    }

    fn listen(&self) {
        let weak = Rc::downgrade(&self.0);
        let on_chan = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let (Some(i), Some(text)) = (weak.upgrade(), ev.data().as_string()) {
                Group(i).receive(&text, true, None);
            }
        });
        if let Some(c) = &self.0.chan {
            c.set_onmessage(Some(on_chan.as_ref().unchecked_ref()));
        }
        let weak = Rc::downgrade(&self.0);
        let on_window = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(i) = weak.upgrade() else { return };
            if ev.origin() != i.origin {
                return;
            }
            if let Some(text) = ev.data().as_string().filter(|d| d.starts_with(trust::MARK)) {
                // A message with no source window (it closed meanwhile) is still a window message.
                let source = ev.source().map(|s| s.unchecked_into::<web_sys::Window>());
                Group(i).receive(&text, false, source);
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("message", on_window.as_ref().unchecked_ref());
        }
        let mut c = self.0.closures.borrow_mut();
        c.push(on_chan.into_js_value());
        c.push(on_window.into_js_value());
    }

    /// Sends the owner's state to every window (one site for every reason to).
    #[inline(never)]
    fn send_state(&self) {
        self.send(Kind::State(self.0.host.state()), None);
    }

    fn send(&self, kind: Kind, to: Option<&str>) {
        if self.0.closed.get() {
            return;
        }
        if matches!(kind, Kind::State(_)) {
            self.0.state_sent.set(now());
        }
        let seq = self.0.seq.get() + 1;
        self.0.seq.set(seq);
        let (dep, framed) = {
            let t = self.0.trust.borrow();
            (t.dep.clone(), t.framed)
        };
        let text = trust::encode(&Msg { from: self.0.id.clone(), seq, to: to.map(str::to_string), dep, framed, kind });
        if let Some(c) = &self.0.chan {
            let _ = c.post_message(&JsValue::from_str(&text));
        }
        self.0.windows.borrow_mut().retain(|w| !w.closed().unwrap_or(true));
        let text = JsValue::from_str(&text);
        for w in self.0.windows.borrow().iter() {
            let _ = w.post_message(&text, &self.0.origin);
        }
        // A pop-out: the frames of the page that opened it (and their frames, two levels down), where a frame
        // made again by a reload is. Only a document of our own origin receives it (the target origin);
        // receivers drop what they already read. Messages addressed to one window (a hand-over with its
        // secrets) never go this way: they go where that window was heard.
        let finder = self.0.finder.borrow().clone().filter(|f| !f.closed().unwrap_or(true));
        if let (Some(top), None) = (finder, to) {
            let mut list = vec![(top, 0)];
            let mut posted = 0;
            while let Some((w, depth)) = list.pop() {
                for i in 0..w.length().min(16) {
                    let Ok(f) = js_sys::Reflect::get(&w, &JsValue::from(i)) else { continue };
                    if !f.is_object() || posted >= 24 {
                        continue;
                    }
                    let f = f.unchecked_into::<web_sys::Window>();
                    let _ = f.post_message(&text, &self.0.origin);
                    posted += 1;
                    if depth < 2 {
                        list.push((f, depth + 1));
                    }
                }
            }
        }
    }

    /// Sends something the owner wants shown in ServiceNow to the linked frame(s).
    pub fn relay(&self, v: Value) {
        if self.role() == Role::Owner && v.is_object() {
            self.send(Kind::Of(v), None);
        }
    }

    /// A pop-out asks for the phone with the proof of its ticket (the ticket itself stays in this window).
    fn send_claim(&self) {
        let proof = self.0.trust.borrow().ticket.as_deref().map(|t| trust::ticket_proof(t, "claim"));
        if let Some(p) = proof {
            if self.0.wants.get() {
                self.send(Kind::Claim(Some(p)), None);
            }
        }
    }

    /// A group message, from the channel or from a window (`source`, when the browser tells it).
    fn receive(&self, text: &str, on_channel: bool, source: Option<web_sys::Window>) {
        let Some(m) = trust::parse(text) else { return };
        let admit = self.0.trust.borrow().admit(&m);
        if self.0.closed.get() || admit == Admit::Drop {
            return;
        }
        let trust::Msg { from, seq, framed, kind, .. } = m;
        let t = now();
        if admit == Admit::Presence {
            // Another window of the deployment has the phone, and it is not linked to this one: only its
            // id is kept (to ask the agent there), nothing of what it says.
            *self.0.owner.borrow_mut() = Some((from, t));
            self.0.owner_linked.set(false);
            if self.role() == Role::Starting && (self.0.lock_busy.get() || locks().is_none()) && t - self.0.started > 1_500.0 {
                self.set_role(Role::Unlinked);
            }
            return;
        }
        if on_channel && !self.0.on_channel.borrow().iter().any(|p| *p == from) {
            trust::push_bounded(&mut self.0.on_channel.borrow_mut(), from.clone(), 32);
        }
        // The same message can come by the channel and by the window link.
        {
            let mut seen = self.0.seen.borrow_mut();
            let key = (from.clone(), seq);
            if seen.contains(&key) {
                return;
            }
            trust::push_bounded(&mut seen, key, 64);
        }
        // A window that said bye and speaks again was reloaded.
        self.0.gone.borrow_mut().retain(|g| *g != from);
        let trusted = self.0.trust.borrow().trusts(&from, framed);
        if trusted {
            // The most recently heard linked window is the heir.
            self.link_peer(&from);
            // A linked instance speaking by the window link from a window this one cannot reach yet (the frame
            // made again by a reload, which found this pop-out): it is answered there too.
            if let Some(w) = source {
                let mut ws = self.0.windows.borrow_mut();
                if !ws.iter().any(|x| js_sys::Object::is(x, &w)) && ws.len() < 8 {
                    ws.push(w);
                }
            }
        }
        let host = &self.0.host;
        match kind {
            Kind::Hello if self.role() == Role::Owner && trusted => self.send_state(),
            Kind::State(v) => {
                *self.0.owner.borrow_mut() = Some((from.clone(), t));
                self.0.owner_linked.set(true);
                if self.role() == Role::Owner {
                    // Two owners (different partitions, or no Web Locks): the lower id gives way.
                    if self.0.id.as_str() < from.as_str() {
                        self.give(&from);
                    }
                    return;
                }
                self.set_role(Role::Remote);
                host.on_state(v);
                if !self.0.queued.get() && locks().is_some() {
                    self.request_lock(Ask::Queue);
                }
            }
            Kind::Cmd(v) if self.role() == Role::Owner => host.on_command(v),
            Kind::Of(v) if self.role() != Role::Owner => host.on_relay(v),
            Kind::Claim(proof) if self.role() == Role::Owner => {
                if !trusted {
                    // A ticket this owner did not issue gets no answer (see `Trust::answer_claim`).
                    let answer = proof.and_then(|p| self.0.trust.borrow_mut().answer_claim(&p, t));
                    let Some(welcome) = answer else { return };
                    self.link_peer(&from);
                    self.send(welcome, Some(&from));
                }
                if !self.give(&from) {
                    *self.0.pending_claim.borrow_mut() = Some(from);
                    // Meanwhile the claimer is a remote view of this owner.
                    self.send_state();
                }
            }
            Kind::Ask if self.role() == Role::Owner && !trusted => {
                let n = {
                    let mut tr = self.0.trust.borrow_mut();
                    if !tr.asking.contains(&from) {
                        trust::push_bounded(&mut tr.asking, from.clone(), 4);
                    }
                    tr.asking.len()
                };
                host.on_asking(n);
            }
            Kind::Welcome(_) => {
                // The owner that opened this pop-out accepted its ticket.
                self.0.trust.borrow_mut().ticket = None;
                self.link_peer(&from);
            }
            Kind::Refused => {
                let mut tr = self.0.trust.borrow_mut();
                tr.ticket = None;
                tr.asked = None;
                drop(tr);
                self.0.wants.set(false);
                host.on_refused();
            }
            Kind::Handover { packet, links } => {
                self.link_peer(&from);
                for l in links {
                    self.0.trust.borrow_mut().link(&l);
                }
                self.0.trust.borrow_mut().asked = None;
                *self.0.owner.borrow_mut() = None;
                self.take(Some(packet));
            }
            Kind::Link(id) if trusted => self.0.trust.borrow_mut().link(&id),
            Kind::Bye => {
                let was_owner = self.0.owner.borrow().as_ref().map(|(o, _)| *o == from).unwrap_or(false);
                if was_owner {
                    *self.0.owner.borrow_mut() = None;
                    self.0.owner_left_at.set(t);
                }
                self.0.trust.borrow_mut().asking.retain(|a| *a != from);
                trust::push_bounded(&mut self.0.gone.borrow_mut(), from, 32);
                self.consider();
            }
            _ => {}
        }
    }

    /// Links `id` to this window (or moves it last: the newest link is the heir).
    fn link_peer(&self, id: &str) {
        let was = self.is_member();
        self.0.trust.borrow_mut().link(id);
        if !was {
            self.0.host.on_member();
        }
    }

    /// The linked windows that `keep` keeps (one retain for every site instead of a collect each).
    fn links_but(&self, keep: &dyn Fn(&String) -> bool) -> Vec<String> {
        let mut l = self.0.trust.borrow().links();
        l.retain(keep);
        l
    }

    /// Hands the phone to `to` (a linked window); false when the owner cannot let go now.
    fn give(&self, to: &str) -> bool {
        let Some(packet) = self.0.host.hand_over() else { return false };
        *self.0.pending_claim.borrow_mut() = None;
        self.set_role(Role::Remote);
        *self.0.owner.borrow_mut() = Some((to.to_string(), now()));
        self.0.owner_linked.set(true);
        let links = self.links_but(&|l| l != to);
        self.send(Kind::Handover { packet, links }, Some(to));
        // The windows linked to this one learn that the new owner is one of the agent's.
        self.send(Kind::Link(to.to_string()), None);
        // The claimer steals the lock; this instance queues for it again then.
        true
    }

    /// Becomes the owner with `packet`: with Web Locks, steals the lock first (it is the owner's to give).
    fn take(&self, packet: Option<Value>) {
        if self.0.holds_lock.get() || locks().is_none() {
            self.become_owner(packet);
            return;
        }
        *self.0.orphan.borrow_mut() = packet.map(|p| (p, now()));
        self.request_lock(Ask::Steal);
    }

    fn become_owner(&self, packet: Option<Value>) {
        if self.role() == Role::Owner {
            if packet.is_some() {
                self.0.host.become_owner(packet);
            }
            return;
        }
        // The host learns it owns the phone (and what it was before) first, then the role changes.
        self.0.host.become_owner(packet);
        self.set_role(Role::Owner);
        self.send_state();
    }

    fn set_role(&self, role: Role) {
        if self.0.role.replace(role) != role {
            self.0.host.on_role(role);
        }
    }

    /// Asks for the phone ("Use the phone here"): a linked window claims it; a window that is not linked
    /// asks the agent in the owner (who may allow it).
    pub fn claim(&self) {
        if self.role() == Role::Owner {
            return;
        }
        let owner = self.0.owner.borrow().as_ref().map(|(o, _)| o.clone());
        match owner {
            Some(o) if self.0.owner_linked.get() => self.send(Kind::Claim(None), Some(&o)),
            Some(o) => {
                self.0.trust.borrow_mut().asked = Some(o.clone());
                self.send(Kind::Ask, Some(&o));
            }
            None if self.role() == Role::Unlinked => {}
            None => self.take(None),
        }
    }

    /// The owner: windows waiting for the agent's answer.
    pub fn asking(&self) -> usize {
        self.0.trust.borrow().asking.len()
    }

    /// The owner: the agent allows the window that asked last to have the phone.
    pub fn allow(&self) {
        let who = self.0.trust.borrow_mut().asking.pop();
        self.0.host.on_asking(self.asking());
        if let Some(w) = who {
            if self.role() == Role::Owner {
                self.link_peer(&w);
                if !self.give(&w) {
                    *self.0.pending_claim.borrow_mut() = Some(w);
                }
            }
        }
    }

    /// The owner: the agent refuses every window that asked.
    pub fn refuse(&self) {
        let who = std::mem::take(&mut self.0.trust.borrow_mut().asking);
        self.0.host.on_asking(0);
        for w in who {
            self.send(Kind::Refused, Some(&w));
        }
    }

    /// A remote view's command for the owner (a window that is not linked sends nothing).
    pub fn command(&self, cmd: Value) {
        if self.role() == Role::Remote && cmd.is_object() {
            self.send(Kind::Cmd(cmd), None);
        }
    }

    /// The owner's state changed.
    pub fn publish_state(&self) {
        if self.role() == Role::Owner {
            self.send_state();
        }
    }

    /// The lock holder takes the phone when no other owner is heard.
    fn consider(&self) {
        let holder = self.0.holds_lock.get() || locks().is_none();
        if !holder || matches!(self.role(), Role::Owner | Role::Unlinked) || self.0.closed.get() {
            let patience = if self.0.reloaded { RELOAD_LOCK_GRACE_MS } else { 1_500.0 };
            if !holder && self.role() == Role::Starting && self.0.lock_busy.get() && now() - self.0.started > patience && !self.0.owner_linked.get() {
                // The lock is held by a window this one does not hear as linked: it is not linked.
                self.set_role(Role::Unlinked);
            }
            return;
        }
        let t = now();
        // With the lock ours, an owner on our channel (same partition) has let go of it: it is gone.
        let owner_on_channel = self.0.owner.borrow().as_ref().map(|(o, _)| self.0.on_channel.borrow().contains(o)).unwrap_or(false);
        let shares_lock = self.0.holds_lock.get() && owner_on_channel;
        // The owner's heir may be about to take the lock with the calls: give it a moment.
        let heard = self.0.owner.borrow().is_some();
        if shares_lock && heard && t - self.0.granted_at.get() < 1_000.0 {
            return;
        }
        if self.0.orphan.borrow().is_none() && t - self.0.owner_left_at.get() < 1_000.0 {
            return;
        }
        let owner_alive = !shares_lock && self.0.owner.borrow().as_ref().map(|(_, at)| t - at < OWNER_SILENT_MS).unwrap_or(false);
        // Without Web Locks, an owner this window is not linked to keeps the phone.
        if owner_alive && !self.0.owner_linked.get() && locks().is_none() {
            self.set_role(Role::Unlinked);
            return;
        }
        // A pop-out waits for the owner that opened it (a few seconds) rather than starting a phone of its own.
        let patience = if self.0.wants.get() { 3_000.0 } else { 250.0 };
        if owner_alive || t - self.0.started < patience {
            return;
        }
        let packet = self.0.orphan.borrow_mut().take().filter(|(_, at)| t - at < PACKET_TTL_MS).map(|(p, _)| p);
        self.become_owner(packet);
    }

    fn tick(&self) {
        match self.role() {
            Role::Owner => {
                let claim = self.0.pending_claim.borrow().clone();
                if let Some(c) = claim {
                    if self.give(&c) {
                        return;
                    }
                }
                // A heartbeat only when no state went out since the last beat (changes are sent at once).
                if now() - self.0.state_sent.get() >= BEAT_MS as f64 * 0.9 {
                    self.send_state();
                }
            }
            _ => {
                // A pop-out repeats its claim until the owner answers (its first may have come too early).
                if self.0.wants.get() && self.0.trust.borrow().ticket.is_some() && now() - self.0.started < trust::TICKET_TTL_MS {
                    self.send_claim();
                }
                self.consider()
            }
        }
    }

    /// A reloaded window asks for the free lock again in a moment (see [`RELOAD_LOCK_GRACE_MS`]).
    fn ask_again_later(&self) {
        let weak = Rc::downgrade(&self.0);
        let again = Closure::once_into_js(move || {
            if let Some(i) = weak.upgrade() {
                let g = Group(i);
                if !g.0.closed.get() && g.role() == Role::Starting && !g.0.holds_lock.get() && !g.0.queued.get() {
                    g.request_lock(Ask::IfFree);
                }
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(again.unchecked_ref(), RELOAD_RETRY_MS);
        }
    }

    fn request_lock(&self, ask: Ask) {
        let Some(locks) = locks() else { return };
        let Ok(request) = js_sys::Reflect::get(&locks, &"request".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) else { return };
        if ask != Ask::IfFree {
            self.0.queued.set(true);
        }
        let gen = self.0.lock_reqs.get() + 1;
        self.0.lock_reqs.set(gen);
        let weak = Rc::downgrade(&self.0);
        let granted = Closure::once_into_js(move |lock: JsValue| -> js_sys::Promise {
            let Some(i) = weak.upgrade() else { return js_sys::Promise::resolve(&JsValue::NULL) };
            if i.closed.get() {
                return js_sys::Promise::resolve(&JsValue::NULL);
            }
            if lock.is_null() {
                // Asked only if free, and another window holds it.
                i.lock_busy.set(true);
                let g = Group(i);
                if g.0.reloaded && g.role() == Role::Starting && now() - g.0.started < RELOAD_LOCK_GRACE_MS && !g.0.owner_linked.get() {
                    // Most likely this window's own document before the reload: asked again shortly.
                    g.ask_again_later();
                }
                g.consider();
                return js_sys::Promise::resolve(&JsValue::NULL);
            }
            let mut resolve_fn = None;
            let held = js_sys::Promise::new(&mut |resolve, _| resolve_fn = Some(resolve));
            *i.release.borrow_mut() = resolve_fn;
            i.holds_lock.set(true);
            i.lock_gen.set(gen);
            i.queued.set(true);
            i.granted_at.set(now());
            let g = Group(i);
            let packet = g.0.orphan.borrow().as_ref().map(|(p, _)| p.clone());
            if ask == Ask::Steal && packet.is_some() {
                *g.0.orphan.borrow_mut() = None;
                g.become_owner(packet);
            } else {
                g.consider();
            }
            held
        });
        let opts = js_sys::Object::new();
        match ask {
            Ask::Steal => {
                let _ = js_sys::Reflect::set(&opts, &"steal".into(), &JsValue::TRUE);
            }
            Ask::IfFree => {
                let _ = js_sys::Reflect::set(&opts, &"ifAvailable".into(), &JsValue::TRUE);
            }
            Ask::Queue => {}
        }
        let Ok(p) = request.call3(&locks, &JsValue::from_str(&self.0.lock), &opts, &granted) else { return };
        // A stolen lock rejects the holder's request: it queues again (a later handover comes back to it).
        let weak = Rc::downgrade(&self.0);
        let lost = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
            if let Some(i) = weak.upgrade() {
                if i.lock_gen.get() != gen {
                    // Not the request holding the lock (our own steal took over from it).
                    return;
                }
                i.holds_lock.set(false);
                i.queued.set(false);
                *i.release.borrow_mut() = None;
                if !i.closed.get() {
                    let g = Group(i);
                    if g.role() == Role::Owner {
                        // Stolen without a handover (an heir took it): stop being the owner.
                        g.0.host.hand_over();
                        g.set_role(Role::Remote);
                    }
                    if g.is_member() {
                        g.request_lock(Ask::Queue);
                    }
                }
            }
        });
        if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
            let _ = p.catch(&lost);
        }
        lost.forget();
    }

    /// Leaves the group (the page is going away, or a test closes an instance): an owner hands `packet`
    /// to one linked window (its heir, if any is still there), tells the others it left (without
    /// secrets), and lets go of the lock.
    /// Returns the heir the phone was handed to, if any.
    pub fn leave(&self, packet: Option<Value>) -> Option<String> {
        if self.0.closed.get() {
            return None;
        }
        let mut handed = None;
        if self.role() == Role::Owner {
            let alive = self.links_but(&|l| !self.0.gone.borrow().contains(l));
            let heir = self.0.trust.borrow().heir(&alive);
            if let (Some(h), Some(p)) = (heir, packet.filter(Value::is_object)) {
                let links = self.links_but(&|l| *l != h);
                self.send(Kind::Handover { packet: p, links }, Some(&h));
                handed = Some(h);
            }
        }
        self.send(Kind::Bye, None);
        self.0.closed.set(true);
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.0.timer.get());
        }
        if let Some(r) = self.0.release.borrow_mut().take() {
            let _ = r.call0(&JsValue::NULL);
        }
        if let Some(c) = &self.0.chan {
            c.set_onmessage(None);
            c.close();
        }
        handed
    }
}
