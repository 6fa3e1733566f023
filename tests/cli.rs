//! The admin commands as an admin would type them: `user add`, `token create`,
//! `import contacts`, `contacts find`, `replay` into the call log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;

use support::run_tamas;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/asterisk"
    ))
}

fn sample_config() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/tamas.toml").to_owned()
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite:{}", dir.path().join("tamas.db").display())
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn users_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir);
    let added = run_tamas(
        &db,
        &[
            "user",
            "add",
            "--username",
            "sara",
            "--role",
            "agent",
            "--extension",
            "1001",
            "--password-stdin",
        ],
        Some("a long password\n"),
    );
    assert!(added.status.success(), "{added:?}");
    assert!(!stdout(&added).contains("a long password"));

    let generated = run_tamas(
        &db,
        &["user", "add", "--username", "boss", "--role", "admin"],
        None,
    );
    assert!(generated.status.success(), "{generated:?}");
    assert!(
        stdout(&generated).contains("password: "),
        "a generated password is printed once"
    );

    let taken = run_tamas(
        &db,
        &[
            "user",
            "add",
            "--username",
            "reza",
            "--role",
            "agent",
            "--extension",
            "1001",
        ],
        None,
    );
    assert!(!taken.status.success(), "an extension is unique");
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already taken"));

    let token = run_tamas(&db, &["token", "create", "--user", "sara"], None);
    assert!(token.status.success(), "{token:?}");
    assert!(stdout(&token).trim().starts_with("tamas_"));
    let nobody = run_tamas(&db, &["token", "create", "--user", "nobody"], None);
    assert!(!nobody.status.success());
}

#[test]
fn import_reports_bad_rows_and_finds_contacts_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir);
    let csv = dir.path().join("contacts.csv");
    std::fs::write(
        &csv,
        "name,phone,email,organisation,stage,tags\n\
         Ali Rezaei,09121234567,ali@example.com,,customer,vip\n\
         Nobody,12,,,lead,\n\
         نگار محمدی,۰۹۳۵۱۲۳۴۵۶۷,,,lead,\n",
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let first = run_tamas(&db, &["import", "contacts", csv], None);
    assert!(!first.status.success(), "a bad row makes the import fail");
    let errors = String::from_utf8_lossy(&first.stderr);
    assert!(
        errors.contains(":3:"),
        "the bad row's line is reported: {errors}"
    );
    assert!(stdout(&first).contains("2 contacts created"), "{first:?}");

    let second = run_tamas(&db, &["import", "contacts", csv], None);
    assert!(
        stdout(&second).contains("0 contacts created, 2 already known"),
        "{second:?}"
    );

    for number in [
        "+989121234567",
        "00989121234567",
        "0912 123 4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
    ] {
        let found = run_tamas(&db, &["contacts", "find", number, "--json"], None);
        assert!(found.status.success(), "{number}: {found:?}");
        let contacts: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
        assert_eq!(contacts.as_array().unwrap().len(), 1, "{number}");
        assert_eq!(contacts[0]["name"], "Ali Rezaei");
    }
    let missing = run_tamas(&db, &["contacts", "find", "09350000000"], None);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn replay_prints_the_facts_and_writes_each_call_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir);
    let capture = fixtures().join("01-inbound-answered.ami");
    let capture = capture.to_str().unwrap();
    let config = sample_config();
    let args = ["--config", config.as_str(), "replay", capture];

    let printed = run_tamas("", &args, None);
    assert!(printed.status.success(), "{printed:?}");
    let call: serde_json::Value = serde_json::from_str(stdout(&printed).trim()).unwrap();
    assert_eq!(call["linkedid"], "1795342979.0");
    assert_eq!(call["customer_number_e164"], "+989121234567");
    assert_eq!(call["answered_by_extension"], "1001");
    assert_eq!(call["wait_ms"], 5009);
    assert_eq!(call["talk_ms"], 8284);

    let with_db = [
        "--config",
        config.as_str(),
        "--database-url",
        db.as_str(),
        "replay",
        capture,
    ];
    for _ in 0..2 {
        let written = run_tamas(&db, &with_db, None);
        assert!(written.status.success(), "{written:?}");
    }
    let calls = count_calls(&db);
    assert_eq!(calls, 1, "replaying twice changes nothing");
}

/// Calls in the call log, counted through the binary's own JSON (`sqlite3` may be missing).
fn count_calls(db: &str) -> usize {
    let path = db.trim_start_matches("sqlite:");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = crm_core::connect(
            &format!("sqlite:{path}"),
            crm_core::PhoneNormalizer::new("IR"),
        )
        .await
        .unwrap();
        store
            .list_calls(&crm_core::CallFilter::default())
            .await
            .unwrap()
            .len()
    })
}

/// `tamas report` with a named period: its first and last day in the calendar asked for
/// (or the locale's), as the JSON's `first_day` and `last_day`.
fn report_days(db: &str, args: &[&str], lang: &str) -> Result<(String, String, i32), String> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tamas"))
        .arg("report")
        .args(args)
        .args(["--json", "--database-url", db])
        .env_remove("TAMAS_CONFIG")
        .env_remove("LC_ALL")
        .env_remove("LC_TIME")
        .env("LANG", lang)
        .output()
        .unwrap();
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    Ok((
        report["first_day"].as_str().unwrap().to_owned(),
        report["last_day"].as_str().unwrap().to_owned(),
        report["settings"]["utc_offset_minutes"].as_i64().unwrap() as i32,
    ))
}

#[test]
fn report_takes_named_periods_in_either_calendar() {
    use crm_core::metrics::periods::{Calendar, NamedPeriod, iso_date, local_day};
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir);
    let expect = |period: NamedPeriod, calendar, offset| {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let (first, last) = period.days(local_day(now_ms, offset), calendar);
        (iso_date(first), iso_date(last))
    };
    for period in NamedPeriod::ALL {
        let name = period.as_str();
        for (calendar, extra, lang) in [
            (Calendar::Gregorian, None, "en_US.UTF-8"),
            (Calendar::Jalali, Some("jalali"), "en_US.UTF-8"),
            (Calendar::Jalali, None, "fa_IR.UTF-8"),
            (Calendar::Gregorian, Some("gregorian"), "fa_IR.UTF-8"),
        ] {
            let mut args = vec!["--from", name, "--to", name];
            if let Some(extra) = extra {
                args.extend(["--calendar", extra]);
            }
            let (first, last, offset) = report_days(&db, &args, lang).unwrap();
            assert_eq!(
                (first, last),
                expect(period, calendar, offset),
                "{name} {calendar:?} {lang}"
            );
        }
    }
    // A named start with a dated end, and a name that is none.
    let (first, _, offset) =
        report_days(&db, &["--from", "this-month", "--to", "2100-01-01"], "C").unwrap();
    assert_eq!(
        first,
        expect(NamedPeriod::ThisMonth, Calendar::Gregorian, offset).0
    );
    let error = report_days(&db, &["--from", "tomorrow", "--to", "today"], "C").unwrap_err();
    assert!(
        error.contains("--from") && error.contains("last-month"),
        "{error}"
    );
}

#[test]
fn calls_without_a_queue_are_no_pseudo_queue_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir);
    let config = sample_config();
    for capture in [
        "01-inbound-answered.ami",
        "06-outbound-from-phone.ami",
        "07-internal-call.ami",
    ] {
        let capture = fixtures().join(capture);
        let args = [
            "--config",
            config.as_str(),
            "--database-url",
            db.as_str(),
            "replay",
            capture.to_str().unwrap(),
        ];
        let written = run_tamas(&db, &args, None);
        assert!(written.status.success(), "{written:?}");
    }
    assert_eq!(count_calls(&db), 3);
    // The captures were made on 22 November 2026 (Tehran time).
    let args = [
        "--config",
        config.as_str(),
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-12-31",
        "--by",
        "queue",
        "--json",
    ];
    let report = run_tamas(&db, &args, None);
    assert!(report.status.success(), "{report:?}");
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let buckets = report["buckets"].as_object().unwrap();
    assert_eq!(
        buckets.keys().collect::<Vec<_>>(),
        ["support"],
        "the outbound and internal calls are no queue's: {buckets:?}"
    );
}

#[test]
fn import_refuses_rows_with_the_wrong_number_of_fields_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_url(&dir);
    let csv = dir.path().join("contacts.csv");
    std::fs::write(
        &csv,
        "name,phone,email,organisation,stage,tags\n\
         Ali Rezaei,09121234567,,,customer,vip\n\
         Reza,09121111111,reza@example.com,Acme,lead,vip,extra,more\n\
         Ext,ext-4455,,,lead,\n",
    )
    .unwrap();
    let output = run_tamas(&db, &["import", "contacts", csv.to_str().unwrap()], None);
    assert!(!output.status.success());
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        errors.contains(":3: 8 fields, but the header has 6 columns"),
        "{errors}"
    );
    assert!(
        errors.contains(":4: \"ext-4455\" is not a phone number"),
        "{errors}"
    );
    assert!(
        stdout(&output).contains("1 contacts created, 0 already known, 2 rows refused"),
        "{output:?}"
    );
}
