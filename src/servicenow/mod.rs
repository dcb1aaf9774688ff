//! ServiceNow data: encoded queries, activity text, the outbox, screen-pop rules (pure).
pub mod activity;
pub mod outbox;
pub mod query;
pub mod screen_pop;
