//! ServiceNow OpenFrame: pure protocol and origin rules, plus the browser bridge.
pub mod origin;
