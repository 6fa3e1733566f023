//! The bridge: wires the PBX side (`cti`) to the CRM core and the web side.
//!
//! - [`mapping`]: settings and records translated between the crates (tracker settings
//!   from the config and the users, the number normaliser, tracker record → call log).
//! - [`pbx`]: the running link to one PBX — AMI client, tracker, live view, call events for
//!   the web side — and [`call_log`], which writes every finished call and never loses one,
//!   with the calls in progress beside them ([`open_calls`]) so that a restart loses none;
//!   [`closed_out`] warns when the tracker's limits closed calls out.
//! - [`popups`]: call events and queue pauses → the hub's `call.*` and `agent.state`
//!   messages, published in order by [`addressing`]; [`ring`] builds a popup with its contacts, [`agent_users`] maps extensions to
//!   users (cached), [`agent_states`] derives agents' states, [`pauses`] reads
//!   `QueueMemberPause`.

pub mod addressing;
pub mod agent_states;
pub mod agent_users;
pub mod call_log;
pub mod closed_out;
pub mod mapping;
pub mod open_calls;
pub mod pauses;
pub mod pbx;
pub mod popups;
pub mod ring;
pub mod settings;

pub use mapping::{call_record_input, number_normalizer, tracker_settings};
pub use pbx::PbxLink;
