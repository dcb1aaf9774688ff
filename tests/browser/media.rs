//! The call's audio session in the real browser: a refused offer goes back to the agreed session.
//! The two peer connections exchange descriptions without candidates, so no packet leaves the browser.

use agent_desktop::phone::media::CallMedia;
use js_sys::Reflect;
use wasm_bindgen_test::*;

fn no_candidates(sdp: &str) -> String {
    sdp.split("\r\n").filter(|l| !l.starts_with("a=candidate") && !l.starts_with("a=end-of-candidates")).collect::<Vec<_>>().join("\r\n")
}

fn signaling(m: &CallMedia) -> String {
    Reflect::get(&m.pc, &"signalingState".into()).unwrap().as_string().unwrap()
}

/// `a` offers, `b` answers, `a` takes the answer: the offer/answer exchange of one re-INVITE that succeeded.
async fn agree(a: &CallMedia, b: &CallMedia, offer: String) {
    let answer = b.answer(&no_candidates(&offer)).await.unwrap();
    a.accept(&no_candidates(&answer), false).await.unwrap();
    assert_eq!(signaling(a), "stable");
}

#[wasm_bindgen_test]
async fn a_refused_hold_or_resume_offer_is_rolled_back_to_the_agreed_session() {
    let unmuted = std::cell::Cell::new(false);
    let (a, b) = (CallMedia::new(&[], &unmuted).await.unwrap(), CallMedia::new(&[], &unmuted).await.unwrap());
    agree(&a, &b, a.offer().await.unwrap()).await;
    // The agent holds; the server answers 500: the offer is void, the call stays agreed as not held.
    let hold = a.hold_offer(true).await.unwrap();
    assert!(hold.contains("a=sendonly"), "{hold}");
    assert_eq!(signaling(&a), "have-local-offer");
    assert!(!a.rollback().await, "not held");
    assert_eq!(signaling(&a), "stable");
    // The next negotiation works and still offers two-way audio.
    let again = a.offer().await.unwrap();
    assert!(again.contains("a=sendrecv"), "{again}");
    agree(&a, &b, again).await;
    // Held for real, then a refused resume: the call stays held.
    agree(&a, &b, a.hold_offer(true).await.unwrap()).await;
    a.hold_offer(false).await.unwrap();
    assert!(a.rollback().await, "still held");
    assert!(a.offer().await.unwrap().contains("a=sendonly"));
    // Nothing to roll back in stable: nothing changes.
    a.rollback().await;
    assert!(a.rollback().await);
    a.close();
    b.close();
}
