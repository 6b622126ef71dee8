//! The architecture of the estimator's conditional flow ([`FlowSettings`]), and its build from
//! the layers of [`bijection`](crate::bijection): masked autoregressive layers in the density
//! direction θ → z (their cheap transform), with a reversal between consecutive ones.

use crate::bijection::{
    Activation, Bijection, Chain, MaskedAutoregressive, Permutation, SpecError,
};

/// The tanh clamp B of the affine MAF layers' log-scale.
const MAF_MAX_LOG_SCALE: f64 = 5.0;

fn bad(reason: impl Into<String>) -> SpecError {
    SpecError {
        reason: reason.into(),
    }
}

/// Which autoregressive transform a flow stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransformKind {
    /// Autoregressive rational-quadratic splines ([`MaskedAutoregressive::spline`], neural
    /// spline flow).
    Spline,
    /// Affine MAF layers ([`MaskedAutoregressive::maf`], masked autoregressive flow).
    Affine,
    /// The default: [`train`](super::train) fits both a spline and an affine flow on the same
    /// training/validation split and keeps the one with the lower validation loss (splines win
    /// on non-Gaussian posteriors, the affine MAF where splines overfit, e.g. the 10-d
    /// near-Gaussian sbibm tasks below 10⁴ simulations). [`FlowSettings::build`] builds the
    /// spline flow for it.
    Auto,
}

/// Architecture of a conditional flow: `num_transforms` autoregressive layers with a reversal
/// permutation between consecutive ones (for splines, preceded by one conditional affine layer
/// unless `affine_first` is off).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct FlowSettings {
    /// Transform type.
    pub transform: TransformKind,
    /// Number of autoregressive layers.
    pub num_transforms: usize,
    /// MADE hidden widths.
    pub hidden: Vec<usize>,
    /// MADE nonlinearity.
    pub activation: Activation,
    /// Spline bins K.
    pub num_bins: usize,
    /// Spline tail bound B (in z-scored units).
    pub tail_bound: f64,
    /// For spline flows: start (on the θ side) with a conditional affine layer
    /// ([`MaskedAutoregressive::maf`]). The splines fix ±B, so on their own they cannot move a posterior whose
    /// location depends on x across the tail bounds; the affine layer standardizes location
    /// and scale given x first, and the splines shape what remains.
    pub affine_first: bool,
}

impl Default for FlowSettings {
    /// Close to `sbi`'s NSF default: 5 transforms, 10 bins, 50 hidden units (here two MADE
    /// layers of 50), tails at ±3.
    fn default() -> Self {
        FlowSettings {
            transform: TransformKind::Auto,
            num_transforms: 5,
            hidden: vec![50, 50],
            activation: Activation::Relu,
            num_bins: 10,
            tail_bound: 3.0,
            affine_first: true,
        }
    }
}

impl FlowSettings {
    /// Checks the fields; the error names the offending one.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.num_transforms == 0 {
            return Err(bad("num_transforms must be at least 1"));
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(bad("hidden widths must be non-empty and positive"));
        }
        if self.transform != TransformKind::Affine {
            if self.num_bins == 0 {
                return Err(bad("num_bins must be at least 1"));
            }
            if !(self.tail_bound > 0.0 && self.tail_bound.is_finite()) {
                return Err(bad("tail_bound must be positive and finite"));
            }
        }
        Ok(())
    }

    /// The flow for θ ∈ ℝ^`dim` given a context in ℝ^`context_dim`.
    ///
    /// ```
    /// use flowpost::bijection::Bijection;
    /// let flow = flowpost::npe::FlowSettings::default().build(2, 3).unwrap();
    /// assert_eq!((flow.dim(), flow.context_dim()), (2, 3));
    /// ```
    pub fn build(&self, dim: usize, context_dim: usize) -> Result<Chain, SpecError> {
        self.validate()?;
        crate::bijection::check_made_shape(dim, context_dim, &self.hidden)?;
        let (hidden, activation) = (&self.hidden, self.activation);
        let affine =
            || MaskedAutoregressive::maf(dim, context_dim, hidden, activation, MAF_MAX_LOG_SCALE);
        let mut layers: Vec<Box<dyn Bijection>> = Vec::new();
        if self.affine_first && self.transform != TransformKind::Affine {
            layers.push(Box::new(affine()));
        }
        for t in 0..self.num_transforms {
            if (t > 0 || !layers.is_empty()) && dim > 1 {
                layers.push(Box::new(Permutation::reversal(dim)));
            }
            layers.push(match self.transform {
                TransformKind::Spline | TransformKind::Auto => {
                    Box::new(MaskedAutoregressive::spline(
                        dim,
                        context_dim,
                        hidden,
                        activation,
                        self.num_bins,
                        self.tail_bound,
                    ))
                }
                TransformKind::Affine => Box::new(affine()),
            });
        }
        Ok(Chain::new(layers))
    }
}
