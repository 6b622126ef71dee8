//! Files in and out: the trained-flow file (and CmdStan CSV, summary JSON).

pub mod flow_file;
