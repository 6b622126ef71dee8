//! Elementwise transformers: the scalar monotone maps y_i = τ(x_i; raw_i) that a
//! [`MaskedAutoregressive`](super::MaskedAutoregressive) layer applies coordinate by
//! coordinate, with `raw_i` the conditioner's outputs for coordinate i (flowjax's
//! `transformer`). [`Affine`] is the affine map of the IAF and the MAF, [`RqSpline`] the
//! rational-quadratic spline of the neural spline flow.

mod affine;
mod spline;
mod spline_bin;

pub use affine::{Affine, ScaleClamp};
pub use spline::RqSpline;

use super::{LayerSpec, Made};

/// How a masked autoregressive layer initializes its conditioner (see
/// [`Made::init_params_spread`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MadeInit {
    /// Scale of the output weights (0: the layer starts as the identity exactly).
    pub output_gain: f64,
    /// Standard deviation of the hidden biases.
    pub hidden_bias_std: f64,
}

/// A scalar bijection τ(·; raw) of one coordinate, parameterized by `num_raw` unconstrained
/// numbers, with its log-derivative and hand-written vector-Jacobian products.
///
/// `scratch` has length [`scratch_len`](Transformer::scratch_len); it comes from the layer's
/// tape, so nothing here allocates.
pub trait Transformer: Clone + PartialEq + std::fmt::Debug + Send + Sync {
    /// Number of unconstrained parameters per coordinate (conditioner outputs per coordinate).
    fn num_raw(&self) -> usize;

    /// Length of the scratch buffer the calls below share.
    fn scratch_len(&self) -> usize;

    /// Factor applied to conditioner output `p` before the transformer reads it, given the
    /// conditioner's last hidden width (1 unless a transformer wants its raw inputs to move
    /// slowly during training).
    fn raw_scale(&self, _p: usize, _last_hidden: usize) -> f64 {
        1.0
    }

    /// How the layer initializes its conditioner.
    fn conditioner_init(&self) -> MadeInit;

    /// y = τ(x) and log τ′(x).
    fn forward(&self, raw: &[f64], x: f64, scratch: &mut [f64]) -> (f64, f64);

    /// x = τ⁻¹(y) and log τ′(x) at that x.
    fn inverse(&self, raw: &[f64], y: f64, scratch: &mut [f64]) -> (f64, f64);

    /// The VJP of (y, log τ′) = (τ(x), log τ′(x)) with cotangents `gy` and `g_log_det`:
    /// writes ∂L/∂raw into `g_raw` (overwriting) and returns ∂L/∂x.
    fn backward(
        &self,
        raw: &[f64],
        x: f64,
        gy: f64,
        g_log_det: f64,
        scratch: &mut [f64],
        g_raw: &mut [f64],
    ) -> f64;

    /// Length of the prefix of `scratch` that [`forward`](Transformer::forward) leaves
    /// holding what [`backward_after_forward`](Transformer::backward_after_forward) needs (0:
    /// nothing is kept). The batched layer saves it per item and coordinate instead of
    /// recomputing it in the backward pass.
    fn forward_state_len(&self) -> usize {
        0
    }

    /// [`backward`](Transformer::backward) when `scratch[..forward_state_len()]` holds what a
    /// [`forward`](Transformer::forward) call with the same `raw` and `x` left there.
    fn backward_after_forward(
        &self,
        raw: &[f64],
        x: f64,
        gy: f64,
        g_log_det: f64,
        scratch: &mut [f64],
        g_raw: &mut [f64],
    ) -> f64 {
        self.backward(raw, x, gy, g_log_det, scratch, g_raw)
    }

    /// The VJP of y = τ(x) alone: writes `gy`·∂y/∂raw into `g_raw` (overwriting) and returns
    /// ∂y/∂x (not multiplied by `gy`). The Jᵀ solve of the layer needs exactly these.
    fn output_vjp(
        &self,
        raw: &[f64],
        x: f64,
        gy: f64,
        scratch: &mut [f64],
        g_raw: &mut [f64],
    ) -> f64;

    /// The description of a masked autoregressive layer with this transformer and conditioner.
    fn spec(&self, made: &Made) -> LayerSpec;
}

#[inline]
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
