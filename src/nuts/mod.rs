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
mod start;

use crate::density::LogDensity;
use crate::draws::ChainDraws;
use crate::flow::Flow;
use crate::init::{Init, Initializer};
use crate::progress::{Phase, Progress};
use chain::{Stepper, density_error, new_stepper};
use gate::Gate;
use logp::LatentLogp;
use nuts_rs::{DiagNutsSettings, LowRankNutsSettings};
use start::{Start, init_position};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Instant;

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
        if self.first_chain.checked_add(self.num_chains).is_none() {
            return bad("first_chain", "first_chain + num_chains overflows");
        }
        Ok(())
    }
}

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
        };
        for r in results {
            if let Some(done) = r? {
                run.num_grad_evals_warmup += done.num_grad_evals_warmup;
                run.num_grad_evals_sampling += done.num_grad_evals - done.num_grad_evals_warmup;
                run.chains.push(done.draws);
            }
        }
        if decision == Decision::Stop {
            return Ok(Outcome::Stopped(report));
        }
        Ok(Outcome::Sampled(run))
    })
}

/// What a chain thread needs.
struct ChainJob<'a, 's, D: ?Sized> {
    density: &'a D,
    flow: Option<&'a Flow>,
    settings: &'s NutsSettings,
    chain: usize,
    num_constrained: usize,
    progress: &'s dyn Progress,
    stages: &'s [u64],
    gate: &'s Gate,
    stage_tx: mpsc::Sender<StageMessage>,
    decision_rx: mpsc::Receiver<Decision>,
}

/// A sampled chain.
struct ChainDone {
    draws: ChainDraws,
    num_grad_evals_warmup: u64,
    num_grad_evals: u64,
}

/// One chain's life: start, the warmup stages (each reported, then a decision awaited), the
/// draws. A panic inside a stage is reported as an error, so the coordinator never waits for a
/// message that cannot come.
fn chain_thread<D: LogDensity + ?Sized>(
    job: ChainJob<'_, '_, D>,
) -> Result<Option<ChainDone>, crate::Error> {
    let ChainJob {
        density,
        flow,
        settings,
        chain,
        num_constrained,
        progress,
        stages,
        gate,
        stage_tx,
        decision_rx,
    } = job;
    // `chain` is this run's (the coordinator's slot); `global` the whole run's, which decides
    // the chain's randomness and names it in messages.
    let global = settings.first_chain + chain;
    let guarded = |f: &mut dyn FnMut() -> Result<(), crate::Error>| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|_| Err(sampler_error(global, &"the sampler panicked")))
    };
    let mut state = None;
    let mut done = 0u64;
    for &stage in stages {
        let permit = gate.acquire();
        let result = guarded(&mut || {
            if state.is_none() {
                state = Some(start_chain(
                    density,
                    flow,
                    settings,
                    global,
                    num_constrained,
                )?);
            }
            let s = state.as_mut().expect("started above");
            warmup_draws(s, done, stage, global, num_constrained, progress)
        });
        drop(permit);
        let message = result.map(|()| state.as_ref().expect("started").warmup.clone());
        let failed = message.is_err();
        let _ = stage_tx.send((chain, message));
        if failed || decision_rx.recv() != Ok(Decision::Continue) {
            return Ok(None);
        }
        done = stage;
    }
    drop(stage_tx);
    let Some(mut state) = state else {
        return Ok(None);
    };
    let _permit = gate.acquire();
    guarded(&mut || sample_chain(&mut state, settings, global, progress))?;
    let mut draws = state.draws;
    draws.warmup_values = std::mem::take(&mut state.warmup.values);
    Ok(Some(ChainDone {
        num_grad_evals: state.num_evals.load(Ordering::Relaxed),
        num_grad_evals_warmup: state.warmup.num_grad_evals,
        draws,
    }))
}

/// One chain between phases.
struct ChainState<'a> {
    stepper: Box<dyn Stepper + 'a>,
    num_constrained: usize,
    draws: ChainDraws,
    warmup: ChainWarmup,
    num_evals: Arc<AtomicU64>,
    /// The metric's latest scales σ (nuts-rs reports them only when they change).
    metric_stds: Option<Vec<f64>>,
}

/// Sets nuts-rs's kinetic energy (and the step-size cap that goes with it).
fn set_integrator<S: Default + std::fmt::Debug + Copy + serde::Serialize>(
    nuts: &mut nuts_rs::NutsSettings<nuts_rs::EuclideanAdaptOptions<S>>,
    integrator: Integrator,
    walnuts: bool,
) {
    if walnuts {
        nuts.walnuts = Some(nuts_rs::WalnutsOptions {
            target_macro_steps: Some(15.0),
            ..Default::default()
        });
    }
    if integrator == Integrator::ExactNormal {
        nuts.trajectory_kind = nuts_rs::KineticEnergyKind::ExactNormal;
        nuts.adapt_options
            .step_size_settings
            .adapt_options
            .dual_average
            .max_step_size = std::f64::consts::FRAC_PI_2;
    }
}

fn sampler_error(chain: usize, e: &dyn std::fmt::Display) -> crate::Error {
    crate::Error::Sampler {
        chain: chain + 1,
        message: crate::error::clean_message(&e.to_string()),
    }
}

/// A nuts-rs error of chain `chain` at draw `draw` (1-based, warmup included).
fn draw_error(e: &anyhow::Error, chain: usize, draw: u64) -> crate::Error {
    match density_error(e) {
        Some(source) => crate::Error::Density {
            context: format!("chain {}, draw {}", chain + 1, draw),
            source,
        },
        None => sampler_error(chain, &format!("{e:#}")),
    }
}

/// Builds chain `chain` (0-based, counted in the whole run) and finds its starting point.
fn start_chain<'a, D: LogDensity + ?Sized>(
    density: &'a D,
    flow: Option<&'a Flow>,
    settings: &NutsSettings,
    chain: usize,
    num_constrained: usize,
) -> Result<ChainState<'a>, crate::Error> {
    let d = density.dim();
    let num_evals = Arc::new(AtomicU64::new(0));
    let logp = LatentLogp::new(density, flow, num_constrained, num_evals.clone());
    let mut rng = crate::rng::seeded(settings.seed, chain as u64 + 1);
    let stepper = match settings.metric {
        Metric::Diag => {
            let mut nuts = DiagNutsSettings {
                num_tune: settings.num_tune,
                num_draws: settings.num_draws,
                ..Default::default()
            };
            nuts.maxdepth = settings.max_depth;
            nuts.seed = settings.seed;
            nuts.num_chains = settings.num_chains;
            nuts.adapt_options.step_size_settings.target_accept = settings.target_accept;
            nuts.adapt_options.mass_matrix_options.store_mass_matrix = true;
            set_integrator(&mut nuts, settings.integrator, settings.walnuts);
            new_stepper(&nuts, chain as u64, logp, num_constrained, &mut rng)
        }
        Metric::LowRank => {
            let mut nuts = LowRankNutsSettings {
                num_tune: settings.num_tune,
                num_draws: settings.num_draws,
                ..Default::default()
            };
            nuts.maxdepth = settings.max_depth;
            nuts.seed = settings.seed;
            nuts.num_chains = settings.num_chains;
            nuts.adapt_options.step_size_settings.target_accept = settings.target_accept;
            nuts.adapt_options.mass_matrix_options.store_mass_matrix = true;
            set_integrator(&mut nuts, settings.integrator, settings.walnuts);
            new_stepper(&nuts, chain as u64, logp, num_constrained, &mut rng)
        }
    };
    let mut stepper = stepper.map_err(|e| sampler_error(chain, &e))?;
    let start = Start {
        latent: flow.map(Flow::base),
        init: settings.init.as_ref(),
        num_evals: &num_evals,
    };
    init_position(&mut *stepper, density, start, &mut rng, chain)?;
    let num_tune = settings.num_tune as usize;
    let state = ChainState {
        stepper,
        num_constrained,
        draws: ChainDraws {
            values: Vec::with_capacity(settings.num_draws as usize * num_constrained),
            ..Default::default()
        },
        warmup: ChainWarmup {
            stats: Vec::with_capacity(num_tune),
            fisher_distances: Vec::with_capacity(num_tune),
            values: Vec::with_capacity(num_tune * num_constrained),
            positions: Vec::with_capacity(num_tune * d),
            num_grad_evals: 0,
        },
        num_evals,
        metric_stds: None,
    };
    Ok(state)
}

/// Warmup draws `from..to` (0-based) of one chain.
fn warmup_draws(
    state: &mut ChainState<'_>,
    from: u64,
    to: u64,
    chain: usize,
    num_constrained: usize,
    progress: &dyn Progress,
) -> Result<(), crate::Error> {
    for i in from..to {
        let draw = state
            .stepper
            .draw()
            .map_err(|e| draw_error(&e, chain, i + 1))?;
        if draw.metric_stds.is_some() {
            state.metric_stds = draw.metric_stds;
        }
        state.warmup.stats.push(draw.stats);
        state.warmup.fisher_distances.push(draw.fisher_distance);
        let d = draw.expanded.len() - num_constrained - 1;
        state
            .warmup
            .values
            .extend_from_slice(&draw.expanded[..num_constrained]);
        state
            .warmup
            .positions
            .extend_from_slice(&draw.expanded[num_constrained..num_constrained + d]);
        progress.advance(Phase::Warmup, 1);
    }
    state.draws.warmup_stats = state.warmup.stats.clone();
    state.warmup.num_grad_evals = state.num_evals.load(Ordering::Relaxed);
    Ok(())
}

fn sample_chain(
    state: &mut ChainState<'_>,
    settings: &NutsSettings,
    chain: usize,
    progress: &dyn Progress,
) -> Result<(), crate::Error> {
    for i in 0..settings.num_draws {
        let draw = state
            .stepper
            .draw()
            .map_err(|e| draw_error(&e, chain, settings.num_tune + i + 1))?;
        if draw.metric_stds.is_some() {
            state.metric_stds = draw.metric_stds;
        }
        if state.draws.stats.is_empty() {
            // The adapted step size, without the per-draw jitter; the inverse mass matrix of
            // the metric NUTS used (in the flow's latent space when there is a flow).
            state.draws.adapted_step_size =
                Some(draw.step_size_bar.unwrap_or(draw.stats.step_size));
            state.draws.inv_mass_diag = state
                .metric_stds
                .as_ref()
                .map(|s| s.iter().map(|v| v * v).collect());
        }
        state.draws.stats.push(draw.stats);
        let n = state.num_constrained;
        state.draws.values.extend_from_slice(&draw.expanded[..n]);
        progress.advance(Phase::Sampling, 1);
    }
    Ok(())
}
