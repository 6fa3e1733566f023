//! One module per command; [`run`] dispatches the parsed command line.

mod access;
mod admin;
mod contacts;
mod demo;
mod import;
mod loadtest;
mod replay;
mod report;
mod serve;
mod simulate_pbx;

use std::process::ExitCode;

use secrecy::{ExposeSecret as _, SecretString};

use crate::cli::{Cli, Command};
use crate::settings::Settings;

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    let database_given = cli.database_url.is_some();
    if let Some(url) = cli.database_url {
        settings.database.url = SecretString::from(url);
    }
    match cli.command {
        Command::Serve { listen } => serve::run(settings, listen).await,
        Command::Demo { listen, data } => demo::run(settings, listen, &data).await,
        Command::Migrate => admin::migrate(&settings).await,
        Command::User(command) => admin::user(&settings, command).await,
        Command::Token(command) => admin::token(&settings, command).await,
        Command::Import(command) => import::run(&settings, command).await,
        Command::Contacts(command) => contacts::run(&settings, command).await,
        Command::Replay { captures, stats } => {
            replay::run(&settings, &captures, stats, database_given).await
        }
        Command::SimulatePbx(args) => simulate_pbx::run(args).await,
        Command::Report(args) => report::run(&settings, args).await,
        Command::Loadtest(args) => loadtest::run(&settings, args).await,
    }
}

/// Opens the configured database and applies the migrations.
async fn open_store(settings: &Settings) -> anyhow::Result<std::sync::Arc<dyn crm_core::Store>> {
    crate::startup::open_store(
        settings.database.url.expose_secret(),
        &settings.phone.default_region,
    )
    .await
}
