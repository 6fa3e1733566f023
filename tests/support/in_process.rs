//! The service in this process: `tamas::startup::Application` built as `tamas serve`
//! builds it (src/commands/serve.rs), on a listener bound to `127.0.0.1:0` and kept (no
//! port is handed over), running on a Tokio runtime of its own, on a thread of its own:
//! a test that blocks does not stall it, and what it logs goes to its own buffer
//! ([`RunningApp::log`]; echoed to standard error when `TEST_LOG` is set), not the test's.
//! Dropping it stops it through its lifecycle, as SIGTERM stops the binary.

use std::cell::RefCell;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::app::lifecycle::Lifecycle;
use secrecy::{ExposeSecret as _, SecretString};
use tamas::settings::Settings;
use tamas::startup::{self, Application};
use tokio_util::sync::CancellationToken;
use tracing::Dispatch;

/// The longest a test waits for the service to stop when dropped; past it the thread is
/// left to finish on its own.
const STOP_WAIT: Duration = Duration::from_secs(15);

thread_local! {
    /// The service's log subscriber, on each thread of its runtime.
    static WORKER_LOG: RefCell<Option<tracing::dispatcher::DefaultGuard>> = const { RefCell::new(None) };
}

/// The running service.
pub struct RunningApp {
    /// The address it serves HTTP on.
    pub addr: SocketAddr,
    stop: CancellationToken,
    finished: mpsc::Receiver<()>,
    log: Log,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningApp {
    /// Starts the service with the settings in `config` (and the `TAMAS_…__…`
    /// environment, as the binary reads them) over `database_url`, logging what
    /// `log_filter` lets through; returns once it listens.
    pub async fn start(config: &Path, database_url: &str, log_filter: &str) -> RunningApp {
        let mut settings = Settings::load(Some(config)).expect("the test's settings");
        settings.database.url = SecretString::from(database_url.to_owned());
        let log = Log::default();
        let dispatch = log.dispatch(log_filter);
        let stop = CancellationToken::new();
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        let (finished_tx, finished) = mpsc::channel();
        let serving = stop.clone();
        let thread = std::thread::Builder::new()
            .name("tamas".into())
            .spawn(move || {
                let _log = tracing::dispatcher::set_default(&dispatch);
                let runtime = runtime(dispatch);
                runtime.block_on(serve(settings, serving, ready_tx));
                runtime.shutdown_timeout(Duration::from_millis(500));
                let _ = finished_tx.send(());
            })
            .unwrap();
        let addr = match tokio::time::timeout(Duration::from_secs(60), ready).await {
            Ok(Ok(Ok(addr))) => addr,
            Ok(Ok(Err(err))) => panic!("the service did not start: {err:#}\n{}", log.text()),
            Ok(Err(_)) => panic!("the service's thread ended: {}", log.text()),
            Err(_) => panic!("the service did not start within 60 s: {}", log.text()),
        };
        RunningApp {
            addr,
            stop,
            finished,
            log,
            thread: Some(thread),
        }
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        self.log.text()
    }

    /// Stops it through its lifecycle and waits until it has.
    pub async fn stop(mut self) {
        self.stop.cancel();
        let finished = std::mem::replace(&mut self.finished, mpsc::channel().1);
        let stopped = tokio::task::spawn_blocking(move || finished.recv_timeout(STOP_WAIT))
            .await
            .unwrap();
        assert!(stopped.is_ok(), "the service did not stop: {}", self.log());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        self.stop.cancel();
        if self.finished.recv_timeout(STOP_WAIT).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

/// Two workers whose threads (the blocking pool's too) log to `dispatch`.
fn runtime(dispatch: Dispatch) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || {
            let guard = tracing::dispatcher::set_default(&dispatch);
            WORKER_LOG.with(|slot| *slot.borrow_mut() = Some(guard));
        })
        .on_thread_stop(|| WORKER_LOG.with(|slot| drop(slot.borrow_mut().take())))
        .build()
        .unwrap()
}

/// Builds the service, says where it listens (or why it could not start), and runs it
/// until `stop` is cancelled.
async fn serve(
    settings: Settings,
    stop: CancellationToken,
    ready: tokio::sync::oneshot::Sender<anyhow::Result<SocketAddr>>,
) {
    let app = match build(&settings).await {
        Ok(app) => app,
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    let _ = ready.send(app.local_addr());
    if let Err(err) = app.run_until_stopped(stop.cancelled_owned()).await {
        tracing::error!(error = %format!("{err:#}"), "the service failed");
    }
}

/// What `tamas serve` does before it runs: the store, the listener, the lifecycle and the
/// PBX link when `[pbx] host` is set.
async fn build(settings: &Settings) -> anyhow::Result<Application> {
    let store = startup::open_store(
        settings.database.url.expose_secret(),
        &settings.phone.default_region,
    )
    .await?;
    let listener = startup::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let lifecycle = Lifecycle::new(settings.server.shutdown_timeout());
    let pbx = if settings.pbx.host.is_empty() {
        None
    } else {
        Some(startup::start_pbx_link(settings, &store, &lifecycle).await?)
    };
    Application::build(settings, store, listener, pbx, lifecycle).await
}

/// The service's log: plain text (no colours), kept in memory.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    /// A subscriber writing here what `filter` lets through (`RUST_LOG` syntax), and to
    /// standard error as well when `TEST_LOG` is set.
    fn dispatch(&self, filter: &str) -> Dispatch {
        let log = self.clone();
        let echo = std::env::var_os("TEST_LOG").is_some();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_ansi(false)
            .with_writer(move || LogWriter {
                log: log.clone(),
                echo,
            })
            .finish();
        Dispatch::new(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// One write to a [`Log`].
struct LogWriter {
    log: Log,
    echo: bool,
}

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.echo {
            let _ = std::io::stderr().write_all(buf);
        }
        self.log.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
