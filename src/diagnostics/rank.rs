//! Rank normalization (Vehtari et al. 2021, eq. 14), medians and sample quantiles.

use super::matrix::Matrix;

/// Blom's fractional offset for the rank back-transformation.
const BLOM_C: f64 = 3.0 / 8.0;

/// Rank-normalizes all entries jointly: average ranks for ties, `(r − 3/8) / (S + 1/4)`, then the
/// standard normal quantile (ArviZ's `_z_scale`).
pub(crate) fn z_scale(m: &Matrix) -> Matrix {
    let ranks = average_ranks(&m.data);
    let s = m.len() as f64;
    let data = ranks
        .into_iter()
        .map(|r| normal_ppf((r - BLOM_C) / (s - 2.0 * BLOM_C + 1.0)))
        .collect();
    Matrix {
        data,
        rows: m.rows,
        cols: m.cols,
    }
}

/// 1-based ranks, ties getting the average of their positions (scipy's `rankdata(method="average")`).
fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && x[idx[j]] == x[idx[i]] {
            j += 1;
        }
        // positions i..j (0-based) share the average 1-based rank
        let r = (i + j + 1) as f64 / 2.0;
        for &k in &idx[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// Median (numpy's: mean of the two middle values for even length).
pub(crate) fn median(x: &[f64]) -> f64 {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Sample quantile of `sorted` (ascending) at probability `p`, R's type 7 as computed by scipy's
/// `mquantiles(alphap=1, betap=1)` (ArviZ's `_quantile`).
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n == 1 {
        return sorted[0];
    }
    let nf = n as f64;
    let aleph = nf * p + (1.0 - p);
    let k = aleph.clamp(1.0, nf - 1.0).floor();
    let gamma = (aleph - k).clamp(0.0, 1.0);
    let k = k as usize;
    (1.0 - gamma) * sorted[k - 1] + gamma * sorted[k]
}

/// Sample quantile (type 7, as ArviZ and numpy's default) of all draws of all chains.
///
/// `NaN` if any draw is `NaN` or there are no draws.
///
/// ```
/// use flowpost::diagnostics::quantile;
/// let q = quantile(&[vec![1.0, 2.0], vec![3.0, 4.0]], 0.5);
/// assert_eq!(q, 2.5);
/// ```
#[track_caller]
pub fn quantile<C: AsRef<[f64]>>(chains: &[C], p: f64) -> f64 {
    let m = Matrix::from_chains(chains);
    if m.has_nan() {
        return f64::NAN;
    }
    let mut s = m.data;
    s.sort_by(f64::total_cmp);
    quantile_sorted(&s, p)
}

/// Standard normal quantile function.
pub(crate) fn normal_ppf(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0]),
            vec![3.5, 1.0, 3.5, 2.0]
        );
    }

    #[test]
    fn quantile_type7() {
        let s = [1.0, 2.0, 3.0, 4.0, 10.0];
        // numpy.quantile(s, 0.05) = 1.2, 0.95 -> 8.8
        assert!((quantile_sorted(&s, 0.05) - 1.2).abs() < 1e-12);
        assert!((quantile_sorted(&s, 0.95) - 8.8).abs() < 1e-12);
        assert_eq!(quantile_sorted(&s, 0.0), 1.0);
        assert_eq!(quantile_sorted(&s, 1.0), 10.0);
    }

    #[test]
    fn ppf_matches_known_values() {
        assert!(normal_ppf(0.5).abs() < 1e-15);
        assert!((normal_ppf(0.975) - 1.959963984540054).abs() < 1e-13);
        assert!((normal_ppf(1e-10) + 6.361340902404056).abs() < 1e-10);
    }
}
