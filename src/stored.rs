//! What the desktop keeps in localStorage (drafts, recent calls, the outbox), read and written so that
//! nothing is lost silently (browser edge):
//! - a stored text that cannot be read (garbage, another version's shape) is kept aside under a key of its
//!   own, never overwritten, and reported to the agent ([`problems`]);
//! - a write the browser refuses (storage full: `setItem` throws) is reported at once, while the agent can
//!   still copy what is on screen; the report goes when a later write of the same key succeeds.

use leptos::prelude::*;

/// The storage problems, kept outside the arena and told to their readers by a counter signal (a usize
/// signal, a type the desk already has: no signal type of its own, issue #16). Owned by no component: they
/// outlive any view that shows them (a view's signals are disposed with it).
struct Problems {
    list: crate::cell::RefCell<Vec<(String, String)>>,
    changed: ArcRwSignal<usize>,
}

thread_local! {
    static PROBLEMS: Problems = Problems { list: crate::cell::RefCell::new(Vec::new()), changed: ArcRwSignal::new(0) };
}

/// The storage problems to show the agent: (key, message) (tracked: the reader runs again when they change).
pub fn problems() -> Vec<(String, String)> {
    PROBLEMS.with(|p| {
        p.changed.track();
        p.list.borrow().clone()
    })
}

#[inline(never)]
fn change(f: &mut dyn FnMut(&mut Vec<(String, String)>)) {
    PROBLEMS.with(|p| {
        f(&mut p.list.borrow_mut());
        p.changed.update(|n| *n += 1);
    });
}

fn report(key: &str, message: Option<String>) {
    let now = PROBLEMS.with(|p| p.list.borrow().iter().find(|(k, _)| k == key).map(|(_, m)| m.clone()));
    if now == message {
        return;
    }
    let mut message = message;
    change(&mut |l| {
        l.retain(|(k, _)| k != key);
        if let Some(m) = message.take() {
            l.push((key.to_string(), m));
        }
    });
}

/// The key an unreadable text of `key` is kept under: the first of `key.unreadable`, `key.unreadable.2`...
/// that is free (an earlier one is never overwritten).
pub fn aside_key(key: &str, taken: impl Fn(&str) -> bool) -> Option<String> {
    (1..=20).map(|n| if n == 1 { format!("{key}.unreadable") } else { format!("{key}.unreadable.{n}") }).find(|k| !taken(k))
}

/// Keeps `text` aside (it could not be read as `key`) and reports it; returns where it went.
pub fn keep_aside(key: &str, text: &str, why: &str) -> Option<String> {
    let aside = aside_key(key, |k| crate::browser::load(k).is_some());
    let kept = aside.clone().filter(|a| crate::browser::save(a, text));
    report(&format!("{key}#read"), Some(crate::strings::stored_unreadable(key, kept.as_deref(), why)));
    kept
}

/// Reads `key` as JSON with `parse`; a text that fails is kept aside and reported (None is returned, and
/// the caller starts empty: the text itself is safe under the aside key).
pub fn load_with<T>(key: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
    let text = crate::browser::load(key)?;
    match parse(&text) {
        Ok(v) => Some(v),
        Err(why) => {
            keep_aside(key, &text, &why);
            crate::browser::remove(key);
            None
        }
    }
}

pub fn load<T: crate::json::FromJson>(key: &str) -> Option<T> {
    load_with(key, |t| {
        let v = crate::json::parse(t).map_err(|e| not_json(&e))?;
        T::from_json(&v).ok_or_else(|| crate::strings::Msg::from(crate::strings::Key::STORED_WRONG_SHAPE).render())
    })
}

/// Why a stored text is not JSON, in the agent's language (the position, not the parser's English words).
pub fn not_json(e: &crate::json::Error) -> String {
    crate::strings::Key::STORED_NOT_JSON.arg("line", &e.line()).arg("column", &e.column()).render()
}

/// Writes `text` under `key`; false (and a report) when the browser refuses it.
pub fn save_text(key: &str, text: &str) -> bool {
    let ok = crate::browser::save(key, text);
    report(key, (!ok).then(|| crate::strings::stored_full(key).render()));
    ok
}

pub fn save<T: crate::json::ToJson>(key: &str, v: &T) -> bool {
    save_text(key, &crate::json::to_string(v))
}

/// The key [`probe`] writes (and removes at once).
pub const PROBE_KEY: &str = "agent-desktop.probe";

/// Whether storage can still take `bytes` more (what a wrap-up with its notes needs): written and removed
/// at once. A refusal is reported (during the call, while the agent can still copy what they typed).
pub fn probe(bytes: usize) -> bool {
    let ok = crate::browser::save(PROBE_KEY, &"0".repeat(bytes));
    crate::browser::remove(PROBE_KEY);
    report(PROBE_KEY, (!ok).then(|| crate::strings::stored_full(PROBE_KEY).render()));
    ok
}

/// The agent read the report of an unreadable text (it stays under its aside key).
pub fn dismiss(key: &str) {
    change(&mut |l| l.retain(|(k, _)| k != key));
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_aside_key_never_overwrites_an_earlier_one() {
        let taken = ["k.unreadable".to_string(), "k.unreadable.2".to_string()];
        assert_eq!(super::aside_key("k", |k| taken.iter().any(|t| t == k)).as_deref(), Some("k.unreadable.3"));
        assert_eq!(super::aside_key("k", |_| false).as_deref(), Some("k.unreadable"));
        assert_eq!(super::aside_key("k", |_| true), None);
    }
}
