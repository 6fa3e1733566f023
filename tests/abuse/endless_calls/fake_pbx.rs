//! A small Asterisk in the test: a TCP server speaking AMI as the captures in
//! `shared/fixtures/asterisk` show it (banner, `Login`, the `CoreShowChannels` and
//! `QueueStatus` lists, `Ping`, `Logoff`), to which the test pushes raw event text. It
//! counts logins and connections closed by the client, and can answer nothing but the
//! login (a PBX that hangs after login: no `Pong`, no `Goodbye`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};

/// What the test sees of the fake PBX.
#[derive(Default)]
struct Shared {
    logins: AtomicUsize,
    closed_by_client: AtomicUsize,
    mute: AtomicBool,
    /// The current connection's event writer.
    events: Mutex<Option<mpsc::Sender<Vec<u8>>>>,
}

/// The running fake PBX (its tasks end with the test's runtime).
#[derive(Clone)]
pub struct FakePbx {
    shared: Arc<Shared>,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl FakePbx {
    /// Listens on a free loopback port; `mute`: answer the `Login` and nothing else.
    pub async fn start(mute: bool) -> FakePbx {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        shared.mute.store(mute, Ordering::SeqCst);
        let accepting = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (tx, rx) = mpsc::channel(64);
                *accepting.events.lock().await = Some(tx);
                tokio::spawn(serve(stream, rx, Arc::clone(&accepting)));
            }
        });
        FakePbx { shared, port }
    }

    /// How many times a client logged in.
    pub fn logins(&self) -> usize {
        self.shared.logins.load(Ordering::SeqCst)
    }

    /// How many connections the client closed.
    pub fn closed_by_client(&self) -> usize {
        self.shared.closed_by_client.load(Ordering::SeqCst)
    }

    /// Writes raw AMI text (CRLF line ends) to the current connection; waits while the
    /// client does not read (TCP pushes back), as a real PBX's socket would.
    pub async fn send(&self, text: Vec<u8>) {
        assert!(self.try_send(text).await, "the connection is open");
    }

    /// As [`send`](Self::send); false when the client is gone.
    pub async fn try_send(&self, text: Vec<u8>) -> bool {
        let events = self.shared.events.lock().await.clone();
        match events {
            Some(events) => events.send(text).await.is_ok(),
            None => false,
        }
    }
}

/// One client connection: the banner, then answers to actions and pushed events.
async fn serve(stream: TcpStream, mut events: mpsc::Receiver<Vec<u8>>, shared: Arc<Shared>) {
    let (mut reader, mut writer) = stream.into_split();
    if writer
        .write_all(b"Asterisk Call Manager/11.0.0\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        tokio::select! {
            read = reader.read(&mut chunk) => {
                let n = read.unwrap_or(0);
                if n == 0 {
                    shared.closed_by_client.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                buffer.extend_from_slice(&chunk[..n]);
                while let Some(end) = find(&buffer, b"\r\n\r\n") {
                    let action: Vec<u8> = buffer.drain(..end + 4).collect();
                    let text = String::from_utf8_lossy(&action).into_owned();
                    let answer = answer(&text, &shared);
                    if writer.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                    if text.contains("Action: Logoff") {
                        return;
                    }
                }
            }
            Some(text) = events.recv() => {
                if writer.write_all(&text).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The answer Asterisk 22 gives to `action` (as captured in `10-state-queries.ami`).
fn answer(action: &str, shared: &Shared) -> String {
    let header = |key: &str| {
        action.lines().find_map(|line| {
            line.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(": "))
                .map(str::to_owned)
        })
    };
    let id = header("ActionID").unwrap_or_default();
    match header("Action").as_deref() {
        Some("Login") => {
            shared.logins.fetch_add(1, Ordering::SeqCst);
            format!(
                "Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n"
            )
        }
        // Hung after login: nothing more is answered.
        Some(_) if shared.mute.load(Ordering::SeqCst) => String::new(),
        Some("Ping") => format!(
            "Response: Success\r\nActionID: {id}\r\nPing: Pong\r\nTimestamp: 1795343300.200242\r\n\r\n"
        ),
        Some("CoreShowChannels") => format!(
            "Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n\
             Event: CoreShowChannelsComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
        ),
        Some("QueueStatus") => format!(
            "Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Queue status will follow\r\n\r\n\
             Event: QueueStatusComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
        ),
        Some("Logoff") => format!(
            "Response: Goodbye\r\nActionID: {id}\r\nMessage: Thanks for all the fish.\r\n\r\n"
        ),
        _ => format!("Response: Success\r\nActionID: {id}\r\n\r\n"),
    }
}
