//! One chain's life on its own thread: build the nuts-rs chain (metric, integrator, warm
//! start), find its start, run the warmup stages the coordinator paces, then the draws; and
//! what the chain hands back (its draws, its adaptation, its cost).

use super::chain::{Stepper, density_error, new_stepper};
use super::gate::Gate;
use super::logp::LatentLogp;
use super::start::{Start, init_position};
use super::{
    ChainAdaptation, ChainWarmup, Decision, Integrator, Metric, NutsSettings, StageMessage,
};
use crate::density::LogDensity;
use crate::draws::ChainDraws;
use crate::flow::Flow;
use crate::progress::{Phase, Progress};
use nuts_rs::{DiagNutsSettings, LowRankNutsSettings};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

/// What a chain thread needs.
pub(super) struct ChainJob<'a, 's, D: ?Sized> {
    pub(super) density: &'a D,
    pub(super) flow: Option<&'a Flow>,
    pub(super) settings: &'s NutsSettings,
    pub(super) chain: usize,
    pub(super) num_constrained: usize,
    pub(super) progress: &'s dyn Progress,
    pub(super) stages: &'s [u64],
    pub(super) gate: &'s Gate,
    pub(super) stage_tx: mpsc::Sender<StageMessage>,
    pub(super) decision_rx: mpsc::Receiver<Decision>,
}

/// A sampled chain.
pub(super) struct ChainDone {
    pub(super) draws: ChainDraws,
    pub(super) adaptation: ChainAdaptation,
    pub(super) num_grad_evals_warmup: u64,
    pub(super) num_grad_evals: u64,
}

/// One chain's life: start, the warmup stages (each reported, then a decision awaited), the
/// draws. A panic inside a stage is reported as an error, so the coordinator never waits for a
/// message that cannot come.
pub(super) fn chain_thread<D: LogDensity + ?Sized>(
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
    let adaptation = ChainAdaptation {
        chain: global + 1,
        step_size: state.draws.adapted_step_size.unwrap_or(f64::NAN),
        inv_mass_diag: state.draws.inv_mass_diag.clone().unwrap_or_default(),
        position: state.unscaled(&state.last_position),
    };
    let mut draws = state.draws;
    draws.warmup_values = std::mem::take(&mut state.warmup.values);
    Ok(Some(ChainDone {
        adaptation,
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
    /// A warm start's scales (NUTS runs in y = z ⊘ scales); `None`: in z.
    scales: Option<Vec<f64>>,
    /// The latest draw's position, in NUTS's coordinates.
    last_position: Box<[f64]>,
}

impl ChainState<'_> {
    /// A vector of NUTS's coordinates (position or metric scale) in the unscaled ones.
    fn unscaled(&self, y: &[f64]) -> Vec<f64> {
        match &self.scales {
            Some(s) => y.iter().zip(s).map(|(a, b)| a * b).collect(),
            None => y.to_vec(),
        }
    }
}

/// nuts-rs's settings for either metric (`nuts`: that metric's defaults), from ours: draws,
/// tree depth, seed, target acceptance, a warm start's initial step, and the kinetic energy
/// (with the step-size cap that goes with it). The metric's own options (storing the mass
/// matrix) are the caller's.
fn configure<S: Default + std::fmt::Debug + Copy + serde::Serialize>(
    mut nuts: nuts_rs::NutsSettings<nuts_rs::EuclideanAdaptOptions<S>>,
    settings: &NutsSettings,
    initial_step: Option<f64>,
) -> nuts_rs::NutsSettings<nuts_rs::EuclideanAdaptOptions<S>> {
    nuts.num_tune = settings.num_tune;
    nuts.num_draws = settings.num_draws;
    nuts.maxdepth = settings.max_depth;
    nuts.seed = settings.seed;
    nuts.num_chains = settings.num_chains;
    nuts.adapt_options.step_size_settings.target_accept = settings.target_accept;
    if let Some(step) = initial_step {
        nuts.adapt_options.step_size_settings.initial_step = step;
    }
    if settings.walnuts {
        nuts.walnuts = Some(nuts_rs::WalnutsOptions {
            target_macro_steps: Some(15.0),
            ..Default::default()
        });
    }
    if settings.integrator == Integrator::ExactNormal {
        nuts.trajectory_kind = nuts_rs::KineticEnergyKind::ExactNormal;
        nuts.adapt_options
            .step_size_settings
            .adapt_options
            .dual_average
            .max_step_size = std::f64::consts::FRAC_PI_2;
    }
    nuts
}

/// nuts-rs's low-rank schedule: between two window switches the metric is recomputed every
/// this many warmup draws (`LowRankNutsSettings::default()`'s `mass_matrix_update_freq`).
const LOW_RANK_UPDATE_FREQ: u64 = 20;

/// Up to this dimension the low-rank metric is recomputed on nuts-rs's schedule, unchanged.
const LOW_RANK_FULL_SCHEDULE_MAX_DIM: usize = 100;

/// Warmup draws between two recomputations of the low-rank metric in dimension `d` (a window
/// switch recomputes it in any case). One recomputation costs a few SVDs, a QR and three
/// symmetric eigendecompositions of size up to min(d, 2n) for a window of n draws (n reaches
/// ~350 with 1000 warmup draws): seconds at d = 1000, so nuts-rs's every-20-draws schedule
/// spent 99% of a 1003-d warmup there. Above [`LOW_RANK_FULL_SCHEDULE_MAX_DIM`] the interval
/// grows in proportion to d (200 draws at d = 1000: little more than the switches), so the
/// adaptation's cost stays a small part of the run; at and below it, nuts-rs's 20 (draws
/// unchanged).
fn low_rank_update_freq(d: usize) -> u64 {
    if d <= LOW_RANK_FULL_SCHEDULE_MAX_DIM {
        LOW_RANK_UPDATE_FREQ
    } else {
        (LOW_RANK_UPDATE_FREQ * d as u64).div_ceil(LOW_RANK_FULL_SCHEDULE_MAX_DIM as u64)
    }
}

pub(super) fn sampler_error(chain: usize, e: &dyn std::fmt::Display) -> crate::Error {
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
    let warm = settings.warm_start.as_ref().map(|w| w.for_chain(chain));
    let scales = warm.map(ChainAdaptation::scales);
    let mut logp = LatentLogp::new(density, flow, num_constrained, num_evals.clone());
    if let Some(s) = &scales {
        logp = logp.with_scales(s.clone());
    }
    let initial_step = warm.map(|w| w.step_size);
    let mut rng = crate::rng::seeded(
        settings.seed,
        crate::rng::streams::NUTS_CHAIN.id(chain as u64),
    );
    let stepper = match settings.metric {
        Metric::Diag => {
            let mut nuts = configure(DiagNutsSettings::default(), settings, initial_step);
            nuts.adapt_options.mass_matrix_options.store_mass_matrix = true;
            new_stepper(&nuts, chain as u64, logp, num_constrained, &mut rng)
        }
        Metric::LowRank => {
            let mut nuts = configure(LowRankNutsSettings::default(), settings, initial_step);
            nuts.adapt_options.mass_matrix_options.store_mass_matrix = true;
            nuts.adapt_options.mass_matrix_update_freq = low_rank_update_freq(d);
            new_stepper(&nuts, chain as u64, logp, num_constrained, &mut rng)
        }
    };
    let mut stepper = stepper.map_err(|e| sampler_error(chain, &e))?;
    match (warm, &scales) {
        (Some(w), Some(s)) => {
            let y: Vec<f64> = w.position.iter().zip(s).map(|(z, si)| z / si).collect();
            stepper.set_position(&y).map_err(|e| crate::Error::Init {
                reason: format!(
                    "chain {} cannot start where the warm start's chain {} ended: {}",
                    chain + 1,
                    w.chain,
                    crate::error::clean_message(&format!("{e:#}"))
                ),
            })?;
        }
        _ => {
            let start = Start {
                latent: flow.map(Flow::base),
                init: settings.init.as_ref(),
                num_evals: &num_evals,
            };
            init_position(&mut *stepper, density, start, &mut rng, chain)?;
        }
    }
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
        scales,
        last_position: Box::default(),
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
        state.last_position = draw.position;
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
        state.last_position = draw.position;
        if state.draws.stats.is_empty() {
            // The adapted step size, without the per-draw jitter; the inverse mass matrix of
            // the metric NUTS used (in the flow's latent space when there is a flow).
            state.draws.adapted_step_size =
                Some(draw.step_size_bar.unwrap_or(draw.stats.step_size));
            state.draws.inv_mass_diag = state
                .metric_stds
                .as_ref()
                .map(|s| state.unscaled(s).iter().map(|v| v * v).collect());
        }
        state.draws.stats.push(draw.stats);
        let n = state.num_constrained;
        state.draws.values.extend_from_slice(&draw.expanded[..n]);
        progress.advance(Phase::Sampling, 1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_rank_schedule_is_nuts_rs_up_to_100_dimensions_and_grows_with_d_above() {
        let nuts_rs = LowRankNutsSettings::default()
            .adapt_options
            .mass_matrix_update_freq;
        for d in [1, 13, 100] {
            assert_eq!(low_rank_update_freq(d), nuts_rs);
        }
        assert_eq!(low_rank_update_freq(101), 21);
        assert_eq!(low_rank_update_freq(503), 101);
        assert_eq!(low_rank_update_freq(1003), 201);
    }
}
