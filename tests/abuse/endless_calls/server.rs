//! A real `tamas serve` child process for the PBX-side probes (started through the
//! harness's launcher): a config file naming the PBX, its log kept, and what `/proc` says
//! of it (resident memory, CPU time).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::support::{Serve, Served, became_true};

/// The running server, killed when dropped.
pub struct Server {
    served: Served,
    /// `127.0.0.1:port` of its HTTP listener.
    pub host: String,
    /// When it was started.
    pub started: Instant,
}

impl Server {
    /// Starts `tamas serve` over `database_url` with the PBX at `127.0.0.1:pbx_port`
    /// (agents 1001–1003 on trunk `trunk`), `[pbx]` keys `pbx_extra` and the sections
    /// `more` added to the config.
    pub async fn start(
        database_url: &str,
        pbx_port: u16,
        pbx_extra: &str,
        more: &str,
        dir: &Path,
    ) -> Server {
        let config = dir.join("tamas.toml");
        let agents: String = ["1001", "1002", "1003"]
            .iter()
            .map(|e| format!("[[pbx.agents]]\nextension = \"{e}\"\n"))
            .collect();
        std::fs::write(
            &config,
            format!(
                "[pbx]\nname = \"lab\"\nhost = \"127.0.0.1\"\nport = {pbx_port}\n\
                 username = \"cti\"\nsecret = \"cti-secret\"\ntrunks = [\"trunk\"]\n{pbx_extra}\n\n\
                 {agents}\n[recordings]\ndata_dir = \"{}\"\n\n{more}\n",
                dir.join("recordings").display()
            ),
        )
        .unwrap();
        let started = Instant::now();
        let served = Serve::new(database_url)
            .config(&config)
            .log_filter("info,sqlx=warn,tower_http=warn")
            .start()
            .await;
        Server {
            host: served.host.clone(),
            served,
            started,
        }
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.served.log()
    }

    /// Waits until it answers HTTP and says it is connected to the PBX (a minute at most).
    pub async fn wait_connected(&self) {
        let client = reqwest::Client::new();
        let healthz = format!("http://{}/healthz", self.host);
        let connected = became_true(Duration::from_secs(60), || async {
            let up = client
                .get(&healthz)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            up && self.log().contains("connected to the PBX")
        })
        .await;
        assert!(
            connected,
            "tamas never connected to the PBX: {}",
            self.log()
        );
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.served.pid()
    }

    /// Its resident memory (`VmRSS`), in kB.
    pub fn rss_kb(&self) -> u64 {
        rss_kb(self.served.pid())
    }

    /// CPU time used so far (user + system), from `/proc/PID/stat`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.served.pid())).unwrap();
        // Fields after the command name (which may hold spaces) in parentheses.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here.
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        self.served.sigterm();
    }

    /// Waits for the process to exit (at most `within`); its status and how long it took.
    pub async fn exited(&mut self, within: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        match self.served.exited(within).await {
            Some(status) => (status, started.elapsed()),
            None => panic!(
                "tamas did not exit within {within:?} of SIGTERM: {}",
                self.log()
            ),
        }
    }
}

/// The resident memory (`VmRSS`) of process `pid`, in kB.
pub fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// `CLK_TCK`, the unit of `/proc/PID/stat`'s CPU times.
fn clock_ticks_per_second() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(100.0)
}
