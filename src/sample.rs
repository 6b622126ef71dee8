//! One call from a log-density to posterior draws: fit the flow (NeuTra) or not (plain NUTS),
//! run the chains, and account for what it cost in gradient evaluations and seconds.

use crate::density::LogDensity;
use crate::draws::Draws;
use crate::flow::{Flow, FlowSettings};
use crate::init::Init;
use crate::nuts::{Metric, NutsSettings};
use crate::progress::{NoProgress, Progress};
use crate::vi::{ViReport, ViSettings, fit_default};
use std::time::Instant;

/// NeuTra's default warmup draws per chain (the flow has done most of the adaptation).
pub const NEUTRA_TUNE: u64 = 500;
/// The multimodal method's default warmup iterations per chain (only the HMC step size adapts).
pub const MULTIMODAL_TUNE: u64 = 500;
/// NUTS's default warmup draws per chain (Stan's).
pub const NUTS_TUNE: u64 = 1000;
/// NeuTra's default target acceptance statistic. In the latent space the flow is least
/// accurate where the target is hardest (a funnel's neck); smaller steps reach it: on the
/// funnel the sd of v averaged 2.89 over five seeds at 0.9 (the neck, v < −7.5, under-visited)
/// and 2.99 at 0.95 (truth 3).
pub const NEUTRA_TARGET_ACCEPT: f64 = 0.95;
/// NUTS's default target acceptance statistic (Stan's).
pub const NUTS_TARGET_ACCEPT: f64 = 0.8;

/// The sampling method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The cheapest sampler the evidence says is correct: NUTS on the target whitened by a
    /// Gaussian fit, escalating to NeuTra when the geometry needs a flow (see [`auto`](crate::auto)).
    Auto,
    /// Fit an IAF by reverse KL, then NUTS in its latent space.
    NeuTra,
    /// NUTS on the target directly (diagonal mass matrix).
    Nuts,
    /// Several modes: a multi-start mode search, then HMC interleaved with independent
    /// Metropolis–Hastings jumps between the modes (see [`multimodal`](crate::multimodal)).
    Multimodal,
}

impl Method {
    /// `auto`, `neutra` or `nuts`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::NeuTra => "neutra",
            Method::Nuts => "nuts",
            Method::Multimodal => "multimodal",
        }
    }
}

/// Settings of [`sample`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SampleSettings {
    /// Auto (default), NeuTra or plain NUTS.
    pub method: Method,
    /// Chains (run in parallel).
    pub num_chains: usize,
    /// When this run is a shard of a larger one: the larger run's index (0-based) of this
    /// run's first chain; 0 otherwise. Chain k of this run is the larger run's chain
    /// `first_chain + k`, with that chain's random stream, so shards `0..4`, `4..8`, … of a
    /// run give, together, exactly the draws of the whole run made at once. Auto decides
    /// between its paths from the warmup of all of a run's chains, which a shard does not see:
    /// give auto a trained flow (then it samples in the flow's latent space, as NeuTra) when
    /// running it in shards.
    #[serde(default)]
    pub first_chain: usize,
    /// Warmup draws per chain; `None`: [`NEUTRA_TUNE`] for NeuTra, [`NUTS_TUNE`] for NUTS, and
    /// for auto [`AutoSettings::num_tune`](crate::auto::AutoSettings) on the whitened path and
    /// [`NEUTRA_TUNE`] on the flow path.
    pub num_tune: Option<u64>,
    /// Post-warmup draws per chain.
    pub num_draws: u64,
    /// Seed of everything random in the run.
    pub seed: u64,
    /// NUTS maximum tree depth.
    pub max_depth: u64,
    /// NUTS target acceptance statistic; `None`: [`NEUTRA_TARGET_ACCEPT`] for NeuTra (and
    /// auto's flow path), [`NUTS_TARGET_ACCEPT`] for NUTS (and auto's whitened path).
    pub target_accept: Option<f64>,
    /// The mass matrix NUTS adapts (in the flow's latent space for NeuTra).
    pub metric: Metric,
    /// WALNUTS step splitting (see [`NutsSettings::walnuts`]); NUTS and NeuTra only.
    #[serde(default)]
    pub walnuts: bool,
    /// The variational fit (NeuTra only).
    pub vi: ViSettings,
    /// The flow architecture (NeuTra only).
    pub flow: FlowSettings,
    /// The evidence thresholds of auto.
    pub auto: crate::auto::AutoSettings,
    /// The mode search of the multimodal method.
    #[serde(default)]
    pub multimodal: crate::multimodal::MultimodalSettings,
    /// Check the model before the run ([`preflight`](crate::preflight)): parameter names, the
    /// gradient against finite differences, a flat direction, the run's sizes.
    #[serde(default = "yes")]
    pub preflight: bool,
    /// Initial points ([`Init`], CmdStan's `init`): for NUTS the chains' initial positions;
    /// for NeuTra and auto the start of the Gaussian fit (the chains then start from draws of
    /// the fitted flow or Gaussian). `None`: uniform in (−2, 2)^d, unconstrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
}

fn yes() -> bool {
    true
}

impl Default for SampleSettings {
    fn default() -> Self {
        SampleSettings {
            method: Method::Auto,
            num_chains: 4,
            first_chain: 0,
            num_tune: None,
            num_draws: 1000,
            seed: 0,
            max_depth: 10,
            target_accept: None,
            metric: Metric::Diag,
            walnuts: false,
            vi: ViSettings::default(),
            flow: FlowSettings::default(),
            auto: crate::auto::AutoSettings::default(),
            multimodal: crate::multimodal::MultimodalSettings::default(),
            preflight: true,
            init: None,
        }
    }
}

impl SampleSettings {
    /// Warmup draws per chain after defaults.
    pub fn tune(&self) -> u64 {
        self.num_tune.unwrap_or(match self.method {
            Method::NeuTra => NEUTRA_TUNE,
            Method::Nuts => NUTS_TUNE,
            Method::Auto => self.auto.num_tune,
            Method::Multimodal => MULTIMODAL_TUNE,
        })
    }

    /// Target acceptance statistic after defaults.
    pub fn target_accept(&self) -> f64 {
        self.target_accept.unwrap_or(match self.method {
            Method::NeuTra => NEUTRA_TARGET_ACCEPT,
            Method::Nuts | Method::Auto | Method::Multimodal => NUTS_TARGET_ACCEPT,
        })
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |f: &str, r: &str| Err(crate::Error::settings(f, r));
        if self.num_chains == 0 {
            return bad("num_chains", "must be at least 1");
        }
        if self.first_chain.checked_add(self.num_chains).is_none() {
            return bad("first_chain", "first_chain + num_chains overflows");
        }
        if self.num_draws < 4 {
            return bad(
                "num_draws",
                "must be at least 4 (split R-hat needs two halves of 2)",
            );
        }
        if !(self.target_accept() > 0.0 && self.target_accept() < 1.0) {
            return bad("target_accept", "must be in (0, 1)");
        }
        if !(1..=30).contains(&self.max_depth) {
            return bad("max_depth", "must be in 1..=30");
        }
        if self.method == Method::Multimodal {
            self.multimodal.validate()?;
            if self.init.is_some() {
                return bad(
                    "init",
                    "the multimodal method starts its mode search from many points of its own; give no initial values",
                );
            }
            if self.first_chain != 0 {
                return bad(
                    "first_chain",
                    "the multimodal method runs whole runs only (its chains share the mode search and their streams are not yet global)",
                );
            }
        }
        if self.method != Method::Nuts {
            self.vi.validate()?;
            self.flow.validate()?;
        }
        if self.method == Method::Auto {
            self.auto.validate()?;
        }
        if let Some(init) = &self.init {
            init.validate()?;
        }
        Ok(())
    }
}

/// Gradient evaluations per phase.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct GradEvals {
    /// Variational fit (initialization, training, final estimate).
    pub vi: u64,
    /// NUTS warmup, all chains.
    pub warmup: u64,
    /// NUTS sampling, all chains.
    pub sampling: u64,
}

impl GradEvals {
    /// Everything.
    pub fn total(&self) -> u64 {
        self.vi + self.warmup + self.sampling
    }
}

/// Wall-clock seconds per phase. Chains overlap, so NUTS wall time is split between warmup and
/// sampling in proportion to the chains' own time in each.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Seconds {
    /// Variational fit.
    pub vi: f64,
    /// NUTS warmup.
    pub warmup: f64,
    /// NUTS sampling.
    pub sampling: f64,
    /// The whole run.
    pub total: f64,
}

/// What a run cost.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct CostReport {
    /// Gradient evaluations.
    pub grad_evals: GradEvals,
    /// Seconds.
    pub seconds: Seconds,
}

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
    /// The seed.
    pub seed: u64,
    /// The whole run's index (0-based) of this run's first chain
    /// ([`SampleSettings::first_chain`]).
    pub first_chain: usize,
    /// What auto decided and why (auto only).
    pub auto: Option<crate::auto::AutoReport>,
    /// The modes, their occupancy and the jumps (multimodal only).
    pub multimodal: Option<crate::multimodal::MultimodalReport>,
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
    };
    // NeuTra and auto: the init is where the Gaussian fit starts.
    let mut vi_settings = settings.vi.clone();
    if settings.init.is_some() {
        vi_settings.init.start = settings.init.clone();
    }
    let mut cost = CostReport::default();
    let mut multimodal = None;
    let (method, flow, vi, nuts_run, num_tune, auto) = match (settings.method, flow) {
        (Method::Auto, None) => {
            let out = crate::auto::run(
                density,
                &settings.auto,
                &vi_settings,
                &settings.flow,
                &nuts,
                settings.num_tune,
                settings.target_accept,
                progress,
            )?;
            cost.grad_evals.vi = out.num_grad_evals_vi;
            cost.seconds.vi = out.seconds_vi;
            cost.grad_evals.warmup = out.discarded.0;
            cost.seconds.warmup = out.discarded.1;
            let tune = out.num_tune;
            (
                Method::Auto,
                Some(out.flow),
                Some(out.vi),
                out.nuts,
                tune,
                Some(out.report),
            )
        }
        (Method::Nuts, _) => {
            let run = crate::nuts::sample(density, None, &nuts, progress)?;
            (Method::Nuts, None, None, run, nuts.num_tune, None)
        }
        (Method::Multimodal, _) => {
            let chains = crate::multimodal::ChainSettings {
                num_chains: settings.num_chains,
                num_tune: settings.tune(),
                num_draws: settings.num_draws,
                seed: settings.seed,
                target_accept: settings.target_accept(),
            };
            let out = crate::multimodal::run(density, &settings.multimodal, &chains, progress)?;
            cost.grad_evals.vi = out.report.num_grad_evals_search;
            cost.seconds.vi = out.seconds_search;
            multimodal = Some(out.report);
            (
                Method::Multimodal,
                None,
                None,
                out.run,
                chains.num_tune,
                None,
            )
        }
        (method, given) => {
            // NeuTra, or auto with a trained flow given: NUTS in that flow's latent space.
            let nuts = NutsSettings {
                num_tune: settings.num_tune.unwrap_or(NEUTRA_TUNE),
                target_accept: settings.target_accept.unwrap_or(NEUTRA_TARGET_ACCEPT),
                ..nuts
            };
            let (flow, vi) = match given {
                Some(f) => (f, None),
                None => {
                    let (f, report) = fit_default(
                        density,
                        &settings.flow,
                        &vi_settings,
                        settings.seed,
                        progress,
                    )?;
                    cost.grad_evals.vi = report.num_grad_evals();
                    cost.seconds.vi = report.seconds;
                    (f, Some(report))
                }
            };
            let run = crate::nuts::sample(density, Some(&flow), &nuts, progress)?;
            (method, Some(flow), vi, run, nuts.num_tune, None)
        }
    };
    cost.grad_evals.warmup += nuts_run.num_grad_evals_warmup;
    cost.grad_evals.sampling = nuts_run.num_grad_evals_sampling;
    cost.seconds.warmup += nuts_run.seconds_warmup;
    cost.seconds.sampling = nuts_run.seconds_sampling;
    cost.seconds.total = start.elapsed().as_secs_f64();
    let draws = Draws::new(names, nuts_run.chains).map_err(|e| crate::Error::Sampler {
        chain: 0,
        message: e.to_string(),
    })?;
    Ok(Run {
        method,
        draws,
        vi,
        flow,
        cost,
        num_tune,
        seed: settings.seed,
        first_chain: settings.first_chain,
        auto,
        multimodal,
    })
}

/// Checks the settings, the density's dimension and names, and a given flow; returns the
/// names of the constrained values.
fn validate<D: LogDensity + ?Sized>(
    density: &D,
    settings: &SampleSettings,
    flow: Option<&Flow>,
) -> Result<Vec<String>, crate::Error> {
    settings.validate()?;
    let d = density.dim();
    if d == 0 {
        return Err(crate::Error::settings(
            "density.dim()",
            "must be at least 1",
        ));
    }
    let names = density.param_names();
    if names.is_empty() {
        return Err(crate::Error::settings(
            "density.param_names()",
            "must name at least one value",
        ));
    }
    crate::preflight::check_sizes(
        settings.num_chains,
        settings.tune(),
        settings.num_draws,
        names.len(),
    )?;
    if settings.preflight {
        crate::preflight::preflight(density)?;
    }
    if let Some(init) = &settings.init {
        if flow.is_some() {
            return Err(crate::Error::settings(
                "init",
                "has no effect with a trained flow given: there is no fit to start, and the chains start from the flow's draws",
            ));
        }
        crate::init::Initializer::new(density, init)?;
    }
    if let Some(f) = flow {
        if matches!(settings.method, Method::Nuts | Method::Multimodal) {
            return Err(crate::Error::settings(
                "flow",
                "a flow can only be used with method neutra or auto",
            ));
        }
        if f.dim() != d {
            return Err(crate::Error::DimensionMismatch {
                what: "flow dimension vs density dimension",
                expected: d,
                got: f.dim(),
            });
        }
    }
    Ok(names)
}
