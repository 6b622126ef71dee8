//! posteriordb `low_dim_gauss_mix-low_dim_gauss_mix`: a two-component normal mixture.

use flowpost::transforms::{LowerBound, LowerUpperBound, Ordered, VectorTransform};
use flowpost::{DensityError, LogDensity};
use serde::Deserialize;

use crate::data::GAUSS_MIX;
use crate::math::{check_len, log_sum_exp2, normal};
use crate::{BuiltinModel, ModelError};

/// `mu` ordered[2] `~ normal(0, 2)`, `sigma[k] ~ normal(0, 2)` (sigma > 0),
/// `theta ~ beta(5, 5)` (0 < theta < 1),
/// `y[n] ~ log_mix(theta, normal(mu[1], sigma[1]), normal(mu[2], sigma[2]))`, N = 1000.
/// Unconstrained: `mu`'s ordered coordinates, `log sigma[1..2]`, `logit theta`; reported
/// `mu[1..2]`, `sigma[1..2]`, `theta`.
///
/// ```
/// use flowpost::LogDensity;
/// assert_eq!(flowpost_models::LowDimGaussMix::new().unwrap().dim(), 5);
/// ```
#[derive(Debug, Clone)]
pub struct LowDimGaussMix {
    y: Vec<f64>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    y: Vec<f64>,
}

const NAME: &str = "low_dim_gauss_mix-low_dim_gauss_mix";
const MU: Ordered = Ordered::new(2);
const SIGMA: LowerBound = LowerBound { lower: 0.0 };
const THETA: LowerUpperBound = LowerUpperBound {
    lower: 0.0,
    upper: 1.0,
};

impl LowDimGaussMix {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let d: Data = GAUSS_MIX.parse(NAME)?;
        GAUSS_MIX.check_len(NAME, "y", d.y.len(), d.n)?;
        Ok(LowDimGaussMix { y: d.y })
    }
}

impl LogDensity for LowDimGaussMix {
    fn dim(&self) -> usize {
        5
    }

    #[track_caller]
    fn log_density(&self, u: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len(NAME, "theta", u.len(), 5);
        check_len(NAME, "grad", grad.len(), 5);
        let mut mu = [0.0; 2];
        let lj_mu = MU.constrain(&u[0..2], &mut mu);
        let s = [
            SIGMA.constrain_with_derivatives(u[2]),
            SIGMA.constrain_with_derivatives(u[3]),
        ];
        let th = THETA.constrain_with_derivatives(u[4]);
        let (sigma, theta) = ([s[0].value, s[1].value], th.value);
        let (log_th, log_1m_th) = (theta.ln(), (-theta).ln_1p());
        let inv_var = [1.0 / (sigma[0] * sigma[0]), 1.0 / (sigma[1] * sigma[1])];
        let log_sigma = [u[2], u[3]];
        // likelihood: per point, responsibilities w and 1 − w of the two components
        let mut lp = 0.0;
        let (mut g_mu, mut g_sigma, mut g_theta) = ([0.0; 2], [0.0; 2], 0.0);
        for &y in &self.y {
            let r = [y - mu[0], y - mu[1]];
            let a = log_th - log_sigma[0] - 0.5 * r[0] * r[0] * inv_var[0];
            let b = log_1m_th - log_sigma[1] - 0.5 * r[1] * r[1] * inv_var[1];
            let (lse, w) = log_sum_exp2(a, b);
            lp += lse;
            let wk = [w, 1.0 - w];
            for k in 0..2 {
                g_mu[k] += wk[k] * r[k] * inv_var[k];
                g_sigma[k] += wk[k] * (r[k] * r[k] * inv_var[k] - 1.0) / sigma[k];
            }
            g_theta += w / theta - (1.0 - w) / (1.0 - theta);
        }
        if !lp.is_finite() {
            return Err(DensityError::recoverable(
                "the mixture log-likelihood is not finite",
            ));
        }
        // priors
        for k in 0..2 {
            let (v, d) = normal(mu[k], 0.0, 2.0);
            lp += v;
            g_mu[k] += d;
            let (v, d) = normal(sigma[k], 0.0, 2.0);
            lp += v;
            g_sigma[k] += d;
        }
        lp += 4.0 * log_th + 4.0 * log_1m_th;
        g_theta += 4.0 / theta - 4.0 / (1.0 - theta);
        // chain rule through the transforms, Jacobians included
        MU.backprop(&u[0..2], &g_mu, &mut grad[0..2]);
        for k in 0..2 {
            grad[2 + k] = g_sigma[k] * s[k].dvalue + s[k].dlog_jacobian;
        }
        grad[4] = g_theta * th.dvalue + th.dlog_jacobian;
        Ok(lp + lj_mu + s[0].log_jacobian + s[1].log_jacobian + th.log_jacobian)
    }

    fn param_names(&self) -> Vec<String> {
        ["mu[1]", "mu[2]", "sigma[1]", "sigma[2]", "theta"]
            .map(String::from)
            .to_vec()
    }

    fn constrain(&self, u: &[f64], out: &mut [f64]) {
        MU.constrain(&u[0..2], &mut out[0..2]);
        out[2] = u[2].exp();
        out[3] = u[3].exp();
        out[4] = THETA.constrain_with_derivatives(u[4]).value;
    }
}

impl BuiltinModel for LowDimGaussMix {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        check_len(NAME, "constrained", c.len(), 5);
        let mut u = vec![0.0; 5];
        MU.unconstrain(&c[0..2], &mut u[0..2]);
        u[2] = SIGMA.unconstrain(c[2]);
        u[3] = SIGMA.unconstrain(c[3]);
        u[4] = THETA.unconstrain(c[4]);
        u
    }
    fn log_jacobian(&self, u: &[f64]) -> f64 {
        u[1] + u[2] + u[3] + THETA.constrain_with_derivatives(u[4]).log_jacobian
    }
}
