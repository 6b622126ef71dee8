//! posteriordb `kilpisjarvi_mod-kilpisjarvi`.

use serde::Deserialize;

use super::regression::{CoefPrior, Regression, ScalePrior, delegate_regression};
use crate::ModelError;
use crate::data::KILPISJARVI;
use crate::linreg::Design;

/// `alpha ~ normal(pmualpha, psalpha)`, `beta ~ normal(pmubeta, psbeta)` (from the data),
/// flat prior on sigma > 0, `y ~ normal(alpha + beta·x, sigma)`. N = 62; x (years + 2000) is
/// not centered, so `corr(alpha, beta) ≈ −0.99999`.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::Kilpisjarvi::new().unwrap();
/// assert_eq!(m.param_names(), ["alpha", "beta", "sigma"]);
/// ```
#[derive(Debug, Clone)]
pub struct Kilpisjarvi(Regression);

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    pmualpha: f64,
    psalpha: f64,
    pmubeta: f64,
    psbeta: f64,
}

impl Kilpisjarvi {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let name = "kilpisjarvi_mod-kilpisjarvi";
        let d: Data = KILPISJARVI.parse(name)?;
        KILPISJARVI.check_len(name, "x", d.x.len(), d.n)?;
        KILPISJARVI.check_len(name, "y", d.y.len(), d.n)?;
        if !(d.psalpha > 0.0 && d.psbeta > 0.0) {
            return Err(KILPISJARVI.error(name, "prior scales psalpha and psbeta must be positive"));
        }
        let rows = d.x.iter().map(|&x| vec![1.0, x]);
        Ok(Kilpisjarvi(Regression {
            name,
            design: Design::from_rows(rows, d.y),
            coef_prior: CoefPrior::Normal {
                mean: vec![d.pmualpha, d.pmubeta],
                sd: vec![d.psalpha, d.psbeta],
            },
            sigma_prior: ScalePrior::Flat,
            names: ["alpha", "beta", "sigma"].map(String::from).to_vec(),
        }))
    }
}

delegate_regression!(Kilpisjarvi);
