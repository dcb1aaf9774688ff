//! Random edits of valid messages: the parser never panics and what it accepts round-trips.

//! A bounded mutation fuzz that runs on stable in every test run (cargo fuzz needs nightly): random
//! byte edits of valid messages must never panic, and what parses must round-trip.
use super::*;

const SEEDS: [&str; 3] = [
    "INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/WS h.invalid;branch=z9hG4bK1;rport\r\nFrom: \"A\" <sip:a@a.example>;tag=1\r\nTo: <sip:bob@b.example>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:a@h.invalid;transport=ws>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n",
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/WS h.invalid;branch=z9hG4bK1\r\nFrom: <sip:a@a>;tag=1\r\nTo: <sip:b@b>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\nl: 0\r\n\r\n",
    "NOTIFY sip:a@h.invalid SIP/2.0\r\nv: SIP/2.0/WS x;branch=z9hG4bK9\r\nf: <sip:b@b>;tag=2\r\nt: <sip:a@a>;tag=1\r\ni: c1\r\nCSeq: 3 NOTIFY\r\no: refer\r\nc: message/sipfrag\r\n\r\nSIP/2.0 200 OK\r\n",
];

#[test]
fn random_edits_never_panic_and_round_trip() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = b" \r\n:;,<>\"\\=@%0123456789abcSIP/.-\t";
    let mut parsed = 0;
    for i in 0..30_000 {
        let mut b = SEEDS[i % SEEDS.len()].as_bytes().to_vec();
        for _ in 0..(1 + next() % 4) {
            let pos = (next() as usize) % (b.len() + 1);
            match next() % 3 {
                0 if pos < b.len() => {
                    b.remove(pos);
                }
                1 => b.insert(pos, alphabet[(next() as usize) % alphabet.len()]),
                _ if pos < b.len() => b[pos] = alphabet[(next() as usize) % alphabet.len()],
                _ => {}
            }
        }
        let Ok(text) = std::str::from_utf8(&b) else { continue };
        if let Ok(m) = Message::parse(text) {
            parsed += 1;
            let again = Message::parse(&m.serialize()).unwrap_or_else(|e| panic!("{e}: {text:?}"));
            assert_eq!(again.start, m.start);
            assert_eq!(again.body, m.body);
            let _ = (m.from(), m.to(), m.via(), m.cseq(), m.x_headers());
        }
    }
    assert!(parsed > 1_000, "the mutations should keep many messages valid ({parsed})");
}
