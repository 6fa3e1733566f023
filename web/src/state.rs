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
    /// Session lifetime and cookie security.
    pub sessions: crate::session::SessionSettings,
    /// What agents see of a contact's history (docs/security.md).
    pub access: app::access::AccessPolicy,
    /// Failed sign-ins per client and per username.
    pub sign_in_limiter: Arc<crate::sign_in_limit::SignInLimiter>,
    /// The WebSocket hub: popups and live updates to users' sockets.
    pub hub: app::hub::Hub,
    /// The PBX's AMI client (click-to-call, pause), when a PBX is configured.
    pub pbx: Option<cti::ami::client::AmiClient>,
    /// Click-to-call settings and rate limit.
    pub dialer: Arc<app::dialer::Dialer>,
    /// Where recordings are stored and how they are ingested, when configured.
    pub recordings: Option<Arc<app::recording_desk::RecordingDesk>>,
    /// Agents in wrap-up, for the wallboard.
    pub wrapups: Arc<app::wallboard::WrapUps>,
    /// Answered calls linked to a contact by a pick, for the alert engine.
    pub contact_picks: Arc<app::contact_picks::ContactPicks>,
    /// Where a request starts work that outlives it (a click-to-call following its
    /// Originate), so the service can wait for that work when it stops.
    pub tasks: tokio_util::task::TaskTracker,
    /// When API tokens were last used, written in the background.
    pub token_use: Arc<crate::token_use::TokenUse>,
    /// Calls whose wrap-up or contact was set by hand (their figures may change), for
    /// whoever keeps figures (`subscribe`); nobody listening is fine.
    pub calls_edited: tokio::sync::broadcast::Sender<crm_core::CallId>,
}

/// Edited calls a slow listener may lag behind before it is told it lagged.
const EDITED_BUFFER: usize = 1024;

impl AppState {
    /// State over the given store, without a PBX.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            live: None,
            queues: None,
            metrics: crm_core::metrics::MetricsSettings::default(),
            sessions: crate::session::SessionSettings::default(),
            access: app::access::AccessPolicy::default(),
            sign_in_limiter: Arc::default(),
            hub: app::hub::Hub::default(),
            pbx: None,
            dialer: Arc::default(),
            recordings: None,
            wrapups: Arc::default(),
            contact_picks: Arc::default(),
            tasks: tokio_util::task::TaskTracker::new(),
            token_use: Arc::default(),
            calls_edited: tokio::sync::broadcast::channel(EDITED_BUFFER).0,
        }
    }
}
