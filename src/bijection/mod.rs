//! Bijections ℝ^d → ℝ^d with exact log-determinants and hand-written vector-Jacobian products.
//!
//! Every layer is a *structure* (dimension, masks, widths) that reads its parameters from a flat
//! slice it is handed; the [`Chain`] owns one flat vector for all of them. That keeps the
//! optimizer, serialization and thread-sharing trivial: a `&Chain` and a `&[f64]` are all a
//! worker needs.
//!
//! Directions: [`forward`](Bijection::forward) maps latent → target (the sampling direction),
//! [`inverse`](Bijection::inverse) maps back. `log_det` is always log|det ∂forward/∂input|,
//! evaluated at the latent point (so `inverse` also returns the *forward* log-determinant at the
//! point it recovers, which is what log q(y) = log N(x) − log_det needs).
//!
//! Layers: [`ElementwiseAffine`], [`LowerTriangularAffine`], [`Permutation`],
//! [`AffineIaf`] (built on [`Made`]), composed by [`Chain`]. [`check`] holds the property
//! checks every layer passes (round trip, log-det against a finite-difference Jacobian, VJPs
//! against finite differences).

mod affine;
mod chain;
pub mod check;
pub mod check_conditional;
mod conditional;
mod iaf;
mod lower_tri;
mod made;
mod permute;
mod spec;

pub use affine::ElementwiseAffine;
pub use chain::Chain;
pub(crate) use chain::ChainLayout;
pub use conditional::{ConditionalBijection, ConditionalSpec, Unconditioned};
pub use iaf::{AffineIaf, ScaleClamp};
pub use lower_tri::LowerTriangularAffine;
pub use made::{Activation, Made};
pub use permute::Permutation;
pub use spec::{BuiltLayer, LayerSpec, SpecError};

/// A differentiable bijection with a tractable log-determinant, parameterized by a flat slice.
///
/// The `tape` is scratch space of length [`tape_len`](Bijection::tape_len): `forward` records in
/// it what `backward` needs (hidden activations, scales), so a backward pass never recomputes the
/// forward one. `inverse` may also use it as scratch. Nothing here allocates.
///
/// Slice lengths are the caller's responsibility; a wrong length is a bug and panics.
pub trait Bijection: Send + Sync + std::fmt::Debug {
    /// Dimension d of input and output.
    fn dim(&self) -> usize;

    /// Number of parameters this layer reads.
    fn num_params(&self) -> usize;

    /// Length of the scratch tape `forward` fills for `backward`.
    fn tape_len(&self) -> usize;

    /// Writes parameters that make the layer the identity or close to it (small random weights
    /// where a network needs them to break symmetry).
    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng);

    /// y = f(x); returns log|det ∂y/∂x| and fills `tape` for [`backward`](Bijection::backward).
    fn forward(&self, params: &[f64], x: &[f64], y: &mut [f64], tape: &mut [f64]) -> f64;

    /// x = f⁻¹(y); returns log|det ∂f/∂x| at the recovered x (the *forward* log-determinant).
    fn inverse(&self, params: &[f64], y: &[f64], x: &mut [f64], tape: &mut [f64]) -> f64;

    /// The vector-Jacobian product of (y, log_det) = forward(x).
    ///
    /// Given cotangents `gy` = ∂L/∂y and `g_log_det` = ∂L/∂log_det, writes ∂L/∂x into `gx`
    /// (overwriting) and, when `gparams` is given, *adds* ∂L/∂params into it. `x` and `tape` must
    /// be the input and the tape of a `forward` call with the same `params`; `backward` may use
    /// the tape's scratch part, so call it once per `forward`.
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        params: &[f64],
        x: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: f64,
        gx: &mut [f64],
        gparams: Option<&mut [f64]>,
    );

    /// Solves J(x)ᵀ u = v for u, J = ∂forward/∂x at the input `x` of the last `forward` call
    /// (whose tape is given). Used for the score ∇_y log q(y) of the sticking-the-landing
    /// estimator. May clobber the tape's scratch part.
    fn solve_jacobian_transpose(
        &self,
        params: &[f64],
        x: &[f64],
        tape: &mut [f64],
        v: &[f64],
        u: &mut [f64],
    );

    /// A serializable description from which [`LayerSpec::build`] rebuilds the layer.
    fn spec(&self) -> LayerSpec;
}

#[track_caller]
pub(crate) fn assert_len(what: &str, got: usize, expected: usize) {
    assert!(
        got == expected,
        "{what} has length {got}, expected {expected}"
    );
}
