//! The 100-dimensional correlated Gaussian of the peers' benchmark.

use flowpost::{DensityError, LogDensity};
use serde::Deserialize;

use crate::data::GAUSS100;
use crate::math::{check_len, dot, indexed};
use crate::{BuiltinModel, ModelError};

/// `x ~ Normal(m, S)`, `S = L Lᵀ` with the Cholesky factor from `data/peers/gauss100.json`
/// (condition number 10⁴). Two triangular solves per gradient, O(d²). Parameters `x[1]`…`x[100]`.
///
/// ```
/// use flowpost::LogDensity;
/// let g = flowpost_models::Gauss100::new().unwrap();
/// assert_eq!(g.dim(), 100);
/// let mut grad = vec![0.0; 100];
/// assert_eq!(g.log_density(g.mean(), &mut grad).unwrap(), 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct Gauss100 {
    d: usize,
    mean: Vec<f64>,
    /// L, row-major.
    chol: Vec<f64>,
    /// Lᵀ, row-major (L by columns), for the back substitution.
    chol_t: Vec<f64>,
    cov: Vec<f64>,
}

#[derive(Deserialize)]
struct Data {
    d: usize,
    mean: Vec<f64>,
    chol: Vec<Vec<f64>>,
    cov: Vec<Vec<f64>>,
}

impl Gauss100 {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let name = "gauss100";
        let data: Data = GAUSS100.parse(name)?;
        let d = data.d;
        GAUSS100.check_len(name, "mean", data.mean.len(), d)?;
        GAUSS100.check_len(name, "chol", data.chol.len(), d)?;
        let mut chol = Vec::with_capacity(d * d);
        for (i, row) in data.chol.iter().enumerate() {
            GAUSS100.check_len(name, &format!("chol[{i}]"), row.len(), d)?;
            if row[i] <= 0.0 || row[i + 1..].iter().any(|&v| v != 0.0) {
                return Err(GAUSS100.error(
                    name,
                    format!("chol row {i} is not lower-triangular with a positive diagonal"),
                ));
            }
            chol.extend_from_slice(row);
        }
        let mut chol_t = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                chol_t[j * d + i] = chol[i * d + j];
            }
        }
        let cov: Vec<f64> = data.cov.into_iter().flatten().collect();
        GAUSS100.check_len(name, "cov", cov.len(), d * d)?;
        Ok(Gauss100 {
            d,
            mean: data.mean,
            chol,
            chol_t,
            cov,
        })
    }

    /// The exact mean.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The exact covariance, row-major `d × d`.
    pub fn cov(&self) -> &[f64] {
        &self.cov
    }
}

impl LogDensity for Gauss100 {
    fn dim(&self) -> usize {
        self.d
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let d = self.d;
        check_len("gauss100", "theta", theta.len(), d);
        check_len("gauss100", "grad", grad.len(), d);
        // z = L⁻¹ (θ − m), in grad
        for i in 0..d {
            let row = &self.chol[i * d..i * d + i];
            let s = dot(row, &grad[..i]);
            grad[i] = (theta[i] - self.mean[i] - s) / self.chol[i * d + i];
        }
        let lp = -0.5 * dot(grad, grad);
        // w = L⁻ᵀ z in place (row i of Lᵀ holds column i of L)
        for i in (0..d).rev() {
            let row = &self.chol_t[i * d + i + 1..(i + 1) * d];
            let s = dot(row, &grad[i + 1..]);
            grad[i] = (grad[i] - s) / self.chol_t[i * d + i];
        }
        for g in grad.iter_mut() {
            *g = -*g;
        }
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        indexed("x", self.d).collect()
    }
}

impl BuiltinModel for Gauss100 {
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64> {
        check_len("gauss100", "constrained", constrained.len(), self.d);
        constrained.to_vec()
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}
