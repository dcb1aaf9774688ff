//! One owner of the phone: two instances of the group in the same browser (one page, two members with
//! their own BroadcastChannel objects and lock requests, exactly as two tabs would use them).

use agent_desktop::tabs::{Group, Host, Join, Role};
use agent_desktop::json::{json, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Records what the group asks of an instance.
#[derive(Clone)]
pub struct Rec {
    pub name: &'static str,
    pub log: Rc<RefCell<Vec<String>>>,
    pub role: Rc<Cell<Role>>,
    /// Whether a hand-over is possible now (false: "a call is ringing").
    pub can_give: Rc<Cell<bool>>,
}

impl Rec {
    pub fn new(name: &'static str) -> Rec {
        Rec { name, log: Rc::default(), role: Rc::new(Cell::new(Role::Starting)), can_give: Rc::new(Cell::new(true)) }
    }
    pub fn has(&self, prefix: &str) -> bool {
        self.log.borrow().iter().any(|l| l.starts_with(prefix))
    }
    pub fn find(&self, prefix: &str) -> Option<String> {
        self.log.borrow().iter().find(|l| l.starts_with(prefix)).cloned()
    }
    pub fn clear(&self) {
        self.log.borrow_mut().clear();
    }
}

impl Host for Rec {
    fn become_owner(&self, packet: Option<Value>) {
        self.log.borrow_mut().push(format!("owner:{}", packet.unwrap_or(Value::Null)));
    }
    fn hand_over(&self) -> Option<Value> {
        if !self.can_give.get() {
            self.log.borrow_mut().push("busy".into());
            return None;
        }
        self.log.borrow_mut().push("gave".into());
        Some(json!({"calls": [{"id": 7}], "from": self.name}))
    }
    fn state(&self) -> Value {
        json!({"owner": self.name})
    }
    fn on_state(&self, state: Value) {
        self.log.borrow_mut().push(format!("state:{state}"));
    }
    fn on_command(&self, cmd: Value) {
        self.log.borrow_mut().push(format!("cmd:{cmd}"));
    }
    fn on_relay(&self, msg: Value) {
        self.log.borrow_mut().push(format!("relay:{msg}"));
    }
    fn on_role(&self, role: Role) {
        self.role.set(role);
    }
    fn on_asking(&self, waiting: usize) {
        self.log.borrow_mut().push(format!("asking:{waiting}"));
    }
    fn on_refused(&self) {
        self.log.borrow_mut().push("refused".into());
    }
}

pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Waits (up to 5 s) for `f`.
pub async fn until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        sleep(50).await;
    }
    panic!("timed out waiting for {what}");
}

pub fn names() -> (String, String) {
    let n = agent_desktop::phone::media::random_u32();
    (format!("test-chan-{n}"), format!("test-lock-{n}"))
}

/// The deployment every test window belongs to (unless a test says otherwise).
pub const DEP: &str = "http://127.0.0.1:8090|http://127.0.0.1:8090|config.json";

/// A window of the agent framed by the instance (its OpenFrame handshake answered).
pub fn join(chan: &str, lock: &str, rec: &Rec) -> Group {
    let g = Group::join(chan, lock, Box::new(rec.clone()), Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone: Vec::new() });
    g.set_framed();
    g
}

/// A pop-out opened by `opener` (which put `ticket` in its address).
pub fn join_pop_out(chan: &str, lock: &str, rec: &Rec, opener: &Group) -> Group {
    let ticket = agent_desktop::trust::new_ticket([agent_desktop::phone::media::random_u32() as u8; 32]);
    opener.issue_ticket(&ticket);
    Group::join(chan, lock, Box::new(rec.clone()), Join { dep: DEP.into(), ticket: Some(ticket), before: None, owner: None, gone: Vec::new() })
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn one_owner_remote_sees_state_commands_go_both_ways_and_the_phone_moves() {
    let (chan, lock) = names();
    let (a, b) = (Rec::new("a"), Rec::new("b"));
    let ga = join(&chan, &lock, &a);
    until("a owns the phone", || a.role.get() == Role::Owner).await;
    assert_eq!(a.find("owner:").as_deref(), Some("owner:null"), "nobody handed anything over");
    let gb = join(&chan, &lock, &b);
    until("b sees a's state", || b.has("state:{\"owner\":\"a\"}")).await;
    assert_eq!(b.role.get(), Role::Remote);
    // Still one owner a while later (b waits in the lock's queue).
    sleep(1_500).await;
    assert_eq!((a.role.get(), b.role.get()), (Role::Owner, Role::Remote));
    assert!(!b.has("owner:"));

    // Commands: remote -> owner. Relays: owner -> remote.
    gb.command(json!({"c": "dial", "number": "+14155550100"}));
    until("a runs b's command", || a.has("cmd:{\"c\":\"dial\"")).await;
    ga.relay(json!({"title": "Beth"}));
    until("b gets a's relay", || b.has("relay:{\"title\":\"Beth\"}")).await;
    assert!(!a.has("relay:"), "the owner does not relay to itself");
    assert!(!b.has("cmd:"), "a remote does not run commands");

    // "Use the phone here": a hands over, b takes the lock and the packet.
    gb.claim();
    until("b owns the phone", || b.role.get() == Role::Owner).await;
    assert!(a.has("gave"));
    assert_eq!(a.role.get(), Role::Remote);
    assert_eq!(b.find("owner:").as_deref(), Some("owner:{\"calls\":[{\"id\":7}],\"from\":\"a\"}"));
    until("a sees b's state", || a.has("state:{\"owner\":\"b\"}")).await;
    a.clear();
    gb.command(json!({"c": "x"}));
    ga.command(json!({"c": "hangup", "id": 7}));
    until("b runs a's command", || b.has("cmd:{\"c\":\"hangup\"")).await;
    sleep(200).await;
    assert!(!a.has("cmd:"), "the owner's own command is not echoed to a remote");

    // The owner goes away (tab closed): its packet and the lock go to a.
    gb.leave(Some(json!({"calls": [{"id": 8}], "from": "b"})));
    until("a owns the phone again", || a.role.get() == Role::Owner).await;
    assert_eq!(a.find("owner:").as_deref(), Some("owner:{\"calls\":[{\"id\":8}],\"from\":\"b\"}"));
    ga.leave(None);
}

/// Holds `lock` from script (as another document of the page would) until the returned function is called.
async fn hold_lock(lock: &str) -> js_sys::Function {
    let key = format!("__held_{lock}");
    let hold = js_sys::Function::new_with_args("lock, key", "navigator.locks.request(lock, () => new Promise(r => { globalThis[key] = r; }))");
    hold.call2(&wasm_bindgen::JsValue::NULL, &lock.into(), &key.as_str().into()).unwrap();
    let global = js_sys::global();
    until("the lock is held", || !js_sys::Reflect::get(&global, &key.as_str().into()).unwrap().is_undefined()).await;
    js_sys::Reflect::get(&global, &key.as_str().into()).unwrap().into()
}

/// A window joins while `release_after` ms pass with the lock held by a window it does not hear (nobody
/// sends a state), then the lock is let go; returns the roles it went through.
async fn join_while_the_lock_is_held(before: Option<(String, Vec<String>)>, release_after: i32) -> (Vec<Role>, Rec, Group) {
    let (chan, lock) = names();
    let release = hold_lock(&lock).await;
    let r = Rec::new("r");
    let g = Group::join(&chan, &lock, Box::new(r.clone()), Join { dep: DEP.into(), ticket: None, before, owner: None, gone: Vec::new() });
    g.set_framed();
    let mut roles = vec![r.role.get()];
    for step in 0..(release_after + 3_000) / 50 {
        if step == release_after / 50 {
            release.call0(&wasm_bindgen::JsValue::NULL).unwrap();
        }
        if roles.last() != Some(&r.role.get()) {
            roles.push(r.role.get());
        }
        sleep(50).await;
    }
    (roles, r, g)
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_reloaded_frame_whose_old_document_still_holds_the_lock_takes_the_phone_once_it_is_let_go() {
    // The ServiceNow page reloads: the frame's new document (same window id, from its reload record) asks for
    // the lock while the old document's release has not reached the lock manager yet (seen under load in
    // the chaos run: the frame said "not linked" for good and its calls were cleared).
    let (roles, r, g) = join_while_the_lock_is_held(Some(("0123456789abcdef".into(), Vec::new())), 2_500).await;
    assert_eq!(roles, vec![Role::Starting, Role::Owner], "{:?}", r.log.borrow());
    assert_eq!(r.find("owner:").as_deref(), Some("owner:null"));
    g.leave(None);
    // Control: a window that was not reloaded and finds the lock held by a window it does not hear is not
    // linked, and does not inherit the phone when that window lets go.
    let (roles, r, g) = join_while_the_lock_is_held(None, 2_500).await;
    assert_eq!(roles, vec![Role::Starting, Role::Unlinked], "{:?}", r.log.borrow());
    assert!(!r.has("owner:"));
    g.leave(None);
    // A reloaded window whose lock stays held past the grace is not linked either.
    let (roles, r, g) = join_while_the_lock_is_held(Some(("0123456789abcdef".into(), Vec::new())), 5_000 + 1_000).await;
    assert_eq!(roles, vec![Role::Starting, Role::Unlinked], "{:?}", r.log.borrow());
    assert!(!r.has("owner:"));
    g.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_pop_out_asks_for_the_phone_and_waits_while_a_call_rings() {
    let (chan, lock) = names();
    let (frame, popout) = (Rec::new("frame"), Rec::new("popout"));
    let gf = join(&chan, &lock, &frame);
    until("the frame owns the phone", || frame.role.get() == Role::Owner).await;
    frame.can_give.set(false);
    let gp = join_pop_out(&chan, &lock, &popout, &gf);
    until("the frame is asked and says not now", || frame.has("busy")).await;
    sleep(1_200).await;
    assert_eq!(popout.role.get(), Role::Remote, "no handover while the frame cannot let go");
    assert_eq!(frame.role.get(), Role::Owner);
    // The call is answered: the claim, kept by the owner, goes through on its next beat.
    frame.can_give.set(true);
    until("the pop-out owns the phone", || popout.role.get() == Role::Owner).await;
    assert_eq!(frame.role.get(), Role::Remote);
    assert!(popout.find("owner:").unwrap().contains("\"from\":\"frame\""));
    // Pop-in: closing the pop-out returns the phone to the frame.
    gp.leave(Some(json!({"from": "popout"})));
    until("the frame owns the phone again", || frame.role.get() == Role::Owner).await;
    assert!(frame.log.borrow().iter().any(|l| l == "owner:{\"from\":\"popout\"}"), "{:?}", frame.log.borrow());
    gf.leave(None);
}

/// Two desks (as two windows would have them) in one group: the remote one dials and hangs up through the
/// owner, shows its calls and edits its wrap-up, and takes over the wrap-up draft (not a second wrap-up) when
/// the owner closes.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn two_desks_relay_commands_and_hand_over_calls_and_the_wrap_up_draft() {
    use agent_desktop::desk::{Desk, SNAPSHOT_KEY};
    use agent_desktop::phone::call::CallState;
    use agent_desktop::phone::demo::{ANSWER_AFTER_MS, RING_AFTER_MS};
    use leptos::prelude::*;
    // Mounting (anything) starts Leptos's executor, which the desks' effects run on.
    let _mounted = leptos::mount::mount_to(crate::container(), || ());
    crate::storage().clear().unwrap();
    let (chan, lock) = names();
    let (oa, ob) = (Owner::new(), Owner::new());
    let a = oa.with(Desk::new);
    let b = ob.with(Desk::new);
    // Both are framed by the instance (their OpenFrame handshake was answered).
    a.member.set(true);
    b.member.set(true);
    oa.with(|| a.join_group_named(&chan, &lock, Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone: Vec::new() }));
    until("a owns the phone", || a.role.get_untracked() == Role::Owner).await;
    ob.with(|| b.join_group_named(&chan, &lock, Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone: Vec::new() }));
    until("b is a remote view", || b.role.get_untracked() == Role::Remote).await;

    // The remote view dials: the owner places the call, and the remote view shows it.
    assert_eq!(b.dial("abc", None), None, "the remote view refuses what cannot be dialled itself");
    assert!(b.notice.get_untracked().is_some());
    assert_eq!(b.dial("+1 415 555 0100", None), Some(0), "sent to the owner, not placed here");
    assert!(b.calls.with_untracked(Vec::is_empty));
    until("a has the call", || a.calls.with_untracked(|c| c.len() == 1)).await;
    let (id, created) = a.calls.with_untracked(|c| (c[0].id, c[0].created_ms));
    a.tick(created + RING_AFTER_MS);
    a.tick(created + ANSWER_AFTER_MS);
    until("b shows it connected", || b.calls.with_untracked(|c| c.first().map(|c| c.state == CallState::Connected).unwrap_or(false))).await;
    // A screen pop with several matches waits in the owner: the remote view shows the choice and chooses.
    let dana = agent_desktop::openframe::protocol::RecordRef { entity: "customer_contact".into(), sys_id: Some("d1".into()), label: "Dana Scully".into(), ..Default::default() };
    let fox = agent_desktop::openframe::protocol::RecordRef { entity: "customer_contact".into(), sys_id: Some("f1".into()), label: "Fox Mulder".into(), ..Default::default() };
    a.edit_core(|c| c.pops = vec![(id, agent_desktop::servicenow::screen_pop::Decision::Choose(vec![dana, fox.clone()]))]);
    until("b shows the choice", || b.pops.with_untracked(|p| p.len() == 1)).await;
    b.choose_pop(id, fox.clone());
    until("a attached b's choice to the call", || a.calls.with_untracked(|c| c[0].record.as_ref() == Some(&fox))).await;
    assert!(a.pops.with_untracked(Vec::is_empty));
    until("the choice is gone from b", || b.pops.with_untracked(Vec::is_empty)).await;
    // Hang up from the remote view: the owner ends it and opens the wrap-up; the remote view says so.
    b.hang_up(id);
    until("a ended the call", || a.calls.with_untracked(|c| !c[0].is_live())).await;
    assert_eq!(a.wrapups.with_untracked(Vec::len), 1);
    until("b shows the owner's wrap-up", || b.wrapups.with_untracked(|w| w.len() == 1)).await;
    assert_eq!(b.wrapups.with_untracked(|w| w[0].activity_id.clone()), a.wrapups.with_untracked(|w| w[0].activity_id.clone()));
    // Notes typed in the remote view reach the owner's draft (and stay as typed in the view).
    b.edit_wrapup(|w| w.notes = "Customer asked for a call back".into());
    until("a has b's notes", || a.wrapups.with_untracked(|w| w[0].notes == "Customer asked for a call back")).await;
    sleep(1_200).await;
    assert_eq!(b.wrapups.with_untracked(|w| w[0].notes.clone()), "Customer asked for a call back");
    let draft = a.wrapups.with_untracked(|w| w[0].clone());

    // The owner's window closes: the remote view gets the phone, the draft, and no second wrap-up.
    a.page_hidden();
    until("b owns the phone", || b.role.get_untracked() == Role::Owner).await;
    let wrapups = b.wrapups.get_untracked();
    assert_eq!(wrapups.len(), 1, "{wrapups:?}");
    assert_eq!(wrapups[0].activity_id, draft.activity_id);
    assert_eq!(wrapups[0].notes, "Customer asked for a call back");
    // New calls on the new owner do not reuse the old owner's ids.
    let next = b.dial("+1 415 555 0101", None).expect("the owner dials");
    assert!(next > id, "{next} > {id}");
    web_sys::window().unwrap().session_storage().unwrap().unwrap().remove_item(SNAPSHOT_KEY).unwrap();
    crate::storage().clear().unwrap();
}

/// Hides `navigator.locks` (as in a browser without Web Locks), or shows it again.
fn without_web_locks(hide: bool) {
    let nav = web_sys::window().unwrap().navigator();
    if hide {
        let desc = js_sys::Object::new();
        js_sys::Reflect::set(&desc, &"value".into(), &wasm_bindgen::JsValue::UNDEFINED).unwrap();
        js_sys::Reflect::set(&desc, &"configurable".into(), &wasm_bindgen::JsValue::TRUE).unwrap();
        js_sys::Object::define_property(&nav, &"locks".into(), &desc);
    } else {
        js_sys::Reflect::delete_property(&nav, &"locks".into()).unwrap();
    }
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn without_web_locks_the_channel_still_elects_one_owner_and_hands_over() {
    without_web_locks(true);
    assert!(js_sys::Reflect::get(&web_sys::window().unwrap().navigator(), &"locks".into()).unwrap().is_undefined());
    let (chan, lock) = names();
    // Two instances start at the same moment: both may claim the phone, then one gives way.
    let (a, b) = (Rec::new("a"), Rec::new("b"));
    let ga = join(&chan, &lock, &a);
    let gb = join(&chan, &lock, &b);
    until("exactly one owner", || (a.role.get() == Role::Owner) != (b.role.get() == Role::Owner)).await;
    sleep(2_000).await;
    assert!((a.role.get() == Role::Owner) != (b.role.get() == Role::Owner), "still exactly one owner");
    let (owner, owner_g, other, other_g) = if a.role.get() == Role::Owner { (&a, &ga, &b, &gb) } else { (&b, &gb, &a, &ga) };
    // Commands still reach the owner; "Use the phone here" still moves the phone.
    other_g.command(json!({"c": "mute"}));
    until("the owner runs the command", || owner.has("cmd:{\"c\":\"mute\"")).await;
    other_g.claim();
    until("the phone moved", || other.role.get() == Role::Owner && owner.role.get() == Role::Remote).await;
    // The new owner closes: the other takes over with the packet.
    other_g.leave(Some(json!({"from": "leaving"})));
    until("the phone came back", || owner.role.get() == Role::Owner).await;
    assert!(owner.log.borrow().iter().any(|l| l == "owner:{\"from\":\"leaving\"}"), "{:?}", owner.log.borrow());
    owner_g.leave(None);
    without_web_locks(false);
    assert!(!js_sys::Reflect::get(&web_sys::window().unwrap().navigator(), &"locks".into()).unwrap().is_undefined());
}
