//! Files in and out: the trained-flow file, `summary.json` and CmdStan CSV.

pub mod flow_file;
pub mod summary;
