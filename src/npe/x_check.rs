//! Does the observation x_o lie where the training simulations were? An estimator only learned
//! q(θ | x) for x like those it was trained on; far outside, its flow extrapolates and the
//! posterior can be confidently wrong.
//!
//! A feature k of x_o is flagged when
//! - it lies outside the training range [min_k, max_k] of the simulations' x (when the
//!   simulations are at hand, as in `npe run`), or
//! - its z-score against the estimator's stored training statistics (mean and standard
//!   deviation of the preprocessed training x, so `log1p` applies) exceeds
//!   [`X_O_Z_MAX`] = 5 in absolute value, which needs only the estimator (`npe sample`).
//!   A Gaussian feature lies beyond 5 sd with probability 6 · 10⁻⁷: ten thousand simulations
//!   essentially never reach it.
//!
//! Per feature rather than Mahalanobis: it names the feature, needs no covariance (the
//! estimator stores none), and the training range is the support the flow saw. Joint outliers
//! inside every marginal range are not caught.

use super::{NpeError, NpeEstimator, Simulations};

/// |z| beyond which a feature of x_o is flagged.
pub const X_O_Z_MAX: f64 = 5.0;

/// One flagged feature of x_o.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct XoOutside {
    /// Feature index (0-based).
    pub index: usize,
    /// Its column name (`x{index+1}` when the estimator has none).
    pub name: String,
    /// x_o's value.
    pub value: f64,
    /// Its z-score against the training statistics.
    pub z: f64,
    /// The training range, when known.
    pub training_range: Option<(f64, f64)>,
}

impl XoOutside {
    /// One line for the terminal and the report.
    pub fn message(&self) -> String {
        let range = match self.training_range {
            Some((lo, hi)) if self.value < lo || self.value > hi => {
                format!("outside the training range [{lo:.4}, {hi:.4}]")
            }
            Some((lo, hi)) => format!("inside the training range [{lo:.4}, {hi:.4}]"),
            None => "training range not known".into(),
        };
        format!(
            "x_o feature `{}` = {} lies where the training simulations did not go: z-score {:.1} against the training x, {range}; the posterior there is the flow's extrapolation",
            self.name, self.value, self.z
        )
    }
}

/// Per-feature [min, max] of the finite rows' x (`None` for a feature with no finite row).
pub fn training_x_ranges(sims: &Simulations) -> Vec<Option<(f64, f64)>> {
    (0..sims.x_dim())
        .map(|k| {
            let (lo, hi) = (0..sims.len())
                .filter(|&i| sims.theta(i).iter().chain(sims.x(i)).all(|v| v.is_finite()))
                .map(|i| sims.x(i)[k])
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            (lo <= hi).then_some((lo, hi))
        })
        .collect()
}

/// The flagged features of `x_o` (empty: x_o is like the training x); `ranges` from
/// [`training_x_ranges`] when the simulations are at hand. Errors on a wrong-length or
/// non-finite x_o, or one the estimator's x transform cannot take.
pub fn check_x_o(
    est: &NpeEstimator,
    x_o: &[f64],
    ranges: Option<&[Option<(f64, f64)>]>,
) -> Result<Vec<XoOutside>, NpeError> {
    let dx = est.x_dim();
    super::error::dim_check("observation x_o", dx, x_o.len())?;
    super::error::finite_check("observation x_o", x_o)?;
    let mut t = vec![0.0; dx];
    est.x_transform()
        .apply(x_o, &mut t)
        .map_err(|(k, reason)| NpeError::Settings {
            field: "x_o",
            reason: format!("feature {}: {reason}", k + 1),
        })?;
    let (_, xz) = est.standardizers();
    let name = |k: usize| {
        est.x_labels()
            .and_then(|l| l.get(k).cloned())
            .unwrap_or_else(|| format!("x{}", k + 1))
    };
    Ok((0..dx)
        .filter_map(|k| {
            let z = (t[k] - xz.mean[k]) / xz.std[k];
            let range = ranges.and_then(|r| r.get(k).copied().flatten());
            let outside = range.is_some_and(|(lo, hi)| x_o[k] < lo || x_o[k] > hi);
            (outside || z.abs() > X_O_Z_MAX).then(|| XoOutside {
                index: k,
                name: name(k),
                value: x_o[k],
                z,
                training_range: range,
            })
        })
        .collect())
}
