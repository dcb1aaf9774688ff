//! Browser media for SIP calls: microphone, one RTCPeerConnection per call, SDP offers and answers,
//! hold by transceiver direction, DTMF (RFC 4733 via RTCDTMFSender), remote audio, and statistics.

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlAudioElement, MediaStream, MediaStreamConstraints, RtcConfiguration, RtcIceGatheringState, RtcIceServer,
    RtcPeerConnection, RtcRtpTransceiverDirection, RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

/// How calls use ICE servers, from the settings (TURN credentials and relay-only), set when the line signs in.
#[derive(Clone, Debug, Default)]
pub struct IceOptions {
    pub username: String,
    pub credential: String,
    pub relay_only: bool,
}

thread_local! {
    static ICE_OPTIONS: std::cell::RefCell<IceOptions> = std::cell::RefCell::new(IceOptions::default());
}

/// Sets the ICE options every new call's RTCPeerConnection uses.
pub fn set_ice_options(o: IceOptions) {
    ICE_OPTIONS.with(|c| *c.borrow_mut() = o);
}

/// ICE gathering is capped so a bad network never delays call set-up by tens of seconds.
pub const ICE_GATHER_CAP_MS: i32 = 2_000;

/// Why media could not start, in words for the agent.
pub fn describe_media_error(e: &JsValue) -> String {
    let name = Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
    let framed = crate::openframe::bridge::is_framed();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" if framed => crate::strings::MIC_REFUSED_IN_FRAME().into(),
        "NotAllowedError" | "SecurityError" => {
            crate::strings::MIC_BLOCKED().into()
        }
        "NotFoundError" | "OverconstrainedError" => crate::strings::MIC_NOT_FOUND().into(),
        "NotReadableError" => crate::strings::MIC_IN_USE().into(),
        _ => {
            let msg = Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_default();
            crate::strings::audio_failed(&name, &msg).render()
        }
    }
}

/// localStorage keys of the chosen devices (device ids are not secrets).
pub const MIC_KEY: &str = "agent-desktop.device.mic";
pub const SPEAKER_KEY: &str = "agent-desktop.device.speaker";
pub const RINGER_KEY: &str = "agent-desktop.device.ringer";

/// An audio device from enumerateDevices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub kind: String,
    pub id: String,
    pub label: String,
}

/// Lists microphones (`audioinput`) and speakers (`audiooutput`). Labels are empty until the microphone
/// has been allowed once.
pub async fn devices() -> Vec<Device> {
    let Some(md) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else { return Vec::new() };
    let Ok(p) = md.enumerate_devices() else { return Vec::new() };
    let Ok(list) = JsFuture::from(p).await else { return Vec::new() };
    let list: Array = list.unchecked_into();
    list.iter()
        .map(|d| {
            let get = |k: &str| Reflect::get(&d, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
            Device { kind: get("kind"), id: get("deviceId"), label: get("label") }
        })
        .filter(|d| d.kind == "audioinput" || d.kind == "audiooutput")
        .collect()
}

/// Asks for the microphone (the chosen one, when set).
pub async fn microphone() -> Result<MediaStream, String> {
    let nav = web_sys::window().ok_or("no window")?.navigator();
    let devices = nav.media_devices().map_err(|_| crate::strings::NO_MEDIA_DEVICES().to_string())?;
    let c = MediaStreamConstraints::new();
    match crate::browser::load(MIC_KEY).filter(|id| !id.is_empty()) {
        Some(id) => {
            let audio = js_sys::Object::new();
            let exact = js_sys::Object::new();
            let _ = Reflect::set(&exact, &"ideal".into(), &JsValue::from_str(&id));
            let _ = Reflect::set(&audio, &"deviceId".into(), &exact);
            c.set_audio(&audio);
        }
        None => c.set_audio(&JsValue::TRUE),
    }
    c.set_video(&JsValue::FALSE);
    let p = devices.get_user_media_with_constraints(&c).map_err(|e| describe_media_error(&e))?;
    let s = JsFuture::from(p).await.map_err(|e| describe_media_error(&e))?;
    Ok(s.unchecked_into())
}

/// One call's media.
pub struct CallMedia {
    pub pc: RtcPeerConnection,
    stream: MediaStream,
    audio: HtmlAudioElement,
    remote: std::rc::Rc<std::cell::RefCell<Option<MediaStream>>>,
    mix: std::cell::RefCell<Option<web_sys::AudioContext>>,
    /// (muted, held): the microphone is sent only when neither.
    quiet: std::cell::Cell<(bool, bool)>,
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
}

/// The peer connection settings for `ice_servers` and the ICE options, with a candidate pool: ICE
/// candidates are gathered as soon as the connection exists, before any offer or answer.
fn configuration(ice_servers: &[String]) -> RtcConfiguration {
    let cfg = RtcConfiguration::new();
    let servers = Array::new();
    let opts = ICE_OPTIONS.with(|c| c.borrow().clone());
    for url in ice_servers {
        let s = RtcIceServer::new();
        s.set_urls(&JsValue::from_str(url));
        if url.starts_with("turn") && !opts.username.is_empty() {
            s.set_username(&opts.username);
            s.set_credential(&opts.credential);
        }
        servers.push(&s);
    }
    cfg.set_ice_servers(&servers);
    if opts.relay_only {
        cfg.set_ice_transport_policy(web_sys::RtcIceTransportPolicy::Relay);
    }
    let _ = Reflect::set(&cfg, &"iceCandidatePoolSize".into(), &JsValue::from(1));
    cfg
}

/// A prepared connection older than this is replaced, so its candidates (and a TURN allocation) are fresh.
pub const WARM_MAX_AGE_MS: f64 = 300_000.0;

/// Media prepared while the agent takes calls, so a call starts at once: the microphone (each call sends
/// clones of its tracks, so mute and hold stay per call) and a peer connection whose ICE candidates are
/// gathered in advance. Refreshed when devices or the network change; released when the agent stops
/// taking calls.
#[derive(Default)]
struct Warm {
    /// The chosen microphone's id when it was opened, and its stream.
    mic: Option<(String, MediaStream)>,
    /// The connection, and when it was made (for the line's ICE servers: a new line releases it).
    pc: Option<(RtcPeerConnection, f64)>,
    /// getUserMedia under way.
    opening: bool,
    /// Counts releases: a microphone that opens after one is not kept.
    gen: u32,
    /// The microphone was refused: not asked again until the agent stops and starts taking calls.
    refused: bool,
    /// Devices or the network changed: prepare again.
    stale: bool,
    listening: bool,
    _listeners: Vec<Closure<dyn FnMut()>>,
}

thread_local! {
    static WARM: std::cell::RefCell<Warm> = std::cell::RefCell::new(Warm::default());
}

fn stop_tracks(s: &MediaStream) {
    for t in s.get_tracks().iter() {
        t.unchecked_into::<web_sys::MediaStreamTrack>().stop();
    }
}

fn drop_warm(w: &mut Warm) {
    w.gen += 1;
    if let Some((_, s)) = w.mic.take() {
        stop_tracks(&s);
    }
    if let Some((pc, _)) = w.pc.take() {
        pc.close();
    }
}

/// Keeps media prepared (`want`) for calls on `ice_servers`, or releases it. Cheap when nothing changed:
/// the SIP line calls it on its clock.
pub fn prewarm(ice_servers: &[String], want: bool) {
    let now = js_sys::Date::now();
    let chosen = crate::browser::load(MIC_KEY).unwrap_or_default();
    let open_mic = WARM.with(|w| {
        let mut w = w.borrow_mut();
        if !want {
            drop_warm(&mut w);
            w.refused = false;
            return None;
        }
        if !w.listening {
            w.listening = true;
            w._listeners = listen_for_changes();
        }
        if std::mem::take(&mut w.stale) {
            drop_warm(&mut w);
            w.refused = false;
        }
        // Another microphone chosen: the next call opens that one (an unplugged one ends in a devicechange).
        if w.mic.as_ref().map(|(id, _)| *id != chosen).unwrap_or(false) {
            if let Some((_, s)) = w.mic.take() {
                stop_tracks(&s);
            }
        }
        if w.pc.as_ref().map(|(_, at)| now - at > WARM_MAX_AGE_MS).unwrap_or(false) {
            if let Some((pc, _)) = w.pc.take() {
                pc.close();
            }
        }
        if w.pc.is_none() {
            w.pc = RtcPeerConnection::new_with_configuration(&configuration(ice_servers)).ok().map(|pc| (pc, now));
        }
        let open = w.mic.is_none() && !w.opening && !w.refused;
        w.opening |= open;
        open.then_some(w.gen)
    });
    if let Some(gen) = open_mic {
        wasm_bindgen_futures::spawn_local(async move {
            let got = microphone().await;
            WARM.with(|w| {
                let mut w = w.borrow_mut();
                w.opening = false;
                match got {
                    // Released (or refreshed) while it was opening: not kept.
                    Ok(s) if w.gen != gen || w.mic.is_some() => stop_tracks(&s),
                    Ok(s) => w.mic = Some((chosen, s)),
                    Err(_) => w.refused = true,
                }
            });
        });
    }
}

/// Marks the prepared media stale when devices or the network change (listened to once per page).
fn listen_for_changes() -> Vec<Closure<dyn FnMut()>> {
    let mut out = Vec::new();
    let Some(w) = web_sys::window() else { return out };
    let stale = || Closure::<dyn FnMut()>::new(|| WARM.with(|w| w.borrow_mut().stale = true));
    if let Ok(md) = w.navigator().media_devices() {
        let c = stale();
        let _ = md.add_event_listener_with_callback("devicechange", c.as_ref().unchecked_ref());
        out.push(c);
    }
    let c = stale();
    let _ = w.add_event_listener_with_callback("online", c.as_ref().unchecked_ref());
    out.push(c);
    if let Ok(conn) = Reflect::get(&w.navigator(), &"connection".into()) {
        if let Some(t) = conn.dyn_ref::<web_sys::EventTarget>() {
            let c = stale();
            let _ = t.add_event_listener_with_callback("change", c.as_ref().unchecked_ref());
            out.push(c);
        }
    }
    out
}

/// The prepared microphone (clones of its tracks) and connection for a new call, when ready.
fn take_warm() -> (Option<MediaStream>, Option<RtcPeerConnection>) {
    let chosen = crate::browser::load(MIC_KEY).unwrap_or_default();
    WARM.with(|w| {
        let mut w = w.borrow_mut();
        let mic = w.mic.as_ref().filter(|(id, _)| *id == chosen).map(|(_, s)| MediaStream::clone(s));
        (mic, w.pc.take().map(|(pc, _)| pc))
    })
}

/// Marks a moment on the page's performance timeline (one entry per name: the latest), for the
/// benchmarks: `performance.getEntriesByName(name)`.
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        p.clear_marks_with_mark_name(name);
        let _ = p.mark(name);
    }
}

impl CallMedia {
    /// A call's media: the prepared microphone and connection when there are, else new ones.
    pub async fn new(ice_servers: &[String]) -> Result<CallMedia, String> {
        let (stream, pc) = take_warm();
        let stream = match stream {
            Some(s) => s,
            None => microphone().await?,
        };
        let pc = match pc {
            Some(pc) => pc,
            None => RtcPeerConnection::new_with_configuration(&configuration(ice_servers)).map_err(|e| crate::strings::Key::WEBRTC_UNAVAILABLE.arg("why", &format_args!("{e:?}")).render())?,
        };
        for t in stream.get_audio_tracks().iter() {
            let track: web_sys::MediaStreamTrack = t.unchecked_into();
            pc.add_track_0(&track, &stream);
        }
        let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
        let audio: HtmlAudioElement = doc.create_element("audio").map_err(|_| "no audio element")?.unchecked_into();
        audio.set_autoplay(true);
        audio.set_attribute("data-remote-audio", "").ok();
        super::audio::set_sink(&audio, crate::browser::load(SPEAKER_KEY).filter(|s| !s.is_empty()).as_deref());
        if let Some(b) = doc.body() {
            let _ = b.append_child(&audio);
        }
        let a2 = audio.clone();
        let remote = std::rc::Rc::new(std::cell::RefCell::new(None));
        let r2 = remote.clone();
        let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |ev: RtcTrackEvent| {
            let streams = ev.streams();
            if streams.length() > 0 {
                let s: MediaStream = streams.get(0).unchecked_into();
                a2.set_src_object(Some(&s));
                let _ = a2.play();
                *r2.borrow_mut() = Some(s);
            }
        });
        pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        Ok(CallMedia { pc, stream, audio, remote, mix: std::cell::RefCell::new(None), quiet: Default::default(), _on_track: on_track })
    }

    /// The local description once ICE gathering is complete (at once with prepared candidates), or at the
    /// cap. Waits on the browser's event, not by polling.
    async fn gathered_local_sdp(&self) -> Result<String, String> {
        if self.pc.ice_gathering_state() != RtcIceGatheringState::Complete {
            let mut done = None;
            let p = Promise::new(&mut |resolve, _| done = Some(resolve));
            let done: js_sys::Function = done.expect("a promise's executor runs at once");
            let (pc, d2) = (self.pc.clone(), done.clone());
            let on_change = Closure::<dyn FnMut()>::new(move || {
                if pc.ice_gathering_state() == RtcIceGatheringState::Complete {
                    let _ = d2.call0(&JsValue::NULL);
                }
            });
            self.pc.set_onicegatheringstatechange(Some(on_change.as_ref().unchecked_ref()));
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&done, ICE_GATHER_CAP_MS);
            }
            // It may have completed between the check and the handler.
            if self.pc.ice_gathering_state() == RtcIceGatheringState::Complete {
                let _ = done.call0(&JsValue::NULL);
            }
            let _ = JsFuture::from(p).await;
            self.pc.set_onicegatheringstatechange(None);
            drop(on_change);
        }
        self.pc.local_description().map(|d| d.sdp()).ok_or_else(|| "no local description".to_string())
    }

    /// Applies the far end's description of `kind` (the error names what was refused).
    async fn set_remote(&self, kind: RtcSdpType, sdp: &str, what: &str) -> Result<(), String> {
        let init = RtcSessionDescriptionInit::new(kind);
        init.set_sdp(sdp);
        JsFuture::from(self.pc.set_remote_description(&init)).await.map_err(|e| crate::strings::Key::MEDIA_REFUSED.arg("what", &what).arg("why", &format_args!("{e:?}")).render())?;
        Ok(())
    }

    /// Creates our offer or answer, sets it, and returns the SDP with gathered candidates.
    async fn set_local(&self, answer: bool) -> Result<String, String> {
        let (p, kind, name) = if answer {
            (self.pc.create_answer(), RtcSdpType::Answer, "createAnswer")
        } else {
            (self.pc.create_offer(), RtcSdpType::Offer, "createOffer")
        };
        let d = JsFuture::from(p).await.map_err(|e| format!("{name} failed: {e:?}"))?;
        let sdp = Reflect::get(&d, &"sdp".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        let init = RtcSessionDescriptionInit::new(kind);
        init.set_sdp(&sdp);
        JsFuture::from(self.pc.set_local_description(&init)).await.map_err(|e| format!("setLocalDescription failed: {e:?}"))?;
        self.gathered_local_sdp().await
    }

    /// Creates an offer (for a new call or a re-INVITE) and returns the SDP with gathered candidates.
    pub async fn offer(&self) -> Result<String, String> {
        self.set_local(false).await
    }

    /// Takes the far end's offer and returns our answer.
    pub async fn answer(&self, offer: &str) -> Result<String, String> {
        self.set_remote(RtcSdpType::Offer, offer, crate::strings::AUDIO_OFFER()).await?;
        self.set_local(true).await
    }

    /// Applies the far end's answer to our offer.
    pub async fn accept_answer(&self, answer: &str) -> Result<(), String> {
        self.set_remote(RtcSdpType::Answer, answer, crate::strings::AUDIO_ANSWER()).await
    }

    /// Applies the SDP of a 183 as a provisional answer (early media; the 200's answer replaces it).
    pub async fn accept_pranswer(&self, answer: &str) -> Result<(), String> {
        self.set_remote(RtcSdpType::Pranswer, answer, crate::strings::EARLY_AUDIO()).await
    }

    /// True while our offer has no answer from the far end, or only a provisional one (183).
    pub fn awaits_answer(&self) -> bool {
        self.pc.remote_description().map(|d| d.type_() == RtcSdpType::Pranswer).unwrap_or(true)
    }

    /// Hold (sendonly) or resume (sendrecv): sets the direction and returns the new offer. On hold the
    /// microphone is not sent: the held party hears silence, not the agent talking to someone else.
    pub async fn hold_offer(&self, hold: bool) -> Result<String, String> {
        self.set_held(hold);
        self.offer().await
    }

    fn set_held(&self, hold: bool) {
        self.quiet.set((self.quiet.get().0, hold));
        self.apply_quiet();
        let dir = if hold { RtcRtpTransceiverDirection::Sendonly } else { RtcRtpTransceiverDirection::Sendrecv };
        for t in self.pc.get_transceivers().iter() {
            let t: web_sys::RtcRtpTransceiver = t.unchecked_into();
            t.set_direction(dir);
        }
    }

    /// Our offer was refused: back to the last agreed description and its direction (rolling back in
    /// `stable` is refused by the browser and changes nothing). Returns whether that agreement holds the call.
    pub async fn rollback(&self) -> bool {
        let _ = JsFuture::from(self.pc.set_local_description(&RtcSessionDescriptionInit::new(RtcSdpType::Rollback))).await;
        let sdp = self.pc.local_description().map(|d| d.sdp()).unwrap_or_default();
        let held = sdp.contains("a=sendonly") || sdp.contains("a=inactive");
        self.set_held(held);
        held
    }

    /// The current direction of the audio transceiver ("sendrecv", "sendonly", ...).
    pub fn direction(&self) -> String {
        self.pc
            .get_transceivers()
            .iter()
            .next()
            .and_then(|t| Reflect::get(&t, &"currentDirection".into()).ok())
            .and_then(|d| d.as_string())
            .unwrap_or_default()
    }

    pub fn set_muted(&self, muted: bool) {
        self.quiet.set((muted, self.quiet.get().1));
        self.apply_quiet();
    }

    fn apply_quiet(&self) {
        let (muted, held) = self.quiet.get();
        for t in self.stream.get_audio_tracks().iter() {
            let t: web_sys::MediaStreamTrack = t.unchecked_into();
            t.set_enabled(!(muted || held));
        }
    }

    /// Sends DTMF in the RTP stream (RFC 4733); false when the peer did not negotiate telephone-event.
    pub fn send_dtmf(&self, digit: char) -> bool {
        for s in self.pc.get_senders().iter() {
            let s: web_sys::RtcRtpSender = s.unchecked_into();
            if let Some(d) = s.dtmf() {
                let can = Reflect::get(&d, &"canInsertDTMF".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
                let insert = Reflect::get(&d, &"insertDTMF".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
                if let (true, Some(f)) = (can, insert) {
                    return f.call2(&d, &JsValue::from_str(&digit.to_string()), &JsValue::from_f64(100.0)).is_ok();
                }
            }
        }
        false
    }

    /// (packets received, packets sent) for audio.
    pub async fn packet_counts(&self) -> (u64, u64) {
        let Ok(report) = JsFuture::from(self.pc.get_stats()).await else { return (0, 0) };
        let (mut rx, mut tx) = (0u64, 0u64);
        let values = Reflect::get(&report, &"values".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .and_then(|f| f.call0(&report).ok());
        if let Some(it) = values.and_then(|v| js_sys::try_iter(&v).ok().flatten()) {
            for stat in it.flatten() {
                let get = |k: &str| Reflect::get(&stat, &k.into()).ok();
                let kind = get("kind").and_then(|k| k.as_string()).unwrap_or_default();
                let ty = get("type").and_then(|k| k.as_string()).unwrap_or_default();
                if kind != "audio" {
                    continue;
                }
                match ty.as_str() {
                    "inbound-rtp" => rx += get("packetsReceived").and_then(|v| v.as_f64()).unwrap_or(0.0) as u64,
                    "outbound-rtp" => tx += get("packetsSent").and_then(|v| v.as_f64()).unwrap_or(0.0) as u64,
                    _ => {}
                }
            }
        }
        (rx, tx)
    }

    /// The far end's audio as a stream of its own (from the receiver's track).
    fn remote_stream(&self) -> Option<MediaStream> {
        let receiver = self.pc.get_receivers().iter().next()?;
        let track = Reflect::get(&receiver, &"track".into()).ok()?;
        let tracks = Array::of1(&track);
        let from_receiver = MediaStream::new_with_tracks(&tracks).ok();
        from_receiver.or_else(|| self.remote.borrow().clone())
    }

    fn sender(&self) -> Option<web_sys::RtcRtpSender> {
        self.pc.get_senders().iter().next().map(|s| s.unchecked_into())
    }

    /// Sends the microphone again (after a conference ends).
    pub fn unmix(&self) {
        if let Some(ctx) = self.mix.borrow_mut().take() {
            let _ = ctx.close();
        }
        if let (Some(sender), Some(track)) = (self.sender(), self.stream.get_audio_tracks().iter().next()) {
            let track: web_sys::MediaStreamTrack = track.unchecked_into();
            let _ = sender.replace_track(Some(&track));
        }
    }

    pub fn close(&self) {
        self.unmix();
        self.pc.close();
        for t in self.stream.get_tracks().iter() {
            let t: web_sys::MediaStreamTrack = t.unchecked_into();
            t.stop();
        }
        self.audio.set_src_object(None);
        self.audio.remove();
    }
}

pub use crate::browser::random_u32;

/// Three-way conference, mixed here: each party hears the agent's microphone plus the other party.
/// (Each party's own voice is left out of what it is sent.)
pub fn conference(a: &CallMedia, b: &CallMedia) -> Result<(), String> {
    let ra = a.remote_stream().ok_or(crate::strings::FIRST_NO_AUDIO())?;
    let rb = b.remote_stream().ok_or(crate::strings::SECOND_NO_AUDIO())?;
    let why = |what: &str, e: JsValue| {
        let name = Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_default();
        crate::strings::Key::CONFERENCE_MIX_FAILED.arg("why", &format_args!("{what}: {name}")).render()
    };
    let mix_for = |own: &CallMedia, other_remote: &MediaStream| -> Result<(), String> {
        let ctx = web_sys::AudioContext::new().map_err(|e| why("audio context", e))?;
        let dest = ctx.create_media_stream_destination().map_err(|e| why("destination", e))?;
        let mic = ctx.create_media_stream_source(&own.stream).map_err(|e| why("microphone", e))?;
        let other = ctx.create_media_stream_source(other_remote).map_err(|e| why("remote audio", e))?;
        let _ = mic.connect_with_audio_node(&dest);
        let _ = other.connect_with_audio_node(&dest);
        let _ = ctx.resume();
        let track = dest.stream().get_audio_tracks().iter().next().ok_or("no mixed track")?;
        let track: web_sys::MediaStreamTrack = track.unchecked_into();
        let sender = own.sender().ok_or("the call sends no audio")?;
        let _ = sender.replace_track(Some(&track));
        if let Some(old) = own.mix.borrow_mut().replace(ctx) {
            let _ = old.close();
        }
        Ok(())
    };
    mix_for(a, &rb)?;
    mix_for(b, &ra)?;
    Ok(())
}
