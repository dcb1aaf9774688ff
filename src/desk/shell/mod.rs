//! The browser shell of the desk: it feeds the [`super::core::DeskCore`] and carries out its effects.
//!
//! - `run.rs`: the loop (input in, effects out, state mirrored), the hosts the SIP line and ServiceNow
//!   report to.
//! - `api.rs`: the intents as methods for the components.
//! - `frame.rs`: start, settings, OpenFrame, the pop-out, the clock.
//! - `group.rs`: the window group, hand-over, and the state saved for a reload.

mod api;
mod frame;
mod group;
mod run;

#[cfg(test)]
pub(crate) use run::put;
pub(crate) use run::aput;
pub(crate) use run::set;
pub(crate) use run::effect;
pub(crate) use run::every;
