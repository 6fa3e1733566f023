//! The number-format table: every way a number is written, and what it must become.

use super::*;

const ALI: Option<&str> = Some("+989121234567");

/// (input, expected E.164, expected lookup key) with the default region `IR`.
const TABLE: &[(&str, Option<&str>, &str)] = &[
    ("09121234567", ALI, "+989121234567"),
    ("+989121234567", ALI, "+989121234567"),
    ("00989121234567", ALI, "+989121234567"),
    ("9121234567", ALI, "+989121234567"),
    ("0912 123 4567", ALI, "+989121234567"),
    ("(0912) 123-4567", ALI, "+989121234567"),
    ("۰۹۱۲۱۲۳۴۵۶۷", ALI, "+989121234567"),
    ("٠٩١٢١٢٣٤٥٦٧", ALI, "+989121234567"),
    ("+98 912 123 4567", ALI, "+989121234567"),
    (" 0912.123.4567 ", ALI, "+989121234567"),
    ("۰۹۱۲ ۱۲۳ ۴۵۶۷", ALI, "+989121234567"),
    ("02144556677", Some("+982144556677"), "+982144556677"),
    ("021-4455-6677", Some("+982144556677"), "+982144556677"),
    ("+44 20 7946 0000", Some("+442079460000"), "+442079460000"),
    ("0044 20 7946 0000", Some("+442079460000"), "+442079460000"),
    // Not numbers, or not valid ones: kept, matched by their cleaned form.
    ("", None, ""),
    ("   ", None, ""),
    ("<script>alert(1)</script>", None, "<script>alert1<script>"),
    ("anonymous", None, "anonymous"),
    ("Anonymous", None, "anonymous"),
    ("abc", None, "abc"),
    ("12", None, "12"),
    ("1001", None, "1001"),
    ("*99#", None, "*99#"),
    ("0912", None, "0912"),
    ("091212345678901", None, "091212345678901"),
    ("+", None, "+"),
    ("++98912", None, "++98912"),
];

#[test]
fn number_format_table() {
    let n = PhoneNormalizer::new("IR");
    for &(input, e164, key) in TABLE {
        let got = n.normalize(input);
        assert_eq!(
            got.e164.as_ref().map(PhoneE164::as_str),
            e164,
            "E.164 of {input:?}"
        );
        assert_eq!(got.lookup_key, key, "lookup key of {input:?}");
        assert_eq!(got.raw, input.trim(), "raw of {input:?}");
        // The key of a key is itself: a stored key is found again.
        assert_eq!(n.normalize(&got.lookup_key).lookup_key, key, "{input:?}");
    }
}

#[test]
fn very_long_input_is_bounded() {
    let n = PhoneNormalizer::new("IR");
    for long in [
        "9".repeat(100_000),
        "۹".repeat(100_000),
        "x".repeat(100_000),
    ] {
        let got = n.normalize(&long);
        assert_eq!(got.e164, None);
        assert!(got.raw.chars().count() <= MAX_LEN * 2);
        assert!(got.lookup_key.len() <= MAX_LEN * 4);
    }
}

#[test]
fn without_a_region_only_international_numbers_parse() {
    let n = PhoneNormalizer::new("nowhere");
    assert_eq!(n.normalize("09121234567").e164, None);
    assert_eq!(n.normalize("09121234567").lookup_key, "09121234567");
    assert_eq!(
        n.normalize("+989121234567")
            .e164
            .map(String::from)
            .as_deref(),
        ALI
    );
    assert!(PhoneNormalizer::for_region("nowhere").is_err());
    assert!(PhoneNormalizer::for_region(" ir ").is_ok());
}

#[test]
fn another_region_reads_its_own_national_numbers() {
    let uk = PhoneNormalizer::new("GB");
    assert_eq!(
        uk.normalize("020 7946 0000")
            .e164
            .map(String::from)
            .as_deref(),
        Some("+442079460000")
    );
    assert_eq!(
        uk.normalize("+98 912 123 4567")
            .e164
            .map(String::from)
            .as_deref(),
        ALI
    );
}

#[test]
fn formats_for_people() {
    let n = PhoneNormalizer::new("IR");
    let ali = PhoneE164::parse("+989121234567").expect("valid");
    assert_eq!(n.format_national(&ali), "0912 123 4567");
    assert_eq!(n.format_international(&ali), "+98 912 123 4567");
    assert_eq!(n.display(&n.normalize("+989121234567")), "0912 123 4567");
    assert_eq!(n.display(&n.normalize("+442079460000")), "+44 20 7946 0000");
    assert_eq!(n.display(&n.normalize("*99#")), "*99#");
}

#[test]
fn e164_form_is_checked() {
    assert!(PhoneE164::parse("+989121234567").is_ok());
    for bad in ["989121234567", "+0912", "+98 912", "+", "+1234567890123456"] {
        assert!(PhoneE164::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn withheld_numbers_are_those_without_a_digit() {
    for withheld in [
        "",
        "  ",
        "anonymous",
        "Anonymous",
        "unknown",
        "<unknown>",
        "restricted",
        "sip:anonymous@anonymous.invalid",
        "<script>",
    ] {
        assert!(is_withheld(withheld), "{withheld:?} is withheld");
    }
    for shown in [
        "09121234567",
        "+989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢",
        "201",
        "sip:201@pbx",
    ] {
        assert!(!is_withheld(shown), "{shown:?} is not withheld");
    }
}
