//! A `/ws` client for tests (tokio-tungstenite), reading JSON messages.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a message it expects.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How a socket ended.
#[derive(Debug)]
pub enum Ending {
    /// A close frame with this code.
    Closed(u16),
    /// The connection dropped without a close frame.
    Dropped,
}

/// One WebSocket connection.
pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Socket {
    /// Connects to `ws://host/ws` (`query` appended as `?k=v&…`) with an optional bearer
    /// token and extra headers.
    pub async fn connect(
        host: &str,
        token: Option<&str>,
        headers: &[(&'static str, &str)],
    ) -> Result<Socket, WsError> {
        Self::connect_to(&format!("ws://{host}/ws"), token, headers).await
    }

    /// Connects to `url`.
    pub async fn connect_to(
        url: &str,
        token: Option<&str>,
        headers: &[(&'static str, &str)],
    ) -> Result<Socket, WsError> {
        let mut request = url.into_client_request()?;
        if let Some(token) = token {
            request.headers_mut().insert(
                "authorization",
                HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
            );
        }
        for (name, value) in headers {
            request
                .headers_mut()
                .insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Socket { ws })
    }

    /// Over an already connected stream (e.g. one with a small receive buffer).
    pub async fn over(stream: TcpStream, host: &str, token: &str) -> Socket {
        let mut request = format!("ws://{host}/ws").into_client_request().unwrap();
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
        Socket { ws }
    }

    /// The next JSON message within `wait`; `None` when none came.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            match message.ok()? {
                Message::Text(text) => return Some(serde_json::from_str(text.as_str()).unwrap()),
                Message::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// The next JSON message; panics when none comes.
    pub async fn next(&mut self) -> Value {
        self.next_within(PATIENCE).await.expect("a message in time")
    }

    /// The next message of type `ty`, skipping others.
    pub async fn next_of(&mut self, ty: &str) -> Value {
        loop {
            let message = self.next().await;
            if message["type"] == ty {
                return message;
            }
        }
    }

    /// The next message of type `ty` about `call`, skipping others.
    pub async fn next_for_call(&mut self, ty: &str, call: &str) -> Value {
        loop {
            let message = self.next_of(ty).await;
            if message["call_id"] == call {
                return message;
            }
        }
    }

    /// Every message that arrives within `wait`.
    pub async fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(message) = self.next_within(wait).await {
            out.push(message);
        }
        out
    }

    /// Sends a JSON message.
    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Reads until the connection ends (within `wait`): how it ended and the JSON
    /// messages read before.
    pub async fn read_to_end(&mut self, wait: Duration) -> (Option<Ending>, Vec<Value>) {
        let deadline = tokio::time::Instant::now() + wait;
        let mut read = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return (None, read),
                Ok(None) | Ok(Some(Err(_))) => return (Some(Ending::Dropped), read),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    let code = frame.map_or(1005, |f| u16::from(f.code));
                    return (Some(Ending::Closed(code)), read);
                }
                Ok(Some(Ok(Message::Text(text)))) => {
                    read.push(serde_json::from_str(text.as_str()).unwrap());
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}
