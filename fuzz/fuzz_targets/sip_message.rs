#![no_main]
//! Any input: parsing never panics, and whatever parses serializes to something that parses to the same.
use agent_desktop::phone::sip::message::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(m) = Message::parse(text) {
            let again = Message::parse(&m.serialize()).expect("a serialized message parses");
            assert_eq!(again.start, m.start);
            assert_eq!(again.body, m.body);
            let _ = m.from();
            let _ = m.to();
            let _ = m.via();
            let _ = m.cseq();
        }
    }
});
