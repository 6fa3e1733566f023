//! `tamas import contacts FILE.csv`.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::ImportCommand;
use crate::settings::Settings;

/// Imports the file; reports each bad row; fails when any row failed.
pub async fn run(settings: &Settings, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let ImportCommand::Contacts { file } = command;
    let reader =
        std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
    let store = super::open_store(settings).await?;
    // The CSV reader is synchronous and the file local; the rows are written one by one.
    let report = crm_core::import::import_contacts(store.as_ref(), reader)
        .await
        .with_context(|| format!("cannot import {}", file.display()))?;
    for error in &report.errors {
        eprintln!("{}:{}: {}", file.display(), error.line, error.reason);
    }
    println!(
        "{} contacts created, {} already known, {} rows refused",
        report.created,
        report.matched,
        report.errors.len()
    );
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
