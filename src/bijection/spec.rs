//! Serializable layer descriptions: what a flow file stores besides the parameters, and what
//! rebuilds the layers when it is read back.

use super::{Activation, AffineIaf, Bijection, Chain, ElementwiseAffine, LowerTriangularAffine};
use super::{Permutation, ScaleClamp};

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
        /// y_i = x_{perm[i]}.
        perm: Vec<usize>,
    },
    /// [`AffineIaf`].
    AffineIaf {
        /// Dimension.
        dim: usize,
        /// MADE hidden widths.
        hidden: Vec<usize>,
        /// MADE nonlinearity.
        activation: Activation,
        /// Soft clamp B on the log-scale.
        max_log_scale: f64,
    },
    /// [`Chain`].
    Chain {
        /// The layers in forward order.
        layers: Vec<LayerSpec>,
        /// One flag per layer.
        frozen: Vec<bool>,
    },
}

/// A layer description that cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid layer description: {reason}")]
#[non_exhaustive]
pub struct SpecError {
    /// What is wrong.
    pub reason: String,
}

fn bad(reason: impl Into<String>) -> SpecError {
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

impl LayerSpec {
    /// Builds the layer, validating every field (a spec read from a file may be corrupt).
    pub fn build(&self) -> Result<BuiltLayer, SpecError> {
        const MAX_DIM: usize = 1 << 20;
        let check_dim = |d: usize| {
            if d == 0 || d > MAX_DIM {
                Err(bad(format!("dimension {d} out of range")))
            } else {
                Ok(())
            }
        };
        Ok(match self {
            LayerSpec::ElementwiseAffine { dim } => {
                check_dim(*dim)?;
                BuiltLayer::Other(Box::new(ElementwiseAffine::new(*dim)))
            }
            LayerSpec::LowerTriangularAffine { dim } => {
                check_dim(*dim)?;
                BuiltLayer::Other(Box::new(LowerTriangularAffine::new(*dim)))
            }
            LayerSpec::Permutation { perm } => {
                check_dim(perm.len())?;
                let p = Permutation::new(perm.clone())
                    .ok_or_else(|| bad("`perm` is not a permutation of 0..n"))?;
                BuiltLayer::Other(Box::new(p))
            }
            LayerSpec::AffineIaf {
                dim,
                hidden,
                activation,
                max_log_scale,
            } => {
                check_dim(*dim)?;
                if hidden.is_empty() || hidden.iter().any(|&h| h == 0 || h > MAX_DIM) {
                    return Err(bad("IAF hidden widths must be non-empty and positive"));
                }
                if !(*max_log_scale > 0.0 && max_log_scale.is_finite()) {
                    return Err(bad("IAF max_log_scale must be positive and finite"));
                }
                let clamp = ScaleClamp {
                    max_log_scale: *max_log_scale,
                };
                BuiltLayer::Other(Box::new(AffineIaf::with_clamp(
                    *dim,
                    hidden,
                    *activation,
                    clamp,
                )))
            }
            LayerSpec::Chain { layers, frozen } => {
                if layers.is_empty() || layers.len() != frozen.len() {
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
                BuiltLayer::Chain(Box::new(Chain::with_frozen(built, frozen.clone())))
            }
        })
    }
}
