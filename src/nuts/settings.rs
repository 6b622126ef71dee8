//! What a NUTS run is asked to do: [`NutsSettings`] (chains, warmup, draws, seed, the chains'
//! place in a larger run), the [`Metric`] it adapts and the [`Integrator`], and their checks.

use super::WarmStart;
use crate::init::Init;

/// The mass matrix NUTS adapts during warmup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Diagonal (Stan's default), from draws and gradients (nuts-rs's default adaptation).
    #[default]
    Diag,
    /// Diagonal plus a low-rank correction from the draws' and gradients' leading directions
    /// (nuts-rs's `LowRankNutsSettings`, with its defaults).
    LowRank,
}

impl Metric {
    /// `diag` or `low_rank`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Diag => "diag",
            Metric::LowRank => "low_rank",
        }
    }
}

/// How NUTS integrates a trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrator {
    /// The ordinary leapfrog.
    #[default]
    Leapfrog,
    /// nuts-rs's geodesic leapfrog, exact for a standard normal in the metric's coordinates:
    /// the Gaussian part of the motion is a rotation and only the residual ∇ log p̃(z) + z
    /// kicks. Where a flow has made the target nearly standard normal, steps up to π/2 are
    /// accepted (the step size is capped there, as nuts-rs's flow settings do).
    ExactNormal,
}

/// Settings of one NUTS run (all chains).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NutsSettings {
    /// Chains.
    pub num_chains: usize,
    /// Warmup draws per chain.
    pub num_tune: u64,
    /// Post-warmup draws per chain.
    pub num_draws: u64,
    /// Maximum tree depth.
    pub max_depth: u64,
    /// Target mean acceptance statistic of the step-size adaptation.
    pub target_accept: f64,
    /// Seed; chain c (0-based, counted in the whole run: `first_chain + k` for this run's
    /// chain k) uses stream c + 1.
    pub seed: u64,
    /// The whole run's index (0-based) of this run's first chain, when this run is a shard
    /// of a larger one; 0 otherwise. Chain k of this run is the whole run's chain
    /// `first_chain + k`: its random stream, its initial point and nuts-rs's chain number
    /// depend only on the seed and that index.
    #[serde(default)]
    pub first_chain: usize,
    /// The adapted mass matrix.
    pub metric: Metric,
    /// The integrator.
    pub integrator: Integrator,
    /// WALNUTS (nuts-rs's within-orbit adaptive step size: a leapfrog step whose energy error
    /// is too large is split into smaller steps), configured as nuts-rs's tests and walnutpie
    /// do: the number of micro steps adapted during warmup towards 15 macro steps per draw.
    #[serde(default)]
    pub walnuts: bool,
    /// Initial positions of chains without a flow ([`Init`]); `None`: uniform in (−2, 2)^d
    /// (Stan's default). With a flow the chains start from draws of its base distribution
    /// and an init is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
    /// An earlier run's adaptation ([`WarmStart`]): each chain starts where that run's chain
    /// ended, with its step size and its metric, so a short warmup suffices. Its coordinates
    /// must be this run's (the same flow, or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_start: Option<WarmStart>,
}

impl Default for NutsSettings {
    fn default() -> Self {
        NutsSettings {
            num_chains: 4,
            num_tune: 1000,
            num_draws: 1000,
            max_depth: 10,
            target_accept: 0.8,
            seed: 0,
            first_chain: 0,
            metric: Metric::Diag,
            integrator: Integrator::Leapfrog,
            walnuts: false,
            init: None,
            warm_start: None,
        }
    }
}

impl NutsSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |f: &str, r: &str| Err(crate::Error::settings(f, r));
        if self.num_chains == 0 {
            return bad("num_chains", "must be at least 1");
        }
        if self.num_draws < 4 {
            return bad(
                "num_draws",
                "must be at least 4 (split R-hat needs two halves of 2)",
            );
        }
        if !(self.target_accept > 0.0 && self.target_accept < 1.0) {
            return bad("target_accept", "must be in (0, 1)");
        }
        if !(1..=30).contains(&self.max_depth) {
            return bad("max_depth", "must be in 1..=30");
        }
        check_chain_range(self.first_chain, self.num_chains)
    }
}

/// Chains `first_chain..first_chain + num_chains` of a run fit the block of random streams
/// chains draw from ([`NUTS_CHAIN`](crate::rng::streams::NUTS_CHAIN)).
pub(crate) fn check_chain_range(first_chain: usize, num_chains: usize) -> Result<(), crate::Error> {
    let chains = crate::rng::streams::NUTS_CHAIN;
    if first_chain.saturating_add(num_chains) as u64 > chains.len {
        return Err(crate::Error::settings(
            "first_chain",
            &format!(
                "the run's last chain (first_chain + num_chains, 1-based) must be at most {}: each chain has its own random stream",
                chains.len
            ),
        ));
    }
    Ok(())
}
