//! Audio checked by what is heard: a WAV tone generator (each party of a test call sends its own frequency)
//! and the analysis of a recording (Goertzel filters at the candidate frequencies, plus the level).

use std::path::{Path, PathBuf};

/// The tones the parties of the interop tests send; far enough apart (and from each other's harmonics) that
/// codecs and resamplers cannot turn one into another.
pub const TONE_AGENT_A: u32 = 450;
pub const TONE_AGENT_B: u32 = 710;
pub const TONE_BARESIP: u32 = 1090;
pub const TONE_JS_PEER: u32 = 1530;
pub const TONE_AGENT_C: u32 = 1250;
pub const ALL_TONES: [u32; 5] = [TONE_AGENT_A, TONE_AGENT_B, TONE_BARESIP, TONE_AGENT_C, TONE_JS_PEER];

/// A mono 16-bit PCM WAV file of a sine at `freq` Hz, `secs` long, at `rate` Hz, amplitude `amp` (0..1).
pub fn tone_wav(freq: u32, secs: u32, rate: u32, amp: f64) -> Vec<u8> {
    let n = (rate * secs) as usize;
    let mut data = Vec::with_capacity(n * 2);
    for i in 0..n {
        let v = (2.0 * std::f64::consts::PI * freq as f64 * i as f64 / rate as f64).sin() * amp;
        data.extend_from_slice(&((v * i16::MAX as f64).round() as i16).to_le_bytes());
    }
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

/// Writes a tone file (48 kHz, 20 s, looped by Chromium's fake capture) into `dir`; returns its path.
pub fn write_tone(dir: &Path, freq: u32) -> PathBuf {
    let path = dir.join(format!("tone-{freq}.wav"));
    std::fs::write(&path, tone_wav(freq, 20, 48_000, 0.5)).expect("write tone wav");
    // Chromium refuses a capture file whose path has `..` in it.
    path.canonicalize().expect("tone wav path")
}

/// A decoded recording: mono samples in -1..1 and the sample rate.
#[derive(Debug, Clone)]
pub struct Pcm {
    pub rate: u32,
    pub samples: Vec<f32>,
}

/// Reads a 16-bit PCM WAV (mono or the first channel of several). A file still being written (its sizes not
/// yet filled in) is read up to its current end.
pub fn read_wav(bytes: &[u8]) -> Result<Pcm, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let (mut pos, mut rate, mut channels, mut bits) = (12usize, 0u32, 0u16, 0u16);
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if body + 16 > bytes.len() {
                return Err("truncated fmt chunk".into());
            }
            let format = u16::from_le_bytes([bytes[body], bytes[body + 1]]);
            channels = u16::from_le_bytes([bytes[body + 2], bytes[body + 3]]);
            rate = u32::from_le_bytes(bytes[body + 4..body + 8].try_into().unwrap());
            bits = u16::from_le_bytes([bytes[body + 14], bytes[body + 15]]);
            if format != 1 && format != 0xFFFE {
                return Err(format!("unsupported WAV format {format}"));
            }
        } else if id == b"data" {
            if rate == 0 || channels == 0 || bits != 16 {
                return Err(format!("unsupported WAV layout: {rate} Hz, {channels} channels, {bits} bits"));
            }
            // A recorder that is still writing updates the header's sizes only now and then (libsndfile): the
            // data chunk is the last one, so read it to the end of the file.
            let _ = size;
            let end = bytes.len();
            let frame = 2 * channels as usize;
            let samples = bytes[body..end]
                .chunks_exact(frame)
                .map(|f| i16::from_le_bytes([f[0], f[1]]) as f32 / 32768.0)
                .collect();
            return Ok(Pcm { rate, samples });
        }
        pos = body + size + (size & 1);
    }
    Err("no data chunk".into())
}

/// The amplitude (0..1 of full scale) of the component at `freq` Hz in `samples` (Goertzel, Hann window).
pub fn tone_amplitude(samples: &[f32], rate: u32, freq: u32) -> f64 {
    let n = samples.len();
    if n < 2 {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq as f64 / rate as f64;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2, mut wsum) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &x) in samples.iter().enumerate() {
        let hann = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (n - 1) as f64).cos();
        wsum += hann;
        let s0 = x as f64 * hann + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / wsum
}

/// Root mean square level (0..1 of full scale).
pub fn rms(samples: &[f32]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|&x| x as f64 * x as f64).sum::<f64>() / samples.len() as f64).sqrt()
}

/// What a listener heard in a stretch of audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    /// Level in dB full scale (-120 for nothing at all).
    pub level_db: f64,
    /// Candidate tones clearly present (each one a real share of what was heard, not a trace).
    pub tones: Vec<u32>,
}

/// Below this level a stretch is silence (comfort noise and dither stay far under it).
pub const SILENCE_DB: f64 = -45.0;

impl Heard {
    pub fn silent(&self) -> bool {
        self.level_db < SILENCE_DB
    }
}

fn db(x: f64) -> f64 {
    if x <= 1e-6 {
        -120.0
    } else {
        20.0 * x.log10()
    }
}

/// Which of `candidates` are heard in `samples`: a tone counts when its amplitude is above -40 dBFS and at least a
/// fifth of the stretch's peak amplitude (a sine's peak is RMS x sqrt 2), so a faint leak or a harmonic does not.
pub fn analyse(samples: &[f32], rate: u32, candidates: &[u32]) -> Heard {
    let level = rms(samples);
    let tones = candidates
        .iter()
        .copied()
        .filter(|&f| {
            let a = tone_amplitude(samples, rate, f);
            a > 0.01 && a > 0.2 * level * std::f64::consts::SQRT_2
        })
        .collect();
    Heard { level_db: db(level), tones }
}

/// Analyses the samples of `pcm` from `from` seconds to `to` seconds (clamped to what is there). A stretch with
/// fewer than a quarter of its samples recorded (nothing was received to decode) is silence.
pub fn analyse_span(pcm: &Pcm, from: f64, to: f64, candidates: &[u32]) -> Heard {
    let a = ((from * pcm.rate as f64) as usize).min(pcm.samples.len());
    let b = ((to * pcm.rate as f64) as usize).min(pcm.samples.len());
    let want = ((to - from) * pcm.rate as f64) as usize;
    if (b - a) * 4 < want {
        return Heard { level_db: -120.0, tones: Vec::new() };
    }
    analyse(&pcm.samples[a..b], pcm.rate, candidates)
}

/// Captures what a page plays from a remote stream: the `nth` `audio[data-remote-audio]` element (negative counts
/// from the last), through a Web Audio analyser on its `srcObject`; returns the last 32768 samples (~0.7 s).
const BROWSER_CAPTURE: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const els = document.querySelectorAll('audio[data-remote-audio]');
  const nth = arguments[0], el = els[nth < 0 ? els.length + nth : nth];
  if (!el || !el.srcObject) return done({error: 'no remote audio element (' + els.length + ' found)'});
  window.__probes = window.__probes || new Map();
  let p = window.__probes.get(el);
  if (!p || p.stream !== el.srcObject) {
    const ctx = new AudioContext();
    const an = ctx.createAnalyser();
    an.fftSize = 32768;
    ctx.createMediaStreamSource(el.srcObject).connect(an);
    p = {ctx, an, stream: el.srcObject, since: performance.now()};
    window.__probes.set(el, p);
  }
  await p.ctx.resume();
  const wait = Math.max(0, p.since + 800 - performance.now());
  await new Promise(r => setTimeout(r, wait + 50));
  const td = new Float32Array(p.an.fftSize);
  p.an.getFloatTimeDomainData(td);
  done({rate: p.ctx.sampleRate, samples: Array.from(td, x => Math.round(x * 10000) / 10000)});
})().catch(e => done({error: String(e)}));
"#;

/// What the page in `b` hears from its `nth` remote audio (see [`BROWSER_CAPTURE`]), among `candidates`.
pub fn heard_in_browser(b: &crate::Browser, nth: i32, candidates: &[u32]) -> Heard {
    let v = b.exec_async(BROWSER_CAPTURE, serde_json::json!([nth]));
    if let Some(e) = v.get("error") {
        panic!("cannot listen in the browser: {e}");
    }
    let rate = v["rate"].as_u64().expect("sample rate") as u32;
    let samples: Vec<f32> = v["samples"].as_array().expect("samples").iter().map(|x| x.as_f64().unwrap_or(0.0) as f32).collect();
    analyse(&samples, rate, candidates)
}

/// Polls the page until what it hears satisfies `ok` (up to 15 s: media paths take a moment to settle after a
/// change such as hold); returns the last result either way, for the assertion's message.
pub fn browser_hears_until(b: &crate::Browser, nth: i32, ok: impl Fn(&Heard) -> bool) -> Heard {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let h = heard_in_browser(b, nth, &ALL_TONES);
        if ok(&h) || std::time::Instant::now() > deadline {
            return h;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix(parts: &[(u32, f64)], rate: u32, secs: f64) -> Vec<f32> {
        let n = (rate as f64 * secs) as usize;
        (0..n)
            .map(|i| {
                parts.iter().map(|&(f, a)| (2.0 * std::f64::consts::PI * f as f64 * i as f64 / rate as f64).sin() * a).sum::<f64>() as f32
            })
            .collect()
    }

    #[test]
    fn generated_wav_reads_back_as_its_tone() {
        let wav = tone_wav(TONE_BARESIP, 1, 8000, 0.5);
        assert_eq!(wav.len(), 44 + 16000);
        let pcm = read_wav(&wav).unwrap();
        assert_eq!(pcm.rate, 8000);
        assert_eq!(pcm.samples.len(), 8000);
        let heard = analyse(&pcm.samples, pcm.rate, &ALL_TONES);
        assert_eq!(heard.tones, vec![TONE_BARESIP]);
        assert!((heard.level_db - (-9.03)).abs() < 0.2, "{heard:?}");
        let a = tone_amplitude(&pcm.samples, pcm.rate, TONE_BARESIP);
        assert!((a - 0.5).abs() < 0.02, "amplitude {a}");
    }

    #[test]
    fn two_tones_are_both_heard_and_a_third_is_not() {
        let s = mix(&[(TONE_AGENT_A, 0.3), (TONE_JS_PEER, 0.3)], 48_000, 0.5);
        assert_eq!(analyse(&s, 48_000, &ALL_TONES).tones, vec![TONE_AGENT_A, TONE_JS_PEER]);
    }

    #[test]
    fn silence_and_a_faint_leak_are_not_tones() {
        let s = vec![0.0f32; 8000];
        let h = analyse(&s, 8000, &ALL_TONES);
        assert!(h.silent() && h.tones.is_empty(), "{h:?}");
        // A loud tone with a 40 dB weaker leak of another: only the loud one counts.
        let s = mix(&[(TONE_AGENT_B, 0.5), (TONE_BARESIP, 0.005)], 8000, 1.0);
        assert_eq!(analyse(&s, 8000, &ALL_TONES).tones, vec![TONE_AGENT_B]);
    }

    #[test]
    fn a_stretch_with_few_samples_recorded_is_silence() {
        let pcm = Pcm { rate: 8000, samples: mix(&[(TONE_AGENT_A, 0.5)], 8000, 1.0) };
        assert_eq!(analyse_span(&pcm, 0.2, 0.8, &ALL_TONES).tones, vec![TONE_AGENT_A]);
        assert!(analyse_span(&pcm, 0.9, 3.0, &ALL_TONES).silent());
    }

    #[test]
    fn a_wav_still_being_written_is_read_to_its_end() {
        let mut wav = tone_wav(TONE_AGENT_A, 1, 8000, 0.5);
        wav[40..44].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(read_wav(&wav).unwrap().samples.len(), 8000);
        // Or with a stale size from an earlier header update.
        wav[40..44].copy_from_slice(&100u32.to_le_bytes());
        assert_eq!(read_wav(&wav).unwrap().samples.len(), 8000);
        assert!(read_wav(b"RIFF....WAVEjunk").is_err());
    }
}
