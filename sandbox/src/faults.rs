//! Fault injection (for tests): what an instance, a load balancer or the network in between does to a
//! request on a bad day. Faults are queued with `POST /sandbox/faults` and each one is taken by the next
//! authenticated REST request (a request without a valid token gets its 401 and takes none):
//!
//! | fault | the request | the change |
//! | --- | --- | --- |
//! | `500`, `502`, `503`, `504`, `403`... | answered with that status at once | not made |
//! | `429:S`, `503:S` | that status with `Retry-After: S` | not made |
//! | `after:500`, `after:502`, `after:503`, `after:504` | that status after the work (a gateway timing out, a business rule failing late) | made |
//! | `drop` | the connection is closed without an answer after the work | made |
//! | `delay:MS` | waits MS before the work, then answers | made |
//! | `late:MS` | does the work, answers MS later (the client may give up first) | made |
//! | `discard` | answered as done | not made (a rule that drops it) |
//!
//! And for a while, the instance cannot be reached: `"offlineMs": MS` closes every REST, OAuth and CORS
//! request's connection without an answer for MS milliseconds (the host page and `/sandbox/*` stay up).

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer with this status before doing anything.
    Status(u16),
    /// Answer with this status and `Retry-After` (seconds) before doing anything.
    RetryAfter(u16, u64),
    /// Do the work, then answer with this status.
    StatusAfter(u16),
    Delay(u64),
    /// Do the work, then drop the connection without a response (an ambiguous failure for the client;
    /// note that browsers transparently resend a request whose reused connection closed without a reply).
    DropAfter,
    /// Do the work, then answer only after this many milliseconds (the client gives up first: ambiguous).
    LateAfter(u64),
    /// Answer a write as done but store nothing (a business rule or ACL that drops it).
    Discard,
}

/// Reads one fault as `POST /sandbox/faults` lists it (None: not a fault this sandbox knows).
pub fn parse(f: &str) -> Option<Fault> {
    let code = |s: &str| s.parse::<u16>().ok().filter(|c| (400..600).contains(c));
    if let Some(ms) = f.strip_prefix("late:") {
        return ms.parse().ok().map(Fault::LateAfter);
    }
    if let Some(ms) = f.strip_prefix("delay:") {
        return ms.parse().ok().map(Fault::Delay);
    }
    if let Some(c) = f.strip_prefix("after:") {
        return code(c).map(Fault::StatusAfter);
    }
    if let Some((c, secs)) = f.split_once(':') {
        return Some(Fault::RetryAfter(code(c)?, secs.parse().ok()?));
    }
    match f {
        "drop" => Some(Fault::DropAfter),
        "discard" => Some(Fault::Discard),
        other => code(other).map(Fault::Status),
    }
}

fn failure(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": {"message": message, "detail": "sandbox fault injection"}, "status": "failure"}))).into_response()
}

/// What a fault does before the work: a response to send instead (Err), or the fault to apply after it.
pub async fn before(fault: Option<Fault>) -> Result<Option<Fault>, Response> {
    match fault {
        Some(Fault::Status(code)) => Err(failure(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "Injected failure")),
        Some(Fault::RetryAfter(code, secs)) => {
            let mut r = failure(StatusCode::from_u16(code).unwrap_or(StatusCode::TOO_MANY_REQUESTS), "Too many requests");
            r.headers_mut().insert("Retry-After", HeaderValue::from(secs));
            Err(r)
        }
        Some(Fault::Delay(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// What a fault does after the work: a response to send instead of the real one (a late one waits first).
pub async fn after(fault: &Option<Fault>) -> Option<Response> {
    match fault {
        Some(Fault::LateAfter(ms)) => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            None
        }
        Some(Fault::DropAfter) => Some(cut()),
        Some(Fault::StatusAfter(code)) => Some(failure(StatusCode::from_u16(*code).unwrap_or(StatusCode::BAD_GATEWAY), "Injected failure after the change was saved")),
        _ => None,
    }
}

/// A response that never arrives: the connection closes before the status line is sent.
pub fn dropped() -> Response {
    struct Fail;
    impl futures_core::Stream for Fail {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(Some(Err(std::io::Error::other("connection dropped by fault injection"))))
        }
    }
    Response::new(Body::from_stream(Fail))
}

/// A response cut off: the status line, the headers and the start of the body arrive, then the
/// connection closes. (Closed before any byte of the answer, a browser would silently send the write
/// again on a new connection: the request itself would be doubled, whatever the desktop does.)
pub fn cut() -> Response {
    struct Cut(u8, Option<std::pin::Pin<Box<tokio::time::Sleep>>>);
    impl futures_core::Stream for Cut {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
            use std::task::Poll;
            match self.0 {
                0 => {
                    self.0 = 1;
                    self.1 = Some(Box::pin(tokio::time::sleep(Duration::from_millis(200))));
                    Poll::Ready(Some(Ok(Bytes::from_static(b"{\"result\": {"))))
                }
                _ => match self.1.as_mut().map(|s| s.as_mut().poll(cx)) {
                    Some(Poll::Pending) => Poll::Pending,
                    _ => Poll::Ready(Some(Err(std::io::Error::other("connection dropped by fault injection")))),
                },
            }
        }
    }
    use std::future::Future;
    let mut r = Response::new(Body::from_stream(Cut(0, None)));
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// The instance is unreachable until this instant.
#[derive(Default)]
pub struct Offline(pub Option<Instant>);

impl Offline {
    pub fn set(&mut self, ms: u64) {
        self.0 = (ms > 0).then(|| Instant::now() + Duration::from_millis(ms));
    }
    pub fn now(&self) -> bool {
        self.0.is_some_and(|t| Instant::now() < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_kind_parses_and_nonsense_does_not() {
        assert_eq!(parse("502"), Some(Fault::Status(502)));
        assert_eq!(parse("429:2"), Some(Fault::RetryAfter(429, 2)));
        assert_eq!(parse("503:1"), Some(Fault::RetryAfter(503, 1)));
        assert_eq!(parse("after:504"), Some(Fault::StatusAfter(504)));
        assert_eq!(parse("drop"), Some(Fault::DropAfter));
        assert_eq!(parse("delay:300"), Some(Fault::Delay(300)));
        assert_eq!(parse("late:12000"), Some(Fault::LateAfter(12_000)));
        assert_eq!(parse("discard"), Some(Fault::Discard));
        for bad in ["", "200", "after:200", "999", "late:x", "429:", "boom", "after:"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    use crate::api::{self, ApiConfig, Instance, Shared};
    use axum::extract::{Path, Query, State};
    use axum::http::HeaderMap;
    use serde_json::Value;

    const CASE: &str = "ca5e0000000000000000000000000001";

    fn instance() -> (Shared, HeaderMap) {
        let inst = Instance::new(
            ApiConfig { token_ttl: Duration::from_secs(60), ..ApiConfig::new("agent-desktop", "http://127.0.0.1/oauth-callback.html") },
            crate::records::tables(),
        );
        inst.grant("t");
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer t"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        (inst, h)
    }

    async fn inject(inst: &Shared, body: Value) -> StatusCode {
        api::set_faults(State(inst.clone()), Bytes::from(body.to_string())).await.status()
    }

    async fn note(inst: &Shared, h: &HeaderMap, text: &str) -> Response {
        let body = Bytes::from(json!({"work_notes": text}).to_string());
        api::update(State(inst.clone()), Path(("sn_customerservice_case".into(), CASE.into())), h.clone(), body).await
    }

    fn notes(inst: &Shared, text: &str) -> usize {
        let s = inst.store.lock().unwrap();
        s.tables["sys_journal_field"].iter().filter(|j| j.get("value").and_then(Value::as_str) == Some(text)).count()
    }

    #[tokio::test]
    async fn faults_are_taken_only_by_authenticated_requests() {
        let (inst, h) = instance();
        assert_eq!(inject(&inst, json!({"faults": ["500"]})).await, StatusCode::NO_CONTENT);
        let mut anon = h.clone();
        anon.remove("authorization");
        assert_eq!(note(&inst, &anon, "x").await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(note(&inst, &h, "a").await.status(), StatusCode::INTERNAL_SERVER_ERROR, "the fault waited for an authenticated request");
        assert_eq!(notes(&inst, "a"), 0, "a fault before the work changes nothing");
        assert_eq!(note(&inst, &h, "b").await.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_5xx_after_storing_stores_then_fails() {
        let (inst, h) = instance();
        for code in [500u16, 502, 503, 504] {
            inject(&inst, json!({"faults": [format!("after:{code}")]})).await;
            let text = format!("after {code}");
            assert_eq!(note(&inst, &h, &text).await.status().as_u16(), code);
            assert_eq!(notes(&inst, &text), 1, "the change was saved before the {code}");
        }
    }

    #[tokio::test]
    async fn a_429_carries_retry_after_and_changes_nothing() {
        let (inst, h) = instance();
        inject(&inst, json!({"faults": ["429:2"]})).await;
        let r = note(&inst, &h, "limited").await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "2");
        assert_eq!(notes(&inst, "limited"), 0);
    }

    #[tokio::test]
    async fn drop_and_late_store_then_fail_to_answer() {
        let (inst, h) = instance();
        inject(&inst, json!({"faults": ["drop", "late:50", "discard"]})).await;
        let r = note(&inst, &h, "dropped").await;
        assert!(axum::body::to_bytes(r.into_body(), 1 << 16).await.is_err(), "no answer");
        assert_eq!(notes(&inst, "dropped"), 1);
        let t = Instant::now();
        assert_eq!(note(&inst, &h, "late").await.status(), StatusCode::OK);
        assert!(t.elapsed() >= Duration::from_millis(50));
        assert_eq!(notes(&inst, "late"), 1);
        assert_eq!(note(&inst, &h, "discarded").await.status(), StatusCode::OK);
        assert_eq!(notes(&inst, "discarded"), 0);
    }

    #[tokio::test]
    async fn a_read_takes_its_fault_too() {
        let (inst, h) = instance();
        inject(&inst, json!({"faults": ["after:504", "drop"]})).await;
        let get = || api::get_one(State(inst.clone()), Path(("sn_customerservice_case".into(), CASE.into())), Query(Default::default()), h.clone());
        assert_eq!(get().await.status(), StatusCode::GATEWAY_TIMEOUT);
        assert!(axum::body::to_bytes(get().await.into_body(), 1 << 16).await.is_err());
        assert_eq!(get().await.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn hostile_an_unknown_fault_is_refused_not_ignored() {
        let (inst, h) = instance();
        assert_eq!(inject(&inst, json!({"faults": ["500", "explode"]})).await, StatusCode::BAD_REQUEST);
        assert_eq!(note(&inst, &h, "fine").await.status(), StatusCode::OK, "nothing of the refused list was queued");
    }

    #[test]
    fn offline_lasts_as_long_as_asked() {
        let mut o = Offline::default();
        assert!(!o.now());
        o.set(60_000);
        assert!(o.now());
        o.set(0);
        assert!(!o.now());
    }
}
