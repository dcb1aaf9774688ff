//! Call quality the agent can see (pure): RTP statistics read from `RTCPeerConnection.getStats()` (as plain
//! JSON values), packet loss, jitter and round-trip time per reading, an estimated MOS from the ITU-T G.107
//! E-model in its reduced form, the warnings in words, and a compact summary kept with the call in Recents.
//!
//! The E-model (ITU-T G.107 (06/2015), clause 7):
//! - R = Ro − Is − Id − Ie,eff + A (eq. 7-1). With every other parameter at its default value (Table 3;
//!   A = 0) Ro − Is = 93.2, so the reduced form is **R = 93.2 − Idd − Ie,eff**: the talker-echo and
//!   listener-echo terms (Idte, Idle) are left out (WebRTC cancels echo; the browser cannot measure it).
//! - Idd (eq. 7-28): 0 for Ta ≤ 100 ms; else 25·{(1+X⁶)^(1/6) − 3·(1+(X/3)⁶)^(1/6) + 2}, X = log₂(Ta/100),
//!   Ta the one-way (mouth-to-ear) delay in ms. Kept as a table ([`IDD_TABLE`], 10 ms steps, checked against
//!   the formula by a host test) so the wasm needs no `powf`/`log2`.
//! - Ie,eff (eq. 7-29) = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl), Ppl the packet loss in percent, BurstR = 1
//!   (random loss: the statistics do not tell bursts apart).
//! - MOS from R (Annex B, eq. B-4): 1 for R < 0; 1 + 0.035R + R(R−60)(100−R)·7·10⁻⁶ for 0 ≤ R ≤ 100; 4.5 above.
//! - Codec values (ITU-T G.113 Appendix I): G.711 with packet-loss concealment Ie = 0, Bpl = 25.1. G.113 gives
//!   no narrowband values for Opus: it is taken as Ie = 0 (no worse than G.711 at WebRTC's bit rates) with
//!   G.711's Bpl (an assumption, stated here; Opus's in-band FEC makes it, if anything, more robust).
//! - Ta = RTT/2 + jitter-buffer delay + the codec's frame and look-ahead (G.711 20 ms; Opus 20 + 6.5 ms).
//!
//! Figures are integers (MOS in hundredths, loss in per mille, times in ms): the wasm never formats floats.

use crate::json::Value;

/// A receiving call with no new audio packet for this long warns "The caller's audio is not reaching you".
pub const NO_AUDIO_MS: f64 = 4_000.0;
/// Packet loss (either way) from this (per mille) counts as losing audio: 3 %, where listeners notice gaps.
pub const LOSS_WARN_PERMILLE: u32 = 30;
/// Inbound jitter from this counts as losing audio (a 20 ms frame arrives more than 1.5 frames late).
pub const JITTER_WARN_MS: u32 = 30;
/// Readings in a row past a threshold before the warning shows (one bad second is no warning) ...
pub const BAD_READINGS: u8 = 2;
/// ... and readings in a row within them before it goes (each direction on its own).
pub const GOOD_READINGS: u8 = 3;
/// The far end's receiver reports each cover a few seconds (libwebrtc sends one about every 5 s on audio, RFC
/// 3550 §6.3.1): one report past the threshold warns, one within it clears. Each report counts once, however
/// many readings show it; without a way to tell reports apart (no `reportsReceived` or `timestamp`), each
/// reading counts as one, with the readings' rules above.
pub const BAD_REPORTS: u8 = 1;
pub const GOOD_REPORTS: u8 = 1;

/// The call's audio codec, for the E-model's equipment impairment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Codec {
    G711,
    Opus,
    #[default]
    Other,
}

impl Codec {
    /// From an RTP codec's MIME type (`audio/opus`, `audio/PCMU`, `audio/PCMA`).
    pub fn from_mime(mime: &str) -> Codec {
        let m = mime.to_ascii_lowercase();
        match m.strip_prefix("audio/").unwrap_or(&m) {
            "opus" => Codec::Opus,
            "pcmu" | "pcma" => Codec::G711,
            _ => Codec::Other,
        }
    }

    /// (Ie, Bpl ×10, frame + look-ahead ms) from G.113 Appendix I (see the module's notes).
    fn table(self) -> (u32, u32, u32) {
        match self {
            Codec::G711 => (0, 251, 20),
            Codec::Opus => (0, 251, 27),
            // Unknown: treated as G.711, the codec every SIP peer offers.
            Codec::Other => (0, 251, 20),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::G711 => "G.711",
            Codec::Opus => "Opus",
            Codec::Other => "?",
        }
    }
}

/// Idd (ITU-T G.107 eq. 7-28) in hundredths, for Ta = 100, 110, ... 800 ms (linear in between; 0 below).
pub const IDD_TABLE: [u16; 71] = [
    0, 0, 0, 1, 5, 16, 39, 77, 135, 211, 304, 411, 526, 646, 769, 892, 1014, 1133, 1251, 1365, 1476, 1584, 1688,
    1789, 1887, 1981, 2072, 2160, 2246, 2328, 2407, 2484, 2558, 2629, 2698, 2764, 2828, 2890, 2950, 3008, 3064, 3117,
    3169, 3219, 3268, 3314, 3359, 3403, 3445, 3486, 3525, 3563, 3599, 3634, 3668, 3701, 3733, 3764, 3794, 3823, 3850,
    3877, 3903, 3928, 3953, 3976, 3999, 4021, 4043, 4063, 4083,
];

/// Idd in hundredths for a one-way delay `ta_ms` (table above, linear between its 10 ms steps).
pub fn idd_x100(ta_ms: u32) -> u32 {
    if ta_ms <= 100 {
        return 0;
    }
    let i = ((ta_ms - 100) / 10) as usize;
    if i + 1 >= IDD_TABLE.len() {
        return *IDD_TABLE.last().unwrap() as u32;
    }
    let (a, b) = (IDD_TABLE[i] as u32, IDD_TABLE[i + 1] as u32);
    a + (b - a) * ((ta_ms - 100) % 10) / 10
}

/// R ×100 from the one-way delay and the packet loss (per mille), for `codec` (reduced E-model, see above).
pub fn r_x100(ta_ms: u32, loss_permille: u32, codec: Codec) -> i32 {
    let (ie, bpl_x10, _) = codec.table();
    // Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl + Bpl) with BurstR = 1; Ppl = loss‰/10, so Ppl/(Ppl+Bpl) = loss‰/(loss‰+Bpl×10).
    let loss = loss_permille.min(1000);
    let ie_eff_x100 = ie * 100 + (95 - ie) * 100 * loss / (loss + bpl_x10);
    9320 - idd_x100(ta_ms) as i32 - ie_eff_x100 as i32
}

/// MOS ×100 from R ×100 (ITU-T G.107 Annex B, eq. B-4).
pub fn mos_x100(r_x100: i32) -> u32 {
    if r_x100 <= 0 {
        return 100;
    }
    if r_x100 >= 10_000 {
        return 450;
    }
    // MOS × 100 = 100 + 3.5·R + 7·10⁻⁴·R(R−60)(100−R); with r = R × 100 that is
    // (100·10¹⁰ + 35r·10⁷ + 7·r(r−6000)(10000−r)) / 10¹⁰, rounded (each term under 4·10¹²: fits i64).
    let r = r_x100 as i64;
    const E10: i64 = 10_000_000_000;
    let sum = 100 * E10 + 35 * r * 10_000_000 + 7 * r * (r - 6_000) * (10_000 - r);
    ((sum + E10 / 2) / E10).clamp(100, 450) as u32
}

/// How a call sounds, from R (ITU-T G.109's user satisfaction: from 80 satisfied, 70-80 some users
/// dissatisfied, below 70 many).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grade {
    Good,
    Fair,
    Poor,
}

impl Grade {
    pub fn of_mos(mos_x100: u32) -> Grade {
        // R 80 → MOS 4.03, R 70 → MOS 3.60 (eq. B-4).
        if mos_x100 >= 403 {
            Grade::Good
        } else if mos_x100 >= 360 {
            Grade::Fair
        } else {
            Grade::Poor
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Grade::Good => "good",
            Grade::Fair => "fair",
            Grade::Poor => "poor",
        }
    }
}

/// A warning the agent reads, in words (see [`crate::strings`]).
///
/// Losing audio is told by direction, from what RTP's statistics (RFC 3550 §6.4) can tell apart: our
/// inbound-rtp's loss and jitter are what reaches us of the caller's audio; the far end's receiver reports
/// (remote-inbound-rtp `fractionLost`) are what reaches the caller of ours. Neither says where on the way
/// the packets were lost (the agent's network or the caller's), so the words name whose audio breaks up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Warning {
    /// Connected and expecting audio, but no packet arrived for [`NO_AUDIO_MS`].
    NoAudio,
    /// Loss or jitter past the thresholds: `inbound` in the caller's audio reaching us, `outbound` in ours
    /// reaching the caller (at least one is true).
    Losing { inbound: bool, outbound: bool },
}

impl Warning {
    pub fn key(self) -> &'static str {
        match self {
            Warning::NoAudio => "no-audio",
            Warning::Losing { inbound: true, outbound: false } => "losing-in",
            Warning::Losing { inbound: false, outbound: true } => "losing-out",
            Warning::Losing { .. } => "losing-both",
        }
    }

    /// The warning's code in the compact forms (0 none, 1 no audio, 2 losing inbound, 3 outbound, 4 both).
    fn code(w: Option<Warning>) -> i64 {
        match w {
            None => 0,
            Some(Warning::NoAudio) => 1,
            Some(Warning::Losing { inbound, outbound }) => 1 + inbound as i64 + 2 * outbound as i64,
        }
    }

    fn from_code(c: i64) -> Option<Warning> {
        match c {
            1 => Some(Warning::NoAudio),
            2..=4 => Some(Warning::Losing { inbound: c != 3, outbound: c != 2 }),
            _ => None,
        }
    }
}

/// One direction's "losing audio" state with hysteresis: on after [`BAD_READINGS`] bad readings in a row,
/// off after [`GOOD_READINGS`] good ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Hysteresis {
    bad: u8,
    good: u8,
    on: bool,
}

impl Hysteresis {
    fn feed(&mut self, bad: bool) -> bool {
        self.feed_with(bad, BAD_READINGS, GOOD_READINGS)
    }

    fn feed_with(&mut self, bad: bool, bad_needed: u8, good_needed: u8) -> bool {
        if bad {
            self.bad = self.bad.saturating_add(1);
            self.good = 0;
        } else {
            self.good = self.good.saturating_add(1);
            self.bad = 0;
        }
        self.on = if self.on { self.good < good_needed } else { self.bad >= bad_needed };
        self.on
    }
}

/// One getStats reading of a call's audio, as plain numbers (cumulative counters as the browser gives them).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    pub packets_received: u64,
    pub packets_lost: u64,
    pub packets_sent: u64,
    pub jitter_ms: u32,
    /// Round-trip time: remote-inbound-rtp's (RTCP), else the selected candidate pair's (STUN).
    pub rtt_ms: Option<u32>,
    /// What the far end lost of our audio (remote-inbound-rtp fractionLost), per mille.
    pub remote_loss_permille: Option<u32>,
    /// Which of the far end's receiver reports that is: its `reportsReceived` count, else its `timestamp`
    /// (when the report arrived); None when the browser gives neither.
    pub remote_report: Option<f64>,
    /// Cumulative jitter-buffer delay (ms) and samples emitted, for the mean delay between two readings.
    pub jb_delay_ms: f64,
    pub jb_emitted: f64,
    pub codec: Codec,
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64).filter(|n| n.is_finite() && *n >= 0.0)
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn ms(seconds: f64) -> u32 {
    (seconds * 1000.0).min(600_000.0) as u32
}

/// Reads a getStats report (each statistic as its JSON object) into a [`Sample`]: the audio inbound-rtp
/// (received, lost, jitter, jitter buffer, codec), outbound-rtp (sent), remote-inbound-rtp (RTT, the far
/// end's loss) and the selected candidate pair (RTT when RTCP has none yet). None without inbound audio.
pub fn read_stats(stats: &[Value]) -> Option<Sample> {
    let inbound = stat(stats, "inbound-rtp", None)?;
    let mut s = Sample {
        packets_received: num(inbound, "packetsReceived").unwrap_or(0.0) as u64,
        // packetsLost may be negative (duplicates): `num` ignores it.
        packets_lost: num(inbound, "packetsLost").unwrap_or(0.0) as u64,
        jitter_ms: num(inbound, "jitter").map(ms).unwrap_or(0),
        jb_delay_ms: num(inbound, "jitterBufferDelay").unwrap_or(0.0) * 1000.0,
        jb_emitted: num(inbound, "jitterBufferEmittedCount").unwrap_or(0.0),
        ..Sample::default()
    };
    let codec_id = text(inbound, "codecId");
    if !codec_id.is_empty() {
        if let Some(c) = stat(stats, "codec", Some(codec_id)) {
            s.codec = Codec::from_mime(text(c, "mimeType"));
        }
    }
    if let Some(o) = stat(stats, "outbound-rtp", None) {
        s.packets_sent = num(o, "packetsSent").unwrap_or(0.0) as u64;
    }
    if let Some(r) = stat(stats, "remote-inbound-rtp", None) {
        s.rtt_ms = num(r, "roundTripTime").map(ms);
        s.remote_loss_permille = num(r, "fractionLost").map(|f| (f.min(1.0) * 1000.0) as u32);
        s.remote_report = num(r, "reportsReceived").or_else(|| num(r, "timestamp"));
    }
    if s.rtt_ms.is_none() {
        let mut selected: Vec<&str> = Vec::new();
        let mut none_selected = true;
        for t in stats {
            if text(t, "type") == "transport" {
                let id = text(t, "selectedCandidatePairId");
                none_selected &= id.is_empty();
                selected.push(id);
            }
        }
        for p in stats {
            if text(p, "type") == "candidate-pair"
                && (selected.contains(&text(p, "id")) || (none_selected && p.get("nominated") == Some(&Value::Bool(true)) && text(p, "state") == "succeeded"))
            {
                s.rtt_ms = num(p, "currentRoundTripTime").map(ms);
                break;
            }
        }
    }
    Some(s)
}

/// The first statistic of type `ty`: the one with id `id`, or (None) the first of audio.
#[inline(never)]
fn stat<'a>(stats: &'a [Value], ty: &str, id: Option<&str>) -> Option<&'a Value> {
    for s in stats {
        if text(s, "type") == ty
            && match id {
                Some(id) => text(s, "id") == id,
                None => text(s, "kind") == "audio" || text(s, "mediaType") == "audio",
            }
        {
            return Some(s);
        }
    }
    None
}

/// What one reading says about the call.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reading {
    /// Inbound loss since the previous reading, per mille.
    pub loss_permille: u32,
    /// The far end's loss of our audio, per mille (when RTCP told).
    pub remote_loss_permille: Option<u32>,
    pub jitter_ms: u32,
    pub rtt_ms: Option<u32>,
    /// Estimated one-way delay used for the MOS (ms).
    pub delay_ms: u32,
    pub mos_x100: u32,
    pub codec: Codec,
}

/// The quality of one live call: the readings so far, the warning shown, and the summary for Recents.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quality {
    last: Option<Sample>,
    /// When packets last arrived (or receiving became expected).
    last_rx_ms: f64,
    /// Losing audio in the caller's audio reaching us, and in ours reaching the caller.
    inbound: Hysteresis,
    outbound: Hysteresis,
    /// The far end's report last counted ([`Sample::remote_report`]).
    last_report: Option<f64>,
    pub reading: Option<Reading>,
    pub warning: Option<Warning>,
    pub summary: Summary,
    mos_sum: u64,
    rtt_sum: u64,
    rtt_n: u32,
    first: Option<(u64, u64)>,
}

impl Quality {
    /// A reading from [`read_stats`] at `now_ms`; `expecting` tells whether audio should be arriving (the
    /// call is connected and neither side holds it: the transceiver receives).
    pub fn update(&mut self, s: Sample, now_ms: f64, expecting: bool) {
        let prev = self.last.take();
        let (d_rx, d_lost) = match &prev {
            Some(p) => (s.packets_received.saturating_sub(p.packets_received), s.packets_lost.saturating_sub(p.packets_lost)),
            None => (s.packets_received, s.packets_lost),
        };
        if prev.is_none() || d_rx > 0 || !expecting {
            self.last_rx_ms = now_ms;
        }
        let loss = if d_rx + d_lost > 0 { (d_lost * 1000 / (d_rx + d_lost)) as u32 } else { 0 };
        let (_, _, codec_ms) = s.codec.table();
        let jb = match &prev {
            Some(p) if s.jb_emitted > p.jb_emitted => ((s.jb_delay_ms - p.jb_delay_ms) / (s.jb_emitted - p.jb_emitted)).clamp(0.0, 2_000.0) as u32,
            _ => 2 * s.jitter_ms,
        };
        let delay = s.rtt_ms.unwrap_or(0) / 2 + jb + codec_ms;
        let mos = mos_x100(r_x100(delay, loss, s.codec));
        let reading = Reading { loss_permille: loss, remote_loss_permille: s.remote_loss_permille, jitter_ms: s.jitter_ms, rtt_ms: s.rtt_ms, delay_ms: delay, mos_x100: mos, codec: s.codec };
        // Warnings: no audio first; losing audio, each direction with its own hysteresis.
        let inbound = self.inbound.feed(expecting && d_rx > 0 && (loss >= LOSS_WARN_PERMILLE || s.jitter_ms >= JITTER_WARN_MS));
        // While the call is held no fresh report of our audio comes, and the last one would keep the warning on
        // for the whole hold: held readings count as good. Otherwise each far-end report counts once (a report
        // read again on the next readings, or one left from before a hold, is no new evidence).
        let bad_out = expecting && s.remote_loss_permille.is_some_and(|r| r >= LOSS_WARN_PERMILLE);
        let outbound = match s.remote_report {
            None => self.outbound.feed(bad_out),
            Some(id) if !expecting || self.last_report != Some(id) => {
                self.last_report = Some(id);
                self.outbound.feed_with(bad_out, BAD_REPORTS, GOOD_REPORTS)
            }
            Some(_) => self.outbound.on,
        };
        let silent = expecting && now_ms - self.last_rx_ms >= NO_AUDIO_MS;
        self.warning = if silent {
            Some(Warning::NoAudio)
        } else if inbound || outbound {
            Some(Warning::Losing { inbound, outbound })
        } else {
            None
        };
        // The first reading counts from the call's start (set-up losses, an unfilled jitter buffer): it only
        // starts the clock. The figures, and the summary, cover the readings after it while audio was
        // expected and arriving.
        if prev.is_none() {
            self.last = Some(s);
            return;
        }
        if expecting && d_rx > 0 {
            let first = *self.first.get_or_insert(prev.as_ref().map(|p| (p.packets_received, p.packets_lost)).unwrap_or((0, 0)));
            let sm = &mut self.summary;
            sm.readings = sm.readings.saturating_add(1);
            self.mos_sum += mos as u64;
            sm.mos_x100 = (self.mos_sum / sm.readings as u64) as u32;
            sm.min_mos_x100 = if sm.readings == 1 { mos } else { sm.min_mos_x100.min(mos) };
            let (rx, lost) = (s.packets_received - first.0.min(s.packets_received), s.packets_lost.saturating_sub(first.1));
            sm.loss_permille = if rx + lost > 0 { (lost * 1000 / (rx + lost)) as u32 } else { 0 };
            sm.max_jitter_ms = sm.max_jitter_ms.max(s.jitter_ms);
            if let Some(r) = s.rtt_ms {
                self.rtt_sum += r as u64;
                self.rtt_n += 1;
                sm.rtt_ms = (self.rtt_sum / self.rtt_n as u64) as u32;
            }
        }
        if let Some(w) = self.warning {
            self.summary.warned |= match w {
                Warning::NoAudio => 1,
                Warning::Losing { inbound, outbound } => (2 * inbound as u32) | (4 * outbound as u32),
            };
        }
        self.reading = Some(reading);
        self.last = Some(s);
    }

    /// The quality as another window shows it (reading and warning only): see [`Quality::from_compact`].
    pub fn to_compact(&self) -> Option<String> {
        let r = self.reading.as_ref()?;
        let w = Warning::code(self.warning);
        Some(format!(
            "{} {} {} {} {} {} {}",
            r.mos_x100,
            r.loss_permille,
            r.jitter_ms,
            r.rtt_ms.map(|x| x as i64).unwrap_or(-1),
            r.remote_loss_permille.map(|x| x as i64).unwrap_or(-1),
            w,
            match r.codec {
                Codec::G711 => 1,
                Codec::Opus => 2,
                Codec::Other => 0,
            }
        ))
    }

    /// Reads [`Quality::to_compact`] back (from another window): None unless it is exactly that shape.
    pub fn from_compact(s: &str) -> Option<Quality> {
        let f = ints::<7>(s)?;
        let opt = |x: i64| (x >= 0).then_some(x as u32);
        // Every figure in range (a negative codec or loss must not index or wrap).
        if !(100..=450).contains(&f[0]) || !(0..=1000).contains(&f[1]) || !(0..=600_000).contains(&f[2]) || f[3] > 600_000 || !(0..=4).contains(&f[5]) || !(0..=2).contains(&f[6]) {
            return None;
        }
        Some(Quality {
            reading: Some(Reading {
                mos_x100: f[0] as u32,
                loss_permille: f[1] as u32,
                jitter_ms: f[2] as u32,
                rtt_ms: opt(f[3]),
                remote_loss_permille: opt(f[4]).filter(|x| *x <= 1000),
                delay_ms: 0,
                codec: [Codec::Other, Codec::G711, Codec::Opus][f[6] as usize],
            }),
            warning: Warning::from_code(f[5]),
            ..Quality::default()
        })
    }
}

/// Exactly `N` integers separated by single spaces, each within ±10⁹: anything else is None.
fn ints<const N: usize>(s: &str) -> Option<[i64; N]> {
    if s.len() > 12 * N {
        return None;
    }
    let mut out = [0i64; N];
    let mut it = crate::text::split_byte(s, b' ');
    for slot in out.iter_mut() {
        let p = it.next()?;
        let digits = p.strip_prefix('-').unwrap_or(p);
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    it.next().is_none().then_some(out)
}

/// A finished call's quality, kept in Recents: the mean and lowest MOS, the loss over the call, the worst
/// jitter, the mean RTT and which warnings showed. Stored as one short string ("q").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub readings: u32,
    pub mos_x100: u32,
    pub min_mos_x100: u32,
    pub loss_permille: u32,
    pub max_jitter_ms: u32,
    pub rtt_ms: u32,
    /// Which warnings showed (bits): 1 "not reaching you", 2 losing the caller's audio, 4 losing ours
    /// (summaries stored before the directions were told apart have 2 for either).
    pub warned: u32,
}

impl Summary {
    /// "mos min loss‰ jitter rtt warned", e.g. "435 410 5 12 40 0".
    pub fn encode(&self) -> String {
        format!("{} {} {} {} {} {}", self.mos_x100, self.min_mos_x100, self.loss_permille, self.max_jitter_ms, self.rtt_ms, self.warned)
    }

    /// Reads [`Summary::encode`] back from storage: None unless every figure is in range.
    pub fn decode(s: &str) -> Option<Summary> {
        let f = ints::<6>(s)?;
        let mos_ok = |m: i64| (100..=450).contains(&m);
        if !mos_ok(f[0]) || !mos_ok(f[1]) || f[1] > f[0] || !(0..=1000).contains(&f[2]) || !(0..=600_000).contains(&f[3]) || !(0..=600_000).contains(&f[4]) || !(0..=7).contains(&f[5]) {
            return None;
        }
        Some(Summary { readings: 1, mos_x100: f[0] as u32, min_mos_x100: f[1] as u32, loss_permille: f[2] as u32, max_jitter_ms: f[3] as u32, rtt_ms: f[4] as u32, warned: f[5] as u32 })
    }

    /// Something was measured (a call that never carried audio has no summary).
    pub fn is_some(&self) -> bool {
        self.readings > 0
    }
}

/// Stored as its one short string ([`Summary::encode`]).
impl crate::json::ToJson for Summary {
    fn to_json(&self) -> crate::json::Value {
        crate::json::Value::String(self.encode())
    }
}

/// "4.35" from 435 (integer formatting only).
pub fn mos_text(mos_x100: u32) -> String {
    format!("{}.{:02}", mos_x100 / 100, mos_x100 % 100)
}

/// "1.2 %" from 12 ‰.
pub fn percent_text(permille: u32) -> String {
    format!("{}.{} %", permille / 10, permille % 10)
}

#[cfg(test)]
#[path = "quality_tests.rs"]
mod tests;
