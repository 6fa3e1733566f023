//! The real `tamas` binary, for the tests whose point is the process: restarts and
//! kills, signals, the demo, the command line, memory and CPU.
//!
//! [`Serve`] starts `tamas serve --listen 127.0.0.1:0`: the process binds a free port
//! itself and logs where it listens ("serving address=…"), which is read from its
//! standard error. No port is picked for it beforehand (binding port 0, dropping the
//! listener and passing the number on races with every other test that binds).

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::poll::{became_true, wait_until};

/// The path of the `tamas` binary Cargo built for these tests.
pub fn tamas_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tamas"))
}

/// How to start `tamas serve`.
pub struct Serve {
    command: Command,
    log_filter: String,
    log_file: Option<PathBuf>,
}

impl Serve {
    /// `tamas serve` over `database_url`, logging warnings.
    pub fn new(database_url: &str) -> Serve {
        let mut command = Command::new(tamas_bin());
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("TAMAS_DATABASE_URL", database_url)
            .env_remove("TAMAS_CONFIG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Serve {
            command,
            log_filter: "warn".into(),
            log_file: None,
        }
    }

    /// With the settings file `path`.
    pub fn config(mut self, path: &Path) -> Serve {
        self.command.arg("--config").arg(path);
        self
    }

    /// With an environment variable (`TAMAS_<SECTION>__<KEY>` settings, say).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Serve {
        self.command.env(key, value);
        self
    }

    /// Logging what `filter` (`RUST_LOG` syntax) lets through.
    pub fn log_filter(mut self, filter: &str) -> Serve {
        filter.clone_into(&mut self.log_filter);
        self
    }

    /// Copying its log to the file `path` as well (for reading after it is gone).
    pub fn log_file(mut self, path: &Path) -> Serve {
        self.log_file = Some(path.to_owned());
        self
    }

    /// Starts it and waits until it says where it listens (a minute at most).
    pub async fn start(mut self) -> Served {
        // The line with the address is an info of the serve command, whatever else is
        // asked for.
        let filter = format!("{},tamas::commands::serve=info", self.log_filter);
        let mut child = self
            .command
            .env("RUST_LOG", filter)
            .spawn()
            .expect("tamas serve starts");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (address_tx, address) = tokio::sync::oneshot::channel();
        let file = self
            .log_file
            .map(|path| std::fs::File::create(path).expect("the log file"));
        let reader = {
            let log = Arc::clone(&log);
            std::thread::spawn(move || read_log(stderr, &log, file, address_tx))
        };
        let mut served = Served {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            host: String::new(),
            url: String::new(),
            log,
            reader: Some(reader),
        };
        let addr = match tokio::time::timeout(Duration::from_secs(60), address).await {
            Ok(Ok(addr)) => addr,
            Ok(Err(_)) => panic!("tamas serve ended before listening: {}", served.log()),
            Err(_) => panic!("tamas serve never said where it listens: {}", served.log()),
        };
        served.addr = addr;
        served.host = addr.to_string();
        served.url = format!("http://{addr}");
        served
    }
}

/// Copies the process's standard error into `log` and `file` (and to ours when
/// `TEST_LOG` is set) until it closes; sends the address of the "serving" line once.
fn read_log(
    stderr: impl std::io::Read,
    log: &Mutex<String>,
    mut file: Option<std::fs::File>,
    address: tokio::sync::oneshot::Sender<SocketAddr>,
) {
    let echo = std::env::var_os("TEST_LOG").is_some();
    let mut address = Some(address);
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        let text = without_colours(&String::from_utf8_lossy(&line));
        if echo {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
        if let Some(found) = serving_address(&text)
            && let Some(sender) = address.take()
        {
            let _ = sender.send(found);
        }
        if let Some(file) = &mut file {
            let _ = file.write_all(text.as_bytes());
        }
        log.lock().unwrap().push_str(&text);
        line.clear();
    }
}

/// The address of `tamas serve`'s "serving address=127.0.0.1:PORT" line.
fn serving_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("tamas::commands::serve") || !line.contains("serving") {
        return None;
    }
    let start = line.find("address=")? + "address=".len();
    line[start..].split_whitespace().next()?.parse().ok()
}

/// `text` without ANSI escape sequences (should the log be coloured after all).
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte (a letter).
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A running `tamas serve`, killed when dropped.
pub struct Served {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`TERM`, `KILL`, `STOP`, …).
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{signal}");
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        self.signal("TERM");
    }

    /// Its exit status if it has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("wait")
    }

    /// Waits for it to exit, `within` at most (`None` past that); once it has, its log
    /// is complete.
    pub async fn exited(&mut self, within: Duration) -> Option<ExitStatus> {
        let mut status = None;
        became_true(within, || {
            status = self.child.try_wait().expect("wait");
            std::future::ready(status.is_some())
        })
        .await;
        if status.is_some() {
            self.finish_log();
        }
        status
    }

    /// Kills it (SIGKILL: nothing is flushed) and waits for it; its log is complete.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.finish_log();
    }

    /// Waits until the log reader has read everything (the process has exited).
    fn finish_log(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the server at `url` answers `/healthz` (30 s at most).
pub async fn wait_until_up(url: &str) {
    let client = reqwest::Client::new();
    let healthz = format!("{url}/healthz");
    wait_until(
        &format!("tamas to answer at {url}"),
        Duration::from_secs(30),
        || async {
            client
                .get(&healthz)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        },
    )
    .await;
}

/// A running `tamas demo`, killed when dropped.
pub struct TamasProcess {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// The lines it printed on standard output up to the URL.
    pub output: Vec<String>,
    /// The database URL it uses.
    pub database_url: String,
}

impl TamasProcess {
    /// Starts `tamas demo` on a free port (it binds port 0 and prints its URL) with its
    /// data in `data`, and waits until it answers `/healthz`.
    pub async fn demo(data: &Path) -> Self {
        let mut child = Command::new(tamas_bin())
            .args(["demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env_remove("TAMAS_DATABASE_URL")
            .env_remove("TAMAS_CONFIG")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tamas demo starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let (url, output) = tokio::task::spawn_blocking(move || read_demo_output(stdout))
            .await
            .expect("reader thread");
        let process = Self {
            child,
            url: url.trim_end_matches('/').to_owned(),
            output,
            database_url: format!("sqlite:{}", data.join("tamas.db").display()),
        };
        wait_until_up(&process.url).await;
        process
    }

    /// Sends SIGTERM and waits for the process to exit (a minute at most).
    pub async fn terminate(mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let mut status = None;
        let exited = became_true(Duration::from_secs(60), || {
            status = self.child.try_wait().expect("wait");
            std::future::ready(status.is_some())
        })
        .await;
        assert!(exited, "tamas did not exit after SIGTERM");
        status.unwrap()
    }

    /// Runs another `tamas` command against the same database.
    pub fn run_cli(&self, args: &[&str]) -> Output {
        run_tamas(&self.database_url, args, None)
    }
}

/// The demo's URL and its output up to "Ready"; standard output is drained afterwards so
/// the demo never blocks on a full pipe.
fn read_demo_output(stdout: std::process::ChildStdout) -> (String, Vec<String>) {
    let mut output = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.expect("utf-8 output");
        let found = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .map(str::to_owned);
        output.push(line);
        if let Some(found) = found {
            url = Some(found);
        }
        if output.iter().any(|l| l.contains("Ready")) {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (url.expect("the demo prints its URL"), output)
}

impl Drop for TamasProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `tamas ARGS` with `TAMAS_DATABASE_URL` set (unless empty), optionally feeding
/// `stdin`.
pub fn run_tamas(database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(tamas_bin());
    if database_url.is_empty() {
        command.env_remove("TAMAS_DATABASE_URL");
    } else {
        command.env("TAMAS_DATABASE_URL", database_url);
    }
    let mut child = command
        .args(args)
        .env_remove("TAMAS_CONFIG")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tamas starts");
    let mut pipe = child.stdin.take().expect("stdin piped");
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    child.wait_with_output().expect("tamas finishes")
}

/// A child process killed (and waited for) when dropped.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tamas simulate-pbx --listen 127.0.0.1:0 ARGS` (it binds port 0 and prints its
/// address); returns it with its address (`host:port`) once it accepts AMI clients.
pub fn simulate_pbx(args: &[&OsStr]) -> (KillOnDrop, String) {
    let mut sim = KillOnDrop(
        Command::new(tamas_bin())
            .args(["simulate-pbx", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("TAMAS_CONFIG")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tamas simulate-pbx starts"),
    );
    let stdout = sim.0.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .by_ref()
        .map(|l| l.expect("utf-8 output"))
        .find(|l| l.contains("AMI on"))
        .expect("the simulator prints its address");
    std::thread::spawn(move || for _ in lines {});
    let address = line
        .split_whitespace()
        .last()
        .expect("an address")
        .to_owned();
    // It prints the address of a listener it already bound: connecting succeeds at once.
    std::net::TcpStream::connect(&address).expect("the simulated PBX listens");
    (sim, address)
}
