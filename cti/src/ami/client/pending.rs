//! Actions waiting for their answer, by ActionID, and the routing of every incoming message:
//! to the waiting caller, to the event stream, or both.
//!
//! AMI rules followed here: a response carries the action's `ActionID`; a list action answers
//! `Response: Success` + `EventList: start`, then item events with the same `ActionID`, then
//! an event whose `EventList` is `Complete`; an `Async: true` Originate answers at once and
//! later sends an `OriginateResponse` event with the same `ActionID`, which is also an event
//! everybody may want to see.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::error::ClientError;
use super::{ListResponse, OriginateResult};
use crate::ami::Message;

/// Where the answer of a list action goes.
#[derive(Debug)]
pub(crate) enum ListSink {
    /// Collected and handed to the caller in one [`ListResponse`].
    Caller(oneshot::Sender<Result<ListResponse, ClientError>>),
    /// Items and the `…Complete` event go to the event stream (the resync after connecting).
    Stream,
}

/// What a caller waits for.
#[derive(Debug)]
pub(crate) enum Waiter {
    /// One response.
    Response(oneshot::Sender<Result<Message, ClientError>>),
    /// A list: response, items, `…Complete`.
    List {
        sink: ListSink,
        response: Option<Message>,
        items: Vec<Message>,
    },
    /// An `Async: true` Originate: the immediate response, then `OriginateResponse`.
    Originate {
        queued: Option<oneshot::Sender<Result<Message, ClientError>>>,
        outcome: oneshot::Sender<Result<OriginateResult, ClientError>>,
        /// How long to wait for `OriginateResponse` once the Originate was queued.
        outcome_timeout: Duration,
    },
    /// The keep-alive `Ping`, answered inside the session.
    Ping,
}

/// One action in flight.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) action: String,
    pub(crate) waiter: Waiter,
    pub(crate) timeout: Duration,
    pub(crate) deadline: Instant,
}

/// What to do with a message after routing.
#[derive(Debug)]
pub(crate) enum Route {
    /// Hand it to the event stream.
    Forward(Message),
    /// The keep-alive `Ping` was answered.
    Pong,
    /// A waiter took it.
    Done,
}

/// The actions of one session that still wait for (part of) their answer.
#[derive(Debug, Default)]
pub(crate) struct PendingActions {
    by_id: HashMap<String, Pending>,
}

impl PendingActions {
    pub(crate) fn insert(&mut self, action_id: String, pending: Pending) {
        self.by_id.insert(action_id, pending);
    }

    /// Registers the keep-alive `Ping`, whose timeout the session handles itself.
    pub(crate) fn insert_ping(&mut self, action_id: String) {
        let pending = Pending {
            action: "Ping".to_owned(),
            waiter: Waiter::Ping,
            timeout: Duration::ZERO,
            deadline: Instant::now(),
        };
        self.by_id.insert(action_id, pending);
    }

    /// Forgets an action without answering it.
    pub(crate) fn remove(&mut self, action_id: &str) {
        self.by_id.remove(action_id);
    }

    /// The earliest deadline of any action in flight (the `Ping` excepted).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.by_id
            .values()
            .filter(|p| !matches!(p.waiter, Waiter::Ping))
            .map(|p| p.deadline)
            .min()
    }

    /// Routes one incoming message.
    pub(crate) fn route(&mut self, msg: Message, now: Instant) -> Route {
        let Some(id) = msg.action_id() else {
            return forward_unless_response(msg);
        };
        let Some((id, pending)) = self.by_id.remove_entry(id) else {
            return forward_unless_response(msg);
        };
        if msg.event().is_none() && msg.response().is_some() {
            if matches!(pending.waiter, Waiter::Ping) {
                return Route::Pong;
            }
            if let Some(still) = answer(pending, msg, now) {
                self.by_id.insert(id, still);
            }
            return Route::Done;
        }
        let (still, forward) = event(pending, msg);
        if let Some(still) = still {
            self.by_id.insert(id, still);
        }
        forward.map_or(Route::Done, Route::Forward)
    }

    /// Fails every action whose deadline has passed.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<String> {
        let expired: Vec<String> = self
            .by_id
            .iter()
            .filter(|(_, p)| p.deadline <= now && !matches!(p.waiter, Waiter::Ping))
            .map(|(id, _)| id.clone())
            .collect();
        let mut names = Vec::new();
        for id in expired {
            if let Some(p) = self.by_id.remove(&id) {
                let error = ClientError::Timeout {
                    action: p.action.clone(),
                    timeout: p.timeout,
                };
                names.push(p.action.clone());
                fail(p.waiter, error);
            }
        }
        names
    }

    /// Fails every action in flight: the session is over.
    pub(crate) fn fail_all(&mut self, reason: &str) {
        for (_, p) in self.by_id.drain() {
            let error = ClientError::ConnectionLost {
                action: p.action.clone(),
                reason: reason.to_owned(),
            };
            fail(p.waiter, error);
        }
    }
}

fn forward_unless_response(msg: Message) -> Route {
    if msg.event().is_some() {
        Route::Forward(msg)
    } else {
        // A response nobody waits for (one that timed out, or to an action sent without
        // ActionID): there is no one to give it to, and it is not an event.
        tracing::debug!(response = ?msg.response(), "AMI response without a waiter");
        Route::Done
    }
}

fn is_error(msg: &Message) -> bool {
    msg.response()
        .is_some_and(|r| r.eq_ignore_ascii_case("Error") || r.eq_ignore_ascii_case("Failure"))
}

fn rejected(action: &str, msg: &Message) -> ClientError {
    ClientError::Rejected {
        action: action.to_owned(),
        message: msg
            .get_lossy("Message")
            .map(|m| m.into_owned())
            .unwrap_or_else(|| "no message".to_owned()),
    }
}

/// Handles the response to `pending`; gives it back when it still waits for events.
fn answer(mut pending: Pending, msg: Message, now: Instant) -> Option<Pending> {
    let action = pending.action.as_str();
    match pending.waiter {
        Waiter::Ping => None,
        Waiter::Response(tx) => {
            let result = if is_error(&msg) {
                Err(rejected(action, &msg))
            } else {
                Ok(msg)
            };
            let _ = tx.send(result);
            None
        }
        Waiter::List { sink, items, .. } => {
            let starts_list = msg
                .get("EventList")
                .is_some_and(|v| v.eq_ignore_ascii_case("start"));
            if starts_list && !is_error(&msg) {
                pending.waiter = Waiter::List {
                    sink,
                    response: Some(msg),
                    items,
                };
                return Some(pending);
            }
            let result = if is_error(&msg) {
                Err(rejected(action, &msg))
            } else {
                Ok(ListResponse {
                    response: msg,
                    items,
                    complete: None,
                })
            };
            match sink {
                ListSink::Caller(tx) => {
                    let _ = tx.send(result);
                }
                ListSink::Stream => {
                    if let Err(e) = result {
                        tracing::warn!(error = %e, "AMI resync list refused");
                    }
                }
            }
            None
        }
        Waiter::Originate {
            queued,
            outcome,
            outcome_timeout,
        } => {
            if is_error(&msg) {
                let error = rejected(action, &msg);
                if let Some(tx) = queued {
                    let _ = tx.send(Err(error.clone()));
                }
                let _ = outcome.send(Err(error));
                return None;
            }
            if let Some(tx) = queued {
                let _ = tx.send(Ok(msg));
            }
            pending.deadline = now + outcome_timeout;
            pending.timeout = outcome_timeout;
            pending.waiter = Waiter::Originate {
                queued: None,
                outcome,
                outcome_timeout,
            };
            Some(pending)
        }
    }
}

/// Handles an event carrying `pending`'s ActionID: gives `pending` back when it still waits,
/// and the event when it also goes to the stream.
fn event(mut pending: Pending, msg: Message) -> (Option<Pending>, Option<Message>) {
    let complete = msg
        .get("EventList")
        .is_some_and(|v| v.eq_ignore_ascii_case("Complete"));
    match pending.waiter {
        Waiter::List {
            sink: ListSink::Stream,
            ..
        } => ((!complete).then_some(pending), Some(msg)),
        Waiter::List {
            sink,
            response,
            mut items,
        } => {
            if !complete {
                items.push(msg);
                pending.waiter = Waiter::List {
                    sink,
                    response,
                    items,
                };
                return (Some(pending), None);
            }
            if let ListSink::Caller(tx) = sink {
                let response = response.unwrap_or_else(|| msg.clone());
                let _ = tx.send(Ok(ListResponse {
                    response,
                    items,
                    complete: Some(msg),
                }));
            }
            (None, None)
        }
        Waiter::Originate {
            queued, outcome, ..
        } if msg.is_event("OriginateResponse") => {
            if let Some(tx) = queued {
                // OriginateResponse before the response: the action was queued anyway.
                let _ = tx.send(Ok(msg.clone()));
            }
            let _ = outcome.send(Ok(OriginateResult::new(msg.clone())));
            (None, Some(msg))
        }
        Waiter::Originate { .. } | Waiter::Response(_) | Waiter::Ping => (Some(pending), Some(msg)),
    }
}

/// Gives `error` to whoever waits.
pub(crate) fn fail(waiter: Waiter, error: ClientError) {
    match waiter {
        Waiter::Response(tx) => {
            let _ = tx.send(Err(error));
        }
        Waiter::List {
            sink: ListSink::Caller(tx),
            ..
        } => {
            let _ = tx.send(Err(error));
        }
        Waiter::List {
            sink: ListSink::Stream,
            ..
        } => tracing::warn!(%error, "AMI resync list did not complete"),
        Waiter::Originate {
            queued, outcome, ..
        } => {
            if let Some(tx) = queued {
                let _ = tx.send(Err(error.clone()));
            }
            let _ = outcome.send(Err(error));
        }
        Waiter::Ping => {}
    }
}
