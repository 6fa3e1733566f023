//! The HTTP server's limits (`[http]`): how long a client may take to send a request's
//! head or body, how long a kept-alive connection may wait idle, and how many connections
//! may be open at once.

use std::time::Duration;

use serde::Deserialize;

/// File descriptors kept for everything but HTTP connections.
const FD_HEADROOM: u64 = 64;

/// The soft limit on open files of this process (Linux `/proc/self/limits`), if known.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// `[http]`: bounds on what clients can hold of the server ([`web::HttpLimits`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// A request's head (request line and headers) must arrive within this many seconds
    /// of the connection's accept or of its first byte; else the connection is closed.
    pub header_read_timeout_s: u64,
    /// A kept-alive connection waiting this many seconds for its next request is closed.
    pub idle_timeout_s: u64,
    /// A request body that sends nothing for this many seconds fails.
    pub body_timeout_s: u64,
    /// Connections (HTTP and WebSocket) open at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        let limits = web::HttpLimits::default();
        Self {
            header_read_timeout_s: limits.header_read_timeout.as_secs(),
            idle_timeout_s: limits.idle_timeout.as_secs(),
            body_timeout_s: limits.body_timeout.as_secs(),
            max_connections: limits.max_connections,
        }
    }
}

impl HttpSettings {
    /// The server's form of these settings; every value must be positive.
    pub fn to_limits(&self) -> anyhow::Result<web::HttpLimits> {
        anyhow::ensure!(
            self.header_read_timeout_s > 0
                && self.idle_timeout_s > 0
                && self.body_timeout_s > 0
                && self.max_connections > 0,
            "[http] header_read_timeout_s, idle_timeout_s, body_timeout_s and max_connections \
             must be positive"
        );
        if let Some(fds) = open_files_limit()
            && fds < self.max_connections as u64 + FD_HEADROOM
        {
            tracing::warn!(
                max_connections = self.max_connections,
                open_files_limit = fds,
                "[http] max_connections is above what the open-files limit allows (the \
                 database, the PBX link and recordings need descriptors too): raise the limit \
                 (systemd LimitNOFILE) or lower max_connections"
            );
        }
        Ok(web::HttpLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_s),
            idle_timeout: Duration::from_secs(self.idle_timeout_s),
            body_timeout: Duration::from_secs(self.body_timeout_s),
            max_connections: self.max_connections,
        })
    }
}
