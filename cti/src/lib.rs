//! `cti`: the PBX side of Tamas — from Asterisk's AMI bytes to calls.
//!
//! - [`ami`]: the AMI wire format. [`ami::AmiCodec`] turns bytes into [`ami::Frame`]s
//!   (banner or [`ami::Message`]) and [`ami::Action`]s into bytes; [`ami::Frames`] does the
//!   same over a buffer in memory. The TCP client (login, ActionIDs, keep-alive, reconnect and
//!   resync) sits beside the codec in `ami`.
//! - [`tracker`]: the call state machine. [`tracker::CallTracker`] is fed messages (and
//!   [`tracker::CallTracker::connection_lost`]), knows channels by Uniqueid and calls by
//!   Linkedid, and emits [`tracker::CallEvent`]s, ending with one [`tracker::CallRecord`] per
//!   call. No I/O, no clock: time comes from the events' `Timestamp`.
//! - [`live`]: the calls in progress, kept from the tracker's events (`/api/calls/active`).
//! - [`replay`]: captured AMI traffic through the same decoder and tracker, for tests, the
//!   `tamas replay` command and benchmarks.
//! - [`sip`]: SIP URIs from PJSIP's events (`ContactStatus`), parsed with `rsip` behind a
//!   small adapter so nothing else depends on it.
//! - [`sim`]: a simulated Asterisk speaking AMI over TCP (generated calls modelled on the
//!   captures, or replayed captures), for the demo and the end-to-end and load tests.

pub mod ami;
pub mod live;
pub mod replay;
pub mod sim;
pub mod sip;
pub mod tracker;
