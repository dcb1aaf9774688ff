//! One owner of the phone across windows, end to end: the desktop in the sandbox's OpenFrame frame (another
//! site than the desktop: its storage, BroadcastChannel and locks are partitioned away from a top-level tab)
//! pops out into its own tab mid-call, the frame stays a remote view that still dials and shows screen pops,
//! closing the pop-out brings the phone back, and a reload of the ServiceNow page takes the call back.
//! The far end is another desktop on Kamailio; audio is real WebRTC on loopback.

use e2e::{
    answer, click_in_card, desktop, dial, enter, finish_wrap_up, journal, rx, set_state, sip_sign_in, sn_sign_in,
    title, wait_rx_above, wait_state, Browser, Kamailio, Sandbox, LAYOUT_PROBLEMS,
};
use serde_json::json;
use std::time::{Duration, Instant};

/// Charlie Whitherspoon's number in the sandbox (his case is CS0001003): the far end registers as it, so
/// screen pops and click-to-call find him.
const CHARLIE: &str = "+442079460958";
const CHARLIE_CASE: &str = "ca5e0000000000000000000000000003";
const BETH_CASE: &str = "ca5e0000000000000000000000000001";

/// Live call cards in the current document.
fn live_cards(b: &Browser) -> u64 {
    b.exec("return [...document.querySelectorAll('[data-testid=call]')].filter(c => !c.dataset.state.startsWith('Ended')).length", json!([]))
        .as_u64()
        .unwrap()
}

/// Clicks "Clear" (removes ended calls) when there is one.
fn clear_ended(b: &Browser) {
    b.exec("const c = [...document.querySelectorAll('[data-testid=call] button')].find(x => x.textContent === 'Clear'); if (c) c.click();", json!([]));
}

/// Audio is flowing into `b`'s first call now: its received-packet count grows by 40 within a few seconds.
fn audio_flowing(b: &Browser, who: &str) -> (u64, u64) {
    let start = rx(b, 0);
    let end = b.wait_for(&format!("audio flowing into {who}"), || {
        std::thread::sleep(Duration::from_millis(250));
        let now = rx(b, 0);
        (now > start + 40).then_some(now)
    });
    (start, end)
}

/// Waits for the first audio of the call's new session (its packet count restarts below `before`) and prints
/// the time since `since` as a benchmark figure (the gap the agent hears).
fn first_audio(b: &Browser, before: u64, since: Instant, what: &str) {
    b.wait_for(&format!("first audio after the {what}"), || {
        let v = rx(b, 0);
        (v > 0 && v < before).then_some(())
    });
    println!("BENCH {what}-to-audio: {} ms (first audio packets of the taken-over call)", since.elapsed().as_millis());
}

fn show_form(b: &Browser, table: &str, sys_id: &str) {
    b.top_frame();
    b.exec("window.sandboxShowForm(arguments[0], 'sys_id=' + arguments[1])", json!([table, sys_id]));
}

/// The agent in the sandbox page: signed in to ServiceNow and, in the frame, to Kamailio as 1001; Ready.
fn agent(sb: &Sandbox, k: &Kamailio, name: &str) -> Browser {
    let a = Browser::start(name, 1280, 800);
    a.goto(&format!("{}/", sb.origin));
    sn_sign_in(&a);
    a.click(&a.find("#tab-phone"));
    sip_sign_in(&a, k, "1001");
    set_state(&a, "ready");
    a
}

#[test]
fn pop_out_mid_call_the_frame_still_dials_and_pops_and_closing_the_pop_out_brings_the_phone_back() {
    let k = Kamailio::start();
    let sb = Sandbox::start(&["--desktop-query", "demo=0"]);
    let a = agent(&sb, &k, "popout_agent");
    let c = desktop(&sb, &k, "popout_charlie", CHARLIE);
    set_state(&c, "ready");

    // 1. Charlie calls; the frame pops his case and the agent answers there.
    dial(&c, "1001");
    a.wait_for("Charlie's case popped", || (title(&a) == "Case - CS0001003").then_some(()));
    enter(&a);
    answer(&a);
    wait_state(&a, 0, "Connected");
    wait_rx_above(&a, 0, 50);

    // 2. Pop out mid-call: the new tab takes the phone and the call (INVITE with Replaces to Charlie).
    let main = a.window_handles()[0].clone();
    let before = rx(&a, 0);
    let clicked = Instant::now();
    a.click(&a.find("[data-testid=pop-out]"));
    let popout = a.new_window(&[main.clone()]);
    a.switch_window(&popout);
    a.find(".desk[data-loaded=true]");
    first_audio(&a, before, clicked, "pop-out");
    a.wait_for("the pop-out owns the line", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    wait_state(&a, 0, "Connected");
    let (p0, p1) = audio_flowing(&a, "the pop-out");
    assert!(a.absent("[data-testid=remote-phone]"), "the pop-out has the phone");
    assert_eq!(live_cards(&a), 1);
    // Charlie still has one call (the same card, not a second call), with audio from the pop-out: the frame's
    // audio session is closed, so what arrives now comes from the new owner.
    assert_eq!(live_cards(&c), 1, "the takeover continues Charlie's call");
    wait_state(&c, 0, "Connected");
    let (c0, c1) = audio_flowing(&c, "Charlie after the pop-out");
    eprintln!("pop-out audio: pop-out rx {p0} -> {p1}, Charlie rx {c0} -> {c1}");
    a.shot("popout-owner.png");

    // The frame is a remote view of the same call.
    a.switch_window(&main);
    enter(&a);
    a.find("[data-testid=remote-phone]");
    wait_state(&a, 0, "Connected");
    // The remote view fits the 373 x 300 frame.
    assert_eq!(a.exec(LAYOUT_PROBLEMS, json!([])), json!([]), "layout problems in the remote view");
    a.click(&a.find("#tab-diagnostics"));
    assert_eq!(a.text(&a.find("[data-testid=phone-owner]")), "In another window (this one is a remote view)");
    a.click(&a.find("#tab-phone"));
    a.shot("popout-frame-remote.png");

    // 3. Hang up and wrap up from the frame: the commands go to the pop-out, which writes the activity to
    //    the case with the ServiceNow sign-in the frame handed over.
    click_in_card(&a, 0, "hang-up");
    wait_state(&c, 0, "Ended(RemoteHungUp)");
    // Charlie's own desktop wraps up too (until then it refuses calls as busy).
    finish_wrap_up(&c, "Resolved", "Called the agent");
    clear_ended(&c);
    finish_wrap_up(&a, "Resolved", "Talked through the pop-out");
    a.switch_window(&popout);
    // Ended and wrapped up: the call leaves the pop-out's phone panel (it is in Recents).
    a.wait_for("the wrapped-up call left the pop-out's panel", || {
        (a.exec("return document.querySelectorAll('[data-testid=call]').length", json!([])).as_u64() == Some(0)).then_some(())
    });
    a.wait_for("the wrap-up finished in the pop-out too", || a.absent("[data-testid=wrap-up]").then_some(()));
    a.wait_for("the note on Charlie's case", || {
        std::thread::sleep(Duration::from_millis(500));
        journal(&sb, "sn_customerservice_case", CHARLIE_CASE).into_iter().find(|n| n.contains("Talked through the pop-out"))
    });
    clear_ended(&a);

    // 4. Click-to-call in ServiceNow while popped out: the pop-out dials, with the case attached.
    a.switch_window(&main);
    show_form(&a, "sn_customerservice_case", CHARLIE_CASE);
    a.click(&a.find("button[data-c2c='+44 20 7946 0958']"));
    wait_state(&c, 0, "Alerting");
    assert_eq!(c.text(&c.find("[data-testid=party]")), "1001", "Charlie's phone rings from the agent");
    a.switch_window(&popout);
    a.wait_for("the pop-out placed the call", || (live_cards(&a) == 1).then_some(()));
    assert_eq!(a.text(&a.find("[data-testid=call-record]")), "CS0001003");
    // The agent cancels it there.
    click_in_card(&a, 0, "hang-up");
    wait_state(&c, 0, "Ended(Missed)");
    clear_ended(&c);
    a.wait_for("the call ended", || (live_cards(&a) == 0).then_some(()));
    clear_ended(&a);

    // 5. A screen pop from the owner opens the record in ServiceNow (the frame shows it).
    a.switch_window(&main);
    show_form(&a, "sn_customerservice_case", BETH_CASE);
    a.wait_for("another record on screen", || (title(&a) == "Case - CS0001001").then_some(()));
    dial(&c, "1001");
    a.wait_for("Charlie's case popped from the pop-out", || (title(&a) == "Case - CS0001003").then_some(()));
    // The owner's title for the ringing call shows in ServiceNow's frame header.
    a.wait_for("the caller in the frame's title", || (a.text(&a.find("#of-title")) == CHARLIE).then_some(()));
    // Answer from the frame (a command to the owner).
    enter(&a);
    a.wait_for("the frame shows the ringing call", || (live_cards(&a) == 1).then_some(()));
    answer(&a);
    // Presence and title follow the owner's call.
    a.top_frame();
    a.wait_for("presence On call", || (a.attr(&a.find("#openframe-toggle"), "data-presence").as_deref() == Some("On call")).then_some(()));
    a.wait_for("the title restored", || (a.text(&a.find("#of-title")) == "Agent Desktop").then_some(()));
    a.switch_window(&popout);
    wait_state(&a, 0, "Connected");
    audio_flowing(&a, "the pop-out");

    // 6. Pop-in: the agent closes the pop-out mid-call; the frame signs in again and takes the call back.
    a.close_window();
    a.switch_window(&main);
    enter(&a);
    a.wait_for("the frame has the phone again", || a.absent("[data-testid=remote-phone]").then_some(()));
    a.wait_for("the frame is registered", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    wait_state(&a, 0, "Connected");
    let (f0, f1) = audio_flowing(&a, "the frame after pop-in");
    assert_eq!(live_cards(&c), 1, "still one call for Charlie");
    let (c2, c3) = audio_flowing(&c, "Charlie after pop-in");
    eprintln!("pop-in audio: frame rx {f0} -> {f1}, Charlie rx {c2} -> {c3}");
    click_in_card(&c, 0, "hang-up");
    wait_state(&a, 0, "Ended(RemoteHungUp)");
}

/// The agent (1001, in the sandbox's frame) on a connected call with another desktop (1002).
fn framed_call(agent: &str, far_end: &str) -> (Kamailio, Sandbox, Browser, Browser) {
    let k = Kamailio::start();
    let sb = Sandbox::start(&["--desktop-query", "demo=0"]);
    let a = Browser::start(agent, 1280, 800);
    a.goto(&format!("{}/", sb.origin));
    enter(&a);
    sip_sign_in(&a, &k, "1001");
    set_state(&a, "ready");
    let c = desktop(&sb, &k, far_end, "1002");
    set_state(&c, "ready");
    dial(&a, "1002");
    wait_state(&c, 0, "Alerting");
    answer(&c);
    wait_state(&a, 0, "Connected");
    (k, sb, a, c)
}

#[test]
fn reloading_the_servicenow_page_mid_call_takes_the_call_back_with_its_timer() {
    let (_k, _sb, a, c) = framed_call("reload_agent", "reload_far_end");
    wait_rx_above(&a, 0, 50);
    std::thread::sleep(Duration::from_secs(3));
    let timer_before = a.text(&a.find("[data-testid=timer]"));

    // The ServiceNow page reloads (the frame is destroyed with it).
    let before = rx(&a, 0);
    a.top_frame();
    let reloaded = Instant::now();
    a.exec("location.reload()", json!([]));
    enter(&a);
    first_audio(&a, before, reloaded, "reload");
    // The call is shown at once from the saved state, then taken back (sign-in, INVITE with Replaces).
    wait_state(&a, 0, "Connected");
    a.wait_for("registered again", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    let (r0, r1) = audio_flowing(&a, "the reloaded frame");
    let timer_after = a.text(&a.find("[data-testid=timer]"));
    assert!(timer_after > timer_before, "the timer carried on: {timer_before} -> {timer_after}");
    assert_eq!(live_cards(&c), 1, "the far end still has one call");
    let (c0, c1) = audio_flowing(&c, "the far end after the reload");
    eprintln!("reload audio: frame rx {r0} -> {r1}, far end rx {c0} -> {c1}; timer {timer_before} -> {timer_after}");
    // The agent state survived too.
    assert_eq!(a.exec("return document.querySelector('[data-testid=agent-state]').value", json!([])), json!("ready"));
    click_in_card(&a, 0, "hang-up");
    wait_state(&c, 0, "Ended(RemoteHungUp)");
}

#[test]
fn a_call_that_cannot_be_taken_back_after_a_reload_ends_with_the_reason_and_is_wrapped_up() {
    let (_k, _sb, a, c) = framed_call("reload_lost_agent", "reload_lost_far_end");
    // The far end's browser goes away without hanging up; then the ServiceNow page reloads.
    c.goto("about:blank");
    a.top_frame();
    a.exec("location.reload()", json!([]));
    enter(&a);
    // The reloaded desktop tries to take the call back, cannot, and says so on the card.
    let state = a.wait_for("the call ends with the reason", || {
        let s = a.exec("const c = document.querySelector('[data-testid=call]'); return c ? c.dataset.state : ''", json!([]));
        s.as_str().filter(|s| s.starts_with("Ended(Failed")).map(str::to_string)
    });
    assert!(state.contains("could not be taken back"), "{state}");
    // The call was answered: its wrap-up opens, and finishing it queues the activity for ServiceNow.
    finish_wrap_up(&a, "Follow-up needed", "Line dropped during a reload");
    a.click(&a.find("#tab-diagnostics"));
    assert_eq!(a.text(&a.find("[data-testid=sn-pending]")), "1", "the activity waits for ServiceNow");
}

#[test]
fn closing_the_tab_that_has_the_phone_hands_it_and_the_call_to_another_tab() {
    // Two top-level tabs of the desktop share a storage partition: Web Locks and BroadcastChannel only. The
    // second is linked by the agent's choice in the first.
    let k = Kamailio::start();
    let sb = Sandbox::start(&[]);
    let c = desktop(&sb, &k, "tabs_far_end", "1002");
    set_state(&c, "ready");
    let a = Browser::start("tabs_agent", 1280, 800);
    a.goto(&format!("{}?demo=0", sb.desktop_url));
    a.find(".desk[data-loaded=true]");
    sip_sign_in(&a, &k, "1001");
    set_state(&a, "ready");
    let first = a.window_handles()[0].clone();
    let second = a.new_tab();
    a.switch_window(&second);
    a.goto(&format!("{}?demo=0", sb.desktop_url));
    // A tab opened by hand is not linked to the agent's desktop until the agent says so where the phone is.
    a.find("[data-testid=not-linked]");
    a.click(&a.find("[data-testid=use-phone-here]"));
    a.switch_window(&first);
    a.click(&a.find("[data-testid=give-phone]"));
    a.switch_window(&second);
    a.wait_for("the second tab has the phone", || {
        (a.absent("[data-testid=not-linked]") && a.absent("[data-testid=remote-phone]")).then_some(())
    });
    a.wait_for("the second tab is registered", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    // The first tab handed the phone over, so it is linked: "Use the phone here" takes it back.
    a.switch_window(&first);
    a.click(&a.find("[data-testid=use-phone-here]"));
    a.wait_for("the first tab has the phone again", || a.absent("[data-testid=remote-phone]").then_some(()));
    a.wait_for("the first tab is registered", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    a.switch_window(&second);
    a.find("[data-testid=remote-phone]");
    a.wait_for("the line state mirrored", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    // A call rings in the first tab; the second shows it and answers it (a command to the owner).
    dial(&c, "1001");
    a.wait_for("the second tab shows the ringing call", || (live_cards(&a) == 1).then_some(()));
    answer(&a);
    wait_state(&c, 0, "Connected");
    wait_state(&a, 0, "Connected");
    // The second tab shows the first tab's audio statistics.
    let before = wait_rx_above(&a, 0, 50);
    // The first tab closes mid-call: the second gets the lock, signs in and takes the call back.
    a.switch_window(&first);
    let closed = Instant::now();
    a.close_window();
    a.switch_window(&second);
    a.wait_for("the second tab has the phone", || a.absent("[data-testid=remote-phone]").then_some(()));
    a.wait_for("registered", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    wait_state(&a, 0, "Connected");
    first_audio(&a, before, closed, "tab-close");
    audio_flowing(&a, "the second tab");
    assert_eq!(live_cards(&c), 1, "the far end still has one call");
    audio_flowing(&c, "the far end");
    click_in_card(&c, 0, "hang-up");
    wait_state(&a, 0, "Ended(RemoteHungUp)");
}

#[test]
fn reloading_the_servicenow_page_while_popped_out_leaves_the_phone_in_the_pop_out() {
    reload_while_popped_out(false);
}

/// As above, in a Workspace-like page: the OpenFrame iframe is in a shadow root, so it is not among the top
/// window's frames where the pop-out looks for a frame made again; the reloaded frame finds the pop-out by
/// its window name instead.
#[test]
fn in_workspace_reloading_the_page_while_popped_out_leaves_the_phone_in_the_pop_out() {
    reload_while_popped_out(true);
}

fn reload_while_popped_out(workspace: bool) {
    // The frame (partitioned away from the pop-out: no shared lock or channel) is destroyed and made again by a
    // reload of the ServiceNow page. The pop-out keeps the phone; the new frame is its remote view again, and
    // a call to the agent rings once, in the pop-out (one registration), not in two windows.
    let k = Kamailio::start();
    let mut args = vec!["--desktop-query", "demo=0"];
    if workspace {
        args.push("--workspace");
    }
    let sb = Sandbox::start(&args);
    let tag = if workspace { "ws_" } else { "" };
    let a = agent(&sb, &k, &format!("reload_popout_{tag}agent"));
    if workspace {
        a.top_frame();
        assert_eq!(a.exec("return window.length", json!([])), json!(0), "the frame is not among the page's frames");
        enter(&a);
    }
    let c = desktop(&sb, &k, &format!("reload_popout_{tag}charlie"), CHARLIE);
    set_state(&c, "ready");
    let main = a.window_handles()[0].clone();
    a.click(&a.find("[data-testid=pop-out]"));
    let popout = a.new_window(&[main.clone()]);
    a.switch_window(&popout);
    a.find(".desk[data-loaded=true]");
    a.wait_for("the pop-out owns the line", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    a.switch_window(&main);
    enter(&a);
    a.find("[data-testid=remote-phone]");

    // ServiceNow reloads.
    a.top_frame();
    a.exec("location.reload()", json!([]));
    enter(&a);
    a.find(".desk[data-loaded=true]");
    // Give the new frame time to take the phone if it were going to (its lock is its own partition's, free:
    // without the pop-out's word it would start a phone of its own within a second).
    std::thread::sleep(Duration::from_secs(3));
    a.wait_for("the new frame is a remote view of the pop-out", || a.try_find("[data-testid=remote-phone]").map(|_| ()));
    a.click(&a.find("#tab-diagnostics"));
    assert_eq!(a.text(&a.find("[data-testid=phone-owner]")), "In another window (this one is a remote view)");
    a.click(&a.find("#tab-phone"));
    a.switch_window(&popout);
    assert!(a.absent("[data-testid=remote-phone]"), "the pop-out still has the phone");
    assert_eq!(a.text(&a.find("[data-testid=line]")), "SIP ready", "the pop-out is still registered");

    // A call rings in the pop-out, and the frame shows it as the pop-out's (one alerting call in all).
    dial(&c, "1001");
    wait_state(&a, 0, "Alerting");
    a.switch_window(&main);
    enter(&a);
    a.find("[data-testid=remote-phone]");
    wait_state(&a, 0, "Alerting");
    a.switch_window(&popout);
    answer(&a);
    wait_state(&c, 0, "Connected");
    wait_state(&a, 0, "Connected");
    audio_flowing(&a, "the pop-out after the reload");
    a.switch_window(&main);
    enter(&a);
    wait_state(&a, 0, "Connected");
    click_in_card(&a, 0, "hang-up");
    wait_state(&c, 0, "Ended(RemoteHungUp)");
    finish_wrap_up(&c, "Resolved", "Called the agent");
    clear_ended(&c);
    finish_wrap_up(&a, "Resolved", "After the reload");

    // The agent takes the phone back in the frame (the pop-out stays open, a remote view); then ServiceNow
    // reloads again. The frame hands the phone to the pop-out as it goes, and the reloaded frame waits for it
    // (its lock is free in its own partition): the pop-out has the phone, the new frame is its remote view.
    a.click(&a.find("[data-testid=use-phone-here]"));
    a.wait_for("the frame has the phone", || a.absent("[data-testid=remote-phone]").then_some(()));
    a.wait_for("the frame is registered", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    a.switch_window(&popout);
    a.find("[data-testid=remote-phone]");
    a.switch_window(&main);
    a.top_frame();
    a.exec("location.reload()", json!([]));
    enter(&a);
    a.find(".desk[data-loaded=true]");
    std::thread::sleep(Duration::from_secs(3));
    a.wait_for("the reloaded frame is a remote view of the pop-out", || a.try_find("[data-testid=remote-phone]").map(|_| ()));
    a.switch_window(&popout);
    a.wait_for("the pop-out took the phone", || a.absent("[data-testid=remote-phone]").then_some(()));
    a.wait_for("the pop-out is registered", || (a.text(&a.find("[data-testid=line]")) == "SIP ready").then_some(()));
    // One phone: a call rings in the pop-out, and the frame shows it as the pop-out's.
    dial(&c, "1001");
    wait_state(&a, 0, "Alerting");
    a.switch_window(&main);
    enter(&a);
    a.find("[data-testid=remote-phone]");
    wait_state(&a, 0, "Alerting");
    click_in_card(&c, 0, "hang-up");
    wait_state(&a, 0, "Ended(Missed)");
}
