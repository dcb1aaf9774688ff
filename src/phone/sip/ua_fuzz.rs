//! A bounded, stateful mutation fuzz of the user agent (stable, every test run): the frames a server and a far end
//! would send in reply to what the UA actually sent (responses with the right branch, in-dialog requests with the
//! right tags), randomly edited (ASCII, multibyte characters, huge numbers), go through `on_frame`, mixed with
//! clock ticks and the calls the edge makes on the UA's events. Nothing may panic (the release wasm aborts on a
//! panic: the agent's desktop would die mid-shift), and whatever the UA sends must parse. Each received frame also
//! goes through the SIP log's redaction first, as in the browser edge.

use super::tests::*;
use super::*;

/// Fragments an edit inserts or writes over: SIP punctuation, multibyte characters (char-boundary slicing),
/// numbers at the edges of u16/u32/i32/u64, and pieces of the syntax the UA reads further (tags, challenges,
/// multipart bodies, sipfrag, Replaces).
const FRAGMENTS: &[&str] = &[
    " ", "\t", "\r\n", "\r\n\r\n", ":", ";", ",", "<", ">", "\"", "\\", "=", "@", "%", "?", "&", "[", "]", "/", "-", "0", "9",
    "é", "€", "😀", "\u{200B}", "ß", "İ", "ﬃ", "0", "65535", "65536", "2147483647", "2147483648", "4294967295", "4294967296",
    "18446744073709551616", "-1", "SIP/2.0 ", "SIP/2.0 200 OK", "tag=", ";tag=x", ";tag=é", "sip:", "sips:", "tel:", "[::1]",
    "%", "%zz", "%e2%82", "%C3", "Content-Length: 99\r\n", "l: 0\r\n", "Digest ", "realm=\"sip.example.com\"", "nonce=\"n\"",
    "qop=auth", "algorithm=SHA-256", "stale=true", ", ", "multipart/mixed;boundary=b", "--b\r\n", "--b--", "boundary=",
    "Content-Type: application/sdp\r\n\r\n", "Replaces: ", ";to-tag=", ";from-tag=", "early-only", "Refer-To: ", "Require: x\r\n",
    "Signal=", "Event: refer\r\n", "Subscription-State: terminated\r\n", "expires=", "Min-Expires: ", "Retry-After: ",
    "Authorization: Digest ", "Bearer ", "password=\"é", "token: ", "sip:u:pw@", "eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.sig", "secret",
];

use crate::fuzz_rng::Rng;

/// A copy of `text` with a few edits at character boundaries (the result stays a valid `&str`).
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_string();
    for _ in 0..rng.below(5) {
        let mut pos = rng.below(s.len() + 1);
        while !s.is_char_boundary(pos) {
            pos -= 1;
        }
        let frag = FRAGMENTS[rng.below(FRAGMENTS.len())];
        match rng.below(4) {
            0 => {
                // Remove a character.
                if let Some(c) = s[pos..].chars().next() {
                    s.replace_range(pos..pos + c.len_utf8(), "");
                }
            }
            1 => {
                // Overwrite a run of characters.
                let end = s[pos..].char_indices().nth(frag.chars().count()).map_or(s.len(), |(i, _)| pos + i);
                s.replace_range(pos..end, frag);
            }
            2 => {
                // Replace a number with an extreme one.
                let start = s[pos..].find(|c: char| c.is_ascii_digit()).map(|i| pos + i);
                if let Some(a) = start {
                    let b = s[a..].find(|c: char| !c.is_ascii_digit()).map_or(s.len(), |i| a + i);
                    let n = ["0", "4294967295", "4294967296", "2147483648", "65536", "99999999999999999999", "00000000001"][rng.below(7)];
                    s.replace_range(a..b, n);
                }
            }
            _ => s.insert_str(pos, frag),
        }
    }
    s
}

/// Frames worth sending, learnt from what the UA sent: responses to its requests, requests in its dialogs.
fn learn(rng: &mut Rng, pool: &mut Vec<String>, sent_text: &str) {
    let Ok(m) = Message::parse(sent_text) else { return };
    if m.is_request() {
        if m.method() == Some("ACK") {
            return;
        }
        let tag = format!("far{}", rng.below(3));
        let codes = [100, 180, 183, 200, 200, 202, 401, 407, 423, 481, 486, 487, 491, 500, 503, 603];
        for _ in 0..3 {
            let code = codes[rng.below(codes.len())];
            let extra: Vec<(&str, &str)> = match code {
                401 => vec![("WWW-Authenticate", "Digest realm=\"sip.example.com\", nonce=\"n1\", qop=\"auth\"")],
                407 => vec![("Proxy-Authenticate", "Digest realm=\"sip.example.com\", nonce=\"n2\", algorithm=SHA-256")],
                423 => vec![("Min-Expires", "600")],
                503 => vec![("Retry-After", "5")],
                200 if m.method() == Some("REGISTER") => vec![("Contact", "<sip:1001@x.invalid;transport=ws>;expires=300")],
                _ => vec![("Contact", "<sip:far@127.0.0.1:5070>"), ("Record-Route", "<sip:p1;lr>, <sip:p2;lr>")],
            };
            let body = if m.method() == Some("INVITE") && (code == 183 || code == 200) { "v=0 answer" } else { "" };
            pool.push(respond(&m, code, (code > 100).then_some(tag.as_str()), &extra, body));
        }
        return;
    }
    // A response of ours that names our tag: the far end's requests in that dialog (as the caller of CALLER_INVITE).
    let Some(tag) = m.to().and_then(|t| t.tag().map(str::to_string)) else { return };
    if m.call_id() != Some("incoming-1@caller") {
        return;
    }
    let n = 10 + rng.below(5) as u32;
    pool.push(in_dialog("ACK", 10, &tag, ""));
    pool.push(in_dialog("BYE", n, &tag, ""));
    pool.push(in_dialog("INFO", n, &tag, "Signal=5\r\nDuration=160\r\n"));
    pool.push(in_dialog("INVITE", n, &tag, "v=0 reoffer"));
    pool.push(in_dialog("OPTIONS", n, &tag, ""));
    pool.push(in_dialog("NOTIFY", n, &tag, "SIP/2.0 180 Ringing\r\n").replace("\r\n\r\n", "\r\nEvent: refer\r\nSubscription-State: active\r\nContent-Type: message/sipfrag\r\n\r\n"));
    pool.push(in_dialog("REFER", n, &tag, "").replace("\r\n\r\n", "\r\nRefer-To: <sip:1003@sip.example.com?Replaces=a%3Bto-tag%3Db%3Bfrom-tag%3Dc>\r\nReferred-By: <sip:x@y>\r\n\r\n"));
    pool.push(in_dialog("MESSAGE", n, &tag, "hello").replace("\r\n\r\n", "\r\nContent-Type: text/plain\r\n\r\n"));
    pool.push(CALLER_INVITE.replace("CSeq: 10 INVITE", "CSeq: 10 CANCEL").replace("INVITE sip:", "CANCEL sip:").replace("branch=z9hG4bKproxy1", "branch=z9hG4bKproxy1"));
}

fn fresh_pool() -> Vec<String> {
    let multipart = CALLER_INVITE.replace(
        "Content-Type: application/sdp\r\n\r\nv=0 offer",
        "Content-Type: multipart/mixed;boundary=b\r\n\r\n--b\r\nContent-Type: application/sdp\r\n\r\nv=0 offer\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
    );
    vec![
        CALLER_INVITE.to_string(),
        CALLER_INVITE.replace("Call-ID: incoming-1@caller", "Call-ID: incoming-1@caller\r\nReplaces: incoming-1@caller;to-tag=a;from-tag=caller-tag;early-only"),
        CALLER_INVITE.replace("Call-ID: incoming-1@caller", "Call-ID: incoming-1@caller\r\nP-Asserted-Identity: \"Beth\" <tel:+14155550123>\r\nRequire: replaces"),
        multipart,
        "OPTIONS sip:1001@sip.example.com SIP/2.0\r\nVia: SIP/2.0/WS p;branch=z9hG4bKo\r\nFrom: <sip:p@p>;tag=1\r\nTo: <sip:1001@sip.example.com>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\n\r\n".into(),
        "MESSAGE sip:1001@sip.example.com SIP/2.0\r\nVia: SIP/2.0/WS p;branch=z9hG4bKm\r\nFrom: \"É\" <sip:p@p>;tag=1\r\nTo: <sip:1001@sip.example.com>\r\nCall-ID: m1\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n\r\nhi é".into(),
    ]
}

/// Fresh UAs, 150 steps each.
const ROUNDS: usize = 120;

#[test]
fn hostile_mutated_frames_through_the_user_agent_never_panic() {
    let mut rng = Rng(0x5EED_0F_5A_F7_u64 | 1);
    let started = std::time::Instant::now();
    let mut frames = 0;
    let mut accepted_invites = 0;
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    // Several UAs in turn (a fresh one now and then, so states early in a UA's life come up again).
    let mut rounds = 0;
    for round in 0..ROUNDS {
        if started.elapsed().as_secs_f64() > 5.0 {
            break;
        }
        rounds += 1;
        let mut u = ua_with(|c| {
            c.accept_messages = round % 2 == 0;
            c.refer_policy = [ReferPolicy::Ask, ReferPolicy::Domain, ReferPolicy::Never][round % 3];
        });
        let mut now = 0.0;
        let mut pool = fresh_pool();
        let mut calls: Vec<CallRef> = Vec::new();
        let mut outs = u.register(now);
        for step in 0..150 {
            for o in &outs {
                match o {
                    Output::Send(t) => {
                        assert!(Message::parse(t).is_ok(), "the UA sent what does not parse: {t:?}");
                        learn(&mut rng, &mut pool, t);
                    }
                    Output::Event(e) => {
                        let name = format!("{e:?}");
                        let name = name.split([' ', '(', '{']).next().unwrap_or("").to_string();
                        *seen.entry(name).or_insert(0) += 1;
                        let id = match e {
                            UaEvent::Incoming { call, .. }
                            | UaEvent::Progress { call, .. }
                            | UaEvent::Answered { call, .. }
                            | UaEvent::RemoteOffer { call, .. }
                            | UaEvent::TransferRequested { call, .. } => Some(*call),
                            _ => None,
                        };
                        if let Some(id) = id.filter(|id| !calls.contains(id)) {
                            calls.push(id);
                        }
                    }
                }
            }
            if pool.len() > 96 {
                let cut = pool.len() - 64;
                pool.drain(..cut);
            }
            now += [0.0, 1.0, 250.0, 4_000.0, 40_000.0][rng.below(5)];
            let call = calls.get(rng.below(calls.len())).copied().unwrap_or(1);
            outs = match rng.below(20) {
                0 => u.tick(now),
                1 => u.answer(now, call, "v=0 answer"),
                2 => u.hang_up(now, call),
                3 => u.reinvite(now, call, "v=0 hold"),
                4 => u.answer_reoffer(now, call, "v=0 ok"),
                5 => u.info_dtmf(now, call, '5'),
                6 => u.refer(now, call, "1003", calls.first().copied().filter(|c| *c != call), &[("X-A".into(), "é;b".into())]).unwrap_or_default(),
                7 => match u.invite(now, "+1 415 555 0100", "v=0 offer", &[]) {
                    Ok((id, out)) => {
                        calls.push(id);
                        out
                    }
                    Err(_) => Vec::new(),
                },
                8 if step % 40 == 0 => u.transport_lost(now).into_iter().chain(u.transport_up(now)).collect(),
                9 => u.reject_reoffer(now, call, "no"),
                10 => u.decline_transfer(now, call),
                _ => {
                    let base = pool[rng.below(pool.len())].clone();
                    let mut frame = if rng.below(4) == 0 { base } else { mutate(&mut rng, &base) };
                    if rng.below(400) == 0 {
                        // Oversized (the 513 path), with multibyte characters around where it is cut.
                        let at = frame.find("\r\n\r\n").unwrap_or(0);
                        frame.insert_str(at, &format!("\r\nX-Pad: {}", "é€😀".repeat(rng.below(400) + 7_300)));
                    }
                    frames += 1;
                    // The edge records every received frame (redacted) before the UA reads it.
                    crate::diagnostics::siplog::record(false, &frame, &["secret"]);
                    let out = u.on_frame(now, &frame);
                    if frame.starts_with("INVITE") && out.iter().any(|o| matches!(o, Output::Event(UaEvent::Incoming { .. }))) {
                        accepted_invites += 1;
                    }
                    out
                }
            };
        }
    }
    // The runs reach the UA's states, not only its parser (the seed is fixed: these hold on every full run; a
    // machine so loaded that the time cap cut the run short checks only that nothing panicked).
    if rounds < ROUNDS {
        return;
    }
    for kind in ["Answered", "Dtmf", "Message", "Progress", "RemoteOffer", "TransferProgress", "TransferRequested"] {
        assert!(seen.get(kind).is_some_and(|n| *n > 0), "no {kind} event: {seen:?}");
    }
    assert!(frames > 3_000, "the fuzz should feed many frames ({frames})");
    assert!(accepted_invites > 30, "mutated calls should still get through ({accepted_invites})");
}
