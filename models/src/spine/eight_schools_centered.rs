//! Eight schools, centered parameterisation (posteriordb `eight_schools_centered`).

use flowpost::transforms::LowerBound;
use flowpost::{DensityError, LogDensity};
use serde::Deserialize;

use crate::data::EIGHT_SCHOOLS;
use crate::math::{cauchy0, check_len, indexed};
use crate::{BuiltinModel, ModelError};

/// The eight-schools data (`J`, `y`, `sigma`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EightSchoolsData {
    #[serde(rename = "J")]
    pub j: usize,
    pub y: Vec<f64>,
    pub sigma: Vec<f64>,
}

impl EightSchoolsData {
    pub(crate) fn load(model: &str) -> Result<Self, ModelError> {
        let data: EightSchoolsData = EIGHT_SCHOOLS.parse(model)?;
        EIGHT_SCHOOLS.check_len(model, "y", data.y.len(), data.j)?;
        EIGHT_SCHOOLS.check_len(model, "sigma", data.sigma.len(), data.j)?;
        if let Some(i) = data.sigma.iter().position(|&s| s <= 0.0 || !s.is_finite()) {
            return Err(EIGHT_SCHOOLS.error(model, format!("sigma[{}] must be positive", i + 1)));
        }
        Ok(data)
    }

    pub(crate) fn names(&self) -> Vec<String> {
        indexed("theta", self.j)
            .chain(["mu".to_string(), "tau".to_string()])
            .collect()
    }
}

/// `tau ~ cauchy(0, 5)` on tau > 0, `theta ~ normal(mu, tau)`, `y ~ normal(theta, sigma)`,
/// `mu ~ normal(0, 5)`. Unconstrained: `theta[1..J]`, `mu`, `log tau`; reported `theta[j]`,
/// `mu`, `tau`. The funnel between `log tau` and `theta` is the classic hard case for NUTS.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::EightSchoolsCentered::new().unwrap();
/// assert_eq!(m.dim(), 10);
/// assert_eq!(m.param_names()[9], "tau");
/// ```
#[derive(Debug, Clone)]
pub struct EightSchoolsCentered {
    data: EightSchoolsData,
}

const NAME: &str = "eight_schools_centered";
const TAU: LowerBound = LowerBound { lower: 0.0 };

impl EightSchoolsCentered {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        Ok(EightSchoolsCentered {
            data: EightSchoolsData::load(NAME)?,
        })
    }
}

impl LogDensity for EightSchoolsCentered {
    fn dim(&self) -> usize {
        self.data.j + 2
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let j = self.data.j;
        check_len(NAME, "theta", theta.len(), j + 2);
        check_len(NAME, "grad", grad.len(), j + 2);
        let mu = theta[j];
        let t = TAU.constrain_with_derivatives(theta[j + 1]);
        let tau = t.value;
        let inv_tau2 = 1.0 / (tau * tau);
        let (mut lp, mut d_tau) = cauchy0(tau, 5.0);
        lp += -mu * mu / 50.0 + t.log_jacobian;
        let mut d_mu = -mu / 25.0;
        let mut ss = 0.0;
        for i in 0..j {
            let dev = theta[i] - mu;
            let r = theta[i] - self.data.y[i];
            let s2 = self.data.sigma[i] * self.data.sigma[i];
            ss += dev * dev;
            lp -= 0.5 * r * r / s2;
            grad[i] = -dev * inv_tau2 - r / s2;
            d_mu += dev * inv_tau2;
        }
        lp += -(j as f64) * tau.ln() - 0.5 * ss * inv_tau2;
        d_tau += -(j as f64) / tau + ss * inv_tau2 / tau;
        grad[j] = d_mu;
        grad[j + 1] = d_tau * t.dvalue + t.dlog_jacobian;
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        self.data.names()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        let j = self.data.j;
        out[..=j].copy_from_slice(&theta[..=j]);
        out[j + 1] = theta[j + 1].exp();
    }
}

impl BuiltinModel for EightSchoolsCentered {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        let j = self.data.j;
        check_len(NAME, "constrained", c.len(), j + 2);
        let mut u = c.to_vec();
        u[j + 1] = TAU.unconstrain(c[j + 1]);
        u
    }
    fn log_jacobian(&self, theta: &[f64]) -> f64 {
        theta[self.data.j + 1]
    }
}
