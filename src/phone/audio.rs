//! Sounds the desktop makes itself, with Web Audio: the ring tone for incoming calls (on the chosen ringer
//! device), ring-back while an outgoing call rings, and the demo line's synthetic far end. Browsers only let
//! audio start after a user gesture, so the context is unlocked on the first click or key press.

use crate::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AudioContext, GainNode, HtmlAudioElement, OscillatorNode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Incoming call: a two-tone warble, 1 s on, 2 s off.
    Ring,
    /// Outgoing call ringing at the far end (North American ring-back: 440 + 480 Hz, 2 s on, 4 s off).
    RingBack,
    /// The demo line's far end "talking": a low, modulated tone.
    DemoVoice,
}

struct Playing {
    tone: Tone,
    oscillators: Vec<OscillatorNode>,
    gain: GainNode,
    element: Option<HtmlAudioElement>,
    timer: i32,
    _cadence: Option<Closure<dyn FnMut()>>,
}

thread_local! {
    static CTX: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
    static PLAYING: RefCell<Vec<Playing>> = const { RefCell::new(Vec::new()) };
    static RINGER: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Where sound problems are told (the shell shows them to the agent).
    static ON_PROBLEM: RefCell<Option<Box<dyn Fn(String)>>> = const { RefCell::new(None) };
}

/// Sets where sound problems go: a refused output device, a ring tone the browser would not play.
pub fn on_problem(f: impl Fn(String) + 'static) {
    ON_PROBLEM.with(|p| *p.borrow_mut() = Some(Box::new(f)));
}

fn problem(message: String) {
    ON_PROBLEM.with(|p| {
        if let Some(f) = p.borrow().as_ref() {
            f(message)
        }
    });
}

/// The reason in a rejected promise (a DOMException's name and message).
fn reason(e: &JsValue) -> String {
    let get = |k: &str| super::media::prop_str(e, k);
    let (n, m) = (get("name"), get("message"));
    crate::ui::cat(&[&n, if !n.is_empty() && !m.is_empty() { ": " } else { "" }, &m])
}

/// Tells `on_fail(reason)` when `promise` is rejected.
fn on_rejected(promise: js_sys::Promise, on_fail: impl FnOnce(String) + 'static) {
    let cb = Closure::once(move |e: JsValue| on_fail(reason(&e)));
    let _ = promise.catch(&cb);
    cb.forget();
}

/// The audio element the ring tone plays through while it rings on a chosen device (tests, diagnostics).
pub fn ringer_element() -> Option<HtmlAudioElement> {
    PLAYING.with(|p| p.borrow().iter().find(|x| x.tone == Tone::Ring).and_then(|x| x.element.clone()))
}

fn ctx() -> Option<AudioContext> {
    CTX.with(|c| {
        if c.borrow().is_none() {
            *c.borrow_mut() = AudioContext::new().ok();
        }
        c.borrow().clone()
    })
}

/// Resumes the audio context on the first user gesture (autoplay policy).
pub fn unlock_on_first_gesture() {
    let Some(w) = web_sys::window() else { return };
    let cb = Closure::<dyn FnMut()>::new(|| {
        if let Some(c) = ctx() {
            let _ = c.resume();
        }
    });
    for ev in ["pointerdown", "keydown"] {
        let _ = w.add_event_listener_with_callback(ev, cb.as_ref().unchecked_ref());
    }
    cb.forget();
}

/// The output device for the ring tone (a device id from enumerateDevices; None: the default).
pub fn set_ringer_device(id: Option<String>) {
    RINGER.with(|r| *r.borrow_mut() = id);
}

/// Routes an audio element (the remote party's voice) to the chosen speaker (HTMLMediaElement.setSinkId).
pub fn set_sink(el: &HtmlAudioElement, device: Option<&str>) {
    route(el, device, crate::strings::SPEAKER());
}

/// Routes an audio element to an output device; a refusal, or a browser that cannot choose, is told.
fn route(el: &HtmlAudioElement, device: Option<&str>, what: &'static str) {
    let Some(id) = device else { return };
    let f = super::media::prop_fn(el, "setSinkId");
    let Some(f) = f else {
        problem(crate::strings::device_choice_unsupported(what).render());
        return;
    };
    match f.call1(el, &JsValue::from_str(id)).map(|p| p.dyn_into::<js_sys::Promise>()) {
        Ok(Ok(p)) => on_rejected(p, move |r| problem(crate::strings::device_refused(what, &r).render())),
        Ok(Err(_)) => {}
        Err(e) => problem(crate::strings::device_refused(what, &reason(&e)).render()),
    }
}

/// True while `tone` plays.
pub fn is_playing(tone: Tone) -> bool {
    PLAYING.with(|p| p.borrow().iter().any(|x| x.tone == tone))
}

/// Starts `tone` (no-op when it already plays).
pub fn play(tone: Tone) {
    if is_playing(tone) {
        return;
    }
    let Some(c) = ctx() else { return };
    // Before the agent's first click or key press the browser keeps sound off: a ring nobody hears is said.
    if tone == Tone::Ring && super::media::prop_str(&c, "state") == "suspended" {
        problem(crate::strings::ring_not_played(crate::strings::SOUND_NOT_ALLOWED_YET()).render());
    }
    let Ok(gain) = c.create_gain() else { return };
    super::media::set_param(&gain, "gain", 0.0);
    let (freqs, level, on_ms, period_ms): (&[f32], f32, i32, i32) = match tone {
        Tone::Ring => (&[620.0, 780.0], 0.18, 1_000, 3_000),
        Tone::RingBack => (&[440.0, 480.0], 0.08, 2_000, 6_000),
        Tone::DemoVoice => (&[180.0, 230.0], 0.05, 900, 1_400),
    };
    let mut oscillators = Vec::new();
    for f in freqs {
        if let Ok(o) = c.create_oscillator() {
            super::media::set(&o, "type", &JsValue::from_str("sine"));
            super::media::set_param(&o, "frequency", *f as f64);
            let _ = o.connect_with_audio_node(&gain);
            let _ = o.start();
            oscillators.push(o);
        }
    }
    // The ring tone goes to the ringer device through its own audio element; the rest to the default output.
    let ringer = RINGER.with(|r| r.borrow().clone());
    let element = if tone == Tone::Ring && ringer.is_some() {
        let dest = c.create_media_stream_destination().ok();
        let el = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("audio").ok())
            .map(|e| e.unchecked_into::<HtmlAudioElement>());
        match (dest, el) {
            (Some(dest), Some(el)) => {
                let _ = gain.connect_with_audio_node(&dest);
                super::media::set(&el, "srcObject", &super::media::prop(&dest, "stream").unwrap_or(JsValue::NULL));
                route(&el, ringer.as_deref(), crate::strings::RINGER());
                match el.play() {
                    Ok(p) => on_rejected(p, |r| problem(crate::strings::ring_not_played(&r).render())),
                    Err(e) => problem(crate::strings::ring_not_played(&reason(&e)).render()),
                }
                Some(el)
            }
            _ => None,
        }
    } else {
        None
    };
    if element.is_none() {
        let _ = gain.connect_with_audio_node(&c.destination());
    }
    // Cadence: on for `on_ms` of every `period_ms`.
    let g = gain.clone();
    let ctx2 = c.clone();
    let cadence = Closure::<dyn FnMut()>::new(move || {
        let t = ctx2.current_time();
        let Some(p) = super::media::prop(&g, "gain") else { return };
        let p: web_sys::AudioParam = p.unchecked_into();
        let _ = p.set_value_at_time(level, t);
        let _ = p.set_value_at_time(0.0, t + on_ms as f64 / 1000.0);
    });
    let timer = web_sys::window()
        .and_then(|w| w.set_interval_with_callback_and_timeout_and_arguments_0(cadence.as_ref().unchecked_ref(), period_ms).ok())
        .unwrap_or(-1);
    let _ = cadence.as_ref().unchecked_ref::<js_sys::Function>().call0(&JsValue::NULL);
    PLAYING.with(|p| p.borrow_mut().push(Playing { tone, oscillators, gain, element, timer, _cadence: Some(cadence) }));
}

/// Stops `tone`.
pub fn stop(tone: Tone) {
    PLAYING.with(|p| {
        p.borrow_mut().retain(|x| {
            if x.tone != tone {
                return true;
            }
            for o in &x.oscillators {
                #[allow(deprecated)]
                let _ = o.stop();
            }
            let _ = x.gain.disconnect();
            if let Some(e) = &x.element {
                super::media::set(e, "srcObject", &JsValue::NULL);
            }
            if let Some(w) = web_sys::window() {
                w.clear_interval_with_handle(x.timer);
            }
            false
        })
    });
}

/// Plays exactly the tones wanted now (called whenever calls change).
pub fn sync(ring: bool, ringback: bool, demo_voice: bool) {
    for (tone, on) in [(Tone::Ring, ring), (Tone::RingBack, ringback), (Tone::DemoVoice, demo_voice)] {
        if on {
            play(tone)
        } else {
            stop(tone)
        }
    }
}
