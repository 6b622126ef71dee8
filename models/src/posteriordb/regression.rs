//! The shape shared by the posteriordb linear regressions: coefficients with a flat or normal
//! prior, `sigma > 0` (log transform) with a flat, half-Cauchy or half-normal prior, and
//! `y ~ normal(X·coef, sigma)`.

use flowpost::transforms::LowerBound;
use flowpost::{DensityError, LogDensity};

use crate::BuiltinModel;
use crate::linreg::Design;
use crate::math::{cauchy0, check_len, normal};

/// Prior on the regression coefficients.
#[derive(Debug, Clone)]
pub(crate) enum CoefPrior {
    /// Improper flat prior (nothing added).
    Flat,
    /// Independent `normal(mean_k, sd_k)`.
    Normal { mean: Vec<f64>, sd: Vec<f64> },
}

/// Prior on `sigma > 0`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ScalePrior {
    /// Improper flat prior.
    Flat,
    /// `cauchy(0, s)`.
    HalfCauchy(f64),
    /// `normal(0, s)`.
    HalfNormal(f64),
}

/// A Gaussian linear regression; parameters: the coefficients then `sigma`.
#[derive(Debug, Clone)]
pub(crate) struct Regression {
    pub name: &'static str,
    pub design: Design,
    pub coef_prior: CoefPrior,
    pub sigma_prior: ScalePrior,
    /// Names of the coefficients then of sigma.
    pub names: Vec<String>,
}

const SIGMA: LowerBound = LowerBound { lower: 0.0 };

impl Regression {
    fn p(&self) -> usize {
        self.design.p()
    }
}

impl LogDensity for Regression {
    fn dim(&self) -> usize {
        self.p() + 1
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let p = self.p();
        check_len(self.name, "theta", theta.len(), p + 1);
        check_len(self.name, "grad", grad.len(), p + 1);
        let (coef, u) = (&theta[..p], theta[p]);
        let mut lp = 0.0;
        match &self.coef_prior {
            CoefPrior::Flat => grad[..p].fill(0.0),
            CoefPrior::Normal { mean, sd } => {
                for k in 0..p {
                    let (v, d) = normal(coef[k], mean[k], sd[k]);
                    lp += v;
                    grad[k] = d;
                }
            }
        }
        let lik = self.design.gaussian_loglik(coef, 0.0, u, &mut grad[..p]);
        let s = SIGMA.constrain_with_derivatives(u);
        let (prior, d_prior) = match self.sigma_prior {
            ScalePrior::Flat => (0.0, 0.0),
            ScalePrior::HalfCauchy(scale) => cauchy0(s.value, scale),
            ScalePrior::HalfNormal(scale) => normal(s.value, 0.0, scale),
        };
        grad[p] = lik.d_log_sigma + d_prior * s.dvalue + s.dlog_jacobian;
        Ok(lp + lik.value + prior + s.log_jacobian)
    }

    fn param_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        let p = self.p();
        out[..p].copy_from_slice(&theta[..p]);
        out[p] = theta[p].exp();
    }
}

impl BuiltinModel for Regression {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        let p = self.p();
        check_len(self.name, "constrained", c.len(), p + 1);
        let mut u = c.to_vec();
        u[p] = SIGMA.unconstrain(c[p]);
        u
    }
    fn log_jacobian(&self, theta: &[f64]) -> f64 {
        theta[self.p()]
    }
}

/// Implements `LogDensity` and `BuiltinModel` for a newtype around [`Regression`].
macro_rules! delegate_regression {
    ($t:ty) => {
        impl flowpost::LogDensity for $t {
            fn dim(&self) -> usize {
                self.0.dim()
            }
            fn log_density(
                &self,
                theta: &[f64],
                grad: &mut [f64],
            ) -> Result<f64, flowpost::DensityError> {
                self.0.log_density(theta, grad)
            }
            fn param_names(&self) -> Vec<String> {
                self.0.param_names()
            }
            fn constrain(&self, theta: &[f64], out: &mut [f64]) {
                self.0.constrain(theta, out)
            }
        }
        impl crate::BuiltinModel for $t {
            fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
                self.0.unconstrain(c)
            }
            fn log_jacobian(&self, theta: &[f64]) -> f64 {
                self.0.log_jacobian(theta)
            }
        }
    };
}
pub(crate) use delegate_regression;
