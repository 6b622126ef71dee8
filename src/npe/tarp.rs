//! TARP: Tests of Accuracy with Random Points (Lemos, Coogan, Hezaveh & Perreault-Levasseur
//! 2023, *Sampling-based accuracy testing of posterior estimators for general inference*,
//! ICML), set up as `sbi`'s `run_tarp`: θ and the draws z-scored with the test θs' mean and
//! standard deviation, one reference point per dataset drawn uniformly from the box of the
//! z-scored test θs, Euclidean distance.
//!
//! For dataset i with true θ_i, reference θ_r and L draws, f_i is the fraction of draws closer
//! to θ_r than θ_i is: the credible level of the smallest ball around θ_r that contains θ_i.
//! For the true posterior f_i is uniform (whatever the references), so the expected coverage
//! probability ECP(α) = #{f_i < α} / M is α. Because f_i takes the values k / L, it is
//! randomized within its step (f_i = (k + u_i) / (L + 1), u_i uniform, seeded) to be exactly
//! uniform under calibration. Summaries: ATC = ∫_{½}^{1} (ECP(α) − α) dα (negative:
//! overconfident; positive: underconfident) and the Kolmogorov–Smirnov test of the f_i against
//! U(0, 1) (D = sup |ECP − α|, asymptotic p-value with Stephens' correction).
//!
//! Degenerate input: no datasets give `None`; a θ coordinate constant over the datasets gets
//! scale 1.

use crate::rng::seeded;
use rand::RngExt;

/// Streams from this on draw TARP's reference points and randomization.
pub const TARP_STREAM: u64 = crate::rng::streams::NPE_TARP.first;

/// Where the references come from and how θ is scaled.
#[derive(Debug, Clone, PartialEq)]
pub struct TarpFrame {
    center: Vec<f64>,
    scale: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    seed: u64,
}

impl TarpFrame {
    /// The frame of the test θs (row-major `m × d`); `None` when there are none.
    pub fn new(thetas: &[f64], d: usize, seed: u64) -> Option<Self> {
        let m = thetas.len().checked_div(d)?;
        if m == 0 {
            return None;
        }
        let col = |k: usize| thetas.chunks(d).map(move |t| t[k]);
        let center: Vec<f64> = (0..d).map(|k| col(k).sum::<f64>() / m as f64).collect();
        let scale: Vec<f64> = (0..d)
            .map(|k| {
                let v = col(k).map(|t| (t - center[k]).powi(2)).sum::<f64>() / m as f64;
                if v > 0.0 && v.is_finite() {
                    v.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        let z = |k: usize, t: f64| (t - center[k]) / scale[k];
        let lo = (0..d)
            .map(|k| col(k).map(|t| z(k, t)).fold(f64::INFINITY, f64::min))
            .collect();
        let hi = (0..d)
            .map(|k| col(k).map(|t| z(k, t)).fold(f64::NEG_INFINITY, f64::max))
            .collect();
        Some(TarpFrame {
            center,
            scale,
            lo,
            hi,
            seed,
        })
    }

    /// f_i for dataset `i`: θ, its `draws` (row-major, L × d), randomized within its step.
    pub fn fraction(&self, i: usize, theta: &[f64], draws: &[f64]) -> f64 {
        let d = theta.len();
        let mut rng = seeded(self.seed, TARP_STREAM + i as u64);
        let reference: Vec<f64> = (0..d)
            .map(|k| {
                let u: f64 = rng.random();
                self.lo[k] + u * (self.hi[k] - self.lo[k])
            })
            .collect();
        let dist = |t: &[f64]| -> f64 {
            t.iter()
                .enumerate()
                .map(|(k, v)| ((v - self.center[k]) / self.scale[k] - reference[k]).powi(2))
                .sum()
        };
        let r = dist(theta);
        let l = draws.len() / d.max(1);
        let closer = draws.chunks(d).filter(|s| dist(s) < r).count();
        let u: f64 = rng.random();
        (closer as f64 + u) / (l + 1) as f64
    }
}

/// TARP's expected-coverage curve and summaries.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TarpReport {
    /// Credible levels α (0, 0.01, …, 1).
    pub alpha: Vec<f64>,
    /// Expected coverage probability at each α.
    pub ecp: Vec<f64>,
    /// ∫_{½}^{1} (ECP − α) dα (trapezoids on the grid): < 0 overconfident, > 0 underconfident.
    pub atc: f64,
    /// Kolmogorov–Smirnov distance sup |ECP − α| of the f_i from U(0, 1).
    pub ks_statistic: f64,
    /// Its asymptotic p-value.
    pub ks_p_value: f64,
    /// Datasets.
    pub num_datasets: usize,
}

/// The curve and summaries of the fractions f_i (each in [0, 1]); `None` when there are none.
pub fn tarp_summary(fractions: &[f64]) -> Option<TarpReport> {
    let m = fractions.len();
    if m == 0 {
        return None;
    }
    let mut f = fractions.to_vec();
    f.sort_by(f64::total_cmp);
    let alpha: Vec<f64> = (0..=100).map(|k| k as f64 / 100.0).collect();
    let ecp: Vec<f64> = alpha
        .iter()
        .map(|&a| f.partition_point(|&v| v < a) as f64 / m as f64)
        .collect();
    let atc = (50..100)
        .map(|k| 0.5 * ((ecp[k] - alpha[k]) + (ecp[k + 1] - alpha[k + 1])) * 0.01)
        .sum();
    // D = sup over the sorted sample of the ECDF's distance from the identity.
    let ks_statistic = f
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i + 1) as f64 / m as f64 - v).max(v - i as f64 / m as f64))
        .fold(0.0, f64::max);
    Some(TarpReport {
        alpha,
        ecp,
        atc,
        ks_statistic,
        ks_p_value: kolmogorov_p_value(ks_statistic, m),
        num_datasets: m,
    })
}

/// P(D_n ≥ d) from the Kolmogorov distribution with Stephens' (1970) small-sample correction.
fn kolmogorov_p_value(d: f64, n: usize) -> f64 {
    let sn = (n as f64).sqrt();
    let lambda = (sn + 0.12 + 0.11 / sn) * d;
    if lambda < 0.2 {
        return 1.0;
    }
    let p: f64 = (1..=100)
        .map(|j| {
            let j = j as f64;
            let sign = if j as i64 % 2 == 1 { 1.0 } else { -1.0 };
            sign * 2.0 * (-2.0 * j * j * lambda * lambda).exp()
        })
        .sum();
    p.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_input() {
        assert!(tarp_summary(&[]).is_none());
        assert!(TarpFrame::new(&[], 2, 0).is_none());
        // A constant coordinate gets scale 1, no NaN.
        let fr = TarpFrame::new(&[1.0, 0.0, 1.0, 1.0], 2, 0).unwrap();
        let f = fr.fraction(0, &[1.0, 0.5], &[1.0, 0.4, 1.0, 0.6]);
        assert!((0.0..=1.0).contains(&f));
    }

    /// Kolmogorov's distribution: P(√n D > 1.358) ≈ 0.05 for large n.
    #[test]
    fn kolmogorov_tail() {
        let n = 1_000_000;
        let p = kolmogorov_p_value(1.3581 / (n as f64).sqrt(), n);
        assert!((p - 0.05).abs() < 1e-3, "{p}");
    }

    /// Exactly uniform fractions: ECP on the diagonal, ATC 0, D = 1/(2m).
    #[test]
    fn uniform_fractions_are_calibrated() {
        let m = 1000;
        let f: Vec<f64> = (0..m).map(|i| (i as f64 + 0.5) / m as f64).collect();
        let r = tarp_summary(&f).unwrap();
        assert!(r.atc.abs() < 1e-3 && r.ks_p_value > 0.99, "{r:?}");
        // Overconfident: f concentrated near 1.
        let g: Vec<f64> = f.iter().map(|v| v.sqrt()).collect();
        let r = tarp_summary(&g).unwrap();
        assert!(r.atc < -0.05 && r.ks_p_value < 1e-6, "{r:?}");
    }
}
