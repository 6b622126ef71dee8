//! A mixture of Gaussians with exact log density: the independent proposal q of the mode
//! jumps, one component per mode found.

use crate::rng::fill_standard_normal;
use nalgebra::{DMatrix, DVector};

/// N(loc, L Lᵀ), L lower triangular.
#[derive(Debug, Clone)]
pub struct Gaussian {
    /// Mean.
    pub loc: Vec<f64>,
    /// Lower Cholesky factor of the covariance.
    pub chol: DMatrix<f64>,
    /// log |det L|.
    log_det: f64,
}

impl Gaussian {
    /// N(loc, L Lᵀ); `None` unless L has a positive, finite diagonal.
    pub fn new(loc: Vec<f64>, chol: DMatrix<f64>) -> Option<Self> {
        let diag = chol.diagonal();
        if !diag.iter().all(|v| *v > 0.0 && v.is_finite()) || !loc.iter().all(|v| v.is_finite()) {
            return None;
        }
        let log_det = diag.iter().map(|v| v.ln()).sum();
        Some(Gaussian { loc, chol, log_det })
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.loc.len()
    }

    /// L⁻¹(θ − loc): θ in this Gaussian's whitened coordinates.
    pub fn whiten(&self, theta: &[f64]) -> Vec<f64> {
        let r = DVector::from_iterator(self.dim(), theta.iter().zip(&self.loc).map(|(a, b)| a - b));
        self.chol.solve_lower_triangular(&r).map_or_else(
            || vec![f64::NAN; self.dim()],
            |v| v.iter().copied().collect(),
        )
    }

    /// log N(θ; loc, L Lᵀ).
    pub fn log_density(&self, theta: &[f64]) -> f64 {
        let z2: f64 = self.whiten(theta).iter().map(|v| v * v).sum();
        -0.5 * self.dim() as f64 * (2.0 * std::f64::consts::PI).ln() - self.log_det - 0.5 * z2
    }

    /// θ = loc + L z for a standard normal z.
    pub fn sample(&self, rng: &mut dyn rand::Rng, theta: &mut [f64]) {
        let mut z = vec![0.0; self.dim()];
        fill_standard_normal(rng, &mut z);
        let x = &self.chol * DVector::from_vec(z);
        for (t, (m, v)) in theta.iter_mut().zip(self.loc.iter().zip(x.iter())) {
            *t = m + v;
        }
    }

    /// The covariance's diagonal.
    pub fn variances(&self) -> Vec<f64> {
        (0..self.dim())
            .map(|i| (0..=i).map(|j| self.chol[(i, j)].powi(2)).sum())
            .collect()
    }
}

/// Σ_k w_k N_k.
#[derive(Debug, Clone)]
pub struct GaussianMixture {
    /// The components.
    pub components: Vec<Gaussian>,
    /// Their weights (sum to 1).
    pub weights: Vec<f64>,
}

impl GaussianMixture {
    /// log w_k + log N_k(θ) for every k.
    fn joint(&self, theta: &[f64]) -> Vec<f64> {
        self.components
            .iter()
            .zip(&self.weights)
            .map(|(c, w)| w.ln() + c.log_density(theta))
            .collect()
    }

    /// log q(θ) = log Σ_k w_k N_k(θ), exactly (log-sum-exp).
    pub fn log_density(&self, theta: &[f64]) -> f64 {
        let j = self.joint(theta);
        let hi = j.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !hi.is_finite() {
            return hi;
        }
        hi + j.iter().map(|v| (v - hi).exp()).sum::<f64>().ln()
    }

    /// The component most responsible for θ (its mode).
    pub fn classify(&self, theta: &[f64]) -> usize {
        let j = self.joint(theta);
        (0..j.len())
            .max_by(|&a, &b| j[a].total_cmp(&j[b]))
            .unwrap_or(0)
    }

    /// A draw θ ~ q.
    pub fn sample(&self, rng: &mut dyn rand::Rng, theta: &mut [f64]) {
        let u: f64 = rand::RngExt::random(rng);
        let mut acc = 0.0;
        let mut k = self.weights.len() - 1;
        for (i, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                k = i;
                break;
            }
        }
        self.components[k].sample(rng, theta);
    }
}
