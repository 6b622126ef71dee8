//! The normalizing constant Z = ∫ p̃(θ) dθ of the target density as written, estimated by
//! importance sampling from the fitted flow q with Pareto-smoothed weights (Vehtari et al.
//! 2024, §6): log Z ≈ log( (1/S) Σ_s w̃_s ), w̃ the smoothed ratios p̃(θ_s)/q(θ_s).
//!
//! Draws of q where the target fails (outside its support, p̃ = 0) count as weight 0. The
//! Monte Carlo standard error of log Z is the delta-method one, √(1/ESS − 1/S) with
//! ESS = 1/Σ ŵ_s² of the normalized smoothed weights (0 when the weights are uniform: q = p).
//! The estimate is returned only when k̂ is below [`pareto_k_threshold`] — above it the
//! weights' variance may be infinite and neither the value nor its error can be trusted.
//!
//! Z is the constant of the log-density *as the model computes it*: a model that drops
//! constant terms (e.g. −½ log 2π per observation) has its evidence shifted by them.
//!
//! | input | result |
//! |---|---|
//! | no finite ratio, or fewer than ~25 draws | `Err` (no Pareto fit possible) |
//! | any `NaN` or `+∞` ratio | `Err` |
//! | k̂ ≥ the threshold | `Err`, naming k̂ |
//! | all ratios equal | `Ok`, MCSE 0 (q is p up to Z) |

use super::psis::{PsisResult, pareto_k_threshold, psis};

/// log Z with its Monte Carlo standard error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogEvidence {
    /// The estimate of log Z.
    pub value: f64,
    /// Its Monte Carlo standard error.
    pub mcse: f64,
    /// The Pareto k̂ of the weights it was computed from.
    pub pareto_k: f64,
}

/// log Z from the log importance ratios log p̃(θ_s) − log q(θ_s) of `log_ratios.len() +
/// num_dropped` independent draws of q, `num_dropped` of which fell where the target fails.
/// `Err` says why there is no estimate.
///
/// ```
/// use flowpost::diagnostics::log_evidence;
/// // q = N(0, 1) exactly, p̃(x) = exp(−x²/2): Z = √(2π), every ratio log √(2π).
/// let r = vec![0.5 * (2.0 * std::f64::consts::PI).ln(); 1000];
/// let z = log_evidence(&r, 0).unwrap();
/// assert!((z.value - r[0]).abs() < 1e-12 && z.mcse == 0.0);
/// // Half of q's draws outside the support: Z is half of that.
/// let z = log_evidence(&r, 1000).unwrap();
/// assert!((z.value - (r[0] - 2f64.ln())).abs() < 1e-12);
/// ```
pub fn log_evidence(log_ratios: &[f64], num_dropped: usize) -> Result<LogEvidence, String> {
    log_evidence_smoothed(log_ratios, &psis(log_ratios), num_dropped)
}

/// [`log_evidence`] from the [`psis`] of `log_ratios` already at hand (the fit's k̂ and its
/// evidence come from one smoothing).
///
/// ```
/// use flowpost::diagnostics::{log_evidence, log_evidence_smoothed, psis};
/// let r: Vec<f64> = (0..500).map(|i| (i as f64 * 0.37).sin() * 0.3).collect();
/// let smoothed = psis(&r);
/// assert_eq!(log_evidence_smoothed(&r, &smoothed, 0), log_evidence(&r, 0));
/// ```
pub fn log_evidence_smoothed(
    log_ratios: &[f64],
    smoothed: &PsisResult,
    num_dropped: usize,
) -> Result<LogEvidence, String> {
    if log_ratios.iter().any(|r| r.is_nan() || *r == f64::INFINITY) {
        return Err("a log importance ratio is NaN or +∞".into());
    }
    let n = (log_ratios.len() + num_dropped) as f64;
    let max = log_ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return Err("no draw of the flow has a finite target density".into());
    }
    // Constant ratios: q is p up to Z (PSIS has no tail to fit and reports k̂ = +∞).
    if log_ratios.iter().all(|&r| r == max) {
        return Ok(LogEvidence {
            value: max + (log_ratios.len() as f64 / n).ln(),
            mcse: (1.0 / log_ratios.len() as f64 - 1.0 / n).max(0.0).sqrt(),
            pareto_k: f64::NEG_INFINITY,
        });
    }
    let k = smoothed.k_hat;
    let limit = pareto_k_threshold(log_ratios.len());
    if !(k < limit) {
        return Err(format!(
            "Pareto k̂ {k:.2} ≥ {limit:.2}: the importance weights may have infinite variance"
        ));
    }
    // PSIS normalizes the smoothed weights by their sum and leaves every draw below the tail
    // unchanged, so for such a draw log Σ w̃ = r_s − lw_s. The smallest finite ratio is never
    // in the tail.
    let (s, _) = log_ratios
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_finite())
        .min_by(|a, b| a.1.total_cmp(b.1))
        .expect("a finite ratio exists");
    let log_sum = log_ratios[s] - smoothed.log_weights[s];
    let sum_sq: f64 = smoothed.log_weights.iter().map(|lw| (2.0 * lw).exp()).sum();
    Ok(LogEvidence {
        value: log_sum - n.ln(),
        mcse: (sum_sq - 1.0 / n).max(0.0).sqrt(),
        pareto_k: k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    /// q = N(0, 1.2²) for p̃(x) = exp(−x²/2) (Z = √(2π)): a wider proposal, finite-variance
    /// weights. Over 200 replications the estimates scatter around the truth as their MCSE says.
    #[test]
    fn the_estimate_and_its_error_are_calibrated() {
        let truth = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let (s, n) = (1.2f64, 2000);
        let q = Normal::new(0.0, s).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut z2 = 0.0;
        let reps = 200;
        for _ in 0..reps {
            let r: Vec<f64> = (0..n)
                .map(|_| {
                    let x: f64 = q.sample(&mut rng);
                    let log_q = -0.5 * (x / s).powi(2) - s.ln() - truth;
                    -0.5 * x * x - log_q
                })
                .collect();
            let e = log_evidence(&r, 0).unwrap();
            assert!(e.pareto_k < 0.5);
            z2 += ((e.value - truth) / e.mcse).powi(2);
        }
        // The mean squared z-score is 1 for a calibrated error (±0.2 at 200 replications).
        let msz = z2 / reps as f64;
        assert!((0.7..1.4).contains(&msz), "mean squared z {msz}");
    }

    #[test]
    fn degenerate_input() {
        assert!(log_evidence(&[], 0).is_err());
        assert!(log_evidence(&[f64::NEG_INFINITY; 50], 0).is_err());
        assert!(log_evidence(&[0.0, f64::NAN], 0).is_err());
        assert!(log_evidence(&[0.0, f64::INFINITY], 0).is_err());
        // A proposal much narrower than the target: heavy-tailed weights, no estimate.
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let q = Normal::new(0.0, 0.3).unwrap();
        let r: Vec<f64> = (0..2000)
            .map(|_| {
                let x: f64 = q.sample(&mut rng);
                -0.5 * x * x + 0.5 * (x / 0.3f64).powi(2)
            })
            .collect();
        let err = log_evidence(&r, 0).unwrap_err();
        assert!(err.contains("k̂"), "{err}");
    }
}
