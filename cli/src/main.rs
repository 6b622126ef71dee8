//! The `flowpost` command line.
fn main() {}
