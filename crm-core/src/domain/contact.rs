//! Contacts and their phone numbers.

use serde::{Deserialize, Serialize};

use super::ids::{ContactId, PhoneId, UserId};
use crate::StoreError;
use crate::phone::NormalizedNumber;

/// Where a contact is in its lifecycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Not (yet) a customer.
    #[default]
    Lead,
    /// A customer.
    Customer,
}

impl Stage {
    /// `lead` or `customer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Lead => "lead",
            Stage::Customer => "customer",
        }
    }

    /// Parses `lead` / `customer` (any case).
    pub fn parse(s: &str) -> Result<Stage, StoreError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lead" => Ok(Stage::Lead),
            "customer" => Ok(Stage::Customer),
            other => Err(StoreError::Invalid(format!(
                "stage {other:?} must be lead or customer"
            ))),
        }
    }
}

/// One phone number of a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContactPhone {
    /// Row id (what click-to-call refers to).
    pub id: PhoneId,
    /// As entered.
    pub raw: String,
    /// E.164, when the number is valid.
    pub e164: Option<String>,
    /// What lookups match on.
    pub lookup_key: String,
    /// `mobile`, `work`, `home`…
    pub label: String,
}

/// A contact with its numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Row id.
    pub id: ContactId,
    /// Full name (from people: shown as text only).
    pub name: String,
    /// Organisation.
    pub organisation: Option<String>,
    /// Lead or customer.
    pub stage: Stage,
    /// E-mail address.
    pub email: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// The user who owns the relationship.
    pub owner: Option<UserId>,
    /// Phone numbers, in the order added.
    pub phones: Vec<ContactPhone>,
    /// Creation time, ms since the epoch.
    pub created_at_ms: i64,
    /// Last change, ms since the epoch.
    pub updated_at_ms: i64,
    /// Last call with this contact, ms since the epoch.
    pub last_interaction_at_ms: Option<i64>,
}

/// A number to add to a contact, already normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPhone {
    /// The number read by [`PhoneNormalizer`](crate::PhoneNormalizer).
    pub number: NormalizedNumber,
    /// `mobile`, `work`…
    pub label: String,
}

/// A contact to create.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewContact {
    /// Full name (required, at most 200 characters).
    pub name: String,
    /// Organisation.
    pub organisation: Option<String>,
    /// Lead or customer.
    pub stage: Stage,
    /// E-mail.
    pub email: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Owner.
    pub owner: Option<UserId>,
    /// Numbers.
    pub phones: Vec<NewPhone>,
}

/// A change to a contact's fields; `None` leaves a field as it is. Numbers are changed
/// with their own store methods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactUpdate {
    /// New name.
    pub name: Option<String>,
    /// New organisation (`Some(None)` clears it).
    pub organisation: Option<Option<String>>,
    /// New stage.
    pub stage: Option<Stage>,
    /// New e-mail (`Some(None)` clears it).
    pub email: Option<Option<String>>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New owner (`Some(None)` clears it).
    pub owner: Option<Option<UserId>>,
}

/// Checks a contact's name: not blank, at most 200 characters.
pub fn validate_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("a contact needs a name".into()));
    }
    if name.chars().count() > 200 {
        return Err(StoreError::Invalid(
            "a name has at most 200 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// Checks an e-mail address loosely: one `@` with text on both sides and a dot after it.
pub fn validate_email(email: &str) -> Result<String, StoreError> {
    let email = email.trim();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(email.to_owned())
    } else {
        Err(StoreError::Invalid(format!(
            "{email:?} is not an e-mail address"
        )))
    }
}

/// Cleans tags: trimmed, lower-cased, no empties, no duplicates, in order.
pub fn clean_tags<I: IntoIterator<Item = S>, S: AsRef<str>>(tags: I) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.as_ref().trim().to_lowercase();
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}
