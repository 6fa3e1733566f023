//! Start-up: open the store, bind the listener, start the PBX link and the background
//! tasks in the stages of a [`Lifecycle`], run the service until asked to stop, then stop
//! it in order ([`app::lifecycle::shutdown`]).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use crm_core::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::settings::Settings;
use app::alerts::AlertEngine;
use app::bridge::agent_users::AgentUsers;
use app::bridge::call_log::CallLogWriter;
use app::bridge::mapping::KnownAgent;
use app::bridge::{PbxLink, tracker_settings};
use app::lifecycle::Lifecycle;
use app::lifecycle::report::ShutdownReport;

/// Contact picks of answered calls the alert engine may have unread (more are left to its
/// periodic callback check).
const PICKS_WAITING: usize = 1024;

/// The whole service, bound to its port and ready to run.
pub struct Application {
    listener: TcpListener,
    state: web::AppState,
    /// Timeouts and the connection cap of the HTTP server.
    limits: web::HttpLimits,
    /// Owns every background task (the PBX link's too) and stops them in order.
    lifecycle: Lifecycle,
}

impl Application {
    /// Prepares the service over `store` on an already bound `listener`, with the live
    /// view of `pbx` when there is one, its AMI client for click-to-call and pauses, and
    /// the popups and the alert engine fed by its call events; every background task is
    /// started in a stage of `lifecycle` (the PBX link's already are).
    pub async fn build(
        settings: &Settings,
        store: Arc<dyn Store>,
        listener: TcpListener,
        pbx: Option<PbxLink>,
        lifecycle: Lifecycle,
    ) -> anyhow::Result<Self> {
        let mut state = app_state(settings, store, pbx.as_ref(), &lifecycle)?;
        start_jobs(settings, &mut state, pbx.as_ref(), &lifecycle)?;
        // One extension → user map for popups and alerts, filled now, so that popups reach
        // their agents even when the database is down later.
        let agent_users = Arc::new(AgentUsers::new(Arc::clone(&state.store)));
        agent_users.preload().await;
        if let Some(pbx) = &pbx {
            state.pbx = Some(pbx.client.clone());
            start_call_feeds(settings, &state, pbx, &agent_users, &lifecycle);
        }
        start_alerts(settings, &state, pbx.as_ref(), agent_users, &lifecycle)?;
        // Everyone listens now: the link may tell them where the calls taken back are.
        if let Some(pbx) = &pbx {
            pbx.begin();
        }
        Ok(Self {
            listener,
            state,
            limits: settings.http.to_limits()?,
            lifecycle,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes, then stops everything in order within
    /// `server.shutdown_timeout_s` ([`app::lifecycle::shutdown`]) and says what it did.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<ShutdownReport> {
        let Application {
            listener,
            state,
            limits,
            lifecycle,
        } = self;
        let hub = state.hub.clone();
        let stop_accepting = CancellationToken::new();
        let server = web::serve(
            listener,
            state,
            limits,
            stop_accepting.clone().cancelled_owned(),
        );
        tokio::pin!(server);
        let failed = tokio::select! {
            served = &mut server => Some(served.context("HTTP server failed")),
            () = shutdown => None,
        };
        stop_accepting.cancel();
        let report = match failed {
            // The server is gone already: stop the rest all the same.
            Some(_) => lifecycle.shut_down(std::future::ready(Ok(())), &hub).await,
            None => lifecycle.shut_down(server, &hub).await,
        };
        report.log();
        match failed {
            Some(Err(err)) => Err(err),
            _ => Ok(report),
        }
    }
}

/// The web service's state over `store`: the settings it reads, the live view of `pbx`
/// when there is one, and the click-to-call dialer.
fn app_state(
    settings: &Settings,
    store: Arc<dyn Store>,
    pbx: Option<&PbxLink>,
    lifecycle: &Lifecycle,
) -> anyhow::Result<web::AppState> {
    let mut state = web::AppState::new(store);
    state.live = pbx.map(|pbx| Arc::clone(&pbx.live));
    state.queues = pbx.map(|pbx| Arc::clone(&pbx.queues));
    state.metrics = settings.metrics.to_core();
    state.sessions = settings.session.to_web()?;
    state.access = settings.access.to_web();
    state.dialer = Arc::new(app::dialer::Dialer::new(
        settings.dialer.to_web()?,
        settings.pbx.name.clone(),
    ));
    // Click-to-call followers end when the AMI client stops: they belong to its stage.
    state.tasks = lifecycle.pbx().tasks().clone();
    Ok(state)
}

/// Starts the recordings' jobs (their desk goes into `state`), the metrics job and the
/// closing of sockets whose access ended.
fn start_jobs(
    settings: &Settings,
    state: &mut web::AppState,
    pbx: Option<&PbxLink>,
    lifecycle: &Lifecycle,
) -> anyhow::Result<()> {
    let desk = Arc::new(app::recording_jobs::desk(
        &settings.recordings,
        &settings.pbx.name,
    ));
    app::recording_jobs::start(
        &settings.recordings,
        &state.store,
        &desk,
        pbx.map(|pbx| Arc::clone(&pbx.live)),
        lifecycle.recordings(),
    )?;
    app::metrics_job::start(
        Arc::clone(&state.store),
        state.metrics,
        app::metrics_job::Triggers {
            written: pbx.map(|pbx| pbx.call_log.written()),
            edited: Some(state.calls_edited.subscribe()),
        },
        lifecycle.jobs(),
    );
    // Sockets whose access ended (here or in another process) are closed.
    lifecycle.jobs().spawn(app::hub::revocations::watch(
        Arc::clone(&state.store),
        state.hub.clone(),
        app::hub::revocations::RevocationSettings::default(),
        lifecycle.jobs().drain_token(),
    ));
    state.recordings = Some(desk);
    Ok(())
}

/// Starts what follows `pbx`'s calls for the hub's sockets: the popups and live call
/// events, and the wallboard's feed and its wrap-up follower.
fn start_call_feeds(
    settings: &Settings,
    state: &web::AppState,
    pbx: &PbxLink,
    agent_users: &Arc<AgentUsers>,
    lifecycle: &Lifecycle,
) {
    // Popups and live call events for the hub's sockets.
    if let Some(events) = pbx.take_popup_events() {
        app::bridge::popups::start(
            Arc::clone(agent_users),
            state.hub.clone(),
            events,
            pbx.pauses.subscribe(),
            settings.console.wrapup_internal,
            state.access,
            lifecycle.jobs(),
        );
    }
    lifecycle.jobs().spawn(app::wallboard::feed::follow_wrapups(
        Arc::clone(&state.wrapups),
        pbx.events.subscribe(),
        lifecycle.jobs().drain_token(),
    ));
    lifecycle.jobs().spawn(app::wallboard::feed::run(
        app::wallboard::feed::Sources {
            store: Arc::clone(&state.store),
            hub: state.hub.clone(),
            wrapups: Arc::clone(&state.wrapups),
            metrics: state.metrics,
            calls_edited: state.calls_edited.clone(),
        },
        app::wallboard::feed::Feed {
            board: Arc::clone(&pbx.queues),
            board_changed: Arc::clone(&pbx.board_changed),
            calls_written: pbx.call_log.written(),
            rolling_hours: settings.wallboard.rolling_hours,
            stop: lifecycle.jobs().drain_token(),
        },
    ));
}

/// Starts the alert engine: callbacks for abandoned calls and the other alerts, pushed to
/// supervisors; without a PBX only the lead and service-level rules have anything to look
/// at.
fn start_alerts(
    settings: &Settings,
    state: &web::AppState,
    pbx: Option<&PbxLink>,
    agent_users: Arc<AgentUsers>,
    lifecycle: &Lifecycle,
) -> anyhow::Result<()> {
    AlertEngine::new(
        Arc::clone(&state.store),
        state.hub.clone(),
        agent_users,
        pbx.map_or_else(Arc::default, |pbx| Arc::clone(&pbx.queues)),
        settings
            .alerts
            .to_rules(settings.metrics.service_level_target)?,
        state.metrics,
    )
    .with_contact_picks(state.contact_picks.subscribe(PICKS_WAITING))
    .start(pbx.map(|pbx| pbx.call_log.written()), lifecycle.alerts());
    Ok(())
}

/// Binds the HTTP listener (port 0 picks a free port).
pub async fn bind(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))
}

/// Connects to the database named by `url` and applies the migrations; numbers written
/// without a country code are read in `region`.
pub async fn open_store(url: &str, region: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store = crm_core::connect(url, crm_core::PhoneNormalizer::new(region))
        .await
        .context("cannot open the database")?;
    store
        .migrate()
        .await
        .context("cannot apply the database migrations")?;
    Ok(store)
}

/// Connects to the configured PBX in the background: the tracker knows the configured
/// agents plus every user with an extension, takes back the calls in progress of the last
/// run, and finished calls go to the call log. The
/// link's tasks belong to `lifecycle`'s `pbx` stage, the writer's to its `call log` stage.
pub async fn start_pbx_link(
    settings: &Settings,
    store: &Arc<dyn Store>,
    lifecycle: &Lifecycle,
) -> anyhow::Result<PbxLink> {
    let agents: Vec<KnownAgent> = store
        .list_users()
        .await
        .context("cannot read the users")?
        .into_iter()
        .filter_map(|user| {
            user.extension.map(|extension| KnownAgent {
                extension: extension.to_string(),
                name: user.display_name,
            })
        })
        .collect();
    let tracker = tracker_settings(&settings.pbx, &agents);
    let restored = app::bridge::open_calls::load(store, &settings.pbx.name).await?;
    let call_log =
        CallLogWriter::start(Arc::clone(store), &settings.pbx.name, lifecycle.call_log());
    Ok(PbxLink::start(
        &settings.pbx,
        &settings.phone,
        tracker,
        call_log,
        restored,
        lifecycle.pbx(),
    ))
}

/// Completes on Ctrl-C or SIGTERM (logging which).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    let signal = tokio::select! {
        () = ctrl_c => "Ctrl-C",
        () = terminate => "SIGTERM",
    };
    tracing::info!(signal, "stop requested");
}
