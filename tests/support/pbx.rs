//! The simulated PBX (`cti::sim`) in this process, on a Tokio runtime of its own: it keeps
//! serving its AMI clients and playing its calls while the test waits, blocks (a `tamas`
//! command run to completion) or drops the service. Calls placed through [`SimPbx`] run
//! there too.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cti::sim::{CallSpec, ReceivedAction, SimCall, SimError, SimHandle, SimSettings, Simulator};
use tokio::runtime::Handle;

/// A running simulated PBX; cheap to clone. Stopped (its clients told `Shutdown`) when
/// the last clone is dropped.
#[derive(Clone)]
pub struct SimPbx {
    handle: SimHandle,
    runtime: Handle,
    /// Where it accepts AMI clients (`127.0.0.1:PORT`).
    pub addr: SocketAddr,
    _thread: Arc<SimThread>,
}

/// The simulator's thread: stops it and waits for it when dropped.
struct SimThread {
    handle: SimHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for SimThread {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl SimPbx {
    /// Starts a simulator with `settings` on `127.0.0.1:0` (AMI user `cti`, secret
    /// `cti-secret` in [`SimSettings::lab`]).
    pub fn start(settings: SimSettings) -> SimPbx {
        let simulator = Simulator::new(settings).unwrap();
        let handle = simulator.handle();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let runtime_handle = runtime.handle().clone();
        let thread = std::thread::Builder::new()
            .name("simulated PBX".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let _ = simulator.serve(listener, std::future::pending()).await;
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .unwrap();
        SimPbx {
            handle: handle.clone(),
            runtime: runtime_handle,
            addr,
            _thread: Arc::new(SimThread {
                handle,
                thread: Some(thread),
            }),
        }
    }

    /// Its AMI port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The simulator's own handle (calls placed through it run on the caller's runtime).
    pub fn handle(&self) -> &SimHandle {
        &self.handle
    }

    /// Starts a call now (on the PBX's runtime).
    pub fn place(&self, call: CallSpec) -> Result<SimCall, SimError> {
        let _inside = self.runtime.enter();
        self.handle.place(call)
    }

    /// An inbound call from `number` ("`name`") answered by `agent` after 5 s of
    /// ringing, 8 s of talk ([`SimHandle::ring`]).
    pub fn ring(&self, number: &str, name: &str, agent: &str) -> Result<SimCall, SimError> {
        let _inside = self.runtime.enter();
        self.handle.ring(number, name, agent)
    }

    /// Makes the phone of `extension` unreachable or reachable again
    /// ([`SimHandle::set_phone_reachable`]); how many queue memberships it has.
    pub fn set_phone_reachable(&self, extension: &str, reachable: bool) -> usize {
        self.handle.set_phone_reachable(extension, reachable)
    }

    /// Whether the phone of `extension` is picked up when a click-to-call rings it.
    pub fn set_phone_answers(&self, extension: &str, answers: bool) {
        self.handle.set_phone_answers(extension, answers);
    }

    /// Every action received so far, oldest first.
    pub fn actions(&self) -> Vec<ReceivedAction> {
        self.handle.actions()
    }

    /// How many channels are up.
    pub fn live_channels(&self) -> usize {
        self.handle.live_channels()
    }

    /// Stops it: calls stop, clients get `Event: Shutdown` and are disconnected.
    pub fn shutdown(&self) {
        self.handle.shutdown();
    }
}
