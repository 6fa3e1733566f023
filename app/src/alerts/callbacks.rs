//! Callback decisions, without I/O: which ended call asks for a callback, whether an open
//! one is reused, when a callback is due for reassignment, and when the customer counts
//! as reached.
//!
//! The customer is followed as first-call resolution follows it: the contact, else the
//! E.164 number, else the raw number; a call from a shared number nobody picked a contact
//! for yet is followed by its number only, and so never reaches a contact's callback.

use std::collections::HashSet;

use crm_core::{
    CallFacts, CallId, CallRow, ContactId, Customer, Direction, Disposition, Task, TaskId,
};

/// The customer to call back when `call` is an inbound call abandoned in a queue.
pub fn needs_callback(call: &CallRow) -> Option<Customer> {
    let abandoned_in_queue = call.direction == Direction::Inbound
        && call.disposition == Disposition::Abandoned
        && call.queue.is_some();
    abandoned_in_queue
        .then(|| Customer::of_call(call))
        .flatten()
}

/// What to do about an abandoned call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackPlan {
    /// The customer already has an open callback: keep it (no duplicate).
    Reuse(TaskId),
    /// Create a callback.
    Create,
}

/// Reuse the customer's open callback, or create one.
pub fn plan_callback(open: Option<&Task>) -> CallbackPlan {
    open.map_or(CallbackPlan::Create, |task| CallbackPlan::Reuse(task.id))
}

/// Whether `call` is with the customer of `task`. A contact's callback: the same contact
/// only (a call from a number she shares with others, linked to none of them or to
/// another, did not reach her). An unknown number's callback: the same number (E.164, else
/// raw) — so a caller who became a contact meanwhile still matches; never a withheld one.
pub fn same_customer(task: &Task, call: &CallFacts) -> bool {
    if task.contact.is_some() {
        return task.contact == call.contact;
    }
    if call
        .customer_number_raw
        .as_deref()
        .is_none_or(crm_core::is_withheld)
        && call.customer_number_e164.is_none()
    {
        return false;
    }
    match (&task.customer_number_e164, &call.customer_number_e164) {
        (Some(a), Some(b)) => a == b,
        (None, _) => task
            .customer_number_raw
            .as_ref()
            .is_some_and(|raw| call.customer_number_raw.as_ref() == Some(raw)),
        (Some(_), None) => false,
    }
}

/// The first answered call with the customer of `task`, inbound or outbound, started at
/// or after `abandoned_at_ms` (the end of the abandoned call): the customer was reached.
pub fn reached(task: &Task, abandoned_at_ms: i64, calls: &[CallFacts]) -> Option<CallId> {
    calls
        .iter()
        .filter(|c| c.disposition == Disposition::Answered && c.direction.with_customer())
        .filter(|c| c.started_at_ms >= abandoned_at_ms && task.call != Some(c.id))
        .filter(|c| same_customer(task, c))
        .min_by_key(|c| c.started_at_ms)
        .map(|c| c.id)
}

/// The customers of open callbacks, to pick out the calls that may have reached one of
/// them while the call log is read ([`reached`] decides).
#[derive(Debug, Default)]
pub struct OpenCustomers {
    contacts: HashSet<ContactId>,
    numbers: HashSet<String>,
}

impl OpenCustomers {
    /// The customers of `open`.
    pub fn of(open: &[Task]) -> Self {
        let mut customers = OpenCustomers::default();
        for task in open {
            customers.contacts.extend(task.contact);
            customers
                .numbers
                .extend(task.customer_number_e164.iter().cloned());
            customers
                .numbers
                .extend(task.customer_number_raw.iter().cloned());
        }
        customers
    }

    /// Whether `call` is answered, either way, and with a contact or from a number of one
    /// of the callbacks.
    pub fn may_reach(&self, call: &CallFacts) -> bool {
        let answered = call.disposition == Disposition::Answered && call.direction.with_customer();
        let known = |number: &Option<String>| {
            number
                .as_ref()
                .is_some_and(|number| self.numbers.contains(number))
        };
        answered
            && (call.contact.is_some_and(|c| self.contacts.contains(&c))
                || known(&call.customer_number_e164)
                || known(&call.customer_number_raw))
    }
}

/// The abandons among `calls` (any order) that were never acted on (`handled` says which
/// Linkedids were) and whose customer was not reached afterwards by an answered call
/// either way: the ones a lagging engine missed, oldest first.
pub fn missed_abandons(calls: &[CallRow], handled: impl Fn(&str) -> bool) -> Vec<&CallRow> {
    let mut missed: Vec<&CallRow> = calls
        .iter()
        .filter(|call| !handled(&call.linkedid))
        .filter(|call| {
            let Some(customer) = needs_callback(call) else {
                return false;
            };
            let abandoned_at = call.ended_at_ms.unwrap_or(call.started_at_ms);
            !calls.iter().any(|later| {
                later.disposition == Disposition::Answered
                    && later.direction.with_customer()
                    && later.started_at_ms >= abandoned_at
                    && Customer::of_call(later).as_ref() == Some(&customer)
            })
        })
        .collect();
    missed.sort_by_key(|call| (call.started_at_ms, call.id));
    missed
}

/// Whether an open callback has waited `after_ms` with its assignee (or, never assigned,
/// since it was created) and should go to somebody else.
pub fn reassign_due(task: &Task, now_ms: i64, after_ms: i64) -> bool {
    let since = task.assigned_at_ms.unwrap_or(task.created_at_ms);
    now_ms - since >= after_ms
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crm_core::{ContactId, TaskKind, TaskStatus, UserId};

    fn facts(calls: &[CallRow]) -> Vec<CallFacts> {
        calls.iter().map(CallRow::facts).collect()
    }

    /// A call-log row for tests: from `+989121234567`, not linked to a contact.
    pub(crate) fn call(
        id: i64,
        direction: Direction,
        disposition: Disposition,
        at: i64,
    ) -> CallRow {
        CallRow {
            pbx: "sim".into(),
            queue: Some("sales".into()),
            ended_at_ms: Some(at + 10_000),
            wait_ms: Some(6_000),
            ..CallRow::fixture(id, direction, disposition, at)
        }
    }

    /// An open callback for `+989121234567`, from call 1, created at `at`.
    pub(crate) fn callback(id: i64, at: i64, assignee: Option<i64>) -> Task {
        Task {
            id: TaskId(id),
            kind: TaskKind::Callback,
            title: "Call back".into(),
            contact: None,
            call: Some(CallId(1)),
            assignee: assignee.map(UserId),
            due_at_ms: None,
            status: TaskStatus::Open,
            created_at_ms: at,
            closed_at_ms: None,
            customer_number_raw: Some("09121234567".into()),
            customer_number_e164: Some("+989121234567".into()),
            queue: Some("sales".into()),
            assigned_at_ms: assignee.map(|_| at),
        }
    }

    #[test]
    fn an_abandoned_queue_call_asks_for_a_callback_for_its_customer() {
        let abandoned = call(1, Direction::Inbound, Disposition::Abandoned, 0);
        assert_eq!(
            needs_callback(&abandoned),
            Some(Customer::Number("+989121234567".into()))
        );
        let mut known = abandoned.clone();
        known.contact = Some(ContactId(7));
        assert_eq!(
            needs_callback(&known),
            Some(Customer::Contact(ContactId(7)))
        );
        let mut raw_only = abandoned.clone();
        raw_only.customer_number_e164 = None;
        raw_only.customer_number_raw = Some("sip:7001@example.org".into());
        assert_eq!(
            needs_callback(&raw_only),
            Some(Customer::Number("sip:7001@example.org".into()))
        );
        // A withheld caller forms no customer, so asks for no callback.
        raw_only.customer_number_raw = Some("anonymous".into());
        assert_eq!(needs_callback(&raw_only), None);
        let mut no_queue = abandoned.clone();
        no_queue.queue = None;
        assert_eq!(needs_callback(&no_queue), None);
        assert_eq!(
            needs_callback(&call(2, Direction::Inbound, Disposition::Answered, 0)),
            None
        );
        assert_eq!(
            needs_callback(&call(3, Direction::Outbound, Disposition::Abandoned, 0)),
            None
        );
        let mut hidden = abandoned;
        hidden.customer_number_e164 = None;
        hidden.customer_number_raw = Some(" ".into());
        assert_eq!(needs_callback(&hidden), None);
    }

    #[test]
    fn an_open_callback_is_reused_not_duplicated() {
        assert_eq!(plan_callback(None), CallbackPlan::Create);
        let open = callback(4, 0, Some(1));
        assert_eq!(plan_callback(Some(&open)), CallbackPlan::Reuse(TaskId(4)));
    }

    #[test]
    fn reassignment_waits_the_configured_time_from_the_last_assignment() {
        let minute = 60_000;
        let mut task = callback(1, 0, Some(1));
        assert!(!reassign_due(&task, 14 * minute, 15 * minute));
        assert!(reassign_due(&task, 15 * minute, 15 * minute));
        task.assigned_at_ms = Some(15 * minute);
        assert!(!reassign_due(&task, 29 * minute, 15 * minute));
        assert!(reassign_due(&task, 30 * minute, 15 * minute));
        let unassigned = callback(2, 0, None);
        assert!(reassign_due(&unassigned, 15 * minute, 15 * minute));
    }

    #[test]
    fn an_answered_call_either_way_after_the_abandon_reaches_the_customer() {
        let task = callback(1, 10_000, Some(1));
        let abandon_end = 10_000;
        let before = call(2, Direction::Inbound, Disposition::Answered, 5_000);
        let unanswered = call(3, Direction::Outbound, Disposition::NoAnswer, 20_000);
        let internal = call(4, Direction::Internal, Disposition::Answered, 20_000);
        assert_eq!(
            reached(&task, abandon_end, &facts(&[before, unanswered, internal])),
            None
        );
        // The agent called back and the customer picked up.
        let outbound = call(5, Direction::Outbound, Disposition::Answered, 30_000);
        assert_eq!(
            reached(&task, abandon_end, &facts(&[outbound])),
            Some(CallId(5))
        );
        // Or the customer called again and was answered.
        let inbound = call(6, Direction::Inbound, Disposition::Answered, 40_000);
        assert_eq!(
            reached(&task, abandon_end, &[inbound.facts()]),
            Some(CallId(6))
        );
        // Somebody else answered is not this customer.
        let mut other = inbound;
        other.customer_number_e164 = Some("+989350000000".into());
        other.customer_number_raw = Some("09350000000".into());
        assert_eq!(reached(&task, abandon_end, &facts(&[other])), None);
    }

    #[test]
    fn the_check_keeps_every_call_that_may_reach_a_callback_and_no_other() {
        let mut hers = callback(1, 0, None);
        hers.contact = Some(ContactId(3));
        hers.customer_number_e164 = None;
        hers.customer_number_raw = None;
        let unknown = callback(2, 0, None);
        let customers = OpenCustomers::of(&[hers, unknown]);
        let mut with_her = call(3, Direction::Outbound, Disposition::Answered, 1);
        with_her.contact = Some(ContactId(3));
        with_her.customer_number_e164 = Some("+989350000000".into());
        with_her.customer_number_raw = Some("09350000000".into());
        assert!(customers.may_reach(&with_her.facts()));
        assert!(
            customers.may_reach(&call(4, Direction::Inbound, Disposition::Answered, 1).facts())
        );
        let mut raw_only = call(5, Direction::Inbound, Disposition::Answered, 1);
        raw_only.customer_number_e164 = None;
        assert!(customers.may_reach(&raw_only.facts()), "by the raw number");
        let mut other = call(6, Direction::Inbound, Disposition::Answered, 1);
        other.customer_number_e164 = Some("+989350000001".into());
        other.customer_number_raw = Some("09350000001".into());
        assert!(!customers.may_reach(&other.facts()));
        assert!(
            !customers.may_reach(&call(7, Direction::Inbound, Disposition::Abandoned, 1).facts())
        );
        assert!(
            !customers.may_reach(&call(8, Direction::Internal, Disposition::Answered, 1).facts())
        );
    }

    #[test]
    fn the_customer_matches_by_contact_or_number() {
        let mut task = callback(1, 0, None);
        task.contact = Some(ContactId(3));
        let mut by_contact = call(2, Direction::Outbound, Disposition::Answered, 1);
        by_contact.customer_number_e164 = Some("+989350000000".into());
        by_contact.contact = Some(ContactId(3));
        assert!(same_customer(&task, &by_contact.facts()));
        // A caller who became a contact after the abandon: the number still matches.
        let unknown = callback(2, 0, None);
        let mut now_known = call(3, Direction::Inbound, Disposition::Answered, 1);
        now_known.contact = Some(ContactId(9));
        assert!(same_customer(&unknown, &now_known.facts()));
        let mut raw = callback(3, 0, None);
        raw.customer_number_e164 = None;
        raw.customer_number_raw = Some("sip:7001@example.org".into());
        let mut raw_call = call(4, Direction::Inbound, Disposition::Answered, 1);
        raw_call.customer_number_e164 = None;
        raw_call.customer_number_raw = Some("sip:7001@example.org".into());
        assert!(same_customer(&raw, &raw_call.facts()));
        assert!(!same_customer(
            &raw,
            &call(5, Direction::Inbound, Disposition::Answered, 1).facts()
        ));
    }

    #[test]
    fn a_contacts_callback_is_reached_only_by_a_call_with_her() {
        let mut task = callback(1, 0, None);
        task.contact = Some(ContactId(3));
        // From her number, but shared and not picked yet: nobody reached her.
        let undecided = call(2, Direction::Inbound, Disposition::Answered, 1);
        assert!(!same_customer(&task, &undecided.facts()));
        // From her number, picked as the other contact with it.
        let mut other = call(3, Direction::Inbound, Disposition::Answered, 1);
        other.contact = Some(ContactId(4));
        assert!(!same_customer(&task, &other.facts()));
    }

    #[test]
    fn a_withheld_caller_reaches_no_callback_by_number() {
        let mut task = callback(1, 0, None);
        task.customer_number_e164 = None;
        task.customer_number_raw = Some("anonymous".into());
        let mut withheld = call(2, Direction::Inbound, Disposition::Answered, 1);
        withheld.customer_number_e164 = None;
        withheld.customer_number_raw = Some("anonymous".into());
        assert!(!same_customer(&task, &withheld.facts()));
        withheld.customer_number_raw = Some(String::new());
        assert!(!same_customer(&task, &withheld.facts()));
        assert_eq!(
            needs_callback(&{
                let mut abandoned = call(3, Direction::Inbound, Disposition::Abandoned, 1);
                abandoned.customer_number_e164 = None;
                abandoned.customer_number_raw = Some("Anonymous".into());
                abandoned
            }),
            None
        );
    }

    #[test]
    fn missed_abandons_are_those_not_handled_nor_reached_afterwards() {
        let first = call(1, Direction::Inbound, Disposition::Abandoned, 1_000);
        let answered_later = call(2, Direction::Outbound, Disposition::Answered, 100_000);
        let mut other = call(3, Direction::Inbound, Disposition::Abandoned, 200_000);
        other.customer_number_e164 = Some("+989350000000".into());
        let handled_call = {
            let mut c = call(4, Direction::Inbound, Disposition::Abandoned, 300_000);
            c.customer_number_e164 = Some("+989351111111".into());
            c
        };
        let calls = vec![handled_call.clone(), other.clone(), answered_later, first];
        let missed = missed_abandons(&calls, |linkedid| linkedid == handled_call.linkedid);
        assert_eq!(
            missed.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![other.id],
            "the first abandon's customer was called back; the fourth was handled"
        );
    }
}
