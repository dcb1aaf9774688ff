//! Where the outbox lives and how it moves between windows (browser edge of [`super::outbox`]; the desk
//! core keeps the outbox itself and merges it when the window takes the phone).
//!
//! - One durable copy per browser profile (storage partition) and deployment: localStorage under
//!   [`key_for`] (`agent-desktop.outbox.<deployment tag>`). Only the window that owns the phone writes it
//!   ([`save`]) and delivers from it; a remote view never writes it.
//! - Handing the phone over: the packet carries the outbox and a nonce; the sender keeps its stored copy
//!   marked as handed until the receiver, having stored it, acknowledges the nonce in its state
//!   (`outboxAck`); then the sender forgets those entries ([`on_state`]).
//! - A stored or handed-over outbox that cannot be read is kept aside and reported, never overwritten
//!   ([`crate::stored`]); an outbox written by an older version under the old key is taken over once.

use super::outbox::{self, Outbox};
use crate::tabs::Role;
use crate::json::Value;
use crate::phone::sip::hash::sha256;
use crate::cell::RefCell;

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
    // The first 6 bytes of the hash in lower-case hex (written digit by digit: no text per byte).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::from(LEGACY_KEY);
    key.push('.');
    for b in &sha256(deployment_key.as_bytes())[..6] {
        key.push(HEX[(b >> 4) as usize] as char);
        key.push(HEX[(b & 15) as usize] as char);
    }
    key
}

/// The stored copy (an unreadable one is kept aside and reported; an older version's is taken once).
pub fn load(key: &str) -> Outbox {
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
pub fn save(key: &str, role: Role, o: &Outbox) -> bool {
    let ok = match role {
        Role::Owner => crate::stored::save(key, o),
        // Before the election: activities queued already are added to the stored copy (not written over
        // it; this window has not read it yet).
        Role::Starting => {
            let mut stored = load(key);
            for e in &o.entries {
                if !stored.entries.iter().any(|m| m.activity.call_id == e.activity.call_id) {
                    stored.entries.push(e.clone());
                }
            }
            crate::stored::save(key, &stored)
        }
        Role::Remote | Role::Unlinked => return false,
    };
    if ok && role == Role::Owner && crate::browser::load(LEGACY_KEY).is_some() {
        crate::browser::remove(LEGACY_KEY);
    }
    ok
}

/// Before taking a packet: whether its outbox (if any) can be read. One that cannot is kept aside and
/// reported, and will not be acknowledged (the sender keeps its copy).
pub fn readable(key: &str, packet: Option<&Value>) -> bool {
    let Some(text) = packet.and_then(|p| p.get("outbox")).and_then(Value::as_str) else { return true };
    match outbox::parse(text) {
        Ok(_) => true,
        Err(why) => {
            crate::stored::keep_aside(&format!("{key}.handover"), text, &why);
            false
        }
    }
}

/// The packet's outbox was taken and stored: acknowledge its nonce in this window's state.
pub fn acknowledge(packet: &Value) {
    ACK.with(|a| *a.borrow_mut() = packet.get("outboxId").and_then(Value::as_str).filter(|n| n.len() <= 32).map(str::to_string));
}

/// A hand-over went out with this copy: its nonce goes into the packet (`outboxId`).
pub fn handed(copy: &Outbox) -> String {
    let id = crate::desk::core::hex16(((crate::browser::random_u32() as u64) << 32) | crate::browser::random_u32() as u64);
    HANDED.with(|h| *h.borrow_mut() = Some((id.clone(), copy.ids())));
    id
}

/// The owner's state carries the acknowledgement of the outbox it took over.
pub fn ack() -> Value {
    ACK.with(|a| a.borrow().clone()).map(Value::String).unwrap_or(Value::Null)
}

/// A remote view reads the owner's state: when it acknowledges this window's last hand-over, the
/// handed copies are forgotten here (only they: the stored copy is rewritten only if one was removed).
pub fn on_state(key: &str, role: Role, state: &Value) {
    let Some(ack) = state.get("outboxAck").and_then(Value::as_str) else { return };
    let Some(ids) = HANDED.with(|h| h.borrow().as_ref().filter(|(n, _)| n == ack).map(|(_, ids)| ids.clone())) else { return };
    HANDED.with(|h| *h.borrow_mut() = None);
    if role == Role::Owner {
        return;
    }
    let Some(text) = crate::browser::load(key) else { return };
    let Ok(mut stored) = outbox::parse(&text) else { return };
    if stored.acknowledged(&ids) {
        crate::stored::save(key, &stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_s_outbox_key_is_the_legacy_key_and_the_hash_s_first_six_bytes_in_hex() {
        for dep in ["", "https://acme.service-now.com|https://acme.service-now.com|config.json", "ü"] {
            let hex: String = sha256(dep.as_bytes())[..6].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(key_for(dep), format!("agent-desktop.outbox.{hex}"));
        }
        assert_ne!(key_for("a"), key_for("b"));
    }
}
