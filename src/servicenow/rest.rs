//! ServiceNow REST from the desktop's own origin (fetch with a bearer token), with errors an agent or an
//! admin can act on.

use serde_json::Value;
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

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestError::Blocked(m) | RestError::Network(m) | RestError::WrongInstance(m) => f.write_str(m),
            RestError::Unauthorized => f.write_str("ServiceNow asked for sign-in again"),
            RestError::RetryAfter(_) => f.write_str("ServiceNow asked to wait (rate limit)"),
            RestError::Status(code, m) => write!(f, "ServiceNow answered {code}: {m}"),
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

/// When fetch fails outright, tell a CORS refusal from a dead network: an opaque `no-cors` request to the
/// same address succeeds when the instance is reachable.
async fn diagnose(url: &str) -> RestError {
    let Some(w) = web_sys::window() else { return RestError::Network("no window".into()) };
    let init = web_sys::RequestInit::new();
    init.set_mode(web_sys::RequestMode::NoCors);
    // A no-cors probe must follow redirects (the Fetch standard refuses any other redirect mode there).
    let probe = JsFuture::from(w.fetch_with_str_and_init(url, &init)).await;
    if probe.is_ok() {
        RestError::Blocked(format!(
            "ServiceNow refused the request from {}: an admin must add a CORS rule for this origin (System Web Services > REST > CORS Rules; methods GET, POST, PATCH; headers Authorization, Content-Type, Accept; expose X-Total-Count, Link, Retry-After).",
            origin()
        ))
    } else {
        RestError::Network("ServiceNow cannot be reached: check the network connection.".into())
    }
}

/// Performs a request. `path` starts with `/api/...`; `query` pairs are URL-encoded. The token goes only
/// to the origin that issued it: checked here, on the exact URL about to be fetched, by the pure rule and
/// by the browser's own URL parser.
pub async fn request(instance: &str, token: &super::auth::Token, method: &str, path: &str, query: &[(&str, String)], body: Option<&Value>) -> Result<Reply, RestError> {
    let mut url = format!("{instance}{path}");
    if !query.is_empty() {
        let q: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str()))).finish();
        url.push('?');
        url.push_str(&q);
    }
    let browser_origin = web_sys::Url::new(&url).map(|u| u.origin()).unwrap_or_default();
    if !crate::trust::token_may_go_to(&token.instance, &url) || crate::trust::origin_of(&token.instance).as_deref() != Some(browser_origin.as_str()) {
        return Err(RestError::WrongInstance(format!(
            "The ServiceNow sign-in belongs to {}; it is not sent to {}. Sign in to ServiceNow again.",
            if token.instance.is_empty() { "another instance" } else { &token.instance },
            if browser_origin.is_empty() { "that address" } else { &browser_origin }
        )));
    }
    let token = &token.access;
    let w = web_sys::window().ok_or(RestError::Network("no window".into()))?;
    let headers = web_sys::Headers::new().map_err(|_| RestError::Network("headers".into()))?;
    let _ = headers.set("Accept", "application/json");
    let _ = headers.set("Authorization", &format!("Bearer {token}"));
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    // The bearer token never follows a redirect (to wherever it points).
    init.set_redirect(web_sys::RequestRedirect::Error);
    if let Some(b) = body {
        let _ = headers.set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(&b.to_string()));
    }
    init.set_headers(&headers);
    // Give up after a while: the outcome is then unknown (the outbox looks it up before writing again).
    let abort = web_sys::AbortController::new().ok();
    if let Some(a) = &abort {
        init.set_signal(Some(&a.signal()));
        let a2 = a.clone();
        let cb = Closure::once_into_js(move || a2.abort());
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), REQUEST_TIMEOUT_MS);
    }
    let resp = match JsFuture::from(w.fetch_with_str_and_init(&url, &init)).await {
        Ok(r) => r.unchecked_into::<web_sys::Response>(),
        Err(_) if abort.as_ref().map(|a| a.signal().aborted()).unwrap_or(false) => {
            return Err(RestError::Network(format!("ServiceNow did not answer within {} s.", REQUEST_TIMEOUT_MS / 1000)))
        }
        Err(_) => return Err(diagnose(&url).await),
    };
    let status = resp.status();
    let header = |k: &str| resp.headers().get(k).ok().flatten();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    // A body cut off mid-way is an ambiguous outcome.
    let Some(text) = text else { return Err(RestError::Network(crate::strings::SN_CONNECTION_DROPPED().into())) };
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match status {
        200..=299 => Ok(Reply { body, total: header("X-Total-Count").and_then(|t| t.parse().ok()) }),
        401 => Err(RestError::Unauthorized),
        429 | 503 => Err(RestError::RetryAfter(header("Retry-After").and_then(|v| v.trim().parse::<u32>().ok()).map(f64::from))),
        code => {
            let msg = body["error"]["message"].as_str().unwrap_or("").to_string();
            let detail = body["error"]["detail"].as_str().unwrap_or("");
            let hint = match code {
                403 => " (the ServiceNow user may lack a role, e.g. sn_openframe_user, or an ACL refuses it)",
                404 => " (the record or API does not exist, or an ACL hides it)",
                _ => "",
            };
            Err(RestError::Status(code, format!("{msg} {detail}{hint}").trim().to_string()))
        }
    }
}

/// POSTs a form (the OAuth token endpoint), no bearer token.
pub async fn post_form(url: &str, pairs: &[(&str, &str)]) -> Result<Value, RestError> {
    let w = web_sys::window().ok_or(RestError::Network("no window".into()))?;
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish();
    let headers = web_sys::Headers::new().map_err(|_| RestError::Network("headers".into()))?;
    let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
    let _ = headers.set("Accept", "application/json");
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    // The authorization code and PKCE verifier never follow a redirect.
    init.set_redirect(web_sys::RequestRedirect::Error);
    init.set_body(&JsValue::from_str(&body));
    init.set_headers(&headers);
    let resp = match JsFuture::from(w.fetch_with_str_and_init(url, &init)).await {
        Ok(r) => r.unchecked_into::<web_sys::Response>(),
        Err(_) => {
            return Err(match diagnose(url).await {
                RestError::Blocked(_) => RestError::Blocked(format!(
                    "ServiceNow refused the sign-in token request from {}: an admin must set the instance property glide.oauth.cors.allowed.origin to this origin.",
                    origin()
                )),
                other => other,
            })
        }
    };
    let status = resp.status();
    let text = JsFuture::from(resp.text().map_err(|_| RestError::Network("body".into()))?).await.ok().and_then(|t| t.as_string()).unwrap_or_default();
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        Ok(v)
    } else {
        Err(RestError::Status(status, v["error_description"].as_str().or(v["error"].as_str()).unwrap_or("").to_string()))
    }
}

/// Reads `result` as a list.
pub fn rows(r: &Reply) -> Vec<Value> {
    r.body.get("result").and_then(Value::as_array).cloned().unwrap_or_default()
}

pub fn get_str(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}
