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
pub const STANDALONE_NOTICE: &str =
    "Running on its own (no topDomain in the address): ServiceNow features such as screen pop and click-to-call are off.";
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
