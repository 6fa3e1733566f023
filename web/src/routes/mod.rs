//! Route modules, one per resource, each exposing a `router()` of [`table::Routes`]:
//! every route with who may call it; [`table()`] is the whole table.

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
pub mod table;
pub mod tasks;
pub mod tokens;
pub mod wallboard;

/// Every route of the service, with its access rule: the table [`crate::router`] serves.
pub fn table() -> table::Routes {
    table::Routes::new()
        .merge(health::router())
        .merge(login::router())
        .merge(calls::router())
        .merge(call_contact::router())
        .merge(queues::router())
        .merge(click_to_call::router())
        .merge(agent::router())
        .merge(crate::ws::router())
        .merge(console::router())
        .merge(contacts::router())
        .merge(contact_page::router())
        .merge(tasks::router())
        .merge(locale::router())
        .merge(audit::router())
        .merge(tokens::router())
        .merge(alerts::router())
        .merge(recordings::router())
        .merge(call_page::router())
        .merge(wallboard::router())
        .merge(reports::router())
        .merge(crate::assets::router())
}
