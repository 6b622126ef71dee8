//! Haario et al.'s twisted Gaussian ("banana"), b = 0.03.

use flowpost::{DensityError, LogDensity};

use crate::BuiltinModel;
use crate::math::check_len;

/// The banana of `peers/README.md`: `x1 ~ Normal(0, 10)`, `x2 | x1 ~ Normal(0.03·x1² − 3, 1)`.
/// Truth: `E = (0, 0)`, `sd = (10, √19)`.
///
/// ```
/// use flowpost::LogDensity;
/// let b = flowpost_models::Banana;
/// let mut g = [0.0; 2];
/// assert_eq!(b.log_density(&[0.0, -3.0], &mut g).unwrap(), 0.0);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Banana;

const B: f64 = 0.03;

impl LogDensity for Banana {
    fn dim(&self) -> usize {
        2
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len("banana", "theta", theta.len(), 2);
        check_len("banana", "grad", grad.len(), 2);
        let (x1, x2) = (theta[0], theta[1]);
        let r = x2 - B * x1 * x1 + 3.0;
        grad[0] = -x1 / 100.0 + r * 2.0 * B * x1;
        grad[1] = -r;
        Ok(-x1 * x1 / 200.0 - 0.5 * r * r)
    }

    fn param_names(&self) -> Vec<String> {
        vec!["x1".into(), "x2".into()]
    }
}

impl BuiltinModel for Banana {
    fn unconstrain(&self, constrained: &[f64]) -> Vec<f64> {
        check_len("banana", "constrained", constrained.len(), 2);
        constrained.to_vec()
    }
    fn log_jacobian(&self, _theta: &[f64]) -> f64 {
        0.0
    }
}
