//! A bounded mutation fuzz (stable, every test run) of what reads JSON the desktop does not control: the
//! reader itself, then the stored and handed-over shapes (outbox, wrap-ups, recent calls, calls, a window's
//! state, intents, the ServiceNow token, the window group's messages), the settings file and the ServiceNow configuration record, and the
//! desk restoring a saved state or showing another window's. Random edits of valid texts must never panic
//! (the release wasm aborts on a panic), and what the reader accepts must write back to the same value.

use crate::desk::core::{DeskCore, Input, OwnerState};
use crate::json;

/// Fragments an edit inserts or writes over: JSON punctuation, escapes (lone surrogates among them), numbers
/// at the edges of u32/u64/f64, multibyte characters, deep openings.
const FRAGMENTS: &[&str] = &[
    "{", "}", "[", "]", "\"", ",", ":", " ", "\\", "\\u", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u0000", "\\n", "null", "true",
    "false", "0", "-0", "-1", "1.5", "1e400", "-1e400", "1e-400", "4294967295", "4294967296", "18446744073709551615",
    "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "9007199254740993", "é", "€", "😀", "\u{200B}",
    "[[[[[[[[[[[[[[[[", "{\"a\":{\"a\":{\"a\":", "\"x\"", "\"\"", "{}", "[]", "\"Ended:Failed:x\"", "\"Held\"",
];

use crate::fuzz_rng::Rng;

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(4) {
        let mut pos = rng.below(s.len() + 1);
        while !s.is_char_boundary(pos) {
            pos -= 1;
        }
        let frag = FRAGMENTS[rng.below(FRAGMENTS.len())];
        match rng.below(5) {
            0 => {
                if let Some(c) = s[pos..].chars().next() {
                    s.replace_range(pos..pos + c.len_utf8(), "");
                }
            }
            1 => {
                let end = s[pos..].char_indices().nth(frag.chars().count()).map_or(s.len(), |(i, _)| pos + i);
                s.replace_range(pos..end, frag);
            }
            2 | 3 => {
                // One of the numbers (any, equally likely) replaced by an extreme or another kind of value.
                let b = s.as_bytes();
                let starts: Vec<usize> = (0..b.len()).filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit())).collect();
                if !starts.is_empty() {
                    let a = starts[rng.below(starts.len())];
                    let end = s[a..].find(|c: char| !c.is_ascii_digit() && c != '.' && c != 'e').map_or(s.len(), |i| a + i);
                    let v = ["4294967295", "4294967295", "4294967296", "18446744073709551615", "-1", "1e308", "-1e308", "0.5", "null", "\"\"", "[]", "{}", "\"é😀\""];
                    s.replace_range(a..end, v[rng.below(v.len())]);
                }
            }
            _ => s.insert_str(pos, frag),
        }
    }
    s
}

fn seeds() -> Vec<String> {
    use crate::phone::call::{Call, Direction, EndReason};
    use crate::phone::wrapup::{RecentCall, WrapUp};
    let mut call = Call::new(7, Direction::Inbound, "+14155550123", Some("Beth Anglin".into()), 1_800_000_000_000.0);
    call.x_headers = vec![("X-Case-Id".into(), "ca5e0000000000000000000000000001".into())];
    call.connect(1_800_000_002_000.0);
    let live = call.clone();
    call.end(EndReason::RemoteHungUp, 1_800_000_060_000.0);
    let wrapups = vec![WrapUp::of(&call, "act-1".into(), 1_800_000_061_000.0)];
    let recents = vec![RecentCall::of(&call, 1_800_000_061_000.0)];
    let mut desk = DeskCore::new(crate::config::Settings::default(), 3);
    desk.handle(1_800_000_000_000.0, Input::LineStarted);
    let state = crate::json::json!({
        "calls": [live.to_json(), call.to_json()], "agentState": "ready", "muted": false, "line": "demo",
        "wrapup": json::to_string(&wrapups[0]), "pops": [[7, "incident", "number=INC1"]], "nextId": 9, "at": 1_800_000_000_000.0,
        "wrapups": json::to_string(&wrapups),
    });
    vec![
        r#"{"entries":[{"activity":{"call_id":"old-1","call_type":"Inbound","caller":"+1","dialled":"1","start_ms":0,"end_ms":1,"talk_ms":1,"hold_ms":0,"agent":"a","queue":"","transfers":["x"],"disposition":"Resolved","notes":"n","record":{"entity":"incident","sys_id":"abc","query":"","label":"","value":""}},"state":"Pending","attempts":1,"next_at":0,"last_error":"HTTP 504","resolved":false,"sent":true,"handed":false}],"paused_for_sign_in":true,"done":["a"]}"#.into(),
        json::to_string(&wrapups),
        json::to_string(&recents),
        live.to_json().to_string(),
        state.to_string(),
        desk.owner_state_json(&None).to_string(),
        r#"{"access":"a","expires_at":5,"instance":"https://acme.service-now.com","refresh":"r"}"#.into(),
        r#"{"c":"dial","number":"+1 415","record":"{\"entity\":\"incident\"}","name":null}"#.into(),
        r#"{"c":"dtmf","id":3,"digit":"5"}"#.into(),
        include_str!("../public/config.json").into(),
        // Messages of the window group (another tab, a pop-out).
        crate::trust::encode(&group_msg(crate::trust::Kind::Handover { packet: state.clone(), links: vec!["00000000000000cc".into()] })),
        crate::trust::encode(&group_msg(crate::trust::Kind::State(state.clone()))),
    ]
}

const DEP: &str = "https://acme.service-now.com|https://acme.service-now.com|config.json";

fn group_msg(kind: crate::trust::Kind) -> crate::trust::Msg {
    crate::trust::Msg { from: "0123456789abcdef".into(), seq: 1, to: Some("fedcba9876543210".into()), dep: DEP.into(), framed: true, kind }
}

/// Every reader of JSON from storage, another window or a server, on one text.
fn read_everything(text: &str, desk: &mut DeskCore, typed: &mut [usize; 4]) {
    use crate::phone::wrapup::{RecentCall, WrapUp};
    if let Ok(mut o) = crate::servicenow::outbox::parse(text) {
        // A stored outbox is worked through: its counts and times come from the text.
        use crate::servicenow::outbox::{Outcome, Step};
        typed[0] += 1;
        o.take_over(None, 0.0);
        if let Some(Step::Send(id) | Step::Verify(id)) = o.next(1e18, true) {
            o.on_sent(&id, Outcome::Ambiguous("x".into()), 1e18);
        }
    }
    typed[1] += usize::from(json::from_str::<Vec<WrapUp>>(text).is_some());
    let _ = json::from_str::<Vec<RecentCall>>(text);
    let _ = json::from_str::<crate::servicenow::auth::Token>(text);
    let _ = json::from_str::<crate::openframe::protocol::RecordRef>(text);
    let _ = crate::config::resolve("", Some(text));
    let _ = crate::openframe::protocol::parse_configuration_field(text);
    let _ = crate::openframe::protocol::parse_incoming(text);
    let _ = crate::trust::parse(text);
    let _ = crate::trust::open_snapshot(text, DEP, 1_800_000_000_000.0);
    let Ok(v) = json::parse(text) else { return };
    assert_eq!(json::parse(&v.to_string()).as_ref(), Ok(&v), "what is read writes back the same: {text}");
    typed[2] += usize::from(crate::phone::call::Call::from_json(&v).is_some());
    let _ = crate::desk::intent::Intent::from_json(&v);
    let _ = crate::config::resolve_layers("", None, Some(&v));
    if let Some(s) = OwnerState::from_json(&v) {
        typed[3] += 1;
        desk.handle(1_800_000_000_500.0, Input::OwnerState(s));
    }
    desk.handle(1_800_000_000_600.0, Input::Restore(v));
    // The shell numbers each new call from the restored counter.
    desk.alloc_call_id();
    desk.handle(1_800_000_001_000.0, Input::Tick);
}

#[test]
fn hostile_mutated_json_through_every_reader_never_panics() {
    let mut rng = Rng(0x0DDB_A11_5EED);
    let seeds = seeds();
    let started = std::time::Instant::now();
    let (mut parsed, mut runs, mut typed) = (0, 0, [0; 4]);
    let mut full = true;
    'rounds: for round in 0..60 {
        let mut desk = DeskCore::new(crate::config::Settings::default(), round);
        desk.handle(1_800_000_000_000.0, Input::LineStarted);
        if round % 2 == 1 {
            desk.handle(1_800_000_000_000.0, Input::Role(crate::trust::Role::Remote));
        }
        for _ in 0..150 {
            if started.elapsed().as_secs_f64() > 5.0 {
                full = false;
                break 'rounds;
            }
            let base = &seeds[rng.below(seeds.len())];
            let text = if rng.below(8) == 0 { base.clone() } else { mutate(&mut rng, base) };
            parsed += usize::from(json::parse(&text).is_ok());
            runs += 1;
            read_everything(&text, &mut desk, &mut typed);
        }
    }
    // (A machine so loaded that the time cap cut the run short checks only that nothing panicked.)
    if !full {
        return;
    }
    assert!(runs > 1_000 && parsed > 300, "the fuzz should run and keep many texts valid ({runs} runs, {parsed} read)");
    // Edited texts still reach the typed readers and the desk (outbox, wrap-ups, a call, a window's state).
    assert!(typed.iter().all(|n| *n > 20), "typed reads: {typed:?}");
}
