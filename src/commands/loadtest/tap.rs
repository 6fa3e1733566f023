//! A tap on the AMI connection between the simulated PBX and Tamas: it forwards every byte
//! both ways and notes when the event that rings an agent (`AgentCalled`, or `DialBegin`)
//! of each call has been written to Tamas — where popup latency starts — and when each
//! caller's `QueueCallerJoin` was, where the wallboard's latency starts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// When each call's first ringing event was written to Tamas, by Linkedid.
#[derive(Debug, Default)]
pub struct RingTimes {
    written: Mutex<HashMap<String, Instant>>,
    joined: Mutex<HashMap<String, Instant>>,
}

impl RingTimes {
    /// When `linkedid`'s ringing event was written.
    pub fn get(&self, linkedid: &str) -> Option<Instant> {
        self.written.lock().ok()?.get(linkedid).copied()
    }

    /// When the caller with this Uniqueid joined a queue (its `QueueCallerJoin` written).
    pub fn joined(&self, uniqueid: &str) -> Option<Instant> {
        self.joined.lock().ok()?.get(uniqueid).copied()
    }

    fn note(&self, seen: Seen, at: Instant) {
        for (map, ids) in [(&self.written, seen.rings), (&self.joined, seen.joins)] {
            if let Ok(mut map) = map.lock() {
                for id in ids {
                    map.entry(id).or_insert(at);
                }
            }
        }
    }
}

/// Accepts Tamas' AMI connections on `listener` and relays each to the PBX at `upstream`.
pub fn start(listener: TcpListener, upstream: SocketAddr, times: Arc<RingTimes>) {
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let times = Arc::clone(&times);
            tokio::spawn(async move {
                if let Err(err) = relay(client, upstream, times).await {
                    tracing::debug!(error = %err, "AMI tap connection ended");
                }
            });
        }
    });
}

async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    times: Arc<RingTimes>,
) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let server = TcpStream::connect(upstream).await?;
    server.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut chunk = vec![0u8; 64 * 1024];
    let mut partial: Vec<u8> = Vec::new();
    loop {
        let n = server_read.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        client_write.write_all(&chunk[..n]).await?;
        let written = Instant::now();
        partial.extend_from_slice(&chunk[..n]);
        let (seen, consumed) = ringing_calls(&partial);
        partial.drain(..consumed);
        if !seen.rings.is_empty() || !seen.joins.is_empty() {
            times.note(seen, written);
        }
    }
}

/// What the tap looks for in the PBX's events.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    /// Linkedids of ringing events.
    rings: Vec<String>,
    /// Uniqueids of callers joining a queue.
    joins: Vec<String>,
}

/// The ringing events and queue joins among the complete messages at the start of
/// `bytes`, and how many bytes those messages take.
fn ringing_calls(bytes: &[u8]) -> (Seen, usize) {
    let mut seen = Seen::default();
    let mut start = 0;
    while let Some(end) = find(&bytes[start..], b"\r\n\r\n") {
        let message = &bytes[start..start + end + 2];
        let ringing = message.starts_with(b"Event: AgentCalled\r\n")
            || message.starts_with(b"Event: DialBegin\r\n");
        if ringing && let Some(linkedid) = header(message, b"\r\nLinkedid: ") {
            seen.rings.push(linkedid);
        }
        if message.starts_with(b"Event: QueueCallerJoin\r\n")
            && let Some(uniqueid) = header(message, b"\r\nUniqueid: ")
        {
            seen.joins.push(uniqueid);
        }
        start += end + 4;
    }
    (seen, start)
}

/// The value of the header `\r\nName: ` in `message`.
fn header(message: &[u8], name: &[u8]) -> Option<String> {
    let at = find(message, name)?;
    let value = &message[at + name.len()..];
    let value = &value[..find(value, b"\r").unwrap_or(value.len())];
    Some(String::from_utf8_lossy(value).into_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ringing_events_in_a_stream() {
        let stream = b"Event: Newchannel\r\nLinkedid: 1.1\r\n\r\nEvent: QueueCallerJoin\r\nUniqueid: 1.1\r\n\r\nEvent: AgentCalled\r\nQueue: support\r\nLinkedid: 1.1\r\n\r\nEvent: DialBegin\r\nLinkedid: 1.2\r\n\r\nEvent: Dial";
        let (seen, consumed) = ringing_calls(stream);
        assert_eq!(seen.rings, vec!["1.1".to_owned(), "1.2".to_owned()]);
        assert_eq!(seen.joins, vec!["1.1".to_owned()]);
        assert_eq!(&stream[consumed..], b"Event: Dial");
    }
}
