//! The sampler's options that `flowpost sample` and `flowpost nle sample` share: the method,
//! the metric, chains, warmup and draws, the seed, NUTS's settings, initial values, which
//! draw files to write, the run's machinery and what is printed. Where the run's flow comes
//! from (`--flow`, `--warm-start`, …) is `sample`'s own.

use crate::output::{ReportArgs, parse_seed};
use crate::run_options::RunOptions;
use anyhow::bail;
use flowpost::init::Init;
use flowpost::nuts::Metric;
use flowpost::{LogDensity, Method, SampleSettings};

#[derive(Clone, Copy, clap::ValueEnum)]
enum MethodArg {
    Auto,
    Neutra,
    Nuts,
    Multimodal,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MetricArg {
    Diag,
    LowRank,
}

/// Options of the sampler and of the run's outputs.
#[derive(clap::Args)]
pub struct SamplerArgs {
    /// auto (NUTS on the target whitened by a Gaussian fit, a flow only when the warmup shows
    /// the geometry needs one), neutra (fit an IAF, then NUTS in its latent space), plain NUTS,
    /// or multimodal (a multi-start mode search, then HMC with independent jumps between the
    /// modes; for posteriors with several separated modes) [default: auto, or what
    /// --warm-start's run used].
    #[arg(long, value_enum)]
    method: Option<MethodArg>,
    /// The mass matrix NUTS adapts (in the flow's latent space for neutra): diagonal, or
    /// diagonal plus a low-rank correction (nuts-rs's low-rank metric) [default: diag, or what
    /// --warm-start's run used].
    #[arg(long, value_enum)]
    metric: Option<MetricArg>,
    /// Number of chains (run in parallel) [default: 4, or the number --chain-ids names].
    #[arg(long)]
    pub chains: Option<usize>,
    /// Warmup draws per chain [default: auto 300 (200 in a trained flow's latent space), neutra
    /// 500, nuts 1000, multimodal 500; 100 with --warm-start].
    #[arg(long)]
    pub tune: Option<u64>,
    /// Post-warmup draws per chain.
    #[arg(long, default_value_t = 1000)]
    pub draws: u64,
    /// Random seed (0 to 2^64 − 1; at most 2^32 − 1 for Stan programs).
    #[arg(long, default_value_t = 0, value_parser = parse_seed, allow_hyphen_values = true)]
    pub seed: u64,
    /// NUTS target acceptance statistic [default: 0.95 in a flow's latent space (neutra, auto's
    /// flow path), 0.8 otherwise].
    #[arg(long)]
    pub target_accept: Option<f64>,
    /// NUTS maximum tree depth.
    #[arg(long)]
    pub max_depth: Option<u64>,
    /// Initial values, as CmdStan's `init`: a number R (uniform in (−R, R) on the
    /// unconstrained scale; 0: every coordinate 0) or a JSON file of parameter values by name
    /// (`{"mu": 1, "theta": [0, 0.5]}`; parameters left out are drawn as by default). For nuts
    /// the chains' initial positions; for neutra and auto where the Gaussian fit starts (the
    /// chains then start from the fit's draws) [default: 2].
    #[arg(long, value_name = "R|FILE", allow_hyphen_values = true)]
    pub init: Option<String>,
    /// Also write the warmup draws into the chain CSVs (CmdStan's `save_warmup = 1`), before
    /// the adaptation block.
    #[arg(long)]
    pub save_warmup: bool,
    #[command(flatten)]
    pub format: crate::formats::FormatArgs,
    #[command(flatten)]
    pub options: RunOptions,
    #[command(flatten)]
    pub report: ReportArgs,
}

impl SamplerArgs {
    /// The method asked for, if any.
    pub fn method(&self) -> Option<Method> {
        self.method.map(|m| match m {
            MethodArg::Auto => Method::Auto,
            MethodArg::Neutra => Method::NeuTra,
            MethodArg::Nuts => Method::Nuts,
            MethodArg::Multimodal => Method::Multimodal,
        })
    }

    /// The metric asked for, if any.
    pub fn metric(&self) -> Option<Metric> {
        self.metric.map(|m| match m {
            MetricArg::Diag => Metric::Diag,
            MetricArg::LowRank => Metric::LowRank,
        })
    }

    /// The library's settings from these options, for `method` with `num_chains` chains from
    /// `first_chain`; `metric` and `target_accept` fall back to the caller's (an earlier run's)
    /// when not given. `--init` is left to [`parse_init`].
    pub fn settings(
        &self,
        method: Method,
        (num_chains, first_chain): (usize, usize),
        metric: Metric,
        target_accept: Option<f64>,
    ) -> SampleSettings {
        let mut settings = SampleSettings {
            method,
            num_chains,
            first_chain,
            num_tune: self.tune,
            num_draws: self.draws,
            seed: self.seed,
            metric: self.metric().unwrap_or(metric),
            ..Default::default()
        };
        settings.target_accept = self.target_accept.or(target_accept);
        if let Some(m) = self.max_depth {
            settings.max_depth = m;
        }
        self.options.apply(&mut settings);
        settings
    }

    /// `--pairs` names only parameters the model has.
    /// Runs the sampler on `density` with progress bars (an `--init` error named by the flag),
    /// writes the run's outputs into `out` (the flow's fit `flow_fit`, the model's hash), and
    /// prints the summary and the warnings: the end of `sample` and `nle sample`.
    #[allow(clippy::too_many_arguments)]
    pub fn run_and_write<D: LogDensity + ?Sized>(
        &self,
        density: &D,
        settings: &SampleSettings,
        flow: Option<flowpost::flow::Flow>,
        out: &std::path::Path,
        name: &str,
        flow_fit: Option<flowpost::io::flow_file::StoredFit>,
        model_hash: Option<String>,
    ) -> anyhow::Result<()> {
        let bars = crate::progress::Bars::new(self.report.quiet);
        let run = flowpost::sample_with(density, settings, flow, &bars).map_err(|e| {
            match (&e, &self.init) {
                (flowpost::Error::Init { .. }, Some(arg)) => anyhow::anyhow!("--init {arg}: {e}"),
                _ => crate::output::cli_error(e),
            }
        })?;
        drop(bars);
        let options = flowpost::OutputOptions {
            flow_fit,
            pair_params: self.report.pairs.clone(),
            save_warmup: self.save_warmup,
            model_hash,
            zarr: self.format.zarr(),
        };
        let written = run.write_outputs_with(out, name, settings, &options)?;
        crate::output::print_run(name, &run, &written, &self.report);
        crate::output::finish(&written.warnings, &self.report)
    }

    pub fn check_pairs(&self, model: &str, names: &[String]) -> anyhow::Result<()> {
        if let Some(bad) = self.report.pairs.iter().find(|p| !names.contains(p)) {
            bail!(
                "--pairs: {model} has no parameter `{bad}`; its parameters are {}",
                names.join(", ")
            );
        }
        Ok(())
    }
}

/// `--init R` (a radius) or `--init FILE` (CmdStan-style init JSON, checked against the
/// model's parameters).
pub fn parse_init(arg: &str, model: &dyn LogDensity) -> anyhow::Result<Init> {
    if let Ok(r) = arg.parse::<f64>() {
        if !(r.is_finite() && r >= 0.0) {
            bail!("--init {arg}: a radius must be a finite number ≥ 0");
        }
        return Ok(Init::Radius(r));
    }
    let text = std::fs::read_to_string(arg).map_err(|e| {
        anyhow::anyhow!("--init {arg}: neither a number nor a readable JSON file ({e})")
    })?;
    flowpost::init::from_json(&text, arg, &model.param_names(), model.num_parameters())
        .map_err(|e| anyhow::anyhow!("--init: {e}"))
}
