//! Building conditional flows: from a [`ConditionalSpec`] read back from a file, and from
//! [`FlowSettings`] (the architecture an estimator is trained with).

use super::{ConditionalChain, MafAffine, MafSpline};
use crate::bijection::{
    Activation, ConditionalBijection, ConditionalSpec, Permutation, ScaleClamp, SpecError,
    Unconditioned,
};

const MAX_DIM: usize = 1 << 20;

fn bad(reason: impl Into<String>) -> SpecError {
    SpecError {
        reason: reason.into(),
    }
}

fn check_shape(dim: usize, context_dim: usize, hidden: &[usize]) -> Result<(), SpecError> {
    if dim == 0 || dim > MAX_DIM || context_dim > MAX_DIM {
        return Err(bad(format!(
            "dimension {dim} / context {context_dim} out of range"
        )));
    }
    if hidden.is_empty() || hidden.iter().any(|&h| h == 0 || h > MAX_DIM) {
        return Err(bad("MADE hidden widths must be non-empty and positive"));
    }
    Ok(())
}

impl ConditionalSpec {
    /// Builds the layer, validating every field (a spec read from a file may be corrupt).
    pub fn build(&self) -> Result<Box<dyn ConditionalBijection>, SpecError> {
        Ok(match self {
            ConditionalSpec::Unconditioned { context_dim, layer } => {
                if *context_dim > MAX_DIM {
                    return Err(bad("context dimension out of range"));
                }
                Box::new(Unconditioned::new(layer.build()?.into_dyn(), *context_dim))
            }
            ConditionalSpec::MafAffine {
                dim,
                context_dim,
                hidden,
                activation,
                max_log_scale,
            } => {
                check_shape(*dim, *context_dim, hidden)?;
                if !(*max_log_scale > 0.0 && max_log_scale.is_finite()) {
                    return Err(bad("max_log_scale must be positive and finite"));
                }
                let clamp = ScaleClamp {
                    max_log_scale: *max_log_scale,
                };
                Box::new(MafAffine::with_clamp(
                    *dim,
                    *context_dim,
                    hidden,
                    *activation,
                    clamp,
                ))
            }
            ConditionalSpec::MafSpline {
                dim,
                context_dim,
                hidden,
                activation,
                num_bins,
                tail_bound,
            } => {
                check_shape(*dim, *context_dim, hidden)?;
                if *num_bins == 0 || *num_bins > 10_000 {
                    return Err(bad("num_bins must be in 1..=10000"));
                }
                if !(*tail_bound > 0.0 && tail_bound.is_finite()) {
                    return Err(bad("tail_bound must be positive and finite"));
                }
                Box::new(MafSpline::new(
                    *dim,
                    *context_dim,
                    hidden,
                    *activation,
                    *num_bins,
                    *tail_bound,
                ))
            }
            ConditionalSpec::Chain { layers } => {
                if layers.is_empty() {
                    return Err(bad("a chain needs layers"));
                }
                let built = layers
                    .iter()
                    .map(|l| l.build())
                    .collect::<Result<Vec<_>, _>>()?;
                let (d, c) = (built[0].dim(), built[0].context_dim());
                if built.iter().any(|l| l.dim() != d || l.context_dim() != c) {
                    return Err(bad("chain layers have different dimensions"));
                }
                Box::new(ConditionalChain::new(built))
            }
            #[allow(unreachable_patterns)]
            other => return Err(bad(format!("unsupported conditional layer {other:?}"))),
        })
    }
}

/// Which autoregressive transform a flow stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransformKind {
    /// [`MafSpline`] (neural spline flow).
    Spline,
    /// [`MafAffine`] (masked autoregressive flow).
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
    /// ([`MafAffine`]). The splines fix ±B, so on their own they cannot move a posterior whose
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
    /// use flowpost::bijection::ConditionalBijection;
    /// let flow = flowpost::npe::FlowSettings::default().build(2, 3).unwrap();
    /// assert_eq!((flow.dim(), flow.context_dim()), (2, 3));
    /// ```
    pub fn build(&self, dim: usize, context_dim: usize) -> Result<ConditionalChain, SpecError> {
        self.validate()?;
        check_shape(dim, context_dim, &self.hidden)?;
        let mut layers: Vec<Box<dyn ConditionalBijection>> = Vec::new();
        if self.affine_first && self.transform != TransformKind::Affine {
            layers.push(Box::new(MafAffine::new(
                dim,
                context_dim,
                &self.hidden,
                self.activation,
            )));
        }
        for t in 0..self.num_transforms {
            if (t > 0 || !layers.is_empty()) && dim > 1 {
                layers.push(Box::new(Unconditioned::new(
                    Box::new(Permutation::reversal(dim)),
                    context_dim,
                )));
            }
            layers.push(match self.transform {
                TransformKind::Spline | TransformKind::Auto => Box::new(MafSpline::new(
                    dim,
                    context_dim,
                    &self.hidden,
                    self.activation,
                    self.num_bins,
                    self.tail_bound,
                )),
                TransformKind::Affine => Box::new(MafAffine::new(
                    dim,
                    context_dim,
                    &self.hidden,
                    self.activation,
                )),
            });
        }
        Ok(ConditionalChain::new(layers))
    }
}
