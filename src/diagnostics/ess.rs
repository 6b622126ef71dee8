//! Effective sample sizes: bulk, tail, mean, sd and quantile ESS (Vehtari et al. 2021, §3).
//!
//! All are split-chain estimates with Geyer's initial monotone sequence applied to the
//! multi-chain autocorrelation (Stan's and ArviZ's estimator). Degenerate cases are listed in the
//! [module docs](super).

use super::autocov::autocov;
use super::matrix::{Matrix, py_min, var};
use super::rank::{quantile_sorted, z_scale};

/// ArviZ's `_ess` on an already split (or otherwise prepared) matrix.
pub(crate) fn ess_core(m: &Matrix) -> f64 {
    if m.has_nan() || m.len() == 0 {
        return f64::NAN;
    }
    let (min, max) = m
        .data
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    // numpy's finfo(float).resolution: below it the draws count as constant.
    if max - min < 1e-15 {
        return m.len() as f64;
    }
    let (n_chain, n_draw) = (m.rows, m.cols);
    if n_draw < 2 {
        return f64::NAN;
    }
    let nd = n_draw as f64;
    let acov = autocov(m);
    let mean_lag =
        |t: usize| (0..n_chain).map(|c| acov[c * n_draw + t]).sum::<f64>() / n_chain as f64;
    let chain_mean: Vec<f64> = (0..n_chain)
        .map(|c| super::matrix::mean(m.row(c)))
        .collect();
    let mean_var = mean_lag(0) * nd / (nd - 1.0);
    let mut var_plus = mean_var * (nd - 1.0) / nd;
    if n_chain > 1 {
        var_plus += var(&chain_mean, 1);
    }
    let rho = |t: usize| 1.0 - (mean_var - mean_lag(t)) / var_plus;

    let mut rho_hat = vec![0.0; n_draw];
    let mut rho_even = 1.0;
    rho_hat[0] = rho_even;
    let mut rho_odd = rho(1);
    rho_hat[1] = rho_odd;

    // Geyer's initial positive sequence.
    let mut t: isize = 1;
    while t < n_draw as isize - 3 && (rho_even + rho_odd) > 0.0 {
        let tu = t as usize;
        rho_even = rho(tu + 1);
        rho_odd = rho(tu + 2);
        if rho_even + rho_odd >= 0.0 {
            rho_hat[tu + 1] = rho_even;
            rho_hat[tu + 2] = rho_odd;
        }
        t += 2;
    }
    let max_t = t - 2;
    if rho_even > 0.0 {
        rho_hat[(max_t + 1) as usize] = rho_even;
    }
    // Geyer's initial monotone sequence.
    let mut t: isize = 1;
    while t <= max_t - 2 {
        let tu = t as usize;
        if rho_hat[tu + 1] + rho_hat[tu + 2] > rho_hat[tu - 1] + rho_hat[tu] {
            rho_hat[tu + 1] = (rho_hat[tu - 1] + rho_hat[tu]) / 2.0;
            rho_hat[tu + 2] = rho_hat[tu + 1];
        }
        t += 2;
    }
    let total = (n_chain * n_draw) as f64;
    let head: f64 = rho_hat[..(max_t + 1).max(0) as usize].iter().sum();
    let lo = (max_t + 1) as usize;
    let next: f64 = rho_hat[lo..(lo + 1).min(n_draw)].iter().sum();
    let tau = (-1.0 + 2.0 * head + next).max(1.0 / total.log10());
    if rho_hat.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    total / tau
}

pub(crate) fn ess_bulk_m(m: &Matrix) -> f64 {
    if !m.valid(1, 4) {
        return f64::NAN;
    }
    ess_core(&z_scale(&m.split()))
}

pub(crate) fn ess_mean_m(m: &Matrix) -> f64 {
    if !m.valid(1, 4) {
        return f64::NAN;
    }
    ess_core(&m.split())
}

pub(crate) fn ess_sd_m(m: &Matrix) -> f64 {
    if !m.valid(1, 4) {
        return f64::NAN;
    }
    let mu = m.mean();
    ess_core(&m.map(|v| (v - mu) * (v - mu)).split())
}

/// Quantile ESS given the draws sorted ascending (to share one sort between callers).
pub(crate) fn ess_quantile_sorted(m: &Matrix, sorted: &[f64], p: f64) -> f64 {
    if !m.valid(1, 4) {
        return f64::NAN;
    }
    let q = quantile_sorted(sorted, p);
    ess_core(&m.map(|v| if v <= q { 1.0 } else { 0.0 }).split())
}

pub(crate) fn ess_tail_sorted(m: &Matrix, sorted: &[f64]) -> f64 {
    if !m.valid(1, 4) {
        return f64::NAN;
    }
    py_min(
        ess_quantile_sorted(m, sorted, 0.05),
        ess_quantile_sorted(m, sorted, 0.95),
    )
}

pub(crate) fn sorted(m: &Matrix) -> Vec<f64> {
    let mut s = m.data.clone();
    s.sort_by(f64::total_cmp);
    s
}

/// Bulk ESS: split-chain ESS of the rank-normalized draws (Vehtari et al. 2021, §4.2).
///
/// ```
/// use flowpost::diagnostics::ess_bulk;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// assert!(ess_bulk(&chains) > 0.0);
/// ```
#[track_caller]
pub fn ess_bulk<C: AsRef<[f64]>>(chains: &[C]) -> f64 {
    ess_bulk_m(&Matrix::from_chains(chains))
}

/// Tail ESS: the smaller of the 5% and 95% quantile ESS (Vehtari et al. 2021, §4.3).
///
/// ```
/// use flowpost::diagnostics::ess_tail;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// assert!(ess_tail(&chains) > 0.0);
/// ```
#[track_caller]
pub fn ess_tail<C: AsRef<[f64]>>(chains: &[C]) -> f64 {
    let m = Matrix::from_chains(chains);
    let s = sorted(&m);
    ess_tail_sorted(&m, &s)
}

/// ESS of the mean: split-chain ESS of the raw draws.
///
/// ```
/// use flowpost::diagnostics::ess_mean;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// assert!(ess_mean(&chains) > 0.0);
/// ```
#[track_caller]
pub fn ess_mean<C: AsRef<[f64]>>(chains: &[C]) -> f64 {
    ess_mean_m(&Matrix::from_chains(chains))
}

/// ESS of the standard deviation: split-chain ESS of the squared deviations from the mean
/// (ArviZ 0.23's definition).
///
/// ```
/// use flowpost::diagnostics::ess_sd;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// assert!(ess_sd(&chains) > 0.0);
/// ```
#[track_caller]
pub fn ess_sd<C: AsRef<[f64]>>(chains: &[C]) -> f64 {
    ess_sd_m(&Matrix::from_chains(chains))
}

/// ESS of the `p`-quantile: split-chain ESS of the indicator `draw ≤ q̂_p`, with `q̂_p` the type-7
/// sample quantile of all draws.
///
/// ```
/// use flowpost::diagnostics::ess_quantile;
/// let chains = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// assert!(ess_quantile(&chains, 0.05) > 0.0);
/// ```
#[track_caller]
pub fn ess_quantile<C: AsRef<[f64]>>(chains: &[C], p: f64) -> f64 {
    let m = Matrix::from_chains(chains);
    let s = sorted(&m);
    ess_quantile_sorted(&m, &s, p)
}
