//! A latent Gaussian process with Poisson counts on a 1-d grid of 500 inputs: the GP target of
//! issue 17 (one latent value per input; the data inform a few smooth directions of the 500,
//! the prior the rest).
//!
//! Non-centered, with the kernel's hyperparameters fixed, so the Cholesky factor is computed
//! once at load and a gradient costs two triangular mat-vecs (O(n²)). Its reference is a long
//! run (`data/scale/latent_gp_*_reference.json`, made by the `make_reference` example).

use flowpost::{DensityError, LogDensity};
use serde::Deserialize;

use crate::data::LATENT_GP;
use crate::math::{check_len, indexed};
use crate::{BuiltinModel, ModelError};

const NAME: &str = "latent_gp";

/// Prior sd of the intercept μ.
const MU_SD: f64 = 2.0;
/// The kernel's amplitude α (fixed).
const ALPHA: f64 = 1.0;
/// The kernel's length scale ρ on inputs in [0, 1] (fixed).
const RHO: f64 = 0.1;
/// Added to the kernel's diagonal: the squared-exponential kernel on a dense grid is
/// numerically singular.
const JITTER: f64 = 1e-6;

/// `mu ~ normal(0, 2)`, `eta ~ normal(0, I)`, `f = mu + L·eta` with
/// `L = cholesky(α²·exp(−(x_i − x_j)²/(2ρ²)) + 1e-6·I)` (α = 1, ρ = 0.1 fixed),
/// `y[i] ~ poisson_log(f[i])`. Unconstrained: `mu`, `eta[1..N]` (dimension `N + 1`); reported:
/// `mu`, `f[1..N]` (the log-rates).
///
/// The data (`models/data/scale/latent_gp.json`, written by the `make_latent_gp_data`
/// example, seed 17) are 500 counts on the grid `x = i/499`, drawn from a fixed smooth
/// log-rate. The instance with `N` inputs (`N` divides 500) takes every `500/N`-th of them, so
/// the CI-sized instance (N = 50) spans the same curve.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::LatentGp::new(50).unwrap();
/// assert_eq!(m.dim(), 51);
/// assert_eq!(m.param_names()[1], "f[1]");
/// assert!(flowpost::check_gradient(&m, &[0.1; 51], 1e-5).unwrap().max_rel_error < 1e-6);
/// ```
#[derive(Debug, Clone)]
pub struct LatentGp {
    x: Vec<f64>,
    y: Vec<f64>,
    /// L, lower triangle packed by rows (row i starts at i(i+1)/2).
    l: Vec<f64>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    x: Vec<f64>,
    y: Vec<i64>,
}

impl LatentGp {
    /// The number of inputs in the data file (the default instance, dimension 501).
    pub const NUM_INPUTS: usize = 500;

    /// The instance with `num_inputs` inputs (a divisor of 500: every `500/num_inputs`-th).
    pub fn new(num_inputs: usize) -> Result<Self, ModelError> {
        if num_inputs == 0 || Self::NUM_INPUTS % num_inputs != 0 {
            return Err(ModelError::InvalidDim {
                model: NAME.into(),
                dim: num_inputs + 1,
                reason: format!(
                    "the dimension is 1 + the number of inputs, which must divide {} \
                     (e.g. 51, 101, 501)",
                    Self::NUM_INPUTS
                ),
            });
        }
        let d: Data = LATENT_GP.parse(NAME)?;
        LATENT_GP.check_len(NAME, "x", d.x.len(), d.n)?;
        LATENT_GP.check_len(NAME, "y", d.y.len(), d.n)?;
        LATENT_GP.check_len(NAME, "N", d.n, Self::NUM_INPUTS)?;
        if let Some(i) = d.y.iter().position(|&k| k < 0) {
            return Err(LATENT_GP.error(NAME, format!("y[{}] is negative", i + 1)));
        }
        let step = Self::NUM_INPUTS / num_inputs;
        let x: Vec<f64> = d.x.iter().step_by(step).copied().collect();
        let y: Vec<f64> = d.y.iter().step_by(step).map(|&k| k as f64).collect();
        let l = cholesky_packed(&x)
            .ok_or_else(|| LATENT_GP.error(NAME, "the kernel matrix is not positive definite"))?;
        Ok(LatentGp { x, y, l })
    }

    /// The number of inputs N.
    pub fn num_inputs(&self) -> usize {
        self.x.len()
    }

    /// `f = mu + L·eta` into `f`.
    fn latent(&self, mu: f64, eta: &[f64], f: &mut [f64]) {
        for (i, fi) in f.iter_mut().enumerate() {
            let row = &self.l[i * (i + 1) / 2..][..=i];
            *fi = mu + crate::math::dot(row, &eta[..=i]);
        }
    }
}

/// The kernel matrix's Cholesky factor, lower triangle packed by rows; `None` if a pivot is
/// not positive.
fn cholesky_packed(x: &[f64]) -> Option<Vec<f64>> {
    let n = x.len();
    let at = |i: usize, j: usize| i * (i + 1) / 2 + j;
    let mut l = vec![0.0; n * (n + 1) / 2];
    for i in 0..n {
        for j in 0..=i {
            let d = x[i] - x[j];
            l[at(i, j)] = ALPHA * ALPHA * (-d * d / (2.0 * RHO * RHO)).exp();
        }
        l[at(i, i)] += JITTER;
    }
    for j in 0..n {
        let s: f64 = (0..j).map(|k| l[at(j, k)] * l[at(j, k)]).sum();
        let pivot = l[at(j, j)] - s;
        if !(pivot > 0.0) {
            return None;
        }
        let ljj = pivot.sqrt();
        l[at(j, j)] = ljj;
        for i in j + 1..n {
            let s: f64 = (0..j).map(|k| l[at(i, k)] * l[at(j, k)]).sum();
            l[at(i, j)] = (l[at(i, j)] - s) / ljj;
        }
    }
    Some(l)
}

#[cfg(test)]
#[path = "latent_gp_tests.rs"]
mod tests;

impl LogDensity for LatentGp {
    fn dim(&self) -> usize {
        self.num_inputs() + 1
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let n = self.num_inputs();
        check_len(NAME, "theta", theta.len(), n + 1);
        check_len(NAME, "grad", grad.len(), n + 1);
        let (mu, eta) = (theta[0], &theta[1..]);
        let mut lp = -0.5 * mu * mu / (MU_SD * MU_SD);
        grad[0] = -mu / (MU_SD * MU_SD);
        for (g, &e) in grad[1..].iter_mut().zip(eta) {
            lp -= 0.5 * e * e;
            *g = -e;
        }
        let mut f = vec![0.0; n];
        self.latent(mu, eta, &mut f);
        // d/df of y f − e^f, then pulled back through f = mu + L eta: grad_eta += Lᵀ r.
        for (i, (&fi, &yi)) in f.iter().zip(&self.y).enumerate() {
            let rate = fi.exp();
            lp += yi * fi - rate;
            let r = yi - rate;
            grad[0] += r;
            crate::math::axpy(r, &self.l[i * (i + 1) / 2..][..=i], &mut grad[1..=i + 1]);
        }
        if !lp.is_finite() || !grad[0].is_finite() {
            return Err(DensityError::recoverable(format!(
                "{NAME}: log density not finite (a log-rate overflows)"
            )));
        }
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        std::iter::once("mu".to_string())
            .chain(indexed("f", self.num_inputs()))
            .collect()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        out[0] = theta[0];
        self.latent(theta[0], &theta[1..], &mut out[1..]);
    }
}

impl BuiltinModel for LatentGp {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        let n = self.num_inputs();
        check_len(NAME, "constrained", c.len(), n + 1);
        // eta = L⁻¹ (f − mu), by forward substitution
        let mut u = vec![c[0]];
        for i in 0..n {
            let row = &self.l[i * (i + 1) / 2..][..=i];
            let s = crate::math::dot(&row[..i], &u[1..=i]);
            u.push((c[1 + i] - c[0] - s) / row[i]);
        }
        u
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}
