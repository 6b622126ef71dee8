//! A sampler for posteriors with several well-separated modes (issue 16): find the modes by a
//! multi-start of the Gaussian initialization ([`modes`]), then run chains that interleave a
//! local HMC kernel (`hmc.rs`) with independent Metropolis–Hastings jumps from a mixture with
//! one component per mode ([`mixture`]: the mode's Laplace Gaussian, or a multivariate t with
//! the Laplace curvature where [`tails`] measures polynomial tails), exact because that
//! mixture's density is exact (see `chain.rs` for why the draws are p-invariant).
//! docs/multimodal.md says why this design and what it measured.
//!
//! The evidence: the post-warmup jump proposals are independent draws from each chain's fixed
//! proposal q_c, each an unbiased importance-sampling estimate p/q_c of Z; pooled over the
//! chains (equal numbers from each q_c, independent) they give log Z with its MCSE and k̂
//! ([`crate::diagnostics::log_evidence`], PSIS-smoothed), reported only when k̂ is below the
//! threshold and otherwise `None` with the reason.
//!
//! Reproducible: start i of the search uses random stream [`modes::START_STREAM`] + i, chain c
//! uses [`CHAIN_STREAM`] + c, whatever the thread count.

mod chain;
mod hmc;
pub mod mixture;
pub mod modes;
pub mod tails;
mod weights;

use crate::density::LogDensity;
use crate::nuts::NutsRun;
use crate::progress::{Phase, Progress};
use mixture::Mixture;
pub use modes::{ModeSearch, ModeSearchSettings, find_modes};
use rayon::prelude::*;
use std::time::Instant;

/// Random stream of chain 0 (chain c uses this + c).
pub const CHAIN_STREAM: u64 = crate::rng::streams::MULTIMODAL_CHAIN.first;

/// Settings of the multimodal method.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct MultimodalSettings {
    /// The mode search.
    pub search: ModeSearchSettings,
}

impl MultimodalSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), crate::Error> {
        self.search.validate()
    }
}

/// A mode as reported.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeReport {
    /// The mode (unconstrained coordinates).
    pub location: Vec<f64>,
    /// Laplace sds (unconstrained).
    pub sd: Vec<f64>,
    /// Degrees of freedom of its t component in the jump proposal (the measured tail weight);
    /// `None` (`null`) for a Gaussian component.
    #[serde(default)]
    pub proposal_nu: Option<f64>,
    /// Its weight in the jump proposal q (importance-sampling mass, normalized).
    pub proposal_weight: f64,
    /// log of its mass, importance-sampled with every mode's component's draws pooled
    /// (`weights.rs`: a heavy-tailed component does not claim the other modes' mass).
    pub log_mass: f64,
    /// Starts that ended at it.
    pub num_starts: usize,
    /// Fraction of each chain's draws nearest to it (most responsible component of q).
    pub occupancy_per_chain: Vec<f64>,
    /// Fraction of all draws nearest to it.
    pub occupancy: f64,
}

/// What the multimodal method found and did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MultimodalReport {
    /// The modes, heaviest first.
    pub modes: Vec<ModeReport>,
    /// Starts of the search.
    pub num_starts: usize,
    /// Starts that failed.
    pub num_failed_starts: usize,
    /// Why the last failed start failed (absent when none failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
    /// Gradient evaluations of the search.
    pub num_grad_evals_search: u64,
    /// Post-warmup jumps accepted over jumps proposed, all chains.
    pub jump_acceptance: f64,
    /// The same per chain.
    pub jump_acceptance_per_chain: Vec<f64>,
    /// log Z of the density as written with its MCSE and k̂, from the post-warmup jump
    /// proposals' PSIS-smoothed importance weights (module docs); `None` (`null`) when k̂ says
    /// they cannot be trusted.
    #[serde(default)]
    pub log_evidence: Option<crate::diagnostics::LogEvidence>,
    /// Why `log_evidence` is `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_evidence_note: Option<String>,
}

impl MultimodalReport {
    /// One line per mode for the terminal.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "multimodal: {} mode(s) from {} starts ({} failed), jump acceptance {:.3} (per chain {})\n",
            self.modes.len(),
            self.num_starts,
            self.num_failed_starts,
            self.jump_acceptance,
            self.jump_acceptance_per_chain
                .iter()
                .map(|a| format!("{a:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (k, m) in self.modes.iter().enumerate() {
            s += &format!(
                "  mode {}: occupancy {:.3} (per chain {}), proposal weight {:.3} ({}), {} start(s)\n",
                k + 1,
                m.occupancy,
                m.occupancy_per_chain
                    .iter()
                    .map(|a| format!("{a:.2}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                m.proposal_weight,
                m.proposal_family(),
                m.num_starts
            );
        }
        s += &match (&self.log_evidence, &self.log_evidence_note) {
            (Some(z), _) => format!(
                "log evidence (log Z of the density as written): {:.4} ± {:.2e} (MCSE), Pareto k̂ {:.2}, from the jump proposals' importance weights\n",
                z.value, z.mcse, z.pareto_k
            ),
            (None, Some(why)) => format!("log evidence: not reported — {why}\n"),
            (None, None) => String::new(),
        };
        s
    }
}

impl MultimodalReport {
    /// The warning a run deserves when some starts of the mode search failed (all failing is
    /// an error, [`crate::Error::NoModes`]): a start that ran off to infinity means the
    /// density increases without bound in some direction, which the chains may follow.
    pub fn warning(&self) -> Option<crate::diagnostics::DiagnosticWarning> {
        (self.num_failed_starts > 0).then(|| {
            crate::diagnostics::DiagnosticWarning::ModeSearchFailures {
                failed: self.num_failed_starts,
                total: self.num_starts,
                last_failure: self.last_failure.clone().unwrap_or_default(),
            }
        })
    }
}

impl ModeReport {
    /// `Gaussian` or `t, ν = 4.2`: the family of its proposal component.
    pub fn proposal_family(&self) -> String {
        match self.proposal_nu {
            Some(nu) => format!("t, ν = {nu:.1}"),
            None => "Gaussian".into(),
        }
    }
}

/// The sampler's result: the chains (as a [`NutsRun`], for the shared outputs) and the report.
#[derive(Debug, Clone)]
pub struct MultimodalRun {
    /// The chains.
    pub run: NutsRun,
    /// Modes, occupancy, jumps.
    pub report: MultimodalReport,
    /// Seconds of the mode search.
    pub seconds_search: f64,
}

/// Chain sizes and seed of [`run`].
#[derive(Debug, Clone, Copy)]
pub struct ChainSettings {
    /// Chains.
    pub num_chains: usize,
    /// Warmup iterations per chain (step-size adaptation).
    pub num_tune: u64,
    /// Draws per chain.
    pub num_draws: u64,
    /// Seed.
    pub seed: u64,
    /// Target acceptance statistic of the HMC step size.
    pub target_accept: f64,
}

/// Finds the modes and samples (module docs).
pub fn run<D: LogDensity + ?Sized>(
    density: &D,
    settings: &MultimodalSettings,
    chains: &ChainSettings,
    progress: &dyn Progress,
) -> Result<MultimodalRun, crate::Error> {
    settings.validate()?;
    let start = Instant::now();
    let search = find_modes(density, &settings.search, chains.seed)?;
    let seconds_search = start.elapsed().as_secs_f64();
    let hi = search
        .modes
        .iter()
        .map(|m| m.log_mass)
        .fold(f64::NEG_INFINITY, f64::max);
    let raw: Vec<f64> = search
        .modes
        .iter()
        .map(|m| {
            if hi.is_finite() {
                (m.log_mass - hi).exp()
            } else {
                1.0
            }
        })
        .collect();
    let total: f64 = raw.iter().sum();
    let mixture = Mixture {
        components: search.modes.iter().map(|m| m.component.clone()).collect(),
        weights: raw.iter().map(|w| w / total).collect(),
    };
    // The metric: the modes' within-mode variances, averaged with q's weights.
    let d = density.dim();
    let sigma: Vec<f64> = (0..d)
        .map(|i| {
            mixture
                .components
                .iter()
                .zip(&mixture.weights)
                .map(|(c, w)| w * c.variances()[i])
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let total_chains = chains.num_chains as u64;
    progress.begin(Phase::Warmup, chains.num_tune * total_chains);
    progress.begin(Phase::Sampling, chains.num_draws * total_chains);
    let sampling_start = Instant::now();
    let outs: Vec<Result<chain::ChainOut, crate::Error>> = (0..chains.num_chains)
        .into_par_iter()
        .map(|c| {
            chain::run_chain(chain::ChainJob {
                density,
                mixture: &mixture,
                sigma: sigma.clone(),
                num_tune: chains.num_tune,
                num_draws: chains.num_draws,
                target_accept: chains.target_accept,
                rng: crate::rng::seeded(
                    chains.seed,
                    crate::rng::streams::MULTIMODAL_CHAIN.id(c as u64),
                ),
                chain: c,
                progress,
            })
        })
        .collect();
    progress.end(Phase::Warmup);
    progress.end(Phase::Sampling);
    let outs = outs.into_iter().collect::<Result<Vec<_>, _>>()?;
    let seconds_chains = sampling_start.elapsed().as_secs_f64();
    let n = chains.num_draws.max(1) as f64;
    let accepted: u64 = outs.iter().map(|o| o.num_jumps_accepted).sum();
    let modes = search
        .modes
        .iter()
        .enumerate()
        .map(|(k, m)| {
            let per_chain: Vec<f64> = outs.iter().map(|o| o.mode_counts[k] as f64 / n).collect();
            ModeReport {
                location: m.laplace.loc.clone(),
                sd: m.laplace.variances().iter().map(|v| v.sqrt()).collect(),
                proposal_nu: m.component.nu.is_finite().then_some(m.component.nu),
                proposal_weight: mixture.weights[k],
                log_mass: m.log_mass,
                num_starts: m.num_starts,
                occupancy: per_chain.iter().sum::<f64>() / per_chain.len().max(1) as f64,
                occupancy_per_chain: per_chain,
            }
        })
        .collect();
    let log_ratios: Vec<f64> = outs
        .iter()
        .flat_map(|o| o.log_ratios.iter().copied())
        .collect();
    let num_dropped: u64 = outs.iter().map(|o| o.num_dropped).sum();
    let evidence = crate::diagnostics::log_evidence(&log_ratios, num_dropped as usize);
    let report = MultimodalReport {
        modes,
        num_starts: settings.search.num_starts,
        num_failed_starts: search.num_failed,
        last_failure: search.last_failure.clone(),
        num_grad_evals_search: search.num_grad_evals,
        jump_acceptance: accepted as f64 / (n * outs.len().max(1) as f64),
        jump_acceptance_per_chain: outs
            .iter()
            .map(|o| o.num_jumps_accepted as f64 / n)
            .collect(),
        log_evidence: evidence.as_ref().ok().copied(),
        log_evidence_note: evidence.err(),
    };
    // Warmup and sampling run in the same loop; split the chains' wall time by gradients.
    let warm: u64 = outs.iter().map(|o| o.num_grad_evals_warmup).sum();
    let all: u64 = outs.iter().map(|o| o.num_grad_evals).sum();
    let share = warm as f64 / all.max(1) as f64;
    let run = NutsRun {
        num_grad_evals_warmup: warm,
        num_grad_evals_sampling: all - warm,
        seconds_warmup: seconds_chains * share,
        seconds_sampling: seconds_chains * (1.0 - share),
        chains: outs.into_iter().map(|o| o.draws).collect(),
        adaptation: Vec::new(),
    };
    Ok(MultimodalRun {
        run,
        report,
        seconds_search,
    })
}
