//! `cti`: the PBX side of Tamas — from Asterisk's AMI bytes to calls.
//!
//! - [`ami`]: the AMI wire format. [`ami::AmiCodec`] turns bytes into [`ami::Frame`]s
//!   (banner or [`ami::Message`]) and [`ami::Action`]s into bytes; [`ami::Frames`] does the
//!   same over a buffer in memory. The TCP client (login, ActionIDs, keep-alive, reconnect and
//!   resync) sits beside the codec in `ami`.

pub mod ami;
