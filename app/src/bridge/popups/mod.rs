//! Screen-pops and live call events for the hub: one task reads the tracker's
//! [`CallEvent`]s (and the PBX's queue pauses) and publishes `call.ringing`,
//! `call.answered`, `call.ended` and `agent.state` to the agents concerned and to the
//! users watching every call. On an internal call both agents get them: the callee as
//! for any call, the caller (popup naming the callee) from the moment the callee's phone
//! rings; both are asked for a wrap-up only when `[console] wrapup_internal` says so.
//!
//! The call events come through a bounded queue that loses nothing
//! ([`super::pbx::PbxLink::take_popup_events`]): when this task falls behind, the tracker
//! waits for it, so every popup, answer and hang-up reaches the hub, late rather than never.
//!
//! The loop itself never waits on the database: each event becomes a job, either ready (its
//! recipients' users are cached) or a task (a contact lookup, a user not cached yet). Jobs
//! are published strictly in event order by a second task, so an agent never sees a call
//! answered before it rang, while lookups for several calls overlap.
//!
//! - `call_events`: what each kind of call event means, one handler per kind.

mod call_events;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::hub::Hub;
use cti::tracker::{CallEvent, Direction};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::addressing::{Job, job, publish_in_order, state_message};
use super::agent_states::AgentStates;
use super::agent_users::AgentUsers;
use super::pauses::AgentPause;
use super::ring::{Prefetcher, RingRequest, build_popup};
use crate::access::AccessPolicy;
use crate::lifecycle::Stage;

/// Jobs waiting to be published (the loop waits when the publisher is this far behind).
const JOB_QUEUE: usize = 1024;
/// A call still open after this long is taken as lost (its `Ended` never came).
const CALL_MAX_AGE: Duration = Duration::from_secs(12 * 3600);
/// How many events between two sweeps of lost calls.
const SWEEP_EVERY: u64 = 10_000;

/// What the loop remembers of a call in progress.
#[derive(Debug)]
struct CallView {
    direction: Option<Direction>,
    number: Option<String>,
    number_e164: Option<String>,
    caller_name: Option<String>,
    queue: Option<String>,
    did: Option<String>,
    /// Agents who got a popup for the call.
    popped: Vec<String>,
    /// Agents whose part ended before the call (transfers): they had their `call.ended`.
    left: Vec<String>,
    /// Internal calls: the calling agent.
    caller: Option<String>,
    opened: Instant,
}

impl CallView {
    /// A call the loop has just heard of.
    fn new() -> Self {
        CallView {
            direction: None,
            number: None,
            number_e164: None,
            caller_name: None,
            queue: None,
            did: None,
            popped: Vec::new(),
            left: Vec::new(),
            caller: None,
            opened: Instant::now(),
        }
    }
}

/// Starts the popup tasks, tasks of `stage`: call events and pauses in, hub messages out,
/// until the stage drains (the hub's sockets are closing then: nothing to keep).
/// `wrapup_internal`: whether internal calls end with a wrap-up prompt.
pub fn start(
    users: Arc<AgentUsers>,
    hub: Hub,
    events: mpsc::Receiver<CallEvent>,
    pauses: broadcast::Receiver<AgentPause>,
    wrapup_internal: bool,
    access: AccessPolicy,
    stage: &Stage,
) {
    let (jobs, jobs_rx) = mpsc::channel(JOB_QUEUE);
    stage.spawn(publish_in_order(hub, jobs_rx));
    let popups = Popups {
        prefetch: Prefetcher::new(Arc::clone(&users), stage.tasks().clone()),
        users,
        calls: HashMap::new(),
        agents: AgentStates::new(),
        jobs,
        seen: 0,
        wrapup_internal,
        access,
        stage: stage.clone(),
    };
    stage.spawn(popups.run(events, pauses));
}

struct Popups {
    users: Arc<AgentUsers>,
    prefetch: Prefetcher,
    calls: HashMap<String, CallView>,
    agents: AgentStates,
    jobs: mpsc::Sender<Job>,
    seen: u64,
    wrapup_internal: bool,
    /// What the popup's contact card shows the agent.
    access: AccessPolicy,
    stage: Stage,
}

impl Popups {
    async fn run(
        mut self,
        mut events: mpsc::Receiver<CallEvent>,
        mut pauses: broadcast::Receiver<AgentPause>,
    ) {
        loop {
            let jobs = tokio::select! {
                () = self.stage.draining() => return,
                event = events.recv() => match event {
                    Some(event) => self.on_call_event(event),
                    None => break,
                },
                pause = pauses.recv() => match pause {
                    Ok(pause) => self.on_pause(pause),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::error!(missed, "popups fell behind the PBX: {missed} queue pauses lost");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            for job in jobs {
                tokio::select! {
                    () = self.stage.draining() => return,
                    sent = self.jobs.send(job) => if sent.is_err() {
                        return;
                    },
                }
            }
            self.seen += 1;
            if self.seen.is_multiple_of(SWEEP_EVERY) {
                self.sweep();
            }
        }
        tracing::info!("popups stopped: the PBX link is gone");
    }

    fn on_pause(&mut self, pause: AgentPause) -> Vec<Job> {
        let change = self
            .agents
            .paused(&pause.extension, pause.paused, pause.reason, pause.at_ms);
        change
            .into_iter()
            .map(|c| job(&self.users, self.stage.tasks(), vec![state_message(c)]))
            .collect()
    }

    /// Forgets calls whose end never came (events lost), and the agents' part in them.
    fn sweep(&mut self) {
        self.calls.retain(|_, v| v.opened.elapsed() < CALL_MAX_AGE);
        let live: HashSet<&str> = self.calls.keys().map(String::as_str).collect();
        self.agents.retain_calls(&live);
    }
}

/// The job building the popup `request` asks for, a task of `stage`.
fn popup(
    users: &Arc<AgentUsers>,
    access: AccessPolicy,
    stage: &Stage,
    request: RingRequest,
) -> Job {
    let users = Arc::clone(users);
    Job::Pending(stage.spawn(async move { vec![build_popup(&users, access, request).await] }))
}
