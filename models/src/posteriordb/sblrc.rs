//! posteriordb `sblrc-blr`: a synthetic Bayesian linear regression.

use serde::Deserialize;

use super::regression::{CoefPrior, Regression, ScalePrior, delegate_regression};
use crate::ModelError;
use crate::data::SBLRC;
use crate::linreg::Design;
use crate::math::indexed;

/// `beta ~ normal(0, 10)`, `sigma ~ normal(0, 10)` (sigma > 0), `y ~ normal(X·beta, sigma)`.
/// N = 100, D = 5, correlated columns.
///
/// ```
/// use flowpost::LogDensity;
/// assert_eq!(flowpost_models::Sblrc::new().unwrap().dim(), 6);
/// ```
#[derive(Debug, Clone)]
pub struct Sblrc(Regression);

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    #[serde(rename = "D")]
    d: usize,
    #[serde(rename = "X")]
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
}

impl Sblrc {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let name = "sblrc-blr";
        let d: Data = SBLRC.parse(name)?;
        SBLRC.check_len(name, "X", d.x.len(), d.n)?;
        SBLRC.check_len(name, "y", d.y.len(), d.n)?;
        for (i, row) in d.x.iter().enumerate() {
            SBLRC.check_len(name, &format!("X[{}]", i + 1), row.len(), d.d)?;
        }
        Ok(Sblrc(Regression {
            name,
            design: Design::from_rows(d.x, d.y),
            coef_prior: CoefPrior::Normal {
                mean: vec![0.0; d.d],
                sd: vec![10.0; d.d],
            },
            sigma_prior: ScalePrior::HalfNormal(10.0),
            names: indexed("beta", d.d).chain(["sigma".to_string()]).collect(),
        }))
    }
}

delegate_regression!(Sblrc);
