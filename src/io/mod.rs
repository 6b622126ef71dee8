//! Reading and writing draws in other tools' formats.
//!
//! - [`cmdstan`]: CmdStan's CSV (one file per chain), read by ArviZ's `from_cmdstan`, R's
//!   `posterior`/`cmdstanr` and CmdStan's `stansummary`; reads real CmdStan output too.

pub mod cmdstan;
