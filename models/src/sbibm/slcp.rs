//! SLCP, "simple likelihood, complex posterior" (sbibm `slcp`): four i.i.d. 2-D Gaussian points
//! with mean (θ1, θ2), standard deviations θ3², θ4² and correlation tanh θ5.

use flowpost::npe::Simulator;

/// The SLCP simulator; x = (x_1, …, x_4) flattened point by point.
#[derive(Debug, Clone, Copy, Default)]
pub struct Slcp;

/// (m, Cholesky factor (l11, l21, l22), covariance (a, b, c)) at θ.
fn moments(theta: &[f64]) -> ([f64; 2], [f64; 3], [f64; 3]) {
    let s1 = theta[2] * theta[2];
    let s2 = theta[3] * theta[3];
    let rho = theta[4].tanh();
    let a = s1 * s1 + 1e-6;
    let b = rho * s1 * s2;
    let c = s2 * s2 + 1e-6;
    let l11 = a.sqrt();
    let l21 = b / l11;
    let l22 = (c - l21 * l21).max(0.0).sqrt();
    ([theta[0], theta[1]], [l11, l21, l22], [a, b, c])
}

impl Slcp {
    /// log p(x | θ) = Σ_j log N(x_j; m, Σ).
    pub fn log_likelihood(theta: &[f64], x: &[f64]) -> f64 {
        let (m, _, [a, b, c]) = moments(theta);
        let det = a * c - b * b;
        let mut lp = 0.0;
        for j in 0..4 {
            let (u, v) = (x[2 * j] - m[0], x[2 * j + 1] - m[1]);
            let q = (c * u * u - 2.0 * b * u * v + a * v * v) / det;
            lp += -0.5 * q - 0.5 * det.ln() - (2.0 * std::f64::consts::PI).ln();
        }
        lp
    }

    /// The mean (2) and covariance (a, b, c) of each point at θ.
    pub fn point_moments(theta: &[f64]) -> ([f64; 2], [f64; 3]) {
        let (m, _, cov) = moments(theta);
        (m, cov)
    }
}

impl Simulator for Slcp {
    fn theta_dim(&self) -> usize {
        5
    }
    fn data_dim(&self) -> usize {
        8
    }
    fn simulate(&self, theta: &[f64], rng: &mut dyn rand::Rng, x: &mut [f64]) {
        let (m, [l11, l21, l22], _) = moments(theta);
        let mut e = [0.0; 8];
        flowpost::rng::fill_standard_normal(rng, &mut e);
        for j in 0..4 {
            let (e1, e2) = (e[2 * j], e[2 * j + 1]);
            x[2 * j] = m[0] + l11 * e1;
            x[2 * j + 1] = m[1] + l21 * e1 + l22 * e2;
        }
    }
}
