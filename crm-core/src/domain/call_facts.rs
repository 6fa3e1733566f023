//! The facts of a call that its figures are computed from: what the metrics job, the
//! service-level rule and the callback check read of every call of a period. Without the
//! rest of the row (legs, segments, names, notes, transfers), a fortnight of calls is
//! read in a few megabytes, a row at a time.

use crate::domain::call::{CallMetrics, CallRow};
use crate::domain::customer::Customer;
use crate::domain::ids::{CallId, ContactId};
use crate::domain::vocabulary::{Direction, Disposition};

/// What the figures read of a call: [`CallRow::facts`], or read alone with
/// [`CallStore::call_facts`](crate::CallStore::call_facts).
#[derive(Clone, Debug, PartialEq)]
pub struct CallFacts {
    /// Row id.
    pub id: CallId,
    /// Who called whom.
    pub direction: Direction,
    /// Outcome.
    pub disposition: Disposition,
    /// The queue.
    pub queue: Option<String>,
    /// The contact the call is linked to.
    pub contact: Option<ContactId>,
    /// The customer's number as the PBX gave it.
    pub customer_number_raw: Option<String>,
    /// The same in E.164.
    pub customer_number_e164: Option<String>,
    /// Start, ms since the epoch.
    pub started_at_ms: i64,
    /// Queue joined.
    pub queued_at_ms: Option<i64>,
    /// Answered.
    pub answered_at_ms: Option<i64>,
    /// Queue wait.
    pub wait_ms: Option<i64>,
    /// Talk.
    pub talk_ms: Option<i64>,
    /// Hold.
    pub hold_ms: Option<i64>,
    /// Wrap-up: time spent on it.
    pub wrapup_ms: Option<i64>,
    /// Wrap-up: resolved at this contact?
    pub wrapup_resolved: Option<bool>,
    /// The per-call figures stored so far.
    pub metrics: CallMetrics,
}

impl CallFacts {
    /// Who the customer is ([`Customer::of_call`]).
    pub fn customer(&self) -> Option<Customer> {
        Customer::of(
            self.contact,
            self.customer_number_e164.as_deref(),
            self.customer_number_raw.as_deref(),
        )
    }

    /// The customer its number alone makes: [`customer`](Self::customer) when the call is
    /// linked to no contact.
    pub fn number_customer(&self) -> Option<Customer> {
        Customer::of(
            None,
            self.customer_number_e164.as_deref(),
            self.customer_number_raw.as_deref(),
        )
    }
}

impl CallRow {
    /// The facts of this call that its figures are computed from.
    pub fn facts(&self) -> CallFacts {
        CallFacts {
            id: self.id,
            direction: self.direction,
            disposition: self.disposition,
            queue: self.queue.clone(),
            contact: self.contact,
            customer_number_raw: self.customer_number_raw.clone(),
            customer_number_e164: self.customer_number_e164.clone(),
            started_at_ms: self.started_at_ms,
            queued_at_ms: self.queued_at_ms,
            answered_at_ms: self.answered_at_ms,
            wait_ms: self.wait_ms,
            talk_ms: self.talk_ms,
            hold_ms: self.hold_ms,
            wrapup_ms: self.wrapup_ms,
            wrapup_resolved: self.wrapup_resolved,
            metrics: self.metrics.clone(),
        }
    }
}
