//! Neural posterior estimation (NPE): train a conditional normalizing flow q(θ | x) by maximum
//! likelihood on simulated pairs (θ, x) from the prior, then sample the posterior for any
//! observation x_o (amortized). The anchor is `sbi`'s single-round NPE (Greenberg, Nonnenmacher
//! & Macke 2019; Papamakarios & Murray 2016) with a neural spline flow, measured on the sbibm
//! benchmark (Lueckmann et al. 2021).
//!
//! - Flows: [`MafAffine`] and [`MafSpline`] (conditional autoregressive layers on
//!   [`Made`](crate::bijection::Made) with context inputs, density direction θ → z),
//!   composed by [`ConditionalChain`], architectures from [`FlowSettings`].
//! - Simulation: [`Prior`], [`Simulator`], [`simulate`], built-in sbibm [`tasks`].
//! - Training: [`train`] with [`NpeSettings`]; the result is an [`NpeEstimator`] that samples
//!   with leakage correction and saves to a versioned file.
//! - Checks: [`sbc()`] (simulation-based calibration with a χ² uniformity test and rank
//!   histograms) and expected coverage.

mod build;
mod chain;
mod error;
mod estimator;
mod io;
mod loss;
mod maf_affine;
mod maf_spline;
mod prior;
mod sbc;
mod simulator;
mod spline;
mod table;
pub mod tasks;
mod train;
mod zscore;

pub use build::{FlowSettings, TransformKind};
pub use chain::ConditionalChain;
pub use error::NpeError;
pub use estimator::{NpeEstimator, PosteriorSamples, SAMPLE_STREAM, SampleSettings};
pub use io::{ESTIMATOR_FORMAT, ESTIMATOR_VERSION};
pub use maf_affine::MafAffine;
pub use maf_spline::MafSpline;
pub use prior::{Bounds, BoxUniform, GaussianPrior, Prior};
pub use sbc::{
    PosteriorSampler, SBC_STREAM, SbcReport, SbcSettings, UniformityTest, sbc, sbc_on_pairs,
};
pub use simulator::{SIMULATION_STREAM, Simulations, Simulator, simulate};
pub use spline::{RqSpline, SplineScratch};
pub use table::{Table, parse_table, read_table, write_table};
pub use train::{CandidateReport, EpochProgress, NpeReport, NpeSettings, train};
pub use zscore::Standardizer;
