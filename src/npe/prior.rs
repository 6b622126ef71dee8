//! Priors p(θ) for simulation-based inference: draw, evaluate, and declare the support (the
//! estimator trains on unconstrained parameters and maps its draws back into it; see
//! [`Support`]).

use super::{NpeError, Support};
use nalgebra::{DMatrix, DVector};
use rand::RngExt;

/// A prior distribution on ℝ^d.
pub trait Prior: Send + Sync + std::fmt::Debug {
    /// Dimension d.
    fn dim(&self) -> usize;
    /// Writes one draw into `theta`.
    fn sample(&self, rng: &mut dyn rand::Rng, theta: &mut [f64]);
    /// log p(θ) (−∞ outside the support).
    fn log_density(&self, theta: &[f64]) -> f64;
    /// Whether θ lies in the support.
    fn in_support(&self, theta: &[f64]) -> bool;
    /// The support as a box, where it is one.
    fn bounds(&self) -> Option<Bounds> {
        None
    }
    /// Each parameter's support: the estimator trains on the unconstrained parameters and maps
    /// its draws back into it. By default the box of [`bounds`](Prior::bounds), else ℝ^d.
    fn support(&self) -> Support {
        match self.bounds() {
            Some(b) => Support::from_bounds(&b),
            None => Support::unbounded(self.dim()),
        }
    }
}

/// A box [lower, upper] (as read from `{"lower": [...], "upper": [...]}`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bounds {
    /// Lower bounds.
    pub lower: Vec<f64>,
    /// Upper bounds.
    pub upper: Vec<f64>,
}

impl Bounds {
    /// Checks equal lengths, finite values and lower < upper.
    pub fn validate(&self) -> Result<(), NpeError> {
        let bad = |reason: String| Err(NpeError::Prior { reason });
        if self.lower.len() != self.upper.len() || self.lower.is_empty() {
            return bad(format!(
                "bounds need one lower and one upper entry per parameter (got {} and {})",
                self.lower.len(),
                self.upper.len()
            ));
        }
        for (i, (l, u)) in self.lower.iter().zip(&self.upper).enumerate() {
            if !(l.is_finite() && u.is_finite() && l < u) {
                return bad(format!(
                    "bound {i}: need finite lower < upper, got [{l}, {u}]"
                ));
            }
        }
        Ok(())
    }

    /// Whether θ lies inside (bounds included).
    pub fn contains(&self, theta: &[f64]) -> bool {
        theta
            .iter()
            .zip(self.lower.iter().zip(&self.upper))
            .all(|(t, (l, u))| *t >= *l && *t <= *u)
    }
}

/// Independent uniforms on a box.
///
/// ```
/// use flowpost::npe::{BoxUniform, Prior};
/// let p = BoxUniform::new(vec![-1.0, 0.0], vec![1.0, 2.0]).unwrap();
/// assert!((p.log_density(&[0.0, 1.0]) + 4f64.ln()).abs() < 1e-15);
/// assert!(!p.in_support(&[0.0, 3.0]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BoxUniform {
    bounds: Bounds,
    log_density: f64,
}

impl BoxUniform {
    /// U([lower, upper]); errors on unequal lengths or empty intervals.
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Result<Self, NpeError> {
        let bounds = Bounds { lower, upper };
        bounds.validate()?;
        let log_density = -bounds
            .lower
            .iter()
            .zip(&bounds.upper)
            .map(|(l, u)| (u - l).ln())
            .sum::<f64>();
        Ok(BoxUniform {
            bounds,
            log_density,
        })
    }
}

impl Prior for BoxUniform {
    fn dim(&self) -> usize {
        self.bounds.lower.len()
    }
    fn sample(&self, rng: &mut dyn rand::Rng, theta: &mut [f64]) {
        for (i, t) in theta.iter_mut().enumerate() {
            let u: f64 = rng.random();
            *t = self.bounds.lower[i] + u * (self.bounds.upper[i] - self.bounds.lower[i]);
        }
    }
    fn log_density(&self, theta: &[f64]) -> f64 {
        if self.in_support(theta) {
            self.log_density
        } else {
            f64::NEG_INFINITY
        }
    }
    fn in_support(&self, theta: &[f64]) -> bool {
        self.bounds.contains(theta)
    }
    fn bounds(&self) -> Option<Bounds> {
        Some(self.bounds.clone())
    }
}

/// A multivariate normal N(μ, Σ).
///
/// ```
/// use flowpost::npe::{GaussianPrior, Prior};
/// let p = GaussianPrior::isotropic(2, 0.1).unwrap();
/// let expected = -(2.0 * std::f64::consts::PI * 0.1).ln();
/// assert!((p.log_density(&[0.0, 0.0]) - expected).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianPrior {
    mean: Vec<f64>,
    chol: DMatrix<f64>,
    log_norm: f64,
}

impl GaussianPrior {
    /// N(mean, cov) with `cov` row-major d × d, symmetric positive definite.
    pub fn new(mean: Vec<f64>, cov: &[f64]) -> Result<Self, NpeError> {
        let d = mean.len();
        if d == 0 || cov.len() != d * d {
            return Err(NpeError::Prior {
                reason: format!("covariance must be {d}×{d} for a mean of length {d}"),
            });
        }
        let m = DMatrix::from_row_slice(d, d, cov);
        let chol = m.cholesky().ok_or_else(|| NpeError::Prior {
            reason: "covariance is not positive definite".into(),
        })?;
        let l = chol.l();
        let log_det: f64 = 2.0 * (0..d).map(|i| l[(i, i)].ln()).sum::<f64>();
        let log_norm = -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + log_det);
        Ok(GaussianPrior {
            mean,
            chol: l,
            log_norm,
        })
    }

    /// N(0, variance · I_d).
    pub fn isotropic(d: usize, variance: f64) -> Result<Self, NpeError> {
        let mut cov = vec![0.0; d * d];
        (0..d).for_each(|i| cov[i * d + i] = variance);
        Self::new(vec![0.0; d], &cov)
    }
}

impl Prior for GaussianPrior {
    fn dim(&self) -> usize {
        self.mean.len()
    }
    fn sample(&self, rng: &mut dyn rand::Rng, theta: &mut [f64]) {
        let d = self.dim();
        let mut z = DVector::zeros(d);
        crate::rng::fill_standard_normal(rng, z.as_mut_slice());
        let v = &self.chol * z;
        for i in 0..d {
            theta[i] = self.mean[i] + v[i];
        }
    }
    fn log_density(&self, theta: &[f64]) -> f64 {
        let d = self.dim();
        let r = DVector::from_iterator(d, theta.iter().zip(&self.mean).map(|(t, m)| t - m));
        let u = self
            .chol
            .solve_lower_triangular(&r)
            .expect("Cholesky factor has a positive diagonal");
        self.log_norm - 0.5 * u.norm_squared()
    }
    fn in_support(&self, theta: &[f64]) -> bool {
        theta.iter().all(|t| t.is_finite())
    }
}
