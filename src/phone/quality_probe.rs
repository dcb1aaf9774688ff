//! Browser edge of call quality: one `getStats()` per call and reading, handed to the pure
//! [`super::quality`] as plain JSON values.

use super::quality::{read_stats, Sample};
use wasm_bindgen_futures::JsFuture;
use web_sys::RtcPeerConnection;

/// Every statistic of `pc`'s report as JSON (the browser serialises each one; the pure side picks fields).
pub async fn report(pc: &RtcPeerConnection) -> Vec<crate::json::Value> {
    let Ok(report) = JsFuture::from(pc.get_stats()).await else { return Vec::new() };
    let values = super::media::prop_fn(&report, "values").and_then(|f| f.call0(&report).ok());
    // `Array.from` throws on null or undefined (the binding has no catch): only an object is read.
    let Some(values) = values.filter(|v| v.is_object()) else { return Vec::new() };
    // The report's statistics as an array (`Array.from` of its values' iterator).
    let mut out = Vec::new();
    for stat in js_sys::Array::from(&values).iter() {
        if let Some(v) = js_sys::JSON::stringify(&stat).ok().and_then(|t| t.as_string()).and_then(|t| crate::json::from_str(&t)) {
            out.push(v);
        }
    }
    out
}

/// One reading of the call's audio, and whether it should be receiving (its transceiver's current
/// direction receives: not held by either side).
pub async fn sample(pc: &RtcPeerConnection) -> (Option<Sample>, bool) {
    let stats = report(pc).await;
    let receiving = pc
        .get_transceivers()
        .iter()
        .next()
        .map(|t| super::media::prop_str(&t, "currentDirection"))
        .is_some_and(|d| d == "sendrecv" || d == "recvonly");
    (read_stats(&stats), receiving)
}
