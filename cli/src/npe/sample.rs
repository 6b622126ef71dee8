//! `flowpost npe sample DIR --x-obs OBS`: posterior draws of a trained estimator for one
//! observation.

use super::{load_estimator, report_samples, warn_x_o, write_samples};
use anyhow::{Context, Result, bail};
use clap::Args;
use flowpost::npe::SampleSettings;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(super) struct SampleArgs {
    /// Directory written by `train` or `run` (or the estimator.json itself).
    dir: PathBuf,
    /// Observation `{"x_o": [...]}`.
    #[arg(long)]
    x_obs: PathBuf,
    /// Number of samples.
    #[arg(long, default_value_t = 10_000)]
    num_samples: usize,
    /// Sampling seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output CSV (header row, one sample per row).
    #[arg(long)]
    out: PathBuf,
}

pub(super) fn run(a: SampleArgs) -> Result<()> {
    if a.num_samples == 0 {
        bail!("--num-samples must be at least 1");
    }
    let est = load_estimator(&a.dir)?;
    let x_o = read_observation(&a.x_obs)?;
    let settings = SampleSettings {
        seed: a.seed,
        ..Default::default()
    };
    let outside = flowpost::npe::check_x_o(&est, &x_o, None)
        .with_context(|| format!("observation {}", a.x_obs.display()))?;
    warn_x_o(&outside);
    let s = est
        .sample(&x_o, a.num_samples, &settings)
        .with_context(|| format!("observation {}", a.x_obs.display()))?;
    report_samples(&est, &s);
    write_samples(&a.out, &est, &s)?;
    eprintln!("wrote {} samples to {}", s.len(), a.out.display());
    Ok(())
}

fn read_observation(path: &Path) -> Result<Vec<f64>> {
    #[derive(serde::Deserialize)]
    struct Obs {
        x_o: Vec<f64>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let obs: Obs = serde_json::from_str(&text)
        .with_context(|| format!("{}: expected {{\"x_o\": [...]}}", path.display()))?;
    Ok(obs.x_o)
}
