//! auto's last check: the chosen sampler's own draws judged by the diagnostics a user would
//! read (R-hat, E-BFMI), and the rerun with plain low-rank NUTS when they fail.
//!
//! The pilot's evidence is gathered early, on a short warmup, and it can be wrong: on the
//! 1000-group centered regression (`hier_regression --dim 1003`) the whitened chains sit in the
//! funnel's neck, where the target looks Gaussian, so the Fisher distance reads 0.8 per
//! dimension and auto stays whitened; the draws then have R-hat 1.7 and E-BFMI near 0, while
//! low-rank NUTS with its full warmup is correct. A run whose draws fail this check is not
//! given to the user while a sampler that may pass has not been tried.

use super::{AutoChoice, AutoOutcome, AutoSettings, Fallback, LowRankFirst};
use crate::density::LogDensity;
use crate::nuts::{NutsRun, NutsSettings};
use crate::progress::{Phase, Progress};
use rayon::prelude::*;

/// Low-rank NUTS with `rerun` (its full warmup) instead of the whitened chains, whose warmup
/// failed (`why`); `gaussian_fit`, `report` and the costs are those of the pilot.
#[allow(clippy::too_many_arguments)]
pub(super) fn low_rank_instead<D: LogDensity + ?Sized>(
    density: &D,
    auto: &AutoSettings,
    rerun: &NutsSettings,
    progress: &dyn Progress,
    why: String,
    gaussian_fit: crate::vi::ViReport,
    mut report: super::AutoReport,
    vi_cost: (u64, f64),
    discarded: (u64, f64),
) -> Result<AutoOutcome, crate::Error> {
    progress.note(
        Phase::Warmup,
        &format!(
            "auto: whitened NUTS's warmup failed its diagnostics ({why}); running low-rank NUTS \
             with {} warmup draws",
            rerun.num_tune
        ),
    );
    let run = crate::nuts::sample(density, None, rerun, progress)?;
    let rerun_check = RunCheck::of(&run, auto);
    report.choice = AutoChoice::LowRank;
    report.fallback = Some(Fallback {
        failed: AutoChoice::Whitened,
        reason: why,
        failed_check: None,
        rerun_failure: rerun_check.failure(auto),
        rerun_check,
        num_grad_evals_discarded: discarded.0,
    });
    Ok(AutoOutcome::new(
        run,
        None,
        gaussian_fit,
        report,
        rerun,
        vi_cost,
        discarded,
    ))
}

/// Low-rank NUTS with `rerun` before a flow, at dimension `dim` (above
/// [`AutoSettings::max_dim_flow_first`]): the run and its check.
pub(super) fn low_rank_first<D: LogDensity + ?Sized>(
    density: &D,
    auto: &AutoSettings,
    rerun: &NutsSettings,
    progress: &dyn Progress,
    dim: usize,
) -> Result<(NutsRun, LowRankFirst), crate::Error> {
    progress.note(
        Phase::Warmup,
        &format!(
            "auto: a flow is called for, but at d = {dim} (> {}) low-rank NUTS with {} warmup \
             draws runs first",
            auto.max_dim_flow_first, rerun.num_tune
        ),
    );
    let run = crate::nuts::sample(density, None, rerun, progress)?;
    let check = RunCheck::of(&run, auto);
    let first = LowRankFirst {
        dim,
        max_dim_flow_first: auto.max_dim_flow_first,
        failure: check.failure(auto),
        check,
    };
    Ok((run, first))
}

/// `chosen` when its draws pass their [`RunCheck`]; else low-rank NUTS runs again with
/// `rerun` (its full warmup) on the model's own parametrization, and the better run of the two
/// is kept: the rerun when it passes or has the lower largest R-hat. `tried` is a low-rank run
/// already made ([`low_rank_first`]): it stands in for the rerun. The run not kept is counted
/// as discarded.
pub(super) fn checked<D: LogDensity + ?Sized>(
    density: &D,
    auto: &AutoSettings,
    rerun: &NutsSettings,
    progress: &dyn Progress,
    mut chosen: AutoOutcome,
    tried: Option<NutsRun>,
) -> Result<AutoOutcome, crate::Error> {
    let check = RunCheck::of(&chosen.nuts, auto);
    let Some(reason) = check.failure(auto) else {
        if let Some(t) = &tried {
            chosen.discarded.0 += t.cost().0;
            chosen.discarded.1 += t.cost().1;
        }
        return Ok(chosen);
    };
    let failed = chosen.report.choice;
    let run = match tried {
        Some(t) => t,
        None => {
            progress.note(
                Phase::Sampling,
                &format!(
                    "auto: {}'s draws failed their diagnostics ({reason}); running low-rank \
                     NUTS with {} warmup draws",
                    failed.label(),
                    rerun.num_tune
                ),
            );
            crate::nuts::sample(density, None, rerun, progress)?
        }
    };
    let rerun_check = RunCheck::of(&run, auto);
    let rerun_failure = rerun_check.failure(auto);
    let keep = rerun_failure.is_none() || rerun_check.better_than(&check, auto);
    let discarded = chosen.replace_or_discard(run, keep, |c| {
        c.flow = None;
        c.num_tune = rerun.num_tune;
        c.target_accept = rerun.target_accept;
        c.metric = rerun.metric;
        c.report.choice = AutoChoice::LowRank;
    });
    chosen.report.fallback = Some(Fallback {
        failed,
        reason,
        failed_check: Some(check),
        rerun_check,
        rerun_failure,
        num_grad_evals_discarded: discarded,
    });
    Ok(chosen)
}

/// The smallest of `values`, `NaN` if any is (an undefined E-BFMI must not hide), or if none.
pub(super) fn min_or_nan(values: &[f64]) -> f64 {
    values
        .iter()
        .copied()
        .reduce(|a, b| {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                a.min(b)
            }
        })
        .unwrap_or(f64::NAN)
}

/// How many of `values` are below `threshold` or `NaN`.
pub(super) fn num_below(values: &[f64], threshold: f64) -> usize {
    values.iter().filter(|v| !(**v >= threshold)).count()
}

/// The diagnostics of one run's draws that decide whether auto keeps them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunCheck {
    /// Largest rank-normalized split R-hat over the parameters (`NaN`: undefined), leaving
    /// out quantities constant over every draw.
    #[serde(with = "crate::diagnostics::summary::nan_as_null")]
    pub max_r_hat: f64,
    /// Smallest E-BFMI over the chains (`NaN`: undefined in some chain).
    #[serde(with = "crate::diagnostics::summary::nan_as_null")]
    pub min_e_bfmi: f64,
    /// Chains whose E-BFMI is below [`AutoSettings::min_e_bfmi`] (or undefined).
    pub num_low_e_bfmi: usize,
    /// Chains.
    pub num_chains: usize,
    /// Divergent draws, all chains.
    #[serde(default)]
    pub num_divergent: usize,
    /// Draws, all chains.
    #[serde(default)]
    pub num_draws: usize,
}

impl RunCheck {
    /// The check of `run`'s post-warmup draws (constrained values, as the user gets them).
    pub fn of(run: &NutsRun, settings: &AutoSettings) -> RunCheck {
        let num_params = run
            .chains
            .first()
            .map(|c| c.values.len() / c.stats.len().max(1))
            .unwrap_or(0);
        let max_r_hat = (0..num_params)
            .into_par_iter()
            .map(|i| {
                let chains: Vec<Vec<f64>> = run
                    .chains
                    .iter()
                    .map(|c| {
                        c.values
                            .iter()
                            .skip(i)
                            .step_by(num_params)
                            .copied()
                            .collect()
                    })
                    .collect();
                // A quantity that is the same constant in every draw of every chain (a fixed
                // transformed parameter) has no R-hat and says nothing about mixing.
                let first = chains.first().and_then(|c| c.first()).copied();
                if chains.iter().flatten().all(|v| Some(*v) == first) {
                    return f64::NEG_INFINITY;
                }
                crate::diagnostics::rhat_rank(&chains)
            })
            .reduce(
                || f64::NEG_INFINITY,
                |a, b| {
                    if a.is_nan() || b.is_nan() {
                        f64::NAN
                    } else {
                        a.max(b)
                    }
                },
            );
        let energy: Vec<Vec<f64>> = run
            .chains
            .iter()
            .map(|c| c.stats.iter().map(|s| s.energy).collect())
            .collect();
        let e_bfmi = crate::diagnostics::e_bfmi(&energy);
        RunCheck {
            max_r_hat,
            min_e_bfmi: min_or_nan(&e_bfmi),
            num_low_e_bfmi: num_below(&e_bfmi, settings.min_e_bfmi),
            num_chains: e_bfmi.len(),
            num_divergent: run.num_divergent(),
            num_draws: run.chains.iter().map(|c| c.stats.len()).sum(),
        }
    }

    /// The criteria these draws fail (module docs): R-hat, E-BFMI, divergences.
    fn failures(&self, settings: &AutoSettings) -> Vec<String> {
        let mut why = Vec::new();
        if self.num_chains >= 2 && !(self.max_r_hat <= settings.max_r_hat) {
            why.push(format!(
                "max R-hat {:.3} (> {})",
                self.max_r_hat, settings.max_r_hat
            ));
        }
        if self.num_chains > 0 && 2 * self.num_low_e_bfmi >= self.num_chains {
            why.push(format!(
                "E-BFMI below {} in {} of {} chains",
                settings.min_e_bfmi, self.num_low_e_bfmi, self.num_chains
            ));
        }
        if self.too_divergent(settings) {
            let fraction = self.divergent_fraction();
            why.push(format!(
                "{} of {} draws divergent ({:.2}% > {:.1}%)",
                self.num_divergent,
                self.num_draws,
                100.0 * fraction,
                100.0 * settings.max_divergent_fraction
            ));
        }
        why
    }

    /// The fraction of these draws that diverged.
    pub fn divergent_fraction(&self) -> f64 {
        self.num_divergent as f64 / self.num_draws.max(1) as f64
    }

    /// Whether more of these draws diverged than [`AutoSettings::max_divergent_fraction`].
    pub fn too_divergent(&self, settings: &AutoSettings) -> bool {
        self.divergent_fraction() > settings.max_divergent_fraction
    }

    /// Why these draws must not be kept, if they must not: the largest R-hat above
    /// [`AutoSettings::max_r_hat`] (or undefined with several chains), E-BFMI below
    /// [`AutoSettings::min_e_bfmi`] in half the chains or more, or more divergent draws than
    /// [`AutoSettings::max_divergent_fraction`].
    pub fn failure(&self, settings: &AutoSettings) -> Option<String> {
        let why = self.failures(settings);
        (!why.is_empty()).then(|| why.join(", "))
    }

    /// Whether these draws are better than `other`'s: fewer failed criteria, then a lower
    /// largest R-hat (an undefined one is the worst), then fewer divergent draws.
    pub fn better_than(&self, other: &RunCheck, settings: &AutoSettings) -> bool {
        let key = |c: &RunCheck| {
            let r_hat = if c.max_r_hat.is_nan() {
                f64::INFINITY
            } else {
                c.max_r_hat
            };
            (c.failures(settings).len(), r_hat, c.num_divergent)
        };
        key(self).partial_cmp(&key(other)) == Some(std::cmp::Ordering::Less)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draws::{ChainDraws, DrawStats};

    fn run_of(chains: Vec<(Vec<f64>, Vec<f64>)>) -> NutsRun {
        NutsRun {
            chains: chains
                .into_iter()
                .map(|(values, energy)| ChainDraws {
                    stats: energy
                        .iter()
                        .map(|&e| DrawStats {
                            energy: e,
                            ..Default::default()
                        })
                        .collect(),
                    values,
                    ..Default::default()
                })
                .collect(),
            num_grad_evals_warmup: 0,
            num_grad_evals_sampling: 0,
            seconds_warmup: 0.0,
            seconds_sampling: 0.0,
            adaptation: Vec::new(),
        }
    }

    /// A deterministic, well-mixed sequence (a scrambled stride).
    fn mixed(k: u64, n: usize) -> Vec<f64> {
        (0..n as u64)
            .map(|i| ((i * 7919 + k * 104_729) % 1009) as f64 / 1009.0)
            .collect()
    }

    #[test]
    fn mixed_chains_pass_and_stuck_chains_fail() {
        let n = 400;
        let settings = AutoSettings::default();
        // Two parameters, interleaved draw-major; energies jump around.
        let chain = |k: u64, shift: f64| {
            let (a, b) = (mixed(k, n), mixed(k + 10, n));
            let values = (0..n).flat_map(|i| [a[i] + shift, b[i]]).collect();
            (values, mixed(k + 20, n))
        };
        let good = RunCheck::of(&run_of((0..4).map(|k| chain(k, 0.0)).collect()), &settings);
        assert!(good.max_r_hat < 1.01, "{good:?}");
        assert_eq!(good.failure(&settings), None);
        // One chain stuck elsewhere in the first parameter.
        let stuck = RunCheck::of(
            &run_of(
                (0..4)
                    .map(|k| chain(k, if k == 3 { 5.0 } else { 0.0 }))
                    .collect(),
            ),
            &settings,
        );
        let why = stuck.failure(&settings).expect("stuck chain must fail");
        assert!(why.starts_with("max R-hat"), "{why}");
        assert!(good.better_than(&stuck, &settings) && !stuck.better_than(&good, &settings));
    }

    #[test]
    fn low_e_bfmi_in_half_the_chains_fails() {
        let n = 400;
        let settings = AutoSettings::default();
        let drifting: Vec<f64> = (0..n).map(|i| 0.01 * i as f64).collect();
        let chains = (0..4)
            .map(|k| {
                let energy = if k < 2 { drifting.clone() } else { mixed(k, n) };
                (mixed(k + 30, n), energy)
            })
            .collect();
        let check = RunCheck::of(&run_of(chains), &settings);
        assert_eq!(
            check.failure(&settings).as_deref(),
            Some("E-BFMI below 0.3 in 2 of 4 chains")
        );
        // One chain of four is a warning for the user, not a reason to rerun.
        let one = RunCheck {
            max_r_hat: 1.0,
            min_e_bfmi: 0.1,
            num_low_e_bfmi: 1,
            num_chains: 4,
            num_divergent: 0,
            num_draws: 4000,
        };
        assert_eq!(one.failure(&settings), None);
    }

    #[test]
    fn undefined_r_hat_is_worst_and_fails() {
        let settings = AutoSettings::default();
        let nan = RunCheck {
            max_r_hat: f64::NAN,
            min_e_bfmi: 0.9,
            num_low_e_bfmi: 0,
            num_chains: 2,
            num_divergent: 0,
            num_draws: 2000,
        };
        let high = RunCheck {
            max_r_hat: 3.0,
            min_e_bfmi: 0.9,
            num_low_e_bfmi: 0,
            num_chains: 2,
            num_divergent: 0,
            num_draws: 2000,
        };
        assert!(nan.failure(&settings).is_some());
        assert!(high.better_than(&nan, &settings) && !nan.better_than(&high, &settings));
        // A single chain has no R-hat to judge.
        let single = RunCheck {
            max_r_hat: f64::NAN,
            min_e_bfmi: 0.9,
            num_low_e_bfmi: 0,
            num_chains: 1,
            num_divergent: 0,
            num_draws: 1000,
        };
        assert_eq!(single.failure(&settings), None);
    }

    #[test]
    fn divergences_above_the_limit_fail_and_count_in_the_comparison() {
        let settings = AutoSettings::default();
        let with = |num_divergent, max_r_hat| RunCheck {
            max_r_hat,
            min_e_bfmi: 0.9,
            num_low_e_bfmi: 0,
            num_chains: 4,
            num_divergent,
            num_draws: 4000,
        };
        assert_eq!(with(20, 1.0).failure(&settings), None, "0.5% is the limit");
        assert_eq!(
            with(21, 1.0).failure(&settings).as_deref(),
            Some("21 of 4000 draws divergent (0.53% > 0.5%)")
        );
        // One failed criterion beats two, whatever the R-hat; then the lower R-hat wins.
        assert!(with(30, 1.009).better_than(&with(200, 1.3), &settings));
        assert!(with(200, 1.02).better_than(&with(30, 1.5), &settings));
        assert!(!with(30, 1.5).better_than(&with(200, 1.02), &settings));
    }

    #[test]
    fn a_constant_quantity_is_left_out_of_the_r_hat() {
        let n = 400;
        let settings = AutoSettings::default();
        let chains = (0..4)
            .map(|k| {
                let a = mixed(k, n);
                let values = (0..n).flat_map(|i| [a[i], 2.5]).collect();
                (values, mixed(k + 20, n))
            })
            .collect();
        let check = RunCheck::of(&run_of(chains), &settings);
        assert!(
            check.max_r_hat.is_finite() && check.max_r_hat < 1.01,
            "{check:?}"
        );
        assert_eq!(check.failure(&settings), None);
    }
}
