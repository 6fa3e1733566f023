//! How the supervisors' reports (`/reports`, `/reports.csv`) are shown; the figures are
//! `crm_core::metrics::report`'s, the same as `tamas report`'s.
//!
//! - [`svg`]: the bar charts, drawn on the server.
//! - [`csv`]: every table as CSV, safe to open in a spreadsheet.

pub mod csv;
pub mod svg;
