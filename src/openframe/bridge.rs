//! The browser side of OpenFrame: listens to `message` events, posts to `window.top`, drives the pure
//! [`Session`] with a clock, and hands what happens to the desk.
//!
//! One bridge per page, installed by the desk. Messages are acted on only when `event.source` is
//! `window.top` and `event.origin` is exactly the topDomain (the session checks both); nothing is posted to
//! `*` except the empty init request.

use super::origin::TopDomain;
use super::protocol::{Outgoing, ProtocolError, WidgetConfig};
use super::session::{Action, Counters, LogEntry, Phase, Session, SessionEvent};
use crate::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A copy of the session's state for the diagnostics view.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub phase: Phase,
    pub top_domain: Option<String>,
    pub counters: Counters,
    pub log: Vec<LogEntry>,
}

/// Receives each session event (None: only the counters or log changed) with a fresh snapshot.
type Handler = Rc<dyn Fn(Option<SessionEvent>, Snapshot)>;

struct Inner {
    session: RefCell<Session>,
    handler: Handler,
    target: Option<String>,
    _listener: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _ticker: Closure<dyn FnMut()>,
    interval: i32,
}

thread_local! {
    static BRIDGE: RefCell<Option<Rc<Inner>>> = const { RefCell::new(None) };
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn top_window() -> Option<web_sys::Window> {
    web_sys::window()?.top().ok().flatten()
}

/// True when this document runs inside a frame (window.top is another window).
pub fn is_framed() -> bool {
    let Some(w) = web_sys::window() else { return false };
    match top_window() {
        Some(top) => !js_sys::Object::is(&top, &w),
        None => false,
    }
}

fn snapshot(s: &Session) -> Snapshot {
    Snapshot {
        phase: s.phase().clone(),
        top_domain: s.top_domain().map(|t| t.origin()),
        counters: s.counters.clone(),
        log: s.log.clone(),
    }
}

fn run(inner: &Inner, actions: Vec<Action>) {
    let mut events = Vec::new();
    for a in actions {
        match a {
            Action::Post { text, to_any } => {
                let Some(top) = top_window() else { continue };
                let target = if to_any { Some("*") } else { inner.target.as_deref() };
                if let Some(t) = target {
                    let _ = top.post_message(&JsValue::from_str(&text), t);
                }
            }
            Action::Event(e) => events.push(e),
        }
    }
    let snap = snapshot(&inner.session.borrow());
    if events.is_empty() {
        (inner.handler)(None, snap);
        return;
    }
    for e in events {
        (inner.handler)(Some(e), snap.clone());
    }
}

/// Installs the bridge for `top` (None: standalone, OpenFrame off) and starts the handshake.
/// `handler` receives every session event with a fresh snapshot. Replaces a previous bridge.
pub fn install(top: Option<TopDomain>, widget: WidgetConfig, handler: impl Fn(Option<SessionEvent>, Snapshot) + 'static) -> Snapshot {
    uninstall();
    let window = web_sys::window().expect("window");
    let target = top.as_ref().map(|t| t.origin());
    let inner = Rc::new_cyclic(|weak: &std::rc::Weak<Inner>| {
        let w = weak.clone();
        let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(inner) = w.upgrade() else { return };
            // Messages between the desktop's own windows (crate::tabs) are not OpenFrame's.
            if crate::tabs::is_group_message(&ev) {
                return;
            }
            let from_top = match (ev.source(), top_window()) {
                (Some(src), Some(top)) => js_sys::Object::is(&src, &top),
                _ => false,
            };
            let data = ev.data().as_string();
            let actions = inner.session.borrow_mut().on_message(now(), from_top, &ev.origin(), data.as_deref());
            run(&inner, actions);
        });
        let w = weak.clone();
        let ticker = Closure::<dyn FnMut()>::new(move || {
            let Some(inner) = w.upgrade() else { return };
            let actions = inner.session.borrow_mut().tick(now());
            if !actions.is_empty() {
                run(&inner, actions);
            }
        });
        let interval = window
            .set_interval_with_callback_and_timeout_and_arguments_0(ticker.as_ref().unchecked_ref(), 100)
            .unwrap_or(-1);
        // (Not `expect`: that would keep JsValue's Debug formatting at this site for a call that cannot fail.)
        if window.add_event_listener_with_callback("message", listener.as_ref().unchecked_ref()).is_err() {
            panic!("listen");
        }
        Inner {
            session: RefCell::new(Session::new(top, &widget)),
            handler: Rc::new(handler),
            target,
            _listener: listener,
            _ticker: ticker,
            interval,
        }
    });
    BRIDGE.with(|b| *b.borrow_mut() = Some(inner.clone()));
    let actions = inner.session.borrow_mut().start(now());
    run(&inner, actions);
    let snap = snapshot(&inner.session.borrow());
    snap
}


/// Removes the bridge's listener and timer.
pub fn uninstall() {
    BRIDGE.with(|b| {
        if let Some(inner) = b.borrow_mut().take() {
            if let Some(w) = web_sys::window() {
                let _ = w.remove_event_listener_with_callback("message", inner._listener.as_ref().unchecked_ref());
                w.clear_interval_with_handle(inner.interval);
            }
        }
    });
}

/// Sends a one-way message to ServiceNow (queued during the handshake; dropped when standalone).
pub fn publish(msg: Outgoing) -> Result<(), ProtocolError> {
    let inner = BRIDGE.with(|b| b.borrow().clone());
    let Some(inner) = inner else { return Ok(()) };
    let actions = inner.session.borrow_mut().publish(now(), msg)?;
    run(&inner, actions);
    Ok(())
}

/// Asks ServiceNow whether the frame is visible (the answer arrives as `SessionEvent::Visible`).
pub fn ask_visible() {
    let inner = BRIDGE.with(|b| b.borrow().clone());
    if let Some(inner) = inner {
        let actions = inner.session.borrow_mut().ask_visible(now());
        run(&inner, actions);
    }
}

/// The current state, for diagnostics.
pub fn current() -> Option<Snapshot> {
    BRIDGE.with(|b| b.borrow().as_ref().map(|i| snapshot(&i.session.borrow())))
}
