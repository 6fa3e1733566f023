//! Agents' states for `agent.state`, derived from the calls they ring for or are in and
//! from their queue pause: on a call beats ringing beats paused beats available. A change
//! is reported only when the derived state (or the pause reason) differs from the last one
//! reported.

use std::collections::{HashMap, HashSet};

use crate::hub::messages::{AgentState, AgentStateChange};

#[derive(Debug, Default)]
struct Agent {
    paused: bool,
    reason: Option<String>,
    ringing: HashSet<String>,
    on_call: HashSet<String>,
    shown: Option<(AgentState, Option<String>)>,
}

impl Agent {
    fn state(&self) -> AgentState {
        if !self.on_call.is_empty() {
            AgentState::OnCall
        } else if !self.ringing.is_empty() {
            AgentState::Ringing
        } else if self.paused {
            AgentState::Paused
        } else {
            AgentState::Available
        }
    }
}

/// Every agent seen so far, by extension.
#[derive(Debug, Default)]
pub struct AgentStates {
    agents: HashMap<String, Agent>,
}

impl AgentStates {
    /// No agent known yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn update(
        &mut self,
        extension: &str,
        at_ms: i64,
        change: impl FnOnce(&mut Agent),
    ) -> Option<AgentStateChange> {
        let agent = self.agents.entry(extension.to_owned()).or_default();
        change(agent);
        let state = agent.state();
        let reason = (state == AgentState::Paused)
            .then(|| agent.reason.clone())
            .flatten();
        let now = (state, reason.clone());
        if agent.shown.as_ref() == Some(&now) {
            return None;
        }
        agent.shown = Some(now);
        Some(AgentStateChange {
            extension: extension.to_owned(),
            state,
            since_ms: at_ms,
            reason,
        })
    }

    /// The agent's phone rings for `call`.
    pub fn ringing(&mut self, extension: &str, call: &str, at_ms: i64) -> Option<AgentStateChange> {
        self.update(extension, at_ms, |a| {
            a.ringing.insert(call.to_owned());
        })
    }

    /// The agent's phone stopped ringing for `call` without them answering.
    pub fn ring_stopped(
        &mut self,
        extension: &str,
        call: &str,
        at_ms: i64,
    ) -> Option<AgentStateChange> {
        self.update(extension, at_ms, |a| {
            a.ringing.remove(call);
        })
    }

    /// The agent is in `call`.
    pub fn answered(
        &mut self,
        extension: &str,
        call: &str,
        at_ms: i64,
    ) -> Option<AgentStateChange> {
        self.update(extension, at_ms, |a| {
            a.ringing.remove(call);
            a.on_call.insert(call.to_owned());
        })
    }

    /// `call` is over for each of `extensions`.
    pub fn call_ended(
        &mut self,
        extensions: &[String],
        call: &str,
        at_ms: i64,
    ) -> Vec<AgentStateChange> {
        extensions
            .iter()
            .filter_map(|extension| {
                self.update(extension, at_ms, |a| {
                    a.ringing.remove(call);
                    a.on_call.remove(call);
                })
            })
            .collect()
    }

    /// The PBX paused or unpaused the agent in its queues.
    pub fn paused(
        &mut self,
        extension: &str,
        paused: bool,
        reason: Option<String>,
        at_ms: i64,
    ) -> Option<AgentStateChange> {
        self.update(extension, at_ms, |a| {
            a.paused = paused;
            a.reason = reason.filter(|_| paused);
        })
    }

    /// Forgets every call not in `live` (after events were lost, no `Ended` may come).
    pub fn retain_calls(&mut self, live: &HashSet<&str>) {
        for agent in self.agents.values_mut() {
            agent.ringing.retain(|c| live.contains(c.as_str()));
            agent.on_call.retain(|c| live.contains(c.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_rings_is_answered_and_ends() {
        let mut states = AgentStates::new();
        let ring = states.ringing("1001", "c1", 10).map(|c| c.state);
        assert_eq!(ring, Some(AgentState::Ringing));
        assert_eq!(
            states.ringing("1001", "c1", 11),
            None,
            "no change, no message"
        );
        let answer = states.answered("1001", "c1", 20).map(|c| c.state);
        assert_eq!(answer, Some(AgentState::OnCall));
        let ended = states.call_ended(&["1001".to_owned()], "c1", 30);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].state, AgentState::Available);
        assert_eq!(ended[0].since_ms, 30);
    }

    #[test]
    fn pauses_show_once_calls_are_over() {
        let mut states = AgentStates::new();
        let paused = states.paused("1003", true, Some("lunch".into()), 5);
        assert_eq!(paused.as_ref().map(|c| c.state), Some(AgentState::Paused));
        assert_eq!(paused.and_then(|c| c.reason).as_deref(), Some("lunch"));
        assert_eq!(
            states.paused("1003", true, Some("lunch".into()), 6),
            None,
            "the second queue's pause changes nothing"
        );
        assert_eq!(
            states.ringing("1003", "c9", 7).map(|c| c.state),
            Some(AgentState::Ringing)
        );
        assert_eq!(
            states.ring_stopped("1003", "c9", 8).map(|c| c.state),
            Some(AgentState::Paused)
        );
        assert_eq!(
            states.paused("1003", false, None, 9).map(|c| c.state),
            Some(AgentState::Available)
        );
    }

    #[test]
    fn lost_calls_can_be_forgotten() {
        let mut states = AgentStates::new();
        states.answered("1002", "gone", 1);
        states.retain_calls(&HashSet::new());
        assert_eq!(
            states.paused("1002", false, None, 2).map(|c| c.state),
            Some(AgentState::Available)
        );
    }
}
