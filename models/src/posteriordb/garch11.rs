//! posteriordb `garch-garch11`: a GARCH(1, 1) volatility model.

use flowpost::transforms::{LowerBound, LowerUpperBound};
use flowpost::{DensityError, LogDensity};
use serde::Deserialize;

use crate::data::GARCH11;
use crate::math::check_len;
use crate::{BuiltinModel, ModelError};

/// `alpha0 > 0`, `0 < alpha1 < 1`, `0 < beta1 < 1 − alpha1` (the bound depends on alpha1),
/// flat priors on each support; `sigma[1] = sigma1` (data),
/// `sigma[t]² = alpha0 + alpha1·(y[t−1] − mu)² + beta1·sigma[t−1]²`, `y ~ normal(mu, sigma)`.
/// T = 200. Unconstrained: `mu`, `log alpha0`, `logit alpha1`, `logit(beta1 / (1 − alpha1))`.
/// The gradient propagates ∂sigma[t]²/∂(mu, alpha0, alpha1, beta1) through the recursion.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::Garch11::new().unwrap();
/// assert_eq!(m.param_names(), ["mu", "alpha0", "alpha1", "beta1"]);
/// ```
#[derive(Debug, Clone)]
pub struct Garch11 {
    y: Vec<f64>,
    sigma1: f64,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "T")]
    t: usize,
    y: Vec<f64>,
    sigma1: f64,
}

const NAME: &str = "garch-garch11";
const ALPHA0: LowerBound = LowerBound { lower: 0.0 };
const ALPHA1: LowerUpperBound = LowerUpperBound {
    lower: 0.0,
    upper: 1.0,
};

impl Garch11 {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let d: Data = GARCH11.parse(NAME)?;
        GARCH11.check_len(NAME, "y", d.y.len(), d.t)?;
        if !(d.sigma1 > 0.0) {
            return Err(GARCH11.error(NAME, "sigma1 must be positive"));
        }
        Ok(Garch11 {
            y: d.y,
            sigma1: d.sigma1,
        })
    }

    /// The constrained values and the transforms at θ.
    fn transform(
        theta: &[f64],
    ) -> (
        flowpost::transforms::ScalarConstrained,
        flowpost::transforms::ScalarConstrained,
        LowerUpperBound,
    ) {
        let a0 = ALPHA0.constrain_with_derivatives(theta[1]);
        let a1 = ALPHA1.constrain_with_derivatives(theta[2]);
        (
            a0,
            a1,
            LowerUpperBound {
                lower: 0.0,
                upper: 1.0 - a1.value,
            },
        )
    }
}

impl LogDensity for Garch11 {
    fn dim(&self) -> usize {
        4
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len(NAME, "theta", theta.len(), 4);
        check_len(NAME, "grad", grad.len(), 4);
        let mu = theta[0];
        let (a0, a1, b1_bound) = Self::transform(theta);
        if !(b1_bound.upper > 0.0) {
            return Err(DensityError::recoverable(
                "alpha1 rounds to 1: beta1 has an empty range",
            ));
        }
        let b1 = b1_bound.constrain_with_derivatives(theta[3]);
        let (alpha0, alpha1, beta1) = (a0.value, a1.value, b1.value);
        let y = &self.y;
        // s = sigma[t]², ds = ∂s/∂(mu, alpha0, alpha1, beta1); g = ∂loglik/∂(same)
        let mut s = self.sigma1 * self.sigma1;
        let mut ds = [0.0; 4];
        let mut lp = 0.0;
        let mut g = [0.0; 4];
        for t in 0..y.len() {
            if t > 0 {
                let e = y[t - 1] - mu;
                ds = [
                    -2.0 * alpha1 * e + beta1 * ds[0],
                    1.0 + beta1 * ds[1],
                    e * e + beta1 * ds[2],
                    s + beta1 * ds[3],
                ];
                s = alpha0 + alpha1 * e * e + beta1 * s;
            }
            let r = y[t] - mu;
            lp += -0.5 * s.ln() - 0.5 * r * r / s;
            let dl_ds = -0.5 / s + 0.5 * r * r / (s * s);
            g[0] += r / s;
            for k in 0..4 {
                g[k] += dl_ds * ds[k];
            }
        }
        if !lp.is_finite() {
            return Err(DensityError::recoverable(
                "a GARCH variance is not positive and finite",
            ));
        }
        let bp = b1_bound.bound_partials(theta[3]);
        // beta1 and its log-Jacobian depend on alpha1 through the upper bound 1 − alpha1
        let d_alpha1 = g[2] - g[3] * bp.dvalue_dupper - bp.dlog_jacobian_dupper;
        grad[0] = g[0];
        grad[1] = g[1] * a0.dvalue + a0.dlog_jacobian;
        grad[2] = d_alpha1 * a1.dvalue + a1.dlog_jacobian;
        grad[3] = g[3] * b1.dvalue + b1.dlog_jacobian;
        Ok(lp + a0.log_jacobian + a1.log_jacobian + b1.log_jacobian)
    }

    fn param_names(&self) -> Vec<String> {
        ["mu", "alpha0", "alpha1", "beta1"]
            .map(String::from)
            .to_vec()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        let (a0, a1, b1_bound) = Self::transform(theta);
        out[0] = theta[0];
        out[1] = a0.value;
        out[2] = a1.value;
        out[3] = b1_bound.constrain_with_derivatives(theta[3]).value;
    }
}

impl BuiltinModel for Garch11 {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        check_len(NAME, "constrained", c.len(), 4);
        let b1 = LowerUpperBound {
            lower: 0.0,
            upper: 1.0 - c[2],
        };
        vec![
            c[0],
            ALPHA0.unconstrain(c[1]),
            ALPHA1.unconstrain(c[2]),
            b1.unconstrain(c[3]),
        ]
    }
    fn log_jacobian(&self, theta: &[f64]) -> f64 {
        let (a0, a1, b1_bound) = Self::transform(theta);
        a0.log_jacobian
            + a1.log_jacobian
            + b1_bound.constrain_with_derivatives(theta[3]).log_jacobian
    }
}
