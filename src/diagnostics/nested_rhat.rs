//! Nested R-hat (Margossian, Hoffman, Sountsov, Riou-Durand, Vehtari and Gelman 2024, *Nested
//! R̂: assessing the convergence of Markov chain Monte Carlo when running many short chains*,
//! Bayesian Analysis, doi:10.1214/24-BA1453): R-hat with groups of chains ("superchains") in the
//! place of chains, so that many short chains can be judged by whether the groups agree.
//!
//! The formula and the contract for degenerate input are on [`rhat_nested`].

use super::matrix::{Matrix, mean, var};

/// Nested R-hat of one quantity given as `chains × draws`, chain `c` belonging to superchain
/// `superchain_ids[c]` (any labels; each distinct one is a superchain). Values near 1 say the
/// superchains agree.
///
/// With K superchains of M chains of N draws each, θ̄ₘₖ the mean of chain m of superchain k,
/// θ̄ₖ the superchain's mean and θ̄ the mean of the θ̄ₖ (the paper's eqs. 15–19):
///
/// - between superchains: B̂ = 1/(K−1) Σₖ (θ̄ₖ − θ̄)²;
/// - within superchain k: B̃ₖ = 1/(M−1) Σₘ (θ̄ₘₖ − θ̄ₖ)² (0 when M = 1) and
///   W̃ₖ = 1/M Σₘ 1/(N−1) Σₙ (θₙₘₖ − θ̄ₘₖ)² (0 when N = 1);
/// - Ŵ = 1/K Σₖ (B̃ₖ + W̃ₖ), and nR̂ = √(1 + B̂/Ŵ).
///
/// The draws are used as they are (not split, not rank-normalized), as in the paper and R's
/// `posterior::rhat_nested`. With one chain per superchain, nR̂² = R̂² + 1/N, R̂ being the
/// classic (unsplit) Gelman–Rubin R-hat: the paper's footnote on nR̂ being bounded below by 1.
///
/// | input | nested R-hat |
/// |---|---|
/// | any `NaN` or `±inf` draw | `NaN` |
/// | fewer than 2 superchains | `NaN` (B̂ needs two) |
/// | superchains with unequal numbers of chains | `NaN` (the paper's design has M chains in each) |
/// | no chain, or chains without draws | `NaN` |
/// | one chain per superchain | defined (B̃ₖ = 0) |
/// | one draw per chain | defined when M ≥ 2 (W̃ₖ = 0) |
/// | all draws equal (Ŵ = 0 and B̂ = 0) | `NaN` (0/0) |
/// | constant within superchains, superchains differ (Ŵ = 0 < B̂) | `+inf` |
/// | `superchain_ids` not one per chain | panics (a caller bug, like chains of unequal length) |
///
/// ```
/// use flowpost::diagnostics::rhat_nested;
/// // Two superchains of two chains of three draws (the paper's formula by hand: B̂ = 0.125,
/// // Ŵ = ((0.5 + 1) + (8 + 1)) / 2 = 5.25).
/// let chains = [[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [0.0, 1.0, 2.0], [4.0, 5.0, 6.0]];
/// let r = rhat_nested(&chains, &[0, 0, 1, 1]);
/// assert!((r - (1.0f64 + 0.125 / 5.25).sqrt()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn rhat_nested<C: AsRef<[f64]>>(chains: &[C], superchain_ids: &[usize]) -> f64 {
    assert_eq!(
        superchain_ids.len(),
        chains.len(),
        "rhat_nested: {} superchain ids for {} chains (one per chain)",
        superchain_ids.len(),
        chains.len()
    );
    let m = Matrix::from_chains(chains);
    if m.rows == 0 || m.cols == 0 || m.data.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    // Superchains in order of first appearance, each with its chains.
    let mut labels: Vec<usize> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (c, &id) in superchain_ids.iter().enumerate() {
        match labels.iter().position(|&l| l == id) {
            Some(k) => members[k].push(c),
            None => {
                labels.push(id);
                members.push(vec![c]);
            }
        }
    }
    let k = members.len();
    let per = members[0].len();
    if k < 2 || members.iter().any(|g| g.len() != per) {
        return f64::NAN;
    }
    let chain_mean: Vec<f64> = (0..m.rows).map(|r| mean(m.row(r))).collect();
    let chain_var: Vec<f64> = (0..m.rows)
        .map(|r| if m.cols > 1 { var(m.row(r), 1) } else { 0.0 })
        .collect();
    let mut super_mean = Vec::with_capacity(k);
    let mut within = 0.0;
    for g in &members {
        let means: Vec<f64> = g.iter().map(|&c| chain_mean[c]).collect();
        super_mean.push(mean(&means));
        let between_chains = if per > 1 { var(&means, 1) } else { 0.0 };
        let within_chains = mean(&g.iter().map(|&c| chain_var[c]).collect::<Vec<_>>());
        within += between_chains + within_chains;
    }
    within /= k as f64;
    let between = var(&super_mean, 1);
    if within == 0.0 {
        return if between == 0.0 {
            f64::NAN
        } else {
            f64::INFINITY
        };
    }
    (1.0 + between / within).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::rhat::rhat_core;

    /// The paper's eqs. 15–19 written out with loops, independently of the function.
    fn by_formula(x: &[Vec<Vec<f64>>]) -> f64 {
        let (k, m, n) = (x.len(), x[0].len(), x[0][0].len());
        let (kf, mf, nf) = (k as f64, m as f64, n as f64);
        let cm = |kk: usize, mm: usize| x[kk][mm].iter().sum::<f64>() / nf;
        let sm = |kk: usize| (0..m).map(|mm| cm(kk, mm)).sum::<f64>() / mf;
        let all = (0..k).map(sm).sum::<f64>() / kf;
        let b = (0..k).map(|kk| (sm(kk) - all).powi(2)).sum::<f64>() / (kf - 1.0);
        let mut w = 0.0;
        for kk in 0..k {
            let bt = if m > 1 {
                (0..m).map(|mm| (cm(kk, mm) - sm(kk)).powi(2)).sum::<f64>() / (mf - 1.0)
            } else {
                0.0
            };
            let mut wt = 0.0;
            for mm in 0..m {
                if n > 1 {
                    let s: f64 = x[kk][mm].iter().map(|v| (v - cm(kk, mm)).powi(2)).sum();
                    wt += s / (nf - 1.0);
                }
            }
            w += bt + wt / mf;
        }
        (1.0 + b / (w / kf)).sqrt()
    }

    fn normal_chains(seed: u64, num_chains: usize, n: usize) -> Vec<Vec<f64>> {
        (0..num_chains)
            .map(|c| {
                let mut rng = crate::rng::seeded(seed, c as u64);
                let mut v = vec![0.0; n];
                crate::rng::fill_standard_normal(&mut rng, &mut v);
                v
            })
            .collect()
    }

    #[test]
    fn hand_example_matches_the_paper_formula() {
        let chains = vec![
            vec![1.0, 2.0, 3.0],
            vec![2.0, 3.0, 4.0],
            vec![0.0, 1.0, 2.0],
            vec![4.0, 5.0, 6.0],
        ];
        let r = rhat_nested(&chains, &[7, 7, 3, 3]);
        // B̂ = ((2.5 − 2.75)² + (3 − 2.75)²) / 1 = 0.125; Ŵ = ((0.5 + 1) + (8 + 1)) / 2 = 5.25.
        assert!((r - 1.011_834_731_470_275_1).abs() < 1e-15, "{r}");
        let nested = vec![chains[..2].to_vec(), chains[2..].to_vec()];
        assert!((r - by_formula(&nested)).abs() < 1e-15);
    }

    #[test]
    fn random_designs_match_the_formula_and_ignore_chain_order() {
        for (k, m, n) in [(2, 1, 5), (3, 4, 7), (5, 2, 1), (4, 3, 50)] {
            let chains = normal_chains(11 + k as u64, k * m, n);
            let ids: Vec<usize> = (0..k * m).map(|c| c / m).collect();
            let nested: Vec<Vec<Vec<f64>>> = chains.chunks(m).map(|g| g.to_vec()).collect();
            let r = rhat_nested(&chains, &ids);
            assert!((r - by_formula(&nested)).abs() < 1e-12, "{k} {m} {n}: {r}");
            // Interleaved chains with relabelled superchains: the same grouping.
            let order: Vec<usize> = (0..m)
                .flat_map(|j| (0..k).map(move |i| i * m + j))
                .collect();
            let shuffled: Vec<Vec<f64>> = order.iter().map(|&c| chains[c].clone()).collect();
            let labels: Vec<usize> = order.iter().map(|&c| 100 - c / m).collect();
            assert!((rhat_nested(&shuffled, &labels) - r).abs() < 1e-12);
        }
    }

    #[test]
    fn one_chain_per_superchain_is_classic_rhat_plus_one_over_n() {
        let chains = normal_chains(5, 6, 40);
        let ids: Vec<usize> = (0..6).collect();
        let nested = rhat_nested(&chains, &ids);
        let classic = rhat_core(&Matrix::from_chains(&chains));
        assert!(
            (nested * nested - (classic * classic + 1.0 / 40.0)).abs() < 1e-12,
            "{nested} {classic}"
        );
    }

    #[test]
    fn iid_draws_give_one_within_the_sampling_error() {
        // For iid draws E[B̂/Ŵ] = 1/(M N) and (K − 1) M N B̂/Ŵ ≈ χ²(K − 1): with K − 1 = 3 a
        // value above 10/(M N) has probability about 2e-6.
        let (k, m, n) = (4, 8, 100);
        for seed in 0..5 {
            let chains = normal_chains(seed, k * m, n);
            let ids: Vec<usize> = (0..k * m).map(|c| c / m).collect();
            let r = rhat_nested(&chains, &ids);
            assert!(r >= 1.0 && r * r - 1.0 < 10.0 / (m * n) as f64, "{r}");
        }
    }

    #[test]
    fn disagreeing_superchains_give_a_large_value() {
        let (k, m, n) = (4, 4, 50);
        let mut chains = normal_chains(3, k * m, n);
        for c in chains.iter_mut().take(m) {
            c.iter_mut().for_each(|v| *v += 3.0);
        }
        let ids: Vec<usize> = (0..k * m).map(|c| c / m).collect();
        let r = rhat_nested(&chains, &ids);
        // B̂ ≈ 9/4 (one mean of four off by 3), Ŵ ≈ 1: nR̂ ≈ √3.25 ≈ 1.8.
        assert!(r > 1.5, "{r}");
    }

    #[test]
    fn degenerate_input_follows_the_table() {
        let c = normal_chains(1, 4, 10);
        assert!(rhat_nested(&c, &[0, 0, 0, 0]).is_nan(), "one superchain");
        assert!(
            rhat_nested(&c, &[0, 0, 0, 1]).is_nan(),
            "unequal superchains"
        );
        assert!(rhat_nested::<Vec<f64>>(&[], &[]).is_nan(), "no chain");
        let empty: Vec<Vec<f64>> = vec![vec![]; 4];
        assert!(rhat_nested(&empty, &[0, 0, 1, 1]).is_nan(), "no draws");
        let mut with_nan = c.clone();
        with_nan[2][3] = f64::NAN;
        assert!(rhat_nested(&with_nan, &[0, 0, 1, 1]).is_nan());
        let mut with_inf = c.clone();
        with_inf[0][0] = f64::INFINITY;
        assert!(rhat_nested(&with_inf, &[0, 0, 1, 1]).is_nan());
        let constant = vec![vec![2.0; 5]; 4];
        assert!(rhat_nested(&constant, &[0, 0, 1, 1]).is_nan(), "0/0");
        let split = vec![vec![1.0; 5], vec![1.0; 5], vec![2.0; 5], vec![2.0; 5]];
        assert_eq!(rhat_nested(&split, &[0, 0, 1, 1]), f64::INFINITY);
        let one_draw = vec![vec![0.3], vec![-0.1], vec![1.2], vec![0.4]];
        let r = rhat_nested(&one_draw, &[0, 0, 1, 1]);
        let nested = vec![one_draw[..2].to_vec(), one_draw[2..].to_vec()];
        assert!(r.is_finite() && (r - by_formula(&nested)).abs() < 1e-15);
    }

    #[test]
    #[should_panic(expected = "one per chain")]
    fn ids_not_one_per_chain_panic() {
        rhat_nested(&normal_chains(1, 4, 10), &[0, 1]);
    }
}
