//! Serializable layer descriptions: what a flow file and an estimator file store besides the
//! parameters, and what rebuilds the layers when they are read back. The JSON is the file
//! format (a `type` tag and the variant's fields), so variants and fields are never renamed.

use super::{Activation, Affine, Bijection, Chain, ElementwiseAffine, LowerTriangularAffine};
use super::{MaskedAutoregressive, Permutation};

/// The structure of a layer (no parameters).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LayerSpec {
    /// [`ElementwiseAffine`].
    ElementwiseAffine {
        /// Dimension.
        dim: usize,
    },
    /// [`LowerTriangularAffine`].
    LowerTriangularAffine {
        /// Dimension.
        dim: usize,
    },
    /// [`Permutation`].
    Permutation {
        /// `y[i] = x[perm[i]]`.
        perm: Vec<usize>,
    },
    /// [`MaskedAutoregressive::iaf`]: the affine transformer in the IAF parameterization.
    AffineIaf {
        /// Dimension.
        dim: usize,
        /// Context dimension (absent, i.e. 0, in the NeuTra flow).
        #[serde(default, skip_serializing_if = "is_zero")]
        context_dim: usize,
        /// MADE hidden widths.
        hidden: Vec<usize>,
        /// MADE nonlinearity.
        activation: Activation,
        /// Soft clip B on the log-scale.
        max_log_scale: f64,
        /// Whether the MADE has its direct input → output connection (absent, i.e. true, in
        /// files written before it could be left out; see [`Made::without_direct`](super::Made::without_direct)).
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        direct: bool,
    },
    /// [`MaskedAutoregressive::maf`]: the affine transformer in the MAF parameterization.
    MafAffine {
        /// Dimension.
        dim: usize,
        /// Context dimension.
        context_dim: usize,
        /// MADE hidden widths.
        hidden: Vec<usize>,
        /// MADE nonlinearity.
        activation: Activation,
        /// Tanh clamp B on the log-scale.
        max_log_scale: f64,
    },
    /// [`MaskedAutoregressive::spline`]: the rational-quadratic spline transformer.
    MafSpline {
        /// Dimension.
        dim: usize,
        /// Context dimension.
        context_dim: usize,
        /// MADE hidden widths.
        hidden: Vec<usize>,
        /// MADE nonlinearity.
        activation: Activation,
        /// Number of bins K.
        num_bins: usize,
        /// Tail bound B: the spline acts on [−B, B], identity outside.
        tail_bound: f64,
    },
    /// A context-free layer inside a conditional [`Chain`], with the context it ignores; it
    /// builds the inner layer.
    Unconditioned {
        /// Context dimension of the enclosing chain.
        context_dim: usize,
        /// The layer.
        layer: Box<LayerSpec>,
    },
    /// [`Chain`].
    Chain {
        /// The layers in transform order.
        layers: Vec<LayerSpec>,
        /// One flag per layer, or none (empty, and absent from the file) when no layer is
        /// frozen.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        frozen: Vec<bool>,
    },
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A layer description that cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid layer description: {reason}")]
#[non_exhaustive]
pub struct SpecError {
    /// What is wrong.
    pub reason: String,
}

pub(crate) fn bad(reason: impl Into<String>) -> SpecError {
    SpecError {
        reason: reason.into(),
    }
}

/// A built layer: a chain keeps its concrete type so it can be cloned and inspected.
#[derive(Debug)]
pub enum BuiltLayer {
    /// A chain.
    Chain(Box<Chain>),
    /// Any other layer.
    Other(Box<dyn Bijection>),
}

impl BuiltLayer {
    /// The chain, if this is one.
    pub fn into_chain(self) -> Option<Box<Chain>> {
        match self {
            BuiltLayer::Chain(c) => Some(c),
            BuiltLayer::Other(_) => None,
        }
    }

    /// As a trait object.
    pub fn into_dyn(self) -> Box<dyn Bijection> {
        match self {
            BuiltLayer::Chain(c) => c,
            BuiltLayer::Other(b) => b,
        }
    }
}

/// The largest dimension, context dimension or hidden width a file may declare.
const MAX_DIM: usize = 1 << 20;

fn check_dim(dim: usize) -> Result<(), SpecError> {
    if dim == 0 || dim > MAX_DIM {
        return Err(bad(format!("dimension {dim} out of range")));
    }
    Ok(())
}

/// Checks the shape of a masked autoregressive layer.
pub(crate) fn check_made_shape(
    dim: usize,
    context_dim: usize,
    hidden: &[usize],
) -> Result<(), SpecError> {
    check_dim(dim)?;
    if context_dim > MAX_DIM {
        return Err(bad(format!("context dimension {context_dim} out of range")));
    }
    if hidden.is_empty() || hidden.iter().any(|&h| h == 0 || h > MAX_DIM) {
        return Err(bad("MADE hidden widths must be non-empty and positive"));
    }
    Ok(())
}

fn check_positive(what: &str, value: f64) -> Result<(), SpecError> {
    if !(value > 0.0 && value.is_finite()) {
        return Err(bad(format!("{what} must be positive and finite")));
    }
    Ok(())
}

impl LayerSpec {
    /// Builds the layer, validating every field (a spec read from a file may be corrupt).
    pub fn build(&self) -> Result<BuiltLayer, SpecError> {
        let layer: Box<dyn Bijection> = match self {
            LayerSpec::ElementwiseAffine { dim } => {
                check_dim(*dim)?;
                Box::new(ElementwiseAffine::new(*dim))
            }
            LayerSpec::LowerTriangularAffine { dim } => {
                check_dim(*dim)?;
                Box::new(LowerTriangularAffine::new(*dim))
            }
            LayerSpec::Permutation { perm } => {
                check_dim(perm.len())?;
                let p = Permutation::new(perm.clone())
                    .ok_or_else(|| bad("`perm` is not a permutation of 0..n"))?;
                Box::new(p)
            }
            LayerSpec::AffineIaf {
                dim,
                context_dim,
                hidden,
                activation,
                max_log_scale,
                direct,
            } => {
                check_made_shape(*dim, *context_dim, hidden)?;
                check_positive("max_log_scale", *max_log_scale)?;
                if !*direct && *context_dim > 0 {
                    return Err(bad("a conditional layer keeps its direct connection"));
                }
                let t = Affine::iaf(*max_log_scale);
                let layer = MaskedAutoregressive::new(*dim, *context_dim, hidden, *activation, t);
                Box::new(if *direct {
                    layer
                } else {
                    layer.without_direct()
                })
            }
            LayerSpec::MafAffine {
                dim,
                context_dim,
                hidden,
                activation,
                max_log_scale,
            } => {
                check_made_shape(*dim, *context_dim, hidden)?;
                check_positive("max_log_scale", *max_log_scale)?;
                let t = Affine::maf(*max_log_scale);
                let layer = MaskedAutoregressive::new(*dim, *context_dim, hidden, *activation, t);
                Box::new(layer)
            }
            LayerSpec::MafSpline {
                dim,
                context_dim,
                hidden,
                activation,
                num_bins,
                tail_bound,
            } => {
                check_made_shape(*dim, *context_dim, hidden)?;
                if *num_bins == 0 || *num_bins > 10_000 {
                    return Err(bad("num_bins must be in 1..=10000"));
                }
                check_positive("tail_bound", *tail_bound)?;
                Box::new(MaskedAutoregressive::spline(
                    *dim,
                    *context_dim,
                    hidden,
                    *activation,
                    *num_bins,
                    *tail_bound,
                ))
            }
            LayerSpec::Unconditioned { context_dim, layer } => {
                if *context_dim > MAX_DIM {
                    return Err(bad(format!("context dimension {context_dim} out of range")));
                }
                let built = layer.build()?;
                let inner_context = match &built {
                    BuiltLayer::Chain(c) => c.context_dim(),
                    BuiltLayer::Other(l) => l.context_dim(),
                };
                if inner_context != 0 {
                    return Err(bad("an unconditioned layer must not read a context"));
                }
                return Ok(built);
            }
            LayerSpec::Chain { layers, frozen } => return build_chain(layers, frozen),
        };
        Ok(BuiltLayer::Other(layer))
    }
}

/// Builds a chain: layers of one dimension, conditional layers (and the context declared by
/// unconditioned ones) of one context dimension, no flags or one per layer.
fn build_chain(layers: &[LayerSpec], frozen: &[bool]) -> Result<BuiltLayer, SpecError> {
    if layers.is_empty() || !(frozen.is_empty() || frozen.len() == layers.len()) {
        return Err(bad("a chain needs layers and one frozen flag per layer"));
    }
    let built = layers
        .iter()
        .map(|l| l.build().map(BuiltLayer::into_dyn))
        .collect::<Result<Vec<_>, _>>()?;
    let d = built[0].dim();
    if built.iter().any(|l| l.dim() != d) {
        return Err(bad("chain layers have different dimensions"));
    }
    // The context each layer declares: its own, or the one an unconditioned layer ignores.
    let declared: Vec<usize> = layers
        .iter()
        .zip(&built)
        .map(|(spec, l)| match spec {
            LayerSpec::Unconditioned { context_dim, .. } => *context_dim,
            _ => l.context_dim(),
        })
        .collect();
    let context_dim = declared.iter().copied().max().unwrap_or(0);
    if declared.iter().any(|&c| c != 0 && c != context_dim) {
        return Err(bad("chain layers have different context dimensions"));
    }
    let frozen = if frozen.is_empty() {
        vec![false; layers.len()]
    } else {
        frozen.to_vec()
    };
    Ok(BuiltLayer::Chain(Box::new(Chain::with_context(
        built,
        frozen,
        context_dim,
    ))))
}
