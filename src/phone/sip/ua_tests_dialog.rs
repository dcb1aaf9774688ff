//! Requests inside a call: hold, transfer, take-over, DTMF.

use super::tests::*;
use super::*;

pub(super) fn connected_incoming(u: &mut UserAgent) -> (CallRef, String) {
    let out = u.on_frame(0.0, CALLER_INVITE);
    let tag = sent(&out)[0].to().unwrap().tag().unwrap().to_string();
    let UaEvent::Incoming { call, .. } = events(&out)[0].clone() else { panic!() };
    u.answer(1.0, call, "a");
    u.on_frame(2.0, &in_dialog("ACK", 10, &tag, ""));
    (call, tag)
}

#[test]
fn hold_by_reinvite_both_ways() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let out = u.reinvite(3.0, id, "v=0 a=sendonly");
    let re = sent(&out)[0].clone();
    assert_eq!(re.method(), Some("INVITE"));
    assert_eq!(re.cseq(), Some((1, "INVITE".into())));
    assert_eq!(re.to().unwrap().tag(), Some("caller-tag"));
    assert_eq!(re.from().unwrap().tag(), Some(tag.as_str()));
    // A second offer while one is pending is refused locally.
    assert_eq!(events(&u.reinvite(3.5, id, "x")), vec![UaEvent::ReofferFailed { call: id, code: 491, refresh: false }]);
    let out = u.on_frame(4.0, &respond(&re, 200, None, &[], "v=0 a=recvonly"));
    assert_eq!(sent(&out)[0].method(), Some("ACK"));
    assert_eq!(events(&out), vec![UaEvent::ReofferAnswered { call: id, sdp: "v=0 a=recvonly".into() }]);
    // The far end puts us on hold.
    let out = u.on_frame(5.0, &in_dialog("INVITE", 11, &tag, "v=0 a=sendonly"));
    assert_eq!(events(&out), vec![UaEvent::RemoteOffer { call: id, sdp: "v=0 a=sendonly".into() }]);
    let out = u.answer_reoffer(6.0, id, "v=0 a=recvonly");
    let ok = &sent(&out)[0];
    assert_eq!(ok.code(), Some(200));
    assert_eq!(ok.cseq(), Some((11, "INVITE".into())));
    // An older CSeq is refused.
    let out = u.on_frame(7.0, &in_dialog("INFO", 5, &tag, "Signal=1"));
    assert_eq!(sent(&out)[0].code(), Some(500));
}

#[test]
fn blind_transfer_refer_and_notify_progress() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let screen = vec![("X-SN-Table".to_string(), "sn_customerservice_case".to_string()), ("X-SN-Sys-Id".to_string(), "ca5e 1&2".to_string())];
    let out = u.refer(3.0, id, "1003", None, &screen).unwrap();
    let refer = sent(&out)[0].clone();
    assert_eq!(refer.method(), Some("REFER"));
    assert_eq!(refer.header("Refer-To"), Some("<sip:1003@sip.example.com?X-SN-Table=sn_customerservice_case&X-SN-Sys-Id=ca5e%201%262>"));
    // The transferee's INVITE to that target carries the record as headers.
    let mut transferee = ua();
    let target = NameAddr::parse(refer.header("Refer-To").unwrap()).unwrap().uri.to_string();
    let (_, out) = transferee.invite(3.5, &target, "o", &[]).unwrap();
    let inv = &sent(&out)[0];
    assert_eq!(inv.uri(), Some("sip:1003@sip.example.com"));
    assert_eq!(inv.header("X-SN-Sys-Id"), Some("ca5e 1&2"));
    assert_eq!(inv.header("X-SN-Table"), Some("sn_customerservice_case"));
    assert!(u.on_frame(4.0, &respond(&refer, 202, None, &[], "")).iter().all(|o| matches!(o, Output::Send(_))));
    let notify = |cseq: u32, frag: &str, state: &str| {
        in_dialog("NOTIFY", cseq, &tag, frag).replace("\r\n\r\n", &format!("\r\nEvent: refer\r\nSubscription-State: {state}\r\nContent-Type: message/sipfrag\r\n\r\n"))
    };
    let out = u.on_frame(5.0, &notify(11, "SIP/2.0 100 Trying\r\n", "active"));
    assert_eq!(sent(&out)[0].code(), Some(200));
    assert_eq!(events(&out), vec![UaEvent::TransferProgress { call: id, code: 100, done: false }]);
    let out = u.on_frame(6.0, &notify(12, "SIP/2.0 200 OK\r\n", "terminated;reason=noresource"));
    assert_eq!(events(&out), vec![UaEvent::TransferProgress { call: id, code: 200, done: true }]);
}

#[test]
fn consultative_transfer_refer_carries_replaces_and_target_accepts_it() {
    let mut u = ua();
    let (first, _tag) = connected_incoming(&mut u);
    let (consult, out) = u.invite(3.0, "1003", "o", &[]).unwrap();
    let inv = sent(&out)[0].clone();
    u.on_frame(4.0, &respond(&inv, 200, Some("c-tag"), &[("Contact", "<sip:c@h.invalid;transport=ws>")], "a"));
    let out = u.refer(5.0, first, "", Some(consult), &[]).unwrap();
    let refer_to = sent(&out)[0].header("Refer-To").unwrap().to_string();
    let local_tag = inv.from().unwrap().tag().unwrap().to_string();
    assert!(refer_to.starts_with("<sip:1003@sip.example.com?Replaces="), "{refer_to}");
    let na = NameAddr::parse(&refer_to).unwrap();
    let r = parse_replaces(na.uri.headers.as_deref().unwrap().strip_prefix("Replaces=").unwrap()).unwrap();
    assert_eq!(r, Replaces { call_id: inv.call_id().unwrap().into(), to_tag: "c-tag".into(), from_tag: local_tag, early_only: false });

    // The transferee calls the Refer-To target: the URI's Replaces becomes a header, not part of the R-URI.
    let mut transferee = ua();
    let (_, out) = transferee.invite(5.5, &na.uri.to_string(), "o", &[]).unwrap();
    let inv3 = &sent(&out)[0];
    assert_eq!(inv3.uri(), Some("sip:1003@sip.example.com"));
    let rh = parse_replaces(inv3.header("Replaces").unwrap()).unwrap();
    assert_eq!(rh.to_tag, "c-tag");

    // The target side: an INVITE with Replaces naming one of its calls replaces it (no ringing).
    let mut target = ua();
    let (existing, ttag) = connected_incoming(&mut target);
    let replacing = CALLER_INVITE
        .replace("Call-ID: incoming-1@caller", "Call-ID: new-2@x")
        .replace("tag=caller-tag", "tag=t2")
        .replace("X-Queue: Billing\r\n", &format!("Replaces: incoming-1@caller;to-tag={ttag};from-tag=caller-tag\r\n"));
    let out = target.on_frame(6.0, &replacing);
    assert!(sent(&out).is_empty(), "no 180 for a replacing INVITE");
    assert!(matches!(&events(&out)[0], UaEvent::Incoming { replaces: Some(x), .. } if *x == existing));
    let bad = replacing.replace(&format!("to-tag={ttag}"), "to-tag=nope").replace("new-2@x", "new-3@x");
    assert_eq!(sent(&target.on_frame(7.0, &bad))[0].code(), Some(481));
}

#[test]
fn a_new_instance_takes_a_call_over_with_replaces() {
    // The desktop answered a call, then the page reloaded (or the phone moved to another tab).
    let mut old = ua();
    let (call, local_tag) = connected_incoming(&mut old);
    let (target, replaces) = old.takeover(call).expect("a confirmed call can be taken over");
    assert_eq!(target, "sip:caller@127.0.0.1:5070", "sent to the far end's Contact");
    assert_eq!(replaces, format!("incoming-1@caller;to-tag=caller-tag;from-tag={local_tag}"));
    // The new instance calls the far end with that Replaces header.
    let mut fresh = ua();
    let (_, out) = fresh.invite(10.0, &target, "v=0 new", &[("Replaces".into(), replaces.clone())]).unwrap();
    let inv = sent(&out)[0].clone();
    assert_eq!(inv.uri(), Some("sip:caller@127.0.0.1:5070"));
    assert_eq!(inv.header("Replaces"), Some(replaces.as_str()));
    // Seen from the far end (the caller's UA: its local tag is "caller-tag"), it names its dialog.
    let r = parse_replaces(inv.header("Replaces").unwrap()).unwrap();
    assert_eq!((r.to_tag.as_str(), r.from_tag.as_str()), ("caller-tag", local_tag.as_str()));
    // Ringing or ended calls cannot be taken over.
    let mut ringing = ua();
    let out = ringing.on_frame(0.0, CALLER_INVITE);
    let UaEvent::Incoming { call: r_call, .. } = events(&out)[0].clone() else { panic!() };
    assert_eq!(ringing.takeover(r_call), None);
    old.hang_up(20.0, call);
    assert_eq!(old.takeover(call), None);
}

#[test]
fn transferee_gets_refer_and_reports_progress() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let refer = in_dialog("REFER", 11, &tag, "").replace("\r\n\r\n", "\r\nRefer-To: <sip:1003@sip.example.com>\r\n\r\n");
    let out = u.on_frame(3.0, &refer);
    let msgs = sent(&out);
    assert_eq!(msgs[0].code(), Some(202));
    assert_eq!(msgs[1].method(), Some("NOTIFY"));
    assert_eq!(msgs[1].body, "SIP/2.0 100 Trying\r\n");
    assert_eq!(events(&out), vec![UaEvent::TransferRequested { call: id, target: "sip:1003@sip.example.com".into(), by: None, ask: true }]);
    let out = u.notify_transfer(4.0, id, 200);
    let n = &sent(&out)[0];
    assert!(n.header("Subscription-State").unwrap().starts_with("terminated"));
    assert_eq!(n.body, "SIP/2.0 200 OK\r\n");
}

#[test]
fn dtmf_by_info_both_ways() {
    let mut u = ua();
    let (id, tag) = connected_incoming(&mut u);
    let out = u.info_dtmf(3.0, id, '7');
    let info = &sent(&out)[0];
    assert_eq!(info.method(), Some("INFO"));
    assert_eq!(info.header("Content-Type"), Some("application/dtmf-relay"));
    assert!(info.body.starts_with("Signal=7"));
    let out = u.on_frame(4.0, &in_dialog("INFO", 11, &tag, "Signal=#\r\nDuration=100\r\n"));
    assert_eq!(events(&out), vec![UaEvent::Dtmf { call: id, digit: '#' }]);
}

/// Ticks from `from` to `to` ms in 10 ms steps; the time of the first output that `hit` picks.
fn first_tick(u: &mut UserAgent, from: u32, to: u32, hit: impl Fn(&[Output]) -> bool) -> Option<f64> {
    (from..=to).step_by(10).map(|t| t as f64).find(|t| hit(&u.tick(*t)))
}

#[test]
fn a_failed_target_refresh_is_retried_after_1_2_4_8_s_then_given_up() {
    let mut u = ua();
    let (id, _) = connected_incoming(&mut u);
    let mut re = sent(&u.refresh(10_000.0, id, "v=0 first"))[0].clone();
    let mut at = 10_000.0;
    for wait in [1_000.0, 2_000.0, 4_000.0, 8_000.0] {
        // The registrar does not know the far end yet (Kamailio restarted): a transient failure.
        let out = u.on_frame(at, &respond(&re, 500, None, &[], ""));
        assert_eq!(sent(&out)[0].method(), Some("ACK"));
        assert_eq!(events(&out), vec![UaEvent::ReofferFailed { call: id, code: 500, refresh: true }]);
        let due = first_tick(&mut u, at as u32, at as u32 + 20_000, |o| events(o) == vec![UaEvent::RefreshDue { call: id }]);
        assert_eq!(due, Some(at + wait), "retry after {wait} ms");
        at += wait;
        re = sent(&u.refresh(at, id, "v=0 again"))[0].clone();
        assert_eq!(re.body, "v=0 again", "a new offer each time");
    }
    let out = u.on_frame(at, &respond(&re, 500, None, &[], ""));
    assert_eq!(events(&out), vec![UaEvent::ReofferFailed { call: id, code: 500, refresh: true }]);
    assert_eq!(first_tick(&mut u, at as u32, at as u32 + 60_000, |o| !events(o).is_empty()), None, "given up after 5 tries");
}

#[test]
fn a_target_refresh_that_succeeds_stops_retrying_and_a_hold_failure_is_not_a_refresh() {
    let mut u = ua();
    let (id, _) = connected_incoming(&mut u);
    let re = sent(&u.refresh(10_000.0, id, "v=0"))[0].clone();
    u.on_frame(10_100.0, &respond(&re, 480, None, &[], ""));
    assert!(first_tick(&mut u, 10_100, 12_000, |o| !events(o).is_empty()).is_some());
    let re = sent(&u.refresh(11_200.0, id, "v=0"))[0].clone();
    let out = u.on_frame(11_300.0, &respond(&re, 200, None, &[], "v=0 answer"));
    assert_eq!(events(&out), vec![UaEvent::ReofferAnswered { call: id, sdp: "v=0 answer".into() }]);
    // The agent's hold fails: reported as such, not retried.
    let re = sent(&u.reinvite(12_000.0, id, "v=0 a=sendonly"))[0].clone();
    let out = u.on_frame(12_100.0, &respond(&re, 500, None, &[], ""));
    assert_eq!(events(&out), vec![UaEvent::ReofferFailed { call: id, code: 500, refresh: false }]);
    assert_eq!(first_tick(&mut u, 12_100, 40_000, |o| !events(o).is_empty()), None);
    assert!(u.can_reoffer(id));
}

macro_rules! dialog_gone {
    ($($name:ident: $code:expr,)*) => {$(
        #[test]
        fn $name() {
            let mut u = ua();
            let (id, _) = connected_incoming(&mut u);
            let re = sent(&u.refresh(10_000.0, id, "v=0"))[0].clone();
            let out = u.on_frame(10_100.0, &respond(&re, $code, None, &[], ""));
            let ev = events(&out);
            assert_eq!(ev[0], UaEvent::ReofferFailed { call: id, code: $code, refresh: true });
            let UaEvent::Ended { reason: Ended::Failed { code, text }, .. } = &ev[1] else { panic!("{ev:?}") };
            assert_eq!(*code, $code);
            assert!(text.render().starts_with("The call was lost"), "{text}");
            assert!(!u.can_reoffer(id));
            assert_eq!(first_tick(&mut u, 10_100, 30_000, |o| !o.is_empty()), None, "no retry of a dead dialog");
        }
    )*};
}
dialog_gone! {
    a_481_to_a_refresh_ends_the_call_with_a_reason: 481,
    a_408_to_a_refresh_ends_the_call_with_a_reason: 408,
}
