//! ServiceNow REST from the desktop's own origin (fetch with a bearer token), with errors an agent or an
//! admin can act on.

use crate::json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[derive(Clone, Debug, PartialEq)]
pub enum RestError {
    /// The browser refused the response: no CORS rule for this origin (or the instance is unreachable).
    Blocked(String),
    /// Nothing came back (network down, connection dropped): the request may or may not have arrived.
    Network(String),
    /// 401: the token expired or was revoked.
    Unauthorized,
    /// 429 / 503 with the Retry-After seconds when given.
    RetryAfter(Option<f64>),
    /// Any other HTTP failure, with ServiceNow's message.
    Status(u16, String),
    /// Not sent: the request would carry the token to another origin than the instance that issued it.
    WrongInstance(String),
}

impl RestError {
    /// What went wrong, for the agent: ServiceNow's own words stay as written, ours are catalogue texts.
    pub fn msg(&self) -> crate::strings::Msg {
        use crate::strings::Key as K;
        match self {
            RestError::Blocked(m) | RestError::Network(m) | RestError::WrongInstance(m) => m.as_str().into(),
            RestError::Unauthorized => K::SN_ASKED_SIGN_IN.into(),
            RestError::RetryAfter(_) => K::SN_ASKED_WAIT.into(),
            RestError::Status(code, m) => K::SN_ANSWERED.arg("code", code).arg("message", m),
        }
    }
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestError::Blocked(m) | RestError::Network(m) | RestError::WrongInstance(m) => f.write_str(m),
            other => f.write_str(&other.msg().render()),
        }
    }
}

/// How long a request may take before its outcome is treated as unknown.
pub const REQUEST_TIMEOUT_MS: i32 = 10_000;

/// A response: the JSON body and the headers the CORS rule exposes.
pub struct Reply {
    pub body: Value,
    pub total: Option<u64>,
}

fn origin() -> String {
    web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

/// Why a request that got no readable response failed, from two probes sent after it: a CORS request
/// without credentials (no preflight) and an opaque `no-cors` one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The instance answers this origin's CORS requests: the connection dropped (or was reset) after the
    /// request went out, so it may have arrived. Not a CORS problem.
    Dropped,
    /// The instance answers, but not to CORS requests from this origin: no CORS rule.
    NoCorsRule,
    /// Nothing answers.
    Unreachable,
}

/// The cause, from whether the CORS probe got a readable response and whether the opaque probe got one.
pub fn cause(cors_probe_answered: bool, opaque_probe_answered: bool) -> Cause {
    match (cors_probe_answered, opaque_probe_answered) {
        (true, _) => Cause::Dropped,
        (false, true) => Cause::NoCorsRule,
        (false, false) => Cause::Unreachable,
    }
}

impl Cause {
    /// The error the agent sees (`token_endpoint`: the failure was the sign-in's token request; `origin`:
    /// the desktop's).
    pub fn error(self, token_endpoint: bool, origin: &str) -> RestError {
        match self {
            Cause::Dropped => RestError::Network(crate::strings::SN_DROPPED().into()),
            Cause::NoCorsRule if token_endpoint => RestError::Blocked(crate::strings::sn_no_oauth_cors(origin).render()),
            Cause::NoCorsRule => RestError::Blocked(crate::strings::sn_no_cors_rule(origin).render()),
            Cause::Unreachable => RestError::Network(crate::strings::SN_UNREACHABLE().into()),
        }
    }
}

/// When fetch fails outright, finds out why ([`cause`]). The CORS probe carries no token and no custom
/// header (a simple request: no preflight), so it is read only when the instance's CORS rule (or, for
/// the token endpoint, `glide.oauth.cors.allowed.origin`) lets this origin read its answers, whatever
/// status it answers (401, 400, 405). Redirects are refused there too.
async fn diagnose(url: &str, token_endpoint: bool) -> RestError {
    let Some(w) = web_sys::window() else { return RestError::Network("no window".into()) };
    // An empty form POST (a simple request) for the token endpoint: it answers it with an OAuth error.
    let init = if token_endpoint { cors_init("POST", &[FORM], Some("")) } else { cors_init("GET", &[], None) };
    let cors_ok = JsFuture::from(w.fetch_with_str_and_init(url, &init)).await.is_ok();
    let opaque_ok = cors_ok || {
        let init = web_sys::RequestInit::new();
        init.set_mode(web_sys::RequestMode::NoCors);
        init.set_credentials(web_sys::RequestCredentials::Omit);
        // A no-cors probe must follow redirects (the Fetch standard refuses any other redirect mode there).
        JsFuture::from(w.fetch_with_str_and_init(url, &init)).await.is_ok()
    };
    cause(cors_ok, opaque_ok).error(token_endpoint, &origin())
}

/// A form body's Content-Type.
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// A CORS request without credentials that follows no redirect (a bearer token, an authorization code or a
/// PKCE verifier never goes where a redirect points), with these headers and body (one place for the
/// requests and the CORS probe).
#[inline(never)]
/// (`new Headers()` without an argument cannot throw; were it to, the request would go without headers,
/// so without the bearer token.)
fn cors_init(method: &str, headers: &[(&str, &str)], body: Option<&str>) -> web_sys::RequestInit {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_redirect(web_sys::RequestRedirect::Error);
    if let Ok(h) = web_sys::Headers::new() {
        for (k, v) in headers {
            let _ = h.set(k, v);
        }
        init.set_headers(&h);
    }
    if let Some(b) = body {
        init.set_body(&JsValue::from_str(b));
    }
    init
}

/// What a response's status means: Ok for 2xx, else the error with ServiceNow's own message (`body`'s
/// `error.message` and `error.detail`) and, for a refusal, what usually causes it.
pub fn classify(status: u16, body: &Value, retry_after: Option<&str>) -> Result<(), RestError> {
    match status {
        200..=299 => Ok(()),
        401 => Err(RestError::Unauthorized),
        429 | 503 => Err(RestError::RetryAfter(retry_after.and_then(|v| crate::uint::<u32>(v.trim())).map(f64::from))),
        code => {
            let msg = body["error"]["message"].as_str().unwrap_or("");
            let detail = body["error"]["detail"].as_str().unwrap_or("");
            let hint = match code {
                403 => crate::strings::SN_403_HINT(),
                404 => crate::strings::SN_404_HINT(),
                _ => "",
            };
            let text = if detail.is_empty() || crate::text::contains(msg, detail) { concat(&[msg, hint]) } else { concat(&[msg, " (", detail, ")", hint]) };
            Err(RestError::Status(code, text.trim().to_string()))
        }
    }
}

/// Performs a request. `path` starts with `/api/...`; `query` pairs are URL-encoded. The token goes only
/// to the origin that issued it: checked here, on the exact URL about to be fetched, by the pure rule and
/// by the browser's own URL parser.
/// The path comes in parts (`["/api/now/table/", table]`), written one after the other.
pub async fn request(instance: &str, token: &super::auth::Token, method: &str, path: &[&str], query: &[(&str, &str)], body: Option<&Value>) -> Result<Reply, RestError> {
    let mut url = instance.to_string();
    for p in path {
        url.push_str(p);
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&crate::config::form::serialize(query));
    }
    let browser_origin = web_sys::Url::new(&url).map(|u| u.origin()).unwrap_or_default();
    if !crate::trust::token_may_go_to(&token.instance, &url) || crate::trust::origin_of(&token.instance).as_deref() != Some(browser_origin.as_str()) {
        return Err(RestError::WrongInstance(crate::strings::sn_wrong_instance(&token.instance, &browser_origin)));
    }
    let token = &token.access;
    let w = web_sys::window().ok_or(RestError::Network("no window".into()))?;
    let mut bearer = String::from("Bearer ");
    bearer.push_str(token);
    // The bearer token never follows a redirect (to wherever it points).
    let headers = [("Accept", "application/json"), ("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    let init = match body {
        Some(b) => cors_init(method, &headers, Some(&b.to_string())),
        None => cors_init(method, &headers[..2], None),
    };
    // Give up after a while: the outcome is then unknown (the outbox looks it up before writing again).
    let abort = web_sys::AbortController::new().ok();
    if let Some(a) = &abort {
        init.set_signal(Some(&a.signal()));
        let a2 = a.clone();
        crate::browser::after(REQUEST_TIMEOUT_MS, move || a2.abort());
    }
    let resp = match JsFuture::from(w.fetch_with_str_and_init(&url, &init)).await {
        Ok(r) => r.unchecked_into::<web_sys::Response>(),
        Err(_) if abort.as_ref().map(|a| a.signal().aborted()).unwrap_or(false) => {
            return Err(RestError::Network(crate::strings::sn_timeout(REQUEST_TIMEOUT_MS / 1000).render()))
        }
        Err(_) => return Err(diagnose(&url, false).await),
    };
    let status = resp.status();
    let header = |k: &str| resp.headers().get(k).ok().flatten();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    // A body cut off mid-way is an ambiguous outcome.
    let Some(text) = text else { return Err(RestError::Network(crate::strings::SN_DROPPED().into())) };
    let body: Value = crate::json::parse(&text).unwrap_or(Value::Null);
    classify(status, &body, header("Retry-After").as_deref())?;
    Ok(Reply { body, total: header("X-Total-Count").and_then(|t| crate::uint(&t)) })
}

/// POSTs a form (the OAuth token endpoint), no bearer token.
pub async fn post_form(url: &str, pairs: &[(&str, &str)]) -> Result<Value, RestError> {
    let w = web_sys::window().ok_or(RestError::Network("no window".into()))?;
    // The authorization code and PKCE verifier never follow a redirect.
    let init = cors_init("POST", &[FORM, ("Accept", "application/json")], Some(&crate::config::form::serialize(pairs)));
    let resp = match JsFuture::from(w.fetch_with_str_and_init(url, &init)).await {
        Ok(r) => r.unchecked_into::<web_sys::Response>(),
        Err(_) => return Err(diagnose(url, true).await),
    };
    let status = resp.status();
    let text = JsFuture::from(resp.text().map_err(|_| RestError::Network("body".into()))?).await.ok().and_then(|t| t.as_string()).unwrap_or_default();
    let v: Value = crate::json::parse(&text).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        Ok(v)
    } else {
        Err(RestError::Status(status, v["error_description"].as_str().or(v["error"].as_str()).unwrap_or("").to_string()))
    }
}

/// Reads rows of `table` (`GET /api/now/table/{table}` with `query`): the `result` list (empty when there
/// is none) and the total count the reply announces. One place for every table read.
pub async fn table_rows(instance: &str, token: &super::auth::Token, table: &str, query: &[(&str, &str)]) -> Result<(Vec<Value>, Option<u64>), RestError> {
    let r = request(instance, token, "GET", &["/api/now/table/", table], query, None).await?;
    let rows = match r.body {
        Value::Object(mut m) => match m.remove("result") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    Ok((rows, r.total))
}

/// `parts` written one after the other (one place for the texts and URLs put together here and in the
/// ServiceNow client, instead of a format! each).
#[inline(never)]
pub fn concat(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        s.push_str(p);
    }
    s
}

/// An HTTP status and ServiceNow's message: `403 User Not Authorized`.
pub fn status_text(code: u16, m: &str) -> String {
    let mut s = String::new();
    crate::json::write_u64(&mut s, code.into());
    s.push(' ');
    s.push_str(m);
    s
}

pub fn get_str(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::json;

    #[test]
    fn hostile_a_connection_dropped_after_an_allowed_preflight_is_not_a_missing_cors_rule() {
        // The CORS probe was read: the instance lets this origin read its answers.
        assert_eq!(cause(true, true), Cause::Dropped);
        assert_eq!(cause(true, false), Cause::Dropped);
        assert!(matches!(cause(true, true).error(false, "http://localhost:1"), RestError::Network(m) if !m.contains("CORS") && m.contains("dropped")));
        assert!(matches!(cause(false, true).error(false, "http://localhost:1"), RestError::Blocked(m) if m.contains("CORS rule")));
        assert!(matches!(cause(false, true).error(true, "http://localhost:1"), RestError::Blocked(m) if m.contains("glide.oauth.cors.allowed.origin")));
        assert!(matches!(cause(false, false).error(false, "http://localhost:1"), RestError::Network(m) if m.contains("cannot be reached")));
    }

    #[test]
    fn hostile_a_refused_request_names_its_status_and_servicenow_s_reason() {
        let acl = json!({"error": {"message": "User Not Authorized", "detail": "User is unauthorized to access table: interaction"}, "status": "failure"});
        let e = classify(403, &acl, None).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("403") && m.contains("User is unauthorized to access table: interaction") && m.contains("role"), "{m}");
        assert!(!m.contains("did not answer"), "{m}");
        let bad = json!({"error": {"message": "Invalid table u_x", "detail": null}, "status": "failure"});
        assert_eq!(classify(400, &bad, None), Err(RestError::Status(400, "Invalid table u_x".into())));
        assert_eq!(classify(401, &Value::Null, None), Err(RestError::Unauthorized));
        assert_eq!(classify(429, &Value::Null, Some(" 7 ")), Err(RestError::RetryAfter(Some(7.0))));
        assert_eq!(classify(503, &Value::Null, Some("soon")), Err(RestError::RetryAfter(None)));
        assert!(matches!(classify(502, &Value::Null, None), Err(RestError::Status(502, _))));
        assert_eq!(classify(201, &Value::Null, None), Ok(()));
    }
}
