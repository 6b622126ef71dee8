//! posteriordb `kidiq-kidscore_interaction`.

use serde::Deserialize;

use super::regression::{CoefPrior, Regression, ScalePrior, delegate_regression};
use crate::ModelError;
use crate::data::KIDIQ;
use crate::linreg::Design;
use crate::math::indexed;

/// `kid_score ~ normal(beta[1] + beta[2]·mom_hs + beta[3]·mom_iq + beta[4]·mom_hs·mom_iq,
/// sigma)`, flat prior on beta, `sigma ~ cauchy(0, 2.5)` (sigma > 0). N = 434; mom_iq is not
/// centered (mean ≈ 100).
///
/// ```
/// use flowpost::LogDensity;
/// assert_eq!(flowpost_models::KidscoreInteraction::new().unwrap().dim(), 5);
/// ```
#[derive(Debug, Clone)]
pub struct KidscoreInteraction(Regression);

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    kid_score: Vec<f64>,
    mom_iq: Vec<f64>,
    mom_hs: Vec<f64>,
}

impl KidscoreInteraction {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let name = "kidiq-kidscore_interaction";
        let d: Data = KIDIQ.parse(name)?;
        for (what, v) in [
            ("kid_score", &d.kid_score),
            ("mom_iq", &d.mom_iq),
            ("mom_hs", &d.mom_hs),
        ] {
            KIDIQ.check_len(name, what, v.len(), d.n)?;
        }
        let rows = (0..d.n).map(|i| vec![1.0, d.mom_hs[i], d.mom_iq[i], d.mom_hs[i] * d.mom_iq[i]]);
        Ok(KidscoreInteraction(Regression {
            name,
            design: Design::from_rows(rows, d.kid_score),
            coef_prior: CoefPrior::Flat,
            sigma_prior: ScalePrior::HalfCauchy(2.5),
            names: indexed("beta", 4).chain(["sigma".to_string()]).collect(),
        }))
    }
}

delegate_regression!(KidscoreInteraction);
