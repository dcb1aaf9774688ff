//! ServiceNow data: encoded queries, activity text, the outbox, screen-pop rules (pure).
pub mod activity;
pub mod auth;
pub mod directory;
pub mod outbox;
pub mod outbox_store;
pub mod query;
pub mod rest;
pub mod screen_pop;
pub mod service;
