//! Per-parameter posterior summary (the `parameters` list of `summary.json`).

use rayon::prelude::*;

use super::ess::{ess_core, ess_tail_sorted, sorted};
use super::matrix::{Matrix, var};
use super::mcse::mcse_mean_m;
use super::rank::{quantile_sorted, z_scale};
use super::rhat::rhat_rank_split;
use crate::Draws;

/// Summary of one parameter's posterior draws. Serializes with exactly these field names; `NaN`
/// values (see the degenerate cases in the [module docs](super)) serialize as JSON `null`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParamSummary {
    /// Stan-style name, e.g. `theta[1]`.
    pub name: String,
    /// Posterior mean over all chains.
    #[serde(with = "nan_as_null")]
    pub mean: f64,
    /// Posterior standard deviation (`ddof = 1`).
    #[serde(with = "nan_as_null")]
    pub sd: f64,
    /// 5% quantile (type 7).
    #[serde(with = "nan_as_null")]
    pub q5: f64,
    /// Median.
    #[serde(with = "nan_as_null")]
    pub q50: f64,
    /// 95% quantile.
    #[serde(with = "nan_as_null")]
    pub q95: f64,
    /// Monte Carlo standard error of the mean.
    #[serde(with = "nan_as_null")]
    pub mcse_mean: f64,
    /// Bulk effective sample size.
    #[serde(with = "nan_as_null")]
    pub ess_bulk: f64,
    /// Tail effective sample size.
    #[serde(with = "nan_as_null")]
    pub ess_tail: f64,
    /// Rank-normalized split R-hat.
    #[serde(with = "nan_as_null")]
    pub r_hat: f64,
}

/// Summarizes one parameter given as `chains × draws`.
///
/// ```
/// use flowpost::diagnostics::summarize_param;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// let s = summarize_param("mu", &chains);
/// assert_eq!(s.name, "mu");
/// assert!((s.mean - 0.05).abs() < 1e-12);
/// ```
#[track_caller]
pub fn summarize_param<C: AsRef<[f64]>>(name: &str, chains: &[C]) -> ParamSummary {
    summarize_matrix(name, &Matrix::from_chains(chains))
}

fn summarize_matrix(name: &str, m: &Matrix) -> ParamSummary {
    let s = sorted(m);
    let has_nan = m.has_nan();
    let q = |p: f64| {
        if has_nan {
            f64::NAN
        } else {
            quantile_sorted(&s, p)
        }
    };
    // The rank-normalized split draws serve both the bulk ESS and R-hat.
    let (ess_bulk, r_hat) = if m.valid(1, 4) {
        let split = m.split();
        let z = z_scale(&split);
        let r_hat = if m.valid(2, 4) {
            rhat_rank_split(&split, &z)
        } else {
            f64::NAN
        };
        (ess_core(&z), r_hat)
    } else {
        (f64::NAN, f64::NAN)
    };
    ParamSummary {
        name: name.to_string(),
        mean: m.mean(),
        sd: var(&m.data, 1).sqrt(),
        q5: q(0.05),
        q50: q(0.5),
        q95: q(0.95),
        mcse_mean: mcse_mean_m(m),
        ess_bulk,
        ess_tail: ess_tail_sorted(m, &s),
        r_hat,
    }
}

/// Summarizes every parameter of `draws`, in order (parameters in parallel; the result does not
/// depend on the thread count).
///
/// ```
/// use flowpost::{ChainDraws, Draws, DrawStats};
/// use flowpost::diagnostics::summarize;
/// let chain = |shift: f64| ChainDraws {
///     values: (0..20).map(|i| shift + (i % 5) as f64).collect(), // 10 draws of (a, b)
///     stats: vec![DrawStats::default(); 10],
///     ..Default::default()
/// };
/// let draws = Draws::new(vec!["a".into(), "b".into()], vec![chain(0.0), chain(0.5)]).unwrap();
/// let summary = summarize(&draws);
/// assert_eq!(summary.len(), 2);
/// assert_eq!(summary[1].name, "b");
/// ```
pub fn summarize(draws: &Draws) -> Vec<ParamSummary> {
    (0..draws.num_params())
        .into_par_iter()
        .map(|i| summarize_param(&draws.param_names[i], &draws.param(i)))
        .collect()
}

/// The worst values over a run's parameters: what decides whether to trust it at a glance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extremes {
    /// Smallest bulk ESS.
    pub min_ess_bulk: f64,
    /// Smallest tail ESS.
    pub min_ess_tail: f64,
    /// Largest R-hat.
    pub max_r_hat: f64,
}

/// The [`Extremes`] of a summary. A `NaN` entry makes its extreme `NaN` (an undefined
/// diagnostic must not be hidden behind the defined ones), and so does an empty summary.
///
/// ```
/// use flowpost::diagnostics::{extremes, summarize_param};
/// let a = summarize_param("a", &[vec![0.1, -0.4, 1.2, 0.3], vec![-0.2, 0.8, -1.1, 0.0]]);
/// let b = summarize_param("b", &[vec![1.0, 2.0, 1.5, 0.5], vec![0.7, 1.2, 1.9, 0.2]]);
/// let e = extremes(&[a.clone(), b.clone()]);
/// assert_eq!(e.min_ess_bulk, a.ess_bulk.min(b.ess_bulk));
/// assert_eq!(e.max_r_hat, a.r_hat.max(b.r_hat));
/// // One chain: R-hat is undefined, and so is its maximum.
/// let one = summarize_param("c", &[vec![0.1, -0.4, 1.2, 0.3, 0.9, -1.0]]);
/// assert!(extremes(&[a, one]).max_r_hat.is_nan());
/// ```
pub fn extremes(summary: &[ParamSummary]) -> Extremes {
    let fold = |f: fn(&ParamSummary) -> f64, pick: fn(f64, f64) -> f64| {
        summary
            .iter()
            .map(f)
            .reduce(|a, b| {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    pick(a, b)
                }
            })
            .unwrap_or(f64::NAN)
    };
    Extremes {
        min_ess_bulk: fold(|p| p.ess_bulk, f64::min),
        min_ess_tail: fold(|p| p.ess_tail, f64::min),
        max_r_hat: fold(|p| p.r_hat, f64::max),
    }
}

/// `NaN` ↔ `null` (serde_json writes non-finite floats as `null` but cannot read them back).
pub(crate) mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_field_names_and_null() {
        let s = ParamSummary {
            name: "theta[1]".into(),
            mean: 1.0,
            sd: 2.0,
            q5: 0.0,
            q50: 1.0,
            q95: 2.0,
            mcse_mean: 0.1,
            ess_bulk: 100.0,
            ess_tail: 90.0,
            r_hat: f64::NAN,
        };
        let j = serde_json::to_value(&s).unwrap();
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        for k in [
            "name",
            "mean",
            "sd",
            "q5",
            "q50",
            "q95",
            "mcse_mean",
            "ess_bulk",
            "ess_tail",
            "r_hat",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
        assert!(j["r_hat"].is_null());
        let back: ParamSummary = serde_json::from_value(j).unwrap();
        assert!(back.r_hat.is_nan() && back.ess_tail == 90.0);
    }
}
