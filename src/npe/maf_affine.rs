//! The conditional masked autoregressive affine layer (MAF, Papamakarios, Pavlakou & Murray
//! 2017) in the density direction:
//!
//! z_i = (θ_i − μ_i(θ_{<i}, c)) · e^{−α_i},  α_i = B tanh(s_i(θ_{<i}, c) / B),
//!
//! with (μ, s) the outputs of a [`Made`] that also reads the context c. log|det ∂z/∂θ| = −Σ α_i.
//! Density evaluation is one network pass; sampling inverts coordinate by coordinate (d passes).

use crate::bijection::{Activation, ConditionalBijection, ConditionalSpec, Made, ScaleClamp};

/// Conditional affine autoregressive layer.
///
/// ```
/// use flowpost::bijection::{Activation, ConditionalBijection};
/// use flowpost::npe::MafAffine;
/// let layer = MafAffine::new(2, 1, &[8], Activation::Relu);
/// let mut params = vec![0.0; layer.num_params()];
/// layer.init_params(&mut params, &mut flowpost::rng::seeded(0, 0));
/// let mut tape = vec![0.0; layer.tape_len()];
/// let (theta, ctx, mut z, mut back) = ([0.3, -1.2], [0.5], [0.0; 2], [0.0; 2]);
/// let ld = layer.forward(&params, &theta, &ctx, &mut z, &mut tape);
/// let ld2 = layer.inverse(&params, &z, &ctx, &mut back, &mut tape);
/// assert!((back[1] - theta[1]).abs() < 1e-12 && (ld - ld2).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MafAffine {
    made: Made,
    clamp: ScaleClamp,
}

impl MafAffine {
    /// A layer on ℝ^`dim` with a context of `context_dim` and the given MADE hidden widths.
    pub fn new(dim: usize, context_dim: usize, hidden: &[usize], activation: Activation) -> Self {
        Self::with_clamp(dim, context_dim, hidden, activation, ScaleClamp::default())
    }

    /// As [`new`](MafAffine::new) with an explicit soft clamp on the log-scale.
    #[track_caller]
    pub fn with_clamp(
        dim: usize,
        context_dim: usize,
        hidden: &[usize],
        activation: Activation,
        clamp: ScaleClamp,
    ) -> Self {
        assert!(clamp.max_log_scale > 0.0, "max_log_scale must be positive");
        MafAffine {
            made: Made::new(dim, context_dim, hidden, 2, activation),
            clamp,
        }
    }

    /// The underlying network.
    pub fn made(&self) -> &Made {
        &self.made
    }

    fn log_scale(&self, s: f64) -> f64 {
        let b = self.clamp.max_log_scale;
        b * (s / b).tanh()
    }

    fn log_scale_slope(&self, s: f64) -> f64 {
        let t = (s / self.clamp.max_log_scale).tanh();
        1.0 - t * t
    }
}

/// Tape layout: [MADE tape | outputs (2d) | output cotangent (2d) | direct input cotangent (d)].
impl ConditionalBijection for MafAffine {
    fn dim(&self) -> usize {
        self.made.dim()
    }

    fn context_dim(&self) -> usize {
        self.made.context_dim()
    }

    fn num_params(&self) -> usize {
        self.made.num_params()
    }

    fn tape_len(&self) -> usize {
        self.made.tape_len() + 5 * self.dim()
    }

    fn init_params(&self, params: &mut [f64], rng: &mut dyn rand::Rng) {
        self.made.init_params(params, rng, 0.01);
    }

    fn forward(&self, p: &[f64], theta: &[f64], c: &[f64], z: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim();
        crate::bijection::assert_len("z", z.len(), d);
        let (mt, rest) = tape.split_at_mut(self.made.tape_len());
        let out = &mut rest[..2 * d];
        self.made.forward(p, theta, c, out, mt);
        let mut ld = 0.0;
        for i in 0..d {
            let a = self.log_scale(out[d + i]);
            z[i] = (theta[i] - out[i]) * (-a).exp();
            ld -= a;
        }
        ld
    }

    fn inverse(&self, p: &[f64], z: &[f64], c: &[f64], theta: &mut [f64], tape: &mut [f64]) -> f64 {
        let d = self.dim();
        crate::bijection::assert_len("theta", theta.len(), d);
        let (mt, rest) = tape.split_at_mut(self.made.tape_len());
        let out = &mut rest[..2 * d];
        theta.fill(0.0);
        let mut ld = 0.0;
        for i in 0..d {
            self.made.forward(p, theta, c, out, mt);
            let a = self.log_scale(out[d + i]);
            theta[i] = out[i] + z[i] * a.exp();
            ld -= a;
        }
        ld
    }

    fn backward(
        &self,
        p: &[f64],
        theta: &[f64],
        c: &[f64],
        tape: &mut [f64],
        gz: &[f64],
        g_ld: f64,
        g_theta: &mut [f64],
        g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        let d = self.dim();
        let (mt, rest) = tape.split_at_mut(self.made.tape_len());
        let (out, rest) = rest.split_at_mut(2 * d);
        let (g_out, direct) = rest.split_at_mut(2 * d);
        for i in 0..d {
            let a = self.log_scale(out[d + i]);
            let e = (-a).exp();
            let zi = (theta[i] - out[i]) * e;
            direct[i] = gz[i] * e;
            g_out[i] = -gz[i] * e;
            g_out[d + i] = (-gz[i] * zi - g_ld) * self.log_scale_slope(out[d + i]);
        }
        self.made
            .backward(p, theta, c, mt, g_out, g_theta, g_context, gparams);
        for i in 0..d {
            g_theta[i] += direct[i];
        }
    }

    fn spec(&self) -> ConditionalSpec {
        ConditionalSpec::MafAffine {
            dim: self.dim(),
            context_dim: self.context_dim(),
            hidden: self.made.hidden().to_vec(),
            activation: self.made.activation(),
            max_log_scale: self.clamp.max_log_scale,
        }
    }
}
