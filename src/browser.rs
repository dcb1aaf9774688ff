//! Thin browser helpers: the page's query string, localStorage, and fetching text from the desktop's origin.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The page's `location.search` (empty when unavailable).
pub fn query_string() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// Takes a pop-out's one-time ticket out of the address (`#pop=...`): the fragment is removed from the
/// address and the history at once, whatever it holds.
pub fn take_fragment_ticket() -> Option<String> {
    let w = web_sys::window()?;
    let hash = w.location().hash().ok()?;
    if !hash.starts_with("#pop=") {
        return None;
    }
    let href = w.location().href().ok()?;
    let bare = crate::text::split_byte(&href, b'#').next().unwrap_or("").to_string();
    if let Ok(h) = w.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&bare));
    }
    crate::trust::ticket_in_fragment(&hash)
}

/// Runs `f` once, `ms` milliseconds from now (`setTimeout`). Boxed here, so every caller shares one
/// closure type (the wasm's glue for a JS closure exists once, not once per caller).
pub fn after(ms: i32, f: impl FnOnce() + 'static) {
    after_boxed(ms, Box::new(f));
}

#[inline(never)]
fn after_boxed(ms: i32, f: Box<dyn FnOnce()>) {
    let cb = wasm_bindgen::closure::Closure::once_into_js(f);
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms);
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Reads a value from localStorage. Only non-secret UI preferences are stored there.
pub fn load(key: &str) -> Option<String> {
    local_storage()?.get_item(key).ok()?
}

/// Removes a value from localStorage.
pub fn remove(key: &str) {
    if let Some(s) = local_storage() {
        let _ = s.remove_item(key);
    }
}

/// Writes a value to localStorage; returns false when storage is unavailable or full.
pub fn save(key: &str, value: &str) -> bool {
    local_storage().map(|s| s.set_item(key, value).is_ok()).unwrap_or(false)
}

/// GETs a same-origin relative path (no redirects followed) and returns its text, or a short reason for the failure.
pub async fn fetch_text(path: &str) -> Result<String, crate::strings::Msg> {
    use crate::strings::Key as K;
    let window = web_sys::window().ok_or(K::FETCH_UNREADABLE)?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_cache(web_sys::RequestCache::NoCache);
    // The page's own origin only, and never where a redirect points (a redirect is an error).
    init.set_mode(web_sys::RequestMode::SameOrigin);
    init.set_redirect(web_sys::RequestRedirect::Error);
    let request = web_sys::Request::new_with_str_and_init(path, &init).map_err(|_| K::FETCH_UNREADABLE)?;
    let resp = JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| K::FETCH_NETWORK)?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| K::FETCH_UNREADABLE)?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()).into());
    }
    let text = JsFuture::from(resp.text().map_err(|_| K::FETCH_UNREADABLE)?)
        .await
        .map_err(|_| K::FETCH_UNREADABLE)?;
    text.as_string().ok_or_else(|| K::FETCH_UNREADABLE.into())
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Reads a value from sessionStorage (state that must survive a reload of this tab only).
pub fn session_load(key: &str) -> Option<String> {
    session_storage()?.get_item(key).ok()?
}

/// Lower case for case-insensitive search: ASCII here; other text through the browser's own Unicode
/// tables (`String.prototype.toLowerCase`), so the wasm does not carry Rust's copy of them.
pub fn fold_case(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    #[cfg(target_arch = "wasm32")]
    {
        String::from(js_sys::JsString::from(s).to_lower_case())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        s.to_lowercase()
    }
}

pub fn session_remove(key: &str) {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(key);
    }
}

/// Writes a value to sessionStorage; returns false when storage is unavailable or full.
pub fn session_save(key: &str, value: &str) -> bool {
    session_storage().map(|s| s.set_item(key, value).is_ok()).unwrap_or(false)
}

/// When the page is hidden: a desktop notification (if the agent allowed them) and a flashing tab title
/// until the page is seen again.
pub fn notify_if_hidden(title: &str, body: &str) {
    use wasm_bindgen::JsCast;
    let Some(w) = web_sys::window() else { return };
    let Some(doc) = w.document() else { return };
    if !doc.hidden() {
        return;
    }
    if let Ok(n) = js_sys::Reflect::get(&w, &"Notification".into()) {
        if let Ok(f) = n.clone().dyn_into::<js_sys::Function>() {
            let granted = js_sys::Reflect::get(&f, &"permission".into()).ok().and_then(|p| p.as_string()).as_deref() == Some("granted");
            if granted {
                let opts = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&opts, &"body".into(), &body.into());
                let _ = js_sys::Reflect::construct(&f, &js_sys::Array::of2(&title.into(), &opts));
            }
        }
    }
    let original = doc.title();
    let flash = format!("☎ {body}");
    let d2 = doc.clone();
    let cb = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        if !d2.hidden() {
            d2.set_title(&original);
            return;
        }
        let cur = d2.title();
        d2.set_title(if cur == flash { &original } else { &flash });
    });
    if let Ok(id) = w.set_interval_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), 1000) {
        // Stop after a minute at most; the flashing closure goes with it (not kept for each call).
        let w2 = w.clone();
        after(60_000, move || {
            w2.clear_interval_with_handle(id);
            drop(cb);
        });
    }
}

/// Resolves a settings file name with the browser's URL parser against the page's address (the policy's
/// `base-uri 'none'` leaves no `<base>` to change it) and checks that it stays on the page's origin and in
/// the page's folder ([`crate::config::within_folder`]); returns the URL.
pub fn config_url(path: &str) -> Result<String, crate::strings::Msg> {
    let loc = web_sys::window().ok_or(crate::strings::Key::FETCH_UNREADABLE)?.location();
    let url = web_sys::Url::new_with_base(path, &loc.href().unwrap_or_default()).map_err(|_| crate::strings::Msg::Raw(path.to_string()))?;
    let rest = url.search() + &url.hash();
    crate::config::within_folder(&loc.origin().unwrap_or_default(), &loc.pathname().unwrap_or_default(), &url.origin(), &url.pathname(), &rest)?;
    Ok(url.href())
}

/// Random 32-bit values from the browser's CSPRNG (tags, branches, Call-IDs).
pub fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    if let Some(c) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut b);
    }
    u32::from_le_bytes(b)
}
