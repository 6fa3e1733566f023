//! Building one `call.ringing` popup: the ringing agent's user, and every contact the
//! number belongs to (ranked for that user) from the CRM core's cached directory; none
//! for a withheld number ([`crm_core::is_withheld`]).
//!
//! The lookup runs in its own task (see `popups`), bounded by [`LOOKUP_TIMEOUT`]: a slow
//! database delays a popup by at most that, and the popup then says `lookup_failed`
//! rather than not showing at all. Inbound calls warm the directory cache when they start,
//! before any phone rings ([`Prefetcher`]).

use std::sync::Arc;
use std::time::Duration;

use crate::access::{AccessPolicy, Viewer};
use crate::hub::Audience;
use crate::hub::messages::Event;
use crate::hub::popup::{Popup, PopupContact, create_contact_url};
use cti::tracker::Direction;
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout};
use tokio_util::task::TaskTracker;

use super::agent_users::AgentUsers;

/// The longest a popup waits for its contacts.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);
/// Cache-warming lookups in flight at most (more are skipped, never queued).
const PREFETCH_IN_FLIGHT: usize = 32;

/// What the tracker said about the ring (and the call so far).
#[derive(Clone, Debug)]
pub struct RingRequest {
    /// The call's Linkedid.
    pub call_id: String,
    /// Inbound, outbound or internal.
    pub direction: Direction,
    /// The customer's number as presented (internal: the calling extension).
    pub number: Option<String>,
    /// The same in E.164.
    pub number_e164: Option<String>,
    /// The caller-ID name.
    pub caller_name: Option<String>,
    /// The queue.
    pub queue: Option<String>,
    /// The number dialled (inbound).
    pub did: Option<String>,
    /// Wait so far.
    pub waited_ms: u64,
    /// The agent whose phone rings (outbound: who calls).
    pub extension: String,
    /// Click-to-call request id.
    pub click_id: Option<String>,
    /// PBX time.
    pub at_ms: i64,
}

/// The popup for `request`, addressed to the agent's user (if any) and to the watchers;
/// its contact cards show what `access` lets an agent at the ringing extension see.
pub async fn build_popup(
    users: &AgentUsers,
    access: AccessPolicy,
    request: RingRequest,
) -> (Audience, Event) {
    let user = users.user(&request.extension).await;
    let internal = request.direction == Direction::Internal;
    // A withheld caller matches nobody and is offered as no new contact.
    let withheld = !internal
        && request.number_e164.is_none()
        && request.number.as_deref().is_none_or(crm_core::is_withheld);
    let lookup = if internal || withheld {
        None
    } else {
        request.number_e164.as_ref().or(request.number.as_ref())
    };
    let mut contacts = Vec::new();
    let mut lookup_failed = false;
    if let Some(number) = lookup {
        let started = Instant::now();
        match timeout(LOOKUP_TIMEOUT, users.store().lookup_number(number, user)).await {
            Ok(Ok(cards)) => {
                contacts = cards
                    .iter()
                    .map(|card| match user {
                        Some(user) => {
                            let viewer = Viewer {
                                user,
                                role: crm_core::Role::Agent,
                                extension: Some(&request.extension),
                            };
                            PopupContact::from_card(&access.card_for(viewer, card))
                        }
                        None => PopupContact::from_card(card),
                    })
                    .collect();
            }
            Ok(Err(err)) => {
                tracing::warn!(call = %request.call_id, error = %err, "contact lookup failed; popup without contacts");
                lookup_failed = true;
            }
            Err(_) => {
                tracing::warn!(call = %request.call_id, "contact lookup took longer than {LOOKUP_TIMEOUT:?}; popup without contacts");
                lookup_failed = true;
            }
        }
        tracing::debug!(call = %request.call_id, lookup_us = started.elapsed().as_micros(), found = contacts.len(), "contact lookup");
    }
    let create_contact_url = match lookup {
        Some(number) if contacts.is_empty() && !lookup_failed => {
            Some(create_contact_url(number, &request.call_id))
        }
        _ => None,
    };
    let popup = Popup {
        call_id: request.call_id,
        direction: request.direction,
        number: request.number,
        number_e164: request.number_e164,
        caller_name: request.caller_name,
        queue: request.queue,
        did: request.did,
        waited_ms: request.waited_ms,
        extension: request.extension,
        click_id: request.click_id,
        at_ms: request.at_ms,
        contacts,
        create_contact_url,
        lookup_failed,
        withheld,
    };
    let audience = match user {
        Some(user) => Audience::user_and_watchers(user),
        None => Audience::watchers(),
    };
    (audience, Event::CallRinging(Box::new(popup)))
}

/// Warms the directory cache for numbers that are about to ring.
pub struct Prefetcher {
    users: Arc<AgentUsers>,
    tasks: TaskTracker,
    in_flight: Arc<Semaphore>,
}

impl Prefetcher {
    /// A prefetcher over the users' store, its lookups tasks of `tasks`.
    pub fn new(users: Arc<AgentUsers>, tasks: TaskTracker) -> Self {
        Prefetcher {
            users,
            tasks,
            in_flight: Arc::new(Semaphore::new(PREFETCH_IN_FLIGHT)),
        }
    }

    /// Looks `number` up in the background, unless too many lookups are in flight.
    pub fn warm(&self, number: &str) {
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            return;
        };
        let users = Arc::clone(&self.users);
        let number = number.to_owned();
        self.tasks.spawn(async move {
            let _ = timeout(LOOKUP_TIMEOUT, users.store().lookup_number(&number, None)).await;
            drop(permit);
        });
    }
}
