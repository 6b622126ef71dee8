//! posteriordb `diamonds-diamonds`: a badly conditioned brms regression.

use flowpost::transforms::LowerBound;
use flowpost::{DensityError, LogDensity};
use serde::Deserialize;

use crate::data::DIAMONDS;
use crate::linreg::Design;
use crate::math::{check_len, indexed, normal, student_t};
use crate::{BuiltinModel, ModelError};

/// `b ~ normal(0, 1)`, `Intercept ~ student_t(3, 8, 10)`, `sigma ~ student_t(3, 0, 10)`
/// (sigma > 0), `Y ~ normal(Intercept + Xc·b, sigma)` with `Xc` the design's non-intercept
/// columns centered (Stan's `transformed data`), precomputed once in a flat row-major buffer:
/// one pass over the 5000 × 24 design per gradient. Parameters `b[1..24]`, `Intercept`,
/// `sigma`.
///
/// ```
/// use flowpost::LogDensity;
/// assert_eq!(flowpost_models::Diamonds::new().unwrap().dim(), 26);
/// ```
#[derive(Debug, Clone)]
pub struct Diamonds {
    design: Design,
    kc: usize,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    #[serde(rename = "Y")]
    y: Vec<f64>,
    #[serde(rename = "K")]
    k: usize,
    #[serde(rename = "X")]
    x: Vec<Vec<f64>>,
    prior_only: i64,
}

const NAME: &str = "diamonds-diamonds";
const SIGMA: LowerBound = LowerBound { lower: 0.0 };

impl Diamonds {
    /// Loads the embedded data and centers the design.
    pub fn new() -> Result<Self, ModelError> {
        let d: Data = DIAMONDS.parse(NAME)?;
        DIAMONDS.check_len(NAME, "Y", d.y.len(), d.n)?;
        DIAMONDS.check_len(NAME, "X", d.x.len(), d.n)?;
        if d.k < 2 {
            return Err(DIAMONDS.error(NAME, "K must be at least 2"));
        }
        if d.prior_only != 0 {
            return Err(DIAMONDS.error(NAME, "prior_only = 1 is not supported"));
        }
        for (i, row) in d.x.iter().enumerate() {
            DIAMONDS.check_len(NAME, &format!("X[{}]", i + 1), row.len(), d.k)?;
        }
        let kc = d.k - 1;
        let means: Vec<f64> = (1..d.k)
            .map(|c| d.x.iter().map(|r| r[c]).sum::<f64>() / d.n as f64)
            .collect();
        let rows =
            d.x.iter()
                .map(|r| (1..d.k).map(|c| r[c] - means[c - 1]).collect::<Vec<_>>());
        Ok(Diamonds {
            design: Design::from_rows(rows, d.y),
            kc,
        })
    }
}

impl LogDensity for Diamonds {
    fn dim(&self) -> usize {
        self.kc + 2
    }

    #[track_caller]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let kc = self.kc;
        check_len(NAME, "theta", theta.len(), kc + 2);
        check_len(NAME, "grad", grad.len(), kc + 2);
        let (b, intercept) = (&theta[..kc], theta[kc]);
        let mut lp = 0.0;
        for k in 0..kc {
            let (v, d) = normal(b[k], 0.0, 1.0);
            lp += v;
            grad[k] = d;
        }
        let (v_int, d_int) = student_t(intercept, 3.0, 8.0, 10.0);
        let s = SIGMA.constrain_with_derivatives(theta[kc + 1]);
        let (v_sig, d_sig) = student_t(s.value, 3.0, 0.0, 10.0);
        let lik = self
            .design
            .gaussian_loglik(b, intercept, theta[kc + 1], &mut grad[..kc]);
        grad[kc] = d_int + lik.d_offset;
        grad[kc + 1] = lik.d_log_sigma + d_sig * s.dvalue + s.dlog_jacobian;
        Ok(lp + v_int + v_sig + lik.value + s.log_jacobian)
    }

    fn param_names(&self) -> Vec<String> {
        indexed("b", self.kc)
            .chain(["Intercept".to_string(), "sigma".to_string()])
            .collect()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        let kc = self.kc;
        out[..=kc].copy_from_slice(&theta[..=kc]);
        out[kc + 1] = theta[kc + 1].exp();
    }
}

impl BuiltinModel for Diamonds {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        check_len(NAME, "constrained", c.len(), self.kc + 2);
        let mut u = c.to_vec();
        u[self.kc + 1] = SIGMA.unconstrain(c[self.kc + 1]);
        u
    }
    fn log_jacobian(&self, theta: &[f64]) -> f64 {
        theta[self.kc + 1]
    }
}
