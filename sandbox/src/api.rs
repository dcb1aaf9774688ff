//! The sandbox's ServiceNow REST subset, with real shapes and refusals: the Table API, the OpenFrame
//! voice-interaction API, OAuth 2.0 (authorization code + PKCE S256, public client), bearer tokens,
//! CORS rules that refuse unlisted origins and headers, an optional rate limit (429 + Retry-After) and
//! fault injection for tests.

use crate::acl;
use crate::query;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Origins with a CORS rule (System Web Services > REST > CORS Rules).
    pub cors_origins: Vec<String>,
    /// glide.oauth.cors.allowed.origin: one origin or "*"; None: the property is not set.
    pub oauth_cors_origin: Option<String>,
    pub token_ttl: Duration,
    pub client_id: String,
    /// The OAuth application's redirect URLs (a request's `redirect_uri` must be one of them exactly).
    pub redirect_uris: Vec<String>,
    /// The OAuth application's refresh token lifespan; zero: no refresh tokens are issued.
    pub refresh_ttl: Duration,
    /// The test user's roles (carried by every token issued to them).
    pub roles: Vec<String>,
    /// Fields a field read ACL hides from the test user (`table.field`).
    pub hidden_fields: Vec<String>,
    /// Fields this instance's dictionary does not have (`table.field`): ignored in writes.
    pub dropped_fields: Vec<String>,
}

impl ApiConfig {
    /// The defaults of the command line, for the given registered redirect URL.
    pub fn new(client_id: &str, redirect_uri: &str) -> ApiConfig {
        ApiConfig {
            cors_origins: Vec::new(),
            oauth_cors_origin: None,
            token_ttl: Duration::from_secs(1800),
            client_id: client_id.into(),
            redirect_uris: vec![redirect_uri.into()],
            refresh_ttl: Duration::from_secs(REFRESH_TTL_DEFAULT),
            roles: acl::DEFAULT_ROLES.iter().map(|r| r.to_string()).collect(),
            hidden_fields: Vec::new(),
            dropped_fields: Vec::new(),
        }
    }
}

/// An instance's default refresh token lifespan: 100 days.
pub const REFRESH_TTL_DEFAULT: u64 = 100 * 24 * 3600;

/// An access token: when it expires and the roles of the user it was issued to.
pub struct Grant {
    pub expires: Instant,
    pub roles: Vec<String>,
}

/// A refresh token (rotated on every use: the one it replaces is spent). `family` links the tokens of one
/// sign-in: a spent token presented again revokes the family's live one.
pub(crate) struct Refresh {
    pub(crate) expires: Instant,
    pub(crate) client_id: String,
    pub(crate) roles: Vec<String>,
    pub(crate) family: u64,
}

pub use crate::faults::Fault;

pub(crate) struct Code {
    pub(crate) challenge: String,
    pub(crate) redirect_uri: String,
    pub(crate) client_id: String,
    pub(crate) expires: Instant,
}

pub struct Store {
    pub tables: HashMap<String, Vec<Map<String, Value>>>,
    pub tokens: HashMap<String, Grant>,
    pub(crate) codes: HashMap<String, Code>,
    pub(crate) refresh: HashMap<String, Refresh>,
    /// Spent refresh tokens and their family.
    pub(crate) spent: HashMap<String, u64>,
    /// Access tokens issued with a refresh token (for tests: `GET /sandbox/oauth`).
    pub(crate) renewed: u32,
    pub faults: VecDeque<Fault>,
    /// The instance cannot be reached until then (crate::faults).
    pub offline: crate::faults::Offline,
    pub rate_per_minute: Option<u32>,
    hits: VecDeque<Instant>,
    pub(crate) seq: u64,
}

pub struct Instance {
    pub store: Mutex<Store>,
    pub cfg: ApiConfig,
    /// The dictionary: tables and their fields (see [`crate::records::schema`]).
    pub schema: HashMap<String, Vec<String>>,
}

pub type Shared = Arc<Instance>;

/// Tables that have journal fields (`work_notes`, `comments`), as task tables do on an instance. On any other
/// table a journal field in a write is an unknown field: ignored, and the write still answers 200.
pub const JOURNAL_TABLES: [&str; 4] = ["sn_customerservice_case", "incident", "interaction", "task"];
const JOURNAL_FIELDS: [&str; 2] = ["work_notes", "comments"];

const ALLOWED_HEADERS: [&str; 3] = ["authorization", "content-type", "accept"];
const EXPOSED: &str = "X-Total-Count, Link, Retry-After";

fn now_text() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("@{secs}")
}

impl Instance {
    pub fn new(cfg: ApiConfig, tables: HashMap<String, Vec<Map<String, Value>>>) -> Shared {
        let mut tables = tables;
        let schema = dictionary(&cfg);
        for t in schema.keys() {
            tables.entry(t.clone()).or_default();
        }
        let mut dict: Vec<Map<String, Value>> = Vec::new();
        for (t, fields) in &schema {
            for f in fields {
                let reference = match (t.as_str(), f.as_str()) {
                    ("sn_openframe_phone_log", "task") => "task",
                    (_, "contact") => "customer_contact",
                    _ => "",
                };
                let kind = if reference.is_empty() { "string" } else { "reference" };
                dict.push(json!({"sys_id": format!("d1c7{:028}", dict.len()), "name": t, "element": f, "internal_type": kind, "reference": reference}).as_object().unwrap().clone());
            }
        }
        tables.insert("sys_dictionary".into(), dict);
        Arc::new(Instance {
            schema,
            store: Mutex::new(Store {
                tables,
                tokens: HashMap::new(),
                codes: HashMap::new(),
                refresh: HashMap::new(),
                spent: HashMap::new(),
                renewed: 0,
                faults: VecDeque::new(),
                offline: Default::default(),
                rate_per_minute: None,
                hits: VecDeque::new(),
                seq: 0,
            }),
            cfg,
        })
    }
}

impl Instance {
    /// A valid bearer token, for tests of other modules.
    #[cfg(test)]
    pub(crate) fn grant(&self, token: &str) {
        self.store.lock().unwrap().tokens.insert(token.into(), Grant { expires: Instant::now() + Duration::from_secs(60), roles: acl::DEFAULT_ROLES.iter().map(|r| r.to_string()).collect() });
    }
}

impl Store {
    fn new_id(&mut self) -> String {
        self.seq += 1;
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        format!("{:016x}{:016x}", t as u64, self.seq)
    }

    /// A record as the Table API shows it: journal fields read back empty, unless their display value is
    /// asked for (`sysparm_display_value=true` or `all`), which lists the entries, newest first.
    fn shown(&self, table: &str, rec: &Map<String, Value>, display: Option<&str>) -> Map<String, Value> {
        let mut out = rec.clone();
        if !JOURNAL_TABLES.contains(&table) {
            return out;
        }
        let id = rec.get("sys_id").and_then(Value::as_str).unwrap_or("");
        for field in JOURNAL_FIELDS {
            let label = if field == "work_notes" { "Work notes" } else { "Additional comments" };
            let text: String = self
                .tables
                .get("sys_journal_field")
                .map(|rows| {
                    rows.iter()
                        .rev()
                        .filter(|j| j.get("element_id").and_then(Value::as_str) == Some(id) && j.get("element").and_then(Value::as_str) == Some(field))
                        .map(|j| {
                            let g = |k: &str| j.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                            format!("{} - Abel Tuter ({label})\n{}\n\n", g("sys_created_on"), g("value"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let v = match display {
                Some("true") => json!(text),
                Some("all") => json!({"display_value": text, "value": ""}),
                _ => json!(""),
            };
            out.insert(field.into(), v);
        }
        out
    }

    /// Appends a journal entry (work notes) for a record.
    fn journal(&mut self, table: &str, id: &str, element: &str, text: &str) {
        let sys_id = self.new_id();
        let entry = json!({"sys_id": sys_id, "name": table, "element_id": id, "element": element, "value": text,
            "sys_created_on": now_text(), "sys_created_by": "agent"});
        self.tables.entry("sys_journal_field".into()).or_default().push(entry.as_object().unwrap().clone());
    }
}

fn failure(status: StatusCode, message: &str, detail: &str) -> Response {
    (status, axum::Json(json!({"error": {"message": message, "detail": detail}, "status": "failure"}))).into_response()
}

pub(crate) fn random_token() -> String {
    use sha2::Digest;
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let n = std::process::id() as u128;
    let h = sha2::Sha256::digest(format!("{t}-{n}-{:?}", std::thread::current().id()).as_bytes());
    h.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Adds the CORS response headers when `origin` has a rule.
fn cors(mut resp: Response, origin: Option<&str>, allowed: &[String]) -> Response {
    if let Some(o) = origin {
        if allowed.iter().any(|a| a == o) {
            let h = resp.headers_mut();
            h.insert("Access-Control-Allow-Origin", HeaderValue::from_str(o).unwrap());
            h.insert("Access-Control-Expose-Headers", HeaderValue::from_static(EXPOSED));
            h.append("Vary", HeaderValue::from_static("Origin"));
        }
    }
    resp
}

pub(crate) fn origin(h: &HeaderMap) -> Option<String> {
    h.get("origin").and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A CORS preflight: allowed only for a listed origin asking for GET/POST/PATCH with the three headers.
pub async fn preflight(State(inst): State<Shared>, headers: HeaderMap) -> Response {
    let o = origin(&headers);
    let method_ok = headers
        .get("access-control-request-method")
        .and_then(|v| v.to_str().ok())
        .map(|m| ["GET", "POST", "PATCH"].contains(&m))
        .unwrap_or(false);
    let headers_ok = headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .map(|h| h.split(',').map(|x| x.trim().to_ascii_lowercase()).filter(|x| !x.is_empty()).all(|x| ALLOWED_HEADERS.contains(&x.as_str())))
        .unwrap_or(true);
    match o {
        Some(o) if inst.cfg.cors_origins.contains(&o) && method_ok && headers_ok => {
            let mut r = StatusCode::OK.into_response();
            let h = r.headers_mut();
            h.insert("Access-Control-Allow-Origin", HeaderValue::from_str(&o).unwrap());
            h.insert("Access-Control-Allow-Methods", HeaderValue::from_static("GET, POST, PATCH"));
            h.insert("Access-Control-Allow-Headers", HeaderValue::from_static("Authorization, Content-Type, Accept"));
            h.insert("Access-Control-Max-Age", HeaderValue::from_static("600"));
            h.append("Vary", HeaderValue::from_static("Origin"));
            r
        }
        // No CORS headers: the browser refuses the real request, exactly as with a missing CORS rule.
        _ => StatusCode::FORBIDDEN.into_response(),
    }
}

/// Checks the bearer token, the rate limit and injected faults. Err is the response to send instead.
async fn gate(inst: &Shared, headers: &HeaderMap) -> Result<Option<Fault>, Response> {
    let o = origin(headers);
    // Authentication first: a request without a valid token takes no fault (nor a rate-limit slot).
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::to_string);
    let valid = token.map(|t| inst.store.lock().unwrap().tokens.get(&t).map(|g| g.expires > Instant::now()).unwrap_or(false)).unwrap_or(false);
    if !valid {
        let r = failure(StatusCode::UNAUTHORIZED, "User Not Authenticated", "Required to provide Auth information");
        return Err(cors(r, o.as_deref(), &inst.cfg.cors_origins));
    }

    let limited = {
        let mut s = inst.store.lock().unwrap();
        let mut limited = None;
        if let Some(per_min) = s.rate_per_minute {
            let now = Instant::now();
            while s.hits.front().map(|t| now.duration_since(*t) > Duration::from_secs(60)).unwrap_or(false) {
                s.hits.pop_front();
            }
            if s.hits.len() as u32 >= per_min {
                let oldest = *s.hits.front().unwrap();
                limited = Some(60 - now.duration_since(oldest).as_secs().min(59));
            } else {
                s.hits.push_back(now);
            }
        }
        limited
    };
    if let Some(retry) = limited {
        let mut r = failure(StatusCode::TOO_MANY_REQUESTS, "Too many requests", "Rate limit exceeded");
        r.headers_mut().insert("Retry-After", HeaderValue::from_str(&retry.to_string()).unwrap());
        return Err(cors(r, o.as_deref(), &inst.cfg.cors_origins));
    }
    // Faults are taken only by authenticated requests (a 401 takes none).
    let fault = inst.store.lock().unwrap().faults.pop_front();
    crate::faults::before(fault).await.map_err(|r| cors(r, o.as_deref(), &inst.cfg.cors_origins))
}

/// A read takes its fault too: answered, dropped or late as the fault says (there is nothing to undo).
async fn gate_read(inst: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let fault = gate(inst, headers).await?;
    match crate::faults::after(&fault).await {
        Some(r) => Err(cors(r, origin(headers).as_deref(), &inst.cfg.cors_origins)),
        None => Ok(()),
    }
}

/// Fields the caller asked for (`sysparm_fields`), or all.
fn select(rec: &Map<String, Value>, fields: Option<&str>) -> Value {
    match fields {
        Some(f) if !f.is_empty() => {
            let mut m = Map::new();
            for k in f.split(',').map(str::trim) {
                // Fields the user may not read are simply absent.
                if let Some(v) = rec.get(k) {
                    m.insert(k.to_string(), v.clone());
                }
            }
            Value::Object(m)
        }
        _ => Value::Object(rec.clone()),
    }
}

pub async fn list(State(inst): State<Shared>, Path(table): Path<String>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let o = origin(&headers);
    if let Err(r) = gate_read(&inst, &headers).await {
        return r;
    }
    let user = user_of(&inst, &headers);
    if let Err(r) = table_gate(&inst, &user, &table, Access::Read) {
        return cors(r, o.as_deref(), &inst.cfg.cors_origins);
    }
    let s = inst.store.lock().unwrap();
    let rows = s.tables.get(&table).map(Vec::as_slice).unwrap_or(&[]);
    let display = q.get("sysparm_display_value").map(String::as_str);
    let parsed = query::parse(q.get("sysparm_query").map(String::as_str).unwrap_or(""));
    // Rows a read ACL hides are left out, as if they were not there.
    let mut hits: Vec<Map<String, Value>> = rows.iter().filter(|r| user.may_see_row(r) && parsed.matches(r)).cloned().collect();
    parsed.sort(&mut hits);
    let total = hits.len();
    let offset: usize = q.get("sysparm_offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit: usize = q.get("sysparm_limit").and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let page: Vec<Value> =
        hits.iter().skip(offset).take(limit).map(|r| select(&user.filter_fields(&table, &s.shown(&table, r, display)), q.get("sysparm_fields").map(String::as_str))).collect();
    let mut r = axum::Json(json!({ "result": page })).into_response();
    r.headers_mut().insert("X-Total-Count", HeaderValue::from_str(&total.to_string()).unwrap());
    if offset + limit < total {
        let next = format!("</api/now/table/{table}?sysparm_offset={}&sysparm_limit={limit}>;rel=\"next\"", offset + limit);
        r.headers_mut().insert("Link", HeaderValue::from_str(&next).unwrap());
    }
    drop(s);
    cors(r, o.as_deref(), &inst.cfg.cors_origins)
}

pub async fn get_one(State(inst): State<Shared>, Path((table, id)): Path<(String, String)>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let o = origin(&headers);
    if let Err(r) = gate_read(&inst, &headers).await {
        return r;
    }
    let user = user_of(&inst, &headers);
    if let Err(r) = table_gate(&inst, &user, &table, Access::Read) {
        return cors(r, o.as_deref(), &inst.cfg.cors_origins);
    }
    let s = inst.store.lock().unwrap();
    let rec = s.tables.get(&table).and_then(|rows| rows.iter().find(|r| r.get("sys_id").and_then(Value::as_str) == Some(&id))).filter(|r| user.may_see_row(r));
    let display = q.get("sysparm_display_value").map(String::as_str);
    let r = match rec {
        Some(r) => axum::Json(json!({"result": select(&user.filter_fields(&table, &s.shown(&table, r, display)), q.get("sysparm_fields").map(String::as_str))})).into_response(),
        None => failure(StatusCode::NOT_FOUND, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"),
    };
    drop(s);
    cors(r, o.as_deref(), &inst.cfg.cors_origins)
}

fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, Response> {
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(failure(StatusCode::BAD_REQUEST, "Requested URI does not represent any resource", "Content-Type must be application/json"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(failure(StatusCode::BAD_REQUEST, "Exception while reading request", "The payload is not valid JSON")),
    }
}

/// The checks every write starts with: token, rate limit, faults, and a JSON object body.
async fn begin_write(inst: &Shared, headers: &HeaderMap, body: &Bytes) -> Result<(Option<Fault>, Map<String, Value>), Response> {
    let fault = gate(inst, headers).await?;
    let m = json_body(headers, body).map_err(|r| cors(r, origin(headers).as_deref(), &inst.cfg.cors_origins))?;
    Ok((fault, m))
}

/// The faults that act after the work (late, drop, a status after storing): the response to send instead.
async fn after_work(fault: &Option<Fault>, o: Option<&str>, inst: &Instance) -> Option<Response> {
    crate::faults::after(fault).await.map(|r| cors(r, o, &inst.cfg.cors_origins))
}

pub async fn create(State(inst): State<Shared>, Path(table): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let o = origin(&headers);
    let (fault, m) = match begin_write(&inst, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let user = user_of(&inst, &headers);
    if let Err(r) = table_gate(&inst, &user, &table, Access::Insert) {
        return cors(r, o.as_deref(), &inst.cfg.cors_origins);
    }
    let mut m = known_fields(&inst, &table, m);
    let rec = {
        let mut s = inst.store.lock().unwrap();
        let id = s.new_id();
        m.insert("sys_id".into(), json!(id));
        m.insert("sys_created_on".into(), json!(now_text()));
        // A journal field given on insert becomes the record's first journal entry (on a table that has
        // one; elsewhere it is an unknown field and ignored).
        for field in JOURNAL_FIELDS {
            if let Some(text) = m.remove(field).and_then(|v| v.as_str().map(str::to_string)).filter(|t| !t.is_empty()) {
                if JOURNAL_TABLES.contains(&table.as_str()) && !matches!(fault, Some(Fault::Discard)) {
                    s.journal(&table, &id, field, &text);
                }
            }
        }
        if !matches!(fault, Some(Fault::Discard)) {
            s.tables.entry(table.clone()).or_default().push(m.clone());
        }
        user.filter_fields(&table, &m)
    };
    if let Some(r) = after_work(&fault, o.as_deref(), &inst).await {
        return r;
    }
    cors((StatusCode::CREATED, axum::Json(json!({ "result": rec }))).into_response(), o.as_deref(), &inst.cfg.cors_origins)
}

pub async fn update(State(inst): State<Shared>, Path((table, id)): Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    let o = origin(&headers);
    let (fault, m) = match begin_write(&inst, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let user = user_of(&inst, &headers);
    if let Err(r) = table_gate(&inst, &user, &table, Access::Update) {
        return cors(r, o.as_deref(), &inst.cfg.cors_origins);
    }
    let m = known_fields(&inst, &table, m);
    let result = {
        let mut s = inst.store.lock().unwrap();
        let exists = s.tables.get(&table).map(|rows| rows.iter().any(|r| r.get("sys_id").and_then(Value::as_str) == Some(&id) && user.may_see_row(r))).unwrap_or(false);
        if !exists {
            None
        } else {
            for (k, v) in &m {
                // A table without journal fields ignores them (the write still answers 200).
                if JOURNAL_FIELDS.contains(&k.as_str()) && JOURNAL_TABLES.contains(&table.as_str()) {
                    let text = v.as_str().unwrap_or("").to_string();
                    if !text.is_empty() {
                        if text.chars().count() > 4000 {
                            drop(s);
                            return cors(failure(StatusCode::BAD_REQUEST, "Journal entry too long", "4000 characters at most"), o.as_deref(), &inst.cfg.cors_origins);
                        }
                        // The discard fault: answered as done, nothing kept.
                        if !matches!(fault, Some(Fault::Discard)) {
                            s.journal(&table, &id, k, &text);
                        }
                    }
                }
            }
            let rows = s.tables.get_mut(&table).unwrap();
            let rec = rows.iter_mut().find(|r| r.get("sys_id").and_then(Value::as_str) == Some(&id)).unwrap();
            for (k, v) in m {
                if !JOURNAL_FIELDS.contains(&k.as_str()) && k != "sys_id" {
                    rec.insert(k, v);
                }
            }
            // Journal fields read back empty through the Table API.
            let out = rec.clone();
            Some(user.filter_fields(&table, &s.shown(&table, &out, None)))
        }
    };
    if let Some(r) = after_work(&fault, o.as_deref(), &inst).await {
        return r;
    }
    let r = match result {
        Some(rec) => axum::Json(json!({ "result": rec })).into_response(),
        None => failure(StatusCode::NOT_FOUND, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"),
    };
    cors(r, o.as_deref(), &inst.cfg.cors_origins)
}

/// POST /api/now/openframe/voice-interaction: an interaction, its phone log, and the link to the case.
pub async fn voice_interaction(State(inst): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let o = origin(&headers);
    let (fault, m) = match begin_write(&inst, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !user_of(&inst, &headers).may_use_openframe_api() {
        let r = (StatusCode::FORBIDDEN, axum::Json(acl::read_refusal("sn_openframe_phone_log"))).into_response();
        return cors(r, o.as_deref(), &inst.cfg.cors_origins);
    }
    let (id, number) = {
        let mut s = inst.store.lock().unwrap();
        let id = s.new_id();
        s.seq += 1;
        let number = format!("IMS{:07}", s.seq);
        let interaction = json!({"sys_id": id, "number": number, "type": "phone", "opened_for": m["interaction"]["userPhoneNumber"],
            "client_session_id": m["interaction"]["clientSessionId"], "sys_created_on": now_text()});
        s.tables.entry("interaction".into()).or_default().push(interaction.as_object().unwrap().clone());
        let logs = if matches!(fault, Some(Fault::Discard)) { Vec::new() } else { m.get("phoneLogs").and_then(Value::as_array).cloned().unwrap_or_default() };
        for log in logs {
            let mut l = known_fields(&inst, "sn_openframe_phone_log", log.as_object().cloned().unwrap_or_default());
            let lid = s.new_id();
            l.insert("sys_id".into(), json!(lid));
            l.insert("interaction".into(), json!(id));
            s.tables.entry("sn_openframe_phone_log".into()).or_default().push(l.clone());
            for rel in m.get("relatedRecords").and_then(Value::as_array).cloned().unwrap_or_default() {
                if let (Some(t), Some(d)) = (rel["documentTable"].as_str(), rel["documentId"].as_str()) {
                    let text = l.get("notes").and_then(Value::as_str).unwrap_or("Phone call").to_string();
                    s.journal(t, d, "work_notes", &text);
                }
            }
        }
        (id, number)
    };
    if let Some(r) = after_work(&fault, o.as_deref(), &inst).await {
        return r;
    }
    cors(axum::Json(json!({"result": {"status": "SUCCESS", "sysId": id, "number": number}})).into_response(), o.as_deref(), &inst.cfg.cors_origins)
}

// ---------------- ACL and dictionary (the strict instance) ----------------

/// GET on an API that takes only POST (the voice-interaction API): 405, with the CORS rule's headers as
/// an instance sends them (the desktop's diagnosis reads it to tell a dropped connection from a missing rule).
pub async fn method_not_allowed(State(inst): State<Shared>, headers: HeaderMap) -> Response {
    let r = failure(StatusCode::METHOD_NOT_ALLOWED, "Method not Supported", "Requested method is not supported");
    cors(r, origin(&headers).as_deref(), &inst.cfg.cors_origins)
}

/// The tables and fields this instance has: [`crate::records::schema`] without `--drop-field`s.
fn dictionary(cfg: &ApiConfig) -> HashMap<String, Vec<String>> {
    crate::records::schema()
        .into_iter()
        .map(|(t, fields)| {
            let kept = fields.into_iter().filter(|f| !cfg.dropped_fields.iter().any(|d| d.split_once('.') == Some((t, f)))).map(str::to_string).collect();
            (t.to_string(), kept)
        })
        .collect()
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::to_string)
}

/// The user the request's (valid) token was issued to, with the roles it carries.
fn user_of(inst: &Shared, headers: &HeaderMap) -> acl::User {
    let roles = bearer(headers).and_then(|t| inst.store.lock().unwrap().tokens.get(&t).map(|g| g.roles.clone())).unwrap_or_default();
    acl::User { roles, hidden_fields: inst.cfg.hidden_fields.clone() }
}

#[derive(Clone, Copy, PartialEq)]
enum Access {
    Read,
    Insert,
    Update,
}

/// 400 "Invalid table" for a table the instance does not have (never created by a write); 403 when the
/// user's roles may not read or write it.
fn table_gate(inst: &Shared, user: &acl::User, table: &str, access: Access) -> Result<(), Response> {
    if !inst.schema.contains_key(table) {
        return Err((StatusCode::BAD_REQUEST, axum::Json(acl::invalid_table(table))).into_response());
    }
    let refusal = match access {
        Access::Read => (!user.may_read(table)).then(|| acl::read_refusal(table)),
        Access::Insert | Access::Update => (!user.may_write(table)).then(|| acl::write_refusal(access == Access::Insert)),
    };
    match refusal {
        Some(body) => Err((StatusCode::FORBIDDEN, axum::Json(body)).into_response()),
        None => Ok(()),
    }
}

/// A write body as the instance takes it: fields the table does not have (and system fields) are ignored,
/// so a write counts only when what it wrote is read back.
fn known_fields(inst: &Shared, table: &str, body: Map<String, Value>) -> Map<String, Value> {
    let fields = inst.schema.get(table);
    body.into_iter().filter(|(k, _)| fields.is_some_and(|f| f.iter().any(|x| x == k))).collect()
}

// ---------------- sandbox controls (same origin, for the host page and tests) ----------------

/// POST /sandbox/faults: `{"faults": ["500", "after:502", "429:2", "delay:2000", "drop"], "offlineMs": 5000,
/// "ratePerMinute": 10, "expireTokens": true}` (see crate::faults).
pub async fn set_faults(State(inst): State<Shared>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else { return StatusCode::BAD_REQUEST.into_response() };
    let mut s = inst.store.lock().unwrap();
    if let Some(list) = v.get("faults").and_then(Value::as_array) {
        let parsed: Option<Vec<Fault>> = list.iter().map(|f| f.as_str().and_then(crate::faults::parse)).collect();
        // A fault this sandbox does not know is refused (a test must not believe it injected one).
        let Some(parsed) = parsed else { return (StatusCode::BAD_REQUEST, "unknown fault (see sandbox --help)").into_response() };
        s.faults.extend(parsed);
    }
    if let Some(ms) = v.get("offlineMs").and_then(Value::as_u64) {
        s.offline.set(ms);
    }
    if let Some(r) = v.get("ratePerMinute") {
        s.rate_per_minute = r.as_u64().map(|n| n as u32);
    }
    if v.get("expireTokens").and_then(Value::as_bool) == Some(true) {
        s.tokens.clear();
    }
    StatusCode::NO_CONTENT.into_response()
}

/// GET /sandbox/faults: how many faults wait to be taken (`{"queued": N, "offline": bool}`).
pub async fn faults_state(State(inst): State<Shared>) -> Response {
    let s = inst.store.lock().unwrap();
    axum::Json(json!({"queued": s.faults.len(), "offline": s.offline.now()})).into_response()
}

/// GET /sandbox/record/{table}/{id}: a record and its activity stream (journal entries), for the host page.
pub async fn record_view(State(inst): State<Shared>, Path((table, id)): Path<(String, String)>, method: Method) -> Response {
    let _ = method;
    let s = inst.store.lock().unwrap();
    let rec = s.tables.get(&table).and_then(|rows| rows.iter().find(|r| r.get("sys_id").and_then(Value::as_str) == Some(&id))).cloned();
    let journal: Vec<Value> = s
        .tables
        .get("sys_journal_field")
        .map(|rows| rows.iter().filter(|j| j.get("element_id").and_then(Value::as_str) == Some(&id)).map(|j| Value::Object(j.clone())).collect())
        .unwrap_or_default();
    match rec {
        Some(r) => axum::Json(json!({"record": r, "activity": journal})).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// GET /sandbox/journal: every journal entry (for tests: count notes wherever they were written).
pub async fn journal_all(State(inst): State<Shared>) -> Response {
    let s = inst.store.lock().unwrap();
    let all: Vec<Value> = s.tables.get("sys_journal_field").map(|r| r.iter().map(|j| Value::Object(j.clone())).collect()).unwrap_or_default();
    axum::Json(Value::Array(all)).into_response()
}

#[cfg(test)]
#[path = "strict_tests.rs"]
mod strict_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn instance() -> (Shared, HeaderMap) {
        let inst = Instance::new(ApiConfig::new("agent-desktop", "http://localhost:1/oauth-callback.html"), crate::records::tables());
        inst.store.lock().unwrap().tokens.insert("t".into(), Grant { expires: Instant::now() + Duration::from_secs(60), roles: inst.cfg.roles.clone() });
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer t"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        (inst, h)
    }

    async fn body(r: Response) -> (StatusCode, Value) {
        let status = r.status();
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    fn q(pairs: &[(&str, &str)]) -> Query<HashMap<String, String>> {
        Query(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    const CASE: &str = "ca5e0000000000000000000000000001";
    const CONTACT: &str = "c1a1d0c0000000000000000000000001";

    #[tokio::test]
    async fn journal_fields_read_back_empty_unless_their_display_value_is_asked_for() {
        let (inst, h) = instance();
        let note = Bytes::from(json!({"work_notes": "Call ID: abc\nRouter replaced"}).to_string());
        let (status, v) = body(update(State(inst.clone()), Path(("sn_customerservice_case".into(), CASE.into())), h.clone(), note).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["result"]["work_notes"], "", "a write answers with the journal field empty");
        let path = || Path(("sn_customerservice_case".to_string(), CASE.to_string()));
        let (_, plain) = body(get_one(State(inst.clone()), path(), q(&[("sysparm_fields", "work_notes")]), h.clone()).await).await;
        assert_eq!(plain["result"], json!({"work_notes": ""}));
        let (_, shown) = body(get_one(State(inst.clone()), path(), q(&[("sysparm_fields", "work_notes"), ("sysparm_display_value", "true")]), h.clone()).await).await;
        let text = shown["result"]["work_notes"].as_str().unwrap();
        assert!(text.contains("(Work notes)\nCall ID: abc\nRouter replaced\n\n"), "{text}");
        let (_, all) = body(get_one(State(inst.clone()), path(), q(&[("sysparm_fields", "work_notes"), ("sysparm_display_value", "all")]), h.clone()).await).await;
        assert_eq!(all["result"]["work_notes"]["display_value"], json!(text));
    }

    #[tokio::test]
    async fn a_table_without_work_notes_ignores_them_and_still_answers_200() {
        let (inst, h) = instance();
        let note = Bytes::from(json!({"work_notes": "Call ID: abc\nlost"}).to_string());
        let (status, v) = body(update(State(inst.clone()), Path(("customer_contact".into(), CONTACT.into())), h.clone(), note.clone()).await).await;
        assert_eq!(status, StatusCode::OK);
        assert!(v["result"].get("work_notes").is_none());
        let (_, shown) = body(
            get_one(State(inst.clone()), Path(("customer_contact".into(), CONTACT.into())), q(&[("sysparm_fields", "work_notes"), ("sysparm_display_value", "true")]), h.clone()).await,
        )
        .await;
        assert_eq!(shown["result"], json!({}), "no such field");
        let (status, _) = body(create(State(inst.clone()), Path("customer_contact".into()), h.clone(), Bytes::from(json!({"name": "X", "work_notes": "n"}).to_string())).await).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(inst.store.lock().unwrap().tables["sys_journal_field"].is_empty(), "nothing was written anywhere");
    }

    #[tokio::test]
    async fn the_journal_table_is_closed_to_agents() {
        let (inst, h) = instance();
        let (status, _) = body(list(State(inst.clone()), Path("sys_journal_field".into()), q(&[]), h.clone()).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

/// Every REST, OAuth and CORS request while the instance is offline: the connection closes unanswered.
pub async fn offline_gate(State(inst): State<Shared>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if inst.store.lock().unwrap().offline.now() {
        return crate::faults::dropped();
    }
    next.run(req).await
}
