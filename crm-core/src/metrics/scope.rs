//! What a report covers: a period of local days, optionally one queue and one agent.

use super::MetricsSettings;
use super::calendar::DayNumber;
use crate::domain::call::CallRow;

/// A report's period and filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Start, ms since the epoch (included).
    pub from_ms: i64,
    /// End, ms since the epoch (excluded).
    pub to_ms: i64,
    /// Only this queue's calls.
    pub queue: Option<String>,
    /// Only the calls this agent (extension) answered, handled or talked on.
    pub agent: Option<String>,
}

impl Scope {
    /// The local days `from_day` to `to_day` (both included), every queue and agent.
    pub fn days(from_day: DayNumber, to_day: DayNumber, settings: &MetricsSettings) -> Scope {
        let offset_ms = i64::from(settings.utc_offset_minutes) * 60_000;
        Scope {
            from_ms: from_day
                .saturating_mul(86_400_000)
                .saturating_sub(offset_ms),
            to_ms: to_day
                .saturating_add(1)
                .saturating_mul(86_400_000)
                .saturating_sub(offset_ms),
            queue: None,
            agent: None,
        }
    }

    /// Whether `at_ms` falls in the period.
    pub fn contains_time(&self, at_ms: i64) -> bool {
        at_ms >= self.from_ms && at_ms < self.to_ms
    }

    /// Whether the queue filter lets `queue` through.
    pub fn matches_queue(&self, queue: Option<&str>) -> bool {
        self.queue.as_deref().is_none_or(|q| queue == Some(q))
    }

    /// Whether the agent filter lets `extension` through.
    pub fn matches_agent(&self, extension: Option<&str>) -> bool {
        self.agent.as_deref().is_none_or(|a| extension == Some(a))
    }

    /// Whether `call` is in the period and passes the filters.
    pub fn contains(&self, call: &CallRow) -> bool {
        self.contains_time(call.started_at_ms)
            && self.matches_queue(call.queue.as_deref())
            && self.agent.as_deref().is_none_or(|a| {
                call.answered_by_extension.as_deref() == Some(a)
                    || call.agent_extension.as_deref() == Some(a)
                    || call.agents().iter().any(|e| e == a)
            })
    }

    /// The calls of `history` in the scope.
    pub fn select(&self, history: &[CallRow]) -> Vec<CallRow> {
        history
            .iter()
            .filter(|c| self.contains(c))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vocabulary::{Direction, Disposition};
    use crate::metrics::fcr::tests::row;

    #[test]
    fn local_days_and_filters() {
        let tehran = MetricsSettings {
            utc_offset_minutes: 210,
            ..MetricsSettings::default()
        };
        let mut scope = Scope::days(1, 1, &tehran);
        assert_eq!(scope.from_ms, 86_400_000 - 210 * 60_000);
        assert_eq!(scope.to_ms - scope.from_ms, 86_400_000);
        let mut call = row(
            1,
            Direction::Inbound,
            Some("sales"),
            Disposition::Answered,
            Some(1),
            scope.from_ms,
        );
        call.answered_by_extension = Some("1001".into());
        assert!(scope.contains(&call));
        scope.queue = Some("support".into());
        assert!(!scope.contains(&call));
        scope.queue = Some("sales".into());
        scope.agent = Some("1002".into());
        assert!(!scope.contains(&call));
        scope.agent = Some("1001".into());
        assert!(scope.contains(&call));
        call.started_at_ms = scope.to_ms;
        assert!(scope.select(&[call]).is_empty());
    }
}
