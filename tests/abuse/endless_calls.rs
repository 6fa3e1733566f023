//! See `main.rs`: filled in by the hardening work.
