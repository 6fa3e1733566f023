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
