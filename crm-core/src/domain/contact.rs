//! Contacts and their phone numbers.

use serde::{Deserialize, Serialize};

use super::ids::{ContactId, PhoneId, UserId};
use crate::StoreError;
use crate::phone::{NormalizedNumber, PhoneE164};

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
    /// The contact it belongs to.
    pub contact: ContactId,
    /// As entered.
    pub raw: String,
    /// E.164, when the number is valid.
    pub e164: Option<PhoneE164>,
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
    /// The number read by [`PhoneNormalizer`](crate::PhoneNormalizer); an unparseable
    /// number is kept raw and matched exactly, an empty one is refused.
    pub number: NormalizedNumber,
    /// `mobile`, `work`… (at most 50 characters; may be empty).
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

/// Checks a phone label: trimmed, at most 50 characters.
pub fn validate_label(label: &str) -> Result<String, StoreError> {
    let label = label.trim();
    if label.chars().count() > 50 {
        return Err(StoreError::Invalid(
            "a phone label has at most 50 characters".into(),
        ));
    }
    Ok(label.to_owned())
}

/// Checks an organisation: trimmed, at most 200 characters; blank means none.
pub fn validate_organisation(organisation: Option<&str>) -> Result<Option<String>, StoreError> {
    match organisation.map(str::trim).filter(|o| !o.is_empty()) {
        Some(org) if org.chars().count() > 200 => Err(StoreError::Invalid(
            "an organisation has at most 200 characters".into(),
        )),
        other => Ok(other.map(str::to_owned)),
    }
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

/// Cleans tags: trimmed, lower-cased, at most 50 characters each, no empties, no
/// duplicates, in order; at most 50 of them.
pub fn clean_tags<I: IntoIterator<Item = S>, S: AsRef<str>>(tags: I) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag: String = tag
            .as_ref()
            .trim()
            .to_lowercase()
            .chars()
            .take(50)
            .collect();
        if !tag.is_empty() && !out.contains(&tag) && out.len() < 50 {
            out.push(tag);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_rules() {
        assert!(validate_name("  ").is_err());
        assert_eq!(validate_name(" نگار ").ok().as_deref(), Some("نگار"));
        assert!(validate_name(&"x".repeat(201)).is_err());
        assert!(validate_email("ali@example.com").is_ok());
        for bad in ["nope", "a@b", "@x.com", "a b@x.com", "a@.com", "a@x.com."] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
        assert_eq!(validate_organisation(Some("  ")).ok(), Some(None));
        assert!(validate_label(&"x".repeat(51)).is_err());
        assert_eq!(
            clean_tags(["VIP", " vip", "", "tehran"]),
            vec!["vip", "tehran"]
        );
        assert_eq!(Stage::parse(" Customer").ok(), Some(Stage::Customer));
        assert!(Stage::parse("partner").is_err());
    }
}
