//! Prints how many SIP messages per second the parser and serializer handle on this machine.
//! Run: `cargo bench --bench sip` (figures, not a pass/fail test).

use agent_desktop::phone::sip::message::Message;
use std::time::Instant;

const INVITE: &str = "INVITE sip:1002@sip.example.com SIP/2.0\r\n\
Via: SIP/2.0/WSS 3j2k1l.invalid;branch=z9hG4bK776asdhds;rport\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKproxy;rport=5060\r\n\
Record-Route: <sip:127.0.0.1:8080;transport=ws;r2=on;lr>\r\n\
Record-Route: <sip:127.0.0.1;r2=on;lr>\r\n\
Max-Forwards: 70\r\n\
To: <sip:1002@sip.example.com>\r\n\
From: \"Agent One\" <sip:1001@sip.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@3j2k1l.invalid\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:abcd@3j2k1l.invalid;transport=ws>\r\n\
X-SN-Table: sn_customerservice_case\r\n\
X-SN-Sys-Id: ca5e0000000000000000000000000001\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 120\r\n\
\r\n\
v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\na=rtpmap:0 PCMU/8000\r\n";

fn rate(name: &str, n: u32, mut f: impl FnMut()) {
    for _ in 0..1000 {
        f();
    }
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let secs = t.elapsed().as_secs_f64();
    println!("{name:<28} {:>10.0} messages/s  ({:.2} µs each, {n} runs)", n as f64 / secs, secs * 1e6 / n as f64);
}

fn main() {
    let m = Message::parse(INVITE).expect("benchmark message parses");
    rate("parse INVITE (15 headers)", 200_000, || {
        std::hint::black_box(Message::parse(std::hint::black_box(INVITE)).unwrap());
    });
    rate("serialize INVITE", 200_000, || {
        std::hint::black_box(std::hint::black_box(&m).serialize());
    });
    rate("parse + From/Via/CSeq", 200_000, || {
        let m = Message::parse(std::hint::black_box(INVITE)).unwrap();
        std::hint::black_box((m.from(), m.via(), m.cseq()));
    });
}
