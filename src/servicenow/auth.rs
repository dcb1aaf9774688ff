//! Sign-in to ServiceNow: OAuth 2.0 authorization code with PKCE (S256) as a public client, in a popup.
//! The callback page (public/oauth-callback.html, on the desktop's origin) hands the code back to this
//! window with postMessage to this origin only; the `state` must match. The token stays in memory (and,
//! for a reload, in the snapshot whose secrets live a minute: see crate::trust), never in localStorage.
//! It is bound to the instance that issued it: requests carry it only to that origin.
//! Where the instance's OAuth application issues refresh tokens, the token response carries one: it is kept
//! with the access token (never anywhere else) and renews it before it expires, without a click
//! (`grant_type=refresh_token` at the same instance); without one the agent is asked to sign in again.

use super::rest::{self, RestError};
use crate::json::Value;
use crate::phone::sip::hash::sha256;
use crate::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Where earlier versions kept the token in sessionStorage: removed at start.
pub const TOKEN_KEY: &str = "agent-desktop.servicenow.token";
/// Re-authorize this long before the token expires.
pub const RENEW_BEFORE_MS: f64 = 120_000.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub access: String,
    pub expires_at: f64,
    /// The origin of the instance that issued it (the only place it is sent).
    pub instance: String,
    /// The refresh token, when the instance issued one (sent only to that instance's token endpoint).
    pub refresh: Option<String>,
}

/// Written as `{"access", "expires_at", "instance", "refresh"}` (`refresh` left out when there is none).
impl crate::json::ToJson for Token {
    fn to_json(&self) -> Value {
        let mut v = crate::json::json!({"access": self.access, "expires_at": self.expires_at, "instance": self.instance});
        if let Some(r) = &self.refresh {
            v["refresh"] = Value::from(r);
        }
        v
    }
}

/// Read back from what [`ToJson`](crate::json::ToJson) writes; `instance` and `refresh` may be missing (a
/// token handed over by an older version), `refresh` may be null.
impl crate::json::FromJson for Token {
    fn from_json(v: &Value) -> Option<Token> {
        let instance = match v.get("instance") {
            None => String::new(),
            Some(i) => i.as_str()?.to_string(),
        };
        Some(Token {
            access: v.get("access")?.as_str()?.to_string(),
            expires_at: v.get("expires_at")?.as_f64()?,
            instance,
            refresh: crate::openframe::protocol::opt_string(v, "refresh")?,
        })
    }
}

/// The longest token (access or refresh) kept: longer ones are not ServiceNow's.
pub const MAX_TOKEN_LEN: usize = 4096;

fn token_text(v: &Value, k: &str) -> Option<String> {
    v.get(k)?.as_str().filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN && t.bytes().all(|b| b.is_ascii_graphic())).map(str::to_string)
}

/// A token from the token endpoint's response (`now`: ms since the epoch). A response without a new
/// refresh token keeps `previous` (an instance may return the same one, or none, on a refresh).
pub fn token_from_response(v: &Value, instance: &str, now: f64, previous: Option<&str>) -> Result<Token, String> {
    let access = token_text(v, "access_token").ok_or(crate::strings::SN_NO_ACCESS_TOKEN())?;
    let expires_in = v["expires_in"].as_f64().filter(|s| *s > 0.0).unwrap_or(1800.0).min(86_400.0 * 365.0);
    let refresh = token_text(v, "refresh_token").or_else(|| previous.map(str::to_string));
    Ok(Token { access, expires_at: now + expires_in * 1000.0, instance: instance.to_string(), refresh })
}

/// Whether the token should be renewed now with its refresh token (none: never; the agent signs in).
pub fn renewal_due(t: &Token, now: f64) -> bool {
    t.refresh.is_some() && now >= t.expires_at - RENEW_BEFORE_MS
}

/// The token endpoint a refresh token is sent to: its own instance's, and only when that is an origin.
pub fn refresh_url(t: &Token) -> Option<String> {
    let origin = crate::trust::origin_of(&t.instance)?;
    let url = rest::concat(&[&origin, "/oauth_token.do"]);
    crate::trust::token_may_go_to(&t.instance, &url).then_some(url)
}

/// Why a renewal failed.
#[derive(Clone, Debug, PartialEq)]
pub enum RenewError {
    /// The instance refused the refresh token (expired, revoked, replayed): the agent must sign in.
    Refused(String),
    /// No answer (network, CORS): try again a little later while the access token lasts.
    Unclear(String),
}

/// Renews the access token with the refresh token (`grant_type=refresh_token`, public client: no secret).
pub async fn renew(t: &Token, client_id: &str) -> Result<Token, RenewError> {
    let (Some(url), Some(refresh)) = (refresh_url(t), t.refresh.as_deref()) else {
        return Err(RenewError::Refused(crate::strings::SN_RENEW_FAILED().into()));
    };
    match rest::post_form(&url, &[("grant_type", "refresh_token"), ("client_id", client_id), ("refresh_token", refresh)]).await {
        Ok(v) => token_from_response(&v, &t.instance, js_sys::Date::now(), Some(refresh)).map_err(RenewError::Refused),
        Err(RestError::Status(code, m)) if (400..500).contains(&code) => Err(RenewError::Refused(rest::concat(&[crate::strings::SN_RENEW_FAILED(), " (", &rest::status_text(code, &m), ")"]))),
        Err(e) => Err(RenewError::Unclear(e.to_string())),
    }
}

fn b64url(bytes: &[u8]) -> String {
    crate::b64::url_no_pad(bytes)
}

/// The S256 code challenge of a verifier (RFC 7636).
pub fn challenge(verifier: &str) -> String {
    b64url(&sha256(verifier.as_bytes()))
}

fn random(n: usize) -> String {
    let mut b = vec![0u8; n];
    if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut b);
    }
    b64url(&b)
}

/// The callback page's address, next to index.html (it must be registered as the client's redirect URL).
pub fn redirect_uri() -> String {
    beside_page("oauth-callback.html")
}

/// The address of `path` in the page's own directory (the page's address without its query, fragment and
/// last path segment, then `/` and `path`).
pub fn beside_page(path: &str) -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    let base = href.split(['?', '#']).next().unwrap_or("");
    let dir = crate::text::rsplit_once_byte(base, b'/').map(|(d, _)| d).unwrap_or("");
    rest::concat(&[dir, "/", path])
}

pub fn forget_token() {
    if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = s.remove_item(TOKEN_KEY);
    }
}

/// Opens the consent popup and resolves with a token, or an error that says what to fix.
pub async fn sign_in(instance: &str, client_id: &str) -> Result<Token, String> {
    let w = web_sys::window().ok_or("no window")?;
    let verifier = random(48);
    let state = random(16);
    let redirect = redirect_uri();
    let q = crate::config::form::serialize(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", &redirect),
        ("code_challenge", &challenge(&verifier)),
        ("code_challenge_method", "S256"),
        ("state", &state),
    ]);
    let url = rest::concat(&[instance, "/oauth_auth.do?", &q]);
    let popup = w
        .open_with_url_and_target_and_features(&url, "agent-desktop-signin", "width=520,height=640")
        .ok()
        .flatten()
        .ok_or(crate::strings::SN_POPUP_BLOCKED())?;
    // Wait for the callback page's message: from our own origin, from that popup, with our state.
    let (tx, rx) = futures_channel_oneshot();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let own = w.location().origin().unwrap_or_default();
    let popup_obj: js_sys::Object = popup.clone().into();
    let t2 = tx.clone();
    let on_msg = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        if ev.origin() != own {
            return;
        }
        let from_popup = ev.source().map(|s| js_sys::Object::is(&s, &popup_obj)).unwrap_or(false);
        if !from_popup {
            return;
        }
        let data = ev.data();
        let get = |k: &str| js_sys::Reflect::get(&data, &k.into()).ok().and_then(|v| v.as_string());
        if get("type").as_deref() != Some("agent-desktop-oauth") {
            return;
        }
        if let Some(tx) = t2.borrow_mut().take() {
            let _ = tx.send((get("code"), get("state"), get("error")));
        }
    });
    w.add_event_listener_with_callback("message", on_msg.as_ref().unchecked_ref()).map_err(|_| "listen")?;
    // Give up after two minutes (wrong redirect URL: the instance shows its error in the popup and never
    // comes back).
    let t3 = tx.clone();
    crate::browser::after(120_000, move || {
        if let Some(tx) = t3.borrow_mut().take() {
            let _ = tx.send((None, None, Some("timeout".into())));
        }
    });
    let (code, got_state, error) = rx.await;
    let _ = w.remove_event_listener_with_callback("message", on_msg.as_ref().unchecked_ref());
    drop(on_msg);
    if let Some(e) = error {
        let _ = popup.close();
        return Err(match e.as_str() {
            "timeout" => crate::strings::Key::SN_SIGN_IN_TIMEOUT.arg("client", &client_id).arg("redirect", &redirect).render(),
            "access_denied" => crate::strings::SN_SIGN_IN_DECLINED().into(),
            other => crate::strings::Key::SN_SIGN_IN_REFUSED.arg("why", &other).render(),
        });
    }
    if got_state.as_deref() != Some(state.as_str()) {
        return Err(crate::strings::SN_STATE_MISMATCH().into());
    }
    let code = code.ok_or(crate::strings::SN_NO_AUTH_CODE())?;
    let v = rest::post_form(
        &rest::concat(&[instance, "/oauth_token.do"]),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &redirect), ("client_id", client_id), ("code_verifier", &verifier)],
    )
    .await
    .map_err(|e| match e {
        RestError::Status(_, m) => crate::strings::Key::SN_TOKEN_REFUSED.arg("why", &m).render(),
        other => other.to_string(),
    })?;
    token_from_response(&v, instance, js_sys::Date::now(), None)
}

/// A one-shot channel built on a JS promise (no executor-specific crate needed).
fn futures_channel_oneshot<T: 'static>() -> (OneshotTx<T>, OneshotRx<T>) {
    let slot: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
    let resolve: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let r2 = resolve.clone();
    let promise = js_sys::Promise::new(&mut |res, _| {
        *r2.borrow_mut() = Some(res);
    });
    (OneshotTx { slot: slot.clone(), resolve }, OneshotRx { slot, promise })
}

struct OneshotTx<T> {
    slot: Rc<RefCell<Option<T>>>,
    resolve: Rc<RefCell<Option<js_sys::Function>>>,
}

impl<T> OneshotTx<T> {
    fn send(self, v: T) -> Result<(), ()> {
        *self.slot.borrow_mut() = Some(v);
        if let Some(f) = self.resolve.borrow_mut().take() {
            let _ = f.call0(&JsValue::NULL);
        }
        Ok(())
    }
}

struct OneshotRx<T> {
    slot: Rc<RefCell<Option<T>>>,
    promise: js_sys::Promise,
}

impl<T: 'static> std::future::IntoFuture for OneshotRx<T> {
    type Output = T;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(self.promise).await;
            self.slot.borrow_mut().take().expect("sent")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::json;

    const INST: &str = "https://acme.service-now.com";

    #[test]
    fn a_refresh_token_is_kept_with_the_access_token_and_renews_it_before_expiry() {
        let v = json!({"access_token": "a1", "token_type": "Bearer", "expires_in": 1800, "refresh_token": "r1"});
        let t = token_from_response(&v, INST, 1_000.0, None).unwrap();
        assert_eq!(t, Token { access: "a1".into(), expires_at: 1_801_000.0, instance: INST.into(), refresh: Some("r1".into()) });
        assert!(!renewal_due(&t, 1_000.0));
        assert!(renewal_due(&t, t.expires_at - RENEW_BEFORE_MS));
        assert_eq!(refresh_url(&t).as_deref(), Some("https://acme.service-now.com/oauth_token.do"));
        // A refresh answered without a new refresh token keeps the old one; with one, the new one.
        let same = token_from_response(&json!({"access_token": "a2", "expires_in": 1800}), INST, 0.0, Some("r1")).unwrap();
        assert_eq!(same.refresh.as_deref(), Some("r1"));
        let rotated = token_from_response(&json!({"access_token": "a2", "refresh_token": "r2"}), INST, 0.0, Some("r1")).unwrap();
        assert_eq!(rotated.refresh.as_deref(), Some("r2"));
        // The hand-over and the snapshot carry it with the token (and only there).
        let text = crate::json::to_string(&t);
        assert_eq!(crate::json::from_str::<Token>(&text).unwrap(), t);
    }

    #[test]
    fn without_a_refresh_token_the_agent_is_asked_to_sign_in() {
        let t = token_from_response(&json!({"access_token": "a1", "expires_in": 1800}), INST, 0.0, None).unwrap();
        assert_eq!(t.refresh, None);
        assert!(!renewal_due(&t, t.expires_at + 1.0), "no silent renewal without a refresh token");
        let old: Token = crate::json::from_str(r#"{"access":"a","expires_at":5,"instance":"https://acme.service-now.com"}"#).unwrap();
        assert_eq!(old.refresh, None, "a token handed over by an older version");
    }

    #[test]
    fn hostile_token_response_without_a_usable_access_token_is_refused() {
        for v in [json!({}), json!({"access_token": ""}), json!({"access_token": 5}), json!({"access_token": "a\nb"}), json!({"access_token": "x".repeat(5000)})] {
            assert!(token_from_response(&v, INST, 0.0, None).is_err(), "{v}");
        }
    }

    #[test]
    fn hostile_refresh_token_that_is_not_a_token_is_not_kept() {
        for bad in [json!(42), json!(""), json!("r 1"), json!("r\u{0}"), json!("x".repeat(5000))] {
            let t = token_from_response(&json!({"access_token": "a", "refresh_token": bad}), INST, 0.0, None).unwrap();
            assert_eq!(t.refresh, None, "{bad}");
        }
    }

    #[test]
    fn hostile_refresh_token_never_goes_to_another_origin() {
        let mut t = token_from_response(&json!({"access_token": "a", "refresh_token": "r"}), INST, 0.0, None).unwrap();
        for other in ["", "javascript:alert(1)", "https://evil.example@acme.service-now.com", "ftp://acme.service-now.com"] {
            t.instance = other.into();
            assert_eq!(refresh_url(&t), None, "{other}");
        }
        t.instance = "https://acme.service-now.com/some/path".into();
        assert_eq!(refresh_url(&t).as_deref(), Some("https://acme.service-now.com/oauth_token.do"), "the origin's endpoint, never a path");
    }

    #[test]
    fn rfc7636_challenge_vector() {
        // RFC 7636 appendix B.
        assert_eq!(super::challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
