//! The settings of [`sample`](super::sample): the method, the chains, the fit, and what an
//! earlier run hands on (an init, a warm start, a flow to refit); with their defaults.

use crate::flow::FlowSettings;
use crate::init::Init;
use crate::nuts::{Metric, WarmStart};
use crate::vi::ViSettings;

/// NeuTra's default warmup draws per chain (the flow has done most of the adaptation).
pub const NEUTRA_TUNE: u64 = 500;
/// The multimodal method's default warmup iterations per chain (only the HMC step size adapts).
pub const MULTIMODAL_TUNE: u64 = 500;
/// NUTS's default warmup draws per chain (Stan's).
pub const NUTS_TUNE: u64 = 1000;
/// The default warmup draws per chain of a warm start
/// ([`SampleSettings::warm_start`]): the chains start adapted and in the typical set, so the
/// warmup only re-settles the step size and the metric.
pub const WARM_TUNE: u64 = 100;
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
    /// `auto`, `neutra`, `nuts` or `multimodal`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::NeuTra => "neutra",
            Method::Nuts => "nuts",
            Method::Multimodal => "multimodal",
        }
    }

    /// The method of a [`name`](Method::name); `None` for any other string.
    ///
    /// ```
    /// use flowpost::Method;
    /// assert_eq!(Method::from_name("neutra"), Some(Method::NeuTra));
    /// assert_eq!(Method::from_name("cmdstan"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Method> {
        [
            Method::Auto,
            Method::NeuTra,
            Method::Nuts,
            Method::Multimodal,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }
}

/// Settings of [`sample`](super::sample).
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
    /// WALNUTS step splitting (see [`NutsSettings::walnuts`](crate::nuts::NutsSettings::walnuts)); NUTS and NeuTra only.
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
    /// An earlier run's adaptation ([`Run::adaptation`](super::Run::adaptation)): NUTS continues each of its chains,
    /// with its step size and metric, after a short warmup ([`WARM_TUNE`] by default). The
    /// coordinates must match: with that run's flow given to [`sample_with`](super::sample_with) (NeuTra, auto)
    /// or without a flow (NUTS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_start: Option<WarmStart>,
    /// With a flow given to [`sample_with`](super::sample_with): `false` (default) samples through it as it is;
    /// `true` continues its variational fit first — a flow trained for other data of the
    /// same model is a better start than the Gaussian fit (NeuTra, auto).
    #[serde(default)]
    pub refit_flow: bool,
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
            warm_start: None,
            refit_flow: false,
        }
    }
}

impl SampleSettings {
    /// Warmup draws per chain after defaults.
    pub fn tune(&self) -> u64 {
        if self.warm_start.is_some() {
            return self.num_tune.unwrap_or(WARM_TUNE);
        }
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
        crate::nuts::check_chain_range(self.first_chain, self.num_chains)?;
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
