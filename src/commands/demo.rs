//! `tamas demo`: the whole product on one machine with no setup — SQLite in a data folder,
//! demo users and contacts, and the simulated PBX generating calls (a caller abandoning
//! every two minutes, for the callbacks and alerts) through the real AMI
//! client over loopback.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use crm_core::{Extension, Locale, NewContact, NewPhone, NewUser, Role, Stage, Store, Username};
use cti::sim::{CallSpec, Scenario, SimAgent, SimError, SimHandle, SimSettings, Simulator};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::admin::generate_password;
use crate::demo::{DEMO_USERS, demo_contacts};
use crate::settings::{PbxSettings, Settings};
use crate::startup::{Application, bind, shutdown_signal, start_pbx_link};
use app::lifecycle::Lifecycle;

/// Generated calls per minute in the demo.
const DEMO_CALLS_PER_MINUTE: f64 = 4.0;
/// How often the demo makes a caller abandon (see [`abandon_now_and_then`])…
const DEMO_ABANDON_EVERY: std::time::Duration = std::time::Duration::from_secs(120);
/// …retrying this often while the agents are busy.
const DEMO_ABANDON_RETRY: std::time::Duration = std::time::Duration::from_secs(5);
/// How long the simulated PBX may take to stop once Tamas has.
const SIM_STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// The most a demo call's talk is longer than captured.
const DEMO_MAX_EXTRA_TALK: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs the demo until Ctrl-C or SIGTERM, then stops Tamas in order and the simulated PBX
/// after it.
pub async fn run(
    mut settings: Settings,
    listen: SocketAddr,
    data: &Path,
) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data folder {}", data.display()))?;
    settings.database.url = SecretString::from(Settings::sqlite_url_in(data));
    settings.recordings.data_dir = data.join("recordings");
    let store = super::open_store(&settings).await?;
    let logins = seed_users(store.as_ref()).await?;
    let created = seed_contacts(store.as_ref()).await?;
    // The simulated PBX, on a free loopback port, reached through the real AMI client.
    let sim = SimulatedPbx::start().await?;
    settings.pbx = PbxSettings {
        host: sim.address.ip().to_string(),
        port: sim.address.port(),
        username: "cti".into(),
        secret: SecretString::from(sim.secret.clone()),
        ..PbxSettings::default()
    };
    let listener = bind(listen).await?;
    let lifecycle = Lifecycle::new(settings.server.shutdown_timeout());
    let pbx = start_pbx_link(&settings, &store, &lifecycle).await?;

    let app = Application::build(&settings, store, listener, Some(pbx), lifecycle).await?;
    let url = format!("http://{}", app.local_addr()?);
    print_welcome(&url, data, created, sim.address, &logins);
    let report = app.run_until_stopped(shutdown_signal()).await?;
    sim.stop().await;
    Ok(report.exit_code())
}

/// The simulated PBX, serving AMI on a loopback port, and its scripted moments.
struct SimulatedPbx {
    /// Where its AMI listens.
    address: SocketAddr,
    /// Its AMI secret.
    secret: String,
    /// The server and the scripted moments.
    tasks: TaskTracker,
    /// Stops them.
    shutdown: CancellationToken,
}

impl SimulatedPbx {
    /// Starts the simulated PBX on a free loopback port, generating calls for the demo
    /// agents, with a flaky phone and a caller abandoning now and then.
    async fn start() -> anyhow::Result<Self> {
        let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot start the simulated PBX")?;
        let sim_address = sim_listener.local_addr()?;
        let sim_secret = generate_password();
        let extensions: Vec<&str> = DEMO_USERS.iter().filter_map(|u| u.extension).collect();
        let sim_settings = SimSettings {
            secret: SecretString::from(sim_secret.clone()),
            agents: SimAgent::for_extensions(&extensions),
            calls_per_minute: DEMO_CALLS_PER_MINUTE,
            // Short enough that all three agents are often free at once: an abandoned call in
            // the ring-all queue needs them, and the demo's callbacks and alerts come from it.
            max_extra_talk: DEMO_MAX_EXTRA_TALK,
            seed: rand::random(),
            ..SimSettings::lab()
        };
        let simulator = Simulator::new(sim_settings).context("cannot start the simulated PBX")?;
        // The simulated PBX and its scripted moments stop after Tamas has logged off from it.
        let sim_tasks = TaskTracker::new();
        let sim_stop = CancellationToken::new();
        sim_tasks.spawn(until(
            sim_stop.clone(),
            flaky_phone(
                simulator.handle(),
                extensions.last().map(|e| (*e).to_owned()),
            ),
        ));
        sim_tasks.spawn(until(
            sim_stop.clone(),
            abandon_now_and_then(simulator.handle()),
        ));
        let sim_shutdown = sim_stop.clone().cancelled_owned();
        sim_tasks.spawn(async move {
            if let Err(err) = simulator.serve(sim_listener, sim_shutdown).await {
                tracing::error!(error = %err, "the simulated PBX stopped");
            }
        });
        sim_tasks.close();
        Ok(SimulatedPbx {
            address: sim_address,
            secret: sim_secret,
            tasks: sim_tasks,
            shutdown: sim_stop,
        })
    }

    /// Stops the simulated PBX, waiting at most [`SIM_STOP_TIMEOUT`] for it.
    async fn stop(self) {
        self.shutdown.cancel();
        if tokio::time::timeout(SIM_STOP_TIMEOUT, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("the simulated PBX did not stop in time");
        }
    }
}

/// Says where the demo is, where its data is kept and how to sign in.
fn print_welcome(
    url: &str,
    data: &Path,
    created: usize,
    sim_address: SocketAddr,
    logins: &[Login],
) {
    println!("Tamas demo: {url}");
    println!("Data folder: {}", data.display());
    if created > 0 {
        println!("Created {created} demo contacts.");
    }
    println!("Simulated PBX: AMI on {sim_address}, about {DEMO_CALLS_PER_MINUTE} calls a minute");
    println!("Sign in as (passwords are new at every start):");
    for (username, role, extension, password) in logins {
        let extension = extension
            .map(|e| format!(", extension {e}"))
            .unwrap_or_default();
        println!("  {username:<10} {password}   ({role}{extension})");
    }
    println!("Ready. Press Ctrl-C to stop.");
}

/// Runs `task` until `stop` is cancelled.
async fn until(stop: CancellationToken, task: impl Future<Output = ()>) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = task => {}
    }
}

/// Every few minutes, a caller gives up waiting in the ring-all queue: generated calls
/// rarely find all its agents free at once, and the demo should show callbacks and alerts.
async fn abandon_now_and_then(sim: SimHandle) {
    loop {
        tokio::time::sleep(DEMO_ABANDON_EVERY).await;
        loop {
            match sim.place(CallSpec::new(Scenario::InboundAbandoned)) {
                Err(SimError::NoFreeAgent(_)) => tokio::time::sleep(DEMO_ABANDON_RETRY).await,
                Err(err) => {
                    tracing::debug!(error = %err, "no abandoned call this time");
                    break;
                }
                Ok(_) => break,
            }
        }
    }
}

type Login = (&'static str, &'static str, Option<&'static str>, String);

/// Creates the demo users that are missing and gives every one a fresh password.
async fn seed_users(store: &dyn Store) -> anyhow::Result<Vec<Login>> {
    let mut logins = Vec::new();
    for user in DEMO_USERS {
        let password = generate_password();
        let hash = {
            let password = password.clone();
            tokio::task::spawn_blocking(move || crm_core::password::hash_password(&password))
                .await??
        };
        match store.user_by_username(user.username).await? {
            Some(existing) => store.set_password_hash(existing.id, &hash).await?,
            None => {
                store
                    .create_user(&NewUser {
                        username: Username::parse(user.username)?,
                        display_name: user.display_name.to_owned(),
                        role: Role::parse(user.role)?,
                        extension: user.extension.map(Extension::parse).transpose()?,
                        locale: Locale::parse(user.locale)?,
                        password_hash: hash,
                    })
                    .await?;
            }
        }
        logins.push((user.username, user.role, user.extension, password));
    }
    Ok(logins)
}

/// Creates the demo contacts on first start (when the first one is not there yet).
async fn seed_contacts(store: &dyn Store) -> anyhow::Result<usize> {
    let contacts = demo_contacts();
    let Some(first) = contacts.first() else {
        return Ok(0);
    };
    let Some((first_number, _)) = first.phones.first() else {
        return Ok(0);
    };
    if !store.lookup_number(first_number, None).await?.is_empty() {
        return Ok(0);
    }
    for contact in &contacts {
        store
            .create_contact(&NewContact {
                name: contact.name.clone(),
                organisation: contact.organisation.clone(),
                stage: Stage::parse(contact.stage)?,
                email: contact.email.clone(),
                tags: contact.tags.iter().map(|t| (*t).to_owned()).collect(),
                owner: None,
                phones: contact
                    .phones
                    .iter()
                    .map(|(raw, label)| NewPhone {
                        number: store.normalizer().normalize(raw),
                        label: (*label).to_owned(),
                    })
                    .collect(),
            })
            .await?;
    }
    Ok(contacts.len())
}

/// The demo's last agent's phone drops off the network for a minute every ten, so the
/// wallboard shows an unavailable agent now and then.
async fn flaky_phone(sim: cti::sim::SimHandle, extension: Option<String>) {
    let Some(extension) = extension else {
        return;
    };
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(540)).await;
        sim.set_phone_reachable(&extension, false);
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        sim.set_phone_reachable(&extension, true);
    }
}
