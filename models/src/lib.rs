//! Built-in target posteriors for flowpost.
//!
//! Two families, each a [`BuiltinModel`] (a [`LogDensity`] on the unconstrained space that also
//! maps reported values back to it):
//! - the benchmark spine, exactly as `peers/README.md` defines it so that numbers compare with
//!   the peers: `funnel`, `eight_schools_centered`, `eight_schools_noncentered`, `banana`,
//!   `gauss100`, `logreg`;
//! - two validation targets with exact moments that no default was tuned on: `student_t`,
//!   `log_gamma`;
//! - multimodal targets with exact means, sds, mode weights and log Z (issue 16): `mixture2`,
//!   `mixture4`, `mixture2_t` (any dimension) and `sign_flip`;
//! - the 14 posteriordb posteriors with reference draws, under their posteriordb names
//!   (`arK-arK`, `eight_schools-eight_schools_centered`, …), written from their Stan programs
//!   (`data/posteriordb/stan/`) with Stan's constraining transforms, Stan-style names, and the
//!   transformed parameters the reference draws store;
//! - beside them, the five sbibm tasks for simulation-based inference ([`sbibm`]: a prior, a
//!   simulator and the benchmark's 10 observations each).
//!
//! Data live in `data/` and are embedded in the binary, so the models need no files at run time.
//!
//! ```
//! use flowpost::LogDensity;
//! use flowpost_models::{ModelOptions, list, load};
//!
//! assert!(list().iter().any(|m| m.name == "arK-arK"));
//! let model = load("funnel", &ModelOptions { dim: Some(5) }).unwrap();
//! assert_eq!(model.dim(), 5);
//! assert_eq!(model.param_names()[1], "x[1]");
//! assert!(load("no-such-model", &ModelOptions::default()).is_err());
//! ```

// `!(x > 0.0)` is deliberate throughout: NaN must fail the check.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod data;
mod linreg;
mod math;
mod multimodal;
pub mod occupancy;
mod posteriordb;
pub mod reference;
mod registry;
pub mod sbibm;
mod scale;
mod spine;
mod validation;

use flowpost::LogDensity;

pub use multimodal::{Component, Mixture, Modes, SignFlip};
pub use posteriordb::{
    ArK, Arma11, Diamonds, EarningsInteraction, GP_POIS_REGR_CHUNK, Garch11, GpPoisRegr,
    HMM_EXAMPLE_CHUNK, HmmExample, KidscoreInteraction, Kilpisjarvi, LogmesquiteLogvas,
    LowDimGaussMix, Sblrc,
};
pub use registry::{ModelInfo, ModelOptions, TAKES_DIM, list, load, load_builtin};
pub use scale::{ExactMoments, HierRegression, LatentGp};
pub use spine::{Banana, EightSchoolsCentered, EightSchoolsNoncentered, Funnel, Gauss100, LogReg};
pub use validation::{LogGamma, StudentT};

/// A built-in model: a [`LogDensity`] on the unconstrained space, plus the maps a cross-check
/// with Stan needs.
///
/// `log_density(θ) − log_jacobian(θ)` is the log-density of the reported parameters on the
/// constrained space, which equals Stan's `log_prob(jacobian = false)` (propto) at the same
/// constrained point up to an additive constant, whatever unconstrained parameterisation each
/// side uses. With the same transforms, `log_density` itself equals Stan's
/// `log_prob(jacobian = true)` up to a constant: true for every model here with the Stan that
/// made posteriordb's draws; with Stan 2.39 (Stan Math 5.3) `hmm_example`'s simplex coordinate
/// is Stan's `y = u / √2` (inverse isometric log-ratio instead of stick-breaking), which changes
/// the log-density only by a constant.
pub trait BuiltinModel: LogDensity {
    /// The unconstrained point whose reported values ([`LogDensity::constrain`]) are
    /// `constrained` (in [`LogDensity::param_names`] order, transformed parameters included:
    /// e.g. the non-centered `theta` gives back `theta_trans`). Panics if the length is wrong.
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64>;

    /// `log |det J|` of the constraining transforms at θ: the part of
    /// [`log_density`](LogDensity::log_density) that Stan leaves out with `jacobian = false`.
    fn log_jacobian(&self, theta: &[f64]) -> f64;
}

/// Why a model could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// No built-in model has this name.
    #[error("unknown model `{name}`{}; the built-in models are: {known}", did_you_mean.as_ref().map_or(String::new(), |s| format!(" (did you mean `{s}`?)")))]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// The closest known name, when one is close.
        did_you_mean: Option<String>,
        /// The known names, comma-separated.
        known: String,
    },
    /// A dimension was given to a model whose dimension is fixed by its data.
    #[error(
        "model `{model}` has a fixed dimension ({dim}); `dim` applies only to funnel, hier_regression, latent_gp, mixture2, mixture4 and mixture2_t"
    )]
    DimNotSupported {
        /// The model.
        model: String,
        /// Its dimension.
        dim: usize,
    },
    /// The dimension asked for is not valid for the model.
    #[error("model `{model}` cannot have dimension {dim}: {reason}")]
    InvalidDim {
        /// The model.
        model: String,
        /// The dimension asked for.
        dim: usize,
        /// Why not.
        reason: String,
    },
    /// The model's embedded data do not parse or are inconsistent.
    #[error("data of model `{model}` ({file}): {message}")]
    Data {
        /// The model.
        model: String,
        /// The data file (under `models/data/`).
        file: String,
        /// What is wrong.
        message: String,
    },
}
