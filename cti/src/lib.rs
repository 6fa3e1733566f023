//! cti
