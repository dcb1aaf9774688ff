//! Browser media for SIP calls: microphone, one RTCPeerConnection per call, SDP offers and answers,
//! hold by transceiver direction, DTMF (RFC 4733 via RTCDTMFSender), remote audio, and statistics.

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlAudioElement, MediaStream, RtcConfiguration, RtcPeerConnection, RtcSessionDescriptionInit, RtcTrackEvent,
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
    forget_candidates();
}

/// Forgets the candidates found before ([`candidates_ready`]): the ICE servers or options change.
pub fn forget_candidates() {
    GATHERED.with(|g| g.set(None));
}

/// ICE gathering is capped so a bad network never delays call set-up by tens of seconds.
pub const ICE_GATHER_CAP_MS: i32 = 2_000;

/// A property of a JS object (None when reading it throws): one site for every such read.
#[inline(never)]
pub fn prop(o: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(o, &JsValue::from_str(key)).ok()
}

/// Sets a property of a JS object (a setter that throws is ignored): one site instead of a browser
/// binding per property (each a function of its own in the JS glue).
#[inline(never)]
pub fn set(o: &JsValue, key: &str, v: &JsValue) {
    let _ = Reflect::set(o, &JsValue::from_str(key), v);
}

/// A session description `{type: kind, sdp}` ("offer", "answer", "pranswer", "rollback": no SDP).
pub fn description(kind: &str, sdp: Option<&str>) -> RtcSessionDescriptionInit {
    let d = js_sys::Object::new();
    set(&d, "type", &JsValue::from_str(kind));
    if let Some(sdp) = sdp {
        set(&d, "sdp", &JsValue::from_str(sdp));
    }
    d.unchecked_into()
}

/// A description property of `pc` (`localDescription`, `remoteDescription`) and its `key` ("sdp", "type"),
/// None while it has none.
fn described(pc: &RtcPeerConnection, which: &str, key: &str) -> Option<String> {
    prop(pc, which).filter(|d| !d.is_null() && !d.is_undefined()).map(|d| prop_str(&d, key))
}

/// `pc`'s local SDP, None while it has no local description.
pub fn local_sdp(pc: &RtcPeerConnection) -> Option<String> {
    described(pc, "localDescription", "sdp")
}

/// Whether `pc`'s ICE gathering is complete.
pub fn gathering_complete(pc: &RtcPeerConnection) -> bool {
    prop_str(pc, "iceGatheringState") == "complete"
}

/// Sets the `value` of the audio parameter `name` of a Web Audio `node` (a gain, a frequency).
pub fn set_param(node: &JsValue, name: &str, v: f64) {
    if let Some(p) = prop(node, name) {
        set(&p, "value", &JsValue::from_f64(v));
    }
}

/// A property as text ("" when missing or not a string).
#[inline(never)]
pub fn prop_str(o: &JsValue, key: &str) -> String {
    prop(o, key).and_then(|v| v.as_string()).unwrap_or_default()
}

/// A property that is a function.
#[inline(never)]
pub fn prop_fn(o: &JsValue, key: &str) -> Option<js_sys::Function> {
    prop(o, key)?.dyn_into().ok()
}

/// Why media could not start, in words for the agent.
pub fn describe_media_error(e: &JsValue) -> String {
    let name = prop_str(e, "name");
    let framed = crate::openframe::bridge::is_framed();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" if framed => crate::strings::MIC_REFUSED_IN_FRAME().into(),
        "NotAllowedError" | "SecurityError" => {
            crate::strings::MIC_BLOCKED().into()
        }
        "NotFoundError" | "OverconstrainedError" => crate::strings::MIC_NOT_FOUND().into(),
        "NotReadableError" => crate::strings::MIC_IN_USE().into(),
        _ => {
            let msg = prop_str(e, "message");
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
    let mut out = Vec::new();
    for d in list.iter() {
        let kind = prop_str(&d, "kind");
        if kind == "audioinput" || kind == "audiooutput" {
            out.push(Device { kind, id: prop_str(&d, "deviceId"), label: prop_str(&d, "label") });
        }
    }
    out
}

/// Asks for the microphone (the chosen one, when set).
pub async fn microphone() -> Result<MediaStream, String> {
    let nav = web_sys::window().ok_or("no window")?.navigator();
    let devices = nav.media_devices().map_err(|_| crate::strings::NO_MEDIA_DEVICES().to_string())?;
    let c = js_sys::Object::new();
    match crate::browser::load(MIC_KEY).filter(|id| !id.is_empty()) {
        Some(id) => {
            let audio = js_sys::Object::new();
            let exact = js_sys::Object::new();
            set(&exact, "ideal", &JsValue::from_str(&id));
            set(&audio, "deviceId", &exact);
            set(&c, "audio", &audio);
        }
        None => set(&c, "audio", &JsValue::TRUE),
    }
    set(&c, "video", &JsValue::FALSE);
    let p = devices.get_user_media_with_constraints(c.unchecked_ref()).map_err(|e| describe_media_error(&e))?;
    let s = JsFuture::from(p).await.map_err(|e| describe_media_error(&e))?;
    Ok(s.unchecked_into())
}

/// One call's media.
pub struct CallMedia {
    pub pc: RtcPeerConnection,
    /// The microphone (clones of its tracks) this call sends; empty while an incoming call rings.
    stream: std::cell::RefCell<MediaStream>,
    audio: HtmlAudioElement,
    remote: std::rc::Rc<std::cell::RefCell<Option<MediaStream>>>,
    /// The far end may be heard: false while an incoming call rings (its audio is kept, not played).
    live: std::rc::Rc<std::cell::Cell<bool>>,
    mix: std::cell::RefCell<Option<web_sys::AudioContext>>,
    /// (muted, held): the microphone is sent only when neither.
    quiet: std::cell::Cell<(bool, bool)>,
    _on_track: Closure<dyn FnMut(JsValue)>,
}

/// The peer connection settings for `ice_servers` and the ICE options, with a candidate pool: ICE
/// candidates are gathered as soon as the connection exists, before any offer or answer.
fn configuration(ice_servers: &[String]) -> RtcConfiguration {
    let opts = ICE_OPTIONS.with(|c| c.borrow().clone());
    let cfg = rtc_configuration(ice_servers, &opts.username, &opts.credential, opts.relay_only);
    set(&cfg, "iceCandidatePoolSize", &JsValue::from(1));
    cfg
}

/// Peer connection settings for `servers` (TURN ones with `user` and `cred` when a user is given), relayed
/// candidates only when `relay_only`: for calls and for the diagnostics' ICE check.
pub fn rtc_configuration(servers: &[String], user: &str, cred: &str, relay_only: bool) -> RtcConfiguration {
    let cfg = js_sys::Object::new();
    let list = Array::new();
    for url in servers {
        let s = js_sys::Object::new();
        set(&s, "urls", &JsValue::from_str(url));
        if url.starts_with("turn") && !user.is_empty() {
            set(&s, "username", &JsValue::from_str(user));
            set(&s, "credential", &JsValue::from_str(cred));
        }
        list.push(&s);
    }
    set(&cfg, "iceServers", &list);
    if relay_only {
        set(&cfg, "iceTransportPolicy", &JsValue::from_str("relay"));
    }
    cfg.unchecked_into()
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
    /// The next outgoing call's offer, made in advance.
    offer: Option<ReadyOffer>,
    /// That offer is being made.
    offering: bool,
    /// Making it failed: not tried again until the agent stops and starts taking calls.
    no_offer: bool,
    listening: bool,
    _listeners: Vec<Closure<dyn FnMut()>>,
}

/// The next outgoing call, ready but for its INVITE: a connection sending clones of the microphone's tracks
/// (nothing flows before the far end answers), its local offer set and its candidates gathered.
struct ReadyOffer {
    pc: RtcPeerConnection,
    stream: MediaStream,
    sdp: String,
    /// The microphone it was made with, and when.
    mic: String,
    at: f64,
}

impl ReadyOffer {
    fn close(self) {
        self.pc.close();
        stop_tracks(&self.stream);
    }
}

thread_local! {
    static WARM: std::cell::RefCell<Warm> = std::cell::RefCell::new(Warm::default());
}

pub fn stop_tracks(s: &MediaStream) {
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
    if let Some(o) = w.offer.take() {
        o.close();
    }
}

/// Runs `f` on the browser's task queue. Boxed here, so the queue's code exists once, not once per future.
pub fn spawn(f: impl std::future::Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(f));
}

#[inline(never)]
fn spawn_boxed(f: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(f);
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
            w.no_offer = false;
            return (None, None);
        }
        if !w.listening {
            w.listening = true;
            w._listeners = listen_for_changes();
        }
        if std::mem::take(&mut w.stale) {
            drop_warm(&mut w);
            w.refused = false;
            w.no_offer = false;
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
        // The prepared offer goes with its microphone, and is made again before its candidates grow old.
        if w.offer.as_ref().map(|o| o.mic != chosen || now - o.at > WARM_MAX_AGE_MS).unwrap_or(false) {
            if let Some(o) = w.offer.take() {
                o.close();
            }
        }
        // Once the microphone is open, the connection with its candidates becomes the next call's offer.
        let mut make_offer = None;
        if w.offer.is_none() && !w.offering && !w.no_offer && w.mic.is_some() {
            // Clones of the microphone's tracks are live tracks of their own: made only when a connection takes
            // them (a clone dropped unstopped would keep the microphone in use).
            if let Some((pc, _)) = w.pc.take() {
                let s = w.mic.as_ref().map(|(_, s)| MediaStream::clone(s)).expect("checked above");
                w.offering = true;
                make_offer = Some((pc, s, w.gen));
            }
        }
        if w.pc.is_none() {
            w.pc = RtcPeerConnection::new_with_configuration(&configuration(ice_servers)).ok().map(|pc| (pc, now));
        }
        let open = w.mic.is_none() && !w.opening && !w.refused;
        w.opening |= open;
        (open.then_some(w.gen), make_offer)
    });
    let (open_mic, make_offer) = open_mic;
    if let Some((pc, stream, gen)) = make_offer {
        let mic = chosen.clone();
        spawn(async move {
            for t in stream.get_audio_tracks().iter() {
                pc.add_track_0(&t.unchecked_into(), &stream);
            }
            let sdp = local_description(&pc, false).await;
            WARM.with(|w| {
                let mut w = w.borrow_mut();
                w.offering = false;
                match sdp {
                    // Released (or refreshed) while it was made: not kept.
                    Ok(sdp) if w.gen == gen && w.offer.is_none() => w.offer = Some(ReadyOffer { pc, stream, sdp, mic, at: now }),
                    other => {
                        w.no_offer |= other.is_err();
                        ReadyOffer { pc, stream, sdp: String::new(), mic, at: now }.close();
                    }
                }
            });
        });
    }
    if let Some(gen) = open_mic {
        spawn(async move {
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
    let stale = || {
        Closure::<dyn FnMut()>::new(|| {
            WARM.with(|w| w.borrow_mut().stale = true);
            // The candidates found before may be gone.
            forget_candidates();
        })
    };
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

/// The prepared microphone (clones of its tracks) for a new call, when it is open.
pub fn warm_microphone() -> Option<MediaStream> {
    let chosen = crate::browser::load(MIC_KEY).unwrap_or_default();
    WARM.with(|w| {
        let w = w.borrow();
        // Not after a device change the line's clock has not acted on yet, nor once the device went away.
        let mic = w.mic.as_ref().filter(|(id, s)| *id == chosen && !w.stale && live(s));
        mic.map(|(_, s)| MediaStream::clone(s))
    })
}

/// Whether every audio track of `s` is still live (an unplugged or revoked microphone ends its tracks).
fn live(s: &MediaStream) -> bool {
    s.get_audio_tracks().iter().all(|t| prop_str(&t, "readyState") != "ended")
}

/// The prepared connection (candidates gathered) for a new call, when there is one.
fn warm_connection(ice_servers: &[String]) -> Result<RtcPeerConnection, String> {
    // Its candidates may be gone after a network change the line's clock has not acted on yet.
    let warm = WARM.with(|w| {
        let mut w = w.borrow_mut();
        if w.stale { None } else { w.pc.take() }
    });
    match warm {
        Some((pc, _)) => Ok(pc),
        None => RtcPeerConnection::new_with_configuration(&configuration(ice_servers))
            .map_err(|e| crate::strings::Key::WEBRTC_UNAVAILABLE.arg("why", &format_args!("{e:?}")).render()),
    }
}

/// The next outgoing call's media and offer, made while the agent took calls (None when not ready yet):
/// the INVITE can leave at once.
pub fn prepared_offer() -> Option<(CallMedia, String)> {
    let chosen = crate::browser::load(MIC_KEY).unwrap_or_default();
    let (o, stale) = WARM.with(|w| {
        let mut w = w.borrow_mut();
        (w.offer.take(), w.stale)
    });
    let o = o?;
    // Made before a device or network change (the line's clock replaces it), or its microphone went away.
    if stale || o.mic != chosen || js_sys::Date::now() - o.at > WARM_MAX_AGE_MS || described(&o.pc, "remoteDescription", "type").is_some() || !live(&o.stream) {
        o.close();
        return None;
    }
    let ReadyOffer { pc, stream, sdp, .. } = o;
    // `Clone::clone`: the same stream object (MediaStream's own `clone()` would make new tracks).
    match CallMedia::build(pc.clone(), Clone::clone(&stream), true) {
        Ok(m) => Some((m, sdp)),
        Err(_) => {
            pc.close();
            stop_tracks(&stream);
            None
        }
    }
}

/// The first transceiver of `pc` that carries audio.
fn audio_transceiver(pc: &RtcPeerConnection) -> Option<web_sys::RtcRtpTransceiver> {
    pc.get_transceivers().iter().map(|t| t.unchecked_into::<web_sys::RtcRtpTransceiver>()).find(is_audio)
}

/// Whether a transceiver carries audio (by its receiver's track, which every transceiver has).
fn is_audio(t: &web_sys::RtcRtpTransceiver) -> bool {
    let track = prop(t, "receiver").and_then(|r| prop(&r, "track"));
    track.is_some_and(|tr| prop_str(&tr, "kind") == "audio")
}

/// Creates an offer or an answer on `pc`, sets it, and returns the SDP with gathered candidates.
async fn local_description(pc: &RtcPeerConnection, answer: bool) -> Result<String, String> {
    let sdp = create_description(pc, answer).await?;
    start_set_local(pc, if answer { "answer" } else { "offer" }, &sdp, false).await
}

/// Creates an offer or an answer on `pc` without setting it (nothing starts on the network yet).
async fn create_description(pc: &RtcPeerConnection, answer: bool) -> Result<String, String> {
    let (p, name) = if answer { (pc.create_answer(), "createAnswer") } else { (pc.create_offer(), "createOffer") };
    let d = JsFuture::from(p).await.map_err(|e| format!("{name} failed: {e:?}"))?;
    Ok(prop_str(&d, "sdp"))
}

/// Sets `sdp` as the local description and returns it with its gathered candidates, the browser's
/// setLocalDescription called now rather than when the future is first polled;
/// `early`: done once the candidates a complete gathering found before are in ([`candidates_ready`]).
fn start_set_local(pc: &RtcPeerConnection, kind: &'static str, sdp: &str, early: bool) -> impl std::future::Future<Output = Result<String, String>> + 'static {
    let setting = JsFuture::from(pc.set_local_description(&description(kind, Some(sdp))));
    let pc = pc.clone();
    async move {
        setting.await.map_err(|e| format!("setLocalDescription failed: {e:?}"))?;
        gathered_local_sdp(&pc, early).await
    }
}

/// ICE candidates of each type (host, srflx, prflx, relay) in the SDP's m-section that has the most (its
/// candidates under `a=candidate`), and whether every m-section in use has at least `at_least` of each.
fn candidate_counts(sdp: &str, at_least: Option<[u16; 4]>) -> ([u16; 4], bool) {
    let (mut most, mut all, mut used) = ([0u16; 4], true, false);
    for section in crate::text::split(sdp, "\nm=").skip(1) {
        let mut n = [0u16; 4];
        for line in section.lines().filter(|l| l.starts_with("a=candidate:")) {
            let ty = crate::text::split(line, " typ ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap_or("");
            if let Some(i) = ["host", "srflx", "prflx", "relay"].iter().position(|t| *t == ty) {
                n[i] += 1;
            }
        }
        for i in 0..4 {
            most[i] = most[i].max(n[i]);
        }
        // A rejected m-section (port 0) carries no candidates.
        let rejected = section.split_whitespace().nth(1) == Some("0");
        if !rejected {
            used = true;
            all &= at_least.is_some_and(|min| (0..4).all(|i| n[i] >= min[i]));
        }
    }
    (most, used && all && at_least.is_some_and(|m| m.iter().any(|x| *x > 0)))
}

thread_local! {
    /// The candidates the last complete ICE gathering found in an m-section (per type), while the network
    /// has not changed since: a new description holding as many is complete for the SIP message (no trickle).
    static GATHERED: std::cell::Cell<Option<[u16; 4]>> = const { std::cell::Cell::new(None) };
}

/// Whether `pc`'s local description is ready to send: gathering is complete, or (`early`) every m-section in
/// use has the candidates a complete gathering found before (pooled candidates surface first; waiting for the
/// browser to call the gathering complete costs a few ms more at answer).
fn candidates_ready(pc: &RtcPeerConnection, early: bool) -> bool {
    let sdp = local_sdp(pc).unwrap_or_default();
    if gathering_complete(pc) {
        let (most, _) = candidate_counts(&sdp, None);
        if most.iter().any(|x| *x > 0) {
            GATHERED.with(|g| g.set(Some(most)));
        }
        return true;
    }
    early && candidate_counts(&sdp, GATHERED.with(|g| g.get())).1
}

/// The local description once its ICE candidates are gathered ([`candidates_ready`]: at once with prepared
/// candidates), or at the cap. Waits on the browser's events (each candidate, the gathering state), not by polling.
async fn gathered_local_sdp(pc: &RtcPeerConnection, early: bool) -> Result<String, String> {
    if !candidates_ready(pc, early) {
        let mut done = None;
        let p = Promise::new(&mut |resolve, _| done = Some(resolve));
        let done: js_sys::Function = done.expect("a promise's executor runs at once");
        let (pc2, d2) = (pc.clone(), done.clone());
        let on_change = Closure::<dyn FnMut()>::new(move || {
            if candidates_ready(&pc2, early) {
                let _ = d2.call0(&JsValue::NULL);
            }
        });
        set(pc, "onicegatheringstatechange", on_change.as_ref());
        set(pc, "onicecandidate", on_change.as_ref());
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&done, ICE_GATHER_CAP_MS);
        }
        // It may have completed between the check and the handlers.
        if candidates_ready(pc, early) {
            let _ = done.call0(&JsValue::NULL);
        }
        let _ = JsFuture::from(p).await;
        set(pc, "onicegatheringstatechange", &JsValue::NULL);
        set(pc, "onicecandidate", &JsValue::NULL);
        drop(on_change);
    }
    local_sdp(pc).ok_or_else(|| "no local description".to_string())
}

/// Whether the page paints frames (it is not hidden): what waits for [`after_paint`] waits one frame.
pub fn paints() -> bool {
    web_sys::window().and_then(|w| w.document()).map(|d| !d.hidden()).unwrap_or(false)
}

/// Runs `f` just after the next frame is painted ([`after_paint`]); one non-generic task for every caller.
pub fn after_paint_run(f: Box<dyn FnOnce()>) {
    wasm_bindgen_futures::spawn_local(async move {
        after_paint().await;
        f();
    });
}

/// Resolves just after the next frame is painted (a task queued from the frame's callback), or after 100 ms
/// when no frame comes (a hidden page).
pub async fn after_paint() {
    let Some(w) = web_sys::window() else { return };
    let p = Promise::new(&mut |resolve, _| {
        let set_timeout = prop_fn(&w, "setTimeout");
        if let Some(queue) = set_timeout.map(|f| f.bind2(&w, &resolve, &JsValue::from(0))) {
            let _ = w.request_animation_frame(queue.unchecked_ref());
        }
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 100);
    });
    let _ = JsFuture::from(p).await;
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
    /// A call's media: the prepared microphone and connection when there are, else new ones; muted when
    /// `muted` says so once it is made (mute holds for every call).
    pub async fn new(ice_servers: &[String], muted: &std::cell::Cell<bool>) -> Result<std::rc::Rc<CallMedia>, String> {
        // The microphone for a call: the prepared one, or asked for now.
        let stream = match warm_microphone() {
            Some(s) => s,
            None => microphone().await?,
        };
        let pc = warm_connection(ice_servers)?;
        for t in stream.get_audio_tracks().iter() {
            let track: web_sys::MediaStreamTrack = t.unchecked_into();
            pc.add_track_0(&track, &stream);
        }
        let media = std::rc::Rc::new(CallMedia::build(pc, stream, true)?);
        media.set_muted(muted.get());
        Ok(media)
    }

    /// An incoming call's media while it rings: the far end's offer taken and our answer made (candidates
    /// gathered), so answering only has to send it. Nothing is sent or played before [`CallMedia::go_live`]:
    /// the audio transceiver sends no track and the far end's audio is kept off the speaker.
    pub async fn ringing(ice_servers: &[String], offer: &str) -> Result<(CallMedia, String), String> {
        let stream = MediaStream::new().map_err(|_| "no media stream")?;
        let m = CallMedia::build(warm_connection(ice_servers)?, stream, false)?;
        // An offer the browser refuses (a plain RTP offer without DTLS, a flood of them) leaves no connection open.
        if let Err(why) = m.set_remote("offer", offer, crate::strings::AUDIO_OFFER()).await {
            m.close();
            return Err(why);
        }
        // The first offered audio stream is answered send-and-receive (as a microphone's track added before
        // the offer would be), associated with our stream; the track comes on answer.
        if let Some(t) = audio_transceiver(&m.pc) {
            set(&t, "direction", &JsValue::from_str("sendrecv"));
            let sender = t.sender();
            if let Some(f) = prop_fn(&sender, "setStreams") {
                let _ = f.call1(&sender, &m.stream.borrow());
            }
        }
        // Created, not set: setting it would start ICE checks and the DTLS handshake towards the caller (its
        // network would see us, and a forked call would meet every ringing agent's handshake) before anyone
        // answers. [`CallMedia::commit_answer`] sets it on Answer.
        match create_description(&m.pc, true).await {
            Ok(sdp) => Ok((m, sdp)),
            Err(why) => {
                m.close();
                Err(why)
            }
        }
    }

    /// The agent answered: the answer made while it rang is set; returns it with its gathered candidates
    /// (prepared candidates make this quick).
    pub fn commit_answer(&self, answer: &str) -> impl std::future::Future<Output = Result<String, String>> + 'static {
        start_set_local(&self.pc, "answer", answer, true)
    }

    /// The agent answered: the call sends `mic` (clones of the microphone's tracks) and plays the far end.
    pub fn go_live(&self, mic: MediaStream) {
        let track = mic.get_audio_tracks().iter().next();
        *self.stream.borrow_mut() = mic;
        self.apply_quiet();
        if let (Some(sender), Some(track)) = (self.sender(), track) {
            let _ = sender.replace_track(Some(&track.unchecked_into()));
        }
        self.live.set(true);
        if let Some(b) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
            let _ = b.append_child(&self.audio);
        }
        if let Some(s) = self.remote.borrow().as_ref() {
            set(&self.audio, "srcObject", s);
            let _ = self.audio.play();
        }
    }

    /// A call's media on `pc` sending `stream`; the far end is played at once when `live`.
    fn build(pc: RtcPeerConnection, stream: MediaStream, live: bool) -> Result<CallMedia, String> {
        let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
        let audio: HtmlAudioElement = doc.create_element("audio").map_err(|_| "no audio element")?.unchecked_into();
        set(&audio, "autoplay", &JsValue::TRUE);
        audio.set_attribute("data-remote-audio", "").ok();
        super::audio::set_sink(&audio, crate::browser::load(SPEAKER_KEY).filter(|s| !s.is_empty()).as_deref());
        if let (true, Some(b)) = (live, doc.body()) {
            let _ = b.append_child(&audio);
        }
        let a2 = audio.clone();
        let remote = std::rc::Rc::new(std::cell::RefCell::new(None));
        let r2 = remote.clone();
        let live = std::rc::Rc::new(std::cell::Cell::new(live));
        let l2 = live.clone();
        let on_track = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let ev: RtcTrackEvent = ev.unchecked_into();
            let streams = ev.streams();
            // A far end that names no stream for its track: the track in a stream of its own.
            let s: Option<MediaStream> = if streams.length() > 0 {
                Some(streams.get(0).unchecked_into())
            } else {
                MediaStream::new_with_tracks(&Array::of1(&ev.track())).ok()
            };
            if let Some(s) = s {
                if l2.get() {
                    set(&a2, "srcObject", &s);
                    let _ = a2.play();
                }
                *r2.borrow_mut() = Some(s);
            }
        });
        set(&pc, "ontrack", on_track.as_ref());
        let stream = std::cell::RefCell::new(stream);
        Ok(CallMedia { pc, stream, audio, remote, live, mix: std::cell::RefCell::new(None), quiet: Default::default(), _on_track: on_track })
    }

    /// Applies the far end's description of `kind` (the error names what was refused).
    /// (The browser's setRemoteDescription is called now; every caller awaits the future at once.)
    fn set_remote(&self, kind: &'static str, sdp: &str, what: &'static str) -> impl std::future::Future<Output = Result<(), String>> + 'static {
        let setting = JsFuture::from(self.pc.set_remote_description(&description(kind, Some(sdp))));
        async move {
            setting.await.map_err(|e| crate::strings::Key::MEDIA_REFUSED.arg("what", &what).arg("why", &format_args!("{e:?}")).render())?;
            Ok(())
        }
    }

    /// Creates our offer or answer, sets it, and returns the SDP with gathered candidates.
    fn set_local(&self, answer: bool) -> impl std::future::Future<Output = Result<String, String>> + '_ {
        local_description(&self.pc, answer)
    }

    /// Creates an offer (for a new call or a re-INVITE) and returns the SDP with gathered candidates.
    pub fn offer(&self) -> impl std::future::Future<Output = Result<String, String>> + '_ {
        self.set_local(false)
    }

    /// Takes the far end's offer and returns our answer.
    pub async fn answer(&self, offer: &str) -> Result<String, String> {
        self.set_remote("offer", offer, crate::strings::AUDIO_OFFER()).await?;
        self.set_local(true).await
    }

    /// Applies the far end's answer to our offer; `provisional`: the SDP of a 183, as a provisional answer
    /// (early media; the 200's answer replaces it).
    pub fn accept<'a>(&'a self, answer: &'a str, provisional: bool) -> impl std::future::Future<Output = Result<(), String>> + 'a {
        let (kind, what) = if provisional {
            ("pranswer", crate::strings::EARLY_AUDIO())
        } else {
            ("answer", crate::strings::AUDIO_ANSWER())
        };
        self.set_remote(kind, answer, what)
    }

    /// True while our offer has no answer from the far end, or only a provisional one (183).
    pub fn awaits_answer(&self) -> bool {
        described(&self.pc, "remoteDescription", "type").map(|t| t == "pranswer").unwrap_or(true)
    }

    /// Hold (sendonly) or resume (sendrecv): sets the direction and returns the new offer. On hold the
    /// microphone is not sent: the held party hears silence, not the agent talking to someone else.
    pub fn hold_offer(&self, hold: bool) -> impl std::future::Future<Output = Result<String, String>> + '_ {
        self.set_held(hold);
        self.offer()
    }

    fn set_held(&self, hold: bool) {
        self.quiet.set((self.quiet.get().0, hold));
        self.apply_quiet();
        let dir = JsValue::from_str(if hold { "sendonly" } else { "sendrecv" });
        for t in self.pc.get_transceivers().iter() {
            set(&t, "direction", &dir);
        }
    }

    /// Our offer was refused: back to the last agreed description and its direction (rolling back in
    /// `stable` is refused by the browser and changes nothing). Returns whether that agreement holds the call.
    pub async fn rollback(&self) -> bool {
        let _ = JsFuture::from(self.pc.set_local_description(&description("rollback", None))).await;
        let sdp = local_sdp(&self.pc).unwrap_or_default();
        let held = crate::text::contains(&sdp, "a=sendonly") || crate::text::contains(&sdp, "a=inactive");
        self.set_held(held);
        held
    }

    /// The current direction of the audio transceiver ("sendrecv", "sendonly", ...).
    pub fn direction(&self) -> String {
        self.pc
            .get_transceivers()
            .iter()
            .next()
            .map(|t| prop_str(&t, "currentDirection"))
            .unwrap_or_default()
    }

    pub fn set_muted(&self, muted: bool) {
        self.quiet.set((muted, self.quiet.get().1));
        self.apply_quiet();
    }

    fn apply_quiet(&self) {
        let (muted, held) = self.quiet.get();
        for t in self.stream.borrow().get_audio_tracks().iter() {
            let t: web_sys::MediaStreamTrack = t.unchecked_into();
            set(&t, "enabled", &JsValue::from_bool(!(muted || held)));
        }
    }

    /// Sends DTMF in the RTP stream (RFC 4733); false when the peer did not negotiate telephone-event.
    pub fn send_dtmf(&self, digit: char) -> bool {
        for s in self.pc.get_senders().iter() {
            let s: web_sys::RtcRtpSender = s.unchecked_into();
            if let Some(d) = s.dtmf() {
                let can = prop(&d, "canInsertDTMF").and_then(|v| v.as_bool()).unwrap_or(false);
                let insert = prop_fn(&d, "insertDTMF");
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
        let track = prop(&receiver, "track")?;
        let tracks = Array::of1(&track);
        let from_receiver = MediaStream::new_with_tracks(&tracks).ok();
        from_receiver.or_else(|| self.remote.borrow().clone())
    }

    /// The sender of the call's audio: the audio transceiver's (an offer may put a video stream first, which
    /// is answered without sending), else the first.
    fn sender(&self) -> Option<web_sys::RtcRtpSender> {
        audio_transceiver(&self.pc).map(|t| t.sender()).or_else(|| self.pc.get_senders().iter().next().map(|s| s.unchecked_into()))
    }

    /// Sends the microphone again (after a conference ends).
    pub fn unmix(&self) {
        if let Some(ctx) = self.mix.borrow_mut().take() {
            let _ = ctx.close();
        }
        if let (Some(sender), Some(track)) = (self.sender(), self.stream.borrow().get_audio_tracks().iter().next()) {
            let track: web_sys::MediaStreamTrack = track.unchecked_into();
            let _ = sender.replace_track(Some(&track));
        }
    }

    pub fn close(&self) {
        self.unmix();
        self.pc.close();
        for t in self.stream.borrow().get_tracks().iter() {
            let t: web_sys::MediaStreamTrack = t.unchecked_into();
            t.stop();
        }
        set(&self.audio, "srcObject", &JsValue::NULL);
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
        let name = prop_str(&e, "message");
        crate::strings::Key::CONFERENCE_MIX_FAILED.arg("why", &format_args!("{what}: {name}")).render()
    };
    let mix_for = |own: &CallMedia, other_remote: &MediaStream| -> Result<(), String> {
        let ctx = web_sys::AudioContext::new().map_err(|e| why("audio context", e))?;
        let dest = ctx.create_media_stream_destination().map_err(|e| why("destination", e))?;
        let mic = ctx.create_media_stream_source(&own.stream.borrow()).map_err(|e| why("microphone", e))?;
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

#[cfg(test)]
mod tests {
    use super::candidate_counts;

    const HEAD: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n";
    const HOST: &str = "a=candidate:1 1 udp 2122260223 10.0.0.5 50000 typ host generation 0\r\n";
    const SRFLX: &str = "a=candidate:2 1 udp 1686052607 203.0.113.7 50000 typ srflx raddr 10.0.0.5 rport 50000 generation 0\r\n";
    const RELAY: &str = "a=candidate:3 1 udp 41885439 198.51.100.2 3478 typ relay raddr 203.0.113.7 rport 50000 generation 0\r\n";

    fn section(port: u16, cands: &[&str]) -> String {
        format!("m=audio {port} UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n{}", cands.concat())
    }

    #[test]
    fn a_description_is_complete_once_each_section_in_use_has_the_candidates_found_before() {
        let full = format!("{HEAD}{}", section(9, &[HOST, SRFLX, RELAY]));
        assert_eq!(candidate_counts(&full, None), ([1, 1, 0, 1], false), "nothing known before: wait for the browser");
        assert!(candidate_counts(&full, Some([1, 1, 0, 1])).1);
        // The relay candidate found before has not surfaced yet.
        let partial = format!("{HEAD}{}", section(9, &[HOST, SRFLX]));
        assert!(!candidate_counts(&partial, Some([1, 1, 0, 1])).1);
        // A second section in use without its candidates; a rejected one (port 0) needs none.
        let two = format!("{HEAD}{}{}", section(9, &[HOST]), section(9, &[]));
        assert!(!candidate_counts(&two, Some([1, 0, 0, 0])).1);
        let rejected = format!("{HEAD}{}{}", section(9, &[HOST]), section(0, &[]));
        assert!(candidate_counts(&rejected, Some([1, 0, 0, 0])).1);
        // No description yet, or nothing found before.
        assert!(!candidate_counts("", Some([1, 0, 0, 0])).1);
        assert!(!candidate_counts(&format!("{HEAD}{}", section(9, &[])), Some([0, 0, 0, 0])).1);
    }
}
