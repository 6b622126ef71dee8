//! Conditional bijections: maps ℝ^d → ℝ^d that also read a context vector c (an observation),
//! for conditional density estimators q(θ | x) such as neural posterior estimation.
//!
//! **Direction.** A conditional flow is trained by maximum likelihood, so its fast direction is
//! the *density* direction: [`forward`](ConditionalBijection::forward) maps the target side
//! (θ) to the latent side (z) in one network pass (MAF, Papamakarios et al. 2017), and
//! [`inverse`](ConditionalBijection::inverse) maps z → θ for sampling (sequential for
//! autoregressive layers). `log_det` is always log|det ∂forward/∂input| = log|det ∂z/∂θ|.
//! This is the opposite of the sampling-direction convention of [`Bijection`], whose
//! `forward` maps latent → target; a plain [`Bijection`] wrapped in [`Unconditioned`] is
//! applied with its own `forward` in the density direction (for a [`Permutation`](super::Permutation)
//! or another volume-free layer the distinction is immaterial).

use super::{Bijection, LayerSpec};

/// A differentiable bijection of its input given a context, parameterized by a flat slice.
///
/// Mirrors [`Bijection`] with a context argument; the tape protocol is the same (`forward`
/// fills it, `backward` reads it). Slice lengths are the caller's responsibility.
pub trait ConditionalBijection: Send + Sync + std::fmt::Debug {
    /// Dimension d of input and output.
    fn dim(&self) -> usize;

    /// Dimension of the context.
    fn context_dim(&self) -> usize;

    /// Number of parameters this layer reads.
    fn num_params(&self) -> usize;

    /// Length of the scratch tape.
    fn tape_len(&self) -> usize;

    /// Writes parameters that make the layer the identity or close to it.
    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng);

    /// z = f(θ; c) (density direction); returns log|det ∂z/∂θ| and fills `tape`.
    fn forward(
        &self,
        params: &[f64],
        input: &[f64],
        context: &[f64],
        output: &mut [f64],
        tape: &mut [f64],
    ) -> f64;

    /// θ = f⁻¹(z; c) (sampling direction); returns log|det ∂f/∂θ| at the recovered θ. May use
    /// the tape as scratch: call `forward` before a `backward`.
    fn inverse(
        &self,
        params: &[f64],
        output: &[f64],
        context: &[f64],
        input: &mut [f64],
        tape: &mut [f64],
    ) -> f64;

    /// Vector-Jacobian product of (output, log_det) = forward(input; context): writes ∂L/∂input
    /// into `g_input` (overwriting), *adds* ∂L/∂context into `g_context` and ∂L/∂params into
    /// `gparams` when given. `input`, `context` and `tape` must come from the matching
    /// `forward` call; call it once per `forward`.
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        params: &[f64],
        input: &[f64],
        context: &[f64],
        tape: &mut [f64],
        g_output: &[f64],
        g_log_det: f64,
        g_input: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    );

    /// A serializable description of the layer.
    fn spec(&self) -> ConditionalSpec;
}

/// The structure of a conditional layer (no parameters); see `flowpost::npe` for the builder.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConditionalSpec {
    /// A plain bijection that ignores the context ([`Unconditioned`]).
    Unconditioned {
        /// Context dimension it ignores.
        context_dim: usize,
        /// The wrapped layer.
        layer: LayerSpec,
    },
    /// Masked autoregressive affine layer (`flowpost::npe::MafAffine`).
    MafAffine {
        /// Dimension.
        dim: usize,
        /// Context dimension.
        context_dim: usize,
        /// MADE hidden widths.
        hidden: Vec<usize>,
        /// MADE nonlinearity.
        activation: super::Activation,
        /// Soft clamp on the log-scale.
        max_log_scale: f64,
    },
    /// Masked autoregressive rational-quadratic spline layer (`flowpost::npe::MafSpline`).
    MafSpline {
        /// Dimension.
        dim: usize,
        /// Context dimension.
        context_dim: usize,
        /// MADE hidden widths.
        hidden: Vec<usize>,
        /// MADE nonlinearity.
        activation: super::Activation,
        /// Number of bins K.
        num_bins: usize,
        /// Tail bound B: the spline acts on [−B, B], identity outside.
        tail_bound: f64,
    },
    /// A composition (`flowpost::npe::ConditionalChain`).
    Chain {
        /// Layers in density (θ → z) order.
        layers: Vec<ConditionalSpec>,
    },
}

/// A plain [`Bijection`] used inside a conditional flow: the context is ignored and the layer's
/// own `forward` is applied in the density direction.
///
/// ```
/// use flowpost::bijection::{ConditionalBijection, Permutation, Unconditioned};
/// let layer = Unconditioned::new(Box::new(Permutation::reversal(2)), 3);
/// let mut z = [0.0; 2];
/// layer.forward(&[], &[1.0, 2.0], &[0.0; 3], &mut z, &mut []);
/// assert_eq!(z, [2.0, 1.0]);
/// ```
#[derive(Debug)]
pub struct Unconditioned {
    layer: Box<dyn Bijection>,
    context_dim: usize,
}

impl Unconditioned {
    /// Wraps `layer`, accepting (and ignoring) a context of length `context_dim`.
    pub fn new(layer: Box<dyn Bijection>, context_dim: usize) -> Self {
        Unconditioned { layer, context_dim }
    }

    /// The wrapped layer.
    pub fn inner(&self) -> &dyn Bijection {
        self.layer.as_ref()
    }
}

impl ConditionalBijection for Unconditioned {
    fn dim(&self) -> usize {
        self.layer.dim()
    }
    fn context_dim(&self) -> usize {
        self.context_dim
    }
    fn num_params(&self) -> usize {
        self.layer.num_params()
    }
    fn tape_len(&self) -> usize {
        self.layer.tape_len()
    }
    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng) {
        self.layer.init_params(params, rng)
    }
    fn forward(&self, p: &[f64], input: &[f64], _c: &[f64], out: &mut [f64], t: &mut [f64]) -> f64 {
        self.layer.forward(p, input, out, t)
    }
    fn inverse(&self, p: &[f64], out: &[f64], _c: &[f64], input: &mut [f64], t: &mut [f64]) -> f64 {
        self.layer.inverse(p, out, input, t)
    }
    fn backward(
        &self,
        p: &[f64],
        input: &[f64],
        _c: &[f64],
        tape: &mut [f64],
        g_output: &[f64],
        g_log_det: f64,
        g_input: &mut [f64],
        _g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        self.layer
            .backward(p, input, tape, g_output, g_log_det, g_input, gparams)
    }
    fn spec(&self) -> ConditionalSpec {
        ConditionalSpec::Unconditioned {
            context_dim: self.context_dim,
            layer: self.layer.spec(),
        }
    }
}
