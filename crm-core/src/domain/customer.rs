//! The customer a call is with, as first-call resolution and callbacks both follow them:
//! the contact, else the number.

use super::call::CallRow;
use super::ids::ContactId;

/// Who a call is with: the contact, else the number (E.164 when it parses, else raw). FCR
/// groups calls by it; a callback is for one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Customer {
    /// A known contact.
    Contact(ContactId),
    /// An unknown caller's number.
    Number(String),
}

impl Customer {
    /// Who the customer of `call` is: its contact, else its E.164 number, else its raw
    /// number; `None` for a call without a customer number or with a withheld one
    /// ([`crate::phone::is_withheld`]). A call not linked to a contact (e.g. from a number
    /// shared by several, none picked yet) is followed by its number only.
    pub fn of_call(call: &CallRow) -> Option<Customer> {
        Customer::of(
            call.contact,
            call.customer_number_e164.as_deref(),
            call.customer_number_raw.as_deref(),
        )
    }

    /// The customer of a call linked to `contact`, from `e164` or `raw`
    /// ([`Customer::of_call`]).
    pub(crate) fn of(
        contact: Option<ContactId>,
        e164: Option<&str>,
        raw: Option<&str>,
    ) -> Option<Customer> {
        if let Some(contact) = contact {
            return Some(Customer::Contact(contact));
        }
        e164.or(raw)
            .filter(|n| !crate::phone::is_withheld(n))
            .map(|n| Customer::Number(n.to_owned()))
    }
}
