//! Phone numbers: every way people write a number finds the same contact.
//!
//! Persian (`۰…۹`) and Arabic-Indic (`٠…٩`) digits become ASCII, separators go, `00` means
//! international, and libphonenumber (the `phonenumber` crate) with a default region turns
//! the rest into E.164: `09121234567`, `+989121234567`, `00989121234567`, `9121234567`,
//! `0912 123 4567`, `(0912) 123-4567` and `۰۹۱۲۱۲۳۴۵۶۷` are all `+989121234567`.
//! A number that does not parse keeps a *lookup key* of its cleaned form, so it is still
//! found by an exact match. [`PhoneNormalizer::format_national`] and
//! [`PhoneNormalizer::format_international`] format numbers for people.

use std::str::FromStr as _;

use phonenumber::country;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// The longest number accepted (more is not a phone number).
const MAX_LEN: usize = 64;

/// A valid number in E.164 form (`+989121234567`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneE164(String);

impl PhoneE164 {
    /// Accepts an E.164 string: `+` then 7–15 digits, the first not 0. (Only the form is
    /// checked; [`PhoneNormalizer::normalize`] checks that the number exists.)
    pub fn parse(s: &str) -> Result<PhoneE164, StoreError> {
        let digits = s.strip_prefix('+').unwrap_or("");
        if (7..=15).contains(&digits.len())
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            Ok(PhoneE164(s.to_owned()))
        } else {
            Err(StoreError::Invalid(format!("{s:?} is not an E.164 number")))
        }
    }

    /// The number, `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneE164 {
    type Error = StoreError;
    fn try_from(s: String) -> Result<Self, StoreError> {
        PhoneE164::parse(&s)
    }
}

impl From<PhoneE164> for String {
    fn from(p: PhoneE164) -> String {
        p.0
    }
}

impl std::fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A number as typed, read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NormalizedNumber {
    /// As typed (trimmed).
    pub raw: String,
    /// E.164, when the number is valid.
    pub e164: Option<PhoneE164>,
    /// What lookups match on: the E.164 form, else the cleaned digits (else the cleaned
    /// text). Empty for an empty input.
    pub lookup_key: String,
}

/// Reads numbers with a default region: the numbers people write without a country code
/// are taken to be of that region.
#[derive(Clone, Debug)]
pub struct PhoneNormalizer {
    region: Option<country::Id>,
}

impl Default for PhoneNormalizer {
    fn default() -> Self {
        PhoneNormalizer::new("IR")
    }
}

impl PhoneNormalizer {
    /// A normaliser for `region` (ISO 3166 alpha-2, e.g. `IR`). An unknown region is
    /// accepted but then only numbers with a country code get an E.164 form; use
    /// [`PhoneNormalizer::for_region`] to refuse it instead (e.g. when reading settings).
    pub fn new(region: &str) -> PhoneNormalizer {
        PhoneNormalizer::for_region(region).unwrap_or(PhoneNormalizer { region: None })
    }

    /// A normaliser for `region`, or [`StoreError::Invalid`] when it is not a known
    /// ISO 3166 alpha-2 code.
    pub fn for_region(region: &str) -> Result<PhoneNormalizer, StoreError> {
        let code = region.trim().to_ascii_uppercase();
        country::Id::from_str(&code)
            .map(|id| PhoneNormalizer { region: Some(id) })
            .map_err(|_| StoreError::Invalid(format!("{region:?} is not a known region code")))
    }

    /// Reads `input` in any format. Never fails: what is not a valid number keeps its
    /// cleaned form as the lookup key.
    pub fn normalize(&self, input: &str) -> NormalizedNumber {
        let raw: String = input.trim().chars().take(MAX_LEN * 2).collect();
        let cleaned = clean(&raw);
        let e164 = self.to_e164(&cleaned);
        let lookup_key = match &e164 {
            Some(e164) => e164.as_str().to_owned(),
            None => cleaned,
        };
        NormalizedNumber {
            raw,
            e164,
            lookup_key,
        }
    }

    fn to_e164(&self, cleaned: &str) -> Option<PhoneE164> {
        let digits = cleaned.strip_prefix('+').unwrap_or(cleaned);
        if !(5..=17).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (region, candidate) = if cleaned.starts_with('+') {
            (None, cleaned.to_owned())
        } else if let Some(rest) = cleaned.strip_prefix("00") {
            (None, format!("+{rest}"))
        } else {
            (Some(self.region?), cleaned.to_owned())
        };
        let number = phonenumber::parse(region, &candidate).ok()?;
        if !phonenumber::is_valid(&number) {
            return None;
        }
        PhoneE164::parse(&number.format().mode(phonenumber::Mode::E164).to_string()).ok()
    }

    /// National format (`0912 123 4567`): how people of the number's own country write it.
    pub fn format_national(&self, number: &PhoneE164) -> String {
        format(number, phonenumber::Mode::National)
    }

    /// International format (`+98 912 123 4567`).
    pub fn format_international(&self, number: &PhoneE164) -> String {
        format(number, phonenumber::Mode::International)
    }

    /// A number for people to read: national format for numbers of the default region,
    /// international otherwise; a number without an E.164 form as typed.
    pub fn display(&self, number: &NormalizedNumber) -> String {
        let Some(e164) = &number.e164 else {
            return number.raw.clone();
        };
        let home = self.region.is_some()
            && phonenumber::parse(None, e164.as_str())
                .is_ok_and(|parsed| parsed.country().id() == self.region);
        if home {
            self.format_national(e164)
        } else {
            self.format_international(e164)
        }
    }
}

/// Whether a caller's number is withheld or unknown: empty, `anonymous`, `restricted`,
/// `unknown`, `<unknown>`, a SIP URI without digits — anything without a digit (ASCII,
/// Persian or Arabic-Indic). The one place that decides it: such a number matches no
/// contact, is offered as no new contact, forms no first-call-resolution chain and no
/// callback by number, and is shown and reported as "withheld number".
pub fn is_withheld(number: &str) -> bool {
    !number.chars().any(|c| {
        c.is_ascii_digit()
            || ('\u{06F0}'..='\u{06F9}').contains(&c)
            || ('\u{0660}'..='\u{0669}').contains(&c)
    })
}

fn format(number: &PhoneE164, mode: phonenumber::Mode) -> String {
    match phonenumber::parse(None, number.as_str()) {
        Ok(parsed) => parsed.format().mode(mode).to_string(),
        Err(_) => number.as_str().to_owned(),
    }
}

/// ASCII digits for Persian and Arabic-Indic ones; separators removed; a leading `+`
/// kept. Anything that is not a number-like character is kept lower-cased, so that
/// `anonymous` or a SIP URI still has a stable exact-match key.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = match c {
            '\u{06F0}'..='\u{06F9}' => ascii_digit(c, 0x06F0),
            '\u{0660}'..='\u{0669}' => ascii_digit(c, 0x0660),
            _ => c,
        };
        match c {
            '0'..='9' => out.push(c),
            '+' if out.is_empty() => out.push(c),
            ' ' | '-' | '(' | ')' | '.' | '/' | '\u{00A0}' | '\u{200C}' | '\u{200E}'
            | '\u{200F}' | '\t' => {}
            other => out.extend(other.to_lowercase()),
        }
        if out.len() >= MAX_LEN * 4 {
            break;
        }
    }
    out
}

fn ascii_digit(c: char, zero: u32) -> char {
    char::from_digit(u32::from(c) - zero, 10).unwrap_or(c)
}

#[cfg(test)]
mod tests;
