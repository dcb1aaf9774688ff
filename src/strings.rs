//! Every text the agent sees, in one place, ready for translation.

pub const APP_TITLE: &str = "Agent Desktop";
pub const TAB_PHONE: &str = "Phone";
pub const TAB_DIRECTORY: &str = "Directory";
pub const TAB_RECENTS: &str = "Recents";
pub const NAV_LABEL: &str = "Desktop sections";
pub const LINE_DEMO: &str = "Demo line";
pub const LINE_SIP: &str = "SIP line";
pub const MODE_EMBEDDED: &str = "In ServiceNow";
pub const MODE_STANDALONE: &str = "Standalone";
pub const STANDALONE_NO_TOP: &str = "ServiceNow features (screen pop, click-to-call) are off: no topDomain in the address.";
pub const POPPED_OUT: &str = "Popped out: screen pops and click-to-call go through the desktop's frame in ServiceNow; keep that ServiceNow tab open. Close this tab to put the phone back there.";
pub const STANDALONE_OWN_TAB: &str = "ServiceNow features (screen pop, click-to-call) are off in this tab: it was not opened inside ServiceNow.";
pub const LOADING_SETTINGS: &str = "Loading settings…";
pub const SETTINGS_PROBLEMS: &str = "Settings problems (defaults are used instead):";
pub const PHONE_IDLE: &str = "No calls. Calls you take or place appear here.";
pub const DIRECTORY_EMPTY: &str = "No speed dials configured.";
pub const DIRECTORY_HEADING: &str = "Speed dials";
pub const RECENTS_EMPTY: &str = "No recent calls.";
pub const DISMISS: &str = "Dismiss";

/// "config.json could not be loaded (HTTP 404)..." with the path and reason filled in.
pub fn config_load_failed(path: &str, reason: &str) -> String {
    format!("{path} could not be loaded ({reason}): the desktop uses its built-in defaults. Check that the file is deployed next to index.html.")
}

pub const TAB_DIAGNOSTICS: &str = "Status";
pub const OPENFRAME_REFUSED: &str = "ServiceNow message not sent";
pub const HANDSHAKE_UNCONFIRMED: &str = "ServiceNow did not answer the OpenFrame handshake within 10 seconds; the desktop goes on with the topDomain from its address. If ServiceNow does not react (no screen pops, no click-to-call), add this desktop's origin to the instance property glide.ui.concourse.onmessage_enforce_same_origin_whitelist.";
pub const USING_LOCAL_SETTINGS: &str = "the desktop uses its own settings";
pub const MUTE: &str = "Mute";
pub const UNMUTE: &str = "Unmute";
pub const MUTED: &str = "Muted";
pub const POP_OUT: &str = "Pop out";
pub const TAKE_BACK_FAILED: &str = "The call could not be taken back after the page reloaded or the phone moved";
pub const REMOTE_PHONE: &str = "The phone is in another window of the desktop; this view controls it.";
pub const PHONE_IN: &str = "Phone";
pub const PHONE_HERE: &str = "In this window";
pub const PHONE_ELSEWHERE: &str = "In another window (this one is a remote view)";
pub const PHONE_LOOKING: &str = "Looking for the window that has it";
pub const USE_PHONE_HERE: &str = "Use the phone here";
pub const NOT_LINKED: &str = "This window is not linked to your desktop: it shows no calls and its buttons do nothing. \"Use the phone here\" asks in the window that has the phone.";
pub const PHONE_NOT_LINKED: &str = "In another window, not linked to this one";
pub const ASKED_OWNER: &str = "Asked in the window that has the phone: allow it there.";
pub const ASK_PHONE: &str = "Another window of the desktop asks for the phone.";
pub const GIVE_PHONE: &str = "Give it the phone";
pub const REFUSE: &str = "Refuse";
pub const SN_NOT_VOUCHED: &str = "ServiceNow requests wait until this window is shown inside ServiceNow or linked to one that is (or an admin sets servicenow.instance in config.json): an address alone does not decide where the agent's sign-in is sent.";
pub const SHOW_PHONE: &str = "Show that window";
pub const POPUP_BLOCKED: &str = "The browser blocked the pop-out window: allow pop-ups for this site, then try again.";
pub const INCOMING_CALL: &str = "Incoming call";
pub const INBOUND: &str = "Incoming";
pub const OUTBOUND: &str = "Outgoing";
pub const AGENT_STATE: &str = "Agent state";
pub const NUMBER_TO_DIAL: &str = "Number to dial";
pub const CALL: &str = "Call";
pub const ANSWER: &str = "Answer";
pub const REJECT: &str = "Reject";
pub const HANG_UP: &str = "Hang up";
pub const HOLD: &str = "Hold";
pub const RESUME: &str = "Resume";
pub const CLEAR: &str = "Clear";
pub const OPEN_RECORD: &str = "Open record";
pub const SIMULATE_INCOMING: &str = "Simulate incoming call";
pub const STATE_DIALING: &str = "Dialing…";
pub const STATE_RINGING: &str = "Ringing…";
pub const STATE_ALERTING: &str = "Incoming call";
pub const STATE_CONNECTED: &str = "Connected";
pub const STATE_HELD: &str = "On hold";
pub const OF_HEADING: &str = "ServiceNow (OpenFrame)";
pub const OF_STANDALONE: &str = "Off: not inside ServiceNow";
pub const OF_CONNECTING: &str = "Connecting…";
pub const OF_CONFIGURING: &str = "Reading the OpenFrame configuration…";
pub const OF_READY: &str = "Connected";
pub const OF_UNCONFIRMED: &str = "Connected (unconfirmed)";
pub const OF_FAILED: &str = "Refused";
pub const OF_MESSAGES: &str = "Last messages";
pub const OF_NONE: &str = "No messages yet.";

/// "Call ended: The line is busy" and friends.
pub fn call_ended(reason: &crate::phone::call::EndReason) -> String {
    use crate::phone::call::EndReason::*;
    match reason {
        HungUp => "Call ended".into(),
        RemoteHungUp => "The other party hung up".into(),
        Rejected => "Call rejected".into(),
        Missed => "Missed call".into(),
        Cancelled => "Call cancelled".into(),
        Failed(m) => format!("Call failed: {m}"),
        Transferred => "Call transferred".into(),
        AnsweredElsewhere => "Answered elsewhere".into(),
    }
}
pub const SIGN_IN_USER_REQUIRED: &str = "Enter your SIP user name.";
pub const NOT_SIGNED_IN: &str = "The phone is not signed in to the SIP server yet.";
pub const AUTO_REJECTED: &str = "Refused automatically: you were not Ready";
pub const TRANSFER_DONE: &str = "Transferred";
pub const TRANSFER_FAILED: &str = "Transfer failed";
pub const TRANSFER_PROGRESS: &str = "Transferring…";
pub const DTMF_SENT: &str = "Sent";
pub const SIGN_IN: &str = "Sign in";
pub const SIGN_OUT: &str = "Sign out";
pub const SIP_SERVER: &str = "SIP server (wss://)";
pub const SIP_USER: &str = "User";
pub const SIP_PASSWORD: &str = "Password";
pub const LINE_CONNECTING: &str = "Connecting…";
pub const LINE_REGISTERED: &str = "SIP ready";
pub const LINE_SIGNED_OUT: &str = "Signed out";
pub const LINE_DOWN: &str = "Line down";
pub const KEYPAD: &str = "Keypad";
pub const TRANSFER: &str = "Transfer";
pub const TRANSFER_TARGET: &str = "Transfer to (number)";
pub const BLIND_TRANSFER: &str = "Transfer now";
pub const CONSULT: &str = "Consult first";
pub const COMPLETE_TRANSFER: &str = "Complete transfer";
pub const PACKETS: &str = "Audio packets";
pub const IN_CONFERENCE: &str = "In conference";
pub const MERGE: &str = "Merge calls";
pub const DEVICES: &str = "Audio devices";
pub const MICROPHONE: &str = "Microphone";
pub const SPEAKER: &str = "Speaker";
pub const RINGER: &str = "Ringer";
pub const DEFAULT_DEVICE: &str = "Default";
pub const SETUP_TIME: &str = "Last call set-up (dial to INVITE sent)";
pub const WRAPUP_DONE: &str = "Wrap-up finished";
pub const WRAPUP_OVERDUE: &str = "Wrap-up time is up: finish the wrap-up to take the next call.";
pub const WRAPUP_TITLE: &str = "Wrap-up";
pub const DISPOSITION: &str = "Disposition";
pub const CHOOSE_DISPOSITION: &str = "Choose…";
pub const NOTES: &str = "Notes";
pub const RECORD: &str = "Record";
pub const NO_RECORD: &str = "No record";
pub const REMOVE_RECORD: &str = "Remove";
pub const FINISH_WRAPUP: &str = "Finish wrap-up";
pub const SECONDS_LEFT: &str = "s left";
pub const OUTBOX_PENDING: &str = "Activities waiting for ServiceNow";
pub const REDIAL: &str = "Redial";
pub const BACKSPACE: &str = "Delete last digit";
pub const DIAL_PAD: &str = "Dial pad";
pub const SEARCH_DIRECTORY: &str = "Search people, queues, numbers";
pub const FAVOURITE: &str = "Favourite";
pub const NO_MATCHES: &str = "No matches.";
pub const SHORTCUTS: &str = "Keyboard shortcuts";
pub const SHORTCUTS_HELP: &str = "Shortcuts";
pub const MISSED_CALL: &str = "Missed call";
pub const CALLBACK: &str = "Call back";
pub const REMEMBER_PASSWORD: &str = "Remember my password on this computer (saved unencrypted in this browser: anyone using this browser profile can read it)";
pub const SN_SESSION_ENDED: &str = "Your ServiceNow sign-in has ended: sign in again. Call activity waits on this computer until then.";
pub const POP_FAILED: &str = "Screen pop failed";
/// Some of a call's X- headers were over the limits and left out.
pub fn x_headers_dropped(n: usize) -> String {
    format!("{n} of the call's data headers were left out (at most 16 X- headers of up to 256 characters each are kept)")
}
/// ServiceNow accepted a work note but it is not on the record when read back.
pub fn note_not_stored(table: &str, id: &str) -> String {
    format!("ServiceNow accepted the call's note for {table} {id} but did not store it (read back: not there). The table may have no work notes, or an ACL or business rule dropped it: the activity stays here; an admin can check servicenow.activityTables and the agent's write access to work notes.")
}
/// The outbox holds as many activities as it keeps.
pub fn outbox_full(max: usize, refused: usize) -> String {
    format!("{max} call activities are already waiting for ServiceNow ({refused} of them refused): this wrap-up stays here. Open Status, read and dismiss the refused ones, or sign in to ServiceNow so the others can be written.")
}
pub const SN_DISMISS: &str = "Dismiss";
pub const SN_COPY: &str = "Copy notes";
pub const SN_DISMISS_SURE: &str = "Dismiss for good? These notes are not in ServiceNow: copy them first.";
pub const SN_DISMISS_ELSEWHERE: &str = "Dismiss from the window that has the phone.";
pub const NOTE_NOT_READ_BACK: &str = "The call's note was sent but could not be read back yet:";
pub const CARRIED_IGNORED: &str = "The call's ServiceNow data was ignored (the caller's number is matched instead):";
pub const CARRIED_TABLE_NOT_ALLOWED: &str = "is not a table calls may open (an admin can add it to servicenow.screenPopTables)";
pub const CARRIED_NOT_SYS_ID: &str = "is not a sys_id (32 hexadecimal characters)";
pub const CARRIED_NOT_NUMBER: &str = "is not a case number such as CS0001001";
pub const SN_HEADING: &str = "ServiceNow";
pub const SN_SIGN_IN: &str = "Sign in to ServiceNow";
pub const SN_SIGNING_IN: &str = "Signing in… (finish in the ServiceNow window)";
pub const SN_SIGNED_IN: &str = "Signed in";
pub const SN_SIGN_OUT: &str = "Sign out of ServiceNow";
pub const SN_OFF: &str = "Not connected (no instance configured)";
pub const SN_PENDING: &str = "Call activities waiting for ServiceNow";
/// Before the reason ServiceNow refused the look-up made after an unclear write.
pub const CHECK_REFUSED: &str = "ServiceNow refused to say whether this activity was written (check the record, then dismiss): ";
pub const SN_REFUSED: &str = "Refused by ServiceNow";
pub const POP_CHOOSE: &str = "Several records match this caller:";
pub const POP_NONE: &str = "No ServiceNow record matches this caller.";
pub const POP_NEW_CONTACT: &str = "New contact";
pub const SN_DELIVERY_WAITING: &str = "Call activity is waiting on this computer and will be retried:";
pub const DEMO_LINE_NUMBER: &str = "demo line";
pub const SN_SIGN_IN_FIRST: &str = "Sign in to ServiceNow first (Status tab).";
pub const MORE_RESULTS: &str = "More results from ServiceNow";
pub const CHANGE_RECORD: &str = "Case number";
pub const SET_RECORD: &str = "Use";
pub const ON_CALL: &str = "On call";
pub const DTMF_SENT_AUDIO: &str = "Sent in the audio";
pub const DTMF_SENT_INFO: &str = "Sent by SIP INFO";
pub const DTMF_NOT_SENT: &str = "The digit could not be sent on this call";

// ---- ServiceNow REST: causes of failures, read-back, token renewal (sn) ----
/// A request's connection closed after it went out (the instance answers this origin otherwise).
pub const SN_DROPPED: &str = "The connection to ServiceNow dropped before it answered (the request may have arrived; the desktop checks before sending it again).";
/// A request got no answer in time.
pub fn sn_timeout(secs: i32) -> String {
    format!("ServiceNow did not answer within {secs} s (the request may have arrived; the desktop checks before sending it again).")
}
pub const SN_UNREACHABLE: &str = "ServiceNow cannot be reached: check the network connection.";
/// No REST CORS rule lets the desktop's origin read ServiceNow's answers.
pub fn sn_no_cors_rule(origin: &str) -> String {
    format!("ServiceNow refused the request from {origin}: an admin must add a CORS rule for this origin (System Web Services > REST > CORS Rules; methods GET, POST, PATCH; headers Authorization, Content-Type, Accept; expose X-Total-Count, Link, Retry-After).")
}
/// The token endpoint does not let the desktop's origin read its answers.
pub fn sn_no_oauth_cors(origin: &str) -> String {
    format!("ServiceNow refused the sign-in token request from {origin}: an admin must set the instance property glide.oauth.cors.allowed.origin to this origin.")
}
pub const SN_403_HINT: &str = " (the ServiceNow user lacks a role, e.g. sn_openframe_user, or an ACL refuses it)";
pub const SN_404_HINT: &str = " (the record or API does not exist, or an ACL hides it)";
/// The look-up that confirms an activity was refused: what it needs.
pub fn lookup_refused(what: &str, cause: &str) -> String {
    format!("ServiceNow refused the look-up that confirms this activity was written once ({cause}). The agent needs read access to {what}: an admin can grant it (README, ServiceNow data). The activity may already be in ServiceNow: check the record before dismissing it.")
}
/// The look-up's reply lacks the field that confirms the activity.
pub fn lookup_blind(table: &str, id: &str, field: &str) -> String {
    format!("ServiceNow accepted the call's activity for {table} {id} but did not return its {field} field to confirm it: the table has no such field or the agent cannot read it. The activity stays here; an admin can check servicenow.activityTables and the agent's read access to {table}.{field}.")
}
/// The phone log was written but its task reference field did not keep the task.
pub fn phone_log_task_missing(field: &str, task: &str) -> String {
    format!("The phone log was written but its field '{field}' does not hold the task {task}: this instance's phone log has no field '{field}' (set servicenow.phoneLogTaskField to the phone log's reference to its task) or the agent cannot read it. The activity stays here.")
}
/// The token could not be renewed with the refresh token.
pub const SN_RENEW_FAILED: &str = "ServiceNow did not renew the sign-in: sign in again. Call activity waits on this computer until then.";
pub const SN_NO_ACCESS_TOKEN: &str = "ServiceNow returned no access token";
pub const CFG_FIELD_NAME: &str = "must be a field name (lower-case letters, digits and _), e.g. \"task\" or \"u_case\"";
/// A token is not sent to another origin than the instance that issued it.
pub fn sn_wrong_instance(instance: &str, target: &str) -> String {
    format!(
        "The ServiceNow sign-in belongs to {}; it is not sent to {}. Sign in to ServiceNow again.",
        if instance.is_empty() { "another instance" } else { instance },
        if target.is_empty() { "that address" } else { target }
    )
}
// ---- Outbox (issue 15 part B) ----
pub const SN_RATE_LIMITED: &str = "ServiceNow asked to wait (rate limit or busy); it is checked before it is sent again.";
pub const SN_WAITING_SIGN_IN: &str = "Waiting for you to sign in to ServiceNow again";
pub fn outbox_stuck(attempts: u32, last: &str) -> String {
    format!("Stopped after {attempts} attempts that settled nothing (last: {last}). Check the record, then retry or discard.")
}
pub fn stored_unreadable(key: &str, aside: Option<&str>, why: &str) -> String {
    match aside {
        Some(a) => format!("Saved data in this browser ({key}) could not be read ({why}). It was kept aside as {a} and not used: an admin can recover it from the browser's storage."),
        None => format!("Saved data in this browser ({key}) could not be read ({why}) and there was no room to keep it aside."),
    }
}
pub fn stored_full(key: &str) -> String {
    format!("This browser's storage is full: {key} could not be saved. What is on screen is kept only in this window until it is saved: copy your notes now, or free some space (close other sites' data).")
}
pub const STORED_DISMISS: &str = "OK";
pub const SN_RETRY: &str = "Retry";
pub const SN_STUCK: &str = "Call activity that needs you (the others are written meanwhile)";

// ---- ui (#17): errors that used to pass for results, the wide layout ----
/// A directory search in ServiceNow failed; the reason follows.
pub fn directory_search_failed(reason: &str) -> String {
    format!("ServiceNow's people and contacts could not be searched ({reason}). Only speed dials, queues and recent callers are shown: search again, or check the connection in the Status tab.")
}
/// An audio output could not be switched to the chosen device (`what`: Ringer, Speaker).
pub fn device_refused(what: &str, reason: &str) -> String {
    format!("{what}: the chosen device could not be used ({reason}), so the default output plays instead. Choose another device in Status > Audio devices, or allow this site to use it.")
}
/// The ring tone could not start.
pub fn ring_not_played(reason: &str) -> String {
    format!("The ring tone could not play ({reason}): incoming calls are silent. Click anywhere in the desktop to allow sound, or allow sound for this site in the browser.")
}
/// A chosen device is no longer connected (`what`: Microphone, Speaker, Ringer).
pub fn device_gone(what: &str) -> String {
    format!("{what}: the chosen device is no longer connected, so the default device is used. Plug it back in, or choose another in Status > Audio devices.")
}
/// Choosing an output device is not possible in this browser.
pub fn device_choice_unsupported(what: &str) -> String {
    format!("{what}: this browser cannot send sound to a chosen device, so the default output plays. Use Chrome or Edge to choose one.")
}
pub const SOUND_NOT_ALLOWED_YET: &str = "the browser allows sound only after a click or a key press in the page";
pub const HELP_KEY: &str = "Show or hide this help (Escape closes it)";

// Call quality (crate::phone::quality), self-checks and the support text (crate::diagnostics).
pub const QUALITY: &str = "Call quality";
pub const QUALITY_GOOD: &str = "Good";
pub const QUALITY_FAIR: &str = "Fair";
pub const QUALITY_POOR: &str = "Poor";
pub const QUALITY_DETAILS: &str = "Call quality details";
pub const QUALITY_MOS: &str = "Estimated MOS (1-5, ITU-T G.107)";
pub const QUALITY_LOSS: &str = "Packet loss (received)";
pub const QUALITY_REMOTE_LOSS: &str = "Packet loss (at the other side)";
pub const QUALITY_JITTER: &str = "Jitter";
pub const QUALITY_RTT: &str = "Round-trip time";
pub const QUALITY_CODEC: &str = "Codec";
pub const QUALITY_NO_AUDIO: &str = "The caller's audio is not reaching you.";
pub const QUALITY_NO_AUDIO_TRY: &str = "Ask the caller whether they hear you and are not on mute or hold. If they are talking, your network or a firewall may block incoming audio: run \"Check my setup\" in Status, or call back.";
pub const QUALITY_LOSING: &str = "Your connection is losing audio.";
pub const QUALITY_LOSING_TRY: &str = "Parts of the conversation may be missing. Stop downloads, video and screen sharing; use a cable instead of Wi-Fi if you can; if it goes on, tell your supervisor and run \"Check my setup\" in Status.";
pub const QUALITY_WAS_NO_AUDIO: &str = "audio did not reach you for a while";
pub const QUALITY_WAS_LOSING: &str = "audio was lost for a while";
pub const QUALITY_AVERAGE: &str = "average";
pub const QUALITY_LOWEST: &str = "lowest";
pub const SUPPORT: &str = "Support";
pub const CHECK_SETUP: &str = "Check my setup";
pub const CHECKING: &str = "Checking…";
pub const CHECK_PASSED: &str = "OK";
pub const CHECK_FAILED: &str = "Problem";
pub const CHECK_SKIPPED: &str = "Not checked";
pub const CHECK_MIC: &str = "Microphone";
pub const CHECK_SPEAKER: &str = "Speaker test tone";
pub const CHECK_RINGER: &str = "Ringer test tone";
pub const CHECK_WS: &str = "SIP server reachable (WebSocket)";
pub const CHECK_REGISTERED: &str = "Signed in to the SIP server";
pub const CHECK_ICE_HOST: &str = "Network: local address";
pub const CHECK_ICE_STUN: &str = "Network: public address (STUN)";
pub const CHECK_ICE_RELAY: &str = "Network: relay (TURN)";
pub const CHECK_SN: &str = "ServiceNow reachable and signed in";
pub const CHECK_LEVEL: &str = "Microphone level";
pub const CHECK_SETUP_PROBLEMS: &str = "Check my setup found problems: see Status.";
pub const MIC_HEARD: &str = "Allowed; it picks up sound.";
pub const MIC_SILENT: &str = "Allowed, but no sound was picked up: unmute the microphone (a switch on the headset or in the system settings) or choose another one under Audio devices.";
pub const TONE_PLAYED: &str = "A test tone played: if you heard nothing, choose another device under Audio devices or turn up the volume.";
pub fn tone_failed(why: &str) -> String {
    format!("The test tone could not play ({why}): choose another device under Audio devices.")
}
pub const WS_OPEN: &str = "Reached; it speaks SIP over WebSocket.";
pub const WS_NO_SERVER: &str = "No SIP server is configured (sip.server): ask your admin, or type it at sign-in.";
pub fn ws_failed(url: &str) -> String {
    format!("Cannot reach the SIP server at {url}: check the address, and that your network or VPN allows secure WebSocket (wss) to it. Your admin can test it from another computer.")
}
pub fn ws_wrong_protocol(url: &str) -> String {
    format!("{url} answered but does not speak SIP over WebSocket (no 'sip' subprotocol): check the address and path with your admin.")
}
pub const REG_OK: &str = "Registered: calls can reach you.";
pub const REG_DEMO: &str = "The demo line is in use (no SIP server).";
pub const REG_SIGNED_OUT: &str = "Not signed in: sign in on the Phone tab to take calls.";
pub const REG_CONNECTING: &str = "Still signing in: wait a few seconds and check again.";
pub fn reg_failed(why: &str) -> String {
    format!("Not registered: {why}")
}
pub const ICE_HOST_OK: &str = "This computer has a network address for calls.";
pub const ICE_HOST_NONE: &str = "The browser offered no local network address for calls: a browser extension or policy may block WebRTC. Try another browser profile or ask IT.";
pub const ICE_RELAY_ONLY: &str = "Relay-only is set (sip.iceTransportPolicy relay): calls go through the TURN server only.";
pub const ICE_NO_STUN: &str = "No STUN or TURN server is configured (sip.iceServers): calls work only where the other side can reach this computer directly.";
pub fn ice_stun_ok(server: &str) -> String {
    format!("{server} gave this computer's public address.")
}
pub fn ice_stun_direct(server: &str) -> String {
    format!("{server} answered; this computer's address is not translated (no separate public address).")
}
pub fn ice_stun_failed(server: &str, why: &str) -> String {
    format!("{server} did not answer ({why}): your network may block UDP. Ask IT to allow UDP to it, or your admin to add a TURN server.")
}
pub const ICE_NO_TURN: &str = "No TURN server is configured: on networks that block direct audio (strict firewalls, some VPNs) calls may have no sound. Your admin can add one to sip.iceServers.";
pub fn ice_relay_ok(server: &str) -> String {
    format!("{server} gave a relay address: audio can get through even strict firewalls.")
}
pub fn ice_turn_refused(server: &str) -> String {
    format!("{server} refused the TURN user name or password: ask your admin to check sip.iceUsername and sip.iceCredential (they may have expired).")
}
pub fn ice_turn_no_credentials(server: &str) -> String {
    format!("{server} needs a user name and password, but none is configured: ask your admin to set sip.iceUsername and sip.iceCredential.")
}
pub fn ice_turn_unreachable(server: &str, why: &str) -> String {
    format!("{server} could not be reached ({why}): ask IT to allow it (UDP or TCP 3478, TLS 443 for turns:), or your admin to check sip.iceServers.")
}
pub const SN_CHECK_OFF: &str = "No ServiceNow instance is configured, or this window is not yet linked to ServiceNow.";
pub const SN_CHECK_OK: &str = "Reached with your sign-in: records can be read.";
pub const SN_CHECK_NOT_SIGNED_IN: &str = "Reachable, but you are not signed in to ServiceNow: use \"Sign in to ServiceNow\" above.";
pub const SN_CHECK_EXPIRED: &str = "Reachable, but ServiceNow refused your sign-in (expired or revoked): sign out of ServiceNow and sign in again.";
pub const COPY_DIAGNOSTICS: &str = "Copy diagnostics";
pub const COPIED: &str = "Copied: paste it into your support ticket. Passwords, tokens and SIP credentials are removed.";
pub const COPY_REFUSED: &str = "The browser did not allow copying: the text is below, selected; copy it with Ctrl+C (⌘C on a Mac) and paste it into your support ticket.";
pub const DIAGNOSTICS_TEXT: &str = "Diagnostics text for support";
pub const SN_CHECK_UNREACHABLE: &str = "ServiceNow cannot be reached from this computer: check the network connection or VPN.";
pub fn sn_check_cors(origin: &str) -> String {
    format!("ServiceNow answered but refuses requests from {origin}: an admin must add a CORS rule for this origin (System Web Services > REST > CORS Rules).")
}
pub const ICE_NO_ANSWER: &str = "no answer within 10 seconds";
