//! Every text the agent sees, one catalogue per language (`strings/en.rs`, `strings/es.rs`, ...).
//!
//! Use a text as `t::NAME()` (with `use crate::strings as t;`); texts with values are small functions below
//! (`t::call_ended(..)`) that fill a per-language template, so each language puts the values where its word order
//! wants them. The English catalogue declares the keys (the `catalogue!` macro builds the `Texts` struct from it);
//! every other language is a `Texts` literal, so a language that lacks a key, or has one English does not, does not
//! compile. The language is chosen once at start ([`set_lang`]) from the `language` setting, else the browser's.
//! English is compiled in; the other languages are files the build writes from their checked constants and the
//! desktop fetches on demand ([`OnDemand`], [`install`], `crate::intl`). How to add a language: README, "Languages".

use std::cell::Cell;

/// Marks a text that still needs translating: it shows the English text meanwhile, warns at compile time, and
/// the host test `strings::tests::every_language_is_fully_translated` fails until it is translated.
#[deprecated(note = "translate this text (the English text is shown meanwhile)")]
pub const fn untranslated(english: &'static str) -> &'static str {
    english
}

/// Builds the `Texts` struct, the English catalogue `EN` and one accessor function per key from the English list.
macro_rules! catalogue {
    ($($(#[$doc:meta])* $key:ident: $en:expr,)*) => {
        /// One field per text; every language is one `Texts` constant (laid out like an array of texts, in key
        /// order). The constants are checked by the compiler and packed at compile time ([`Lang::packed`]): the
        /// wasm carries each language as one string, not a table of pointers.
        #[allow(non_snake_case)]
        #[repr(C)]
        pub struct Texts {
            $($(#[$doc])* pub $key: &'static str,)*
        }
        /// English, the reference language.
        pub const EN: Texts = Texts { $($key: $en,)* };
        $($(#[$doc])* #[allow(non_snake_case)] #[inline] pub fn $key() -> &'static str { super::text(Key::$key) })*
        /// The name of a text, to keep a message as data ([`Msg`]) and render it in the language shown then.
        /// (Debug shows the index in the release: the key names would cost as much as a language.)
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(test, derive(Debug))]
        #[repr(u16)]
        pub enum Key {
            $($key,)*
        }
        impl Key {
            /// Every key, in catalogue order (tests; not in the release when unused).
            pub const ALL: &'static [Key] = &[$(Key::$key,)*];
        }
        /// The key names in order (compile time: the fingerprint in a language file's header).
        pub const KEY_NAMES: &[&str] = &[$(stringify!($key),)*];
        #[cfg(not(test))]
        impl std::fmt::Debug for Key {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "Key#{}", *self as u16)
            }
        }
        impl Texts {
            /// The texts in key order.
            pub const fn all(&self) -> &[&'static str; Key::ALL.len()] {
                const _: () = assert!(std::mem::size_of::<Texts>() == Key::ALL.len() * std::mem::size_of::<&str>());
                // SAFETY: `Texts` is `repr(C)` with one `&'static str` field per key, in the order of `Key`'s
                // variants (both come from the same list), so it is laid out as `[&'static str; N]` (the size is
                // checked above).
                unsafe { &*(self as *const Texts).cast::<[&'static str; Key::ALL.len()]>() }
            }
            /// The text of a key in this language.
            pub fn get(&self, k: Key) -> &'static str {
                self.all()[k as usize]
            }
            /// Every (key, text) pair, in catalogue order (tests and tools).
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($key), self.$key),)*]
            }
        }
    };
}

mod en;
mod es;
pub use en::*;
pub use es::ES;

/// The languages the desktop speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The BCP 47 tag for `<html lang>` and `Intl`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The catalogue as the compiler checked it (tests and tools; the desktop reads [`Lang::table`]).
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }

    /// A language the wasm does not carry: its file in the dist, as the build wrote it (see [`OnDemand`]).
    /// None for English (always compiled in).
    pub fn file(self) -> Option<&'static OnDemand> {
        match self {
            Lang::En => None,
            Lang::Es => Some(&ES_FILE),
        }
    }

    /// The texts in key order as compiled into this wasm, every text followed by a NUL: English always; the
    /// others only in test builds (host tests and the browser tests, feature `embed-languages`).
    fn packed(self) -> Option<&'static str> {
        match self {
            Lang::En => Some(EN_PACKED),
            #[cfg(any(test, feature = "embed-languages"))]
            Lang::Es => Some(ES_FILE.body()),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// True when this language's texts are here (compiled in, or loaded and checked by [`install`]).
    pub fn available(self) -> bool {
        TABLES.with(|t| t[self as usize].get().is_some()) || self.packed().is_some()
    }

    /// The texts of this language in key order, split from the packed string on first use (once per language);
    /// English's while this language's texts are not here.
    pub fn table(self) -> Table {
        TABLES.with(|t| {
            let slot = &t[self as usize];
            if let Some(v) = slot.get() {
                return Table(v);
            }
            let Some(packed) = self.packed() else { return Lang::En.table() };
            let v: &'static [&'static str] = Vec::leak(crate::text::split_terminator_byte(packed, b'\0').collect());
            slot.set(Some(v));
            Table(v)
        })
    }

    /// The language of a BCP 47 tag by its primary subtag (`es-MX` is Spanish), None when not spoken here.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The language to use: the `language` setting when it names one, else the first of the browser's
    /// languages that is spoken here, else English.
    pub fn choose(setting: &str, browser: &[String]) -> Lang {
        Lang::from_tag(setting).or_else(|| browser.iter().find_map(|b| Lang::from_tag(b))).unwrap_or(Lang::En)
    }
}

/// Takes a language's file as fetched (hostile input: whatever the server sent) and keeps its texts when it is
/// exactly the file this wasm was built with: its length, then its FNV-1a hash (also in its name, so a stale file
/// is not even asked for), then one NUL-ended text per key after the header line. Anything else is refused, and
/// the language stays unavailable.
pub fn install(lang: Lang, text: String) -> Result<(), Msg> {
    let f = lang.file().ok_or(Key::LANGUAGE_FILE_WRONG)?;
    if text.len() != f.len || fnv(text.as_bytes()) != f.hash || !text.is_char_boundary(f.head) {
        return Err(Key::LANGUAGE_FILE_WRONG.into());
    }
    let text: &'static str = String::leak(text);
    let v: Vec<&'static str> = crate::text::split_terminator_byte(crate::text::from(text, f.head), b'\0').collect();
    if v.len() != Key::ALL.len() || !text.ends_with('\0') {
        return Err(Key::LANGUAGE_FILE_WRONG.into());
    }
    TABLES.with(|t| t[lang as usize].set(Some(Vec::leak(v))));
    Ok(())
}

/// A language loaded on demand. The build packs its catalogue (checked by the compiler like every `Texts`) at
/// compile time into `lang/<tag>-<hash>.txt`: a header line (`agent-desktop texts <tag> <fingerprint of the key
/// names>`), then every text followed by a NUL, in key order. The wasm keeps only this (name, length, hash);
/// the bytes go into a wasm custom section that `scripts/post-build.mjs` writes out as that file and removes
/// from the wasm (README, "Languages").
pub struct OnDemand {
    /// The file's path relative to the page (`lang/es-0123456789abcdef.txt`).
    pub name: &'static str,
    /// Its length in bytes and its FNV-1a 64 hash.
    pub len: usize,
    pub hash: u64,
    /// The length of its header line (with the newline).
    pub head: usize,
    /// The file's bytes (tests and test builds; not in the release, where nothing reads them).
    #[cfg(any(test, feature = "embed-languages"))]
    pub bytes: &'static str,
}

impl OnDemand {
    /// The packed texts after the header (test builds).
    #[cfg(any(test, feature = "embed-languages"))]
    pub fn body(&self) -> &'static str {
        let b = self.bytes;
        let (_, rest) = b.split_at(self.head);
        rest
    }
}

/// FNV-1a, 64 bits: the file's hash (compile time, and once when the file arrives).
pub const fn fnv(b: &[u8]) -> u64 {
    fnv_more(0xcbf29ce484222325, b)
}

/// The bytes of a catalogue packed as one string: each text and a NUL after it.
const fn packed_len(t: &Texts) -> usize {
    let all = t.all();
    let (mut n, mut i) = (0, 0);
    while i < all.len() {
        n += all[i].len() + 1;
        i += 1;
    }
    n
}

/// Copies `b` into `out` at `at`; returns the position after it.
const fn put(out: &mut [u8], mut at: usize, b: &[u8]) -> usize {
    let mut j = 0;
    while j < b.len() {
        out[at] = b[j];
        at += 1;
        j += 1;
    }
    at
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `n` as 16 lowercase hex digits.
const fn hex16(n: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        out[i] = HEX[((n >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

const FILE_HEAD: &[u8] = b"agent-desktop texts ";

/// The header line of a language's file: `agent-desktop texts <tag> <fingerprint of the key names>\n`.
const fn head_len(tag: &str) -> usize {
    FILE_HEAD.len() + tag.len() + 1 + 16 + 1
}

/// A catalogue as one packed string (`head`: with the header line of a language file).
const fn pack<const N: usize>(tag: &str, t: &Texts, head: bool) -> [u8; N] {
    let all = t.all();
    let mut out = [0u8; N];
    let mut at = 0;
    if head {
        at = put(&mut out, at, FILE_HEAD);
        at = put(&mut out, at, tag.as_bytes());
        at = put(&mut out, at, b" ");
        at = put(&mut out, at, &hex16(KEYS_PRINT));
        at = put(&mut out, at, b"\n");
    }
    let mut i = 0;
    while i < all.len() {
        let b = all[i].as_bytes();
        let mut j = 0;
        while j < b.len() {
            assert!(b[j] != 0, "a catalogue text contains a NUL");
            j += 1;
        }
        at = put(&mut out, at, b);
        at += 1; // the NUL after the text
        i += 1;
    }
    assert!(at == N);
    out
}

/// The key names, in order, hashed: a file made for another list of keys says so in its header.
const KEYS_PRINT: u64 = {
    let mut h = fnv(b"");
    let mut i = 0;
    while i < KEY_NAMES.len() {
        h = fnv_more(h, KEY_NAMES[i].as_bytes());
        h = fnv_more(h, b"\0");
        i += 1;
    }
    h
};

const fn fnv_more(mut h: u64, b: &[u8]) -> u64 {
    let mut i = 0;
    while i < b.len() {
        h = (h ^ b[i] as u64).wrapping_mul(0x100000001b3);
        i += 1;
    }
    h
}

const fn utf8(b: &'static [u8]) -> &'static str {
    match std::str::from_utf8(b) {
        Ok(s) => s,
        Err(_) => panic!("not UTF-8"),
    }
}

const EN_BYTES: [u8; packed_len(&EN)] = pack("en", &EN, false);
static EN_PACKED: &str = utf8(&EN_BYTES);

/// A language loaded on demand, as an [`OnDemand`]: its file's bytes go into a custom section of the wasm named
/// `agent-desktop-lang`, as `<file name> <length, 16 hex digits>\n<file>`, that `scripts/post-build.mjs` writes out and removes.
macro_rules! on_demand {
    ($tag:literal, $texts:expr) => {{
        const LEN: usize = head_len($tag) + packed_len(&$texts);
        const BYTES: [u8; LEN] = pack($tag, &$texts, true);
        const HASH: u64 = fnv(&BYTES);
        const NAME_LEN: usize = 5 + $tag.len() + 1 + 16 + 4;
        const NAME: [u8; NAME_LEN] = {
            let mut out = [0u8; NAME_LEN];
            let at = put(&mut out, 0, b"lang/");
            let at = put(&mut out, at, $tag.as_bytes());
            let at = put(&mut out, at, b"-");
            let at = put(&mut out, at, &hex16(HASH));
            put(&mut out, at, b".txt");
            out
        };
        // (Not `#[used]`: that keeps a copy in the data section too. Never read: rustc keeps a custom section.)
        #[cfg(target_arch = "wasm32")]
        #[allow(dead_code)]
        #[link_section = "agent-desktop-lang"]
        static SECTION: [u8; NAME_LEN + 18 + LEN] = {
            let mut out = [0u8; NAME_LEN + 18 + LEN];
            let at = put(&mut out, 0, &NAME);
            let at = put(&mut out, at, b" ");
            let at = put(&mut out, at, &hex16(LEN as u64));
            let at = put(&mut out, at, b"\n");
            put(&mut out, at, &BYTES);
            out
        };
        OnDemand {
            name: utf8(&NAME),
            len: LEN,
            hash: HASH,
            head: head_len($tag),
            #[cfg(any(test, feature = "embed-languages"))]
            bytes: utf8(&BYTES),
        }
    }};
}

static ES_FILE: OnDemand = on_demand!("es", ES);
/// The texts of one language, in key order.
#[derive(Clone, Copy)]
pub struct Table(&'static [&'static str]);

impl Table {
    /// The text of a key.
    pub fn get(self, k: Key) -> &'static str {
        self.0.get(k as usize).copied().unwrap_or("")
    }
}

thread_local! {
    static LANG: Cell<Lang> = const { Cell::new(Lang::En) };
    static TABLES: [Cell<Option<&'static [&'static str]>>; Lang::ALL.len()] = const { [const { Cell::new(None) }; Lang::ALL.len()] };
}

/// The catalogue of the current language. Not inlined: each text read is then a call (small wasm).
#[inline(never)]
pub fn tr() -> Table {
    lang().table()
}

/// The text of a key in the current language.
#[inline(never)]
pub fn text(k: Key) -> &'static str {
    tr().get(k)
}

pub fn lang() -> Lang {
    LANG.with(Cell::get)
}

/// Switches the language of every text read from now on; returns true when it changed.
pub fn set_lang(l: Lang) -> bool {
    LANG.with(|c| c.replace(l)) != l
}

/// Fills `{name}` placeholders of a template with values; unknown placeholders stay as written.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        match after.split_once('}').and_then(|(name, tail)| values.iter().find(|(k, _)| *k == name).map(|(_, v)| (tail, v))) {
            Some((tail, v)) => {
                out.push_str(v);
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A text kept as data, rendered in the language current when it is shown: a message produced before a
/// language switch (a settings error, a call's end reason, a notice) reads in the new language afterwards.
#[derive(Clone, PartialEq, Eq)]
pub enum Msg {
    /// Text from outside (a server's words, a value the agent or an admin typed), shown as written.
    Raw(String),
    /// A catalogue text; its `{name}` placeholders take the values (themselves messages) when rendered.
    Text(Key, Vec<(&'static str, Msg)>),
}

/// As the text it reads (quoted), so test messages show words, not catalogue indexes: a call that failed reads
/// `Ended(Failed("The person is not available right now"))`. The release writes the call card's `data-state` and
/// the support text's call lines through `CallState::text` instead (the same text, without linking `str`'s `Debug`).
impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.render(), f)
    }
}

impl Msg {
    /// The text in the current language.
    pub fn render(&self) -> String {
        match self {
            Msg::Raw(s) => s.clone(),
            Msg::Text(k, args) if args.is_empty() => tr().get(*k).to_string(),
            Msg::Text(k, args) => {
                let values: Vec<String> = args.iter().map(|(_, v)| v.render()).collect();
                let pairs: Vec<(&str, &str)> = args.iter().zip(&values).map(|((n, _), v)| (*n, v.as_str())).collect();
                fill(tr().get(*k), &pairs)
            }
        }
    }

    /// Adds a value shown as written (a number, a name, a server's words).
    pub fn arg(self, name: &'static str, value: &dyn std::fmt::Display) -> Msg {
        self.arg_msg(name, Msg::Raw(value.to_string()))
    }

    /// Adds a value that is itself a message (rendered in the same language).
    pub fn arg_msg(self, name: &'static str, value: Msg) -> Msg {
        match self {
            Msg::Text(k, mut args) => {
                args.push((name, value));
                Msg::Text(k, args)
            }
            raw => raw,
        }
    }

    /// True when the rendered text contains `s` (tests and checks).
    pub fn contains(&self, s: &str) -> bool {
        crate::text::contains(&self.render(), s)
    }
}

impl Key {
    /// A message of this text with one value (add more with [`Msg::arg`]).
    pub fn arg(self, name: &'static str, value: &dyn std::fmt::Display) -> Msg {
        Msg::from(self).arg(name, value)
    }
    pub fn arg_msg(self, name: &'static str, value: Msg) -> Msg {
        Msg::from(self).arg_msg(name, value)
    }
}

impl From<Key> for Msg {
    fn from(k: Key) -> Msg {
        Msg::Text(k, Vec::new())
    }
}
impl From<String> for Msg {
    fn from(s: String) -> Msg {
        Msg::Raw(s)
    }
}
impl From<&str> for Msg {
    fn from(s: &str) -> Msg {
        Msg::Raw(s.to_string())
    }
}
impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

// ---- Texts with values (templates in the catalogues) ----

/// "Call ended: The line is busy" and friends.
pub fn call_ended(reason: &crate::phone::call::EndReason) -> String {
    use crate::phone::call::EndReason::*;
    let k = match reason {
        HungUp => Key::CALL_ENDED,
        RemoteHungUp => Key::REMOTE_HUNG_UP,
        Rejected => Key::CALL_REJECTED,
        Missed => Key::MISSED_CALL,
        Cancelled => Key::CALL_CANCELLED,
        Failed(m) => return fill(text(Key::CALL_FAILED), &[("reason", &m.render())]),
        Transferred => Key::CALL_TRANSFERRED,
        AnsweredElsewhere => Key::ANSWERED_ELSEWHERE,
    };
    text(k).into()
}

/// The `language` setting names no language spoken here.
pub fn language_unknown() -> Msg {
    let list: Vec<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
    Key::LANGUAGE_UNKNOWN.arg("languages", &crate::text::join(&list, ", "))
}

/// The OpenFrame messages dropped, with the count of each reason.
pub fn dropped_detail(total: u64, counts: [u64; 7]) -> String {
    let names = ["origin", "source", "text", "malformed", "oversized", "unknown", "other"];
    let values: Vec<String> = counts.iter().map(u64::to_string).collect();
    let mut pairs: Vec<(&str, &str)> = names.iter().zip(&values).map(|(n, v)| (*n, v.as_str())).collect();
    let total = total.to_string();
    pairs.push(("total", &total));
    fill(text(Key::DROPPED_DETAIL), &pairs)
}

/// What a keyboard shortcut's action does (`answer`, `reject`, ... as in `ui::shortcuts::ACTIONS`).
pub fn shortcut_action(action: &str) -> &'static str {
    text(match action {
        "answer" => Key::SC_ANSWER,
        "reject" => Key::SC_REJECT,
        "hangup" => Key::SC_HANGUP,
        "mute" => Key::SC_MUTE,
        "hold" => Key::SC_HOLD,
        _ => Key::SC_DIALPAD,
    })
}

/// The lines of a one-per-line list text (the default reasons and dispositions) in a language.
pub fn lines(text: &'static str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// Settings left at their English defaults take the current language's: the title, the Not Ready reasons and
/// the dispositions (what an admin set stays as written).
pub fn localize_defaults(s: &mut crate::config::Settings) {
    let (en, t) = (Lang::En.table(), tr());
    if s.title == en.get(Key::APP_TITLE) {
        s.title = t.get(Key::APP_TITLE).into();
    }
    if s.not_ready_reasons == lines(en.get(Key::DEFAULT_NOT_READY_REASONS)) {
        s.not_ready_reasons = lines(t.get(Key::DEFAULT_NOT_READY_REASONS));
    }
    if s.dispositions == lines(en.get(Key::DEFAULT_DISPOSITIONS)) {
        s.dispositions = lines(t.get(Key::DEFAULT_DISPOSITIONS));
    }
}

/// The far end asks to transfer the agent to `target`, perhaps on behalf of `by`.
pub fn transfer_ask(who: &str, target: &str, by: Option<&str>) -> String {
    match by {
        Some(by) => fill(text(Key::TRANSFER_ASK_BY), &[("who", who), ("target", target), ("by", by)]),
        None => fill(text(Key::TRANSFER_ASK), &[("who", who), ("target", target)]),
    }
}

/// Validates a `language` setting: empty (follow the browser) or a BCP 47 tag of a language spoken here.
pub fn check_language(value: &str) -> Result<String, Msg> {
    let v = value.trim();
    let tag_like = v.len() <= 35 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if v.is_empty() || (tag_like && Lang::from_tag(v).is_some()) {
        Ok(v.to_string())
    } else {
        Err(language_unknown())
    }
}

/// Texts with values: each function is the catalogue text `KEY` with its `{name}` placeholders filled by the
/// parameters of the same names, kept as a [`Msg`] (rendered in the language shown then).
macro_rules! templates {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) = $key:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> Msg {
            Msg::Text(Key::$key, vec![$((stringify!($arg), Msg::Raw($arg.to_string())),)*])
        }
    )*};
}

templates! {
    /// Some of a call's X- headers were over the limits and left out.
    x_headers_dropped(n: usize) = X_HEADERS_DROPPED;
    /// ServiceNow accepted a work note but it is not on the record when read back.
    note_not_stored(table: &str, id: &str) = NOTE_NOT_STORED;
    /// The outbox holds as many activities as it keeps.
    outbox_full(max: usize, refused: usize) = OUTBOX_FULL;
    /// "Not Ready: Lunch".
    not_ready(reason: &str) = STATE_NOT_READY_REASON;
    /// The wrap-up countdown, `time` already formatted ("45 s").
    time_left(time: &str) = TIME_LEFT;
    /// The wrap-up notes are over the limit.
    notes_too_long(n: usize, max: usize) = NOTES_TOO_LONG;
    /// The SIP WebSocket dropped; the next try is in `seconds`.
    sip_reconnecting(seconds: u32) = SIP_RECONNECTING;
    /// The SIP server cannot be reached; the next try is in `seconds`.
    sip_unreachable(url: &str, seconds: u32) = SIP_UNREACHABLE;
    /// A SIP MESSAGE shown to the agent.
    sip_message_from(who: &str, text: &str) = SIP_MESSAGE_FROM;
    /// A digit the far end sent (DTMF) during a call.
    dtmf_received(digit: char) = DTMF_RECEIVED;
    /// getUserMedia failed for a reason without a text of its own.
    audio_failed(name: &str, message: &str) = AUDIO_FAILED;
    /// No case has this number.
    no_case_found(number: &str) = NO_CASE_FOUND;
    /// A transfer target that has no digits or letters.
    not_a_phone_number(target: &str) = NOT_A_PHONE_NUMBER;
    /// A request got no answer in time.
    sn_timeout(secs: i32) = SN_TIMEOUT;
    /// No REST CORS rule lets the desktop's origin read ServiceNow's answers.
    sn_no_cors_rule(origin: &str) = SN_NO_CORS_RULE;
    /// The token endpoint does not let the desktop's origin read its answers.
    sn_no_oauth_cors(origin: &str) = SN_NO_OAUTH_CORS;
    /// The look-up that confirms an activity was refused: what it needs.
    lookup_refused(what: &str, cause: &str) = LOOKUP_REFUSED;
    /// The look-up's reply lacks the field that confirms the activity.
    lookup_blind(table: &str, id: &str, field: &str) = LOOKUP_BLIND;
    /// The phone log was written but its task reference field did not keep the task.
    phone_log_task_missing(field: &str, task: &str) = PHONE_LOG_TASK_MISSING;
    outbox_stuck(attempts: u32, last: &str) = OUTBOX_STUCK;
    stored_full(key: &str) = STORED_FULL;
    /// A directory search in ServiceNow failed; the reason follows.
    directory_search_failed(reason: &str) = DIRECTORY_SEARCH_FAILED;
    /// An audio output could not be switched to the chosen device (`what`: Ringer, Speaker).
    device_refused(what: &str, reason: &str) = DEVICE_REFUSED;
    /// The ring tone could not start.
    ring_not_played(reason: &str) = RING_NOT_PLAYED;
    /// A chosen device is no longer connected (`what`: Microphone, Speaker, Ringer).
    device_gone(what: &str) = DEVICE_GONE;
    /// Choosing an output device is not possible in this browser.
    device_choice_unsupported(what: &str) = DEVICE_CHOICE_UNSUPPORTED;
    tone_failed(why: &str) = TONE_FAILED;
    ws_failed(url: &str) = WS_FAILED;
    ws_wrong_protocol(url: &str) = WS_WRONG_PROTOCOL;
    ice_stun_ok(server: &str) = ICE_STUN_OK;
    ice_stun_direct(server: &str) = ICE_STUN_DIRECT;
    ice_stun_failed(server: &str, why: &str) = ICE_STUN_FAILED;
    ice_relay_ok(server: &str) = ICE_RELAY_OK;
    ice_turn_refused(server: &str) = ICE_TURN_REFUSED;
    ice_turn_no_credentials(server: &str) = ICE_TURN_NO_CREDENTIALS;
    ice_turn_unreachable(server: &str, why: &str) = ICE_TURN_UNREACHABLE;
    sn_check_cors(origin: &str) = SN_CHECK_CORS;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    /// Keys whose text is the same in every language (names, not words).
    const SAME_EVERYWHERE: &[&str] = &["SN_HEADING", "OF_HEADING", "CFG_ERROR_WHOLE"];

    fn placeholders(text: &str) -> Vec<&str> {
        let mut v: Vec<&str> = text.match_indices('{').filter_map(|(i, _)| text[i + 1..].find('}').map(|j| &text[i + 1..i + 1 + j])).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn every_language_is_fully_translated() {
        // The sources, to find placeholders the migration script left (`untranslated("...")`).
        let sources = [(Lang::Es, include_str!("strings/es.rs"))];
        assert_eq!(sources.len() + 1, Lang::ALL.len(), "every language's source is checked here");
        for (lang, src) in sources {
            let marked: Vec<&str> = src.lines().filter(|l| l.contains("untranslated(")).map(str::trim).collect();
            assert!(marked.is_empty(), "{lang:?}: {} text(s) to translate:\n{}", marked.len(), marked.join("\n"));
            for ((key, en), (key2, text)) in EN.entries().into_iter().zip(lang.texts().entries()) {
                assert_eq!(key, key2);
                assert!(!text.trim().is_empty(), "{lang:?} {key} is empty");
                if !SAME_EVERYWHERE.contains(&key) {
                    assert_ne!(text, en, "{lang:?} {key} is still the English text");
                }
            }
        }
    }

    #[test]
    fn templates_have_the_same_placeholders_in_every_language() {
        for lang in Lang::ALL {
            for ((key, en), (_, text)) in EN.entries().into_iter().zip(lang.texts().entries()) {
                assert_eq!(placeholders(text), placeholders(en), "{lang:?} {key}: {text}");
            }
        }
        // Lists of defaults have as many lines in every language.
        for lang in Lang::ALL {
            let t = lang.texts();
            assert_eq!(lines(t.DEFAULT_NOT_READY_REASONS).len(), lines(EN.DEFAULT_NOT_READY_REASONS).len());
            assert_eq!(lines(t.DEFAULT_DISPOSITIONS).len(), lines(EN.DEFAULT_DISPOSITIONS).len());
        }
    }

    #[test]
    fn templates_fill_in_each_languages_word_order() {
        assert_eq!(fill("{a} and {b}", &[("b", "2"), ("a", "1")]), "1 and 2");
        assert_eq!(fill("{a} {unknown} {", &[("a", "x")]), "x {unknown} {");
        assert_eq!(call_ended(&crate::phone::call::EndReason::Failed("busy".into())), "Call failed: busy");
        set_lang(Lang::Es);
        assert_eq!(call_ended(&crate::phone::call::EndReason::Failed("ocupado".into())), "La llamada falló: ocupado");
        assert_eq!(time_left("45 s").render(), "quedan 45 s");
        assert_eq!(crate::phone::model::AgentState::NotReady(Some("Almuerzo".into())).label(), "No disponible: Almuerzo");
        assert_eq!(TAB_PHONE(), "Teléfono");
        assert!(!set_lang(Lang::Es), "no change");
        assert!(set_lang(Lang::En));
        assert_eq!(TAB_PHONE(), "Phone");
    }

    #[test]
    fn every_key_reads_its_own_text() {
        assert_eq!(Key::ALL.len(), EN.entries().len());
        for lang in Lang::ALL {
            assert_eq!(lang.table().0.len(), Key::ALL.len(), "{lang:?}: the packed catalogue splits into one text per key");
            for (k, (name, text)) in Key::ALL.iter().zip(lang.texts().entries()) {
                assert_eq!(format!("{k:?}"), name);
                assert_eq!(lang.texts().get(*k), text, "{lang:?} {name}");
                assert_eq!(lang.table().get(*k), text, "{lang:?} {name}: packed");
            }
        }
    }

    /// Settings errors, a call's end reason, the line's state and a Check-my-setup line made while the desktop
    /// spoke English read in Spanish once the language switches (they are kept as keys and values).
    #[test]
    fn messages_made_before_a_language_switch_read_in_the_new_language() {
        use crate::diagnostics::checks::{registered, Verdict};
        use crate::phone::call::EndReason;
        use crate::phone::line::LineStatus;
        set_lang(Lang::En);
        let file = r#"{"wrapUpSeconds": "soon", "shortcuts": {"answer": "Q"}, "sip": {"server": "http://pbx.example.com"},
            "servicenow": {"instance": "acme.service-now.com"}, "colour": "red", "line": "fax"}"#;
        let (_, errors) = config::resolve("demo=maybe&config=../x.json&topDomain=*", Some(file));
        assert_eq!(errors.len(), 9, "{errors:?}");
        let (_, not_json) = config::resolve("", Some("{\"title\": "));
        let errors: Vec<config::ConfigError> = errors.into_iter().chain(not_json).collect();
        let ended = EndReason::Failed(crate::phone::sip::message::failure_text(486).into());
        let line = LineStatus::Failed(Key::SIP_REG_RETRY.arg_msg("why", Key::SIP_REG_CREDENTIALS.into()).arg("seconds", &30));
        let check: Verdict = registered(&line);
        let shown = || -> Vec<String> {
            let mut v: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            v.push(call_ended(&ended));
            v.push(match &line { LineStatus::Failed(m) => m.render(), _ => unreachable!() });
            v.push(check.text());
            v
        };
        let english = shown();
        assert!(english.iter().any(|e| e.starts_with("URL setting 'demo': 'maybe' is not a yes/no value")), "{english:?}");
        assert!(english.contains(&"Call failed: The line is busy".to_string()), "{english:?}");
        set_lang(Lang::Es);
        let spanish = shown();
        set_lang(Lang::En);
        for (en, es) in english.iter().zip(&spanish) {
            assert_ne!(en, es, "still English after the switch");
        }
        assert!(spanish.iter().any(|e| e.starts_with("Ajuste 'demo' de la URL: 'maybe' no es un valor sí/no")), "{spanish:?}");
        assert!(spanish.iter().any(|e| e.starts_with("Ajuste 'shortcuts.answer' de config.json: 'Q' necesita Alt")), "{spanish:?}");
        assert!(spanish.iter().any(|e| e.starts_with("config.json: no es JSON válido (línea 1")), "{spanish:?}");
        assert!(spanish.contains(&"La llamada falló: La línea está ocupada".to_string()), "{spanish:?}");
        assert!(spanish.iter().any(|e| e.contains("El servidor SIP rechazó el usuario o la contraseña; se reintenta en 30 s")), "{spanish:?}");
        // No English word left in any of them (values typed by the admin, such as 'maybe', excepted).
        // (Setting names such as 'sip.server' are names, not words: they are not in this list.)
        const ENGLISH: &[&str] = &["the", "is", "not", "must", "setting", "call", "failed", "busy", "refused", "trying", "again", "valid", "was", "only"];
        for es in &spanish {
            let words = es.split(|c: char| !c.is_alphabetic()).map(str::to_lowercase);
            let found: Vec<String> = words.filter(|w| ENGLISH.contains(&w.as_str())).collect();
            assert!(found.is_empty(), "English in {es:?}: {found:?}");
        }
        assert!(english.iter().filter(|e| e.split(' ').any(|w| ENGLISH.contains(&w))).count() >= 8, "the check can fail");
    }

    fn installed(lang: Lang) -> bool {
        TABLES.with(|t| t[lang as usize].get().is_some())
    }

    /// The file the build writes for Spanish is the compiled catalogue: a header line with the tag and the key
    /// names' fingerprint, then every text and a NUL; its name carries its hash, and it is taken as it is.
    #[test]
    fn the_language_file_is_the_compiled_catalogue_and_is_taken() {
        let f = Lang::Es.file().unwrap();
        assert!(Lang::En.file().is_none(), "English is compiled in");
        assert_eq!(f.name, format!("lang/es-{:016x}.txt", fnv(f.bytes.as_bytes())));
        assert_eq!(f.len, f.bytes.len());
        let mut want = format!("agent-desktop texts es {:016x}\n", fnv(KEY_NAMES.iter().flat_map(|k| [k.as_bytes(), b"\0"]).flatten().copied().collect::<Vec<u8>>().as_slice()));
        assert_eq!(&f.bytes[..f.head], want);
        for (_, text) in ES.entries() {
            want.push_str(text);
            want.push('\0');
        }
        assert_eq!(f.bytes, want);
        assert!(!installed(Lang::Es));
        install(Lang::Es, f.bytes.to_string()).unwrap();
        assert!(installed(Lang::Es));
        for (k, (name, text)) in Key::ALL.iter().zip(ES.entries()) {
            assert_eq!(Lang::Es.table().get(*k), text, "{name}");
        }
    }

    /// A file that is not exactly the one this build wrote is refused and its texts are never used: cut short,
    /// one byte changed, one text more or less, grown past its length, empty, HTML, another build's header.
    #[test]
    fn hostile_language_files_are_refused() {
        let good = Lang::Es.file().unwrap().bytes.to_string();
        let cut = good[..good.len() - 5].to_string();
        let mut changed = good.clone().into_bytes();
        let at = changed.iter().position(|b| *b == b'T').unwrap();
        changed[at] = b'X';
        let changed = String::from_utf8(changed).unwrap();
        let one_less = good.rsplitn(3, '\0').nth(2).unwrap().to_string() + "\0";
        let one_more = format!("{good}extra\0");
        let swapped = good.replacen("Teléfono", "<img src=x onerror=alert(1)>", 1);
        let grown = format!("{good}{}", "x".repeat(1 << 20));
        let other_keys = good.replacen("agent-desktop texts es ", "agent-desktop texts es 0", 1);
        for (what, bad) in [("cut", cut), ("changed", changed), ("one text less", one_less), ("one text more", one_more),
            ("markup", swapped), ("grown", grown), ("empty", String::new()), ("other header", other_keys)] {
            assert_ne!(bad, good, "{what}");
            let e = install(Lang::Es, bad).expect_err(what);
            assert_eq!(e.render(), EN.LANGUAGE_FILE_WRONG, "{what}");
            assert!(!installed(Lang::Es), "{what}: not taken");
        }
        assert!(install(Lang::En, EN_PACKED.to_string()).is_err(), "English is not loaded");
        install(Lang::Es, good).unwrap();
        assert!(installed(Lang::Es), "the checks can pass");
    }

    #[test]
    fn the_setting_wins_then_the_browser_then_english() {
        let browser = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Lang::choose("", &browser(&["es-MX", "en-US"])), Lang::Es);
        assert_eq!(Lang::choose("en", &browser(&["es-MX"])), Lang::En);
        assert_eq!(Lang::choose("es-419", &browser(&["en-US"])), Lang::Es);
        assert_eq!(Lang::choose("", &browser(&["fr-FR", "es"])), Lang::Es, "the first spoken here");
        assert_eq!(Lang::choose("", &browser(&["fr-FR", "de"])), Lang::En);
        assert_eq!(Lang::choose("", &[]), Lang::En);
        assert_eq!(Lang::from_tag("ES_es"), Some(Lang::Es));
        assert_eq!(Lang::from_tag("est"), None);
    }

    #[test]
    fn language_setting_from_file_openframe_and_url() {
        let (s, e) = config::resolve("", Some(r#"{"language": "es"}"#));
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(s.language, "es");
        let (s, e) = config::resolve("language=en-GB", Some(r#"{"language": "es"}"#));
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(s.language, "en-GB", "the URL wins");
        let of = crate::json::json!({"language": "es-MX"});
        let (s, _) = config::resolve_layers("", Some(r#"{"language": "en"}"#), Some(&of));
        assert_eq!(s.language, "es-MX", "the OpenFrame configuration wins over the file");
        let (s, _) = config::resolve("", None);
        assert_eq!(s.language, "", "the browser decides by default");
    }

    macro_rules! hostile_language {
        ($($name:ident: $source:expr, $value:expr;)*) => {$(
            #[test]
            fn $name() {
                let (s, e) = if $source == "url" {
                    config::resolve(&format!("language={}", $value), None)
                } else {
                    config::resolve("", Some(&crate::json::json!({"language": $value}).to_string()))
                };
                assert_eq!(s.language, "", "a bad language is not taken: {:?}", $value);
                assert_eq!(e.len(), 1, "{e:?}");
                assert!(e[0].message.contains("en, es"), "the error says what to write: {}", e[0]);
            }
        )*};
    }
    hostile_language! {
        hostile_language_unknown_in_file: "file", "fr";
        hostile_language_markup_in_file: "file", "es-<img src=x onerror=alert(1)>";
        hostile_language_not_a_string_in_file: "file", 7;
        hostile_language_overlong_in_url: "url", format!("es-{}", "x".repeat(60));
        hostile_language_script_in_url: "url", "es-%22%3E%3Cscript%3E";
    }

    #[test]
    fn defaults_follow_the_language_and_what_an_admin_set_stays() {
        set_lang(Lang::Es);
        let mut s = config::Settings::default();
        localize_defaults(&mut s);
        assert_eq!(s.title, "Escritorio del agente");
        assert_eq!(s.not_ready_reasons[0], "Descanso");
        assert_eq!(s.dispositions[0], "Resuelto");
        let (mut s, _) = config::resolve("", Some(r#"{"title": "Soporte", "dispositions": ["Hecho"]}"#));
        localize_defaults(&mut s);
        assert_eq!((s.title.as_str(), s.dispositions.as_slice()), ("Soporte", &["Hecho".to_string()][..]));
        set_lang(Lang::En);
        let mut s = config::Settings::default();
        localize_defaults(&mut s);
        assert_eq!(s, config::Settings::default(), "English defaults are the defaults");
    }
}
/// A token is not sent to another origin than the instance that issued it.
pub fn sn_wrong_instance(instance: &str, target: &str) -> String {
    let t = tr();
    fill(t.get(Key::SN_WRONG_INSTANCE), &[("instance", if instance.is_empty() { t.get(Key::ANOTHER_INSTANCE) } else { instance }), ("target", if target.is_empty() { t.get(Key::THAT_ADDRESS) } else { target })])
}
/// Stored data that could not be read: kept aside (under `aside`) or not.
pub fn stored_unreadable(key: &str, aside: Option<&str>, why: &str) -> String {
    match aside {
        Some(a) => fill(text(Key::STORED_UNREADABLE_ASIDE), &[("key", key), ("why", why), ("aside", a)]),
        None => fill(text(Key::STORED_UNREADABLE_LOST), &[("key", key), ("why", why)]),
    }
}
