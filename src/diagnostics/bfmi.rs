//! Energy Bayesian fraction of missing information (Betancourt 2016, *Diagnosing suboptimal
//! cotangent disintegrations in Hamiltonian Monte Carlo*, arXiv:1604.00695).

/// E-BFMI of every chain: `mean((E_i − E_{i−1})²) / var(E)` (`ddof = 1`), as ArviZ's `bfmi`.
/// Values below 0.3 mean the momentum resampling explores the energy distribution poorly. `NaN`
/// for a chain with fewer than two draws, a constant energy or a `NaN` energy.
///
/// ```
/// use flowpost::diagnostics::e_bfmi;
/// let jumpy = vec![1.0, 3.0, 0.5, 2.5, 1.5];
/// let drifting: Vec<f64> = (0..20).map(|i| 0.1 * i as f64).collect(); // energy barely moves
/// let energy = vec![jumpy, drifting];
/// let b = e_bfmi(&energy);
/// assert!(b[0] > 0.3 && b[1] < 0.3);
/// ```
pub fn e_bfmi<C: AsRef<[f64]>>(energy: &[C]) -> Vec<f64> {
    energy
        .iter()
        .map(|e| {
            let e = e.as_ref();
            if e.len() < 2 {
                return f64::NAN;
            }
            let num = e
                .windows(2)
                .map(|w| (w[1] - w[0]) * (w[1] - w[0]))
                .sum::<f64>()
                / (e.len() - 1) as f64;
            num / super::matrix::var(e, 1)
        })
        .collect()
}
