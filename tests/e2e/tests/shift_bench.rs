//! The shift benchmark (figures, not a timed test): 500 calls on the demo line through the UI (answer, hang
//! up, wrap-up with a disposition), with ServiceNow signed in so the activities are written. Every 100 calls
//! it samples, through the Chrome DevTools Protocol (chromedriver's `goog/cdp/execute`): the JS heap after a
//! forced garbage collection (`HeapProfiler.collectGarbage`, `Performance.getMetrics` JSHeapUsedSize), DOM
//! nodes and event listeners (Nodes, JSEventListeners), the wasm linear memory (every `WebAssembly.Memory`
//! of the desktop's frame, found with `Runtime.queryObjects`) and the storage bytes; then the main thread's
//! work while idle over 30 s (TaskDuration, in thread time). The memory's size never shrinks, so each sample also
//! reads the Rust heap alive in it (bytes and allocations, counted by the desktop's allocator: `heap_live`, an
//! export of its wasm module, src/heap.rs): a leak makes that grow, the allocator's high-water mark does not. The calls run in the frame's page, started and
//! watched through the protocol, so that no WebDriver script objects are counted. It fails only when the run
//! itself breaks (a call that does not go through).

use e2e::{sn_sign_in, Browser, Sandbox};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Calls after the warm-up (`SHIFT_BENCH_CALLS` for a quick try; the test command uses the default).
fn calls() -> usize {
    std::env::var("SHIFT_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(500)
}
const SAMPLE_EVERY: usize = 100;
const WARM_UP: usize = 20;
const IDLE_SECONDS: u64 = 30;

/// The calls, run in the desktop's frame by `Runtime.callFunctionOn` on its document (no WebDriver script
/// per call: chromedriver's script harness keeps a few objects per script it runs, which would be counted as
/// the desktop's). Each call waits until fewer than 5 activities wait in the outbox (ServiceNow writes one a
/// second), rings the demo line, answers, hangs up, chooses a disposition, types a note and finishes the
/// wrap-up. Progress and each call's time (without the wait for the outbox) go to `window.__shift`.
const CALLS_IN_PAGE: &str = r#"function(first, count) {
const doc = this, w = doc.defaultView, q = s => doc.querySelector(s);
const st = w.__shift = { done: 0, times: [], error: null };
const waitFor = async (what, f, ms) => {
  const end = w.performance.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (w.performance.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise(r => w.setTimeout(r, 4));
  }
};
// The outbox is stored per deployment (`agent-desktop.outbox.<deployment tag>`).
const outboxKey = () => Object.keys(w.localStorage).find(k => /^agent-desktop\.outbox\.[0-9a-f]{12}$/.test(k));
const waiting = () => { const k = outboxKey(); return k ? JSON.parse(w.localStorage.getItem(k)).entries.length : 0; };
(async () => {
  for (let n = first; n < first + count; n++) {
    await waitFor('the outbox to drain', () => waiting() < 5, 25000);
    const t0 = w.performance.now();
    q('[data-testid=simulate-incoming]').click();
    (await waitFor('Answer', () => [...doc.querySelectorAll('[data-testid=call] button')].find(b => b.textContent === 'Answer'), 5000)).click();
    (await waitFor('Hang up', () => q('[data-testid=call][data-state=Connected] [data-testid=hang-up]'), 5000)).click();
    const d = await waitFor('the wrap-up', () => q('[data-testid=disposition]'), 5000);
    d.value = 'Resolved';
    d.dispatchEvent(new w.Event('change'));
    const notes = q('[data-testid=notes]');
    notes.value = 'Shift call ' + n;
    notes.dispatchEvent(new w.Event('input'));
    q('[data-testid=finish-wrap-up]').click();
    await waitFor('the wrap-up to finish', () => !q('[data-testid=wrap-up]'), 5000);
    st.times.push(w.performance.now() - t0);
    st.done++;
  }
})().catch(e => { st.error = 'call ' + (first + st.done) + ': ' + e.message; });
}"#;

/// Calls `function` on the desktop frame's document (in the frame's own JavaScript world) and returns its
/// result by value; every remote object of the call is released.
fn in_frame(b: &Browser, function: &str, args: Value) -> Value {
    let g = json!("bench");
    let frame = b.cdp("Runtime.evaluate", json!({"expression": "document.querySelector('iframe[name=gsft_openframe]')", "objectGroup": g}));
    let node = b.cdp("DOM.describeNode", json!({"objectId": frame["result"]["objectId"], "depth": 1, "pierce": true}));
    let doc = b.cdp("DOM.resolveNode", json!({"backendNodeId": node["node"]["contentDocument"]["backendNodeId"], "objectGroup": g}));
    let args: Vec<Value> = args.as_array().cloned().unwrap_or_default().into_iter().map(|v| json!({"value": v})).collect();
    let r = b.cdp(
        "Runtime.callFunctionOn",
        json!({"objectId": doc["object"]["objectId"], "functionDeclaration": function, "arguments": args, "returnByValue": true, "objectGroup": g}),
    );
    b.cdp("Runtime.releaseObjectGroup", json!({"objectGroup": g}));
    assert!(r.get("exceptionDetails").is_none(), "in the frame: {r}");
    r["result"]["value"].clone()
}

/// Runs `count` calls from number `first`; returns their times in ms.
fn run_calls(b: &Browser, first: usize, count: usize) -> Vec<f64> {
    in_frame(b, CALLS_IN_PAGE, json!([first, count]));
    let deadline = Instant::now() + Duration::from_secs(60 + 30 * count as u64);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let st = in_frame(b, "function() { const s = this.defaultView.__shift; return s.error || (s.done === arguments[0] ? s.times : null); }", json!([count]));
        match st {
            Value::Array(t) => return t.iter().filter_map(Value::as_f64).collect(),
            Value::String(e) => panic!("the shift broke: {e}"),
            _ => assert!(Instant::now() < deadline, "the shift stalled"),
        }
    }
}

fn metrics(b: &Browser) -> Value {
    let m = b.cdp("Performance.getMetrics", json!({}));
    let mut out = serde_json::Map::new();
    for e in m["metrics"].as_array().expect("metrics") {
        out.insert(e["name"].as_str().unwrap().to_string(), e["value"].clone());
    }
    Value::Object(out)
}

/// Bytes of wasm linear memory: every WebAssembly.Memory object of the desktop's frame (found in that
/// frame's own JavaScript world, reached through its document node).
fn wasm_bytes(b: &Browser) -> f64 {
    let g = json!("bench");
    let frame = b.cdp("Runtime.evaluate", json!({"expression": "document.querySelector('iframe[name=gsft_openframe]')", "objectGroup": g}));
    let node = b.cdp("DOM.describeNode", json!({"objectId": frame["result"]["objectId"], "depth": 1, "pierce": true}));
    let doc = node["node"]["contentDocument"]["backendNodeId"].clone();
    let doc = b.cdp("DOM.resolveNode", json!({"backendNodeId": doc, "objectGroup": g}));
    let proto = b.cdp(
        "Runtime.callFunctionOn",
        json!({"objectId": doc["object"]["objectId"], "objectGroup": g,
               "functionDeclaration": "function() { return this.defaultView.WebAssembly.Memory.prototype; }"}),
    );
    let list = b.cdp("Runtime.queryObjects", json!({"prototypeObjectId": proto["result"]["objectId"], "objectGroup": g}));
    let sum = b.cdp(
        "Runtime.callFunctionOn",
        json!({"objectId": list["objects"]["objectId"], "returnByValue": true,
               "functionDeclaration": "function() { return this.reduce((s, m) => s + m.buffer.byteLength, 0); }"}),
    );
    b.cdp("Runtime.releaseObjectGroup", json!({"objectGroup": g}));
    sum["result"]["value"].as_f64().unwrap_or_else(|| panic!("wasm memory: {sum}"))
}

/// The Rust heap alive in the desktop's wasm (KB, allocations), read through the module's `heap_live` export
/// (the page's own module instance: the same URL imported again); None when the build has no counter.
fn rust_heap(b: &Browser) -> Option<(f64, f64)> {
    let g = json!("bench");
    let frame = b.cdp("Runtime.evaluate", json!({"expression": "document.querySelector('iframe[name=gsft_openframe]')", "objectGroup": g}));
    let node = b.cdp("DOM.describeNode", json!({"objectId": frame["result"]["objectId"], "depth": 1, "pierce": true}));
    let doc = b.cdp("DOM.resolveNode", json!({"backendNodeId": node["node"]["contentDocument"]["backendNodeId"], "objectGroup": g}));
    let f = "async function() { const s = this.querySelector('script[data-js]'); const m = await import(new URL(s.dataset.js, this.baseURI).href); return m.heap_live ? [m.heap_live(false), m.heap_live(true)] : null; }";
    let r = b.cdp(
        "Runtime.callFunctionOn",
        json!({"objectId": doc["object"]["objectId"], "functionDeclaration": f, "returnByValue": true, "awaitPromise": true, "objectGroup": g}),
    );
    b.cdp("Runtime.releaseObjectGroup", json!({"objectGroup": g}));
    let v = r["result"]["value"].as_array()?;
    Some((v[0].as_f64()? / 1024.0, v[1].as_f64()?))
}

struct Sample {
    calls: usize,
    heap_kb: f64,
    wasm_kb: f64,
    /// The Rust heap alive (KB, allocations); NaN when the build cannot say.
    live_kb: f64,
    live_allocs: f64,
    nodes: f64,
    listeners: f64,
    storage_kb: f64,
}

fn sample(b: &Browser, calls: usize) -> Sample {
    // The activities of these calls are written first, so the storage figure does not depend on timing.
    let drained = "function() { const l = this.defaultView.localStorage; const k = Object.keys(l).find(k => /^agent-desktop\\.outbox\\.[0-9a-f]{12}$/.test(k)); return !k || JSON.parse(l.getItem(k)).entries.length === 0; }";
    b.wait_for("the outbox to drain", || {
        std::thread::sleep(Duration::from_millis(200));
        (in_frame(b, drained, json!([])) == json!(true)).then_some(())
    });
    b.cdp("HeapProfiler.collectGarbage", json!({}));
    b.cdp("HeapProfiler.collectGarbage", json!({}));
    let m = metrics(b);
    let storage = in_frame(
        b,
        "function() { let n = 0; const w = this.defaultView; for (const s of [w.localStorage, w.sessionStorage]) for (let i = 0; i < s.length; i++) { const k = s.key(i); n += k.length + s.getItem(k).length; } return n; }",
        json!([]),
    );
    let (live_kb, live_allocs) = rust_heap(b).unwrap_or((f64::NAN, f64::NAN));
    let s = Sample {
        calls,
        live_kb,
        live_allocs,
        heap_kb: m["JSHeapUsedSize"].as_f64().unwrap() / 1024.0,
        wasm_kb: wasm_bytes(b) / 1024.0,
        nodes: m["Nodes"].as_f64().unwrap(),
        listeners: m["JSEventListeners"].as_f64().unwrap(),
        storage_kb: storage.as_f64().unwrap() * 2.0 / 1024.0,
    };
    let cards = in_frame(b, "function() { return this.querySelectorAll('[data-testid=call]').length; }", json!([]));
    println!(
        "shift sample: calls {:>3}, heap {:.0} KB, wasm {:.0} KB (Rust heap alive {:.1} KB in {} allocations), nodes {}, listeners {}, storage {:.1} KB (UTF-16), call cards {}",
        s.calls, s.heap_kb, s.wasm_kb, s.live_kb, s.live_allocs, s.nodes, s.listeners, s.storage_kb, cards
    );
    s
}

/// Least-squares slope of `f` per 100 calls.
fn per_100(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    let n = samples.len() as f64;
    let (mx, my) = (samples.iter().map(|s| s.calls as f64).sum::<f64>() / n, samples.iter().map(&f).sum::<f64>() / n);
    let num: f64 = samples.iter().map(|s| (s.calls as f64 - mx) * (f(s) - my)).sum();
    let den: f64 = samples.iter().map(|s| (s.calls as f64 - mx).powi(2)).sum();
    num / den * 100.0
}

/// Main-thread work (ms of tasks per second) over `secs` seconds of an untouched page.
fn idle_ms_per_s(b: &Browser, secs: u64) -> f64 {
    let t0 = metrics(b)["TaskDuration"].as_f64().unwrap();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let t1 = metrics(b)["TaskDuration"].as_f64().unwrap();
    (t1 - t0) * 1000.0 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn shift_benchmark_500_calls_on_the_demo_line() {
    let began = Instant::now();
    let sb = Sandbox::start(&[]);
    // The desktop in ServiceNow's frame (the sandbox page), signed in to ServiceNow so activities are written.
    // One renderer for the page and its frame (no site isolation), so that the DevTools figures cover the
    // desktop: they include the sandbox page around it (its protocol log keeps the last 200 messages).
    let flags = ["--disable-site-isolation-trials".to_string(), "--disable-features=IsolateOrigins,site-per-process".to_string()];
    let b = Browser::start_with("shift_bench", 1280, 800, &flags);
    b.goto(&format!("{}/", sb.origin));
    sn_sign_in(&b);
    b.click(&b.find("#tab-phone"));
    b.cdp("Performance.enable", json!({"timeDomain": "threadTicks"}));

    run_calls(&b, 0, WARM_UP);
    let mut samples = vec![sample(&b, 0)];
    let idle_start = idle_ms_per_s(&b, 10);
    println!("shift idle at the start: {idle_start:.1} ms/s of main-thread work");
    let calls = calls();
    let mut n = 0;
    while n < calls {
        let batch = SAMPLE_EVERY.min(calls - n);
        let times = run_calls(&b, WARM_UP + n, batch);
        n += batch;
        println!("shift calls to {n}: median {:.0} ms per call through the UI (the last {batch})", median(times));
        samples.push(sample(&b, n));
    }
    let idle = idle_ms_per_s(&b, IDLE_SECONDS);
    // Growth after warm-up: the samples from 100 calls on.
    let after = if samples.len() > 2 { &samples[1..] } else { &samples[..] };
    println!(
        "BENCH shift: growth per 100 calls heap {:.0} KB, wasm {:.0} KB, nodes {:.0}; idle {:.1} ms/s ({} calls through the UI; idle over {} s after them, {:.1} ms/s at the start)",
        per_100(after, |s| s.heap_kb),
        per_100(after, |s| s.wasm_kb),
        per_100(after, |s| s.nodes),
        idle,
        calls,
        IDLE_SECONDS,
        idle_start,
    );
    println!(
        "BENCH shift: growth per 100 calls listeners {:.1}, storage {:.1} KB, Rust heap alive {:.1} KB ({:.0} allocations); run took {} s",
        per_100(after, |s| s.listeners),
        per_100(after, |s| s.storage_kb),
        per_100(after, |s| s.live_kb),
        per_100(after, |s| s.live_allocs),
        began.elapsed().as_secs()
    );
}
