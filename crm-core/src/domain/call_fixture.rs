//! Call rows for tests ([`CallRow::fixture`]), so that a test names only the fields it is
//! about. Built with the `test-support` feature (and in crm-core's own tests).

use crate::domain::call::{CallMetrics, CallRow};
use crate::domain::ids::CallId;
use crate::domain::vocabulary::{Direction, Disposition};

impl CallRow {
    /// A finished call of `direction` with `disposition`, started at `started_at_ms`, from the customer `09121234567`: PBX
    /// `asterisk`, Linkedid `1.<id>`, every other field empty. Set the rest with struct
    /// update syntax or by assigning fields.
    pub fn fixture(
        id: i64,
        direction: Direction,
        disposition: Disposition,
        started_at_ms: i64,
    ) -> CallRow {
        CallRow {
            id: CallId(id),
            pbx: "asterisk".into(),
            linkedid: format!("1.{id}"),
            direction,
            customer_number_raw: Some("09121234567".into()),
            customer_number_e164: Some("+989121234567".into()),
            customer_name: None,
            contact: None,
            did: None,
            queue: None,
            agents_rung: Vec::new(),
            answered_by_extension: None,
            answered_by_user: None,
            agent_extension: None,
            started_at_ms,
            queued_at_ms: None,
            answered_at_ms: None,
            ended_at_ms: None,
            wait_ms: None,
            ring_ms: None,
            talk_ms: None,
            hold_ms: None,
            disposition,
            hangup_by: None,
            hangup_by_extension: None,
            hangup_cause: None,
            transfers: serde_json::Value::Null,
            agent_segments: Vec::new(),
            recording_file: None,
            click_id: None,
            end_known: true,
            failure_reason: None,
            wrapup_outcome: None,
            wrapup_resolved: None,
            wrapup_note: None,
            wrapup_ms: None,
            wrapup_at_ms: None,
            metrics: CallMetrics::default(),
        }
    }
}
