//! Shared state handed to every handler.

use std::sync::{Arc, RwLock};

use crm_core::Store;
use cti::live::LiveCalls;
use cti::live::queues::QueueBoard;

/// What every handler can reach. Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    /// The CRM core's storage.
    pub store: Arc<dyn Store>,
    /// Calls in progress on the PBX, when one is connected.
    pub live: Option<Arc<RwLock<LiveCalls>>>,
    /// The PBX's queues (waiting callers, members), when one is connected.
    pub queues: Option<Arc<RwLock<QueueBoard>>>,
    /// Thresholds and local time of the contact-center figures.
    pub metrics: crm_core::metrics::MetricsSettings,
}

impl AppState {
    /// State over the given store, without a PBX.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            live: None,
            queues: None,
            metrics: crm_core::metrics::MetricsSettings::default(),
        }
    }
}
