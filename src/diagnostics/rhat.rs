//! Potential scale reduction: rank-normalized split R-hat and classic split R-hat.

use super::matrix::{Matrix, mean, py_max, var};
use super::rank::{median, z_scale};

/// Gelman–Rubin R-hat of the rows as given (ArviZ's `_rhat`): `sqrt((B/W + n − 1)/n)`.
pub(crate) fn rhat_core(m: &Matrix) -> f64 {
    if m.has_nan() {
        return f64::NAN;
    }
    let n = m.cols as f64;
    let chain_mean: Vec<f64> = (0..m.rows).map(|r| mean(m.row(r))).collect();
    let within = (0..m.rows).map(|r| var(m.row(r), 1)).sum::<f64>() / m.rows as f64;
    let between = n * var(&chain_mean, 1);
    ((between / within + n - 1.0) / n).sqrt()
}

pub(crate) fn rhat_rank_m(m: &Matrix) -> f64 {
    if !m.valid(2, 4) {
        return f64::NAN;
    }
    let split = m.split();
    rhat_rank_split(&split, &z_scale(&split))
}

/// [`rhat_rank_m`] given the split draws and their rank-normalized values (shared with the bulk
/// ESS by the summary).
pub(crate) fn rhat_rank_split(split: &Matrix, z_split: &Matrix) -> f64 {
    let bulk = rhat_core(z_split);
    // Folding uses the median of the split draws (ArviZ's `_rhat_rank`).
    let med = median(&split.data);
    let tail = rhat_core(&z_scale(&split.map(|v| (v - med).abs())));
    py_max(bulk, tail)
}

/// Rank-normalized split R-hat (Vehtari et al. 2021, §4.1): the larger of the split R-hat of the
/// rank-normalized draws (bulk) and of the rank-normalized folded draws `|θ − median|` (tail).
/// Values above 1.01 signal chains that have not mixed. `NaN` for one chain, fewer than 4 draws,
/// `NaN` draws or constant draws (see the [module docs](super)).
///
/// ```
/// use flowpost::diagnostics::rhat_rank;
/// let mixed = vec![vec![0.1, -0.4, 1.2, 0.3, -0.9, 0.5], vec![-0.2, 0.8, -1.1, 0.0, 0.6, -0.3]];
/// let stuck = vec![vec![0.1, 0.2, 0.3, 0.1, 0.2, 0.3], vec![5.1, 5.2, 5.3, 5.1, 5.2, 5.3]];
/// assert!(rhat_rank(&stuck) > rhat_rank(&mixed));
/// ```
#[track_caller]
pub fn rhat_rank<C: AsRef<[f64]>>(chains: &[C]) -> f64 {
    rhat_rank_m(&Matrix::from_chains(chains))
}

/// Classic split R-hat (Gelman et al., BDA3 §11.4): R-hat of the raw draws with every chain split
/// in halves. Same degenerate cases as [`rhat_rank`].
///
/// ```
/// use flowpost::diagnostics::rhat_split;
/// let trend = vec![vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0], vec![0.5, 1.5, 2.5, 3.5, 4.5, 5.5]];
/// assert!(rhat_split(&trend) > 1.5);
/// ```
#[track_caller]
pub fn rhat_split<C: AsRef<[f64]>>(chains: &[C]) -> f64 {
    let m = Matrix::from_chains(chains);
    if !m.valid(2, 4) {
        return f64::NAN;
    }
    rhat_core(&m.split())
}
