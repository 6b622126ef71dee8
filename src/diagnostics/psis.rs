//! Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao, Gabry 2024, JMLR 25(72)),
//! computed exactly as ArviZ 0.23's `psislw`.

/// Result of [`psis`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PsisResult {
    /// Estimated shape `k̂` of the generalized Pareto distribution fitted to the largest
    /// importance ratios. `k̂ < 0.5`: reliable; `k̂ <` [`pareto_k_threshold`]`(S)` (≤ 0.7): usable;
    /// above: the importance weights (and the proposal they judge) cannot be trusted.
    /// `+∞` when the tail has 4 or fewer draws above the cutoff (no fit possible: fewer than ~25
    /// draws, or log-ratios that are constant in the tail), `NaN` for `NaN` or `+∞` input.
    pub k_hat: f64,
    /// Smoothed log-weights, normalized so that `Σ exp(log_weights) = 1`, in input order.
    pub log_weights: Vec<f64>,
    /// Number of tail draws the Pareto fit used (`0` when none were above the cutoff).
    pub tail_len: usize,
    /// Effective sample size of the smoothed weights, `1 / Σ w²`.
    pub ess: f64,
}

impl PsisResult {
    /// Whether `k̂` is below the sample-size dependent threshold of Vehtari et al. (2024).
    pub fn is_reliable(&self) -> bool {
        self.k_hat < pareto_k_threshold(self.log_weights.len())
    }
}

/// The `k̂` threshold below which PSIS with `num_draws` draws is reliable:
/// `min(1 − 1/log10(S), 0.7)` (Vehtari et al. 2024, §3.2.4).
///
/// ```
/// use flowpost::diagnostics::pareto_k_threshold;
/// assert_eq!(pareto_k_threshold(4000), 0.7);
/// assert!((pareto_k_threshold(100) - 0.5).abs() < 1e-12);
/// ```
pub fn pareto_k_threshold(num_draws: usize) -> f64 {
    (1.0 - 1.0 / (num_draws as f64).log10()).min(0.7)
}

/// PSIS of the log importance ratios `log p(θ_s) − log q(θ_s)` of independent draws `θ_s ~ q`
/// (relative efficiency 1): fits a generalized Pareto distribution to the largest
/// `M = ⌈min(S/5, 3√S)⌉` ratios, replaces them by the fitted distribution's expected order
/// statistics (capped at the largest raw weight) and normalizes.
///
/// Degenerate input: empty → `k̂ = NaN`, no weights; any `NaN` or `+∞` → `k̂ = NaN` and all
/// weights `NaN`; `−∞` ratios are fine (zero weight); fewer than ~25 draws or a constant tail →
/// `k̂ = +∞` with unsmoothed, normalized weights (so constant log-ratios — `q` equal to `p` —
/// give uniform weights and `k̂ = +∞`, as ArviZ: the tail carries no information to fit).
///
/// ```
/// use flowpost::diagnostics::psis;
/// // q = N(0, 1), p = N(0, 2²): ratios grow in the tails but stay bounded enough.
/// let z: Vec<f64> = (1..=1000).map(|i| {
///     let u = (i as f64 - 0.5) / 1000.0;
///     // crude normal quantile via the logistic approximation
///     (u / (1.0 - u)).ln() / 1.702
/// }).collect();
/// let log_ratios: Vec<f64> = z.iter().map(|x| -x * x / 8.0 - 2f64.ln() + x * x / 2.0).collect();
/// let r = psis(&log_ratios);
/// let total: f64 = r.log_weights.iter().map(|w| w.exp()).sum();
/// assert!((total - 1.0).abs() < 1e-12);
/// assert!(r.k_hat.is_finite());
/// ```
pub fn psis(log_ratios: &[f64]) -> PsisResult {
    psis_with_reff(log_ratios, 1.0)
}

/// [`psis`] for draws with relative efficiency `r_eff = ESS / S` (MCMC draws); the tail length
/// becomes `⌈min(S/5, 3√(S/r_eff))⌉`.
pub fn psis_with_reff(log_ratios: &[f64], r_eff: f64) -> PsisResult {
    let n = log_ratios.len();
    if n == 0 {
        return PsisResult {
            k_hat: f64::NAN,
            log_weights: vec![],
            tail_len: 0,
            ess: f64::NAN,
        };
    }
    if log_ratios.iter().any(|v| v.is_nan() || *v == f64::INFINITY) {
        return PsisResult {
            k_hat: f64::NAN,
            log_weights: vec![f64::NAN; n],
            tail_len: 0,
            ess: f64::NAN,
        };
    }
    let nf = n as f64;
    let num_tail_max = (nf / 5.0).min(3.0 * (nf / r_eff).sqrt()).ceil() as usize;
    let max_x = log_ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut x: Vec<f64> = log_ratios.iter().map(|v| v - max_x).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let cutoff_pos = n.saturating_sub(num_tail_max + 1);
    let xcutoff = x[order[cutoff_pos]].max(f64::MIN_POSITIVE.ln());
    let expxcutoff = xcutoff.exp();
    let tail: Vec<usize> = order.iter().copied().filter(|&i| x[i] > xcutoff).collect();
    let tail_len = tail.len();
    let k_hat = if tail_len <= 4 {
        f64::INFINITY
    } else {
        // `tail` is already in ascending order of x.
        let vals: Vec<f64> = tail.iter().map(|&i| x[i].exp() - expxcutoff).collect();
        let (k, sigma) = gpd_fit(&vals);
        if k.is_finite() {
            for (j, &i) in tail.iter().enumerate() {
                let p = (j as f64 + 0.5) / tail_len as f64;
                x[i] = (gpd_inv(p, k, sigma) + expxcutoff).ln();
            }
            for v in x.iter_mut() {
                if *v > 0.0 {
                    *v = 0.0;
                }
            }
        }
        k
    };
    let lse = log_sum_exp(&x);
    for v in x.iter_mut() {
        *v -= lse;
    }
    let ess = 1.0 / x.iter().map(|w| (2.0 * w).exp()).sum::<f64>();
    PsisResult {
        k_hat,
        log_weights: x,
        tail_len,
        ess,
    }
}

fn log_sum_exp(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// Empirical-Bayes estimate of the generalized Pareto shape and scale (Zhang & Stephens 2009,
/// with the weakly informative prior on `k` of Vehtari et al. 2024); `x` sorted ascending.
fn gpd_fit(x: &[f64]) -> (f64, f64) {
    let prior_bs = 3.0;
    let prior_k = 10.0;
    let n = x.len();
    let nf = n as f64;
    let m_est = 30 + (nf.sqrt()) as usize;
    let q1 = x[(nf / 4.0 + 0.5) as usize - 1];
    let last = x[n - 1];
    let mut b: Vec<f64> = (1..=m_est)
        .map(|j| (1.0 - (m_est as f64 / (j as f64 - 0.5)).sqrt()) / (prior_bs * q1) + 1.0 / last)
        .collect();
    let k: Vec<f64> = b
        .iter()
        .map(|&bj| x.iter().map(|&xi| (-bj * xi).ln_1p()).sum::<f64>() / nf)
        .collect();
    let len_scale: Vec<f64> = b
        .iter()
        .zip(&k)
        .map(|(&bj, &kj)| nf * ((-(bj / kj)).ln() - kj - 1.0))
        .collect();
    let mut w: Vec<f64> = len_scale
        .iter()
        .map(|&li| 1.0 / len_scale.iter().map(|&lj| (lj - li).exp()).sum::<f64>())
        .collect();
    if w.iter().any(|&wi| wi < 10.0 * f64::EPSILON) {
        let keep: Vec<bool> = w.iter().map(|&wi| wi >= 10.0 * f64::EPSILON).collect();
        b = b
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(v, _)| *v)
            .collect();
        w = w
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(v, _)| *v)
            .collect();
    }
    let wsum: f64 = w.iter().sum();
    let b_post: f64 = b.iter().zip(&w).map(|(bj, wj)| bj * wj / wsum).sum();
    let k_post = x.iter().map(|&xi| (-b_post * xi).ln_1p()).sum::<f64>() / nf;
    let sigma = -k_post / b_post;
    let k_post = (nf * k_post + prior_k * 0.5) / (nf + prior_k);
    (k_post, sigma)
}

/// Quantile function of the generalized Pareto distribution (location 0).
fn gpd_inv(p: f64, k: f64, sigma: f64) -> f64 {
    if sigma <= 0.0 {
        return f64::NAN;
    }
    if k.abs() < f64::EPSILON {
        -(-p).ln_1p() * sigma
    } else {
        (-k * (-p).ln_1p()).exp_m1() / k * sigma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_ratios_give_uniform_weights() {
        let r = psis(&[0.3; 100]);
        assert_eq!(r.k_hat, f64::INFINITY);
        assert!(
            r.log_weights
                .iter()
                .all(|w| (w + 100f64.ln()).abs() < 1e-12)
        );
        assert!((r.ess - 100.0).abs() < 1e-9);
    }

    #[test]
    fn nan_and_empty() {
        assert!(psis(&[]).k_hat.is_nan());
        let r = psis(&[0.0, f64::NAN, 1.0]);
        assert!(r.k_hat.is_nan() && r.log_weights.iter().all(|w| w.is_nan()));
        let r = psis(&[0.0, f64::NEG_INFINITY, 1.0]);
        assert_eq!(r.log_weights[1], f64::NEG_INFINITY);
    }
}
