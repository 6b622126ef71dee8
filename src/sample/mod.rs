//! One call from a log-density to posterior draws: fit the flow (NeuTra) or not (plain NUTS),
//! run the chains, and account for what it cost in gradient evaluations and seconds.
//!
//! [`sample_with`] reads as its phases: validate (`validate.rs`) → the NUTS and VI settings →
//! the method's phases (`methods.rs`: auto's Gaussian fit and pilot, NeuTra's variational fit,
//! the mode search, then [`nuts::sample`](crate::nuts::sample)) → assemble the [`Run`] and its
//! cost. The settings ([`SampleSettings`], [`Method`], the defaults) live in `settings.rs`.

mod cost;
mod methods;
mod settings;
mod validate;

pub use cost::{CostReport, GradEvals, PartialCost, Seconds};
pub use settings::{
    MULTIMODAL_TUNE, Method, NEUTRA_TARGET_ACCEPT, NEUTRA_TUNE, NUTS_TARGET_ACCEPT, NUTS_TUNE,
    SampleSettings, WARM_TUNE,
};

use crate::density::LogDensity;
use crate::draws::Draws;
use crate::flow::Flow;
use crate::nuts::{ChainAdaptation, NutsSettings};
use crate::progress::{NoProgress, Progress};
use crate::vi::ViReport;
use methods::Phases;
use std::time::Instant;
use validate::validate;

/// The result of [`sample`].
#[derive(Debug, Clone)]
pub struct Run {
    /// The method used.
    pub method: Method,
    /// Post-warmup draws (constrained) and per-draw statistics.
    pub draws: Draws,
    /// The variational fit (NeuTra with a freshly trained flow).
    pub vi: Option<ViReport>,
    /// The flow NUTS ran through (NeuTra).
    pub flow: Option<Flow>,
    /// Cost per phase.
    pub cost: CostReport,
    /// Warmup draws per chain.
    pub num_tune: u64,
    /// The target acceptance statistic NUTS adapted its step size to, as the run used it (auto's
    /// whitened path 0.8 and its flow path 0.95 by default, whatever
    /// [`SampleSettings::target_accept`] left open).
    pub target_accept: f64,
    /// The mass matrix NUTS adapted, as the run used it (auto's whitened path: low-rank).
    pub metric: crate::nuts::Metric,
    /// The seed.
    pub seed: u64,
    /// The whole run's index (0-based) of this run's first chain
    /// ([`SampleSettings::first_chain`]).
    pub first_chain: usize,
    /// What auto decided and why (auto only).
    pub auto: Option<crate::auto::AutoReport>,
    /// The modes, their occupancy and the jumps (multimodal only).
    pub multimodal: Option<crate::multimodal::MultimodalReport>,
    /// Each chain's adaptation and last draw in the coordinates NUTS ran in: a later run's
    /// [`SampleSettings::warm_start`] (empty for the multimodal method).
    pub adaptation: Vec<ChainAdaptation>,
}

impl Run {
    /// Divergent warmup transitions over all chains.
    pub fn num_warmup_divergent(&self) -> usize {
        self.draws
            .chains
            .iter()
            .flat_map(|c| &c.warmup_stats)
            .filter(|s| s.divergent)
            .count()
    }
}

/// Fits (NeuTra) and samples with default progress reporting (none).
///
/// ```
/// use flowpost::{DensityError, LogDensity, SampleSettings, sample};
/// struct Normal2;
/// impl LogDensity for Normal2 {
///     fn dim(&self) -> usize { 2 }
///     fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
///         g[0] = -x[0];
///         g[1] = -(x[1] - 3.0);
///         Ok(-0.5 * (x[0] * x[0] + (x[1] - 3.0).powi(2)))
///     }
/// }
/// let mut settings = SampleSettings { num_draws: 200, seed: 3, ..Default::default() };
/// settings.vi.max_steps = 200;
/// let run = sample(&Normal2, &settings).unwrap();
/// assert_eq!(run.draws.num_chains(), 4);
/// let mean: f64 = run.draws.param(1).iter().flatten().sum::<f64>() / 800.0;
/// assert!((mean - 3.0).abs() < 0.3);
/// ```
pub fn sample<D: LogDensity + ?Sized>(
    density: &D,
    settings: &SampleSettings,
) -> Result<Run, crate::Error> {
    sample_with(density, settings, None, &NoProgress)
}

/// [`sample`] with a pre-trained flow (skips the variational fit; NeuTra only) and a progress
/// receiver.
pub fn sample_with<D: LogDensity + ?Sized>(
    density: &D,
    settings: &SampleSettings,
    flow: Option<Flow>,
    progress: &dyn Progress,
) -> Result<Run, crate::Error> {
    let names = validate(density, settings, flow.as_ref())?;
    let start = Instant::now();
    let nuts = NutsSettings {
        num_chains: settings.num_chains,
        num_tune: settings.tune(),
        num_draws: settings.num_draws,
        max_depth: settings.max_depth,
        target_accept: settings.target_accept(),
        seed: settings.seed,
        first_chain: settings.first_chain,
        metric: settings.metric,
        integrator: crate::nuts::Integrator::Leapfrog,
        walnuts: settings.walnuts,
        init: match settings.method {
            Method::Nuts => settings.init.clone(),
            Method::Auto | Method::NeuTra | Method::Multimodal => None,
        },
        warm_start: settings.warm_start.clone(),
    };
    // NeuTra and auto: the init is where the Gaussian fit starts.
    let mut vi_settings = settings.vi.clone();
    if settings.init.is_some() {
        vi_settings.init.start = settings.init.clone();
    }
    let phases = match (settings.method, flow) {
        (Method::Auto, None) => methods::auto(density, settings, &vi_settings, &nuts, progress)?,
        (Method::Nuts, _) => methods::nuts(density, &nuts, progress)?,
        (Method::Multimodal, _) => methods::multimodal(density, settings, progress)?,
        (method, given) => methods::neutra(
            density,
            settings,
            method,
            given,
            &vi_settings,
            nuts,
            progress,
        )?,
    };
    // Assemble: the kept NUTS run's cost on top of the phases' before it.
    let Phases {
        method,
        flow,
        vi,
        nuts: nuts_run,
        used: (num_tune, target_accept, metric),
        auto,
        multimodal,
        mut cost,
    } = phases;
    cost.num_grad_evals.warmup += nuts_run.num_grad_evals_warmup;
    cost.num_grad_evals.sampling = nuts_run.num_grad_evals_sampling;
    cost.seconds.warmup += nuts_run.seconds_warmup;
    cost.seconds.sampling = nuts_run.seconds_sampling;
    cost.seconds.total = start.elapsed().as_secs_f64();
    let draws = Draws::new(names, nuts_run.chains)?;
    Ok(Run {
        method,
        draws,
        vi,
        flow,
        cost,
        num_tune,
        target_accept,
        metric,
        seed: settings.seed,
        first_chain: settings.first_chain,
        auto,
        multimodal,
        adaptation: nuts_run.adaptation,
    })
}
