//! A marginal prior on its unconstrained axis: log p(θ(u)) + log |dθ/du| and its derivative
//! in u, where θ = T(u) is [`Support::constrain`](super::Support::constrain)'s map for the
//! family's support (identity on ℝ, θ = e^u on (0, ∞), θ = a + (b − a) σ(u) on (a, b)).
//! Written per family in u directly, so that neither value nor derivative goes through a θ
//! rounded onto a bound (e^u underflowing to 0, σ(u) saturating at 1):
//!
//! | family | support | log p(θ(u)) + log |dθ/du| (up to its constant) | derivative |
//! |---|---|---|---|
//! | normal(m, s) | ℝ | −(u − m)²/(2s²) | −(u − m)/s² |
//! | log_normal(μ, σ) | (0, ∞) | −(u − μ)²/(2σ²) | −(u − μ)/σ² |
//! | gamma(k, r) | (0, ∞) | k u − r e^u | k − r e^u |
//! | half_normal(s) | (0, ∞) | −e^(2u)/(2s²) + u | 1 − e^(2u)/s² |
//! | beta(α, β) | (0, 1) | α ln σ(u) + β ln σ(−u) | α − (α + β) σ(u) |
//! | uniform(a, b) | (a, b) | ln σ(u) + ln σ(−u) | 1 − 2σ(u) |

use super::Marginal;
use crate::bijection::transformers::sigmoid;
use statrs::function::gamma::ln_gamma;

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// ln σ(u) = −softplus(−u), without overflow or cancellation.
fn log_sigmoid(u: f64) -> f64 {
    -((-u).max(0.0) + (-u.abs()).exp().ln_1p())
}

impl Marginal {
    /// (log p(θ) + log |dθ/du|, its derivative in u) at the unconstrained u, θ = T(u) with T
    /// the map of the family's [`support`](Marginal::support) (see the module table). The
    /// value equals [`log_density`](Marginal::log_density)`(θ)` plus the log-Jacobian
    /// wherever θ is representable; it is what a sampler on u needs.
    ///
    /// ```
    /// use flowpost::npe::Marginal;
    /// let m = Marginal::Gamma { shape: 2.0, rate: 1.0 };
    /// let (lp, d) = m.log_density_unconstrained(0.0);
    /// // θ = e^0 = 1: log p(1) = −1, log |dθ/du| = 0; derivative k − r e^u = 1.
    /// assert!((lp + 1.0).abs() < 1e-12 && (d - 1.0).abs() < 1e-12);
    /// ```
    pub fn log_density_unconstrained(&self, u: f64) -> (f64, f64) {
        match *self {
            Marginal::Normal { mean, sd } => {
                let r = (u - mean) / sd;
                (-0.5 * (r * r + LN_2PI) - sd.ln(), -r / sd)
            }
            Marginal::LogNormal { mu, sigma } => {
                let r = (u - mu) / sigma;
                (-0.5 * (r * r + LN_2PI) - sigma.ln(), -r / sigma)
            }
            Marginal::Gamma { shape, rate } => {
                let e = u.exp();
                let lp = shape * rate.ln() - ln_gamma(shape) + shape * u - rate * e;
                (lp, shape - rate * e)
            }
            Marginal::HalfNormal { sd } => {
                let r = u.exp() / sd;
                let lp = -0.5 * (r * r + LN_2PI) - sd.ln() + std::f64::consts::LN_2 + u;
                (lp, 1.0 - r * r)
            }
            Marginal::Beta { alpha, beta } => {
                let ln_b = ln_gamma(alpha) + ln_gamma(beta) - ln_gamma(alpha + beta);
                let lp = alpha * log_sigmoid(u) + beta * log_sigmoid(-u) - ln_b;
                (lp, alpha - (alpha + beta) * sigmoid(u))
            }
            Marginal::Uniform { .. } => {
                let lp = log_sigmoid(u) + log_sigmoid(-u);
                (lp, 1.0 - 2.0 * sigmoid(u))
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::Support;
    use super::*;

    /// Every family the prior spec knows, with a support of each kind.
    pub(crate) fn families() -> Vec<Marginal> {
        vec![
            Marginal::Normal { mean: 0.5, sd: 2.0 },
            Marginal::LogNormal {
                mu: -0.3,
                sigma: 0.7,
            },
            Marginal::Gamma {
                shape: 2.5,
                rate: 1.5,
            },
            Marginal::HalfNormal { sd: 1.3 },
            Marginal::Beta {
                alpha: 2.0,
                beta: 3.5,
            },
            Marginal::Uniform {
                lower: -1.0,
                upper: 3.0,
            },
        ]
    }

    #[test]
    fn value_is_the_density_plus_the_log_jacobian() {
        for m in families() {
            let (lo, hi) = m.support();
            let s = Support::new(vec![lo], vec![hi]).unwrap();
            for u in [-2.5, -0.7, 0.0, 0.4, 1.9] {
                let mut theta = [0.0];
                s.constrain(&[u], &mut theta);
                // unconstrain returns log |du/dθ| = −log |dθ/du|.
                let mut back = [0.0];
                let expected = m.log_density(theta[0]) - s.unconstrain(&theta, &mut back);
                let (lp, _) = m.log_density_unconstrained(u);
                assert!(
                    (lp - expected).abs() < 1e-10 * expected.abs().max(1.0),
                    "{m:?} at u = {u}: {lp} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn derivative_matches_central_differences() {
        let h = 1e-5;
        for m in families() {
            for u in [-2.5, -0.7, 0.0, 0.4, 1.9] {
                let (_, d) = m.log_density_unconstrained(u);
                let fd = (m.log_density_unconstrained(u + h).0
                    - m.log_density_unconstrained(u - h).0)
                    / (2.0 * h);
                let rel = (d - fd).abs() / d.abs().max(1.0);
                assert!(rel < 1e-7, "{m:?} at u = {u}: {d} vs {fd} ({rel:.1e})");
            }
        }
    }

    #[test]
    fn far_tails_stay_finite() {
        // Where θ itself would round onto a bound, value and derivative stay finite.
        let beta = Marginal::Beta {
            alpha: 2.0,
            beta: 2.0,
        };
        let (lp, d) = beta.log_density_unconstrained(800.0);
        assert!(
            lp.is_finite() && (d - (2.0 - 4.0)).abs() < 1e-12,
            "{lp} {d}"
        );
        let gamma = Marginal::Gamma {
            shape: 2.0,
            rate: 1.0,
        };
        let (lp, d) = gamma.log_density_unconstrained(-800.0);
        assert!(lp.is_finite() && (d - 2.0).abs() < 1e-12, "{lp} {d}");
    }
}
