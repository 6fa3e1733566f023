//! Route modules, one per resource, each exposing a `router()`.

pub mod agent;
pub mod alerts;
pub mod audit;
pub mod call_contact;
pub mod call_page;
pub mod calls;
pub mod click_to_call;
pub mod console;
pub mod contact_page;
pub mod contacts;
pub mod health;
pub mod locale;
pub mod login;
pub mod queues;
pub mod recordings;
pub mod reports;
pub mod tasks;
pub mod wallboard;
