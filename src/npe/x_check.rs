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
//! For a neural likelihood ([`check_nle_x_o`]) the same z-score test runs on every iid trial of
//! x_o against the training x that the likelihood flow modelled: there log q(x | θ) is the
//! flow's extrapolation, summed into the posterior.
//!
//! Per feature rather than Mahalanobis: it names the feature, needs no covariance (the
//! estimator stores none), and the training range is the support the flow saw. Joint outliers
//! inside every marginal range are not caught.

use super::{NleEstimator, NpeError, NpeEstimator, Simulations};

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

/// Feature k's column name, `x{k+1}` when the estimator has none.
fn feature_name(labels: Option<&[String]>, k: usize) -> String {
    labels
        .and_then(|l| l.get(k).cloned())
        .unwrap_or_else(|| format!("x{}", k + 1))
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
    let name = |k: usize| feature_name(est.x_labels(), k);
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

/// The flagged features of an NLE observation `xs` (iid trials, row-major, `x_dim` values
/// each): per feature, the trial with the largest |z| against the training x's mean and
/// standard deviation, flagged when it exceeds [`X_O_Z_MAX`] (`training_range` is `None`: the
/// estimator keeps no ranges). Errors as [`NleDensity::new`](super::NleDensity::new) does on
/// a wrong length or a non-finite value.
///
/// ```
/// use flowpost::npe::{IndependentPrior, Marginal, NpeSettings, Simulations, check_nle_x_o, train_nle};
/// // x = θ + noise, x's training sd about 1.4: 30 is far outside, 0.5 is not.
/// let theta: Vec<f64> = (0..400).map(|i| ((i * 37) % 100) as f64 / 50.0 - 1.0).collect();
/// let x: Vec<f64> = theta.iter().enumerate().map(|(i, t)| t + ((i * 53) % 17) as f64 / 17.0 - 0.5).collect();
/// let sims = Simulations::new(1, 1, theta, x).unwrap();
/// let prior = IndependentPrior::new(vec![Marginal::Normal { mean: 0.0, sd: 1.0 }]).unwrap();
/// let mut settings = NpeSettings { max_epochs: 1, ..NpeSettings::nle_default() };
/// settings.flow.hidden = vec![4];
/// let (est, _) = train_nle(&sims, &prior, &settings, &flowpost::progress::NoProgress).unwrap();
/// assert!(check_nle_x_o(&est, &[0.5, -0.2]).unwrap().is_empty());
/// let far = check_nle_x_o(&est, &[0.5, 30.0]).unwrap();
/// assert_eq!((far.len(), far[0].value), (1, 30.0));
/// ```
pub fn check_nle_x_o(est: &NleEstimator, xs: &[f64]) -> Result<Vec<XoOutside>, NpeError> {
    let num_trials = est.check_trials(xs)?;
    let dx = est.x_dim();
    // The likelihood flow's "θ" is x, on ℝ^dx and z-scored by its first standardizer.
    let (xz, _) = est.flow_estimator().standardizers();
    let name = |k: usize| feature_name(est.x_labels(), k);
    Ok((0..dx)
        .filter_map(|k| {
            let (value, z) = (0..num_trials)
                .map(|t| {
                    let v = xs[t * dx + k];
                    (v, (v - xz.mean[k]) / xz.std[k])
                })
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
            (z.abs() > X_O_Z_MAX).then(|| XoOutside {
                index: k,
                name: name(k),
                value,
                z,
                training_range: None,
            })
        })
        .collect())
}
