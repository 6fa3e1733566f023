//! The Tamas under test: its own `tamas serve` process (this binary) on a fresh SQLite
//! database, or a running one; readiness, and its memory as Linux counts it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A `tamas serve` started by the load test, stopped when dropped.
pub struct OwnServer {
    child: Child,
}

impl OwnServer {
    /// Starts `tamas serve` on `listen` over `database_url`, with its PBX at `pbx`.
    pub fn start(
        listen: SocketAddr,
        database_url: &str,
        pbx: SocketAddr,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the tamas binary")?;
        let log = std::fs::File::create(log).context("cannot create the server log")?;
        let child = Command::new(exe)
            .args(["serve", "--listen", &listen.to_string()])
            .env_remove("TAMAS_CONFIG")
            .env("TAMAS_DATABASE_URL", database_url)
            .env("TAMAS_PBX__NAME", "loadtest")
            .env("TAMAS_PBX__HOST", pbx.ip().to_string())
            .env("TAMAS_PBX__PORT", pbx.port().to_string())
            .env("TAMAS_PBX__USERNAME", "cti")
            .env("TAMAS_PBX__SECRET", "cti-secret")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("cannot start tamas serve")?;
        Ok(OwnServer { child })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the server at `base` answers and has read the PBX's queues (so its AMI
/// session is up and resynced).
pub async fn wait_ready(
    base: &str,
    supervisor_token: &str,
    patience: Duration,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + patience;
    while tokio::time::Instant::now() < deadline {
        if queues_ready(base, supervisor_token).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{base} did not get ready (answering, and connected to the PBX) in {patience:?}")
}

/// Whether `GET /api/queues` answers 200 with queue members: one plain HTTP/1.1 request,
/// which needs no HTTP client library.
async fn queues_ready(base: &str, token: &str) -> bool {
    let Some(host) = base.strip_prefix("http://") else {
        return false;
    };
    let host = host.trim_end_matches('/');
    let Ok(mut stream) = TcpStream::connect(host).await else {
        return false;
    };
    let request = format!(
        "GET /api/queues HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    if stream.read_to_end(&mut answer).await.is_err() {
        return false;
    }
    let answer = String::from_utf8_lossy(&answer);
    answer.starts_with("HTTP/1.1 200") && answer.contains("\"members\"")
}

/// Resident memory of process `pid`, bytes (`VmRSS` in `/proc/PID/status`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Clock ticks per second of the times in `/proc/PID/stat` (`USER_HZ`, 100 on Linux).
const USER_HZ: u64 = 100;

/// CPU time (user + system) process `pid` has used so far (`/proc/PID/stat`).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields count from the last ')'.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    // After the name: state is field 3, utime field 14 and stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}
