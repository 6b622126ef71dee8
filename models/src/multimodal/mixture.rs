//! Mixtures of isotropic Gaussian or Student-t components, well separated, with unequal
//! weights: `mixture2`, `mixture4`, `mixture2_t` at any dimension (default 2).

use flowpost::{DensityError, LogDensity};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use statrs::function::gamma::ln_gamma;

use super::Modes;
use crate::math::{check_len, indexed};
use crate::{BuiltinModel, ModelError};

/// The most components a mixture has.
const MAX_COMPONENTS: usize = 4;

/// The components' family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Component {
    /// N(μ_k, s_k² I).
    Gaussian,
    /// The multivariate t_ν(μ_k, s_k² I): heavy tails between the modes.
    StudentT {
        /// Degrees of freedom.
        nu: f64,
    },
}

/// `Σ_k w_k f_k(x)` times `(2π)^{d/2}` (so that log Z = (d/2) ln 2π, not 0: a sampler's
/// evidence estimate that silently assumed a normalized target would be caught), with
/// components `f_k` centred at `μ_k = a_k u + b_k v` for the unit vectors u = (1, …, 1)/√d and
/// v ∝ (1, −1, 1, −1, …) (its last entry 0 when d is odd), so that every coordinate's marginal
/// is multimodal. Parameters `x[1]`…`x[d]`, unconstrained.
///
/// - `mixture2`: Gaussian, weights 0.2/0.8, centres a = ∓4 on u, sds 1: 8 sds apart.
/// - `mixture4`: Gaussian, weights 0.4/0.1/0.3/0.2 at the corners (±4, ±4) of a square in the
///   (u, v) plane, sds 1, 0.8, 1.2, 1: neighbours 8 apart, 6.7–10 sds.
/// - `mixture2_t`: Student-t (ν = 5), weights 0.3/0.7, centres ∓5 on u, scales 1: 10 scales apart.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::Mixture::two(2).unwrap();
/// assert!(flowpost::check_gradient(&m, &[0.3, -1.0], 1e-5).unwrap().max_rel_error < 1e-6);
/// assert!((m.modes().weights[1] - 0.8).abs() < 1e-4); // the tails past the midpoint: ~2e-5
/// ```
#[derive(Debug, Clone)]
pub struct Mixture {
    name: &'static str,
    dim: usize,
    component: Component,
    weights: Vec<f64>,
    plane: Vec<(f64, f64)>,
    scales: Vec<f64>,
    centres: Vec<Vec<f64>>,
    /// log w_k + the log normalizing constant of f_k.
    log_norm: Vec<f64>,
}

impl Mixture {
    /// The default dimension.
    pub const DEFAULT_DIM: usize = 2;
    /// The largest dimension accepted.
    pub const MAX_DIM: usize = 10_000;

    /// `mixture2` in `dim` dimensions.
    pub fn two(dim: usize) -> Result<Self, ModelError> {
        let plane = vec![(-4.0, 0.0), (4.0, 0.0)];
        Self::new(
            "mixture2",
            dim,
            Component::Gaussian,
            vec![0.2, 0.8],
            plane,
            vec![1.0, 1.0],
        )
    }

    /// `mixture4` in `dim` dimensions.
    pub fn four(dim: usize) -> Result<Self, ModelError> {
        let plane = vec![(-4.0, -4.0), (-4.0, 4.0), (4.0, -4.0), (4.0, 4.0)];
        Self::new(
            "mixture4",
            dim,
            Component::Gaussian,
            vec![0.4, 0.1, 0.3, 0.2],
            plane,
            vec![1.0, 0.8, 1.2, 1.0],
        )
    }

    /// `mixture2_t` in `dim` dimensions.
    pub fn two_t(dim: usize) -> Result<Self, ModelError> {
        let plane = vec![(-5.0, 0.0), (5.0, 0.0)];
        let t = Component::StudentT { nu: 5.0 };
        Self::new("mixture2_t", dim, t, vec![0.3, 0.7], plane, vec![1.0, 1.0])
    }

    fn new(
        name: &'static str,
        dim: usize,
        component: Component,
        weights: Vec<f64>,
        plane: Vec<(f64, f64)>,
        scales: Vec<f64>,
    ) -> Result<Self, ModelError> {
        if !(2..=Self::MAX_DIM).contains(&dim) {
            return Err(ModelError::InvalidDim {
                model: name.into(),
                dim,
                reason: format!("a mixture needs 2 ≤ dim ≤ {}", Self::MAX_DIM),
            });
        }
        let (u, v) = plane_basis(dim);
        let centres = plane
            .iter()
            .map(|&(a, b)| (0..dim).map(|j| a * u[j] + b * v[j]).collect())
            .collect();
        let d = dim as f64;
        let log_norm = weights
            .iter()
            .zip(&scales)
            .map(|(w, s)| {
                w.ln()
                    + match component {
                        Component::Gaussian => -0.5 * d * (2.0 * std::f64::consts::PI).ln(),
                        Component::StudentT { nu } => {
                            ln_gamma((nu + d) / 2.0)
                                - ln_gamma(nu / 2.0)
                                - 0.5 * d * (nu * std::f64::consts::PI).ln()
                        }
                    }
                    - d * s.ln()
            })
            .collect();
        Ok(Mixture {
            name,
            dim,
            component,
            weights,
            plane,
            scales,
            centres,
            log_norm,
        })
    }

    /// The model's name in the registry.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A component's variance per unit scale² (1, or ν/(ν − 2)).
    fn unit_variance(&self) -> f64 {
        match self.component {
            Component::Gaussian => 1.0,
            Component::StudentT { nu } => nu / (nu - 2.0),
        }
    }

    /// Exact means of x[1]…x[d].
    pub fn means(&self) -> Vec<f64> {
        (0..self.dim)
            .map(|j| {
                self.weights
                    .iter()
                    .zip(&self.centres)
                    .map(|(w, c)| w * c[j])
                    .sum()
            })
            .collect()
    }

    /// Exact sds of x[1]…x[d].
    pub fn sds(&self) -> Vec<f64> {
        let means = self.means();
        let uv = self.unit_variance();
        (0..self.dim)
            .map(|j| {
                let second: f64 = (0..self.weights.len())
                    .map(|k| {
                        self.weights[k] * (self.scales[k].powi(2) * uv + self.centres[k][j].powi(2))
                    })
                    .sum();
                (second - means[j].powi(2)).sqrt()
            })
            .collect()
    }

    /// Exact log Z of the density as written: (d/2) ln 2π.
    pub fn log_evidence(&self) -> f64 {
        0.5 * self.dim as f64 * (2.0 * std::f64::consts::PI).ln()
    }

    /// The modes: the component centres, and the exact probability of each one's nearest-centre
    /// cell. The centres lie in the (u, v) plane, so a cell is a set of points whose projection
    /// on the plane is nearest to the centre; a component's projection is N(a, s²) (or t_ν(a, s))
    /// along u and v independently for a Gaussian. On a line (all b = 0) the cells are slabs
    /// between midpoints; on the square (Gaussians) they are the quadrants.
    pub fn modes(&self) -> Modes {
        let k = self.weights.len();
        let on_line = self.plane.iter().all(|&(_, b)| b == 0.0);
        let weights = (0..k)
            .map(|cell| {
                (0..k)
                    .map(|j| self.weights[j] * self.cell_probability(cell, j, on_line))
                    .sum()
            })
            .collect();
        Modes {
            centres: self.centres.clone(),
            weights,
        }
    }

    /// P(component j's draw lies in `cell`).
    fn cell_probability(&self, cell: usize, j: usize, on_line: bool) -> f64 {
        let (a, b) = self.plane[j];
        let s = self.scales[j];
        let cdf = |loc: f64, x: f64| match self.component {
            Component::Gaussian => Normal::new(loc, s).expect("valid").cdf(x),
            Component::StudentT { nu } => StudentsT::new(loc, s, nu).expect("valid").cdf(x),
        };
        if on_line {
            let mut locs: Vec<f64> = self.plane.iter().map(|p| p.0).collect();
            let a_cell = locs[cell];
            locs.sort_by(f64::total_cmp);
            let i = locs.iter().position(|&x| x == a_cell).expect("present");
            let lo = if i == 0 {
                f64::NEG_INFINITY
            } else {
                0.5 * (locs[i - 1] + locs[i])
            };
            let hi = if i + 1 == locs.len() {
                f64::INFINITY
            } else {
                0.5 * (locs[i] + locs[i + 1])
            };
            return cdf(a, hi) - cdf(a, lo);
        }
        assert!(
            self.component == Component::Gaussian,
            "quadrant cells: Gaussians only"
        );
        let (ca, cb) = self.plane[cell];
        let side = |loc: f64, positive: bool| {
            let below = cdf(loc, 0.0);
            if positive { 1.0 - below } else { below }
        };
        side(a, ca > 0.0) * side(b, cb > 0.0)
    }
}

/// u = (1, …, 1)/√d and v ∝ (1, −1, 1, −1, …, [0]), orthonormal.
fn plane_basis(d: usize) -> (Vec<f64>, Vec<f64>) {
    let u = vec![1.0 / (d as f64).sqrt(); d];
    let even = d - d % 2;
    let mut v = vec![0.0; d];
    for (j, x) in v.iter_mut().enumerate().take(even) {
        *x = if j % 2 == 0 { 1.0 } else { -1.0 } / (even as f64).sqrt();
    }
    (u, v)
}

impl LogDensity for Mixture {
    fn dim(&self) -> usize {
        self.dim
    }

    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len(self.name, "theta", theta.len(), self.dim);
        check_len(self.name, "grad", grad.len(), self.dim);
        let k = self.weights.len();
        let d = self.dim as f64;
        let mut log_terms = [0.0; MAX_COMPONENTS];
        let mut slopes = [0.0; MAX_COMPONENTS];
        for i in 0..k {
            let r2: f64 = theta
                .iter()
                .zip(&self.centres[i])
                .map(|(x, m)| (x - m).powi(2))
                .sum();
            let s2 = self.scales[i].powi(2);
            let (kernel, slope) = match self.component {
                Component::Gaussian => (-0.5 * r2 / s2, 1.0 / s2),
                Component::StudentT { nu } => (
                    -0.5 * (nu + d) * (r2 / (nu * s2)).ln_1p(),
                    (nu + d) / (nu * s2 + r2),
                ),
            };
            log_terms[i] = self.log_norm[i] + kernel;
            slopes[i] = slope;
        }
        let hi = log_terms[..k]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if !hi.is_finite() {
            return Err(DensityError::recoverable(format!(
                "{}: every component underflows",
                self.name
            )));
        }
        let total: f64 = log_terms[..k].iter().map(|l| (l - hi).exp()).sum();
        let lse = hi + total.ln();
        grad.fill(0.0);
        for i in 0..k {
            let r = (log_terms[i] - lse).exp() * slopes[i];
            for (g, (x, m)) in grad.iter_mut().zip(theta.iter().zip(&self.centres[i])) {
                *g -= r * (x - m);
            }
        }
        Ok(lse + self.log_evidence())
    }

    fn param_names(&self) -> Vec<String> {
        indexed("x", self.dim).collect()
    }
}

impl BuiltinModel for Mixture {
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64> {
        check_len(self.name, "constrained", constrained.len(), self.dim);
        constrained.to_vec()
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}
