//! Neural posterior estimation (NPE): train a conditional normalizing flow q(θ | x) by maximum
//! likelihood on simulated pairs (θ, x) from the prior, then sample the posterior for any
//! observation x_o (amortized). The anchor is `sbi`'s single-round NPE (Greenberg, Nonnenmacher
//! & Macke 2019; Papamakarios & Murray 2016) with a neural spline flow, measured on the sbibm
//! benchmark (Lueckmann et al. 2021).
//!
//! - Flows: architectures from [`FlowSettings`], built from the layers of
//!   [`bijection`](crate::bijection) (affine MAF and spline
//!   [`MaskedAutoregressive`](crate::bijection::MaskedAutoregressive) layers reading x as
//!   their context, in a [`Chain`](crate::bijection::Chain)). The estimator names the
//!   directions: density θ → z is the layers' cheap transform, sampling z → θ their inverse.
//! - Simulation: [`Prior`], [`Simulator`], [`simulate`], the sbibm tasks (in `flowpost-models`: `flowpost_models::sbibm`); runs spread
//!   over many machines as [`Shard`]s that concatenate to the one-machine table
//!   ([`simulate_rows`], [`find_shards`], [`read_shards`]).
//! - Priors with supports: [`IndependentPrior`] of [`Marginal`] families (in Rust or a JSON
//!   spec) declares each parameter's [`Support`]; training runs on the unconstrained
//!   parameters (log, logit) and draws are mapped back, so none leaves the support; a box is
//!   kept for rejection instead ([`NpeSettings::box_rejection`]).
//! - Training: [`train`] with [`NpeSettings`]; the result is an [`NpeEstimator`] that samples
//!   with leakage correction and saves to a versioned file. With `num_members` K > 1 it is an
//!   ensemble of K estimators (different seeds and splits, trained in parallel) used as their
//!   equal-weight mixture.
//! - Checks: [`sbc()`] (simulation-based calibration with χ² uniformity tests, rank ECDFs in
//!   simultaneous bands, expected coverage per parameter and joint, and TARP), and a check that
//!   an observation lies where the training simulations were ([`check_x_o`]).
//! - Neural likelihood estimation (NLE): [`train_nle`] fits q(x | θ_u) on the same tables with
//!   the roles swapped; [`NleDensity`] is the posterior for iid trials x_1..x_T as a
//!   [`LogDensity`](crate::LogDensity) over the unconstrained θ_u, for [`sample`](crate::sample()).
//!   The estimator saves to its own versioned file, with its prior.

mod architecture;
mod auto;
mod coverage;
mod ensemble;
mod ensemble_train;
mod error;
mod estimator;
mod io;
mod loss;
mod marginal;
mod nle;
mod nle_density;
mod nle_io;
mod posterior_sample;
mod prepare;
mod prior;
mod prior_grad;
mod prior_spec;
mod sbc;
mod shard;
mod shard_set;
mod simulator;
mod support;
mod table;
mod tarp;
mod train;
mod x_check;
mod zscore;

pub use architecture::{FlowSettings, TransformKind};
pub use ensemble::ENSEMBLE_STREAM;
pub use error::NpeError;
pub use estimator::{NpeEstimator, SAMPLE_STREAM};
pub use io::{ESTIMATOR_FORMAT, ESTIMATOR_VERSION};
pub use marginal::{IndependentPrior, Marginal};
pub use nle::{NleEstimator, train_nle};
pub use nle_density::NleDensity;
pub use nle_io::{NLE_ESTIMATOR_FORMAT, NLE_ESTIMATOR_VERSION};
pub use posterior_sample::{PosteriorSamples, SampleSettings};
pub use prior::{Bounds, BoxUniform, GaussianPrior, Prior};
pub use sbc::{
    EcdfCheck, PosteriorSampler, SBC_STREAM, SbcReport, SbcSettings, UniformityTest, sbc,
    sbc_on_pairs,
};
pub use shard::{SHARD_FORMAT, SHARD_VERSION, Shard, ShardManifest, task_labels};
pub use shard_set::{ShardFiles, ShardedTables, find_shards, read_shards};
pub use simulator::{SIMULATION_STREAM, Simulations, Simulator, simulate, simulate_rows};
pub use support::Support;
pub use table::{Table, parse_table, read_table, write_table};
pub use tarp::{TARP_STREAM, TarpFrame, TarpReport, tarp_summary};
pub use train::{CandidateReport, EpochProgress, NpeReport, NpeSettings, train};
pub use x_check::{X_O_Z_MAX, XoOutside, check_nle_x_o, check_x_o, training_x_ranges};
pub use zscore::{Standardizer, XTransform};
