//! The `tamas` command.
fn main() {}
