//! Phone numbers: every way people write a number finds the same contact.
//!
//! Persian (`۰…۹`) and Arabic-Indic (`٠…٩`) digits become ASCII, separators go, `00` means
//! international, and libphonenumber (the `phonenumber` crate) with a default region turns
//! the rest into E.164: `09121234567`, `+989121234567`, `00989121234567`, `9121234567`,
//! `0912 123 4567`, `(0912) 123-4567` and `۰۹۱۲۱۲۳۴۵۶۷` are all `+989121234567`.
//! A number that does not parse keeps a *lookup key* of its cleaned form, so it is still
//! found by an exact match.

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
    /// Accepts an E.164 string: `+` then 8–15 digits.
    pub fn parse(s: &str) -> Result<PhoneE164, StoreError> {
        let digits = s.strip_prefix('+').unwrap_or("");
        if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
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

/// Reads numbers with a default region.
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
    /// A normaliser for numbers written without a country code in `region` (ISO 3166,
    /// e.g. `IR`). An unknown region means such numbers only match exactly.
    pub fn new(region: &str) -> PhoneNormalizer {
        PhoneNormalizer {
            region: country::Id::from_str(&region.trim().to_ascii_uppercase()).ok(),
        }
    }

    /// Reads `input` in any format.
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
        if digits.len() < 5 || digits.len() > 17 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let international = if cleaned.starts_with('+') {
            Some(cleaned.to_owned())
        } else {
            cleaned.strip_prefix("00").map(|rest| format!("+{rest}"))
        };
        let candidates = [
            international.clone(),
            international.is_none().then(|| cleaned.to_owned()),
        ];
        for candidate in candidates.into_iter().flatten() {
            let region = if candidate.starts_with('+') {
                None
            } else {
                self.region
            };
            if (candidate.starts_with('+') || region.is_some())
                && let Ok(number) = phonenumber::parse(region, &candidate)
                && phonenumber::is_valid(&number)
            {
                let formatted = number.format().mode(phonenumber::Mode::E164).to_string();
                return PhoneE164::parse(&formatted).ok();
            }
        }
        None
    }

    /// A number for people to read: national format for numbers of the default region
    /// (`0912 123 4567`), international otherwise (`+44 20 7946 0000`); unparsed numbers
    /// as typed.
    pub fn display(&self, number: &NormalizedNumber) -> String {
        let Some(e164) = &number.e164 else {
            return number.raw.clone();
        };
        match phonenumber::parse(None, e164.as_str()) {
            Ok(parsed) => {
                let mode = if parsed.country().id() == self.region && self.region.is_some() {
                    phonenumber::Mode::National
                } else {
                    phonenumber::Mode::International
                };
                parsed.format().mode(mode).to_string()
            }
            Err(_) => e164.as_str().to_owned(),
        }
    }
}

/// ASCII digits for Persian and Arabic-Indic ones; separators removed; a leading `+`
/// kept. Anything that is not a number-like character is kept lower-cased, so that
/// `anonymous` or a SIP URI still has a stable exact-match key.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = match c {
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_iranian_format_is_the_same_number() {
        let n = PhoneNormalizer::new("IR");
        for input in [
            "09121234567",
            "+989121234567",
            "00989121234567",
            "9121234567",
            "0912 123 4567",
            "(0912) 123-4567",
            "۰۹۱۲۱۲۳۴۵۶۷",
            "٠٩١٢١٢٣٤٥٦٧",
            "+98 912 123 4567",
            " 0912-123-4567 ",
        ] {
            let got = n.normalize(input);
            assert_eq!(
                got.e164.as_ref().map(PhoneE164::as_str),
                Some("+989121234567"),
                "{input:?}"
            );
            assert_eq!(got.lookup_key, "+989121234567");
        }
        assert_eq!(
            n.normalize("02144556677").e164.map(String::from).as_deref(),
            Some("+982144556677")
        );
    }

    #[test]
    fn garbage_is_kept_raw_and_matched_exactly() {
        let n = PhoneNormalizer::new("IR");
        for input in ["<script>alert(1)</script>", "anonymous", "12", "abc123"] {
            let got = n.normalize(input);
            assert_eq!(got.e164, None, "{input:?}");
            assert_eq!(got.raw, input);
            assert!(!got.lookup_key.is_empty());
            assert_eq!(n.normalize(input).lookup_key, got.lookup_key);
        }
        assert_eq!(n.normalize("").lookup_key, "");
        let long = "9".repeat(10_000);
        assert!(n.normalize(&long).lookup_key.len() <= MAX_LEN * 4);
    }

    #[test]
    fn foreign_numbers_need_their_code() {
        let n = PhoneNormalizer::new("IR");
        assert_eq!(
            n.normalize("+44 20 7946 0000")
                .e164
                .map(String::from)
                .as_deref(),
            Some("+442079460000")
        );
        assert_eq!(
            n.normalize("0044 20 7946 0000")
                .e164
                .map(String::from)
                .as_deref(),
            Some("+442079460000")
        );
    }

    #[test]
    fn displays_national_for_home_numbers() {
        let n = PhoneNormalizer::new("IR");
        let shown = n.display(&n.normalize("+989121234567"));
        assert!(shown.starts_with("0912"), "{shown}");
        let foreign = n.display(&n.normalize("+442079460000"));
        assert!(foreign.starts_with("+44"), "{foreign}");
    }
}
