//! `tamas simulate-pbx`: a simulated Asterisk on a TCP port, for trying Tamas (and load
//! testing it) without a PBX.

use std::process::ExitCode;

use anyhow::Context as _;
use cti::sim::{ReplayPace, ReplaySettings, SimAgent, SimSettings, Simulator};
use secrecy::SecretString;

use crate::cli::SimulatePbx;
use crate::startup::shutdown_signal;

/// Serves the simulated PBX until Ctrl-C or SIGTERM.
pub async fn run(args: SimulatePbx) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let settings = SimSettings {
        username: args.user,
        secret: SecretString::from(args.secret),
        agents: SimAgent::for_extensions(&args.agents),
        // Replaying serves the captures instead of generated calls: none are made (they
        // would reach no client, yet write MixMonitor files with `--spool`).
        calls_per_minute: if args.replay.is_empty() {
            args.calls_per_minute
        } else {
            0.0
        },
        seed: args.seed,
        replay: (!args.replay.is_empty()).then_some(ReplaySettings {
            files: args.replay,
            pace: ReplayPace::RealTime,
            restamp: true,
        }),
        spool: args.spool,
        talk: args.talk_seconds,
        wait: args.wait_seconds,
        scenarios: args.scenarios.map(|m| m.0).unwrap_or_default(),
        truth: args.truth,
        ..SimSettings::lab()
    };
    let simulator = Simulator::new(settings).context("cannot start the simulated PBX")?;
    // Tests wait for this line: from now on clients are accepted.
    println!("Simulated PBX: AMI on {address}");
    simulator
        .serve(listener, shutdown_signal())
        .await
        .context("the simulated PBX failed")?;
    Ok(ExitCode::SUCCESS)
}
