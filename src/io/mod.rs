//! Files in and out: the trained-flow file, the warmup's adaptation (`adaptation.json`),
//! `summary.json`, and CmdStan's CSV (one file per
//! chain), read by ArviZ's `from_cmdstan`, R's `posterior`/`cmdstanr` and CmdStan's
//! `stansummary`; the reader takes real CmdStan output too. `draws.zarr` holds the same draws
//! as an ArviZ 1.x zarr store ([`arviz_zarr`]). Every file is written atomically ([`atomic`]).

pub mod adaptation_file;
pub mod arviz_zarr;
pub mod atomic;
pub mod cmdstan;
pub mod flow_file;
pub mod json_object;
pub(crate) mod versioned;
