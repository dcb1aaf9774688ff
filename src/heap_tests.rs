//! Views that come and go must leave nothing behind in the state that lives as long as the page (issue #16:
//! the wasm memory grew ~3 KB per call over a shift). Counted on the host with the test allocator
//! ([`super::host::live`]): allocations alive on the test's thread.

use super::host::live;
use crate::desk::shell::put;
use crate::ui::follow;
use leptos::prelude::*;

const VIEWS: isize = 500;

/// `VIEWS` times: a view (an owner of its own, as a call card or a wrap-up has) whose memo reads `s`, read
/// once, then the view is gone. Returns how many more allocations are alive afterwards, less the one block
/// per view that the page's owner keeps (a weak link to each child owner it had, dropped with the page;
/// in the desktop the views' parents are themselves rebuilt between calls).
fn views_come_and_go(page: &Owner, s: RwSignal<u32>, followed: bool) -> isize {
    let before = live();
    for _ in 0..VIEWS {
        let view = page.child();
        view.with(|| {
            let text = if followed {
                let changed = follow(move || s.track());
                Memo::new(move |_| {
                    changed.track();
                    s.get_untracked().to_string()
                })
            } else {
                Memo::new(move |_| s.get().to_string())
            };
            assert!(!text.get().is_empty());
        });
        view.cleanup();
    }
    live() - before - VIEWS
}

/// A page with a warmed-up reactive system (the first views of a thread allocate tables once).
fn page() -> Owner {
    let page = Owner::new();
    let warm = page.with(|| RwSignal::new(0u32));
    views_come_and_go(&page, warm, false);
    views_come_and_go(&page, warm, true);
    put(warm, 1);
    page
}

#[test]
fn leptos_keeps_a_block_per_gone_reader_in_a_signal() {
    // The hazard this guards against (if a Leptos upgrade removes it, `put` and `follow` can go).
    let page = page();
    let s = page.with(|| RwSignal::new(1u32));
    let before = live();
    let left = views_come_and_go(&page, s, false);
    assert!(left >= VIEWS, "each gone view left a block in the signal: {left} left for {VIEWS} views");
    s.set(2);
    let after_set = live() - before - VIEWS;
    assert!(after_set >= VIEWS, "a plain set does not let go of them: {after_set}");
}

#[test]
fn put_lets_go_of_the_readers_that_are_gone() {
    let page = page();
    let s = page.with(|| RwSignal::new(1u32));
    let before = live();
    assert!(views_come_and_go(&page, s, false) >= VIEWS);
    put(s, 2);
    let now = live() - before - VIEWS;
    assert!(now < 16, "after put, {now} allocations of {VIEWS} gone views are still alive");
    // A live reader still follows the signal after the readers were let go.
    page.with(|| {
        let reader = Memo::new(move |_| s.get());
        assert_eq!(reader.get(), 2);
        put(s, 3);
        assert_eq!(reader.get(), 3);
        put(s, 4);
        assert_eq!(reader.get(), 4, "it subscribed again when it recomputed");
    });
}

#[test]
fn followed_views_leave_nothing_in_a_signal_that_never_changes() {
    let page = page();
    let s = page.with(|| RwSignal::new(1u32));
    let left = views_come_and_go(&page, s, true);
    assert!(left < 16, "{left} allocations of {VIEWS} gone views (read through follow) are still alive");
    // While its view lives, it follows the signal.
    let view = page.child();
    let m = view.with(|| {
        let changed = follow(move || s.track());
        Memo::new(move |_| {
            changed.track();
            s.get_untracked() * 10
        })
    });
    assert_eq!(m.get(), 10);
    s.set(2);
    assert_eq!(m.get(), 20);
    view.cleanup();
}
