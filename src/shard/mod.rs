//! Runs spread over machines: a run's chains split into shards (`flowpost sample --chain-ids
//! 5..8`), each a run folder of its own, and [`merge_shards`] putting them back together into
//! the folder the whole run would have written on one machine.
//!
//! Chain c of a run draws from random stream c whatever machine runs it
//! ([`SampleSettings::first_chain`](crate::SampleSettings::first_chain)), so the merged draws
//! equal those of the run made at once, draw for draw. A shard's summary.json records its chain
//! numbers ([`ChainRange`]) and what it is ([`RunIdentity`]: model and data, flow, settings,
//! seed, version); merging checks that the shards agree on all of it and hold every chain once,
//! then reports nested R-hat ([`rhat_nested`](crate::diagnostics::rhat_nested)) with the shards
//! as superchains.

mod adaptation;
mod error;
mod identity;
mod merge;
mod read;

pub use error::MergeError;
pub use identity::{
    ChainRange, IdentityDifference, RunIdentity, identity_settings, model_hash_builtin,
    model_hash_stan, sha256_hex,
};
pub use merge::{MergeSettings, MergedRun, merge_shards};
pub use read::ShardInfo;
