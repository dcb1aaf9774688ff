//! Hostile windows and forged group messages (crate::trust through crate::tabs in a real browser): a window
//! of another deployment, a pop-out without the owner's ticket or with a wrong one, forged hand-overs,
//! states and commands, a window that is not linked waiting to inherit the phone, secrets in `bye`, the
//! reload snapshot's expiry and deployment, and the token at the REST edge.

use super::tabs::{join, join_pop_out, names, sleep, until, Rec, DEP};
use agent_desktop::tabs::{Group, Join, Role};
use agent_desktop::trust::{self, Kind, Msg};
use agent_desktop::json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const FORGER: &str = "00000000000000ff";
const FOREIGN: &str = "http://127.0.0.1:9|http://127.0.0.1:9|config.json";

/// Posts a forged group message on the channel (as any script of this origin could).
fn forge(chan: &str, to: Option<&str>, framed: bool, dep: &str, kind: Kind) {
    let c = web_sys::BroadcastChannel::new(chan).unwrap();
    let text = trust::encode(&Msg { from: FORGER.into(), seq: agent_desktop::phone::media::random_u32(), to: to.map(str::to_string), dep: dep.into(), framed, kind });
    c.post_message(&JsValue::from_str(&text)).unwrap();
    c.close();
}

/// Records every message on the channel, as a listener that is not a member would see it.
fn eavesdrop(chan: &str) -> (web_sys::BroadcastChannel, Rc<RefCell<Vec<String>>>) {
    let c = web_sys::BroadcastChannel::new(chan).unwrap();
    let log: Rc<RefCell<Vec<String>>> = Rc::default();
    let l = log.clone();
    let cb = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        if let Some(t) = ev.data().as_string() {
            l.borrow_mut().push(t);
        }
    });
    c.set_onmessage(Some(cb.as_ref().unchecked_ref()));
    cb.forget();
    (c, log)
}

/// An owner framed by the instance, after the election.
async fn owner(chan: &str, lock: &str, rec: &Rec) -> Group {
    let g = join(chan, lock, rec);
    until("the owner owns the phone", || rec.role.get() == Role::Owner).await;
    g
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_window_of_another_deployment_gets_no_state_commands_or_phone() {
    let (chan, lock) = names();
    let (a, x) = (Rec::new("a"), Rec::new("x"));
    let ga = owner(&chan, &lock, &a).await;
    // Even on the same channel and lock names, framed by its own host.
    let gx = Group::join(&chan, &lock, Box::new(x.clone()), Join { dep: FOREIGN.into(), ticket: None, before: None, owner: None, gone: Vec::new() });
    gx.set_framed();
    sleep(2_500).await;
    assert!(!x.has("state:") && !x.has("owner:"), "{:?}", x.log.borrow());
    gx.claim();
    gx.command(json!({"c": "dial", "number": "+19005550100"}));
    sleep(1_500).await;
    assert!(!a.has("gave") && !a.has("cmd:") && !a.has("asking:"), "{:?}", a.log.borrow());
    assert_eq!(a.role.get(), Role::Owner);
    gx.leave(None);
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_pop_out_without_ticket_is_not_linked_and_its_ask_waits_for_the_agent() {
    let (chan, lock) = names();
    let (a, p) = (Rec::new("a"), Rec::new("p"));
    let ga = owner(&chan, &lock, &a).await;
    // `popout=1` from another opener: no ticket, not framed.
    let gp = Group::join(&chan, &lock, Box::new(p.clone()), Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone: Vec::new() });
    until("the window is not linked", || p.role.get() == Role::Unlinked).await;
    gp.command(json!({"c": "dial", "number": "+19005550100"}));
    gp.claim();
    until("the owner shows the question", || a.has("asking:1")).await;
    sleep(1_500).await;
    assert!(!p.has("state:") && !p.has("owner:"), "{:?}", p.log.borrow());
    assert!(!a.has("gave") && !a.has("cmd:"), "{:?}", a.log.borrow());
    ga.refuse();
    until("the window hears no", || p.has("refused")).await;
    assert_eq!(p.role.get(), Role::Unlinked);
    gp.leave(None);
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn the_agent_gives_the_phone_to_a_window_that_asked() {
    let (chan, lock) = names();
    let (a, p) = (Rec::new("a"), Rec::new("p"));
    let ga = owner(&chan, &lock, &a).await;
    let gp = Group::join(&chan, &lock, Box::new(p.clone()), Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone: Vec::new() });
    until("the window is not linked", || p.role.get() == Role::Unlinked).await;
    gp.claim();
    until("the owner shows the question", || a.has("asking:1")).await;
    ga.allow();
    until("the window has the phone", || p.role.get() == Role::Owner).await;
    assert!(p.find("owner:").unwrap().contains("\"from\":\"a\""));
    until("a is a remote view of it", || a.has("state:{\"owner\":\"p\"}")).await;
    gp.leave(None);
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_pop_out_with_a_ticket_the_owner_did_not_issue_gets_no_answer() {
    let (chan, lock) = names();
    let (a, p) = (Rec::new("a"), Rec::new("p"));
    let ga = owner(&chan, &lock, &a).await;
    ga.issue_ticket(&trust::new_ticket([1; 32]));
    let (_c, heard) = eavesdrop(&chan);
    let gp = Group::join(&chan, &lock, Box::new(p.clone()), Join { dep: DEP.into(), ticket: Some(trust::new_ticket([2; 32])), before: None, owner: None, gone: Vec::new() });
    let claimed = || heard.borrow().iter().filter_map(|t| trust::parse(t)).any(|m| m.from == gp.id() && matches!(m.kind, Kind::Claim(Some(_))));
    until("the claim went out", claimed).await;
    sleep(1_500).await;
    // The ticket may be another owner's (another storage partition): this owner neither welcomes nor
    // refuses it, so its refusal can never cancel the pop-out's claim to the owner that opened it.
    let to_p: Vec<Msg> = heard.borrow().iter().filter_map(|t| trust::parse(t)).filter(|m| m.to.as_deref() == Some(gp.id().as_str())).collect();
    assert!(to_p.is_empty(), "{to_p:?}");
    assert!(!a.has("gave") && !p.has("owner:") && !p.has("state:") && !p.has("refused"), "{:?} {:?}", a.log.borrow(), p.log.borrow());
    gp.leave(None);
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_refused_from_another_owner_does_not_cancel_a_pop_out_ticket() {
    let (chan, lock) = names();
    let (a, p) = (Rec::new("a"), Rec::new("p"));
    let ga = owner(&chan, &lock, &a).await;
    let gp = join_pop_out(&chan, &lock, &p, &ga);
    // Another owner of the deployment (another storage partition) answers first with a refusal.
    forge(&chan, Some(gp.id().as_str()), false, DEP, Kind::Refused);
    until("the pop-out has the phone", || p.role.get() == Role::Owner).await;
    assert!(!p.has("refused"), "{:?}", p.log.borrow());
    gp.leave(None);
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_pop_out_ticket_heard_on_the_channel_cannot_be_used_again() {
    let (chan, lock) = names();
    let (a, p) = (Rec::new("a"), Rec::new("p"));
    let ga = owner(&chan, &lock, &a).await;
    // A call rings in the owner: the pop-out's claim waits, and the owner stays the owner meanwhile.
    a.can_give.set(false);
    let (_c, heard) = eavesdrop(&chan);
    let gp = join_pop_out(&chan, &lock, &p, &ga);
    until("the owner was asked", || a.has("busy")).await;
    // A window that heard the claim on the channel sends the same proof again.
    let claim = heard.borrow().iter().filter_map(|t| trust::parse(t)).find_map(|m| match m.kind {
        Kind::Claim(Some(proof)) => Some(proof),
        _ => None,
    });
    let claim = claim.expect("the claim was on the channel");
    forge(&chan, None, false, DEP, Kind::Claim(Some(claim)));
    sleep(1_500).await;
    let to_forger: Vec<Msg> = heard.borrow().iter().filter_map(|t| trust::parse(t)).filter(|m| m.to.as_deref() == Some(FORGER)).collect();
    // A ticket this owner does not know (any more) gets no answer at all.
    assert!(to_forger.is_empty(), "{to_forger:?}");
    // The call is answered: the phone goes to the pop-out, not to the forger.
    a.can_give.set(true);
    until("the pop-out has the phone", || p.role.get() == Role::Owner).await;
    let handovers: Vec<Msg> = heard.borrow().iter().filter_map(|t| trust::parse(t)).filter(|m| matches!(m.kind, Kind::Handover { .. })).collect();
    assert!(handovers.iter().all(|m| m.to.as_deref() == Some(gp.id().as_str())), "{handovers:?}");
    gp.leave(None);
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_forged_handover_to_a_remote_view_is_ignored() {
    let (chan, lock) = names();
    let (a, b) = (Rec::new("a"), Rec::new("b"));
    let ga = owner(&chan, &lock, &a).await;
    let gb = join(&chan, &lock, &b);
    until("b is a remote view", || b.role.get() == Role::Remote).await;
    forge(&chan, Some(&gb.id()), false, DEP, Kind::Handover { packet: json!({"sip": {"server": "wss://evil.example", "password": "x"}}), links: vec![] });
    sleep(1_500).await;
    assert!(!b.has("owner:"), "{:?}", b.log.borrow());
    assert_eq!((a.role.get(), b.role.get()), (Role::Owner, Role::Remote));
    gb.leave(None);
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_forged_command_to_the_owner_is_ignored() {
    let (chan, lock) = names();
    let a = Rec::new("a");
    let ga = owner(&chan, &lock, &a).await;
    forge(&chan, None, false, DEP, Kind::Cmd(json!({"c": "dial", "number": "+19005550100"})));
    forge(&chan, Some(&ga.id()), false, DEP, Kind::Claim(None));
    sleep(1_500).await;
    assert!(!a.has("cmd:") && !a.has("gave"), "{:?}", a.log.borrow());
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_forged_state_and_relay_to_a_remote_view_are_ignored() {
    let (chan, lock) = names();
    let (a, b) = (Rec::new("a"), Rec::new("b"));
    let ga = owner(&chan, &lock, &a).await;
    let gb = join(&chan, &lock, &b);
    until("b is a remote view", || b.role.get() == Role::Remote).await;
    forge(&chan, None, false, DEP, Kind::State(json!({"owner": "forged"})));
    forge(&chan, None, false, DEP, Kind::Of(json!({"form": ["sys_user", "sys_id=1"]})));
    sleep(1_500).await;
    assert!(!b.has("state:{\"owner\":\"forged\"}") && !b.has("relay:"), "{:?}", b.log.borrow());
    gb.leave(None);
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_oversized_unknown_and_foreign_messages_are_ignored() {
    let (chan, lock) = names();
    let a = Rec::new("a");
    let ga = owner(&chan, &lock, &a).await;
    let c = web_sys::BroadcastChannel::new(&chan).unwrap();
    let big = trust::encode(&Msg { from: FORGER.into(), seq: 1, to: None, dep: DEP.into(), framed: true, kind: Kind::Cmd(json!({"c": "dial", "pad": "x".repeat(trust::MAX_MESSAGE)})) });
    c.post_message(&JsValue::from_str(&big)).unwrap();
    let unknown = format!("{}\"from\":\"{FORGER}\",\"seq\":2,\"to\":null,\"dep\":\"{DEP}\",\"fr\":true,\"k\":\"become_owner\",\"v\":{{}}}}", trust::MARK);
    c.post_message(&JsValue::from_str(&unknown)).unwrap();
    forge(&chan, None, true, FOREIGN, Kind::Cmd(json!({"c": "dial"})));
    sleep(1_500).await;
    assert!(!a.has("cmd:") && !a.has("gave"), "{:?}", a.log.borrow());
    c.close();
    ga.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_window_not_linked_never_inherits_the_phone() {
    let (chan, lock) = names();
    let (a, u) = (Rec::new("a"), Rec::new("u"));
    let ga = owner(&chan, &lock, &a).await;
    let gu = Group::join(&chan, &lock, Box::new(u.clone()), Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone: Vec::new() });
    until("u is not linked", || u.role.get() == Role::Unlinked).await;
    // The owner's window closes with calls and sign-ins.
    ga.leave(Some(json!({"sip": {"password": "s3cret"}})));
    sleep(3_000).await;
    assert_ne!(u.role.get(), Role::Owner);
    assert!(!u.has("owner:"), "{:?}", u.log.borrow());
    gu.leave(None);
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_bye_carries_no_secret_and_the_packet_goes_to_one_linked_window() {
    let (chan, lock) = names();
    let (a, b, u) = (Rec::new("a"), Rec::new("b"), Rec::new("u"));
    let ga = owner(&chan, &lock, &a).await;
    let gb = join(&chan, &lock, &b);
    until("b is a remote view", || b.role.get() == Role::Remote).await;
    let gu = Group::join(&chan, &lock, Box::new(u.clone()), Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone: Vec::new() });
    until("u is not linked", || u.role.get() == Role::Unlinked).await;
    let (_c, heard) = eavesdrop(&chan);
    ga.leave(Some(json!({"sip": {"password": "s3cret"}})));
    until("b has the phone", || b.role.get() == Role::Owner).await;
    assert!(b.find("owner:").unwrap().contains("s3cret"));
    sleep(500).await;
    let msgs: Vec<Msg> = heard.borrow().iter().filter_map(|t| trust::parse(t)).collect();
    assert!(msgs.iter().any(|m| matches!(m.kind, Kind::Bye)), "the owner said bye");
    let with_secret: Vec<&Msg> = msgs.iter().filter(|m| format!("{:?}", m.kind).contains("s3cret")).collect();
    assert_eq!(with_secret.len(), 1, "{with_secret:?}");
    assert!(matches!(with_secret[0].kind, Kind::Handover { .. }) && with_secret[0].to.as_deref() == Some(gb.id().as_str()), "{with_secret:?}");
    assert!(!u.has("owner:"));
    gu.leave(None);
    gb.leave(None);
}

/// A desk (as a window has it) in the group.
fn desk_in(owner: &leptos::prelude::Owner) -> agent_desktop::desk::Desk {
    owner.with(agent_desktop::desk::Desk::new)
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_window_not_linked_says_so_and_its_buttons_act_on_nothing() {
    use leptos::prelude::*;
    let _mounted = leptos::mount::mount_to(crate::container(), || ());
    let (chan, lock) = names();
    let a = Rec::new("a");
    let ga = owner(&chan, &lock, &a).await;
    let o = Owner::new();
    let d = desk_in(&o);
    o.with(|| d.join_group_named(&chan, &lock, Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone: Vec::new() }));
    until("the desk is not linked", || d.role.get_untracked() == Role::Unlinked).await;
    assert_eq!(d.dial("+1 415 555 0100", None), None);
    assert_eq!(d.notice.get_untracked().map(|n| n.render()).as_deref(), Some(agent_desktop::strings::NOT_LINKED()));
    d.set_agent_state(agent_desktop::phone::model::AgentState::Ready);
    d.toggle_mute();
    sleep(1_500).await;
    assert!(!a.has("cmd:"), "{:?}", a.log.borrow());
    assert!(d.calls.with_untracked(Vec::is_empty));
    d.page_hidden();
    ga.leave(None);
}

fn session() -> web_sys::Storage {
    web_sys::window().unwrap().session_storage().unwrap().unwrap()
}

/// The key of the test page's deployment (no topDomain, no instance, config.json).
fn page_dep() -> String {
    trust::Deployment { config: "config.json".into(), ..Default::default() }.key()
}

fn snapshot(dep: &str, at: f64) -> String {
    let mut p = json!({"calls": [], "agentState": "ready", "sip": {"server": "wss://sip.example", "user": "1001", "password": "s3cret"}, "sn": "{\"access\":\"tok\"}"});
    trust::seal_snapshot(&mut p, dep, at);
    p.to_string()
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_fresh_snapshot_of_this_deployment_is_restored_with_its_secrets() {
    session().set_item(agent_desktop::desk::SNAPSHOT_KEY, &snapshot(&page_dep(), js_sys::Date::now() - 1_000.0)).unwrap();
    let o = leptos::prelude::Owner::new();
    let d = desk_in(&o);
    d.load_settings().await;
    assert_eq!(d.deployment_key(), page_dep());
    let saved = d.saved_snapshot().expect("restored");
    assert_eq!(saved["sip"]["password"], "s3cret");
    assert!(session().get_item(agent_desktop::desk::SNAPSHOT_KEY).unwrap().is_none());
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_expired_snapshot_is_erased_and_its_secrets_not_restored() {
    session().set_item(agent_desktop::desk::SNAPSHOT_KEY, &snapshot(&page_dep(), js_sys::Date::now() - trust::SECRET_TTL_MS - 1_000.0)).unwrap();
    let o = leptos::prelude::Owner::new();
    let d = desk_in(&o);
    d.load_settings().await;
    assert!(session().get_item(agent_desktop::desk::SNAPSHOT_KEY).unwrap().is_none(), "erased at start");
    let saved: Value = d.saved_snapshot().unwrap_or_default();
    assert!(!saved.to_string().contains("s3cret") && !saved.to_string().contains("tok"), "{saved}");
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_snapshot_of_another_deployment_is_erased_and_not_restored() {
    session().set_item(agent_desktop::desk::SNAPSHOT_KEY, &snapshot(FOREIGN, js_sys::Date::now())).unwrap();
    let o = leptos::prelude::Owner::new();
    let d = desk_in(&o);
    d.load_settings().await;
    assert!(session().get_item(agent_desktop::desk::SNAPSHOT_KEY).unwrap().is_none(), "erased at start");
    assert_eq!(d.saved_snapshot(), None);
}

/// Replaces `window.fetch` with a counter (nothing leaves the page); returns the count reader and a restore.
fn count_fetches() -> (impl Fn() -> u32, impl FnOnce()) {
    let w = web_sys::window().unwrap();
    let original = js_sys::Reflect::get(&w, &"fetch".into()).unwrap();
    let stub = js_sys::Function::new_no_args("window.__fetches = (window.__fetches || 0) + 1; return Promise.reject(new TypeError('stub'));");
    js_sys::Reflect::set(&w, &"__fetches".into(), &0.into()).unwrap();
    js_sys::Reflect::set(&w, &"fetch".into(), &stub).unwrap();
    let w2 = w.clone();
    let count = move || js_sys::Reflect::get(&w2, &"__fetches".into()).unwrap().as_f64().unwrap_or(0.0) as u32;
    let restore = move || {
        js_sys::Reflect::set(&w, &"fetch".into(), &original).unwrap();
    };
    (count, restore)
}

fn token(instance: &str) -> agent_desktop::servicenow::auth::Token {
    agent_desktop::servicenow::auth::Token { access: "tok".into(), expires_at: js_sys::Date::now() + 600_000.0, instance: instance.into(), refresh: None }
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_token_is_not_sent_to_another_origin() {
    use agent_desktop::servicenow::rest::{request, RestError};
    let (count, restore) = count_fetches();
    let r = request("http://127.0.0.1:9", &token("http://127.0.0.1:8090"), "GET", &["/api/now/table/sys_user"], &[], None).await;
    let n = count();
    restore();
    assert!(matches!(r, Err(RestError::WrongInstance(_))), "{:?}", r.err());
    assert_eq!(n, 0, "nothing was fetched");
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_path_parts_that_name_another_host_do_not_carry_the_token() {
    use agent_desktop::servicenow::rest::{request, RestError};
    let (count, restore) = count_fetches();
    // The check is on the whole URL the parts make (user info, a second port, a longer host).
    let mut results = Vec::new();
    for parts in [&["@evil.example", "/api/now/table/", "x"][..], &[":9", "/api"], &[".evil.example/api"]] {
        results.push(request("http://127.0.0.1:8090", &token("http://127.0.0.1:8090"), "GET", parts, &[], None).await);
    }
    let n = count();
    restore();
    for r in results {
        assert!(matches!(r, Err(RestError::WrongInstance(_))), "{:?}", r.err());
    }
    assert_eq!(n, 0, "nothing was fetched");
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_token_without_an_instance_is_not_sent() {
    use agent_desktop::servicenow::rest::{request, RestError};
    let (count, restore) = count_fetches();
    let r = request("http://127.0.0.1:8090", &token(""), "GET", &["/api/now/table/sys_user"], &[], None).await;
    let n = count();
    restore();
    assert!(matches!(r, Err(RestError::WrongInstance(_))), "{:?}", r.err());
    assert_eq!(n, 0, "nothing was fetched");
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_token_goes_to_its_own_instance() {
    use agent_desktop::servicenow::rest::{request, RestError};
    let (count, restore) = count_fetches();
    let r = request("http://127.0.0.1:8090", &token("http://127.0.0.1:8090"), "GET", &["/api/now/table/sys_user"], &[], None).await;
    let n = count();
    restore();
    assert!(!matches!(r, Err(RestError::WrongInstance(_))));
    assert!(n >= 1, "the request was made");
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_window_reloaded_while_the_pop_out_has_the_phone_stays_linked() {
    let (chan, lock) = names();
    let (a, p, a2) = (Rec::new("a"), Rec::new("p"), Rec::new("a2"));
    let ga = owner(&chan, &lock, &a).await;
    let gp = join_pop_out(&chan, &lock, &p, &ga);
    until("the pop-out has the phone", || p.role.get() == Role::Owner).await;
    until("a is a remote view", || a.role.get() == Role::Remote).await;
    // The frame reloads (before its new handshake is answered): same id and links from its tab.
    let before = ga.identity();
    assert!(before.1.contains(&gp.id()));
    ga.leave(None);
    let g2 = Group::join(&chan, &lock, Box::new(a2.clone()), Join { dep: DEP.into(), ticket: None, before: Some(before), owner: None, gone: Vec::new() });
    until("the reloaded frame is a remote view again", || a2.has("state:{\"owner\":\"p\"}")).await;
    assert_eq!(a2.role.get(), Role::Remote);
    g2.command(json!({"c": "mute"}));
    until("the pop-out runs its command", || p.has("cmd:{\"c\":\"mute\"")).await;
    g2.leave(None);
    gp.leave(None);
}

/// A pop-out the agent closed (it said bye) stays among the frame's links, but is never handed the phone,
/// even after the frame's page reloaded twice: the reloaded frame would wait for that dead heir as for its
/// owner (75 s), and meanwhile answer no pop-out's claim.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_closed_pop_out_is_never_the_heir_across_reloads() {
    let (chan, lock) = names();
    let (a, p, a2, a3) = (Rec::new("a"), Rec::new("p"), Rec::new("a2"), Rec::new("a3"));
    let ga = owner(&chan, &lock, &a).await;
    let gp = join_pop_out(&chan, &lock, &p, &ga);
    until("the pop-out has the phone", || p.role.get() == Role::Owner).await;
    gp.leave(Some(json!({"from": "popout"})));
    until("the frame has the phone again", || a.role.get() == Role::Owner).await;
    // First reload: the frame keeps its id, its links (the closed pop-out among them) and who had left.
    let (before, gone) = (ga.identity(), ga.gone());
    assert!(before.1.contains(&gp.id()) && gone.contains(&gp.id()), "{before:?} {gone:?}");
    assert_eq!(ga.leave(Some(json!({"from": "a"}))), None, "nobody alive to hand the phone to");
    // The page is gone (its lock let go of) before the new one starts.
    sleep(300).await;
    let g2 = Group::join(&chan, &lock, Box::new(a2.clone()), Join { dep: DEP.into(), ticket: None, before: Some(before), owner: None, gone });
    until("the reloaded frame has the phone", || a2.role.get() == Role::Owner).await;
    // Second reload: still nobody to hand it to (before, the closed pop-out was the heir).
    let (before, gone) = (g2.identity(), g2.gone());
    assert!(gone.contains(&gp.id()), "{gone:?}");
    // What the page keeps for its reload: the heir it handed the phone to is the owner it waits for then.
    let heir = g2.leave(Some(json!({"from": "a2"})));
    assert_eq!(heir, None, "the closed pop-out is not the heir");
    let owner = heir.map(|h| (h, js_sys::Date::now()));
    sleep(300).await;
    let g3 = Group::join(&chan, &lock, Box::new(a3.clone()), Join { dep: DEP.into(), ticket: None, before: Some(before), owner, gone });
    until("the twice-reloaded frame has the phone at once", || a3.role.get() == Role::Owner).await;
    // A pop-out it opens now is answered.
    let p2 = Rec::new("p2");
    let gp2 = join_pop_out(&chan, &lock, &p2, &g3);
    until("the new pop-out has the phone", || p2.role.get() == Role::Owner).await;
    gp2.leave(None);
    g3.leave(None);
}

/// A same-origin frame of this page, with a record of the group messages that reach it.
fn frame_window() -> (web_sys::Window, Rc<RefCell<Vec<String>>>) {
    let doc = web_sys::window().unwrap().document().unwrap();
    let f: web_sys::HtmlIFrameElement = doc.create_element("iframe").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&f).unwrap();
    let w = f.content_window().unwrap();
    let log: Rc<RefCell<Vec<String>>> = Rc::default();
    let l = log.clone();
    let cb = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        if let Some(t) = ev.data().as_string().filter(|t| t.starts_with(trust::MARK)) {
            l.borrow_mut().push(t);
        }
    });
    w.add_event_listener_with_callback("message", cb.as_ref().unchecked_ref()).unwrap();
    cb.forget();
    (w, log)
}

/// Posts `text` to this page from inside frame `w` (a script of that frame: the message's source is `w`).
fn post_from(w: &web_sys::Window, text: &str) {
    let ctor = js_sys::Reflect::get(w, &"Function".into()).unwrap();
    let args = js_sys::Array::of3(&"t".into(), &"o".into(), &"parent.postMessage(t, o)".into());
    let f: js_sys::Function = js_sys::Reflect::construct(ctor.unchecked_ref::<js_sys::Function>(), &args).unwrap().unchecked_into();
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    f.call2(&JsValue::NULL, &text.into(), &origin.into()).unwrap();
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_window_message_from_a_window_not_linked_gets_nothing_back_there() {
    let (chan, lock) = names();
    let a = Rec::new("a");
    let _ga = owner(&chan, &lock, &a).await;
    let (w, heard) = frame_window();
    // Not linked (an unknown id, not framed): the owner neither answers nor beats to that window.
    let forged = trust::encode(&Msg { from: FORGER.into(), seq: 1, to: None, dep: DEP.into(), framed: false, kind: Kind::Hello });
    post_from(&w, &forged);
    sleep(2_500).await;
    assert!(heard.borrow().is_empty(), "the owner answered a window that is not linked: {:?}", heard.borrow());
    // Control (the check can see it): a window of the agent framed by the instance is answered there.
    let member = trust::encode(&Msg { from: "00000000000000bb".into(), seq: 1, to: None, dep: DEP.into(), framed: true, kind: Kind::Hello });
    post_from(&w, &member);
    until("the owner's state reaches the framed window", || heard.borrow().iter().any(|t| t.contains("\"owner\":\"a\""))).await;
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_reload_snapshot_owner_not_linked_or_from_the_future_is_not_waited_for() {
    let now = js_sys::Date::now();
    const ME: &str = "00000000000000a1";
    const LINKED: &str = "00000000000000a2";
    for (i, owner) in [(FORGER, now), (LINKED, now + 60_000.0), (LINKED, now - 120_000.0), (LINKED, f64::NAN)].into_iter().enumerate() {
        let (chan, lock) = names();
        let r = Rec::new("r");
        let before = Some((ME.to_string(), vec![LINKED.to_string()]));
        let g = Group::join(&chan, &lock, Box::new(r.clone()), Join { dep: DEP.into(), ticket: None, before, owner: Some((owner.0.into(), owner.1)), gone: Vec::new() });
        g.set_framed();
        until(&format!("case {i}: the window takes the phone"), || r.role.get() == Role::Owner).await;
        g.leave(None);
    }
    // Control: a linked owner heard just before the reload is waited for (it may be in another partition).
    let (chan, lock) = names();
    let r = Rec::new("r");
    let before = Some((ME.to_string(), vec![LINKED.to_string()]));
    let g = Group::join(&chan, &lock, Box::new(r.clone()), Join { dep: DEP.into(), ticket: None, before, owner: Some((LINKED.into(), now)), gone: Vec::new() });
    g.set_framed();
    sleep(2_000).await;
    assert_ne!(r.role.get(), Role::Owner, "the owner it was a remote view of is waited for");
    g.leave(None);
}

/// Replaces `window.open` with a counter that opens nothing (returns null); returns the count reader and a restore.
fn count_window_opens() -> (impl Fn() -> u32, impl FnOnce()) {
    let w = web_sys::window().unwrap();
    let original = js_sys::Reflect::get(&w, &"open".into()).unwrap();
    let stub = js_sys::Function::new_no_args("window.__opens = (window.__opens || 0) + 1; return null;");
    js_sys::Reflect::set(&w, &"__opens".into(), &0.into()).unwrap();
    js_sys::Reflect::set(&w, &"open".into(), &stub).unwrap();
    let w2 = w.clone();
    let count = move || js_sys::Reflect::get(&w2, &"__opens".into()).unwrap().as_f64().unwrap_or(0.0) as u32;
    let restore = move || {
        js_sys::Reflect::set(&w, &"open".into(), &original).unwrap();
    };
    (count, restore)
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_reload_record_with_a_bad_pop_out_name_opens_no_window() {
    // The reload record (session storage, any script of the origin or an older version may have written it)
    // names the pop-out that had the phone; the reloaded frame looks it up by that name with window.open("",
    // name). Only our own pop-out names are looked up: "_blank" would open a window, "_top"/"_parent" would
    // reach ServiceNow's page.
    let _mounted = leptos::mount::mount_to(crate::container(), || ());
    let now = js_sys::Date::now();
    let long = format!("agent-desktop-{}", "a".repeat(5_000));
    let cases = ["_blank", "_top", "_parent", "_self", "", "agent-desktop-", "agent-desktop-abc", "agent-desktop-../../..x", long.as_str(), "agent-desktop-abcdefghijk\u{0}", "agent-desktop-abcdefghijkl"];
    for (i, pop) in cases.iter().enumerate() {
        let good = i == cases.len() - 1;
        let record = json!({"dep": page_dep(), "id": "00000000000000a1", "links": ["00000000000000a2"], "owner": "00000000000000a2", "ownerAt": now, "gone": [], "pop": *pop});
        session().set_item(agent_desktop::desk::WINDOW_KEY, &record.to_string()).unwrap();
        let o = leptos::prelude::Owner::new();
        let d = desk_in(&o);
        d.load_settings().await;
        let (opens, restore) = count_window_opens();
        let (chan, lock) = names();
        let join = Join { dep: page_dep(), ticket: None, before: Some(("00000000000000a1".into(), vec!["00000000000000a2".into()])), owner: Some(("00000000000000a2".into(), now)), gone: Vec::new() };
        o.with(|| d.join_group_named(&chan, &lock, join));
        let n = opens();
        restore();
        // Leaves the group (and writes a reload record, removed here).
        o.with(|| d.page_hidden());
        session().remove_item(agent_desktop::desk::WINDOW_KEY).unwrap();
        session().remove_item(agent_desktop::desk::SNAPSHOT_KEY).unwrap();
        // Control (the check can see a look-up): our own pop-out name is looked up once.
        assert_eq!(n, u32::from(good), "case {i} {:?}: window.open called {n} times", pop.chars().take(40).collect::<String>());
    }
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn hostile_gone_list_from_a_reload_record_keeps_only_window_ids_and_at_most_32() {
    let (chan, lock) = names();
    let r = Rec::new("r");
    let mut gone: Vec<String> = vec!["<img src=x onerror=alert(1)>".into(), "".into(), "00000000000000A1".into(), "0000000000000001x".into(), "1".repeat(5_000)];
    gone.extend((0..40).map(|i| format!("{:016x}", 0xb000 + i)));
    let g = Group::join(&chan, &lock, Box::new(r.clone()), Join { dep: DEP.into(), ticket: None, before: None, owner: None, gone });
    let kept = g.gone();
    assert!(kept.iter().all(|k| trust::is_id(k)), "{kept:?}");
    assert_eq!(kept.len(), 32, "bounded");
    assert_eq!(kept[0], format!("{:016x}", 0xb000), "the ids kept in order");
    g.leave(None);
}
