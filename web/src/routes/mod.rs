//! Route modules, one per resource, each exposing a `router()`.

pub mod calls;
pub mod health;
pub mod login;
pub mod queues;
