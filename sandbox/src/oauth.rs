//! The sandbox's OAuth 2.0 authorization server, as an instance's OAuth application registry entry for a
//! public client behaves: authorization code with PKCE (S256), redirect URLs checked exactly against the
//! registered ones, access tokens carrying the user's roles, and refresh tokens when the application
//! issues them (`grant_type=refresh_token`, rotated, with their own lifespan).

use crate::api::{b64url, origin, random_token, Code, Grant, Instance, Refresh, Shared, Store};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// GET /oauth_auth.do: the consent page for the test user (ServiceNow's login pages cannot be framed).
pub async fn authorize_page(State(inst): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code" || get("client_id") != inst.cfg.client_id {
        return (StatusCode::BAD_REQUEST, Html("<h1>Invalid OAuth request</h1><p>Unknown client_id or response_type.</p>".to_string())).into_response();
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").len() < 43 {
        return (StatusCode::BAD_REQUEST, Html("<h1>PKCE required</h1><p>code_challenge_method must be S256.</p>".to_string())).into_response();
    }
    if let Err(r) = registered_redirect(&inst, &get("redirect_uri")) {
        return r;
    }
    let hidden: String = ["client_id", "redirect_uri", "state", "code_challenge"]
        .iter()
        .map(|k| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", html_escape(&get(k))))
        .collect();
    let page = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Authorize Agent Desktop</title></head><body style=\"font:14px sans-serif;padding:24px\">\
         <h1>Allow Agent Desktop to connect to your account?</h1><p>Signed in as <b>Abel Tuter</b> (abel.tuter).</p>\
         <form method=\"post\" action=\"/oauth_auth.do\">{hidden}<button id=\"allow\" name=\"decision\" value=\"allow\">Allow</button> \
         <button id=\"deny\" name=\"decision\" value=\"deny\">Deny</button></form></body></html>"
    );
    // The login page refuses to be framed.
    ([("X-Frame-Options", "DENY")], Html(page)).into_response()
}

/// POST /oauth_auth.do: the user's decision; redirects to the redirect URI with a code (or an error).
pub async fn authorize_submit(State(inst): State<Shared>, body: Bytes) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let redirect = get("redirect_uri");
    if get("client_id") != inst.cfg.client_id {
        return (StatusCode::BAD_REQUEST, Html("<h1>Invalid OAuth request</h1><p>Unknown client_id.</p>".to_string())).into_response();
    }
    if let Err(r) = registered_redirect(&inst, &redirect) {
        return r;
    }
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let state = form_urlencoded::byte_serialize(get("state").as_bytes()).collect::<String>();
    if get("decision") != "allow" {
        return axum::response::Redirect::to(&format!("{redirect}{sep}error=access_denied&state={state}")).into_response();
    }
    let code = random_token();
    inst.store.lock().unwrap().codes.insert(
        code.clone(),
        Code { challenge: get("code_challenge"), redirect_uri: redirect.clone(), client_id: get("client_id"), expires: Instant::now() + Duration::from_secs(120) },
    );
    axum::response::Redirect::to(&format!("{redirect}{sep}code={code}&state={state}")).into_response()
}

fn oauth_cors(resp: Response, inst: &Instance, origin: Option<&str>) -> Response {
    let mut resp = resp;
    if let (Some(allowed), Some(o)) = (&inst.cfg.oauth_cors_origin, origin) {
        if allowed == "*" || allowed == o {
            resp.headers_mut().insert("Access-Control-Allow-Origin", HeaderValue::from_str(if allowed == "*" { "*" } else { o }).unwrap());
        }
    }
    resp
}

pub async fn token_preflight(State(inst): State<Shared>, headers: HeaderMap) -> Response {
    let o = origin(&headers);
    let mut r = StatusCode::OK.into_response();
    r.headers_mut().insert("Access-Control-Allow-Methods", HeaderValue::from_static("POST"));
    r.headers_mut().insert("Access-Control-Allow-Headers", HeaderValue::from_static("Content-Type, Accept"));
    oauth_cors(r, &inst, o.as_deref())
}

/// POST /oauth_token.do: exchanges the code, checking the PKCE verifier, client and redirect URI.
pub async fn token(State(inst): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    use sha2::Digest;
    let o = origin(&headers);
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let err = |status: StatusCode, e: &str, d: &str| oauth_cors((status, axum::Json(json!({"error": e, "error_description": d}))).into_response(), &inst, o.as_deref());
    if get("grant_type") == "refresh_token" {
        return refresh_grant(&inst, &form, o.as_deref());
    }
    if get("grant_type") != "authorization_code" {
        return err(StatusCode::BAD_REQUEST, "unsupported_grant_type", "only authorization_code and refresh_token");
    }
    let code = inst.store.lock().unwrap().codes.remove(&get("code"));
    let Some(code) = code else { return err(StatusCode::UNAUTHORIZED, "invalid_grant", "unknown or used code") };
    if code.expires < Instant::now() || code.client_id != get("client_id") || code.redirect_uri != get("redirect_uri") {
        return err(StatusCode::UNAUTHORIZED, "invalid_grant", "code, client or redirect_uri mismatch");
    }
    let verifier = get("code_verifier");
    if b64url(&sha2::Sha256::digest(verifier.as_bytes())) != code.challenge {
        return err(StatusCode::UNAUTHORIZED, "invalid_grant", "PKCE verification failed");
    }
    let body = {
        let mut s = inst.store.lock().unwrap();
        s.seq += 1;
        let family = s.seq;
        let refresh_expires = Instant::now() + inst.cfg.refresh_ttl;
        issue(&inst, &mut s, inst.cfg.roles.clone(), family, refresh_expires)
    };
    oauth_cors(axum::Json(body).into_response(), &inst, o.as_deref())
}

/// A new access token (and, when the OAuth application issues them, a refresh token of the same family
/// that expires at `refresh_expires`).
fn issue(inst: &Instance, s: &mut Store, roles: Vec<String>, family: u64, refresh_expires: Instant) -> Value {
    let access = random_token();
    s.tokens.insert(access.clone(), Grant { expires: Instant::now() + inst.cfg.token_ttl, roles: roles.clone() });
    let mut body = json!({"access_token": access, "token_type": "Bearer", "expires_in": inst.cfg.token_ttl.as_secs(), "scope": "useraccount"});
    if !inst.cfg.refresh_ttl.is_zero() {
        let refresh = random_token();
        s.refresh.insert(refresh.clone(), Refresh { expires: refresh_expires, client_id: inst.cfg.client_id.clone(), roles, family });
        body["refresh_token"] = json!(refresh);
    }
    body
}

/// `grant_type=refresh_token`: a new access token for a live refresh token of this client. The refresh
/// token is rotated (spent, a new one of the same lifespan returned); a spent one presented again revokes
/// its family (RFC 6819 5.2.2.3). Refused when the application issues no refresh tokens.
fn refresh_grant(inst: &Instance, form: &HashMap<String, String>, origin: Option<&str>) -> Response {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let err = |d: &str| oauth_cors((StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_grant", "error_description": d}))).into_response(), inst, origin);
    if inst.cfg.refresh_ttl.is_zero() {
        return oauth_cors(
            (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "unsupported_grant_type", "error_description": "this application issues no refresh tokens"}))).into_response(),
            inst,
            origin,
        );
    }
    let presented = get("refresh_token");
    let mut s = inst.store.lock().unwrap();
    if let Some(family) = s.spent.get(&presented).copied() {
        s.refresh.retain(|_, r| r.family != family);
        return err("refresh token already used: the sign-in is revoked");
    }
    let ok = s.refresh.get(&presented).map(|r| r.client_id == get("client_id") && get("client_id") == inst.cfg.client_id && r.expires > Instant::now());
    match ok {
        None => err("unknown refresh token"),
        Some(false) => err("refresh token expired or issued to another client"),
        Some(true) => {
            let r = s.refresh.remove(&presented).expect("checked");
            s.spent.insert(presented, r.family);
            s.renewed += 1;
            let body = issue(inst, &mut s, r.roles, r.family, r.expires);
            oauth_cors(axum::Json(body).into_response(), inst, origin)
        }
    }
}

/// The authorization endpoint sends the browser only to a redirect URL registered for the application,
/// exactly as written there (RFC 6749 3.1.2.4: an unregistered one gets an error page, no redirect).
fn registered_redirect(inst: &Instance, redirect: &str) -> Result<(), Response> {
    if inst.cfg.redirect_uris.iter().any(|r| r == redirect) {
        return Ok(());
    }
    let page = format!(
        "<h1>Invalid redirect_uri</h1><p>The redirect URL {} is not registered for this OAuth application.</p>",
        html_escape(redirect)
    );
    Err((StatusCode::BAD_REQUEST, Html(page)).into_response())
}


/// GET /sandbox/oauth: how many access tokens were renewed with a refresh token, and how many refresh
/// tokens are live (for tests).
pub async fn oauth_view(State(inst): State<Shared>) -> Response {
    let s = inst.store.lock().unwrap();
    axum::Json(json!({"renewed": s.renewed, "liveRefreshTokens": s.refresh.len()})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiConfig;

    const CALLBACK: &str = "http://localhost:1/oauth-callback.html";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn inst(refresh_ttl: u64) -> Shared {
        let mut c = ApiConfig::new("agent-desktop", CALLBACK);
        c.refresh_ttl = Duration::from_secs(refresh_ttl);
        Instance::new(c, crate::records::tables())
    }

    fn form(pairs: &[(&str, &str)]) -> Bytes {
        Bytes::from(form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish())
    }

    async fn json_of(r: Response) -> (StatusCode, Value) {
        let status = r.status();
        let b = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    /// Consent, then the code exchange: the token response.
    async fn sign_in(i: &Shared) -> Value {
        let r = authorize_submit(
            State(i.clone()),
            form(&[("client_id", "agent-desktop"), ("redirect_uri", CALLBACK), ("state", "s"), ("code_challenge", CHALLENGE), ("decision", "allow")]),
        )
        .await;
        let loc = r.headers().get("location").unwrap().to_str().unwrap().to_string();
        let code = loc.split("code=").nth(1).unwrap().split('&').next().unwrap().to_string();
        let r = token(
            State(i.clone()),
            HeaderMap::new(),
            form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK), ("client_id", "agent-desktop"), ("code_verifier", VERIFIER)]),
        )
        .await;
        let (status, v) = json_of(r).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    async fn refresh(i: &Shared, client: &str, rt: &str) -> (StatusCode, Value) {
        json_of(token(State(i.clone()), HeaderMap::new(), form(&[("grant_type", "refresh_token"), ("client_id", client), ("refresh_token", rt)])).await).await
    }

    #[tokio::test]
    async fn tokens_carry_the_users_roles_and_a_refresh_token_renews_them() {
        let i = inst(3600);
        let v = sign_in(&i).await;
        let access = v["access_token"].as_str().unwrap().to_string();
        assert_eq!(i.store.lock().unwrap().tokens[&access].roles, i.cfg.roles);
        let rt = v["refresh_token"].as_str().expect("the application issues refresh tokens").to_string();
        let (status, r) = refresh(&i, "agent-desktop", &rt).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let new_access = r["access_token"].as_str().unwrap();
        assert_ne!(new_access, access);
        assert_eq!(r["expires_in"], 1800);
        assert_eq!(i.store.lock().unwrap().tokens[new_access].roles, i.cfg.roles, "the renewed token keeps the roles");
        let rt2 = r["refresh_token"].as_str().unwrap();
        assert_ne!(rt2, rt, "rotated");
        let (status, _) = refresh(&i, "agent-desktop", rt2).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn without_refresh_tokens_the_response_has_none_and_the_grant_is_refused() {
        let i = inst(0);
        let v = sign_in(&i).await;
        assert!(v.get("refresh_token").is_none(), "{v}");
        let (status, r) = refresh(&i, "agent-desktop", "anything").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(r["error"], "unsupported_grant_type");
    }

    #[tokio::test]
    async fn hostile_refresh_token_replayed_is_refused_and_revokes_the_sign_in() {
        let i = inst(3600);
        let rt = sign_in(&i).await["refresh_token"].as_str().unwrap().to_string();
        let (_, r) = refresh(&i, "agent-desktop", &rt).await;
        let rt2 = r["refresh_token"].as_str().unwrap().to_string();
        let before = i.store.lock().unwrap().tokens.len();
        let (status, r) = refresh(&i, "agent-desktop", &rt).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(r["error"], "invalid_grant");
        assert!(r.get("access_token").is_none());
        assert_eq!(i.store.lock().unwrap().tokens.len(), before, "no token issued");
        let (status, _) = refresh(&i, "agent-desktop", &rt2).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the family's live refresh token is revoked too");
    }

    #[tokio::test]
    async fn hostile_refresh_token_from_another_client_is_refused() {
        let i = inst(3600);
        let rt = sign_in(&i).await["refresh_token"].as_str().unwrap().to_string();
        let before = i.store.lock().unwrap().tokens.len();
        let (status, r) = refresh(&i, "another-client", &rt).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(r.get("access_token").is_none());
        assert_eq!(i.store.lock().unwrap().tokens.len(), before);
        let (status, _) = refresh(&i, "agent-desktop", &rt).await;
        assert_eq!(status, StatusCode::OK, "its own client still can");
    }

    #[tokio::test]
    async fn hostile_refresh_token_unknown_or_expired_is_refused() {
        let i = inst(3600);
        let (status, _) = refresh(&i, "agent-desktop", "made-up").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let rt = sign_in(&i).await["refresh_token"].as_str().unwrap().to_string();
        i.store.lock().unwrap().refresh.get_mut(&rt).unwrap().expires = Instant::now() - Duration::from_secs(1);
        let (status, _) = refresh(&i, "agent-desktop", &rt).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn hostile_redirect_uri_not_registered_gets_an_error_page_and_no_code() {
        let i = inst(3600);
        for bad in ["http://localhost:1/oauth-callback.html?x=1", "http://localhost:1/other.html", "http://evil.example/oauth-callback.html", "HTTP://localhost:1/oauth-callback.html", ""] {
            let q = [("response_type", "code"), ("client_id", "agent-desktop"), ("redirect_uri", bad), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("state", "s")];
            let r = authorize_page(State(i.clone()), Query(q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert!(r.headers().get("location").is_none());
            let r = authorize_submit(State(i.clone()), form(&[("client_id", "agent-desktop"), ("redirect_uri", bad), ("state", "s"), ("code_challenge", CHALLENGE), ("decision", "allow")])).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert!(r.headers().get("location").is_none(), "never sent to {bad}");
        }
        assert!(i.store.lock().unwrap().codes.is_empty(), "no code issued");
        // The registered one, exactly.
        let q = [("response_type", "code"), ("client_id", "agent-desktop"), ("redirect_uri", CALLBACK), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("state", "s")];
        let r = authorize_page(State(i.clone()), Query(q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
}
