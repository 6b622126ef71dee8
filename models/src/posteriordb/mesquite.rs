//! posteriordb `mesquite-logmesquite_logvas`.

use serde::Deserialize;

use super::regression::{CoefPrior, Regression, ScalePrior, delegate_regression};
use crate::ModelError;
use crate::data::MESQUITE;
use crate::linreg::Design;
use crate::math::indexed;

/// `log(weight) ~ normal(beta[1] + beta[2]·log(diam1·diam2·canopy_height)
/// + beta[3]·log(diam1·diam2) + beta[4]·log(diam1/diam2) + beta[5]·log(total_height)
/// + beta[6]·log(density) + beta[7]·group, sigma)`, flat priors, sigma > 0. N = 46.
///
/// ```
/// use flowpost::LogDensity;
/// assert_eq!(flowpost_models::LogmesquiteLogvas::new().unwrap().dim(), 8);
/// ```
#[derive(Debug, Clone)]
pub struct LogmesquiteLogvas(Regression);

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    weight: Vec<f64>,
    diam1: Vec<f64>,
    diam2: Vec<f64>,
    canopy_height: Vec<f64>,
    total_height: Vec<f64>,
    density: Vec<f64>,
    group: Vec<f64>,
}

impl LogmesquiteLogvas {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let name = "mesquite-logmesquite_logvas";
        let d: Data = MESQUITE.parse(name)?;
        let columns = [
            ("weight", &d.weight),
            ("diam1", &d.diam1),
            ("diam2", &d.diam2),
            ("canopy_height", &d.canopy_height),
            ("total_height", &d.total_height),
            ("density", &d.density),
            ("group", &d.group),
        ];
        for (what, v) in columns {
            MESQUITE.check_len(name, what, v.len(), d.n)?;
            if what != "group" && v.iter().any(|&x| x <= 0.0) {
                return Err(MESQUITE.error(name, format!("`{what}` must be positive (log taken)")));
            }
        }
        let rows = (0..d.n).map(|i| {
            let (d1, d2) = (d.diam1[i], d.diam2[i]);
            vec![
                1.0,
                (d1 * d2 * d.canopy_height[i]).ln(),
                (d1 * d2).ln(),
                (d1 / d2).ln(),
                d.total_height[i].ln(),
                d.density[i].ln(),
                d.group[i],
            ]
        });
        let y = d.weight.iter().map(|w| w.ln()).collect();
        Ok(LogmesquiteLogvas(Regression {
            name,
            design: Design::from_rows(rows, y),
            coef_prior: CoefPrior::Flat,
            sigma_prior: ScalePrior::Flat,
            names: indexed("beta", 7).chain(["sigma".to_string()]).collect(),
        }))
    }
}

delegate_regression!(LogmesquiteLogvas);
