//! Fuzz target: arbitrary text frames from a WebSocket client through the socket's message
//! reader. Any panic is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;
use web::ws::protocol::ClientMessage;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ClientMessage::parse(text);
});
