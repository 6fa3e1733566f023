//! A period's calls kept in memory for per-queue figures that follow a busy centre: read
//! whole once, then updated call by call as each is written or edited, instead of reading
//! the whole period again for every change. Rows are kept without what the per-queue
//! figures never read, so that a day of calls stays small.

use std::collections::HashMap;

use crate::{CallId, CallRow};

/// Calls in the order first put, each at most once.
#[derive(Debug, Default)]
pub struct PeriodCalls {
    rows: Vec<CallRow>,
    index: HashMap<CallId, usize>,
}

impl PeriodCalls {
    /// The calls `rows`, as read whole.
    pub fn new(rows: Vec<CallRow>) -> Self {
        let mut calls = PeriodCalls::default();
        for row in rows {
            calls.put(row);
        }
        calls
    }

    /// Adds `row`, or replaces the call's earlier row.
    pub fn put(&mut self, row: CallRow) {
        let row = trimmed(row);
        match self.index.get(&row.id) {
            Some(&at) => self.rows[at] = row,
            None => {
                self.index.insert(row.id, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    /// Keeps the calls started at `from_ms` or later (the period moved on).
    pub fn since(&mut self, from_ms: i64) {
        self.rows.retain(|c| c.started_at_ms >= from_ms);
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
    }

    /// The calls, for [`group`](super::group) or [`summarize`](super::summarize) by queue,
    /// day or hour (not by agent: the agents' segments are not kept).
    pub fn rows(&self) -> &[CallRow] {
        &self.rows
    }
}

/// `row` without what the per-queue figures never read (legs, segments, transfers, names
/// and notes).
fn trimmed(mut row: CallRow) -> CallRow {
    row.agents_rung = Vec::new();
    row.agent_segments = Vec::new();
    row.transfers = serde_json::Value::Null;
    row.customer_name = None;
    row.wrapup_note = None;
    row
}

#[cfg(test)]
mod tests {
    use super::PeriodCalls;
    use crate::CallId;
    use crate::metrics::fcr::tests::row;

    #[test]
    fn a_call_put_again_replaces_its_row_and_old_calls_leave() {
        let call = |id, disposition, at| row(id, "inbound", Some("support"), disposition, None, at);
        let mut calls = PeriodCalls::new(vec![
            call(1, "answered", 1_000),
            call(2, "abandoned", 2_000),
        ]);
        let mut edited = call(1, "answered", 1_000);
        edited.wrapup_ms = Some(30_000);
        calls.put(edited);
        calls.put(call(3, "answered", 3_000));
        assert_eq!(calls.rows().len(), 3);
        assert_eq!(calls.rows()[0].wrapup_ms, Some(30_000));
        calls.since(2_000);
        let ids: Vec<CallId> = calls.rows().iter().map(|c| c.id).collect();
        assert_eq!(ids, [CallId(2), CallId(3)]);
        calls.put(call(2, "answered", 2_000));
        assert_eq!(calls.rows().len(), 2, "the index follows the rows kept");
        assert_eq!(calls.rows()[0].disposition, "answered");
    }
}
