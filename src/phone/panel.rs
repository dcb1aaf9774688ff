//! Which calls the phone panel keeps (pure). Over a shift the panel must not grow with the history: live
//! calls stay; an ended call stays while its wrap-up is open (the agent is working on it); the latest ended
//! call that needs the agent's eye without a wrap-up (missed, rejected, failed, cancelled) stays so its
//! reason can be read, until a newer one replaces it or the agent clears it. Every other ended call leaves
//! the panel: it is in Recents, and its activity is in the outbox.

use super::call::{Call, CallState, EndReason};
use super::wrapup::WrapUp;

/// True when `w` is the wrap-up of `c` (a wrap-up copies its call's number and start).
fn wraps(w: &WrapUp, c: &Call) -> bool {
    w.started_ms == c.created_ms && w.number == c.number
}

/// An ended call whose card tells the agent something a wrap-up does not: it was never answered, or failed.
fn worth_a_look(c: &Call) -> bool {
    c.answered_ms.is_none() || matches!(c.state, CallState::Ended(EndReason::Failed(_)))
}

/// The ids of ended calls to take off the panel. Only calls already `finalized` (in Recents, their
/// wrap-up opened or their activity queued) can leave.
pub fn retired(calls: &[Call], wrapups: &[WrapUp], finalized: &[u32]) -> Vec<u32> {
    let open = |c: &Call| wrapups.iter().any(|w| wraps(w, c));
    let done = |c: &Call| !c.is_live() && finalized.contains(&c.id) && !open(c);
    // Calls are listed in the order they began: the last one is the latest.
    let keep = calls.iter().rev().find(|c| done(c) && worth_a_look(c)).map(|c| c.id);
    let mut ids = Vec::new();
    for c in calls {
        if done(c) && Some(c.id) != keep {
            ids.push(c.id);
        }
    }
    ids
}

/// Takes the [`retired`] calls off `calls`, and forgets `finalized` ids no longer shown (the list stays as
/// short as the panel).
pub fn retire(calls: &mut Vec<Call>, wrapups: &[WrapUp], finalized: &mut Vec<u32>) {
    let gone = retired(calls, wrapups, finalized);
    calls.retain(|c| !gone.contains(&c.id));
    finalized.retain(|id| calls.iter().any(|c| c.id == *id));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::call::Direction;

    fn call(id: u32, answered: bool, end: Option<EndReason>) -> Call {
        let mut c = Call::new(id, Direction::Inbound, &format!("+1415555{id:04}"), None, id as f64 * 1_000.0);
        if answered {
            c.connect(id as f64 * 1_000.0 + 100.0);
        }
        if let Some(r) = end {
            c.end(r, id as f64 * 1_000.0 + 500.0);
        }
        c
    }

    #[test]
    fn a_call_leaves_the_panel_once_its_wrap_up_is_done() {
        let c = call(1, true, Some(EndReason::HungUp));
        let w = WrapUp::of(&c, "a1".into(), 2_000.0);
        // Ended, wrap-up open: it stays.
        assert_eq!(retired(&[c.clone()], &[w], &[1]), Vec::<u32>::new());
        // Wrap-up done: it goes.
        assert_eq!(retired(&[c.clone()], &[], &[1]), vec![1]);
        // Not finalized yet (no wrap-up opened): it stays until it is.
        assert_eq!(retired(&[c], &[], &[]), Vec::<u32>::new());
    }

    #[test]
    fn live_calls_always_stay() {
        let live = [call(1, true, None), call(2, false, None)];
        assert!(retired(&live, &[], &[1, 2]).is_empty());
    }

    #[test]
    fn only_the_latest_unanswered_or_failed_call_stays_to_be_read() {
        let calls = [
            call(1, false, Some(EndReason::Missed)),
            call(2, false, Some(EndReason::Rejected)),
            call(3, true, Some(EndReason::Failed("gone".into()))),
            call(4, true, Some(EndReason::HungUp)),
        ];
        assert_eq!(retired(&calls, &[], &[1, 2, 3, 4]), vec![1, 2, 4]);
    }

    #[test]
    fn a_shift_of_calls_keeps_the_panel_bounded() {
        let mut panel: Vec<Call> = Vec::new();
        let mut finalized = Vec::new();
        for id in 1..=500u32 {
            let end = if id % 7 == 0 { EndReason::Missed } else { EndReason::HungUp };
            let answered = id % 7 != 0;
            panel.push(call(id, answered, Some(end)));
            finalized.push(id);
            retire(&mut panel, &[], &mut finalized);
            assert!(panel.len() <= 2, "after call {id}: {} cards", panel.len());
            assert!(finalized.len() <= 2);
        }
    }
}
