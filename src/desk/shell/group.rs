//! The shell's side of the window group (`crate::tabs`): joining it, the owner's state for the remote
//! views, handing the phone over, and saving the state when the page goes away (reload, navigation).

use super::super::{Desk, FrameRequest, Input, Intent, OwnerState, SNAPSHOT_KEY, WINDOW_KEY, WRAPUPS_KEY};
use super::run::{load_json, now_ms};
use crate::servicenow::outbox_store;
use crate::browser;
use crate::phone::call::Call;
use crate::phone::sipline;
use crate::servicenow::service;
use crate::strings as t;
use crate::tabs::{self, Group, Join, Role};
use crate::trust;
use leptos::prelude::*;
use crate::json::{json, Value};

impl Desk {
    /// Saves the state whenever this page goes away (reload, navigation, tab closed), not only when
    /// ServiceNow announces it with `openframe_before_destroy`.
    pub(super) fn persist_on_pagehide(&self) {
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
            let mut w = json!({"dep": self.deployment_key(), "id": id, "links": links, "gone": g.gone()});
            if let Some(n) = super::frame::pop_out_name() {
                w["pop"] = Value::from(n);
            }
            // The owner this window waits for after its reload: the one it was a remote view of, or the heir
            // it has just handed the phone to (else both would own it: the reloaded window in its own storage
            // partition, the heir in the pop-out's).
            let owner = g.owner();
            let heir = g.leave(packet).map(|h| (h, js_sys::Date::now()));
            if let Some((owner, at)) = heir.or(owner) {
                w["owner"] = Value::from(owner);
                w["ownerAt"] = Value::from(at);
            }
            browser::session_save(WINDOW_KEY, &w.to_string());
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

    pub(super) fn group(&self) -> Option<Group> {
        self.core.try_with_value(|(_, g, _)| g.clone()).flatten()
    }

    /// Joins the group of this deployment's instances (a pop-out with its ticket asks for the phone at
    /// once; `popout=1` alone does nothing).
    pub(super) fn join_group(&self) {
        // Read once, at the start: the window's links before a reload and the ticket are taken, not copied.
        let (dep, before, ticket) = self.core.try_update_value(|(_, _, s)| (s.dep.clone(), s.before.take(), s.ticket.take())).unwrap_or_default();
        let tag = dep.tag();
        let (before, owner, gone) = before.map_or((None, None, Vec::new()), |(id, links, owner, gone)| (Some((id, links)), owner, gone));
        let join = Join { dep: dep.key(), ticket, before, owner, gone };
        self.join_group_named(&crate::text::cat(&[tabs::CHANNEL, ".", &tag]), &crate::text::cat(&[tabs::LOCK, ".", &tag]), join);
    }

    /// Joins the group `channel` / `lock` (tests use their own names).
    pub fn join_group_named(&self, channel: &str, lock: &str, join: Join) {
        let waits = join.owner.is_some();
        let g = Group::join(channel, lock, Box::new(DeskHost(*self)), join);
        if self.member.get_untracked() {
            g.set_framed();
        }
        if let Some(opener) = web_sys::window().and_then(|w| w.opener().ok()).filter(|o| !o.is_null()) {
            // The opener is another window (another realm): `instanceof Window` would be false.
            use wasm_bindgen::JsCast;
            g.link_opener(opener.unchecked_into::<web_sys::Window>());
        }
        // Waiting for the pop-out that had the phone when this page reloaded: it is told where this window is.
        if let Some(p) = waits.then(Self::find_pop_out).flatten() {
            g.link_found(p);
        }
        self.core.update_value(|(_, x, _)| *x = Some(g));
        // The owner tells the other instances about every change (and every second anyway).
        let desk = *self;
        super::run::effect(Box::new(move || {
            desk.calls.track();
            desk.agent_state.track();
            desk.muted.track();
            desk.line_status.track();
            desk.wrapups.track();
            // While a call alerts, after the frame that shows it is painted (issue #16: the card first).
            let publish = move || {
                if desk.role.get_untracked() == Role::Owner {
                    if let Some(g) = desk.group() {
                        g.publish_state();
                    }
                }
            };
            let alerting = desk.calls.with_untracked(|c| c.iter().any(|c| c.state == crate::phone::call::CallState::Alerting));
            if alerting && crate::phone::media::paints() {
                crate::phone::media::after_paint_run(Box::new(publish));
            } else {
                publish();
            }
        }));
    }

    /// "Use the phone here": asks the owner to hand the phone over (a window that is not linked asks the
    /// agent there).
    pub fn claim_phone(&self) {
        if let Some(g) = self.group() {
            g.claim();
            if self.role.get_untracked() == Role::Unlinked {
                crate::desk::shell::aput(&self.notice, Some(t::Key::ASKED_OWNER.into()));
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
    fn owner_state(&self) -> Value {
        // ServiceNow's configuration record, for an instance outside ServiceNow (the pop-out); read in
        // place with the core (one access, no copy).
        let Some(mut v) = self.core.try_with_value(|(c, _, s)| c.owner_state_json(&s.openframe)) else { return Value::Null };
        // The acknowledgement of the outbox this window took over (its sender forgets its copy then).
        v["outboxAck"] = outbox_store::ack();
        v
    }

    fn apply_owner_state(&self, v: &Value) {
        outbox_store::on_state(&self.outbox_key(), self.role.get_untracked(), v);
        let Some(s) = OwnerState::from_json(v) else { return };
        if let Some(cfg) = s.of_config.clone().filter(|_| self.core.with_value(|(_, _, s)| s.openframe.is_none())) {
            self.core.update_value(|(_, _, s)| s.openframe = Some(cfg));
            self.re_resolve();
        }
        self.run(Input::OwnerState(s));
    }

    /// What the next owner needs: the desk's packet, with the line's sign-in and dialogs and the
    /// ServiceNow sign-in. `release` lets go of the line.
    fn packet(&self, release: bool) -> Value {
        let line = if release { sipline::hand_over() } else { sipline::takeovers() };
        let (creds, resume) = line.unwrap_or_default();
        let Some((mut p, held)) = self.with_core(|c| (c.packet(now_ms()), c.held_calls())) else { return Value::Null };
        p["sip"] = if creds.server.is_empty() {
            Value::Null
        } else {
            json!({"server": creds.server, "domain": creds.domain, "user": creds.user, "password": creds.password, "ice": crate::text::join(&creds.ice, " ")})
        };
        let mut list = Vec::new();
        for r in &resume {
            list.push(json!({"id": r.id, "target": r.target, "replaces": r.replaces, "held": r.held || held.contains(&r.id)}));
        }
        p["resume"] = Value::Array(list);
        p["sn"] = service::token_text().map(Value::from).unwrap_or(Value::Null);
        // The outbox: this window keeps its copy, marked handed, until the receiver acknowledges the nonce.
        let copy = self.core.try_update_value(|(c, _, _)| c.hand_over_outbox()).unwrap_or_default();
        self.save(crate::desk::Store::Outbox);
        p["outboxId"] = Value::from(outbox_store::handed(&copy));
        p["outbox"] = Value::from(crate::json::to_string(&copy));
        p
    }

    /// Another instance asked for the phone: hand it over unless a call is being set up (then later).
    fn hand_over(&self) -> Option<Value> {
        if !self.with_core(|c| c.can_hand_over()).unwrap_or(false) {
            return None;
        }
        let p = self.packet(true);
        crate::phone::audio::sync(false, false, false);
        Some(p)
    }

    /// This instance now owns the phone: takes over what the previous owner (or this tab before a reload)
    /// handed over, signs in and takes the calls back.
    fn adopt(&self, packet: Option<Value>) {
        let key = self.outbox_key();
        // A packet whose outbox cannot be read: kept aside and reported, taken without it, not acknowledged.
        let mut packet = packet;
        let readable = outbox_store::readable(&key, packet.as_ref());
        if !readable {
            if let Some(p) = packet.as_mut().and_then(Value::as_object_mut) {
                p.remove("outbox");
            }
        }
        self.run(Input::Adopt { packet: packet.clone(), stored_wrapups: load_json(WRAPUPS_KEY).unwrap_or_default(), stored_outbox: outbox_store::load(&key) });
        // Stored (by the Save effect the core asked for): acknowledged in this window's state.
        let stored = self.with_core(|c| crate::browser::load(&key).is_some() && c.role == Role::Owner).unwrap_or(false);
        if let (true, true, Some(p)) = (readable, stored, packet.as_ref().filter(|p| p.get("outbox").is_some())) {
            outbox_store::acknowledge(p);
        }
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
        trust::seal_snapshot(&mut sealed, &self.deployment_key(), now_ms());
        browser::session_save(SNAPSHOT_KEY, &sealed.to_string());
        Some(p)
    }

    /// The state read back after a reload, as kept until this window knows whether it owns the phone
    /// (diagnostics and tests: secrets only while fresh, nothing of another deployment).
    pub fn saved_snapshot(&self) -> Option<Value> {
        self.with_core(|c| c.saved.clone()).flatten()
    }

    /// This window's deployment key (see crate::trust).
    pub fn deployment_key(&self) -> String {
        self.core.with_value(|(_, _, s)| s.dep.key())
    }

    /// Reads the state saved before a reload (already removed from storage): only a snapshot of this
    /// deployment, its secrets only when fresh.
    pub(super) fn restore_snapshot(&self, text: &str) {
        let Some(v) = trust::open_snapshot(text, &self.deployment_key(), now_ms()) else { return };
        self.run(Input::Restore(v));
    }
}

/// The desk as a member of the group of windows: typed messages both ways.
struct DeskHost(Desk);

impl tabs::Host for DeskHost {
    fn become_owner(&self, packet: Option<Value>) {
        self.0.adopt(packet)
    }
    fn hand_over(&self) -> Option<Value> {
        self.0.hand_over()
    }
    fn state(&self) -> Value {
        self.0.owner_state()
    }
    fn on_state(&self, state: Value) {
        self.0.apply_owner_state(&state)
    }
    fn on_command(&self, cmd: Value) {
        if let Some(intent) = Intent::from_json(&cmd) {
            self.0.run(Input::Remote(intent));
        }
    }
    fn on_relay(&self, msg: Value) {
        if let Some(r) = FrameRequest::from_json(&msg) {
            self.0.run(Input::ForOwner(r));
        }
    }
    fn on_role(&self, role: Role) {
        self.0.run(Input::Role(role));
    }
    fn on_asking(&self, waiting: usize) {
        self.0.asking.set(waiting);
    }
    fn on_member(&self) {
        self.0.member.set(true);
    }
    fn on_refused(&self) {
        self.0.notice.set(Some(t::Key::NOT_LINKED.into()));
    }
}
