//! Sign-in to ServiceNow: OAuth 2.0 authorization code with PKCE (S256) as a public client, in a popup.
//! The callback page (public/oauth-callback.html, on the desktop's origin) hands the code back to this
//! window with postMessage to this origin only; the `state` must match. The token stays in memory (and,
//! for a reload, in the snapshot whose secrets live a minute: see crate::trust), never in localStorage.
//! It is bound to the instance that issued it: requests carry it only to that origin.

use super::rest::{self, RestError};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Where earlier versions kept the token in sessionStorage: removed at start.
pub const TOKEN_KEY: &str = "agent-desktop.servicenow.token";
/// Re-authorize this long before the token expires.
pub const RENEW_BEFORE_MS: f64 = 120_000.0;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Token {
    pub access: String,
    pub expires_at: f64,
    /// The origin of the instance that issued it (the only place it is sent).
    #[serde(default)]
    pub instance: String,
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 code challenge of a verifier (RFC 7636).
pub fn challenge(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
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
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    let base = href.split(['?', '#']).next().unwrap_or("");
    let dir = base.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    format!("{dir}/oauth-callback.html")
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
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("code_challenge", &challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", &state)
        .finish();
    let url = format!("{instance}/oauth_auth.do?{q}");
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
    let timeout = Closure::once_into_js(move || {
        if let Some(tx) = t3.borrow_mut().take() {
            let _ = tx.send((None, None, Some("timeout".into())));
        }
    });
    let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(timeout.unchecked_ref(), 120_000);
    let (code, got_state, error) = rx.await;
    let _ = w.remove_event_listener_with_callback("message", on_msg.as_ref().unchecked_ref());
    drop(on_msg);
    if let Some(e) = error {
        let _ = popup.close();
        return Err(match e.as_str() {
            "timeout" => format!(
                "ServiceNow did not complete the sign-in. Check that the OAuth client '{client_id}' exists and lists the redirect URL {redirect} exactly."
            ),
            "access_denied" => "Sign-in was declined in ServiceNow.".into(),
            other => format!("ServiceNow refused the sign-in: {other}"),
        });
    }
    if got_state.as_deref() != Some(state.as_str()) {
        return Err(crate::strings::SN_STATE_MISMATCH().into());
    }
    let code = code.ok_or("ServiceNow returned no authorization code")?;
    let v = rest::post_form(
        &format!("{instance}/oauth_token.do"),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &redirect), ("client_id", client_id), ("code_verifier", &verifier)],
    )
    .await
    .map_err(|e| match e {
        RestError::Status(_, m) => format!("ServiceNow refused the token exchange: {m}. Check the OAuth client (public client with PKCE) and the redirect URL."),
        other => other.to_string(),
    })?;
    let access = v["access_token"].as_str().ok_or("ServiceNow returned no access token")?.to_string();
    let expires_in = v["expires_in"].as_f64().unwrap_or(1800.0);
    Ok(Token { access, expires_at: js_sys::Date::now() + expires_in * 1000.0, instance: instance.to_string() })
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
    #[test]
    fn rfc7636_challenge_vector() {
        // RFC 7636 appendix B.
        assert_eq!(super::challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }
}
