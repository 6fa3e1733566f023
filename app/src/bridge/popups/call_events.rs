//! What each of the tracker's call events means for the agents and the watchers: one
//! handler per kind of event, each updating the call's [`CallView`] and saying what to
//! publish ([`Reaction`]), which [`Popups::on_call_event`] turns into jobs.

use crate::hub::messages::{CallAnswered, CallEnded, Event};
use cti::tracker::{CallEvent, CallEventKind, CallRecord, Direction, Disposition};

use super::{CallView, Popups, popup};
use crate::bridge::addressing::{Addressed, Job, job, state_message};
use crate::bridge::ring::RingRequest;

/// The call an event is about, and when it happened.
struct EventCall {
    linkedid: String,
    at_ms: i64,
    click_id: Option<String>,
}

/// What one call event asks to publish, in this order: `jobs`, the popup `ring` asks
/// for, then `messages` (in one job).
#[derive(Default)]
struct Reaction {
    jobs: Vec<Job>,
    ring: Option<RingRequest>,
    messages: Vec<Addressed>,
}

impl Reaction {
    /// Only `messages`.
    fn messages(messages: Vec<Addressed>) -> Self {
        Reaction {
            messages,
            ..Reaction::default()
        }
    }

    /// Only the popup `ring`, when there is one.
    fn ring(ring: Option<RingRequest>) -> Self {
        Reaction {
            ring,
            ..Reaction::default()
        }
    }
}

impl Popups {
    /// The jobs publishing what `event` means for the agents and the watchers.
    pub(super) fn on_call_event(&mut self, event: CallEvent) -> Vec<Job> {
        let CallEvent {
            linkedid,
            at_ms,
            click_id,
            kind,
        } = event;
        // The call's view is out of the map while the event is handled, so that the
        // handlers can use the rest of `self`; it goes back unless the call has ended.
        let mut view = self.calls.remove(&linkedid).unwrap_or_else(CallView::new);
        let call = EventCall {
            linkedid,
            at_ms,
            click_id,
        };
        let reaction = match kind {
            CallEventKind::Ended(record) => {
                Reaction::messages(self.ended(&record, view.popped, &view.left, at_ms))
            }
            kind => {
                let reaction = self.react(&mut view, &call, kind);
                self.calls.insert(call.linkedid, view);
                reaction
            }
        };
        let Reaction {
            mut jobs,
            ring,
            messages,
        } = reaction;
        if let Some(request) = ring {
            jobs.push(popup(&self.users, self.access, &self.stage, request));
        }
        if !messages.is_empty() {
            jobs.push(job(&self.users, self.stage.tasks(), messages));
        }
        jobs
    }

    /// What an event of `kind` other than `Ended` means, `view` updated.
    fn react(&mut self, view: &mut CallView, call: &EventCall, kind: CallEventKind) -> Reaction {
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
                Reaction::ring(self.on_started(view, call, direction, agent_extension))
            }
            CallEventKind::Queued { queue, .. } => {
                view.queue = Some(queue);
                Reaction::default()
            }
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
                let ring = RingRequest {
                    call_id: call.linkedid.clone(),
                    direction: view.direction.unwrap_or(Direction::Inbound),
                    number: caller_number,
                    number_e164: caller_number_e164,
                    caller_name,
                    queue: queue.or_else(|| view.queue.clone()),
                    did: did.or_else(|| view.did.clone()),
                    waited_ms,
                    extension,
                    click_id: call.click_id.clone(),
                    at_ms: call.at_ms,
                };
                self.on_agent_ringing(view, call, agent_name, ring)
            }
            CallEventKind::AgentRingStopped {
                extension: Some(extension),
                ..
            } => Reaction::messages(
                self.agents
                    .ring_stopped(&extension, &call.linkedid, call.at_ms)
                    .map(state_message)
                    .into_iter()
                    .collect(),
            ),
            CallEventKind::Answered {
                extension, wait_ms, ..
            } => self.on_answered(view, call, extension, wait_ms),
            CallEventKind::AgentJoined { extension, .. } => {
                self.on_agent_joined(view, call, extension)
            }
            CallEventKind::AgentLeft { extension, talk_ms } => {
                self.on_agent_left(view, call, extension, talk_ms)
            }
            _ => Reaction::default(),
        }
    }

    /// A call started: an outbound call pops up on its agent's screen at once; an
    /// internal call remembers its caller; an inbound call's number is looked up ahead.
    fn on_started(
        &self,
        view: &mut CallView,
        call: &EventCall,
        direction: Direction,
        agent_extension: Option<String>,
    ) -> Option<RingRequest> {
        match (direction, agent_extension) {
            (Direction::Outbound, Some(extension)) => {
                view.popped.push(extension.clone());
                Some(RingRequest {
                    call_id: call.linkedid.clone(),
                    direction,
                    number: view.number.clone(),
                    number_e164: view.number_e164.clone(),
                    caller_name: view.caller_name.clone(),
                    queue: None,
                    did: None,
                    waited_ms: 0,
                    extension,
                    click_id: call.click_id.clone(),
                    at_ms: call.at_ms,
                })
            }
            (Direction::Internal, Some(extension)) => {
                view.caller = Some(extension);
                None
            }
            (Direction::Inbound, _) => {
                // A withheld number is looked up for nobody: nothing to warm.
                let number = view.number_e164.as_ref().or(view.number.as_ref());
                if let Some(number) = number.filter(|n| !crm_core::is_withheld(n)) {
                    self.prefetch.warm(number);
                }
                None
            }
            _ => None,
        }
    }

    /// An agent's phone rings (`ring`, the agent named `agent_name`): their popup and
    /// state, and on an internal call first the calling agent's popup naming them.
    fn on_agent_ringing(
        &mut self,
        view: &mut CallView,
        call: &EventCall,
        agent_name: Option<String>,
        ring: RingRequest,
    ) -> Reaction {
        let extension = &ring.extension;
        let mut reaction = Reaction::default();
        if let Some(caller) = view
            .caller
            .clone()
            .filter(|c| c != extension && !view.popped.contains(c))
        {
            view.popped.push(caller.clone());
            reaction.messages.extend(
                self.agents
                    .ringing(&caller, &call.linkedid, call.at_ms)
                    .map(state_message),
            );
            reaction.jobs.push(popup(
                &self.users,
                self.access,
                &self.stage,
                RingRequest {
                    call_id: call.linkedid.clone(),
                    direction: Direction::Internal,
                    number: Some(extension.clone()),
                    number_e164: None,
                    caller_name: agent_name,
                    queue: None,
                    did: None,
                    waited_ms: 0,
                    extension: caller,
                    click_id: call.click_id.clone(),
                    at_ms: call.at_ms,
                },
            ));
        }
        if !view.popped.contains(extension) {
            view.popped.push(extension.clone());
        }
        reaction.messages.extend(
            self.agents
                .ringing(extension, &call.linkedid, call.at_ms)
                .map(state_message),
        );
        reaction.ring = Some(ring);
        reaction
    }

    /// The call was answered (by `extension` when known): `call.answered` to everyone it
    /// popped up for, and the new states of the agents in it.
    fn on_answered(
        &mut self,
        view: &CallView,
        call: &EventCall,
        extension: Option<String>,
        wait_ms: Option<u64>,
    ) -> Reaction {
        let mut messages = Vec::new();
        let mut to = view.popped.clone();
        if let Some(extension) = &extension {
            if !to.contains(extension) {
                to.push(extension.clone());
            }
            messages.extend(
                self.agents
                    .answered(extension, &call.linkedid, call.at_ms)
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
                    .answered(caller, &call.linkedid, call.at_ms)
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
                    call_id: call.linkedid.clone(),
                    extension,
                    wait_ms,
                    at_ms: call.at_ms,
                }),
            },
        );
        Reaction::messages(messages)
    }

    /// An agent joined the call in progress (a transfer): `call.answered` to them.
    fn on_agent_joined(
        &mut self,
        view: &mut CallView,
        call: &EventCall,
        extension: String,
    ) -> Reaction {
        if !view.popped.contains(&extension) {
            view.popped.push(extension.clone());
        }
        let mut messages: Vec<Addressed> = self
            .agents
            .answered(&extension, &call.linkedid, call.at_ms)
            .map(state_message)
            .into_iter()
            .collect();
        messages.insert(
            0,
            Addressed {
                extensions: vec![extension.clone()],
                watchers: true,
                except: Vec::new(),
                event: Event::CallAnswered(CallAnswered {
                    call_id: call.linkedid.clone(),
                    extension: Some(extension),
                    wait_ms: None,
                    at_ms: call.at_ms,
                }),
            },
        );
        Reaction::messages(messages)
    }

    /// An agent's part ended before the call (a transfer): their own `call.ended`, with
    /// a wrap-up, and their new state.
    fn on_agent_left(
        &mut self,
        view: &mut CallView,
        call: &EventCall,
        extension: String,
        talk_ms: u64,
    ) -> Reaction {
        if !view.left.contains(&extension) {
            view.left.push(extension.clone());
        }
        let mut messages = vec![Addressed {
            extensions: vec![extension.clone()],
            watchers: false,
            except: Vec::new(),
            event: Event::CallEnded(CallEnded {
                call_id: call.linkedid.clone(),
                direction: view.direction.unwrap_or(Direction::Inbound),
                disposition: Disposition::Answered,
                talk_ms: Some(talk_ms),
                extension: Some(extension.clone()),
                click_id: call.click_id.clone(),
                wrapup: true,
                at_ms: call.at_ms,
            }),
        }];
        messages.extend(
            self.agents
                .call_ended(&[extension], &call.linkedid, call.at_ms)
                .into_iter()
                .map(state_message),
        );
        Reaction::messages(messages)
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
}
