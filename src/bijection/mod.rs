//! Bijections ℝ^d → ℝ^d, optionally conditioned on a context vector, with exact
//! log-determinants and hand-written vector-Jacobian products: the one layer family behind both
//! the NeuTra flow ([`flow`](crate::flow)) and the neural posterior estimator
//! ([`npe`](crate::npe)).
//!
//! Every layer is a *structure* (dimension, masks, widths) that reads its parameters from a flat
//! slice it is handed; the [`Chain`] owns one flat vector for all of them. That keeps the
//! optimizer, serialization and thread-sharing trivial: a `&Chain` and a `&[f64]` are all a
//! worker needs.
//!
//! **Directions are named by role, not by latent/target.** [`transform`](Bijection::transform)
//! is the *cheap* direction (one network pass for a [`MaskedAutoregressive`] layer) and
//! [`inverse`](Bijection::inverse) the other one (d passes). `log_det` is always
//! log|det ∂transform/∂input|, evaluated at the transform's input (so `inverse` also returns
//! the *transform's* log-determinant at the point it recovers). Which side is latent is decided
//! one level up: [`Flow`](crate::flow::Flow) transforms latent z → target θ (sampling is cheap,
//! the inverse autoregressive flow of NeuTra), the NPE estimator transforms θ → z (density
//! evaluation is cheap, the masked autoregressive flow).
//!
//! **Context** (flowjax's `cond_shape`): a conditional layer reads a context vector of length
//! [`context_dim`](Bijection::context_dim) (an observation x for q(θ | x)); 0 means
//! unconditional. A [`Chain`] passes its context to every conditional layer.
//!
//! Layers: [`ElementwiseAffine`], [`LowerTriangularAffine`], [`Permutation`],
//! [`MaskedAutoregressive`] (a [`Made`] conditioner and an elementwise [`Transformer`]:
//! [`Affine`] or [`RqSpline`]), composed by [`Chain`]; [`LayerSpec`] describes and rebuilds them.
//! With the `testing` feature, `check` holds the property checks every layer passes.

mod affine;
mod autoregressive;
pub mod batch;
mod chain;
mod chain_batch;
#[cfg(feature = "testing")]
pub mod check;
mod lower_tri;
mod made;
mod permute;
mod spec;
pub mod transformers;

pub use affine::ElementwiseAffine;
pub use autoregressive::MaskedAutoregressive;
pub use chain::Chain;
pub use lower_tri::LowerTriangularAffine;
pub use made::{Activation, Made};
pub use permute::Permutation;
#[cfg(feature = "npe")]
pub(crate) use spec::check_made_shape;
pub use spec::{BuiltLayer, LayerSpec, SpecError};
pub use transformers::{Affine, RqSpline, ScaleClamp, Transformer};

/// A differentiable bijection of its input given a context, with a tractable log-determinant,
/// parameterized by a flat slice.
///
/// The `tape` is scratch space of length [`tape_len`](Bijection::tape_len):
/// [`transform`](Bijection::transform) records in it what [`vjp`](Bijection::vjp) and
/// [`solve_jacobian_transpose`](Bijection::solve_jacobian_transpose) need (hidden activations,
/// scales), so a backward pass never recomputes the forward one. `inverse` may use the tape as
/// scratch: call `transform` before a `vjp`. Nothing here allocates.
///
/// `context` always has length [`context_dim`](Bijection::context_dim) (empty for an
/// unconditional layer). Slice lengths are the caller's responsibility; a wrong length is a
/// bug and panics.
pub trait Bijection: Send + Sync + std::fmt::Debug {
    /// Dimension d of input and output.
    fn dim(&self) -> usize;

    /// Dimension of the context (0 for an unconditional layer).
    fn context_dim(&self) -> usize;

    /// Number of parameters this layer reads.
    fn num_params(&self) -> usize;

    /// Length of the scratch tape.
    fn tape_len(&self) -> usize;

    /// Writes parameters that make the layer the identity or close to it (small random weights
    /// where a network needs them to break symmetry).
    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng);

    /// y = f(x; c), the cheap direction; returns log|det ∂y/∂x| and fills `tape`.
    fn transform(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        y: &mut [f64],
        tape: &mut [f64],
    ) -> f64;

    /// x = f⁻¹(y; c); returns log|det ∂f/∂x| at the recovered x (the *transform's*
    /// log-determinant). May use the tape as scratch.
    fn inverse(
        &self,
        params: &[f64],
        y: &[f64],
        context: &[f64],
        x: &mut [f64],
        tape: &mut [f64],
    ) -> f64;

    /// The vector-Jacobian product of (y, log_det) = transform(x; c).
    ///
    /// Given cotangents `gy` = ∂L/∂y and `g_log_det` = ∂L/∂log_det, writes ∂L/∂x into `gx`
    /// (overwriting) and *adds* ∂L/∂c into `g_context` and ∂L/∂params into `gparams` when
    /// given. `x`, `context` and `tape` must be those of a `transform` call with the same
    /// `params`; `vjp` may use the tape's scratch part, so call it once per `transform`.
    #[allow(clippy::too_many_arguments)]
    fn vjp(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: f64,
        gx: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    );

    /// Solves J(x)ᵀ u = v for u, J = ∂transform/∂x at the input `x` of the last `transform`
    /// call (whose tape is given). The flow uses it for the score ∇_θ log q(θ) of the
    /// sticking-the-landing estimator. May clobber the tape's scratch part.
    fn solve_jacobian_transpose(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        v: &[f64],
        u: &mut [f64],
    );

    /// A serializable description from which [`LayerSpec::build`] rebuilds the layer.
    fn spec(&self) -> LayerSpec;

    /// Length of the tape of the batched calls for `n` items (by default one per-item tape per
    /// item).
    fn batch_tape_len(&self, n: usize) -> usize {
        n * self.tape_len()
    }

    /// [`transform`](Bijection::transform) for n = `log_det.len()` items at once: `x`, `y` are
    /// n × d and `context` n × c, row-major; writes item j's log-determinant into
    /// `log_det[j]`. `tape` has length [`batch_tape_len`](Bijection::batch_tape_len)`(n)`.
    /// Layers with a conditioner override this with matrix–matrix products (same results as
    /// the per-item calls up to the order of floating-point sums); the default calls
    /// [`transform`](Bijection::transform) per item.
    fn transform_batch(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        y: &mut [f64],
        log_det: &mut [f64],
        tape: &mut [f64],
    ) {
        batch::transform_per_item(self, params, x, context, y, log_det, tape);
    }

    /// [`inverse`](Bijection::inverse) for n = `log_det.len()` items at once (layout as in
    /// [`transform_batch`](Bijection::transform_batch)).
    fn inverse_batch(
        &self,
        params: &[f64],
        y: &[f64],
        context: &[f64],
        x: &mut [f64],
        log_det: &mut [f64],
        tape: &mut [f64],
    ) {
        batch::inverse_per_item(self, params, y, context, x, log_det, tape);
    }

    /// [`vjp`](Bijection::vjp) for n = `g_log_det.len()` items at once, after a
    /// [`transform_batch`](Bijection::transform_batch) with the same inputs and tape: `gy`,
    /// `gx` are n × d, `g_context` n × c (added to), and `gparams` receives the parameter
    /// gradient *summed over the items* (added to).
    #[allow(clippy::too_many_arguments)]
    fn vjp_batch(
        &self,
        params: &[f64],
        x: &[f64],
        context: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: &[f64],
        gx: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        batch::vjp_per_item(
            self, params, x, context, tape, gy, g_log_det, gx, g_context, gparams,
        );
    }
}

#[track_caller]
pub(crate) fn assert_len(what: &str, got: usize, expected: usize) {
    assert!(
        got == expected,
        "{what} has length {got}, expected {expected}"
    );
}
