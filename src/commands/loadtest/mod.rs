//! `tamas loadtest`: many agents on `/ws`, calls at a steady rate, and what it costs.
//!
//! The simulated PBX runs in this process behind a tap ([`tap`]) that notes when each
//! call's ringing event was written to Tamas; the agents' sockets ([`sockets`]) note when
//! the popup arrived. Popup latency is the difference: AMI event written → popup frame
//! received, through Tamas' AMI client, tracker, contact lookup, hub and WebSocket.
//! Server memory per connected agent is the growth of Tamas' resident memory when the
//! sockets open, divided by their number. With `--soak` it also checks that the server
//! holds steady and is idle afterwards ([`soak`]).
//!
//! Without `--url` the test starts its own `tamas serve` on a fresh SQLite database in a
//! temporary folder; with `--url` it uses a running Tamas whose `[pbx]` points at
//! `--pbx-listen` and whose database is this command's (`--database-url`).

mod calls;
mod population;
mod report;
mod server;
mod soak;
mod sockets;
mod tap;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use cti::sim::{SimAgent, SimSettings, Simulator};
use secrecy::ExposeSecret as _;
use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::cli::Loadtest;
use crate::settings::Settings;
use report::Report;
use server::{OwnServer, rss_bytes};
use sockets::Received;
use tap::RingTimes;

/// How long the sockets settle before memory is read, and popups may trail the last call.
const SETTLE: Duration = Duration::from_secs(3);

/// Runs the load test and prints its figures.
pub async fn run(settings: &Settings, args: Loadtest) -> anyhow::Result<ExitCode> {
    let scratch = match &args.url {
        None => Some(Scratch::new()?),
        Some(_) => None,
    };
    let database_url = match &scratch {
        Some(scratch) => Settings::sqlite_url_in(&scratch.dir),
        None => settings.database.url.expose_secret().to_owned(),
    };
    let store = crate::startup::open_store(&database_url, &settings.phone.default_region).await?;
    eprintln!("preparing {} agents and their contacts…", args.agents);
    let population = population::populate(&store, args.agents).await?;
    drop(store);
    let extensions: Vec<String> = population
        .agents
        .iter()
        .map(|a| a.extension.clone())
        .collect();

    let simulator = Simulator::new(SimSettings {
        agents: SimAgent::for_extensions(&extensions),
        calls_per_minute: 0.0,
        hostile_names: 0.0,
        max_extra_talk: Duration::ZERO,
        ..SimSettings::lab()
    })?;
    let sim = simulator.handle();
    let pbx = TcpListener::bind("127.0.0.1:0").await?;
    let pbx_address = pbx.local_addr()?;
    tokio::spawn(simulator.serve(pbx, std::future::pending()));
    let tap_address = match &args.url {
        Some(_) => args.pbx_listen,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let tap_listener = TcpListener::bind(tap_address)
        .await
        .with_context(|| format!("cannot listen on {tap_address} for Tamas' AMI connection"))?;
    let tap_address = tap_listener.local_addr()?;
    let ring_times = Arc::new(RingTimes::default());
    tap::start(tap_listener, pbx_address, Arc::clone(&ring_times));

    let (base, pid, _own) = match (&args.url, &scratch) {
        (None, Some(scratch)) => {
            let listen = free_port()?;
            let own = OwnServer::start(listen, &database_url, tap_address, &scratch.log())?;
            (format!("http://{listen}"), Some(own.pid()), Some(own))
        }
        (Some(url), _) => {
            if population.created_agents > 0 {
                eprintln!(
                    "created {} agent users (extensions from 70000): restart the Tamas at {url} so \
                     its tracker knows their phones, then run this again",
                    population.created_agents
                );
                return Ok(ExitCode::from(2));
            }
            (url.trim_end_matches('/').to_owned(), args.server_pid, None)
        }
        (None, None) => anyhow::bail!("no server to test"),
    };
    eprintln!(
        "waiting for Tamas at {base} to connect to the simulated PBX (AMI on {tap_address})…"
    );
    server::wait_ready(
        &base,
        &population.supervisor_token,
        Duration::from_secs(120),
    )
    .await?;

    let before = pid.and_then(rss_bytes);
    let received = Arc::new(Received::default());
    let started = Instant::now();
    let ws_url = format!("{}/ws", base.replacen("http://", "ws://", 1));
    let mut sockets =
        sockets::connect_all(&ws_url, &population.agents, Arc::clone(&received)).await?;
    let connected_in = started.elapsed();
    let wallboard =
        sockets::watch_wallboard(&ws_url, &population.supervisor_token, Arc::clone(&received))
            .await?;
    tokio::time::sleep(SETTLE).await;
    let connected = pid.and_then(rss_bytes);

    eprintln!(
        "{} sockets open; {} calls/s for {} s…",
        args.agents, args.calls_per_second, args.duration
    );
    let duration = Duration::from_secs(args.duration);
    let memory = pid.filter(|_| args.soak).map(soak::MemorySampler::start);
    let driven = calls::drive(
        &sim,
        &extensions,
        &population.known_numbers,
        args.calls_per_second,
        duration,
    )
    .await;
    let calls_ended = Instant::now();
    let memory = match memory {
        Some(sampler) => sampler.finish(duration).await,
        None => None,
    };
    tokio::time::sleep(SETTLE).await;
    let after = pid.and_then(rss_bytes);
    let soak = match (memory, pid) {
        (Some(memory), Some(pid)) => {
            eprintln!("calls over; measuring the idle server…");
            let idle = soak::idle_cpu(pid, calls_ended).await;
            idle.map(|idle| soak::Soak::new(duration, memory, idle))
        }
        _ => None,
    };
    let steady = soak.as_ref().is_none_or(|s| s.steady);

    let mut report = Report::new(
        &args,
        connected_in,
        [before, connected, after],
        &driven,
        &ring_times,
        &received,
    );
    report.soak = soak;
    sockets.abort_all();
    wallboard.abort();
    sim.shutdown();
    if let Some(scratch) = &scratch {
        report.warnings_from_log(&scratch.log());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(if steady {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A temporary folder for the own server's database and log, removed at the end.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "tamas-loadtest-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Scratch { dir })
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port free right now.
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}
