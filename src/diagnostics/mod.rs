//! Posterior diagnostics: R-hat, effective sample sizes, Monte Carlo standard errors, E-BFMI,
//! Pareto-smoothed importance sampling, the verdict on a flow fit, and nested R-hat over groups
//! of chains ([`rhat_nested`], Margossian et al. 2024, with its own table of degenerate input).
//!
//! Every estimator follows Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021), *Rank-normalization,
//! folding, and localization: an improved R-hat for assessing convergence of MCMC*, Bayesian
//! Analysis 16(2), and — for PSIS — Vehtari, Simpson, Gelman, Yao and Gabry (2024), *Pareto
//! smoothed importance sampling*, JMLR 25(72). The arithmetic reproduces ArviZ 0.23.4
//! (`arviz.rhat`, `arviz.ess`, `arviz.mcse`, `arviz.bfmi`, `arviz.psislw`) to a relative 1e-6;
//! `tests/arviz_vectors.rs` checks that on ArviZ's own outputs.
//!
//! # Input shape
//! Draws of one scalar quantity are passed as `chains × draws`: a slice with one entry per chain,
//! each entry the chain's draws in order (`&[Vec<f64>]`, `&[&[f64]]`, …). All chains must have the
//! same length; unequal lengths are a caller bug and panic.
//!
//! # Degenerate input (what is returned)
//! These rules are ArviZ's, so that numbers agree with the Python ecosystem:
//!
//! | input | R-hat (rank, split) | ESS (all kinds) | MCSE |
//! |---|---|---|---|
//! | any `NaN` draw | `NaN` | `NaN` | `NaN` |
//! | fewer than 4 draws per chain | `NaN` | `NaN` | `NaN` |
//! | one chain | `NaN` (R-hat needs ≥ 2 chains) | defined (the chain is split in halves) | defined |
//! | no chain at all | `NaN` | `NaN` | `NaN` |
//! | all draws equal (constant) | `NaN` (0/0 variance ratio) | total number of split draws (`chains × 2⌊n/2⌋`) | mean and quantile MCSE `0`; sd MCSE `NaN` (0/0) |
//! | one chain constant, others not | defined (within-chain variance is averaged) | defined | defined |
//! | odd number of draws | the middle draw of each chain is dropped when splitting | same | quantile MCSE uses all draws |
//! | `±inf` draws | rank R-hat defined, split R-hat `NaN` | bulk/tail/quantile ESS defined, mean/sd ESS `NaN` | mean MCSE `NaN` |
//!
//! E-BFMI is `NaN` for a chain with fewer than 2 energies or a constant energy; PSIS is documented
//! on [`psis`].
//!
//! # Example
//! ```
//! use flowpost::diagnostics::{ess_bulk, rhat_rank};
//! // Two chains of an AR(1)-like sequence.
//! let chains: Vec<Vec<f64>> = (0..2)
//!     .map(|c| (0..100).map(|i| ((i * 7 + c * 13) % 17) as f64).collect())
//!     .collect();
//! let r = rhat_rank(&chains);
//! let e = ess_bulk(&chains);
//! assert!(r.is_finite() && e > 0.0);
//! ```

mod autocov;
mod bfmi;
mod ecdf_band;
mod ess;
mod evidence;
mod fit_verdict;
mod matrix;
mod mcse;
mod nested_rhat;
mod psis;
mod rank;
mod rhat;
pub(crate) mod summary;
mod warnings;

pub use bfmi::e_bfmi;
pub use ecdf_band::{EcdfBand, ecdf_band, rank_ecdf_inside};
pub use ess::{ess_bulk, ess_mean, ess_quantile, ess_sd, ess_tail};
pub use evidence::{LogEvidence, log_evidence, log_evidence_smoothed};
pub use fit_verdict::{FitVerdict, fit_verdict};
pub use mcse::{mcse_mean, mcse_quantile, mcse_sd};
pub use nested_rhat::rhat_nested;
pub use psis::{PsisResult, pareto_k_threshold, psis, psis_with_reff};
pub use rank::quantile;
pub use rhat::{rhat_rank, rhat_split};
pub use summary::{Extremes, ParamSummary, extremes, summarize, summarize_param};
pub use warnings::{DiagnosticWarning, WarningSettings, check_run};
