//! One component per panel; each talks only to the desk.
pub mod agent_state;
pub mod devices;
pub mod diagnostics;
pub mod directory;
pub mod notices;
pub mod sip_prompts;
pub mod phone;
pub mod quality;
pub mod recents;
pub mod servicenow;
pub mod shell;
pub mod shortcuts;
pub mod support;
pub mod sign_in;
pub mod dial_pad;
pub mod wrap_up;
