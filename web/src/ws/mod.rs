//! `/ws`: the WebSocket side of the hub (`app::hub`), as docs/websocket.md describes it.
//!
//! - `endpoint`: the `/ws` route (Origin check, authentication, upgrade);
//! - `socket`: one connection's task (hello, replay, keep-alive, bounded queue), which
//!   registers with the hub and writes its frames;
//! - [`protocol`]: what a socket says on its own behalf and what a client may send.

mod endpoint;
pub mod protocol;
mod socket;

pub use endpoint::router;
