//! Support and self-checks: redaction (pure), the support text ("Copy diagnostics"), the SIP message log
//! kept for it, and the "Check my setup" rules.
pub mod redact;
pub mod checks;
pub mod collect;
pub mod probe;
pub mod report;
pub mod siplog;
