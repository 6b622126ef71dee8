//! The two-moons simulator (sbibm `two_moons`): θ ∈ [−1, 1]², x ∈ ℝ², a bimodal crescent
//! posterior from the |·| in the first coordinate.

use flowpost::npe::Simulator;
use rand::RngExt;
use rand_distr::{Distribution, Normal};

/// x = (r cos a + 0.25 − |θ1 + θ2|/√2, r sin a + (−θ1 + θ2)/√2), a ~ U(−π/2, π/2),
/// r ~ N(0.1, 0.01²).
#[derive(Debug, Clone, Copy, Default)]
pub struct TwoMoons;

impl TwoMoons {
    /// log p(x | θ) = log N(r; 0.1, 0.01²) − log(π r) where u = x1 + |z0| − 0.25 > 0
    /// (−∞ otherwise), r = √(u² + v²), v = x2 − z1.
    pub fn log_likelihood(theta: &[f64], x: &[f64]) -> f64 {
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let z0 = s * (theta[0] + theta[1]);
        let z1 = s * (-theta[0] + theta[1]);
        let u = x[0] + z0.abs() - 0.25;
        let v = x[1] - z1;
        if u <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let r = (u * u + v * v).sqrt();
        let sd = 0.01;
        -0.5 * ((r - 0.1) / sd).powi(2)
            - (sd * (2.0 * std::f64::consts::PI).sqrt()).ln()
            - (std::f64::consts::PI * r).ln()
    }
}

impl Simulator for TwoMoons {
    fn theta_dim(&self) -> usize {
        2
    }
    fn data_dim(&self) -> usize {
        2
    }
    fn simulate(&self, theta: &[f64], rng: &mut dyn rand::Rng, x: &mut [f64]) {
        let half_pi = std::f64::consts::FRAC_PI_2;
        let a: f64 = -half_pi + std::f64::consts::PI * rng.random::<f64>();
        let r = Normal::new(0.1, 0.01).expect("valid normal").sample(rng);
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let z0 = s * (theta[0] + theta[1]);
        let z1 = s * (-theta[0] + theta[1]);
        x[0] = r * a.cos() + 0.25 - z0.abs();
        x[1] = r * a.sin() + z1;
    }
}
