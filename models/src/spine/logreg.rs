//! Bayesian logistic regression of the peers' benchmark (n = 1000, d = 25).

use flowpost::{DensityError, LogDensity};
use serde::Deserialize;

use crate::data::LOGREG;
use crate::math::{axpy, check_len, dot, indexed, softplus_and_sigmoid};
use crate::{BuiltinModel, ModelError};

/// `beta_j ~ Normal(0, 1)`, `y_i ~ Bernoulli(logit⁻¹(X_i·beta))`, no intercept; data from
/// `data/peers/logreg.json`. One pass over the 1000 × 25 design per gradient.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::LogReg::new().unwrap();
/// assert_eq!((m.dim(), m.param_names()[0].as_str()), (25, "beta[1]"));
/// ```
#[derive(Debug, Clone)]
pub struct LogReg {
    d: usize,
    /// Row-major n × d.
    x: Vec<f64>,
    y: Vec<f64>,
}

#[derive(Deserialize)]
struct Data {
    n: usize,
    d: usize,
    #[serde(rename = "X")]
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
}

impl LogReg {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let name = "logreg";
        let data: Data = LOGREG.parse(name)?;
        LOGREG.check_len(name, "X", data.x.len(), data.n)?;
        LOGREG.check_len(name, "y", data.y.len(), data.n)?;
        let mut x = Vec::with_capacity(data.n * data.d);
        for (i, row) in data.x.iter().enumerate() {
            LOGREG.check_len(name, &format!("X[{i}]"), row.len(), data.d)?;
            x.extend_from_slice(row);
        }
        if let Some(i) = data.y.iter().position(|&y| y != 0.0 && y != 1.0) {
            return Err(LOGREG.error(name, format!("y[{i}] = {} is not 0 or 1", data.y[i])));
        }
        Ok(LogReg {
            d: data.d,
            x,
            y: data.y,
        })
    }
}

impl LogDensity for LogReg {
    fn dim(&self) -> usize {
        self.d
    }

    #[track_caller]
    fn log_density(&self, beta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len("logreg", "theta", beta.len(), self.d);
        check_len("logreg", "grad", grad.len(), self.d);
        let mut lp = 0.0;
        for (g, &b) in grad.iter_mut().zip(beta) {
            lp -= 0.5 * b * b;
            *g = -b;
        }
        for (row, &y) in self.x.chunks_exact(self.d).zip(&self.y) {
            let eta = dot(row, beta);
            let (softplus, p) = softplus_and_sigmoid(eta);
            lp += y * eta - softplus;
            axpy(y - p, row, grad);
        }
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        indexed("beta", self.d).collect()
    }
}

impl BuiltinModel for LogReg {
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64> {
        check_len("logreg", "constrained", constrained.len(), self.d);
        constrained.to_vec()
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}
