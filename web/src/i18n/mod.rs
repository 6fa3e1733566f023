//! English and Persian: every string the UI shows comes from a Fluent message catalogue
//! (`web/locales/{en,fa}/*.ftl`, embedded at build time), and every date and number is
//! written the way the reader expects.
//!
//! - [`catalog`]: the catalogues and [`t`] / [`t_args`] to look messages up.
//! - [`calendar`]: dates and times in the user's calendar (Gregorian for English, Jalali for
//!   Persian) and local time, durations, and Persian digits.
//!
//! The language is the user's profile setting ([`Locale`]); Persian pages are
//! right-to-left ([`dir`]).

pub mod calendar;
pub mod catalog;

pub use calendar::{LocalClock, localize_digits};
pub use catalog::{Arg, t, t_args, t_value};

use crm_core::Locale;

/// The `lang` attribute of a page in `locale`.
pub fn lang(locale: Locale) -> &'static str {
    locale.as_str()
}

/// The `dir` attribute of a page in `locale`: `rtl` for Persian.
pub fn dir(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "ltr",
        Locale::Fa => "rtl",
    }
}

/// The language a browser asks for in its `Accept-Language` header, for pages shown
/// before sign-in: Persian when it is preferred to English, else English.
pub fn from_accept_language(header: Option<&str>) -> Locale {
    let Some(header) = header else {
        return Locale::En;
    };
    for range in header.split(',') {
        let tag = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if tag == "fa" || tag.starts_with("fa-") {
            return Locale::Fa;
        }
        if tag == "en" || tag.starts_with("en-") {
            return Locale::En;
        }
    }
    Locale::En
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_first_known_language() {
        assert_eq!(
            from_accept_language(Some("fa-IR,fa;q=0.9,en;q=0.8")),
            Locale::Fa
        );
        assert_eq!(from_accept_language(Some("en-US,fa;q=0.5")), Locale::En);
        assert_eq!(from_accept_language(Some("de-DE, fa;q=0.3")), Locale::Fa);
        assert_eq!(from_accept_language(None), Locale::En);
        assert_eq!(dir(Locale::Fa), "rtl");
        assert_eq!(lang(Locale::Fa), "fa");
    }
}
