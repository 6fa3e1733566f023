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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use cti::tracker::{CallEvent, CallEventKind, CallRecord, Direction, Disposition};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use web::hub::Hub;
use web::hub::messages::{CallAnswered, CallEnded, Event};

use super::addressing::{Addressed, Job, job, publish_in_order, state_message};
use super::agent_states::AgentStates;
use super::agent_users::AgentUsers;
use super::pauses::AgentPause;
use super::ring::{Prefetcher, RingRequest, build_popup};
use crate::lifecycle::Stage;
use web::access::AccessPolicy;

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

    fn on_call_event(&mut self, event: CallEvent) -> Vec<Job> {
        let CallEvent {
            linkedid,
            at_ms,
            click_id,
            kind,
        } = event;
        let view = self
            .calls
            .entry(linkedid.clone())
            .or_insert_with(|| CallView {
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
            });
        let mut ring = None;
        let mut jobs = Vec::with_capacity(2);
        let mut messages = Vec::new();
        match kind {
            CallEventKind::Started {
                direction,
                customer_number_raw,
                customer_number_e164,
                customer_name,
                did,
                agent_extension,
            } => {
                view.direction = Some(direction);
                view.number = customer_number_raw;
                view.number_e164 = customer_number_e164;
                view.caller_name = customer_name;
                view.did = did;
                match (direction, agent_extension) {
                    (Direction::Outbound, Some(extension)) => {
                        view.popped.push(extension.clone());
                        ring = Some(RingRequest {
                            call_id: linkedid.clone(),
                            direction,
                            number: view.number.clone(),
                            number_e164: view.number_e164.clone(),
                            caller_name: view.caller_name.clone(),
                            queue: None,
                            did: None,
                            waited_ms: 0,
                            extension,
                            click_id: click_id.clone(),
                            at_ms,
                        });
                    }
                    (Direction::Internal, Some(extension)) => view.caller = Some(extension),
                    (Direction::Inbound, _) => {
                        // A withheld number is looked up for nobody: nothing to warm.
                        let number = view.number_e164.as_ref().or(view.number.as_ref());
                        if let Some(number) = number.filter(|n| !crm_core::is_withheld(n)) {
                            self.prefetch.warm(number);
                        }
                    }
                    _ => {}
                }
            }
            CallEventKind::Queued { queue, .. } => view.queue = Some(queue),
            CallEventKind::AgentRinging {
                extension,
                queue,
                caller_number,
                caller_number_e164,
                caller_name,
                did,
                waited_ms,
                agent_name,
            } => {
                if let Some(caller) = view
                    .caller
                    .clone()
                    .filter(|c| *c != extension && !view.popped.contains(c))
                {
                    view.popped.push(caller.clone());
                    messages.extend(
                        self.agents
                            .ringing(&caller, &linkedid, at_ms)
                            .map(state_message),
                    );
                    jobs.push(popup(
                        &self.users,
                        self.access,
                        &self.stage,
                        RingRequest {
                            call_id: linkedid.clone(),
                            direction: Direction::Internal,
                            number: Some(extension.clone()),
                            number_e164: None,
                            caller_name: agent_name,
                            queue: None,
                            did: None,
                            waited_ms: 0,
                            extension: caller,
                            click_id: click_id.clone(),
                            at_ms,
                        },
                    ));
                }
                if !view.popped.contains(&extension) {
                    view.popped.push(extension.clone());
                }
                messages.extend(
                    self.agents
                        .ringing(&extension, &linkedid, at_ms)
                        .map(state_message),
                );
                ring = Some(RingRequest {
                    call_id: linkedid.clone(),
                    direction: view.direction.unwrap_or(Direction::Inbound),
                    number: caller_number,
                    number_e164: caller_number_e164,
                    caller_name,
                    queue: queue.or_else(|| view.queue.clone()),
                    did: did.or_else(|| view.did.clone()),
                    waited_ms,
                    extension,
                    click_id: click_id.clone(),
                    at_ms,
                });
            }
            CallEventKind::AgentRingStopped {
                extension: Some(extension),
                ..
            } => {
                messages.extend(
                    self.agents
                        .ring_stopped(&extension, &linkedid, at_ms)
                        .map(state_message),
                );
            }
            CallEventKind::Answered {
                extension, wait_ms, ..
            } => {
                let mut to = view.popped.clone();
                if let Some(extension) = &extension {
                    if !to.contains(extension) {
                        to.push(extension.clone());
                    }
                    messages.extend(
                        self.agents
                            .answered(extension, &linkedid, at_ms)
                            .map(state_message),
                    );
                }
                if let Some(caller) = view
                    .caller
                    .as_ref()
                    .filter(|c| extension.as_ref() != Some(*c))
                {
                    if !to.contains(caller) {
                        to.push(caller.clone());
                    }
                    messages.extend(
                        self.agents
                            .answered(caller, &linkedid, at_ms)
                            .map(state_message),
                    );
                }
                messages.insert(
                    0,
                    Addressed {
                        extensions: to,
                        watchers: true,
                        except: Vec::new(),
                        event: Event::CallAnswered(CallAnswered {
                            call_id: linkedid.clone(),
                            extension,
                            wait_ms,
                            at_ms,
                        }),
                    },
                );
            }
            CallEventKind::AgentJoined { extension, .. } => {
                if !view.popped.contains(&extension) {
                    view.popped.push(extension.clone());
                }
                messages.extend(
                    self.agents
                        .answered(&extension, &linkedid, at_ms)
                        .map(state_message),
                );
                messages.insert(
                    0,
                    Addressed {
                        extensions: vec![extension.clone()],
                        watchers: true,
                        except: Vec::new(),
                        event: Event::CallAnswered(CallAnswered {
                            call_id: linkedid.clone(),
                            extension: Some(extension),
                            wait_ms: None,
                            at_ms,
                        }),
                    },
                );
            }
            CallEventKind::AgentLeft { extension, talk_ms } => {
                if !view.left.contains(&extension) {
                    view.left.push(extension.clone());
                }
                messages.push(Addressed {
                    extensions: vec![extension.clone()],
                    watchers: false,
                    except: Vec::new(),
                    event: Event::CallEnded(CallEnded {
                        call_id: linkedid.clone(),
                        direction: view.direction.unwrap_or(Direction::Inbound),
                        disposition: Disposition::Answered,
                        talk_ms: Some(talk_ms),
                        extension: Some(extension.clone()),
                        click_id: click_id.clone(),
                        wrapup: true,
                        at_ms,
                    }),
                });
                messages.extend(
                    self.agents
                        .call_ended(&[extension], &linkedid, at_ms)
                        .into_iter()
                        .map(state_message),
                );
            }
            CallEventKind::Ended(record) => {
                let (popped, left) = self
                    .calls
                    .remove(&linkedid)
                    .map(|v| (v.popped, v.left))
                    .unwrap_or_default();
                messages = self.ended(&record, popped, &left, at_ms);
            }
            _ => {}
        }
        if let Some(request) = ring {
            jobs.push(popup(&self.users, self.access, &self.stage, request));
        }
        if !messages.is_empty() {
            jobs.push(job(&self.users, self.stage.tasks(), messages));
        }
        jobs
    }

    /// `call.ended` (with `wrapup` for those who took part and had no `call.ended` for
    /// their own part yet, `left`: on internal calls only when the settings ask for it;
    /// none at all for an unplaced click-to-call) and the agents' new states.
    fn ended(
        &mut self,
        record: &CallRecord,
        popped: Vec<String>,
        left: &[String],
        at_ms: i64,
    ) -> Vec<Addressed> {
        let mut took_part: Vec<String> = record
            .agent_segments
            .iter()
            .map(|s| s.extension.clone())
            .chain(record.agent_extension.clone())
            .chain(record.answered_by_extension.clone())
            .collect();
        took_part.sort();
        took_part.dedup();
        let mut others: Vec<String> = popped
            .into_iter()
            .chain(
                record
                    .agents_rung
                    .iter()
                    .filter_map(|a| a.extension.clone()),
            )
            .filter(|e| !took_part.contains(e))
            .collect();
        others.sort();
        others.dedup();
        let ended = |wrapup| {
            Event::CallEnded(CallEnded {
                call_id: record.linkedid.clone(),
                direction: record.direction,
                disposition: record.disposition,
                talk_ms: record.talk_ms,
                extension: record.agent_extension.clone(),
                click_id: record.click_id.clone(),
                wrapup,
                at_ms,
            })
        };
        let everyone: Vec<String> = took_part.iter().chain(&others).cloned().collect();
        let states = self.agents.call_ended(&everyone, &record.linkedid, at_ms);
        if record.is_unplaced_click() {
            // No call took place (click-to-call said why): nothing to end or wrap up.
            return states.into_iter().map(state_message).collect();
        }
        let wrapup = record.direction != Direction::Internal || self.wrapup_internal;
        let mut messages = vec![
            Addressed {
                extensions: took_part
                    .iter()
                    .filter(|e| !left.contains(e))
                    .cloned()
                    .collect(),
                watchers: false,
                except: Vec::new(),
                event: ended(wrapup),
            },
            Addressed {
                extensions: others,
                watchers: true,
                except: took_part,
                event: ended(false),
            },
        ];
        messages.extend(states.into_iter().map(state_message));
        messages
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
