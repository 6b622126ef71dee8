//! posteriordb `earnings-logearn_interaction`.

use serde::Deserialize;

use super::regression::{CoefPrior, Regression, ScalePrior, delegate_regression};
use crate::ModelError;
use crate::data::EARNINGS;
use crate::linreg::Design;
use crate::math::indexed;

/// `log(earn) ~ normal(beta[1] + beta[2]·height + beta[3]·male + beta[4]·height·male, sigma)`,
/// all priors flat (improper), sigma > 0. N = 1192; height is not centered, so `beta[1]` and
/// `beta[2]` are strongly correlated.
///
/// ```
/// use flowpost::LogDensity;
/// assert_eq!(flowpost_models::EarningsInteraction::new().unwrap().dim(), 5);
/// ```
#[derive(Debug, Clone)]
pub struct EarningsInteraction(Regression);

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    earn: Vec<f64>,
    height: Vec<f64>,
    male: Vec<f64>,
}

impl EarningsInteraction {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let name = "earnings-logearn_interaction";
        let d: Data = EARNINGS.parse(name)?;
        for (what, v) in [("earn", &d.earn), ("height", &d.height), ("male", &d.male)] {
            EARNINGS.check_len(name, what, v.len(), d.n)?;
        }
        if let Some(i) = d.earn.iter().position(|&e| e <= 0.0) {
            return Err(EARNINGS.error(
                name,
                format!("earn[{}] must be positive (log taken)", i + 1),
            ));
        }
        let rows = (0..d.n).map(|i| vec![1.0, d.height[i], d.male[i], d.height[i] * d.male[i]]);
        let y = d.earn.iter().map(|e| e.ln()).collect();
        Ok(EarningsInteraction(Regression {
            name,
            design: Design::from_rows(rows, y),
            coef_prior: CoefPrior::Flat,
            sigma_prior: ScalePrior::Flat,
            names: indexed("beta", 4).chain(["sigma".to_string()]).collect(),
        }))
    }
}

delegate_regression!(EarningsInteraction);
