//! `flowpost npe train`: train an estimator on (θ, x) tables, checked against the declared
//! prior or bounds before any training.

use super::options::{TrainingOptions, settings, train_with_progress};
use super::shards::{Input, TableArgs};
use super::{save, warn_if_few};
use anyhow::{Context, Result, bail};
use clap::Args;
use flowpost::npe::{Bounds, IndependentPrior, Prior, Simulations, Support};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(super) struct TrainArgs {
    #[command(flatten)]
    tables: TableArgs,
    /// Prior spec (JSON): `{"parameters": [{"family": "log_normal", "mu": 0, "sigma": 1}, ...]}`
    /// with families uniform, normal, log_normal, gamma, beta, half_normal, or `{"box":
    /// {"lower": [...], "upper": [...]}}`. Training runs on the unconstrained parameters (log,
    /// logit), or on θ with rejection when the supports form a box, and every draw lies inside
    /// the declared supports.
    #[arg(long, conflicts_with = "prior_bounds")]
    prior: Option<PathBuf>,
    /// Box prior support `{"lower": [...], "upper": [...]}` (bounds included) for leakage
    /// correction: draws outside are rejected. Prefer `--prior` with a box, which needs no
    /// rejection.
    #[arg(long)]
    prior_bounds: Option<PathBuf>,
    /// Output directory (estimator.json, training_report.json).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    options: TrainingOptions,
}

pub(super) fn run(a: TrainArgs) -> Result<()> {
    let mut s = settings(&a.options)?;
    // Refuse a bad --out before training, not after.
    flowpost::io::atomic::check_output_dir(&a.out)?;
    let (input, sims) = a.tables.read()?;
    let (theta, x) = (&input.theta, &input.x);
    let support = match (&a.prior, &a.prior_bounds) {
        (Some(p), _) => {
            let prior = IndependentPrior::load(p)?;
            check_against_prior(&sims, &prior, &input, p)?;
            prior.support()
        }
        (None, Some(p)) => {
            let b = read_bounds(p, theta.num_cols())?;
            check_in_bounds(&sims, &b, &input, p)?;
            // As before `--prior`: a closed box kept for leakage correction.
            s.support_transform = false;
            Support::from_bounds(&b)
        }
        (None, None) => Support::unbounded(theta.num_cols()),
    };
    warn_if_few(sims.len());
    let (est, report) = train_with_progress(&sims, support, &s, a.options.quiet)?;
    let est = est
        .with_labels(theta.header.clone())?
        .with_x_labels(x.header.clone())?;
    let dir = flowpost::io::atomic::RunDir::create(&a.out)?;
    save(dir.path(), &est, &report, &s, Some(input.describe()))?;
    let facts = vec![(
        "input".to_string(),
        input.shards.len().to_string() + " table pair(s)",
    )];
    super::report::write_training_report(dir.path(), "NPE training", &est, &report, None, facts)?;
    let out = dir.commit()?;
    eprintln!(
        "wrote {} (report: {})",
        out.join("estimator.json").display(),
        out.join("report.html").display()
    );
    Ok(())
}

/// A `--prior-bounds` file with one bound per θ column.
fn read_bounds(p: &Path, num_cols: usize) -> Result<Bounds> {
    let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
    let b: Bounds = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected {{\"lower\": [...], \"upper\": [...]}}",
            p.display()
        )
    })?;
    b.validate().with_context(|| p.display().to_string())?;
    if b.lower.len() != num_cols {
        bail!(
            "{}: {} bounds for {} θ columns",
            p.display(),
            b.lower.len(),
            num_cols
        );
    }
    Ok(b)
}

/// One prior per θ column, and every θ row strictly inside the supports (log and logit are
/// finite there): a row outside means the table and the prior disagree.
pub(crate) fn check_against_prior(
    sims: &Simulations,
    prior: &IndependentPrior,
    input: &Input,
    prior_file: &Path,
) -> Result<()> {
    if prior.dim() != sims.theta_dim() {
        bail!(
            "{}: {} parameters for the {} θ columns of {}",
            prior_file.display(),
            prior.dim(),
            sims.theta_dim(),
            input.shards[0].theta.display()
        );
    }
    let support = prior.support();
    for i in 0..sims.len() {
        let t = sims.theta(i);
        if !t.iter().chain(sims.x(i)).all(|v| v.is_finite()) {
            continue; // dropped and counted by training
        }
        if let Some(k) = support.first_outside(t) {
            bail!(
                "{} has {} = {}, outside the support {} of parameter {} (`{}`, {}) in {}; every training θ must lie strictly inside its prior's support",
                input.row(i),
                input.theta.header.get(k).map_or("?", String::as_str),
                t[k],
                support.describe(k),
                k + 1,
                prior.names()[k],
                prior.marginals()[k].family(),
                prior_file.display()
            );
        }
    }
    Ok(())
}

/// Every θ row inside the prior bounds: a row outside means the table and the bounds disagree
/// (caught here, not as a leakage failure when sampling).
fn check_in_bounds(
    sims: &Simulations,
    b: &Bounds,
    input: &Input,
    bounds_file: &Path,
) -> Result<()> {
    for i in 0..sims.len() {
        for (k, v) in sims.theta(i).iter().enumerate() {
            if !(*v >= b.lower[k] && *v <= b.upper[k]) {
                bail!(
                    "{} has {} = {v}, outside the prior bounds [{}, {}] of {}",
                    input.row(i),
                    input.theta.header.get(k).map_or("?", String::as_str),
                    b.lower[k],
                    b.upper[k],
                    bounds_file.display()
                );
            }
        }
    }
    Ok(())
}
