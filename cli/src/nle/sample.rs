//! `flowpost nle sample --estimator DIR --observation X_O.csv --out DIR`: the posterior of θ
//! given observed iid trials, Σ_t log q(x_t | θ) + log p(θ) on the prior's unconstrained
//! parameters ([`NleDensity`]), sampled by flowpost's pipeline with `flowpost sample`'s
//! options and outputs (chain CSVs, summary.json, report.html, the terminal's diagnostics);
//! draws are in θ's units under the prior's parameter names.

use super::load_estimator;
use super::observation::read_observation;
use crate::sampler_args::{SamplerArgs, parse_init};
use anyhow::{Context, Result};
use clap::Args;
use flowpost::npe::NleDensity;
use flowpost::{LogDensity, Method};
use std::path::PathBuf;

/// The model's name in the outputs (CmdStan CSV headers, summary.json, report).
const MODEL: &str = "nle";

#[derive(Args)]
pub(super) struct SampleArgs {
    /// Folder written by `nle train` (or its estimator.json).
    #[arg(long, value_name = "DIR|FILE")]
    estimator: PathBuf,
    /// Observed data: CSV with a header row (x's column names, as in the training x table)
    /// and one row per iid trial; the trials' log-likelihoods are summed.
    #[arg(long, value_name = "X_O.csv")]
    observation: PathBuf,
    /// Output folder: new, empty, or an earlier flowpost run's folder (replaced whole); a
    /// folder with other files is refused.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    sampler: SamplerArgs,
}

pub(super) fn run(a: SampleArgs) -> Result<()> {
    let sampler = &a.sampler;
    sampler.options.install_threads()?;
    let nle = load_estimator(&a.estimator)?;
    let (x_o, num_trials) = read_observation(&a.observation, &nle)?;
    let outside = flowpost::npe::check_nle_x_o(&nle, &x_o)
        .with_context(|| format!("--observation {}", a.observation.display()))?;
    crate::npe::warn_x_o(&outside);
    let density = NleDensity::new(&nle, &x_o)
        .with_context(|| format!("--observation {}", a.observation.display()))?;
    let method = sampler.method().unwrap_or(Method::Auto);
    let chains = (sampler.chains.unwrap_or(4), 0);
    let mut settings = sampler.settings(method, chains, flowpost::nuts::Metric::Diag, None);
    if let Some(arg) = &sampler.init {
        settings.init = Some(parse_init(arg, &density)?);
    }
    sampler.check_pairs(MODEL, &density.param_names())?;
    // Refuse a bad --out before the run, not after it.
    flowpost::io::atomic::check_output_dir(&a.out)?;
    eprintln!(
        "posterior of {} parameters given {num_trials} iid trial(s) of {} values from {}",
        density.dim(),
        nle.x_dim(),
        a.observation.display()
    );
    sampler.run_and_write(&density, &settings, None, &a.out, MODEL, None, None)
}
