//! `flowpost npe sbc DIR`: simulation-based calibration and expected coverage of an estimator,
//! on a built-in task or on the user's own (θ, x) simulations.

use super::load_estimator;
use anyhow::{Context, Result, bail};
use clap::Args;
use flowpost::npe::{self, NpeEstimator, Simulations};
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct SbcArgs {
    /// Directory written by `train` or `run` (or the estimator.json itself).
    dir: PathBuf,
    /// Built-in task whose prior and simulator generate the test datasets.
    #[arg(long, required_unless_present = "theta", conflicts_with_all = ["theta", "x"])]
    task: Option<String>,
    /// Your own simulations for SBC instead of a task: θ drawn from the prior (CSV with a
    /// header row), not used for training; each row is one dataset.
    #[arg(long, requires = "x")]
    theta: Option<PathBuf>,
    /// x simulated from each row of `--theta` (CSV with a header row).
    #[arg(long, requires = "theta")]
    x: Option<PathBuf>,
    /// Number of simulated datasets.
    #[arg(long, default_value_t = 1000)]
    datasets: usize,
    /// Posterior draws per dataset.
    #[arg(long, default_value_t = 99)]
    posterior_samples: usize,
    /// Rank histogram bins (must divide posterior samples + 1).
    #[arg(long, default_value_t = 20)]
    bins: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output JSON (ranks, rank histograms, χ² tests, coverage).
    #[arg(long)]
    out: PathBuf,
}

pub(super) fn run(a: SbcArgs) -> Result<()> {
    let est = load_estimator(&a.dir)?;
    let settings = npe::SbcSettings {
        num_datasets: a.datasets,
        num_posterior_samples: a.posterior_samples,
        num_bins: a.bins,
        seed: a.seed,
        ..Default::default()
    };
    let t0 = std::time::Instant::now();
    let r = match (&a.task, &a.theta, &a.x) {
        (Some(name), _, _) => sbc_on_task(&est, name, &settings)?,
        (None, Some(theta), Some(x)) => {
            let sims = Simulations::from_tables(&npe::read_table(theta)?, &npe::read_table(x)?)
                .with_context(|| format!("pairing {} with {}", theta.display(), x.display()))?;
            if sims.theta_dim() != est.theta_dim() || sims.x_dim() != est.x_dim() {
                bail!(
                    "estimator maps {}-d θ given {}-d x but the tables have {} and {} columns",
                    est.theta_dim(),
                    est.x_dim(),
                    sims.theta_dim(),
                    sims.x_dim()
                );
            }
            npe::sbc_on_pairs(&sims, &est, &settings)?
        }
        _ => bail!("give --task NAME or both --theta FILE and --x FILE"),
    };
    report_sbc(&r, t0.elapsed().as_secs_f64());
    flowpost::io::atomic::write_string_atomic(&a.out, &serde_json::to_string(&r)?)
        .with_context(|| format!("writing {}", a.out.display()))?;
    Ok(())
}

fn sbc_on_task(
    est: &NpeEstimator,
    name: &str,
    settings: &npe::SbcSettings,
) -> Result<npe::SbcReport> {
    let task = npe::tasks::task(name)?;
    if est.theta_dim() != task.prior().dim() || est.x_dim() != task.simulator().data_dim() {
        bail!(
            "estimator maps {}-d θ given {}-d x but task {} has {} and {}",
            est.theta_dim(),
            est.x_dim(),
            task.name(),
            task.prior().dim(),
            task.simulator().data_dim()
        );
    }
    Ok(npe::sbc(task.prior(), task.simulator(), est, settings)?)
}

fn report_sbc(r: &npe::SbcReport, seconds: f64) {
    let p: Vec<String> = r
        .per_dim
        .iter()
        .map(|t| format!("{:.3}", t.p_value))
        .collect();
    eprintln!(
        "SBC on {} datasets ({seconds:.1} s): rank χ² p-values per parameter [{}], density rank p {:.3}; {}",
        r.num_datasets,
        p.join(", "),
        r.density_rank.p_value,
        if r.passed {
            "uniform (pass)"
        } else {
            "NOT uniform (fail)"
        }
    );
    let cov: Vec<String> = r
        .coverage_levels
        .iter()
        .zip(&r.coverage)
        .filter(|(l, _)| [0.5, 0.9, 0.95].iter().any(|v| (*l - v).abs() < 1e-9))
        .map(|(l, c)| format!("{l:.2} → {c:.3}"))
        .collect();
    eprintln!("expected coverage: {}", cov.join(", "));
}
