//! The phone: agent and call state (pure), the lines that carry calls (the demo line; SIP comes next).
pub mod audio;
pub mod call;
pub mod demo;
pub mod line;
pub mod media;
pub mod model;
pub mod number;
pub mod sipline;
pub mod wrapup;
pub mod sip;
