//! `tamas serve`: the service against the configured PBX.

use std::net::SocketAddr;
use std::process::ExitCode;

use crate::settings::Settings;
use crate::startup::{Application, bind, shutdown_signal, start_pbx_link};
use app::lifecycle::Lifecycle;

/// Runs the service until Ctrl-C or SIGTERM, then stops it in order; the exit status is a
/// failure when the shutdown had to abandon work at its deadline.
pub async fn run(settings: Settings, listen: Option<SocketAddr>) -> anyhow::Result<ExitCode> {
    let store = super::open_store(&settings).await?;
    let listener = bind(listen.unwrap_or(settings.server.listen)).await?;
    let lifecycle = Lifecycle::new(settings.server.shutdown_timeout());
    let pbx = if settings.pbx.host.is_empty() {
        tracing::warn!("no [pbx] host configured: serving without a PBX");
        None
    } else {
        Some(start_pbx_link(&settings, &store, &lifecycle).await?)
    };
    let app = Application::build(&settings, store, listener, pbx, lifecycle).await?;
    tracing::info!(address = %app.local_addr()?, "serving");
    let report = app.run_until_stopped(shutdown_signal()).await?;
    Ok(report.exit_code())
}
