//! Where the outbox lives and how it moves between windows (browser edge of [`super::outbox`]).
//!
//! - One durable copy per browser profile (storage partition) and deployment: localStorage under
//!   [`key`] (`agent-desktop.outbox.<deployment tag>`). Only the window that owns the phone writes it
//!   and delivers from it; a remote view keeps no copy.
//! - Taking the phone: the stored copy is merged with the outbox handed over, if any
//!   ([`super::outbox::Outbox::take_over`]); entries that were in flight or handed over are looked up
//!   before any resend.
//! - Handing the phone over: the packet carries the outbox and a nonce; the sender keeps its stored copy
//!   marked as handed until the receiver, having stored it, acknowledges the nonce in its state
//!   (`outboxAck`); then the sender forgets those entries.
//! - A stored or handed-over outbox that cannot be read is kept aside and reported, never overwritten
//!   ([`crate::stored`]); an outbox written by an older version under the old key is taken over once.

use super::outbox::{self, Outbox};
use crate::desk::Desk;
use crate::tabs::Role;
use leptos::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::cell::RefCell;

/// The key of versions before the outbox was kept per deployment.
pub const LEGACY_KEY: &str = "agent-desktop.outbox";

thread_local! {
    /// The last hand-over of this window: its nonce and the call ids it carried (forgotten on the ack).
    static HANDED: RefCell<Option<(String, Vec<String>)>> = const { RefCell::new(None) };
    /// The nonce of the outbox this window took over and stored (acknowledged in its state).
    static ACK: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The localStorage key of a deployment's outbox.
pub fn key_for(deployment_key: &str) -> String {
    let tag: String = Sha256::digest(deployment_key.as_bytes())[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{LEGACY_KEY}.{tag}")
}

fn key(desk: &Desk) -> String {
    key_for(&desk.deployment_key())
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn nonce() -> String {
    format!("{:08x}{:08x}", crate::phone::media::random_u32(), crate::phone::media::random_u32())
}

/// The stored copy (an unreadable one is kept aside and reported; an older version's is taken once).
fn load(key: &str) -> Outbox {
    if let Some(o) = crate::stored::load_with(key, outbox::parse) {
        return o;
    }
    if crate::browser::load(key).is_none() {
        if let Some(o) = crate::stored::load_with(LEGACY_KEY, outbox::parse) {
            // Kept under the new key at the next save; the old key goes then (see `save`).
            return o;
        }
    }
    Outbox::default()
}

/// Saves the outbox, only in the window that owns the phone (a remote view or a window still starting
/// must not overwrite the owner's copy). False when the browser refused it (reported to the agent).
pub fn save(desk: &Desk) -> bool {
    let k = key(desk);
    let ok = match desk.role.get_untracked() {
        Role::Owner => desk.outbox.with_untracked(|o| crate::stored::save(&k, o)),
        // Before the election: activities queued already are added to the stored copy (not written over
        // it; this window has not read it yet).
        Role::Starting => {
            let mut stored = load(&k);
            desk.outbox.with_untracked(|o| {
                for e in &o.entries {
                    if !stored.entries.iter().any(|m| m.activity.call_id == e.activity.call_id) {
                        stored.entries.push(e.clone());
                    }
                }
            });
            crate::stored::save(&k, &stored)
        }
        Role::Remote | Role::Unlinked => return false,
    };
    if ok && crate::browser::load(LEGACY_KEY).is_some() {
        crate::browser::remove(LEGACY_KEY);
    }
    ok
}

/// This window now owns the phone: merges its stored copy, activities it queued before the election,
/// and the outbox in `packet` (from the previous owner or this tab's snapshot), then stores the result
/// and acknowledges the packet's outbox once it is stored.
pub fn take(desk: &Desk, packet: Option<&Value>) {
    let k = key(desk);
    let mut merged = load(&k);
    let early = desk.outbox.get_untracked();
    for e in early.entries {
        if !merged.entries.iter().any(|m| m.activity.call_id == e.activity.call_id) && !merged.done.contains(&e.activity.call_id) {
            merged.entries.push(e);
        }
    }
    let text = packet.and_then(|p| p.get("outbox")).and_then(Value::as_str);
    let incoming = text.and_then(|t| match outbox::parse(t) {
        Ok(o) => Some(o),
        Err(why) => {
            // Not acknowledged: the sender keeps its copy (looked up before any resend there).
            crate::stored::keep_aside(&format!("{k}.handover"), t, &why);
            None
        }
    });
    let acked = incoming.is_some();
    merged.take_over(incoming, now());
    desk.outbox.set(merged);
    if save(desk) && acked {
        ACK.with(|a| *a.borrow_mut() = packet.and_then(|p| p["outboxId"].as_str()).filter(|n| n.len() <= 32).map(str::to_string));
    }
}

/// The outbox for a packet to another window (or this tab's reload): the copy, with a nonce for the
/// acknowledgement. This window's stored copy is kept, marked as handed.
pub fn hand_over(desk: &Desk) -> Value {
    let copy = desk.outbox.try_update(Outbox::hand_over).unwrap_or_default();
    save(desk);
    let id = nonce();
    HANDED.with(|h| *h.borrow_mut() = Some((id.clone(), copy.ids())));
    json!({"outbox": serde_json::to_string(&copy).unwrap_or_default(), "outboxId": id})
}

/// The owner's state carries the acknowledgement of the outbox it took over.
pub fn ack() -> Value {
    ACK.with(|a| a.borrow().clone()).map(Value::String).unwrap_or(Value::Null)
}

/// A remote view reads the owner's state: when it acknowledges this window's last hand-over, the
/// handed copies are forgotten here (only they: the stored copy is rewritten only if one was removed).
pub fn on_state(desk: &Desk, state: &Value) {
    let Some(ack) = state.get("outboxAck").and_then(Value::as_str) else { return };
    let Some(ids) = HANDED.with(|h| h.borrow().as_ref().filter(|(n, _)| n == ack).map(|(_, ids)| ids.clone())) else { return };
    HANDED.with(|h| *h.borrow_mut() = None);
    if desk.role.get_untracked() == Role::Owner {
        return;
    }
    let k = key(desk);
    let Some(text) = crate::browser::load(&k) else { return };
    let Ok(mut stored) = outbox::parse(&text) else { return };
    if stored.acknowledged(&ids) {
        crate::stored::save(&k, &stored);
    }
}
