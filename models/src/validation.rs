//! Targets with exact moments that no default was tuned on: they check that `auto`'s decision
//! (whitened NUTS or a flow) generalizes beyond the benchmark posteriors.
//!
//! - [`StudentT`]: a 10-d multivariate Student-t (ν = 5) with scales 1…10 — heavy tails, no
//!   curvature problem; whitened NUTS should sample it.
//! - [`LogGamma`]: six independent log-Gamma coordinates, shapes 0.3…20 — from strongly skewed
//!   (an exponential left tail) to nearly Gaussian.

use flowpost::{DensityError, LogDensity};

use crate::BuiltinModel;
use crate::math::check_len;

/// x ~ t_ν(0, diag(σ²)), ν = [`StudentT::NU`], σ_i = 10^{(i−1)/(d−1)}, d = 10. Marginal sd of
/// x_i: σ_i √(ν/(ν−2)).
///
/// ```
/// use flowpost::LogDensity;
/// let t = flowpost_models::StudentT;
/// let mut g = [0.0; 10];
/// assert_eq!(t.log_density(&[0.0; 10], &mut g).unwrap(), 0.0);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct StudentT;

impl StudentT {
    /// Degrees of freedom.
    pub const NU: f64 = 5.0;
    /// Dimension.
    pub const DIM: usize = 10;

    /// The scale σ_i of coordinate `i` (0-based).
    pub fn scale(i: usize) -> f64 {
        10f64.powf(i as f64 / (Self::DIM - 1) as f64)
    }

    /// The exact marginal sd of coordinate `i`.
    pub fn sd(i: usize) -> f64 {
        Self::scale(i) * (Self::NU / (Self::NU - 2.0)).sqrt()
    }
}

impl LogDensity for StudentT {
    fn dim(&self) -> usize {
        Self::DIM
    }

    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len("student_t", "theta", theta.len(), Self::DIM);
        check_len("student_t", "grad", grad.len(), Self::DIM);
        let q: f64 = (0..Self::DIM)
            .map(|i| (theta[i] / Self::scale(i)).powi(2))
            .sum();
        let c = (Self::NU + Self::DIM as f64) / 2.0;
        for i in 0..Self::DIM {
            let s2 = Self::scale(i).powi(2);
            grad[i] = -c * 2.0 * theta[i] / s2 / (Self::NU + q);
        }
        Ok(-c * (1.0 + q / Self::NU).ln())
    }

    fn param_names(&self) -> Vec<String> {
        (1..=Self::DIM).map(|i| format!("x[{i}]")).collect()
    }
}

impl BuiltinModel for StudentT {
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64> {
        check_len("student_t", "constrained", constrained.len(), Self::DIM);
        constrained.to_vec()
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}

/// y_i = log g_i with g_i ~ Gamma(k_i, 1), k = [`LogGamma::SHAPES`]: density ∝ exp(k y − eʸ),
/// mean ψ(k), variance ψ'(k).
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::LogGamma;
/// let mut g = [0.0; 6];
/// m.log_density(&[0.0; 6], &mut g).unwrap();
/// assert!((g[2] - 0.0).abs() < 1e-12); // k = 1: the gradient k − eʸ is 0 at y = 0
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LogGamma;

impl LogGamma {
    /// The shapes k_i.
    pub const SHAPES: [f64; 6] = [0.3, 0.5, 1.0, 2.0, 5.0, 20.0];
    /// ψ(k_i) (digamma), the exact means.
    pub const MEANS: [f64; 6] = [
        -3.502524222200132,
        -1.963510026021423,
        -0.5772156649015329,
        0.42278433509846713,
        1.5061176684318005,
        2.970523992242149,
    ];
    /// ψ'(k_i) (trigamma), the exact variances.
    pub const VARIANCES: [f64; 6] = [
        12.245364546107728,
        4.934802200544679,
        1.6449340668482264,
        0.6449340668482264,
        0.22132295573711497,
        0.051270822935202756,
    ];
}

impl LogDensity for LogGamma {
    fn dim(&self) -> usize {
        Self::SHAPES.len()
    }

    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let d = Self::SHAPES.len();
        check_len("log_gamma", "theta", theta.len(), d);
        check_len("log_gamma", "grad", grad.len(), d);
        let mut lp = 0.0;
        for i in 0..d {
            let e = theta[i].exp();
            if !e.is_finite() {
                return Err(DensityError::recoverable("exp(y) overflows"));
            }
            lp += Self::SHAPES[i] * theta[i] - e;
            grad[i] = Self::SHAPES[i] - e;
        }
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        (1..=Self::SHAPES.len())
            .map(|i| format!("y[{i}]"))
            .collect()
    }
}

impl BuiltinModel for LogGamma {
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64> {
        check_len(
            "log_gamma",
            "constrained",
            constrained.len(),
            Self::SHAPES.len(),
        );
        constrained.to_vec()
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}
