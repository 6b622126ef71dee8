//! The linear-Gaussian simulator of sbibm's `gaussian_linear` and `gaussian_linear_uniform`:
//! x | θ ~ N(θ, σ² I).

use flowpost::npe::Simulator;

/// x = θ + σ ε, ε ~ N(0, I_d).
#[derive(Debug, Clone, Copy)]
pub struct GaussianLinear {
    /// Dimension d of θ and x.
    pub dim: usize,
    /// Noise variance σ² (0.1 in sbibm).
    pub variance: f64,
}

impl GaussianLinear {
    /// The exact posterior under the prior N(0, τ² I): N(τ²/(τ² + σ²) x, τ²σ²/(τ² + σ²) I),
    /// returned as (mean, variance per coordinate).
    pub fn gaussian_posterior(&self, prior_variance: f64, x: &[f64]) -> (Vec<f64>, f64) {
        let w = prior_variance / (prior_variance + self.variance);
        (x.iter().map(|v| w * v).collect(), w * self.variance)
    }
}

impl Simulator for GaussianLinear {
    fn theta_dim(&self) -> usize {
        self.dim
    }
    fn data_dim(&self) -> usize {
        self.dim
    }
    fn simulate(&self, theta: &[f64], rng: &mut dyn rand::Rng, x: &mut [f64]) {
        flowpost::rng::fill_standard_normal(rng, x);
        let sd = self.variance.sqrt();
        for (xi, t) in x.iter_mut().zip(theta) {
            *xi = t + sd * *xi;
        }
    }
}
