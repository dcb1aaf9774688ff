//! The desktop's ServiceNow connection (browser): the token, the outbox delivery loop, screen-pop lookups
//! and directory searches. It reads and reports through a [`Link`] the desk's shell builds; it never knows
//! the desk. The outbox itself belongs to the desk core: this client only steps it ([`SnHost::outbox`]).

use super::activity::{self, Activity};
use super::auth::{self, Token};
use super::directory::Entry;
use super::outbox::{Found, Outbox, Outcome, Step};
use super::query::{self, Op, Query};
use super::rest::{self, RestError};
use super::screen_pop::{self, Candidate, CarriedData, Decision, SnEvent};
use crate::config::{ActivityStrategy, Settings};
use crate::openframe::protocol::RecordRef;
use leptos::prelude::*;
use crate::json::{json, Value};
use crate::cell::RefCell;

/// What the agent sees of the ServiceNow connection.
#[derive(Clone, Debug, PartialEq)]
pub enum SnState {
    /// No instance configured (and no topDomain to assume).
    Off,
    SignedOut(Option<crate::strings::Msg>),
    SigningIn,
    SignedIn,
}

/// What the desk's shell gives the ServiceNow client: what it reads, and whom it reports to.
pub trait SnHost {
    /// Runs `f` on the outbox (the desk core's; saved afterwards). False when there is none to step.
    fn outbox(&self, f: &mut dyn FnMut(&mut Outbox)) -> bool;
    /// A screen-pop result.
    fn report(&self, event: SnEvent);
    /// This window has the phone (only it delivers activities).
    fn is_owner(&self) -> bool;
    /// A call is live in this window (storage is then checked for room for its wrap-up).
    fn call_live(&self) -> bool {
        false
    }
}

/// The signals the client reads and writes, and its host (copyable, like the signals).
#[derive(Clone, Copy)]
pub struct Link {
    pub settings: &'static ArcRwSignal<Settings>,
    /// This window is one of the agent's own (the topDomain is vouched for).
    pub member: RwSignal<bool>,
    pub sn: &'static ArcRwSignal<SnState>,
    pub notice: &'static ArcRwSignal<Option<crate::strings::Msg>>,
    pub extra_directory: &'static ArcRwSignal<Vec<Entry>>,
    pub directory_more: RwSignal<bool>,
    /// Why the last directory search failed (shown instead of passing for "no results").
    pub directory_error: &'static ArcRwSignal<Option<crate::strings::Msg>>,
    /// Installed once per desk, for the page's life (a reference, not a stored value: one arena entry less).
    pub host: &'static (dyn SnHost + Sync),
}

impl Link {
    /// Runs `f` on the outbox, when there is one.
    fn with_outbox(&self, f: &mut dyn FnMut(&mut Outbox)) {
        self.host.outbox(f);
    }

    fn report(&self, event: SnEvent) {
        self.host.report(event);
    }

    fn is_owner(&self) -> bool {
        self.host.is_owner()
    }

    fn call_live(&self) -> bool {
        self.host.call_live()
    }
}

thread_local! {
    static TOKEN: RefCell<Option<Token>> = const { RefCell::new(None) };
    static BUSY: RefCell<bool> = const { RefCell::new(false) };
    /// When a renewal with the refresh token may start (infinite while one runs).
    static RENEW_AT: RefCell<f64> = const { RefCell::new(0.0) };
    /// Directory results by search text, for this page's life (repeated searches do not ask again).
    static CACHE: RefCell<crate::vecmap::VecMap<String, Vec<Entry>>> = const { RefCell::new(crate::vecmap::VecMap::new()) };
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// Keeps (or forgets) this window's ServiceNow sign-in (one writer for every site).
#[inline(never)]
fn set_token(t: Option<Token>) {
    TOKEN.with(|s| *s.borrow_mut() = t);
}

fn token() -> Option<Token> {
    TOKEN.with(|t| t.borrow().as_ref().filter(|t| t.expires_at - auth::RENEW_BEFORE_MS > now()).cloned())
}

/// The instance origin: `servicenow.instance`, else the topDomain once this window is
/// one of the agent's own (framed by it, or linked to a window that is): see [`crate::trust::sn_instance`].
fn instance(desk: &Link) -> Option<String> {
    let vouched = desk.member.get_untracked();
    desk.settings.with_untracked(|s| crate::trust::sn_instance(s.servicenow.instance.as_ref().map(|i| i.origin()).as_deref(), s.top_domain.as_ref().map(|t| t.origin()).as_deref(), vouched))
}

/// The instance a token for this desktop may come from, vouched for or not yet (a token handed over
/// is kept only when it belongs to it; it is sent only once [`instance`] agrees).
fn expected_instance(desk: &Link) -> Option<String> {
    desk.settings.with_untracked(|s| s.servicenow.instance.clone().or(s.top_domain.clone()).map(|i| i.origin()))
}

/// Starts the outbox loop (the token comes with the phone: a sign-in, a hand-over or a reload's snapshot).
pub fn start(desk: impl Into<Link>) {
    let desk: Link = desk.into();
    if expected_instance(&desk).is_none() {
        crate::desk::shell::aput(desk.sn, SnState::Off);
        return;
    }
    if TOKEN.with(|t| t.borrow().is_none()) {
        crate::desk::shell::aput(desk.sn, SnState::SignedOut(None));
    }
    crate::desk::shell::every(1_000, Box::new(move || pump(desk)));
}

/// The ServiceNow sign-in (JSON, with the instance it belongs to), handed to the next owner of the phone
/// with the calls.
pub fn token_text() -> Option<String> {
    TOKEN.with(|t| t.borrow().as_ref().and_then(|t| Some(crate::json::to_string(t))))
}

/// Takes over a ServiceNow sign-in handed over by the previous owner (when this tab has none): only one
/// issued by this desktop's instance.
pub fn adopt_token(desk: impl Into<Link>, text: &str) {
    let desk: Link = desk.into();
    if text.len() > 16_384 {
        return;
    }
    let Some(t) = crate::json::from_str::<Token>(text) else { return };
    // A newer sign-in than this window's (renewed meanwhile: this window's refresh token is spent) replaces it.
    if TOKEN.with(|x| x.borrow().as_ref().is_some_and(|x| x.expires_at >= t.expires_at)) {
        return;
    }
    if t.expires_at <= now() || expected_instance(&desk).as_deref() != Some(t.instance.as_str()) {
        return;
    }
    set_token(Some(t));
    crate::desk::shell::aput(desk.sn, SnState::SignedIn);
}

/// Opens the sign-in popup (must run in a click handler: browsers block popups otherwise).
pub fn sign_in(desk: impl Into<Link>) {
    let desk: Link = desk.into();
    // The token comes from the instance this desktop expects and is bound to it; it is sent only once
    // that instance is vouched for ([`instance`]), so signing in before the handshake is answered is safe.
    let Some(inst) = expected_instance(&desk) else { return };
    let client = client_id(desk);
    crate::desk::shell::aput(desk.sn, SnState::SigningIn);
    leptos::task::spawn_local(async move {
        match auth::sign_in(&inst, &client).await {
            Ok(t) => {
                keep_sign_in(desk, t);
                pump(desk);
            }
            Err(m) => crate::desk::shell::aput(desk.sn, SnState::SignedOut(Some(m.into()))),
        }
    });
}

pub fn sign_out(desk: impl Into<Link>) {
    let desk: Link = desk.into();
    set_token(None);
    auth::forget_token();
    crate::desk::shell::aput(desk.sn, SnState::SignedOut(None));
}

fn expired(desk: Link) {
    // With a refresh token, the next step renews it without a click ([`renew`]).
    if TOKEN.with(|t| t.borrow_mut().as_mut().filter(|t| t.refresh.is_some()).map(|t| t.expires_at = 0.0).is_some()) {
        return;
    }
    end_sign_in(desk, crate::strings::Key::SN_SESSION_ENDED.into());
    auth::forget_token();
}

/// A new sign-in (or a renewed one) is this window's: signed in, the outbox resumed.
#[inline(never)]
fn keep_sign_in(desk: Link, t: Token) {
    set_token(Some(t));
    crate::desk::shell::aput(desk.sn, SnState::SignedIn);
    desk.with_outbox(&mut |o| o.resume());
}

/// The sign-in ended (expired or its renewal refused): signed out with `m`, the outbox paused for a sign-in.
#[inline(never)]
fn end_sign_in(desk: Link, m: crate::strings::Msg) {
    set_token(None);
    crate::desk::shell::aput(desk.sn, SnState::SignedOut(Some(m)));
    desk.with_outbox(&mut |o| o.paused_for_sign_in = true);
}

/// A read refused for the sign-in (401) ends it as a refused write does ([`expired`]): the agent is asked
/// to sign in again (or the refresh token renews it) instead of only reading an error. Only while the
/// refused token is still this window's (a read that outlived a new sign-in leaves it alone).
fn refused_read(desk: Link, tok: &Token, e: &RestError) {
    if *e == RestError::Unauthorized && TOKEN.with(|t| t.borrow().as_ref().is_some_and(|t| t.access == tok.access)) {
        expired(desk);
    }
}

/// An action of the agent's needs a sign-in this window does not have (e.g. after the ServiceNow page was
/// reloaded: the token lives only in memory): renewed without a click when it can be, else the sign-in notice
/// and its button are shown above the panels (a signed-out window with nothing waiting shows none by itself).
fn ask_sign_in(desk: Link) {
    if !renew(desk) && desk.sn.get_untracked() == SnState::SignedOut(None) {
        crate::desk::shell::aput(desk.sn, SnState::SignedOut(Some(crate::strings::Key::SN_SIGN_IN_FIRST.into())));
    }
}

/// A read for the agent (screen pop, case look-up): the rows, or the error's text after [`refused_read`]
/// (one place for every such read).
async fn agent_rows(desk: Link, inst: &str, tok: &Token, table: &str, query: &[(&str, &str)]) -> Result<Vec<Value>, String> {
    match rest::table_rows(inst, tok, table, query).await {
        Ok((rows, _)) => Ok(rows),
        Err(e) => {
            refused_read(desk, tok, &e);
            Err(e.to_string())
        }
    }
}

fn client_id(desk: Link) -> String {
    desk.settings.with_untracked(|s| if s.servicenow.client_id.is_empty() { "agent-desktop".to_string() } else { s.servicenow.client_id.clone() })
}

/// Renews the token with its refresh token when it is about to expire (or was refused), without a click;
/// true while a renewal runs or was started. A refused renewal ends the sign-in with a message (the
/// agent signs in again, as without a refresh token); an unclear one is tried again 10 s later.
fn renew(desk: Link) -> bool {
    let Some(t) = TOKEN.with(|t| t.borrow().clone()).filter(|t| auth::renewal_due(t, now())) else { return false };
    if RENEW_AT.with(|r| *r.borrow()) > now() {
        return true;
    }
    RENEW_AT.with(|r| *r.borrow_mut() = f64::INFINITY);
    let client = client_id(desk);
    leptos::task::spawn_local(async move {
        let result = auth::renew(&t, &client).await;
        RENEW_AT.with(|r| *r.borrow_mut() = 0.0);
        // Only if the sign-in is still the one renewed (not signed out or replaced meanwhile).
        if TOKEN.with(|x| x.borrow().as_ref().map(|x| x.access != t.access).unwrap_or(true)) {
            return;
        }
        match result {
            Ok(new) => keep_sign_in(desk, new),
            Err(auth::RenewError::Refused(m)) => end_sign_in(desk, m.into()),
            Err(auth::RenewError::Unclear(_)) => RENEW_AT.with(|r| *r.borrow_mut() = now() + 10_000.0),
        }
    });
    true
}

/// Whether this window has a usable ServiceNow sign-in now.
pub fn signed_in() -> bool {
    token().is_some()
}

/// What a wrap-up with its notes takes in storage, about (checked during calls).
const PROBE_BYTES: usize = 8 * 1024;

/// One step of the outbox, when one is due and nothing is in flight.
fn pump(desk: Link) {
    // Only the owner of the phone delivers activities (one writer).
    if !desk.is_owner() {
        return;
    }
    // During a call, check that storage can still take its wrap-up: a full storage is shown now, while the
    // agent can still copy what they type.
    if desk.call_live() {
        crate::stored::probe(PROBE_BYTES);
    }
    if BUSY.with(|b| *b.borrow()) {
        return;
    }
    let Some(inst) = instance(&desk) else { return };
    let Some(tok) = token() else {
        if renew(desk) {
            return;
        }
        if desk.sn.get_untracked() == SnState::SignedIn {
            expired(desk);
        }
        return;
    };
    // Saved before any attempt.
    // Signed in here: a pause for sign-in (this window's, or one adopted with the phone) is over.
    let mut step = None;
    desk.with_outbox(&mut |o| step = o.next(now(), true));
    let Some(step) = step else { return };
    BUSY.with(|b| *b.borrow_mut() = true);
    let (strategy, tables, task_field) = desk.settings.with_untracked(|s| (s.servicenow.activity, s.servicenow.activity_tables.clone(), s.servicenow.phone_log_task_field.clone()));
    leptos::task::spawn_local(async move {
        // One tail for both kinds of step (one outbox update, one sign-in check).
        let (id, verify) = match step {
            Step::Send(id) => (id, false),
            Step::Verify(id) => (id, true),
        };
        if let Some(a) = settled(desk, &id, &tables) {
            let done = if verify {
                Done::Verified(match read_back(&inst, &tok, strategy, &task_field, &a, None).await {
                    Ok(activity::Found::Yes) => Found::Yes,
                    Ok(activity::Found::No) => Found::No,
                    // The reply cannot confirm it: refused visibly, never resent.
                    Ok(activity::Found::Unconfirmed(m)) => Found::Refused(m),
                    Err(e) => found(e, strategy, &a, &task_field),
                })
            } else {
                Done::Sent(match write(&inst, &tok, strategy, &task_field, &a).await {
                    Ok(()) => Outcome::Delivered,
                    Err(Write::NotStored(m)) => Outcome::Refused(m),
                    Err(Write::Rest(e)) => outcome(e),
                })
            };
            if matches!(done, Done::Sent(Outcome::Unauthorized) | Done::Verified(Found::Unauthorized)) {
                expired(desk);
            }
            let mut done = Some(done);
            desk.with_outbox(&mut |o| match done.take() {
                Some(Done::Sent(x)) => o.on_sent(&id, x, now()),
                Some(Done::Verified(x)) => o.on_verified(&id, x, now()),
                None => {}
            });
        }
        desk.with_outbox(&mut |o| o.compact());
        BUSY.with(|b| *b.borrow_mut() = false);
    });
}

/// What one step of the outbox came to.
enum Done {
    Sent(Outcome),
    Verified(Found),
}

/// The activity for `id` with its target as settled when it was first sent (saved with the outbox).
fn settled(desk: Link, id: &str, tables: &[String]) -> Option<Activity> {
    let mut a = None;
    desk.with_outbox(&mut |o| a = o.settled(id, |a| activity::within(a, tables)));
    a
}

/// What a failed write means for an outbox entry.
fn outcome(e: RestError) -> Outcome {
    match e {
        RestError::Unauthorized => Outcome::Unauthorized,
        // 429, or a 503 that may come after the change was saved: wait as asked, then look it up.
        RestError::RetryAfter(s) => Outcome::RetryAfter(s),
        // Nothing readable came back: the write may have happened (a dropped connection looks the same to the
        // browser as a CORS refusal). Any 5xx too: a 500, 502 or 504 can come after the change was saved.
        // Look it up before writing again.
        RestError::Network(m) | RestError::Blocked(m) => Outcome::Ambiguous(m),
        RestError::Status(code, m) => {
            let text = rest::status_text(code, &m);
            if code >= 500 {
                Outcome::Ambiguous(text)
            } else {
                Outcome::Refused(text)
            }
        }
        RestError::WrongInstance(m) => Outcome::Refused(m),
    }
}

/// What a failed look-up by call id means: a definite refusal (400/403/404) stops the entry for the agent
/// with the reason and names the read access the look-up needs; anything else is tried again later.
fn found(e: RestError, strategy: ActivityStrategy, a: &Activity, task_field: &str) -> Found {
    match e {
        RestError::Unauthorized => Found::Unauthorized,
        RestError::Status(code, m) if code < 500 => {
            let t = target(a);
            Found::Refused(crate::strings::lookup_refused(&activity::lookup_access(strategy, t.as_ref().map(|(x, y)| (x.as_str(), y.as_str())), task_field), &rest::status_text(code, &m)).render())
        }
        RestError::WrongInstance(m) => Found::Refused(rest::concat(&[crate::strings::CHECK_REFUSED(), &m])),
        other => Found::Unknown(other.to_string()),
    }
}

fn target(a: &Activity) -> Option<(String, String)> {
    let r = a.record.as_ref()?;
    Some((r.entity.clone(), r.sys_id.clone()?))
}

/// Why a write did not deliver an activity.
enum Write {
    Rest(RestError),
    /// ServiceNow answered 2xx but the note is not on the record (read back): retrying will not help.
    NotStored(String),
}

impl From<RestError> for Write {
    fn from(e: RestError) -> Self {
        Write::Rest(e)
    }
}

/// Whether this call's note is among the record's work notes, read back with their display value (a plain
/// read of a journal field is always empty; `sys_journal_field` itself is closed to agents' roles).
async fn note_on_record(inst: &str, tok: &Token, table: &str, id: &str, call_id: &str) -> Result<activity::Found, RestError> {
    let q = [("sysparm_fields", "sys_id,work_notes"), ("sysparm_display_value", "true")];
    let r = rest::request(inst, tok, "GET", &["/api/now/table/", table, "/", id], &q, None).await?;
    Ok(activity::judge_record(&r.body["result"], table, id, call_id))
}

/// Whether this call's note is on the first row of `table` whose `field` is the call id, in its `notes`
/// field read with its display value (the interaction's work notes, the phone log's notes).
/// `task`: the phone log's reference field to the task and the task's sys_id, checked too.
async fn note_in_row(inst: &str, tok: &Token, table: &str, field: &str, notes: &str, call_id: &str, task: Option<(&str, &str)>) -> Result<activity::Found, RestError> {
    let q = Query::new().and(field, Op::Eq, call_id).map_err(|e| RestError::Status(400, e.0))?;
    let mut fields = rest::concat(&["sys_id,", notes]);
    if let Some((f, _)) = task {
        fields.push(',');
        fields.push_str(f);
    }
    // Journal fields (an interaction's work notes) need their display value; the phone log's are plain.
    let display = if notes == "work_notes" { "true" } else { "false" };
    let qe = q.encode();
    let p = [("sysparm_query", qe.as_str()), ("sysparm_limit", "1"), ("sysparm_fields", fields.as_str()), ("sysparm_display_value", display), ("sysparm_exclude_reference_link", "true")];
    let (rows, _) = rest::table_rows(inst, tok, table, &p).await?;
    Ok(activity::judge_row(&rows, table, notes, call_id, task))
}

/// Reads back what the strategy wrote (also whether an activity already reached ServiceNow after an
/// unclear failure): the record's work notes, the interaction's work notes (found by its
/// `client_session_id`), or the phone log's notes (found by its `call_id`; `voice_interaction` writes one).
/// `on`: the record a write just put the work notes on (else the activity's own).
async fn read_back(inst: &str, tok: &Token, strategy: ActivityStrategy, task_field: &str, a: &Activity, on: Option<(&str, &str)>) -> Result<activity::Found, RestError> {
    let t = target(a);
    let work_notes = strategy == ActivityStrategy::WorkNotes;
    if let (true, Some((table, id))) = (work_notes, on.or(t.as_ref().map(|(x, y)| (x.as_str(), y.as_str())))) {
        return note_on_record(inst, tok, table, id, &a.call_id).await;
    }
    let (table, field, notes) = if work_notes { ("interaction", "client_session_id", "work_notes") } else { ("sn_openframe_phone_log", "call_id", "notes") };
    let task = match (strategy, &t) {
        (ActivityStrategy::PhoneLog, Some((_, id))) => Some((task_field, id.as_str())),
        _ => None,
    };
    note_in_row(inst, tok, table, field, notes, &a.call_id, task).await
}

/// Writes one activity with the configured strategy (its record already checked against the allowlist);
/// it counts only when it is read back.
async fn write(inst: &str, tok: &Token, strategy: ActivityStrategy, task_field: &str, a: &Activity) -> Result<(), Write> {
    let text = activity::work_note(a);
    let t = target(a);
    let log = Some(("sn_openframe_phone_log", a.call_id.as_str()));
    // One request per strategy (one await: a smaller future); `on` is where the note is read back.
    let (method, path, query, body, on): (&str, &[&str], &[(&str, &str)], Value, _) = match (strategy, &t) {
        (ActivityStrategy::VoiceInteraction, _) => ("POST", &["/api/now/openframe/voice-interaction"], &[], activity::voice_interaction_body(a), log),
        (ActivityStrategy::PhoneLog, _) => ("POST", &["/api/now/table/sn_openframe_phone_log"], &[], activity::phone_log_body(a, task_field), log),
        (ActivityStrategy::WorkNotes, Some((table, id))) => {
            ("PATCH", &["/api/now/table/", table, "/", id], &[("sysparm_fields", "sys_id")], json!({ "work_notes": text }), Some((table.as_str(), id.as_str())))
        }
        // No record (or not one notes may go to): an interaction of its own.
        (ActivityStrategy::WorkNotes, None) => (
            "POST",
            &["/api/now/table/interaction"],
            &[("sysparm_fields", "sys_id")],
            json!({"type": "phone", "client_session_id": a.call_id, "short_description": rest::concat(&["Phone call with ", &a.caller]), "work_notes": text}),
            None,
        ),
    };
    let r = rest::request(inst, tok, method, path, query, Some(&body)).await?;
    let made;
    let on = match on {
        Some(on) => on,
        None => {
            made = rest::get_str(&r.body["result"], "sys_id");
            // No usable id in the reply: the outcome is unclear (looked up by call id before any resend).
            if !screen_pop::is_sys_id(&made) {
                return Err(Write::Rest(RestError::Network(crate::strings::NOTE_NOT_READ_BACK().into())));
            }
            ("interaction", made.as_str())
        }
    };
    // The write was sent: a read-back that fails leaves its outcome unknown (looked up before any resend).
    // (The work notes on the record written, or the interaction made; else the row found by call id.)
    let stored = read_back(inst, tok, strategy, task_field, a, Some(on)).await;
    match stored {
        Ok(activity::Found::Yes) => Ok(()),
        Ok(activity::Found::No) => Err(Write::NotStored(crate::strings::note_not_stored(on.0, on.1).render())),
        Ok(activity::Found::Unconfirmed(m)) => Err(Write::NotStored(m)),
        // A refused read-back says what it needs (it was not "no answer").
        Err(e) => {
            let cause = e.to_string();
            match found(e, strategy, a, task_field) {
                Found::Refused(m) => Err(Write::NotStored(m)),
                _ => Err(Write::Rest(RestError::Network(rest::concat(&[crate::strings::NOTE_NOT_READ_BACK(), " ", &cause])))),
            }
        }
    }
}

fn record_of(table: &str, v: &Value, label_field: &str) -> RecordRef {
    let id = rest::get_str(v, "sys_id");
    RecordRef { entity: table.into(), query: crate::openframe::protocol::sys_id_query(&id), sys_id: Some(id), label: rest::get_str(v, label_field), value: rest::get_str(v, label_field) }
}

/// The people a record names (its own id, contact, consumer, caller and opened-for), the empty ones left out.
fn refs_of(c: &Value) -> Vec<String> {
    let mut refs = Vec::new();
    for f in ["sys_id", "contact", "consumer", "caller_id", "opened_for"] {
        let s = rest::get_str(c, f);
        if !s.is_empty() {
            refs.push(s);
        }
    }
    refs
}

/// Finds and opens the caller's record for call `call` (see [`screen_pop`] for the rules).
pub fn screen_pop(desk: impl Into<Link>, call: u32, number: String, headers: Vec<(String, String)>) {
    let desk: Link = desk.into();
    let Some(inst) = instance(&desk) else { return };
    let (tables, trust) = desk.settings.with_untracked(|s| (s.servicenow.pop_tables.clone(), s.servicenow.trust_call_data));
    let carried = screen_pop::carried(&headers, &tables);
    let trusted = carried.trusted(trust);
    if let Some(r) = carried.record().filter(|_| trusted) {
        desk.report(SnEvent::Pop { call, decision: Decision::Open(r) });
        return;
    }
    let Some(tok) = token() else { return };
    let country = desk.settings.with_untracked(|s| s.default_country.clone());
    leptos::task::spawn_local(async move {
        let decision = async {
            // The record the call names, with the people it names (checked against the caller unless trusted).
            let mut named = None;
            let look = match &carried.data {
                Some(CarriedData::CaseNumber(n)) => Some((screen_pop::CASE_TABLE, "number", n.as_str())),
                Some(CarriedData::Record(r)) => Some((r.entity.as_str(), "sys_id", r.sys_id.as_deref().unwrap_or(""))),
                None => None,
            };
            if let Some((table, field, v)) = look {
                let q = Query::new().and(field, Op::Eq, v).map_err(|e| e.0)?;
                let qe = q.encode();
                let p = [("sysparm_query", qe.as_str()), ("sysparm_limit", "1"), ("sysparm_fields", "number,sys_id,contact,consumer,caller_id,opened_for"), ("sysparm_exclude_reference_link", "true")];
                let rows = agent_rows(desk, &inst, &tok, table, &p).await?;
                if let Some(c) = rows.first() {
                    let rec = record_of(table, c, "number");
                    if trusted {
                        return Ok::<Decision, String>(Decision::Open(rec));
                    }
                    named = Some((rec, refs_of(c)));
                }
            }
            let mut candidates = Vec::new();
            for table in ["customer_contact", "csm_consumer", "sys_user"] {
                let q = query::phone_lookup(table, &number).map_err(|e| e.0)?;
                let rows = agent_rows(desk, &inst, &tok, table, &[("sysparm_query", &q.encode()), ("sysparm_fields", query::read_fields(table)), ("sysparm_limit", "50")]).await?;
                for row in rows {
                    let mut phones = Vec::new();
                    for f in query::phone_fields(table) {
                        phones.push(rest::get_str(&row, f));
                    }
                    candidates.push(Candidate { record: record_of(table, &row, "name"), phones });
                }
            }
            let people = screen_pop::exact_matches(&number, &country, &candidates);
            let mut cases = Vec::new();
            if let [person] = people.as_slice() {
                if person.entity == "customer_contact" {
                    let q = Query::new()
                        .and("contact", Op::Eq, person.sys_id.as_deref().unwrap_or(""))
                        .and_then(|q| q.and("state", Op::In, "1,10,18"))
                        .and_then(|q| q.order_by("sys_created_on", true))
                        .map_err(|e| e.0)?;
                    let rows = agent_rows(desk, &inst, &tok, "sn_customerservice_case", &[("sysparm_query", &q.encode()), ("sysparm_limit", "5")]).await?;
                    for c in &rows {
                        cases.push(record_of("sn_customerservice_case", c, "number"));
                    }
                }
            }
            Ok(match named {
                Some((rec, refs)) => screen_pop::decide_named(rec, &refs, &people, &cases),
                None => screen_pop::decide(&number, &people, &cases),
            })
        }
        .await;
        match decision {
            Ok(d) => desk.report(SnEvent::Pop { call, decision: d }),
            Err(m) => desk.report(SnEvent::PopFailed { call, message: rest::concat(&[crate::strings::POP_FAILED(), ": ", &m]) }),
        }
    });
}

/// Searches ServiceNow users, contacts and consumers for the directory (the first page).
pub fn search(desk: impl Into<Link>, text: String) {
    search_page(desk, text, 0);
}

/// Results per table and page.
pub const PAGE: usize = 25;
/// [`PAGE`] as the query writes it.
const PAGE_TEXT: &str = "25";

/// One page of a directory search; page 0 replaces the results, later pages append to them.
pub fn search_page(desk: impl Into<Link>, text: String, page: usize) {
    let desk: Link = desk.into();
    let Some(inst) = instance(&desk) else {
        if expected_instance(&desk).is_some() && token().is_some() {
            crate::desk::shell::aput(desk.notice, Some(crate::strings::Key::SN_NOT_VOUCHED.into()));
        }
        return;
    };
    let Some(tok) = token() else { return };
    if text.trim().chars().count() < 2 {
        crate::desk::shell::aput(desk.extra_directory, Vec::new());
        crate::desk::shell::aput(desk.directory_error, None);
        return;
    }
    if page == 0 {
        crate::desk::shell::set(desk.directory_more, false);
    }
    let mut key = crate::browser::fold_case(text.trim());
    key.push('#');
    crate::json::write_u64(&mut key, page as u64);
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        show_found(desk, page, hit);
        crate::desk::shell::aput(desk.directory_error, None);
        return;
    }
    leptos::task::spawn_local(async move {
        let mut found = Vec::new();
        // A failed search is said, not shown as "no results" (and not cached).
        let mut outcomes: Vec<Result<(), RestError>> = Vec::new();
        let offset = (page * PAGE).to_string();
        for (table, kind) in [("sys_user", "user"), ("customer_contact", "contact"), ("csm_consumer", "consumer")] {
            let Ok(q) = query::directory_search(table, &text) else { return };
            match rest::table_rows(&inst, &tok, table, &[("sysparm_query", &q.encode()), ("sysparm_fields", query::read_fields(table)), ("sysparm_limit", PAGE_TEXT), ("sysparm_offset", &offset)]).await {
                Err(e) => {
                    refused_read(desk, &tok, &e);
                    outcomes.push(Err(e));
                }
                Ok((rows, total)) => {
                    outcomes.push(Ok(()));
                    if total.is_some_and(|t| t as usize > (page + 1) * PAGE) {
                        crate::desk::shell::set(desk.directory_more, true);
                    }
                    // At most a page per table, whatever the reply holds; oversized rows are left out.
                    for row in rows.iter().take(PAGE) {
                        if let Some((name, number)) = entry_of(table, row) {
                            found.push(Entry { name, number, kind });
                        }
                    }
                }
            }
        }
        let failure = crate::ui::directory::search_failure(&outcomes);
        let failed = failure.is_some();
        crate::desk::shell::aput(desk.directory_error, failure);
        if !failed {
            CACHE.with(|c| super::directory::remember(&mut c.borrow_mut(), key, found.clone()));
        }
        show_found(desk, page, found);
    });
}

/// A directory row's name and first phone number that is not blank (None when it has none, or either is
/// oversized).
fn entry_of(table: &str, row: &Value) -> Option<(String, String)> {
    for f in query::phone_fields(table) {
        let n = rest::get_str(row, f);
        if !n.trim().is_empty() {
            return super::directory::entry_fields(&rest::get_str(row, "name"), &n);
        }
    }
    None
}

/// Shows a page of directory results: the first replaces the results, later pages append to them.
#[inline(never)]
fn show_found(desk: Link, page: usize, found: Vec<Entry>) {
    if page == 0 {
        crate::desk::shell::aput(desk.extra_directory, found);
    } else {
        desk.extra_directory.update(|d| d.extend(found));
    }
}

/// Finds a case by its number (for the wrap-up's "record" field); the error says why not.
pub async fn find_case(desk: impl Into<Link>, number: String) -> Result<RecordRef, String> {
    let desk: Link = desk.into();
    let inst = instance(&desk).ok_or_else(|| if expected_instance(&desk).is_some() { crate::strings::SN_NOT_VOUCHED() } else { crate::strings::SN_OFF() }.to_string())?;
    let Some(tok) = token() else {
        ask_sign_in(desk);
        return Err(crate::strings::SN_SIGN_IN_FIRST().to_string());
    };
    let q = Query::new().and("number", Op::Eq, number.trim()).map_err(|e| e.0)?;
    let rows = agent_rows(desk, &inst, &tok, "sn_customerservice_case", &[("sysparm_query", &q.encode()), ("sysparm_fields", "sys_id,number"), ("sysparm_limit", "1")]).await?;
    rows.first().map(|c| record_of("sn_customerservice_case", c, "number")).ok_or_else(|| crate::strings::no_case_found(number.trim()).render())
}

#[cfg(test)]
mod tests {
    use super::super::outbox::{tests::act, Outbox};
    use super::*;

    #[test]
    fn a_definite_refusal_of_the_check_ends_the_entry_visibly_and_the_rest_flow() {
        for code in [400, 403, 404] {
            let r = found(RestError::Status(code, "no".into()), ActivityStrategy::WorkNotes, &act("a"), "task");
            assert!(matches!(&r, Found::Refused(m) if m.contains(&format!("{code} no"))), "{r:?}");
            let mut o = Outbox::default();
            for id in ["a", "b"] {
                o.add(act(id), 0.0).unwrap();
            }
            o.next(0.0, true);
            o.on_sent("a", Outcome::Ambiguous("dropped".into()), 0.0);
            assert_eq!(o.next(1.0, true), Some(Step::Send("b".into())));
            o.on_sent("b", Outcome::Delivered, 1.0);
            assert_eq!(o.next(1e9, true), Some(Step::Verify("a".into())));
            o.on_verified("a", r, 1e9);
            assert_eq!(o.stuck().len(), 1, "shown to the agent with the reason");
        }
        assert!(matches!(found(RestError::Status(503, "busy".into()), ActivityStrategy::WorkNotes, &act("a"), "task"), Found::Unknown(_)));
        assert!(matches!(found(RestError::Network("x".into()), ActivityStrategy::WorkNotes, &act("a"), "task"), Found::Unknown(_)));
        assert_eq!(found(RestError::Unauthorized, ActivityStrategy::WorkNotes, &act("a"), "task"), Found::Unauthorized);
    }

    #[test]
    fn the_page_is_written_as_its_number() {
        assert_eq!(PAGE_TEXT, PAGE.to_string());
    }

    macro_rules! after_write {
        ($($name:ident: $err:expr,)*) => {$(
            /// Item 4: a failure that can come after the change was saved is looked up, never resent blind.
            #[test]
            fn $name() {
                let mut o = Outbox::default();
                o.add(act("a"), 0.0).unwrap();
                assert_eq!(o.next(0.0, true), Some(Step::Send("a".into())));
                o.on_sent("a", outcome($err), 0.0);
                assert_eq!(o.next(1e9, true), Some(Step::Verify("a".into())), "{:?}", $err);
            }
        )*};
    }

    after_write! {
        hostile_500_after_the_write_is_looked_up: RestError::Status(500, "Internal".into()),
        hostile_502_after_the_write_is_looked_up: RestError::Status(502, "Bad Gateway".into()),
        hostile_504_after_the_write_is_looked_up: RestError::Status(504, "Gateway Timeout".into()),
        hostile_503_after_the_write_is_looked_up: RestError::RetryAfter(Some(1.0)),
        hostile_dropped_connection_after_the_write_is_looked_up: RestError::Network("dropped".into()),
        hostile_timeout_after_the_write_is_looked_up: RestError::Network("ServiceNow did not answer within 10 s.".into()),
    }
}
