//! `sign_flip`: y_i ~ N(θ² + β x_i, σ): the data say θ² ≈ 2.25, not θ's sign, and the prior
//! θ ~ N(0.3, 1) tilts the two modes to unequal weights.

use std::sync::OnceLock;

use flowpost::{DensityError, LogDensity};

use super::Modes;
use crate::BuiltinModel;
use crate::math::check_len;

/// θ ~ N(0.3, 1), β ~ N(0, 1), y_i ~ N(θ² + β x_i, 1) for the five points of [`SignFlip::X`],
/// [`SignFlip::Y`]. Parameters `theta`, `beta`, unconstrained. Two modes, θ ≈ ±1.5 (local sd
/// ≈ 0.15, 20 sds apart), weights ≈ 0.71/0.29. Because Σ x_i = 0, the posterior factorizes:
/// β ~ N(B/A, 1/A) exactly (A = 1 + Σ x², B = Σ x y), and θ's marginal is one-dimensional, so
/// its moments, the mode weights and log Z are exact to quadrature precision (~1e-12).
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::SignFlip;
/// assert!(flowpost::check_gradient(&m, &[1.4, 0.2], 1e-5).unwrap().max_rel_error < 1e-7);
/// let w = m.modes().weights;
/// assert!(w[1] > 0.6 && w[1] < 0.8);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SignFlip;

/// The exact answers, by quadrature of θ's marginal.
#[derive(Debug, Clone, Copy)]
struct Exact {
    theta_mean: f64,
    theta_sd: f64,
    p_negative: f64,
    log_z_theta: f64,
}

impl SignFlip {
    /// Covariate (sums to 0).
    pub const X: [f64; 5] = [-2.0, -1.0, 0.0, 1.0, 2.0];
    /// Observations (mean 2.25).
    pub const Y: [f64; 5] = [1.3, 1.9, 2.4, 2.6, 3.05];
    /// Noise sd.
    pub const SIGMA: f64 = 1.0;
    /// Prior mean of θ.
    pub const PRIOR_MEAN: f64 = 0.3;

    fn a_b() -> (f64, f64) {
        let s2 = Self::SIGMA * Self::SIGMA;
        let a = 1.0 + Self::X.iter().map(|x| x * x).sum::<f64>() / s2;
        let b = Self::X
            .iter()
            .zip(&Self::Y)
            .map(|(x, y)| x * y)
            .sum::<f64>()
            / s2;
        (a, b)
    }

    /// θ's unnormalized marginal log density (β integrated out, up to a constant).
    fn theta_marginal(theta: f64) -> f64 {
        let t2 = theta * theta;
        let s: f64 = Self::Y.iter().map(|y| (y - t2).powi(2)).sum();
        -0.5 * (theta - Self::PRIOR_MEAN).powi(2) - s / (2.0 * Self::SIGMA * Self::SIGMA)
    }

    fn exact() -> Exact {
        static EXACT: OnceLock<Exact> = OnceLock::new();
        *EXACT.get_or_init(|| {
            // Simpson on [−5, 5]: the marginal falls like exp(−θ⁴ · 5/2), below e^{−1000} there.
            let (lo, hi, n) = (-5.0, 5.0, 200_000usize);
            let h = (hi - lo) / n as f64;
            let peak = Self::theta_marginal(2.25f64.sqrt());
            let (mut z, mut m1, mut m2, mut neg) = (0.0, 0.0, 0.0, 0.0);
            for i in 0..=n {
                let t = lo + i as f64 * h;
                let w = if i == 0 || i == n {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                let f = w * (Self::theta_marginal(t) - peak).exp();
                z += f;
                m1 += f * t;
                m2 += f * t * t;
                if i * 2 < n {
                    neg += f;
                } else if i * 2 == n {
                    neg += 0.5 * f;
                }
            }
            let mean = m1 / z;
            Exact {
                theta_mean: mean,
                theta_sd: (m2 / z - mean * mean).sqrt(),
                p_negative: neg / z,
                log_z_theta: peak + (z * h / 3.0).ln(),
            }
        })
    }

    /// Exact means of (theta, beta).
    pub fn means(&self) -> [f64; 2] {
        let (a, b) = Self::a_b();
        [Self::exact().theta_mean, b / a]
    }

    /// Exact sds of (theta, beta).
    pub fn sds(&self) -> [f64; 2] {
        let (a, _) = Self::a_b();
        [Self::exact().theta_sd, 1.0 / a.sqrt()]
    }

    /// Exact log Z of the density as written.
    pub fn log_evidence(&self) -> f64 {
        let (a, b) = Self::a_b();
        Self::exact().log_z_theta + 0.5 * (2.0 * std::f64::consts::PI / a).ln() + b * b / (2.0 * a)
    }

    /// The modes θ ≈ −1.5 and θ ≈ +1.5 (β at its mean); the cells are θ < 0 and θ > 0.
    pub fn modes(&self) -> Modes {
        let (a, b) = Self::a_b();
        let p = Self::exact().p_negative;
        Modes {
            centres: vec![vec![-1.5, b / a], vec![1.5, b / a]],
            weights: vec![p, 1.0 - p],
        }
    }
}

impl LogDensity for SignFlip {
    fn dim(&self) -> usize {
        2
    }

    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len("sign_flip", "theta", theta.len(), 2);
        check_len("sign_flip", "grad", grad.len(), 2);
        let (t, beta) = (theta[0], theta[1]);
        let s2 = Self::SIGMA * Self::SIGMA;
        let mut lp = -0.5 * (t - Self::PRIOR_MEAN).powi(2) - 0.5 * beta * beta;
        grad[0] = -(t - Self::PRIOR_MEAN);
        grad[1] = -beta;
        for (x, y) in Self::X.iter().zip(&Self::Y) {
            let r = y - t * t - beta * x;
            lp -= r * r / (2.0 * s2);
            grad[0] += r * 2.0 * t / s2;
            grad[1] += r * x / s2;
        }
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        vec!["theta".into(), "beta".into()]
    }
}

impl BuiltinModel for SignFlip {
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64> {
        check_len("sign_flip", "constrained", constrained.len(), 2);
        constrained.to_vec()
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}
