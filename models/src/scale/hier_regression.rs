//! A centered hierarchical linear regression with many groups: the scale target of issue 17
//! (one parameter per group, partial pooling, a funnel between the groups' spread and their
//! effects where groups have few observations), with an exact posterior.
//!
//! The observation noise is known (σ_y = 1, as eight schools' σ are), so for a fixed
//! `log tau` the model is linear-Gaussian in (μ, β, α): the posterior of `log tau` is known in
//! closed form up to a constant and every moment is a one-dimensional integral, computed by
//! [`HierRegression::exact_moments`] on a fine grid. No reference run is needed at any size.

use flowpost::{DensityError, LogDensity};

use crate::math::{check_len, indexed};
use crate::{BuiltinModel, ModelError};

const NAME: &str = "hier_regression";

/// Prior sd of μ.
const MU_SD: f64 = 5.0;
/// Prior sd of β.
const BETA_SD: f64 = 2.0;
/// Scale of τ's half-normal prior.
const TAU_SCALE: f64 = 1.0;

/// Observations per group, cycled: most groups have few, so their effects are weakly
/// identified and the centered parameterisation has a funnel.
const GROUP_SIZES: [usize; 5] = [1, 2, 3, 5, 8];

/// One group's sufficient statistics: n, Σx, Σx², Σy, Σxy, Σy².
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct GroupStats {
    n: f64,
    sx: f64,
    sxx: f64,
    sy: f64,
    sxy: f64,
    syy: f64,
}

/// `mu ~ normal(0, 5)`, `beta ~ normal(0, 2)`, `tau ~ normal⁺(0, 1)`,
/// `alpha[j] ~ normal(mu, tau)` for `j = 1…J`, `y[i] ~ normal(alpha[g[i]] + beta x[i], 1)`.
/// Unconstrained: `mu`, `beta`, `log tau`, `alpha[1..J]` (dimension `J + 3`); reported `mu`,
/// `beta`, `tau`, `alpha[j]`.
///
/// The data are simulated from `mu = 1`, `beta = 0.5`, `tau = 0.5` with a fixed seed, group
/// by group, so the data of `J` groups are the first `J` groups of any larger instance. Group
/// `j` (0-based) has `[1, 2, 3, 5, 8][j mod 5]` observations.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::HierRegression::new(13).unwrap();
/// assert_eq!(m.dim(), 13);
/// assert_eq!(m.param_names()[3], "alpha[1]");
/// assert!(flowpost::check_gradient(&m, &[0.3; 13], 1e-5).unwrap().max_rel_error < 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct HierRegression {
    /// Group of each observation (0-based), observations grouped in order.
    group_start: Vec<usize>,
    x: Vec<f64>,
    y: Vec<f64>,
    stats: Vec<GroupStats>,
}

/// Exact posterior means and sds of [`HierRegression`]'s reported parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactMoments {
    /// Means, in `param_names` order.
    pub mean: Vec<f64>,
    /// Standard deviations, in `param_names` order.
    pub sd: Vec<f64>,
}

impl HierRegression {
    /// The default number of groups (dimension 1003).
    pub const DEFAULT_GROUPS: usize = 1000;
    /// The largest dimension accepted.
    pub const MAX_DIM: usize = 200_003;
    /// The seed of the simulated data.
    pub const DATA_SEED: u64 = 17;

    /// The instance of dimension `dim` (`dim − 3` groups, `4 ≤ dim ≤ MAX_DIM`).
    pub fn new(dim: usize) -> Result<Self, ModelError> {
        if !(4..=Self::MAX_DIM).contains(&dim) {
            return Err(ModelError::InvalidDim {
                model: NAME.into(),
                dim,
                reason: format!(
                    "the dimension is 3 + the number of groups: at least 4, at most {}",
                    Self::MAX_DIM
                ),
            });
        }
        let num_groups = dim - 3;
        let mut rng = flowpost::rng::seeded(Self::DATA_SEED, 1);
        let (mu, beta, tau) = (1.0, 0.5, 0.5);
        let mut group_start = Vec::with_capacity(num_groups + 1);
        let (mut x, mut y) = (Vec::new(), Vec::new());
        let mut noise = [0.0; 1 + 2 * 8];
        for j in 0..num_groups {
            group_start.push(x.len());
            let n = GROUP_SIZES[j % GROUP_SIZES.len()];
            let draws = &mut noise[..1 + 2 * n];
            flowpost::rng::fill_standard_normal(&mut rng, draws);
            let alpha = mu + tau * draws[0];
            for i in 0..n {
                let xi = draws[1 + 2 * i];
                x.push(xi);
                y.push(alpha + beta * xi + draws[2 + 2 * i]);
            }
        }
        group_start.push(x.len());
        let stats = (0..num_groups)
            .map(|j| {
                let r = group_start[j]..group_start[j + 1];
                let mut s = GroupStats {
                    n: r.len() as f64,
                    ..Default::default()
                };
                for i in r {
                    s.sx += x[i];
                    s.sxx += x[i] * x[i];
                    s.sy += y[i];
                    s.sxy += x[i] * y[i];
                    s.syy += y[i] * y[i];
                }
                s
            })
            .collect();
        Ok(HierRegression {
            group_start,
            x,
            y,
            stats,
        })
    }

    /// The number of groups J.
    pub fn num_groups(&self) -> usize {
        self.stats.len()
    }

    /// The number of observations.
    pub fn num_observations(&self) -> usize {
        self.y.len()
    }

    /// log p(log τ = u | y) up to a constant (μ, β and α integrated out), with the
    /// conditional posterior of (μ, β): mean and covariance `[c00, c01, c11]`.
    fn log_marginal(&self, u: f64) -> (f64, [f64; 2], [f64; 3]) {
        let tau2 = (2.0 * u).exp();
        // P = prior precision + Σ_j A_jᵀ Σ_j⁻¹ A_j, b = Σ_j A_jᵀ Σ_j⁻¹ y_j, with
        // Σ_j = I + τ² 11ᵀ, Σ_j⁻¹ = I − s 11ᵀ, s = τ²/(1 + n τ²), A_j = [1, x_j].
        let mut p = [1.0 / (MU_SD * MU_SD), 0.0, 1.0 / (BETA_SD * BETA_SD)];
        let mut b = [0.0; 2];
        let mut lp = 0.0;
        for g in &self.stats {
            let s = tau2 / (1.0 + g.n * tau2);
            p[0] += g.n - s * g.n * g.n;
            p[1] += g.sx - s * g.n * g.sx;
            p[2] += g.sxx - s * g.sx * g.sx;
            b[0] += g.sy - s * g.n * g.sy;
            b[1] += g.sxy - s * g.sx * g.sy;
            lp += -0.5 * (g.n * tau2).ln_1p() - 0.5 * (g.syy - s * g.sy * g.sy);
        }
        let det = p[0] * p[2] - p[1] * p[1];
        let cov = [p[2] / det, -p[1] / det, p[0] / det];
        let mean = [cov[0] * b[0] + cov[1] * b[1], cov[1] * b[0] + cov[2] * b[1]];
        lp += -0.5 * det.ln() + 0.5 * (b[0] * mean[0] + b[1] * mean[1]);
        // Half-normal prior on τ and the Jacobian of τ = e^u.
        lp += -0.5 * tau2 / (TAU_SCALE * TAU_SCALE) + u;
        (lp, mean, cov)
    }

    /// The exact posterior means and sds of `mu`, `beta`, `tau` and every `alpha[j]`, by
    /// integrating over `log tau` on a grid of step 0.002 over the region holding all but
    /// ~10⁻¹² of its mass (trapezoid rule; relative error far below any test's MCSE).
    pub fn exact_moments(&self) -> ExactMoments {
        let grid: Vec<f64> = (0..=15_000).map(|k| -24.0 + 0.002 * k as f64).collect();
        let marginals: Vec<_> = grid.iter().map(|&u| self.log_marginal(u)).collect();
        let top = marginals
            .iter()
            .map(|m| m.0)
            .fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = marginals.iter().map(|m| (m.0 - top).exp()).collect();
        let keep: Vec<usize> = (0..grid.len()).filter(|&k| w[k] > 1e-16).collect();
        let total: f64 = keep.iter().map(|&k| w[k]).sum();
        let j = self.num_groups();
        let mut m1 = vec![0.0; j + 3];
        let mut m2 = vec![0.0; j + 3];
        for &k in &keep {
            let wk = w[k] / total;
            let u = grid[k];
            let tau2 = (2.0 * u).exp();
            let (_, mean, cov) = marginals[k];
            let tau = u.exp();
            let head = [
                (mean[0], cov[0]),
                (mean[1], cov[2]),
                (tau, 0.0), // τ is fixed at this grid point
            ];
            for (i, (m, v)) in head.into_iter().enumerate() {
                m1[i] += wk * m;
                m2[i] += wk * (v + m * m);
            }
            for (g, st) in self.stats.iter().enumerate() {
                // α_j | μ, β, τ, y ~ N((μ/τ² + Σy − β Σx)/prec, 1/prec), prec = 1/τ² + n.
                let prec = 1.0 / tau2 + st.n;
                let c1 = 1.0 / (tau2 * prec);
                let c2 = st.sx / prec;
                let m = c1 * mean[0] + (st.sy - st.sx * mean[1]) / prec;
                let v = 1.0 / prec + c1 * c1 * cov[0] + c2 * c2 * cov[2] - 2.0 * c1 * c2 * cov[1];
                m1[3 + g] += wk * m;
                m2[3 + g] += wk * (v + m * m);
            }
        }
        let sd = m1
            .iter()
            .zip(&m2)
            .map(|(a, b)| (b - a * a).max(0.0).sqrt())
            .collect();
        ExactMoments { mean: m1, sd }
    }

    /// The exact posterior mean of each group's effect given `log tau = u` (μ and β integrated
    /// out).
    #[cfg(test)]
    fn conditional_alpha_means(&self, u: f64) -> Vec<f64> {
        let tau2 = (2.0 * u).exp();
        let (_, mean, _) = self.log_marginal(u);
        self.stats
            .iter()
            .map(|st| {
                let prec = 1.0 / tau2 + st.n;
                (mean[0] / tau2 + st.sy - st.sx * mean[1]) / prec
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "hier_regression_tests.rs"]
mod tests;

impl LogDensity for HierRegression {
    fn dim(&self) -> usize {
        self.num_groups() + 3
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let d = self.dim();
        check_len(NAME, "theta", theta.len(), d);
        check_len(NAME, "grad", grad.len(), d);
        let (mu, beta, u) = (theta[0], theta[1], theta[2]);
        let tau = u.exp();
        let inv_tau2 = (-2.0 * u).exp();
        let mut lp = -0.5 * mu * mu / (MU_SD * MU_SD)
            - 0.5 * beta * beta / (BETA_SD * BETA_SD)
            - 0.5 * tau * tau / (TAU_SCALE * TAU_SCALE)
            + u;
        let mut d_mu = -mu / (MU_SD * MU_SD);
        let mut d_beta = -beta / (BETA_SD * BETA_SD);
        let mut ss = 0.0;
        let mut rss = 0.0;
        for (j, (alpha, g)) in theta[3..].iter().zip(grad[3..].iter_mut()).enumerate() {
            let dev = alpha - mu;
            ss += dev * dev;
            d_mu += dev * inv_tau2;
            let mut d_alpha = -dev * inv_tau2;
            for i in self.group_start[j]..self.group_start[j + 1] {
                let r = self.y[i] - alpha - beta * self.x[i];
                rss += r * r;
                d_alpha += r;
                d_beta += r * self.x[i];
            }
            *g = d_alpha;
        }
        let num_groups = self.num_groups() as f64;
        lp += -num_groups * u - 0.5 * ss * inv_tau2 - 0.5 * rss;
        grad[0] = d_mu;
        grad[1] = d_beta;
        grad[2] = -tau * tau / (TAU_SCALE * TAU_SCALE) + 1.0 - num_groups + ss * inv_tau2;
        if !lp.is_finite() {
            return Err(DensityError::recoverable(format!(
                "{NAME}: log density not finite at log tau = {u}"
            )));
        }
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        ["mu".to_string(), "beta".to_string(), "tau".to_string()]
            .into_iter()
            .chain(indexed("alpha", self.num_groups()))
            .collect()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        out.copy_from_slice(theta);
        out[2] = theta[2].exp();
    }
}

impl BuiltinModel for HierRegression {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        check_len(NAME, "constrained", c.len(), self.dim());
        let mut u = c.to_vec();
        u[2] = c[2].ln();
        u
    }

    fn log_jacobian(&self, theta: &[f64]) -> f64 {
        theta[2]
    }
}
