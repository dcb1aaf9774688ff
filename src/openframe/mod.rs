//! ServiceNow OpenFrame: pure protocol, origin rules and session (handshake) logic, plus the browser bridge.
pub mod bridge;
pub mod origin;
pub mod protocol;
pub mod session;
