//! posteriordb `arK-arK`: an AR(K) time series.

use serde::Deserialize;

use super::regression::{CoefPrior, Regression, ScalePrior, delegate_regression};
use crate::ModelError;
use crate::data::ARK;
use crate::linreg::Design;
use crate::math::indexed;

/// `alpha, beta[k] ~ normal(0, 10)`, `sigma ~ cauchy(0, 2.5)` (sigma > 0),
/// `y[t] ~ normal(alpha + Σ_k beta[k]·y[t−k], sigma)` for `t > K` (K = 5, T = 200).
/// The likelihood is a regression on the lagged series, built once. Parameters `alpha`,
/// `beta[1..K]`, `sigma`.
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::ArK::new().unwrap();
/// assert_eq!(m.dim(), 7);
/// ```
#[derive(Debug, Clone)]
pub struct ArK(Regression);

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "K")]
    k: usize,
    #[serde(rename = "T")]
    t: usize,
    y: Vec<f64>,
}

impl ArK {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let name = "arK-arK";
        let d: Data = ARK.parse(name)?;
        ARK.check_len(name, "y", d.y.len(), d.t)?;
        if d.t <= d.k {
            return Err(ARK.error(name, format!("T = {} must exceed K = {}", d.t, d.k)));
        }
        let rows = (d.k..d.t).map(|t| {
            std::iter::once(1.0)
                .chain((1..=d.k).map(|k| d.y[t - k]))
                .collect::<Vec<_>>()
        });
        let design = Design::from_rows(rows, d.y[d.k..].to_vec());
        let names = std::iter::once("alpha".to_string())
            .chain(indexed("beta", d.k))
            .chain(["sigma".to_string()])
            .collect();
        Ok(ArK(Regression {
            name,
            design,
            coef_prior: CoefPrior::Normal {
                mean: vec![0.0; d.k + 1],
                sd: vec![10.0; d.k + 1],
            },
            sigma_prior: ScalePrior::HalfCauchy(2.5),
            names,
        }))
    }
}

delegate_regression!(ArK);
