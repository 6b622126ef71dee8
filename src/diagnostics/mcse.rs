//! Monte Carlo standard errors of the mean, the standard deviation and quantiles
//! (Vehtari et al. 2021, §4.4 and appendix A).

use statrs::distribution::{Beta, ContinuousCDF};

use super::ess::{ess_mean_m, ess_quantile_sorted, sorted};
use super::matrix::{Matrix, mean, var};

pub(crate) fn mcse_mean_m(m: &Matrix) -> f64 {
    if !m.valid(1, 4) {
        return f64::NAN;
    }
    (var(&m.data, 1) / ess_mean_m(m)).sqrt()
}

/// MCSE of the mean: `sd / sqrt(ESS_mean)`, with `sd` over all draws (`ddof = 1`). `0` for
/// constant draws; `NaN` in the cases of the [module docs](super).
///
/// ```
/// use flowpost::diagnostics::mcse_mean;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// assert!(mcse_mean(&chains) > 0.0);
/// ```
#[track_caller]
pub fn mcse_mean<C: AsRef<[f64]>>(chains: &[C]) -> f64 {
    mcse_mean_m(&Matrix::from_chains(chains))
}

/// MCSE of the standard deviation by the delta method, as ArviZ 0.23: with `s² = (θ − θ̄)²`,
/// `Var(s̄²) ≈ (mean(s⁴) − mean(s²)²) / ESS_mean(s²)` and `mcse_sd = sqrt(Var(s̄²) / (4 mean(s²)))`.
/// `NaN` for constant draws (0/0) and in the cases of the [module docs](super).
///
/// ```
/// use flowpost::diagnostics::mcse_sd;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// assert!(mcse_sd(&chains) > 0.0);
/// ```
#[track_caller]
pub fn mcse_sd<C: AsRef<[f64]>>(chains: &[C]) -> f64 {
    let m = Matrix::from_chains(chains);
    if !m.valid(1, 4) {
        return f64::NAN;
    }
    let mu = m.mean();
    let s2 = m.map(|v| (v - mu) * (v - mu));
    let ess = ess_mean_m(&s2);
    let evar = s2.mean();
    let s4 = mean(&s2.data.iter().map(|v| v * v).collect::<Vec<_>>());
    let varvar = (s4 - evar * evar) / ess;
    (varvar / evar / 4.0).sqrt()
}

pub(crate) fn mcse_quantile_sorted(m: &Matrix, sorted: &[f64], p: f64) -> f64 {
    if !m.valid(1, 4) {
        return f64::NAN;
    }
    let ess = ess_quantile_sorted(m, sorted, p);
    let size = sorted.len();
    let ppf = |prob: f64| match Beta::new(ess * p + 1.0, ess * (1.0 - p) + 1.0) {
        Ok(b) => beta_ppf(&b, prob),
        Err(_) => f64::NAN,
    };
    let lo = ppf(0.158_655_3) * size as f64 - 1.0;
    let hi = ppf(0.841_344_7) * size as f64 - 1.0;
    // numpy's nanmax / nanmin: a NaN bound falls back to the other argument.
    let lo = if lo.is_nan() { 0.0 } else { lo.max(0.0) };
    let hi = if hi.is_nan() {
        (size - 1) as f64
    } else {
        hi.min((size - 1) as f64)
    };
    let th1 = sorted[lo.floor() as usize];
    let th2 = sorted[hi.ceil() as usize];
    (th2 - th1) / 2.0
}

/// Beta quantile, statrs's estimate polished by Newton steps on the regularized incomplete beta
/// function so that it is accurate to ~1e-14 (the MCSE takes floor/ceil of `ppf × S`).
fn beta_ppf(b: &Beta, prob: f64) -> f64 {
    use statrs::distribution::Continuous;
    let mut x = b.inverse_cdf(prob);
    for _ in 0..3 {
        let d = b.pdf(x);
        if !(d.is_finite() && d > 0.0) {
            break;
        }
        let step = (b.cdf(x) - prob) / d;
        let next = (x - step).clamp(0.0, 1.0);
        if !next.is_finite() {
            break;
        }
        x = next;
    }
    x
}

/// MCSE of the `p`-quantile (Vehtari et al. 2021, appendix A): half the distance between the
/// order statistics at the ±1 sd quantiles of `Beta(ESS_q·p + 1, ESS_q·(1 − p) + 1)`. `0` when
/// those order statistics coincide (e.g. heavily tied draws).
///
/// ```
/// use flowpost::diagnostics::mcse_quantile;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// assert!(mcse_quantile(&chains, 0.5) >= 0.0);
/// ```
#[track_caller]
pub fn mcse_quantile<C: AsRef<[f64]>>(chains: &[C], p: f64) -> f64 {
    let m = Matrix::from_chains(chains);
    let s = sorted(&m);
    mcse_quantile_sorted(&m, &s, p)
}
