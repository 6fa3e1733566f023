//! The screen-pop (`call.ringing`): the call as the agent's phone rings, with every contact
//! the number belongs to, built from the CRM core's contact cards.
//!
//! Caller-ID names and numbers come from the outside world; they travel as JSON strings
//! and the console renders them as text.

use crm_core::{ContactCard, ContactId, PhoneId, Stage, TaskId, TaskKind, UserId};
use cti::tracker::Direction;
use serde::Serialize;

/// `call.ringing`: the popup.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Popup {
    /// The call (the PBX's Linkedid).
    pub call_id: String,
    /// Inbound, outbound (the agent calls the customer) or internal.
    pub direction: Direction,
    /// The number as presented by the PBX (outbound: as dialled).
    pub number: Option<String>,
    /// The same in E.164, when it is a valid number.
    pub number_e164: Option<String>,
    /// The caller-ID name (text from the outside world).
    pub caller_name: Option<String>,
    /// The queue the caller waited in.
    pub queue: Option<String>,
    /// The number the customer dialled (inbound).
    pub did: Option<String>,
    /// How long the caller has waited so far.
    pub waited_ms: u64,
    /// The agent whose phone rings (or who is calling, outbound).
    pub extension: String,
    /// The click-to-call request behind the call, if any.
    pub click_id: Option<String>,
    /// PBX time of the ring, ms since the epoch.
    pub at_ms: i64,
    /// Every contact with this number, the agent's own first; empty when none matched.
    pub contacts: Vec<PopupContact>,
    /// Where to create a contact prefilled with the number and linked to this call, when
    /// none matched (and the call is not internal).
    pub create_contact_url: Option<String>,
    /// The contact lookup failed or took too long: `contacts` may be incomplete.
    pub lookup_failed: bool,
    /// The caller withheld their number (or the PBX does not know it): no contact is
    /// looked up, none offered to create; shown as "withheld number".
    pub withheld: bool,
}

/// One matching contact.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PopupContact {
    /// Row id.
    pub id: ContactId,
    /// Full name.
    pub name: String,
    /// Organisation.
    pub organisation: Option<String>,
    /// Lead or customer.
    pub stage: Stage,
    /// Tags.
    pub tags: Vec<String>,
    /// The owning user's id.
    pub owner: Option<UserId>,
    /// The contact page, `/contacts/{id}`.
    pub url: String,
    /// Its numbers.
    pub phones: Vec<PopupPhone>,
    /// Its last calls (up to 5), newest first.
    pub last_calls: Vec<LastCall>,
    /// Its open tasks, by due time.
    pub open_tasks: Vec<OpenTask>,
}

/// A contact's number.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PopupPhone {
    /// Row id (what `POST /api/calls` takes as `phone_id`).
    pub id: PhoneId,
    /// As entered.
    pub raw: String,
    /// E.164, when valid.
    pub e164: Option<String>,
    /// `mobile`, `work`…
    pub label: String,
}

/// One of a contact's last calls.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LastCall {
    /// Start, ms since the epoch.
    pub started_at_ms: i64,
    /// Who called whom.
    pub direction: crm_core::Direction,
    /// How it ended.
    pub disposition: crm_core::Disposition,
    /// Talk time.
    pub talk_ms: Option<i64>,
    /// The agent who handled it.
    pub agent_extension: Option<String>,
    /// The outcome chosen in the wrap-up.
    pub wrapup_outcome: Option<String>,
}

/// An open task of the contact.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenTask {
    /// Row id.
    pub id: TaskId,
    /// What to do.
    pub title: String,
    /// When it is due.
    pub due_at_ms: Option<i64>,
    /// Follow-up or callback.
    pub kind: TaskKind,
}

impl PopupContact {
    /// The popup's view of a contact card.
    pub fn from_card(card: &ContactCard) -> Self {
        let contact = &card.contact;
        PopupContact {
            id: contact.id,
            name: contact.name.clone(),
            organisation: contact.organisation.clone(),
            stage: contact.stage,
            tags: contact.tags.clone(),
            owner: contact.owner,
            url: format!("/contacts/{}", contact.id),
            phones: contact
                .phones
                .iter()
                .map(|p| PopupPhone {
                    id: p.id,
                    raw: p.raw.clone(),
                    e164: p.e164.as_ref().map(|e| e.as_str().to_owned()),
                    label: p.label.clone(),
                })
                .collect(),
            last_calls: card
                .last_calls
                .iter()
                .take(5)
                .map(|c| LastCall {
                    started_at_ms: c.started_at_ms,
                    direction: c.direction,
                    disposition: c.disposition,
                    talk_ms: c.talk_ms,
                    agent_extension: c.agent_extension.clone(),
                    wrapup_outcome: c.wrapup_outcome.clone(),
                })
                .collect(),
            open_tasks: card
                .open_tasks
                .iter()
                .map(|t| OpenTask {
                    id: t.id,
                    title: t.title.clone(),
                    due_at_ms: t.due_at_ms,
                    kind: t.kind,
                })
                .collect(),
        }
    }
}

/// `/contacts/new?number=…&call=…`: the create-contact page prefilled with `number` and
/// linked to the call.
pub fn create_contact_url(number: &str, call_id: &str) -> String {
    format!(
        "/contacts/new?number={}&call={}",
        percent_encode(number),
        percent_encode(call_id)
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_contact_url_is_encoded() {
        assert_eq!(
            create_contact_url("+989121234567", "1795342979.12"),
            "/contacts/new?number=%2B989121234567&call=1795342979.12"
        );
        assert_eq!(
            create_contact_url("۰۹۱۲ <x>&y", "a b"),
            "/contacts/new?number=%DB%B0%DB%B9%DB%B1%DB%B2%20%3Cx%3E%26y&call=a%20b"
        );
    }
}
