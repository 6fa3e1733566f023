//! Driving calls: at a steady rate, an inbound call rings the next free agent in turn (as
//! a queue with Asterisk's `rrmemory` strategy shares calls out), from a known contact's
//! number most of the time and from an unknown number otherwise. Every agent is rung once
//! in each round of as many calls as there are agents, so the server's per-agent state
//! (a socket's buffers, a backlog) is warm after the first round, as it is in a real
//! centre after its first minutes.

use std::time::Duration;

use cti::sim::{CallSpec, Scenario, SimError, SimHandle};
use tokio::time::{Instant, MissedTickBehavior};

/// How long an agent is taken to be busy after a call rang them (the scenario lasts about
/// 14 s).
const BUSY_FOR: Duration = Duration::from_secs(20);
/// Agents tried per call, in turn, before the call is skipped.
const TRIES: usize = 32;
/// Share of callers who are known contacts.
const KNOWN_SHARE: f64 = 0.8;

/// How long until every known caller's card is full at `rate` calls a second: each of the
/// contacts has had [`CARD_CALLS`](crm_core::directory::CARD_CALLS) calls, on average.
pub fn cards_full_after(rate: f64) -> Duration {
    let calls = f64::from(crm_core::directory::CARD_CALLS) * super::population::CONTACTS as f64;
    Duration::from_secs_f64(calls / (rate * KNOWN_SHARE).max(0.001))
}

/// A call the simulator placed.
#[derive(Clone, Debug)]
pub struct Placed {
    /// Its Linkedid.
    pub linkedid: String,
}

/// What the driver did.
#[derive(Debug, Default)]
pub struct Driven {
    /// Calls placed, in order.
    pub placed: Vec<Placed>,
    /// Calls not placed because no free agent was found in time.
    pub skipped: u64,
}

/// Places `rate` calls a second for `duration` on `agents`, callers from `known`.
pub async fn drive(
    sim: &SimHandle,
    agents: &[String],
    known: &[String],
    rate: f64,
    duration: Duration,
) -> Driven {
    let mut driven = Driven::default();
    if agents.is_empty() || rate <= 0.0 || !rate.is_finite() {
        return driven;
    }
    let mut free_at = vec![Instant::now(); agents.len()];
    // The agent rung next, as `rrmemory` remembers it.
    let mut next = 0;
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let end = Instant::now() + duration;
    let mut n: u64 = 0;
    while ticks.tick().await < end {
        n += 1;
        let (number, name) = caller(known, n);
        let now = Instant::now();
        let mut placed = false;
        for _ in 0..TRIES {
            let i = next;
            next = (next + 1) % agents.len();
            if free_at[i] > now {
                continue;
            }
            let spec = CallSpec::new(Scenario::InboundAnswered)
                .customer(number.as_str(), name.as_str())
                .agent(agents[i].as_str())
                .extra_talk(Duration::ZERO);
            match sim.place(spec) {
                Ok(call) => {
                    free_at[i] = now + BUSY_FOR;
                    driven.placed.push(Placed {
                        linkedid: call.linkedid,
                    });
                    placed = true;
                    break;
                }
                Err(SimError::AgentBusy(_)) => free_at[i] = now + BUSY_FOR,
                Err(err) => {
                    tracing::warn!(error = %err, "the simulator did not place a call");
                    break;
                }
            }
        }
        driven.skipped += u64::from(!placed);
    }
    driven
}

/// The `n`th caller: a known contact's number most of the time, else a fresh number.
fn caller(known: &[String], n: u64) -> (String, String) {
    if !known.is_empty() && rand::random_bool(KNOWN_SHARE) {
        let number = &known[rand::random_range(0..known.len())];
        (number.clone(), format!("Customer {number}"))
    } else {
        let number = format!("0935{:07}", rand::random_range(0..10_000_000u32));
        (number, format!("Caller {n}"))
    }
}
