//! posteriordb `arma-arma11`: an ARMA(1, 1) time series.

use flowpost::transforms::LowerBound;
use flowpost::{DensityError, LogDensity};
use serde::Deserialize;

use crate::data::ARMA11;
use crate::math::{cauchy0, check_len, normal};
use crate::{BuiltinModel, ModelError};

/// `mu ~ normal(0, 10)`, `phi, theta ~ normal(0, 2)`, `sigma ~ cauchy(0, 2.5)` (sigma > 0);
/// `err[1] = y[1] − mu·(1 + phi)`, `err[t] = y[t] − mu − phi·y[t−1] − theta·err[t−1]`,
/// `err ~ normal(0, sigma)`. T = 200. The gradient propagates ∂err/∂(mu, phi, theta) through
/// the recursion. Parameters `mu`, `phi`, `theta`, `sigma`.
///
/// ```
/// use flowpost::LogDensity;
/// assert_eq!(flowpost_models::Arma11::new().unwrap().dim(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct Arma11 {
    y: Vec<f64>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "T")]
    t: usize,
    y: Vec<f64>,
}

const NAME: &str = "arma-arma11";
const SIGMA: LowerBound = LowerBound { lower: 0.0 };

impl Arma11 {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let d: Data = ARMA11.parse(NAME)?;
        ARMA11.check_len(NAME, "y", d.y.len(), d.t)?;
        if d.t < 1 {
            return Err(ARMA11.error(NAME, "T must be at least 1"));
        }
        Ok(Arma11 { y: d.y })
    }
}

impl LogDensity for Arma11 {
    fn dim(&self) -> usize {
        4
    }

    #[track_caller]
    fn log_density(&self, th: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        check_len(NAME, "theta", th.len(), 4);
        check_len(NAME, "grad", grad.len(), 4);
        let (mu, phi, theta) = (th[0], th[1], th[2]);
        let s = SIGMA.constrain_with_derivatives(th[3]);
        let y = &self.y;
        // err and its derivatives with respect to (mu, phi, theta)
        let mut err = y[0] - mu * (1.0 + phi);
        let mut de = [-(1.0 + phi), -mu, 0.0];
        let mut ss = err * err;
        let mut g = [err * de[0], err * de[1], err * de[2]]; // Σ err·∂err
        for t in 1..y.len() {
            de = [
                -1.0 - theta * de[0],
                -y[t - 1] - theta * de[1],
                -err - theta * de[2],
            ];
            err = y[t] - mu - phi * y[t - 1] - theta * err;
            ss += err * err;
            for k in 0..3 {
                g[k] += err * de[k];
            }
        }
        let inv_var = 1.0 / (s.value * s.value);
        let n = y.len() as f64;
        let (p_mu, d_mu) = normal(mu, 0.0, 10.0);
        let (p_phi, d_phi) = normal(phi, 0.0, 2.0);
        let (p_theta, d_theta) = normal(theta, 0.0, 2.0);
        let (p_sigma, d_sigma) = cauchy0(s.value, 2.5);
        grad[0] = d_mu - g[0] * inv_var;
        grad[1] = d_phi - g[1] * inv_var;
        grad[2] = d_theta - g[2] * inv_var;
        grad[3] = -n + ss * inv_var + d_sigma * s.dvalue + s.dlog_jacobian;
        Ok(p_mu + p_phi + p_theta + p_sigma - n * th[3] - 0.5 * ss * inv_var + s.log_jacobian)
    }

    fn param_names(&self) -> Vec<String> {
        ["mu", "phi", "theta", "sigma"].map(String::from).to_vec()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        out[..3].copy_from_slice(&theta[..3]);
        out[3] = theta[3].exp();
    }
}

impl BuiltinModel for Arma11 {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        check_len(NAME, "constrained", c.len(), 4);
        vec![c[0], c[1], c[2], SIGMA.unconstrain(c[3])]
    }
    fn log_jacobian(&self, theta: &[f64]) -> f64 {
        theta[3]
    }
}
