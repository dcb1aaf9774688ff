//! SIP over WebSocket, as pure state machines (no browser types).
pub mod digest;
pub mod hash;
pub mod message;
pub mod ua;
