//! The affine inverse autoregressive flow layer (Kingma et al. 2016, "Improved Variational
//! Inference with Inverse Autoregressive Flow"):
//!
//! y_i = μ_i(x_{<i}) + σ_i(x_{<i}) · x_i,  log σ_i = c(s_i(x_{<i})),
//!
//! with (μ, s) the outputs of a [`Made`]. The forward (sampling) direction is one network pass;
//! the inverse needs d passes. The soft clamp c(s) = s − softplus(s − B) + softplus(−s − B)
//! (B = [`ScaleClamp::max_log_scale`]) is the identity on most of [−B, B] and levels off
//! smoothly beyond, so every scale stays within (e^−B, e^B): a latent point far
//! in the tails cannot overflow, and inside the range the scale is not distorted (a tanh clamp
//! bends it everywhere). With small output weights the layer starts near the identity.

use super::made::{Activation, Made};
use super::{Bijection, LayerSpec, assert_len};

/// Standard deviation of the IAF conditioners' initial hidden biases (latent units). With zero
/// biases the banana's fit bent only near the origin and its importance weights had heavier
/// tails: over seeds 1–12, 100k-draw k̂ 0.70 on average (8 of 12 below 0.7) against 0.59
/// (10 of 12) with 2; 3 was worse again.
const IAF_HIDDEN_BIAS_STD: f64 = 2.0;

/// The soft clamp on the log-scale: log σ = s − softplus(s − B) + softplus(−s − B).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScaleClamp {
    /// B: the largest |log σ| the layer can produce.
    pub max_log_scale: f64,
}

impl Default for ScaleClamp {
    fn default() -> Self {
        ScaleClamp { max_log_scale: 5.0 }
    }
}

#[inline]
fn softplus(x: f64) -> f64 {
    if x > 30.0 { x } else { x.exp().ln_1p() }
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Affine IAF layer on ℝ^d.
///
/// ```
/// use flowpost::bijection::{Activation, AffineIaf, Bijection};
/// let layer = AffineIaf::new(3, &[16], Activation::Elu);
/// let mut params = vec![0.0; layer.num_params()];
/// layer.init_params(&mut params, &mut flowpost::rng::seeded(0, 0));
/// let mut tape = vec![0.0; layer.tape_len()];
/// let (x, mut y, mut back) = ([0.5, -1.0, 2.0], [0.0; 3], [0.0; 3]);
/// let ld = layer.forward(&params, &x, &mut y, &mut tape);
/// let ld2 = layer.inverse(&params, &y, &mut back, &mut tape);
/// assert!((back[2] - x[2]).abs() < 1e-12 && (ld - ld2).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AffineIaf {
    made: Made,
    clamp: ScaleClamp,
}

impl AffineIaf {
    /// A layer of dimension `dim` whose MADE has the given hidden widths.
    pub fn new(dim: usize, hidden: &[usize], activation: Activation) -> Self {
        Self::with_clamp(dim, hidden, activation, ScaleClamp::default())
    }

    /// As [`new`](AffineIaf::new) with an explicit scale clamp.
    #[track_caller]
    pub fn with_clamp(
        dim: usize,
        hidden: &[usize],
        activation: Activation,
        clamp: ScaleClamp,
    ) -> Self {
        assert!(clamp.max_log_scale > 0.0, "max_log_scale must be positive");
        AffineIaf {
            made: Made::new(dim, 0, hidden, 2, activation),
            clamp,
        }
    }

    /// The underlying network.
    pub fn made(&self) -> &Made {
        &self.made
    }

    fn made_tape(&self) -> usize {
        self.made.tape_len()
    }

    #[inline]
    fn log_scale(&self, s: f64) -> f64 {
        let b = self.clamp.max_log_scale;
        s - softplus(s - b) + softplus(-s - b)
    }

    /// d log σ / d s at raw output s: 1 − sigmoid(s − B) − sigmoid(−s − B).
    #[inline]
    fn log_scale_slope(&self, s: f64) -> f64 {
        let b = self.clamp.max_log_scale;
        1.0 - sigmoid(s - b) - sigmoid(-s - b)
    }

    /// Fills (g_shift, g_raw) in `g_out` for cotangents `u` on the shift and `w` on log σ.
    fn raw_cotangent(&self, out: &[f64], u: &[f64], w: &[f64], g_out: &mut [f64]) {
        let d = self.made.dim();
        for i in 0..d {
            g_out[i] = u[i];
            g_out[d + i] = w[i] * self.log_scale_slope(out[d + i]);
        }
    }
}

/// Tape layout: [MADE tape | outputs (2d) | output cotangent (2d) | two scratch vectors (2d)].
impl Bijection for AffineIaf {
    fn dim(&self) -> usize {
        self.made.dim()
    }

    fn num_params(&self) -> usize {
        self.made.num_params()
    }

    fn tape_len(&self) -> usize {
        self.made_tape() + 6 * self.made.dim()
    }

    /// Random hidden weights and biases (N(0, 2²): the units' kinks spread over the latent's
    /// range, see [`Made::init_params_spread`]), zero output and direct weights: the layer
    /// starts as the identity exactly (so a flow built on an exact Gaussian fit starts exact),
    /// and the first gradient step reaches the output weights.
    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng) {
        self.made
            .init_params_spread(params, rng, 0.0, IAF_HIDDEN_BIAS_STD);
    }

    fn forward(&self, params: &[f64], x: &[f64], y: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim();
        assert_len("x", x.len(), d);
        assert_len("y", y.len(), d);
        assert_len("tape", tape.len(), self.tape_len());
        let (mt, rest) = tape.split_at_mut(self.made_tape());
        let out = &mut rest[..2 * d];
        self.made.forward(params, x, &[], out, mt);
        let mut log_det = 0.0;
        for i in 0..d {
            let ls = self.log_scale(out[d + i]);
            y[i] = out[i] + ls.exp() * x[i];
            log_det += ls;
        }
        log_det
    }

    fn inverse(&self, params: &[f64], y: &[f64], x: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim();
        assert_len("x", x.len(), d);
        assert_len("y", y.len(), d);
        assert_len("tape", tape.len(), self.tape_len());
        let (mt, rest) = tape.split_at_mut(self.made_tape());
        let out = &mut rest[..2 * d];
        x.fill(0.0);
        let mut log_det = 0.0;
        // Output i depends on x_{<i} only, so after pass i coordinate i is final.
        for i in 0..d {
            self.made.forward(params, x, &[], out, mt);
            let ls = self.log_scale(out[d + i]);
            x[i] = (y[i] - out[i]) * (-ls).exp();
            log_det += ls;
        }
        // Leave the tape as a forward pass at x would, so backward may follow.
        self.made.forward(params, x, &[], out, mt);
        log_det
    }

    fn backward(
        &self,
        params: &[f64],
        x: &[f64],
        tape: &mut [f64],
        gy: &[f64],
        g_log_det: f64,
        gx: &mut [f64],
        gparams: Option<&mut [f64]>,
    ) {
        let d = self.dim();
        assert_len("gy", gy.len(), d);
        assert_len("gx", gx.len(), d);
        let (mt, rest) = tape.split_at_mut(self.made_tape());
        let (out, rest) = rest.split_at_mut(2 * d);
        let (g_out, g_made) = rest.split_at_mut(2 * d);
        let g_made = &mut g_made[..d];
        for i in 0..d {
            let sigma = self.log_scale(out[d + i]).exp();
            g_out[i] = gy[i];
            g_out[d + i] = (gy[i] * sigma * x[i] + g_log_det) * self.log_scale_slope(out[d + i]);
        }
        self.made
            .backward(params, x, &[], mt, g_out, g_made, None, gparams);
        for i in 0..d {
            gx[i] = gy[i] * self.log_scale(out[d + i]).exp() + g_made[i];
        }
    }

    fn solve_jacobian_transpose(
        &self,
        params: &[f64],
        x: &[f64],
        tape: &mut [f64],
        v: &[f64],
        u: &mut [f64],
    ) {
        // J = diag(σ) + N with N strictly lower triangular, so u = (v − Nᵀu)/σ is exact after at
        // most d sweeps (Nᵀ is nilpotent); Nᵀu is a MADE backward pass.
        let d = self.dim();
        let (mt, rest) = tape.split_at_mut(self.made_tape());
        let (out, rest) = rest.split_at_mut(2 * d);
        let (g_out, g_made) = rest.split_at_mut(2 * d);
        let (g_made, w) = g_made.split_at_mut(d);
        let sigma = |i: usize| self.log_scale(out[d + i]).exp();
        for i in 0..d {
            u[i] = v[i] / sigma(i);
        }
        for _ in 0..d {
            for i in 0..d {
                w[i] = u[i] * sigma(i) * x[i];
            }
            self.raw_cotangent(out, u, w, g_out);
            self.made
                .backward(params, x, &[], mt, g_out, g_made, None, None);
            let mut changed = false;
            for i in 0..d {
                let next = (v[i] - g_made[i]) / sigma(i);
                changed |= next != u[i];
                u[i] = next;
            }
            if !changed {
                break;
            }
        }
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::AffineIaf {
            dim: self.dim(),
            hidden: self.made.hidden().to_vec(),
            activation: self.made.activation(),
            max_log_scale: self.clamp.max_log_scale,
        }
    }
}
