//! The phone: agent and call state (pure), the lines that carry calls (the demo line; SIP comes next).
pub mod audio;
pub mod call;
pub mod demo;
pub mod line;
pub mod map;
pub mod media;
pub mod model;
pub mod number;
pub mod panel;
pub mod sipline;
pub mod wrapup;
pub mod quality;
pub mod quality_probe;
pub mod sip;
