//! What the contact SQL binds: checked and folded contact fields, and the patterns of a
//! search.

use crate::StoreResult;
use crate::domain::contact;
use crate::phone::PhoneNormalizer;

/// A contact's checked fields, as stored.
pub(crate) struct ContactFields {
    pub(crate) name: String,
    pub(crate) organisation: Option<String>,
    pub(crate) email: Option<String>,
    /// JSON array.
    pub(crate) tags: String,
    pub(crate) search_text: String,
}

impl ContactFields {
    /// Checks and cleans a contact's fields; a blank e-mail or organisation is none.
    pub(crate) fn check(
        name: &str,
        organisation: Option<&str>,
        email: Option<&str>,
        tags: &[String],
    ) -> StoreResult<ContactFields> {
        let name = contact::validate_name(name)?;
        let organisation = contact::validate_organisation(organisation)?;
        let email = email
            .filter(|e| !e.trim().is_empty())
            .map(contact::validate_email)
            .transpose()?;
        let search_text =
            crate::text::contact_search_text(&name, organisation.as_deref(), email.as_deref());
        Ok(ContactFields {
            name,
            organisation,
            email,
            tags: crate::store::rows::tags_json(&contact::clean_tags(tags)),
            search_text,
        })
    }
}

/// The bind values of [`SEARCH_CONTACTS`](super::contacts::SEARCH_CONTACTS).
pub(crate) struct SearchTerms {
    pub(crate) text: String,
    pub(crate) key: String,
    pub(crate) digits: String,
}

impl SearchTerms {
    /// The patterns for `query`, or `None` for a blank query.
    pub(crate) fn new(normalizer: &PhoneNormalizer, query: &str) -> Option<SearchTerms> {
        let folded = crate::text::fold(query);
        if folded.is_empty() || folded.chars().count() > 200 {
            return None;
        }
        let number = normalizer.normalize(query);
        // Part of a number: its digits without the trunk or international prefix, so
        // `0912 123` finds `+98912123…`.
        let numeric = number
            .lookup_key
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+');
        let digits = number.lookup_key.trim_start_matches(['+', '0']);
        let digits = if numeric && digits.len() >= 4 {
            format!("%{digits}%")
        } else {
            String::new()
        };
        Some(SearchTerms {
            text: format!("%{}%", crate::store::rows::escape_like(&folded)),
            key: number.lookup_key,
            digits,
        })
    }
}
