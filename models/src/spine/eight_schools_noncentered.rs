//! Eight schools, non-centered parameterisation (posteriordb `eight_schools_noncentered`).

use flowpost::transforms::LowerBound;
use flowpost::{DensityError, LogDensity};

use super::EightSchoolsData;
use crate::math::{cauchy0, check_len};
use crate::{BuiltinModel, ModelError};

/// `theta_trans ~ normal(0, 1)`, `theta = mu + tau·theta_trans`, `y ~ normal(theta, sigma)`,
/// `mu ~ normal(0, 5)`, `tau ~ cauchy(0, 5)` on tau > 0. Unconstrained: `theta_trans[1..J]`,
/// `mu`, `log tau`; reported (as the reference draws store them): the transformed
/// `theta[1..J]`, `mu`, `tau`.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::EightSchoolsNoncentered::new().unwrap();
/// let mut out = vec![0.0; 10];
/// m.constrain(&[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0], &mut out);
/// assert_eq!((out[0], out[1], out[9]), (3.0, 2.0, 1.0));
/// ```
#[derive(Debug, Clone)]
pub struct EightSchoolsNoncentered {
    data: EightSchoolsData,
}

const NAME: &str = "eight_schools_noncentered";
const TAU: LowerBound = LowerBound { lower: 0.0 };

impl EightSchoolsNoncentered {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        Ok(EightSchoolsNoncentered {
            data: EightSchoolsData::load(NAME)?,
        })
    }
}

impl LogDensity for EightSchoolsNoncentered {
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
        let (mut lp, mut d_tau) = cauchy0(tau, 5.0);
        lp += -mu * mu / 50.0 + t.log_jacobian;
        let mut d_mu = -mu / 25.0;
        for i in 0..j {
            let z = theta[i];
            let r = mu + tau * z - self.data.y[i];
            let s2 = self.data.sigma[i] * self.data.sigma[i];
            lp -= 0.5 * z * z + 0.5 * r * r / s2;
            let g = -r / s2; // ∂/∂theta_i
            grad[i] = -z + tau * g;
            d_mu += g;
            d_tau += g * z;
        }
        grad[j] = d_mu;
        grad[j + 1] = d_tau * t.dvalue + t.dlog_jacobian;
        Ok(lp)
    }

    fn param_names(&self) -> Vec<String> {
        self.data.names()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        let j = self.data.j;
        let (mu, tau) = (theta[j], theta[j + 1].exp());
        for i in 0..j {
            out[i] = mu + tau * theta[i];
        }
        out[j] = mu;
        out[j + 1] = tau;
    }
}

impl BuiltinModel for EightSchoolsNoncentered {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        let j = self.data.j;
        check_len(NAME, "constrained", c.len(), j + 2);
        let (mu, tau) = (c[j], c[j + 1]);
        let mut u: Vec<f64> = c[..j].iter().map(|th| (th - mu) / tau).collect();
        u.push(mu);
        u.push(TAU.unconstrain(tau));
        u
    }
    fn log_jacobian(&self, theta: &[f64]) -> f64 {
        theta[self.data.j + 1]
    }
}
