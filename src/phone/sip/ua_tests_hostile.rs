//! Hostile input at the SIP boundary.
