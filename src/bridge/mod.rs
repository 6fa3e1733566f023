//! The bridge: wires the PBX side (`cti`) to the CRM core and the web side.
//!
//! - [`mapping`]: settings and records translated between the crates (tracker settings
//!   from the config and the users, the number normaliser, tracker record → call log).
//! - [`pbx`]: the running link to one PBX — AMI client, tracker, live view, call events for
//!   the web side — and [`call_log`], which writes every finished call and never loses one.

pub mod call_log;
pub mod mapping;
pub mod pbx;

pub use mapping::{call_record_input, number_normalizer, tracker_settings};
pub use pbx::PbxLink;
