//! Expected coverage of credible regions over SBC datasets (Hermans et al. 2022, *A Trust
//! Crisis in Simulation-Based Inference?*): per parameter for central intervals, jointly for
//! highest-density regions. A calibrated posterior covers the true θ at level α in a fraction
//! α of datasets; below α is overconfident, above conservative.
//!
//! - Per parameter: the rank r of θ_k among L draws, randomized within its step as
//!   u = (r + v) / (L + 1) with v uniform (seeded), is exactly uniform under calibration; θ_k is
//!   in the central α interval when |u − ½| < α / 2.
//! - Joint: with a = #{draws s with log q(θ_s | x) > log q(θ | x)}, θ is in the α
//!   highest-density region when a < α L (the estimate of today's SBC; for L + 1 a multiple
//!   of 20 and α on the 0.05 grid its calibrated expectation is α within 1/(L + 1)).
//!
//! Degenerate input: no datasets give NaN coverages.

/// The credible levels reported: 0.05, 0.10, …, 0.95.
pub fn coverage_levels() -> Vec<f64> {
    (1..20).map(|k| k as f64 * 0.05).collect()
}

/// Fraction of the randomized PIT values `u` (each in [0, 1]) inside the central α interval,
/// at each level.
pub fn central_coverage(u: &[f64], levels: &[f64]) -> Vec<f64> {
    levels
        .iter()
        .map(|&a| u.iter().filter(|&&v| (v - 0.5).abs() < a / 2.0).count() as f64 / u.len() as f64)
        .collect()
}

/// Fraction of datasets whose count `above` (of `num_draws` draws with a higher density than
/// θ) puts θ inside the α highest-density region, at each level.
pub fn hpd_coverage(above: &[usize], num_draws: usize, levels: &[f64]) -> Vec<f64> {
    levels
        .iter()
        .map(|&a| {
            above
                .iter()
                .filter(|&&f| (f as f64) < a * num_draws as f64)
                .count() as f64
                / above.len() as f64
        })
        .collect()
}

/// Binomial standard error of a coverage under calibration, √(α(1 − α)/M), at each level.
pub fn coverage_mcse(levels: &[f64], num_datasets: usize) -> Vec<f64> {
    levels
        .iter()
        .map(|a| (a * (1.0 - a) / num_datasets as f64).sqrt())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_values_cover_at_the_level_and_empty_is_nan() {
        let u: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
        let c = central_coverage(&u, &[0.5, 0.9]);
        assert!(
            (c[0] - 0.5).abs() < 2e-3 && (c[1] - 0.9).abs() < 2e-3,
            "{c:?}"
        );
        assert!(central_coverage(&[], &[0.5])[0].is_nan());
        assert!(hpd_coverage(&[], 99, &[0.5])[0].is_nan());
        // Counts 0…99 of 99 draws: a < 0.95 · 99 = 94.05 for a ≤ 94, 95 of 100.
        let a: Vec<usize> = (0..100).collect();
        assert_eq!(hpd_coverage(&a, 99, &[0.95]), vec![0.95]);
    }
}
