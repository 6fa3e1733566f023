//! The message catalogues: Fluent files embedded at build time, one bundle per language.
//!
//! Each language has the same files (`main.ftl` for the layout, sign-in and shared words,
//! `console.ftl`, `contacts.ftl`, `recordings.ftl`, `wallboard.ftl`, `reports.ftl`,
//! `alerts.ftl`) and the same message ids; a test checks that both are complete and parse
//! without error. A missing message shows its id (and is logged), never an empty string.

use std::sync::LazyLock;

use crm_core::Locale;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The catalogue files of a language: (file name, contents).
pub type Sources = [(&'static str, &'static str); 7];

/// English messages.
pub const ENGLISH: Sources = [
    ("main.ftl", include_str!("../../locales/en/main.ftl")),
    ("console.ftl", include_str!("../../locales/en/console.ftl")),
    (
        "contacts.ftl",
        include_str!("../../locales/en/contacts.ftl"),
    ),
    (
        "recordings.ftl",
        include_str!("../../locales/en/recordings.ftl"),
    ),
    (
        "wallboard.ftl",
        include_str!("../../locales/en/wallboard.ftl"),
    ),
    ("reports.ftl", include_str!("../../locales/en/reports.ftl")),
    ("alerts.ftl", include_str!("../../locales/en/alerts.ftl")),
];

/// Persian messages.
pub const PERSIAN: Sources = [
    ("main.ftl", include_str!("../../locales/fa/main.ftl")),
    ("console.ftl", include_str!("../../locales/fa/console.ftl")),
    (
        "contacts.ftl",
        include_str!("../../locales/fa/contacts.ftl"),
    ),
    (
        "recordings.ftl",
        include_str!("../../locales/fa/recordings.ftl"),
    ),
    (
        "wallboard.ftl",
        include_str!("../../locales/fa/wallboard.ftl"),
    ),
    ("reports.ftl", include_str!("../../locales/fa/reports.ftl")),
    ("alerts.ftl", include_str!("../../locales/fa/alerts.ftl")),
];

struct Catalog {
    en: FluentBundle<FluentResource>,
    fa: FluentBundle<FluentResource>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog {
    en: bundle("en", &ENGLISH),
    fa: {
        let mut fa = bundle("fa", &PERSIAN);
        fa.set_formatter(Some(persian_number));
        fa
    },
});

fn bundle(lang: &str, sources: &Sources) -> FluentBundle<FluentResource> {
    let langid: LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    for (name, source) in sources {
        let resource =
            FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(resource, errors)| {
                tracing::error!(lang, file = name, ?errors, "message catalogue has errors");
                resource
            });
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(
                lang,
                file = name,
                ?errors,
                "message catalogue has duplicate ids"
            );
        }
    }
    bundle
}

/// Numbers in Persian messages are written with Persian digits.
fn persian_number<M>(value: &FluentValue<'_>, _: &M) -> Option<String> {
    match value {
        FluentValue::Number(number) => {
            Some(super::localize_digits(&number.as_string(), Locale::Fa))
        }
        _ => None,
    }
}

/// A value for a message's `{ $variable }`.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    /// Text, shown as is (caller-ID names and numbers included: pages escape it).
    Text(&'a str),
    /// A number: selects plural forms, written with Persian digits in Persian.
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(text: &'a str) -> Self {
        Arg::Text(text)
    }
}

impl From<i64> for Arg<'_> {
    fn from(number: i64) -> Self {
        Arg::Number(number)
    }
}

fn bundle_of(locale: Locale) -> &'static FluentBundle<FluentResource> {
    match locale {
        Locale::En => &CATALOG.en,
        Locale::Fa => &CATALOG.fa,
    }
}

/// The message `id` in `locale`.
pub fn t(locale: Locale, id: &str) -> String {
    t_args(locale, id, &[])
}

/// The name of a stored value such as a disposition: the message `{prefix}{value}`
/// (`disposition-no_answer`), or `value` itself when this version has no such message.
pub fn t_value(locale: Locale, prefix: &str, value: &str) -> String {
    let id = format!("{prefix}{value}");
    if bundle_of(locale).has_message(&id) {
        t(locale, &id)
    } else {
        value.to_owned()
    }
}

/// The message `id` in `locale` with its variables.
pub fn t_args(locale: Locale, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    let bundle = bundle_of(locale);
    let Some(pattern) = bundle.get_message(id).and_then(|message| message.value()) else {
        tracing::warn!(id, locale = locale.as_str(), "no such message");
        return id.to_owned();
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        match *value {
            Arg::Text(text) => fluent_args.set(*name, FluentValue::from(text)),
            Arg::Number(number) => fluent_args.set(*name, FluentValue::from(number)),
        }
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(
        pattern,
        (!args.is_empty()).then_some(&fluent_args),
        &mut errors,
    );
    if !errors.is_empty() {
        tracing::warn!(
            id,
            locale = locale.as_str(),
            ?errors,
            "message formatting failed"
        );
    }
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use fluent_syntax::ast::Entry;
    use fluent_syntax::parser;

    use super::*;

    /// Every message id (and attribute) of one file; panics on a syntax error.
    fn ids(file: &str, source: &str) -> BTreeSet<String> {
        let resource = parser::parse(source)
            .unwrap_or_else(|(_, errors)| panic!("{file} does not parse: {errors:?}"));
        let mut ids = BTreeSet::new();
        for entry in resource.body {
            if let Entry::Message(message) = entry {
                assert!(
                    message.value.is_some(),
                    "{file}: {} has no value",
                    message.id.name
                );
                ids.insert(message.id.name.to_owned());
            }
        }
        ids
    }

    #[test]
    fn english_and_persian_have_the_same_messages() {
        for ((en_file, en), (fa_file, fa)) in ENGLISH.iter().zip(PERSIAN.iter()) {
            assert_eq!(en_file, fa_file);
            let en_ids = ids(en_file, en);
            let fa_ids = ids(fa_file, fa);
            let only_en: Vec<_> = en_ids.difference(&fa_ids).collect();
            let only_fa: Vec<_> = fa_ids.difference(&en_ids).collect();
            assert!(
                only_en.is_empty() && only_fa.is_empty(),
                "{en_file}: only in English {only_en:?}, only in Persian {only_fa:?}"
            );
            assert!(!en_ids.is_empty());
        }
    }

    #[test]
    fn no_id_is_defined_twice_across_files() {
        for sources in [&ENGLISH, &PERSIAN] {
            let mut seen = BTreeSet::new();
            for (file, source) in sources {
                for id in ids(file, source) {
                    assert!(seen.insert(id.clone()), "{id} defined twice ({file})");
                }
            }
        }
    }

    #[test]
    fn messages_format_with_variables_and_persian_digits() {
        assert_eq!(t(Locale::En, "nav-contacts"), "Contacts");
        let en = t_args(
            Locale::En,
            "login-throttled",
            &[("seconds", Arg::Number(42))],
        );
        assert!(en.contains("42"), "{en}");
        let fa = t_args(
            Locale::Fa,
            "login-throttled",
            &[("seconds", Arg::Number(42))],
        );
        assert!(fa.contains("۴۲"), "{fa}");
        assert!(!fa.contains("42"), "{fa}");
        assert_eq!(t(Locale::En, "no-such-message"), "no-such-message");
        assert_eq!(t_value(Locale::Fa, "disposition-", "busy"), "اشغال");
        assert_eq!(t_value(Locale::Fa, "disposition-", "<new>"), "<new>");
    }
}
