//! The shift benchmark (figures, not a timed test): 500 calls on the demo line through the UI (answer, hang
//! up, wrap-up with a disposition), with ServiceNow signed in so the activities are written. Every 100 calls
//! it samples, through the Chrome DevTools Protocol (chromedriver's `goog/cdp/execute`): the JS heap after a
//! forced garbage collection (`HeapProfiler.collectGarbage`, `Performance.getMetrics` JSHeapUsedSize), DOM
//! nodes and event listeners (Nodes, JSEventListeners), the wasm linear memory (every `WebAssembly.Memory`
//! found with `Runtime.queryObjects`) and the storage bytes; then the main thread's work while idle over
//! 30 s (TaskDuration). It fails only when the run itself breaks (a call that does not go through).

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

/// One call through the UI, in the page (one WebDriver round trip): waits until fewer than 5 activities
/// wait in the outbox (ServiceNow writes one a second), rings the demo line, answers, hangs up, chooses a
/// disposition, types a note and finishes the wrap-up. Returns the call's time in ms (without the wait for
/// the outbox), or an error text.
const ONE_CALL: &str = r#"
const done = arguments[arguments.length - 1];
const n = arguments[0];
const q = s => document.querySelector(s);
const waitFor = async (what, f, ms) => {
  const end = performance.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (performance.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise(r => setTimeout(r, 4));
  }
};
const waiting = () => {
  try { return JSON.parse(localStorage.getItem('agent-desktop.outbox') || '{"entries":[]}').entries.length; } catch (e) { return 0; }
};
(async () => {
  await waitFor('the outbox to drain', () => waiting() < 5, 25000);
  const t0 = performance.now();
  q('[data-testid=simulate-incoming]').click();
  const answer = await waitFor('Answer', () => [...document.querySelectorAll('[data-testid=call] button')].find(b => b.textContent === 'Answer'), 5000);
  answer.click();
  (await waitFor('Hang up', () => q('[data-testid=call][data-state=Connected] [data-testid=hang-up]'), 5000)).click();
  const d = await waitFor('the wrap-up', () => q('[data-testid=disposition]'), 5000);
  d.value = 'Resolved';
  d.dispatchEvent(new Event('change'));
  const notes = q('[data-testid=notes]');
  notes.value = 'Shift call ' + n;
  notes.dispatchEvent(new Event('input'));
  q('[data-testid=finish-wrap-up]').click();
  await waitFor('the wrap-up to finish', () => !q('[data-testid=wrap-up]'), 5000);
  done(performance.now() - t0);
})().catch(e => done('call ' + n + ': ' + e.message));
"#;

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

struct Sample {
    calls: usize,
    heap_kb: f64,
    wasm_kb: f64,
    nodes: f64,
    listeners: f64,
    storage_kb: f64,
}

fn sample(b: &Browser, calls: usize) -> Sample {
    // The activities of these calls are written first, so the storage figure does not depend on timing.
    b.wait_for("the outbox to drain", || {
        std::thread::sleep(Duration::from_millis(200));
        let n = b.exec("return JSON.parse(localStorage.getItem('agent-desktop.outbox') || '{\"entries\":[]}').entries.length", json!([]));
        (n.as_u64() == Some(0)).then_some(())
    });
    b.cdp("HeapProfiler.collectGarbage", json!({}));
    b.cdp("HeapProfiler.collectGarbage", json!({}));
    let m = metrics(b);
    let storage = b.exec(
        "let n = 0; for (const s of [localStorage, sessionStorage]) for (let i = 0; i < s.length; i++) { const k = s.key(i); n += k.length + s.getItem(k).length; } return n;",
        json!([]),
    );
    let s = Sample {
        calls,
        heap_kb: m["JSHeapUsedSize"].as_f64().unwrap() / 1024.0,
        wasm_kb: wasm_bytes(b) / 1024.0,
        nodes: m["Nodes"].as_f64().unwrap(),
        listeners: m["JSEventListeners"].as_f64().unwrap(),
        storage_kb: storage.as_f64().unwrap() * 2.0 / 1024.0,
    };
    let cards = b.exec("return document.querySelectorAll('[data-testid=call]').length", json!([]));
    println!(
        "shift sample: calls {:>3}, heap {:.0} KB, wasm {:.0} KB, nodes {}, listeners {}, storage {:.1} KB (UTF-16), call cards {}",
        s.calls, s.heap_kb, s.wasm_kb, s.nodes, s.listeners, s.storage_kb, cards
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

    let call = |n: usize| -> f64 {
        let r = b.exec_async(ONE_CALL, json!([n]));
        r.as_f64().unwrap_or_else(|| panic!("the shift broke: {r}"))
    };
    for n in 0..WARM_UP {
        call(n);
    }
    let mut samples = vec![sample(&b, 0)];
    let idle_start = idle_ms_per_s(&b, 10);
    println!("shift idle at the start: {idle_start:.1} ms/s of main-thread work");
    let mut times = Vec::new();
    let calls = calls();
    for n in 1..=calls {
        times.push(call(WARM_UP + n));
        if n % SAMPLE_EVERY == 0 || n == calls {
            println!("shift calls to {n}: median {:.0} ms per call through the UI (the last {})", median(times.clone()), times.len());
            times.clear();
            samples.push(sample(&b, n));
        }
    }
    let idle = idle_ms_per_s(&b, IDLE_SECONDS);
    // Growth after warm-up: the samples from 100 calls on.
    let after = &samples[1..];
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
        "BENCH shift: growth per 100 calls listeners {:.1}, storage {:.1} KB; run took {} s",
        per_100(after, |s| s.listeners),
        per_100(after, |s| s.storage_kb),
        began.elapsed().as_secs()
    );
}
