//! NUTS via nuts-rs — the only module that imports it.
//!
//! NeuTra (Hoffman et al. 2019, "NeuTra-lizing Bad Geometry in Hamiltonian Monte Carlo Using
//! Neural Transport"): with a flow T fitted to the target, NUTS runs in the latent space on
//! log p̃(z) = log p(T(z)) + log|det J_T(z)|, whose gradient Jᵀ∇log p + ∇ log|det J| is one
//! backward pass through the flow. Draws are mapped back through T and the model's constraining
//! map. nuts-rs's mass-matrix ([`Metric`]: diagonal, or low-rank as in Seyboldt, Carlson &
//! Carpenter 2026) and step-size adaptation stay on top. Without a flow the same code is plain
//! NUTS on the target.
//!
//! Two phases, so a caller can look at the warmup before paying for the draws: [`run`] runs
//! every chain through its adaptation, hands a [`WarmupReport`] to the caller's decision, and
//! then samples or stops; [`sample`] always samples.
//!
//! Chains run in parallel, each on its own thread with its own ChaCha8 stream (chain c of the
//! whole run, 0-based: stream c + 1), at most rayon's thread count computing at once, so the
//! draws do not depend on the thread count. A run can be a shard of a larger one
//! ([`NutsSettings::first_chain`]): its chains are the larger run's chains
//! `first_chain..first_chain + num_chains`, with their streams, so the shards together draw
//! exactly what the whole run on one machine draws. A recoverable density error is a divergence
//! (nuts-rs's convention); a fatal one stops the run.

mod chain;
mod gate;
mod logp;
mod settings;
mod start;
mod thread;
mod warm;

use crate::density::LogDensity;
use crate::draws::ChainDraws;
use crate::flow::Flow;
use crate::init::Initializer;
use crate::progress::{Phase, Progress};
use gate::Gate;
pub(crate) use settings::check_chain_range;
pub use settings::{Integrator, Metric, NutsSettings};
use std::sync::mpsc;
use std::time::Instant;
use thread::{ChainJob, chain_thread, sampler_error};
pub use warm::{ChainAdaptation, WarmStart};

/// The draws of a NUTS run and what they cost.
#[derive(Debug, Clone)]
pub struct NutsRun {
    /// One entry per chain: post-warmup draws, their statistics and the warmup statistics.
    pub chains: Vec<ChainDraws>,
    /// Gradient evaluations during warmup, all chains.
    pub num_grad_evals_warmup: u64,
    /// Gradient evaluations after warmup, all chains.
    pub num_grad_evals_sampling: u64,
    /// Wall-clock seconds of the warmup phase (all chains in parallel).
    pub seconds_warmup: f64,
    /// Wall-clock seconds of the sampling phase.
    pub seconds_sampling: f64,
    /// Each chain's adaptation and last draw, for a later run's [`WarmStart`].
    pub adaptation: Vec<ChainAdaptation>,
}

impl NutsRun {
    /// Divergent post-warmup draws, all chains.
    pub fn num_divergent(&self) -> usize {
        self.chains
            .iter()
            .map(|c| c.stats.iter().filter(|s| s.divergent).count())
            .sum()
    }

    /// Gradient evaluations and seconds of the whole run, warmup and sampling.
    pub fn cost(&self) -> (u64, f64) {
        (
            self.num_grad_evals_warmup + self.num_grad_evals_sampling,
            self.seconds_warmup + self.seconds_sampling,
        )
    }
}

/// Runs warmup and sampling ([`run`] with no check in between).
///
/// ```
/// use flowpost::{DensityError, LogDensity};
/// use flowpost::nuts::{Metric, NutsSettings, sample};
/// struct Normal2;
/// impl LogDensity for Normal2 {
///     fn dim(&self) -> usize { 2 }
///     fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
///         g[0] = -x[0];
///         g[1] = -x[1] / 4.0;
///         Ok(-0.5 * x[0] * x[0] - x[1] * x[1] / 8.0)
///     }
/// }
/// let settings = NutsSettings { num_tune: 200, num_draws: 200, metric: Metric::LowRank, ..Default::default() };
/// let run = sample(&Normal2, None, &settings, &flowpost::progress::NoProgress).unwrap();
/// assert_eq!(run.chains.len(), 4);
/// assert!(run.num_grad_evals_sampling > 0);
/// ```
pub fn sample<D: LogDensity + ?Sized>(
    density: &D,
    flow: Option<&Flow>,
    settings: &NutsSettings,
    progress: &dyn Progress,
) -> Result<NutsRun, crate::Error> {
    match run(density, flow, settings, progress, &[], |_| {
        Decision::Continue
    })? {
        Outcome::Sampled(run) => Ok(run),
        Outcome::Stopped(_) => unreachable!("the decision was to continue"),
    }
}

/// One chain's warmup so far, as handed to the decision of [`run`].
#[derive(Debug, Clone, Default)]
pub struct ChainWarmup {
    /// Per-draw statistics (the last one carries the current step size).
    pub stats: Vec<crate::DrawStats>,
    /// nuts-rs's Fisher distance ‖z + ∇ log p̃(z)‖² per draw, in the metric's coordinates: zero
    /// where the density NUTS sees is exactly standard normal there.
    pub fisher_distances: Vec<f64>,
    /// Constrained values of the warmup draws, draw-major.
    pub values: Vec<f64>,
    /// Unconstrained positions θ of the warmup draws (the target's coordinates, not the
    /// flow's latent ones), draw-major.
    pub positions: Vec<f64>,
    /// Gradient evaluations of this chain so far.
    pub num_grad_evals: u64,
}

/// Every chain's warmup so far.
#[derive(Debug, Clone, Default)]
pub struct WarmupReport {
    /// One entry per chain.
    pub chains: Vec<ChainWarmup>,
    /// Warmup draws per chain so far (a checkpoint, or the whole warmup).
    pub num_draws: u64,
    /// Warmup draws per chain in all.
    pub num_tune: u64,
    /// Wall-clock seconds of the warmup so far.
    pub seconds: f64,
}

impl WarmupReport {
    /// Gradient evaluations of the warmup so far, all chains.
    pub fn num_grad_evals(&self) -> u64 {
        self.chains.iter().map(|c| c.num_grad_evals).sum()
    }

    /// Whether this is the end of the warmup (not an earlier checkpoint).
    pub fn is_complete(&self) -> bool {
        self.num_draws == self.num_tune
    }
}

/// What to do at a checkpoint of [`run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go on: to the next checkpoint, or from the end of the warmup to the draws.
    Continue,
    /// Stop here (the cost so far is in the [`WarmupReport`]).
    Stop,
}

/// How [`run`] ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The chains were sampled.
    Sampled(NutsRun),
    /// The decision stopped the run during or after the warmup.
    Stopped(WarmupReport),
}

/// A chain thread's message at the end of a stage.
type StageMessage = (usize, Result<ChainWarmup, crate::Error>);

/// Runs every chain's warmup, pausing all chains after `checkpoints` warmup draws (those
/// inside `(0, num_tune)`) and at the end of the warmup; at each pause `decide` sees the
/// [`WarmupReport`] and says whether to go on. Each chain lives on its own thread (a nuts-rs
/// chain cannot change threads), at most rayon's thread count of them computing at once.
pub fn run<D, F>(
    density: &D,
    flow: Option<&Flow>,
    settings: &NutsSettings,
    progress: &dyn Progress,
    checkpoints: &[u64],
    mut decide: F,
) -> Result<Outcome, crate::Error>
where
    D: LogDensity + ?Sized,
    F: FnMut(&WarmupReport) -> Decision,
{
    settings.validate()?;
    if let Some(init) = &settings.init {
        if flow.is_some() {
            return Err(crate::Error::settings(
                "init",
                "applies to chains without a flow; with a flow the chains start from draws of its base distribution",
            ));
        }
        Initializer::new(density, init)?;
    }
    if let Some(warm) = &settings.warm_start {
        if settings.init.is_some() {
            return Err(crate::Error::settings(
                "init",
                "a warm start's chains start where the earlier run's chains ended; give no initial values",
            ));
        }
        warm.validate(density.dim())?;
    }
    if let Some(f) = flow
        && f.dim() != density.dim()
    {
        return Err(crate::Error::DimensionMismatch {
            what: "flow dimension vs density dimension",
            expected: density.dim(),
            got: f.dim(),
        });
    }
    let mut stages: Vec<u64> = checkpoints
        .iter()
        .copied()
        .filter(|&k| k > 0 && k < settings.num_tune)
        .collect();
    stages.sort_unstable();
    stages.dedup();
    stages.push(settings.num_tune);
    let stages = &stages;
    let num_constrained = density.param_names().len();
    let chains_total = settings.num_chains as u64;
    progress.begin(Phase::Warmup, settings.num_tune * chains_total);
    progress.begin(Phase::Sampling, settings.num_draws * chains_total);
    let gate = Gate::new(rayon::current_num_threads());
    let start = Instant::now();
    std::thread::scope(|scope| {
        let (stage_tx, stage_rx) = mpsc::channel::<StageMessage>();
        let mut decision_txs = Vec::with_capacity(settings.num_chains);
        let mut handles = Vec::with_capacity(settings.num_chains);
        for c in 0..settings.num_chains {
            let (decision_tx, decision_rx) = mpsc::channel::<Decision>();
            decision_txs.push(decision_tx);
            let stage_tx = stage_tx.clone();
            let gate = &gate;
            handles.push(scope.spawn(move || {
                chain_thread(ChainJob {
                    density,
                    flow,
                    settings,
                    chain: c,
                    num_constrained,
                    progress,
                    stages,
                    gate,
                    stage_tx,
                    decision_rx,
                })
            }));
        }
        drop(stage_tx);
        let mut report = WarmupReport {
            chains: vec![ChainWarmup::default(); settings.num_chains],
            num_draws: 0,
            num_tune: settings.num_tune,
            seconds: 0.0,
        };
        let mut failure: Option<(usize, crate::Error)> = None;
        let mut decision = Decision::Continue;
        for &stage in stages {
            for _ in 0..settings.num_chains {
                // Every live chain sends one message per stage; a closed channel means every
                // chain thread has ended.
                let Ok((c, result)) = stage_rx.recv() else {
                    break;
                };
                match result {
                    Ok(w) => report.chains[c] = w,
                    Err(e) => {
                        if failure.as_ref().is_none_or(|(f, _)| c < *f) {
                            failure = Some((c, e));
                        }
                    }
                }
            }
            report.num_draws = stage;
            report.seconds = start.elapsed().as_secs_f64();
            decision = if failure.is_some() {
                Decision::Stop
            } else {
                decide(&report)
            };
            for tx in &decision_txs {
                let _ = tx.send(decision);
            }
            if decision == Decision::Stop {
                break;
            }
        }
        progress.end(Phase::Warmup);
        let sampling_start = Instant::now();
        let mut results = Vec::with_capacity(settings.num_chains);
        for (c, h) in handles.into_iter().enumerate() {
            match h.join() {
                Ok(r) => results.push(r),
                Err(_) => results.push(Err(sampler_error(
                    settings.first_chain + c,
                    &"the chain's thread panicked",
                ))),
            }
        }
        progress.end(Phase::Sampling);
        if let Some((_, e)) = failure {
            return Err(e);
        }
        let mut run = NutsRun {
            chains: Vec::with_capacity(settings.num_chains),
            num_grad_evals_warmup: 0,
            num_grad_evals_sampling: 0,
            seconds_warmup: report.seconds,
            seconds_sampling: sampling_start.elapsed().as_secs_f64(),
            adaptation: Vec::with_capacity(settings.num_chains),
        };
        for r in results {
            if let Some(done) = r? {
                run.num_grad_evals_warmup += done.num_grad_evals_warmup;
                run.num_grad_evals_sampling += done.num_grad_evals - done.num_grad_evals_warmup;
                run.chains.push(done.draws);
                run.adaptation.push(done.adaptation);
            }
        }
        if decision == Decision::Stop {
            return Ok(Outcome::Stopped(report));
        }
        Ok(Outcome::Sampled(run))
    })
}
