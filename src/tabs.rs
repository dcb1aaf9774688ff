//! One owner of the phone across the desktop's tabs and frames.
//!
//! Every instance of the desktop (the frame inside ServiceNow, a popped-out tab, a second tab) joins a
//! group. Exactly one instance, the owner, runs the phone (SIP registration, calls, audio); the others are
//! remote views: they show the owner's state and send it commands.
//!
//! - Election: the Web Locks API (`navigator.locks`, lock [`LOCK`]). The holder of the lock may own the phone;
//!   the others wait in the lock's queue, so closing the owner hands the phone to the next instance.
//! - Messages: a `BroadcastChannel` ([`CHANNEL`]), plus `postMessage` to our own origin between a frame and
//!   the tab it popped out (they can sit in different storage partitions, where neither the channel nor
//!   the lock reaches across). A lock holder that still hears another owner (a different partition) waits
//!   until that owner is gone. Without Web Locks, an instance acts as the lock holder and the same rule,
//!   plus a tie-break on the instance id, keeps a single owner.
//! - Handover: an instance that wants the phone (a pop-out, "Use the phone here") sends `claim`; the owner
//!   lets go of its line without hanging up and sends `handover` with a packet (sign-in, calls and the
//!   dialog names to take them over); the claimer steals the lock and takes the calls over. An owner that
//!   goes away sends `bye` with the same packet for whoever gets the lock next.
//!
//! Only messages from our own origin are read (a `BroadcastChannel` is same-origin by construction; window
//! messages are checked), and they are parsed as JSON, never inserted as HTML.

use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub const CHANNEL: &str = "agent-desktop";
pub const LOCK: &str = "agent-desktop.phone";
/// An owner that cannot hold our lock (another storage partition, or no Web Locks) and has not been heard
/// for this long is gone. Long, because browsers wake timers in a background tab only once a minute; an
/// owner that closes says so at once (`bye`). An owner heard on our channel shares our lock: once the lock
/// is ours, it is gone.
pub const OWNER_SILENT_MS: f64 = 75_000.0;
/// The owner's state goes out at least this often (it doubles as its heartbeat).
pub const BEAT_MS: i32 = 1_000;
/// A packet left by an owner that went away is used only this soon after.
pub const PACKET_TTL_MS: f64 = 15_000.0;
/// Marks our messages among other window messages.
const MARK: &str = "{\"ad\":1,";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Looking for an owner.
    Starting,
    Owner,
    Remote,
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
}

struct Inner {
    id: String,
    lock: String,
    host: Box<dyn Host>,
    chan: Option<web_sys::BroadcastChannel>,
    /// Windows linked by opener (the frame and its pop-out).
    windows: RefCell<Vec<web_sys::Window>>,
    origin: String,
    seq: Cell<u32>,
    seen: RefCell<Vec<(String, u32)>>,
    role: Cell<Role>,
    holds_lock: Cell<bool>,
    /// Resolves the promise the held lock waits on (lets go of it).
    release: RefCell<Option<js_sys::Function>>,
    /// The other owner last heard, and when.
    owner: RefCell<Option<(String, f64)>>,
    /// Instances heard on our channel: they share our storage partition, so our lock.
    on_channel: RefCell<Vec<String>>,
    /// When the lock was last granted.
    granted_at: Cell<f64>,
    /// When this instance last sent its state.
    state_sent: Cell<f64>,
    /// A packet from an owner that left, with when it came.
    orphan: RefCell<Option<(Value, f64)>>,
    /// Claims not answered yet (the owner was busy): the claimer's id.
    pending_claim: RefCell<Option<String>>,
    /// This instance wants the phone (a pop-out) once it hears the owner.
    wants: Cell<bool>,
    closed: Cell<bool>,
    started: f64,
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
    ev.origin() == own_origin() && ev.data().as_string().map(|d| d.starts_with(MARK)).unwrap_or(false)
}

fn locks() -> Option<JsValue> {
    let nav = web_sys::window()?.navigator();
    let l = js_sys::Reflect::get(&nav, &"locks".into()).ok()?;
    (!l.is_undefined() && !l.is_null()).then_some(l)
}

impl Group {
    /// Joins the group named `channel` (the lock is `lock`). `wants` asks for the phone as soon as the
    /// owner is heard (the pop-out). `opener` links this window with the one that opened it.
    pub fn join(channel: &str, lock: &str, host: Box<dyn Host>, wants: bool) -> Group {
        let id = format!("{:08x}{:08x}", crate::phone::media::random_u32(), crate::phone::media::random_u32());
        let chan = web_sys::BroadcastChannel::new(channel).ok();
        let inner = Rc::new(Inner {
            id,
            lock: lock.to_string(),
            host,
            chan,
            windows: RefCell::new(Vec::new()),
            origin: own_origin(),
            seq: Cell::new(0),
            seen: RefCell::new(Vec::new()),
            role: Cell::new(Role::Starting),
            holds_lock: Cell::new(false),
            release: RefCell::new(None),
            owner: RefCell::new(None),
            on_channel: RefCell::new(Vec::new()),
            granted_at: Cell::new(0.0),
            state_sent: Cell::new(0.0),
            orphan: RefCell::new(None),
            pending_claim: RefCell::new(None),
            wants: Cell::new(wants),
            closed: Cell::new(false),
            started: now(),
            timer: Cell::new(-1),
            closures: RefCell::new(Vec::new()),
        });
        let g = Group(inner);
        g.listen();
        g.send("hello", None, Value::Null);
        g.request_lock(false);
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

    pub fn role(&self) -> Role {
        self.0.role.get()
    }

    /// Links a window (the pop-out this frame opened, or the frame that opened this tab).
    pub fn link(&self, w: web_sys::Window) {
        self.0.windows.borrow_mut().push(w);
    }

    fn listen(&self) {
        let weak = Rc::downgrade(&self.0);
        let on_chan = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let (Some(i), Some(text)) = (weak.upgrade(), ev.data().as_string()) {
                Group(i).receive(&text, true);
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
            if let Some(text) = ev.data().as_string().filter(|d| d.starts_with(MARK)) {
                Group(i).receive(&text, false);
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("message", on_window.as_ref().unchecked_ref());
        }
        let mut c = self.0.closures.borrow_mut();
        c.push(on_chan.into_js_value());
        c.push(on_window.into_js_value());
    }

    /// Sends a message to the group (`to`: one instance, or all).
    pub fn send(&self, kind: &str, to: Option<&str>, v: Value) {
        if self.0.closed.get() {
            return;
        }
        if kind == "state" {
            self.0.state_sent.set(now());
        }
        let seq = self.0.seq.get() + 1;
        self.0.seq.set(seq);
        // The mark comes first, as written in MARK.
        let text = format!("{}{}", MARK, &json!({"from": self.0.id, "seq": seq, "k": kind, "to": to, "v": v}).to_string()[1..]);
        if let Some(c) = &self.0.chan {
            let _ = c.post_message(&JsValue::from_str(&text));
        }
        self.0.windows.borrow_mut().retain(|w| !w.closed().unwrap_or(true));
        for w in self.0.windows.borrow().iter() {
            let _ = w.post_message(&JsValue::from_str(&text), &self.0.origin);
        }
    }

    fn receive(&self, text: &str, on_channel: bool) {
        let Ok(m) = serde_json::from_str::<Value>(text) else { return };
        let (Some(from), Some(seq), Some(kind)) = (m["from"].as_str(), m["seq"].as_u64(), m["k"].as_str()) else { return };
        if from == self.0.id || self.0.closed.get() {
            return;
        }
        if let Some(to) = m["to"].as_str() {
            if to != self.0.id {
                return;
            }
        }
        if on_channel && !self.0.on_channel.borrow().iter().any(|p| p == from) {
            let mut peers = self.0.on_channel.borrow_mut();
            peers.push(from.to_string());
            if peers.len() > 32 {
                peers.remove(0);
            }
        }
        // The same message can come by the channel and by the window link.
        {
            let mut seen = self.0.seen.borrow_mut();
            let key = (from.to_string(), seq as u32);
            if seen.contains(&key) {
                return;
            }
            seen.push(key);
            if seen.len() > 64 {
                seen.remove(0);
            }
        }
        let v = m["v"].clone();
        let host = &self.0.host;
        match kind {
            "hello" if self.role() == Role::Owner => self.send("state", None, host.state()),
            "state" => {
                *self.0.owner.borrow_mut() = Some((from.to_string(), now()));
                if self.role() == Role::Owner {
                    // Two owners (different partitions, or no Web Locks): the lower id gives way.
                    if self.0.id.as_str() < from {
                        self.give(from);
                    }
                    return;
                }
                self.set_role(Role::Remote);
                host.on_state(v);
                if self.0.wants.replace(false) {
                    self.send("claim", Some(from), Value::Null);
                }
            }
            "cmd" if self.role() == Role::Owner => host.on_command(v),
            "of" if self.role() != Role::Owner => host.on_relay(v),
            "claim" if self.role() == Role::Owner => {
                if !self.give(from) {
                    *self.0.pending_claim.borrow_mut() = Some(from.to_string());
                }
            }
            "handover" => {
                *self.0.owner.borrow_mut() = None;
                self.take(Some(v));
            }
            "bye" => {
                let was_owner = self.0.owner.borrow().as_ref().map(|(o, _)| o == from).unwrap_or(false);
                if was_owner {
                    *self.0.owner.borrow_mut() = None;
                }
                if !v.is_null() {
                    *self.0.orphan.borrow_mut() = Some((v, now()));
                }
                self.consider();
            }
            _ => {}
        }
    }

    /// Hands the phone to `to`; false when the owner cannot let go now.
    fn give(&self, to: &str) -> bool {
        let Some(packet) = self.0.host.hand_over() else { return false };
        *self.0.pending_claim.borrow_mut() = None;
        self.set_role(Role::Remote);
        *self.0.owner.borrow_mut() = Some((to.to_string(), now()));
        self.send("handover", Some(to), packet);
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
        self.request_lock(true);
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
        self.send("state", None, self.0.host.state());
    }

    fn set_role(&self, role: Role) {
        if self.0.role.replace(role) != role {
            self.0.host.on_role(role);
        }
    }

    /// Asks for the phone ("Use the phone here").
    pub fn claim(&self) {
        if self.role() == Role::Owner {
            return;
        }
        let owner = self.0.owner.borrow().as_ref().map(|(o, _)| o.clone());
        match owner {
            Some(o) => self.send("claim", Some(&o), Value::Null),
            None => self.take(None),
        }
    }

    /// A remote view's command for the owner.
    pub fn command(&self, cmd: Value) {
        self.send("cmd", None, cmd);
    }

    /// The owner's state changed.
    pub fn publish_state(&self) {
        if self.role() == Role::Owner {
            self.send("state", None, self.0.host.state());
        }
    }

    /// The lock holder takes the phone when no other owner is heard.
    fn consider(&self) {
        let holder = self.0.holds_lock.get() || locks().is_none();
        if !holder || self.role() == Role::Owner || self.0.closed.get() {
            return;
        }
        let t = now();
        // With the lock ours, an owner on our channel (same partition) has let go of it: it is gone.
        let owner_on_channel = self.0.owner.borrow().as_ref().map(|(o, _)| self.0.on_channel.borrow().contains(o)).unwrap_or(false);
        let shares_lock = self.0.holds_lock.get() && owner_on_channel;
        // Its `bye` (with the calls) may arrive just after the lock: give it a moment.
        let heard = self.0.owner.borrow().is_some();
        if shares_lock && heard && self.0.orphan.borrow().is_none() && t - self.0.granted_at.get() < 1_000.0 {
            return;
        }
        let owner_alive = !shares_lock && self.0.owner.borrow().as_ref().map(|(_, at)| t - at < OWNER_SILENT_MS).unwrap_or(false);
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
                    self.give(&c);
                    return;
                }
                // A heartbeat only when no state went out since the last beat (changes are sent at once).
                if now() - self.0.state_sent.get() >= BEAT_MS as f64 * 0.9 {
                    self.send("state", None, self.0.host.state());
                }
            }
            _ => self.consider(),
        }
    }

    fn request_lock(&self, steal: bool) {
        let Some(locks) = locks() else { return };
        let Ok(request) = js_sys::Reflect::get(&locks, &"request".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) else { return };
        let weak = Rc::downgrade(&self.0);
        let granted = Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
            let mut resolve_fn = None;
            let held = js_sys::Promise::new(&mut |resolve, _| resolve_fn = Some(resolve));
            if let Some(i) = weak.upgrade() {
                if i.closed.get() {
                    return js_sys::Promise::resolve(&JsValue::NULL);
                }
                *i.release.borrow_mut() = resolve_fn;
                i.holds_lock.set(true);
                i.granted_at.set(now());
                let g = Group(i);
                let packet = g.0.orphan.borrow().as_ref().map(|(p, _)| p.clone());
                if steal && packet.is_some() {
                    *g.0.orphan.borrow_mut() = None;
                    g.become_owner(packet);
                } else {
                    g.consider();
                }
            }
            held
        });
        let opts = js_sys::Object::new();
        if steal {
            let _ = js_sys::Reflect::set(&opts, &"steal".into(), &JsValue::TRUE);
        }
        let Ok(p) = request.call3(&locks, &JsValue::from_str(&self.0.lock), &opts, &granted) else { return };
        // A stolen lock rejects the holder's request: it queues again (a later handover comes back to it).
        let weak = Rc::downgrade(&self.0);
        let lost = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
            if let Some(i) = weak.upgrade() {
                i.holds_lock.set(false);
                *i.release.borrow_mut() = None;
                if !i.closed.get() {
                    let g = Group(i);
                    if g.role() == Role::Owner {
                        // Stolen without a handover (should not happen): stop being the owner.
                        g.0.host.hand_over();
                        g.set_role(Role::Remote);
                    }
                    g.request_lock(false);
                }
            }
        });
        if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
            let _ = p.catch(&lost);
        }
        lost.forget();
    }

    /// Leaves the group (the page is going away, or a test closes an instance): an owner leaves `packet`
    /// for the next owner and lets go of the lock.
    pub fn leave(&self, packet: Option<Value>) {
        if self.0.closed.get() {
            return;
        }
        let v = if self.role() == Role::Owner { packet.unwrap_or(Value::Null) } else { Value::Null };
        self.send("bye", None, v);
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
    }
}
