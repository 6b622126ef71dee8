//! Neal's funnel: `v ~ Normal(0, 3)`, `x_i ~ Normal(0, exp(v/2))`.

use flowpost::{DensityError, LogDensity};

use crate::math::{check_len, indexed};
use crate::{BuiltinModel, ModelError};

/// Neal's funnel in `d` dimensions (default 10): `v ~ Normal(0, 3)`,
/// `x_i ~ Normal(0, exp(v/2))` for `i = 1…d−1`. Parameters `v`, `x[1]`…; no constraints.
/// Truth: `E[v] = 0`, `sd[v] = 3`.
///
/// ```
/// use flowpost::LogDensity;
/// let f = flowpost_models::Funnel::new(10).unwrap();
/// assert_eq!(f.param_names()[0], "v");
/// assert!(flowpost::check_gradient(&f, &[0.5; 10], 1e-5).unwrap().max_rel_error < 1e-7);
/// ```
#[derive(Debug, Clone)]
pub struct Funnel {
    dim: usize,
}

impl Funnel {
    /// The default dimension.
    pub const DEFAULT_DIM: usize = 10;

    /// The largest dimension accepted.
    pub const MAX_DIM: usize = 100_000;

    /// A funnel of dimension `2 ≤ dim ≤ MAX_DIM`.
    pub fn new(dim: usize) -> Result<Self, ModelError> {
        if dim < 2 {
            return Err(ModelError::InvalidDim {
                model: "funnel".into(),
                dim,
                reason: "the funnel needs v and at least one x (dim ≥ 2)".into(),
            });
        }
        if dim > Self::MAX_DIM {
            return Err(ModelError::InvalidDim {
                model: "funnel".into(),
                dim,
                reason: format!(
                    "at most {} (the flow's weights and the draws grow with d; a larger funnel does not fit in memory)",
                    Self::MAX_DIM
                ),
            });
        }
        Ok(Funnel { dim })
    }
}

impl LogDensity for Funnel {
    fn dim(&self) -> usize {
        self.dim
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len("funnel", "theta", theta.len(), self.dim);
        check_len("funnel", "grad", grad.len(), self.dim);
        let v = theta[0];
        let inv_var = (-v).exp();
        let mut ss = 0.0;
        for (g, &x) in grad[1..].iter_mut().zip(&theta[1..]) {
            ss += x * x;
            *g = -x * inv_var;
        }
        let k = (self.dim - 1) as f64;
        grad[0] = -v / 9.0 + 0.5 * ss * inv_var - 0.5 * k;
        Ok(-v * v / 18.0 - 0.5 * ss * inv_var - 0.5 * k * v)
    }

    fn param_names(&self) -> Vec<String> {
        std::iter::once("v".to_string())
            .chain(indexed("x", self.dim - 1))
            .collect()
    }
}

impl BuiltinModel for Funnel {
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64> {
        check_len("funnel", "constrained", constrained.len(), self.dim);
        constrained.to_vec()
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}
