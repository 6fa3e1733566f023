//! `tamas serve`: the service against the configured PBX.

use std::net::SocketAddr;
use std::process::ExitCode;

use crate::settings::Settings;
use crate::startup::{Application, shutdown_signal, start_pbx_link};

/// Runs the service until Ctrl-C or SIGTERM.
pub async fn run(settings: Settings, listen: Option<SocketAddr>) -> anyhow::Result<ExitCode> {
    let store = super::open_store(&settings).await?;
    let pbx = if settings.pbx.host.is_empty() {
        tracing::warn!("no [pbx] host configured: serving without a PBX");
        None
    } else {
        Some(start_pbx_link(&settings, &store).await?)
    };
    let app = Application::build(
        &settings,
        store,
        listen.unwrap_or(settings.server.listen),
        pbx,
    )
    .await?;
    tracing::info!(address = %app.local_addr()?, "serving");
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}
