//! `flowpost npe sbc DIR`: simulation-based calibration and expected coverage of an estimator,
//! on a built-in task or on the user's own (θ, x) simulations.

use super::load_estimator;
use anyhow::{Context, Result, bail};
use clap::Args;
use flowpost::npe::{self, NpeEstimator, Simulations};
use std::path::{Path, PathBuf};

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
    /// Number of datasets [default: 1000 with --task; every row of --theta/--x, or the first
    /// N rows with finite values when given].
    #[arg(long)]
    datasets: Option<usize>,
    /// Posterior draws per dataset.
    #[arg(long, default_value_t = 99)]
    posterior_samples: usize,
    /// Rank histogram bins (must divide posterior samples + 1).
    #[arg(long, default_value_t = 20)]
    bins: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output JSON (ranks, rank histograms, χ² tests, rank ECDFs and their band, coverage,
    /// TARP); the report page is written beside it with the extension `.html`.
    #[arg(long)]
    out: PathBuf,
}

pub(super) fn run(a: SbcArgs) -> Result<()> {
    let est = load_estimator(&a.dir)?;
    let settings = npe::SbcSettings {
        num_datasets: a.datasets.unwrap_or(1000),
        num_posterior_samples: a.posterior_samples,
        num_bins: a.bins,
        seed: a.seed,
        ..Default::default()
    };
    if a.bins < 2 || !(a.posterior_samples + 1).is_multiple_of(a.bins) {
        bail!(
            "--bins {} must be at least 2 and divide --posterior-samples + 1 = {}",
            a.bins,
            a.posterior_samples + 1
        );
    }
    let t0 = std::time::Instant::now();
    let r = match (&a.task, &a.theta, &a.x) {
        (Some(name), _, _) => {
            if settings.num_datasets < a.bins {
                bail!("--datasets must be at least --bins ({})", a.bins);
            }
            sbc_on_task(&est, name, &settings)?
        }
        (None, Some(theta), Some(x)) => {
            let sims = dataset_tables(&est, theta, x, a.datasets, a.bins)?;
            npe::sbc_on_pairs(&sims, &est, &settings)?
        }
        _ => bail!("give --task NAME or both --theta FILE and --x FILE"),
    };
    report_sbc(&r, est.theta_labels(), t0.elapsed().as_secs_f64());
    flowpost::io::atomic::write_string_atomic(&a.out, &serde_json::to_string(&r)?)
        .with_context(|| format!("writing {}", a.out.display()))?;
    let html = a.out.with_extension("html");
    let source = match (&a.task, &a.theta) {
        (Some(t), _) => format!("task {t}"),
        (None, Some(t)) => t.display().to_string(),
        _ => String::new(),
    };
    let facts = vec![
        ("datasets from".to_string(), source),
        (
            "SBC".to_string(),
            format!(
                "{} datasets × {} draws, seed {}",
                r.num_datasets, a.posterior_samples, a.seed
            ),
        ),
    ];
    super::report::write_sbc_report(&html, &a.dir, &est, &r, facts)?;
    eprintln!("wrote {} and {}", a.out.display(), html.display());
    Ok(())
}

/// Fewer datasets than this can only show gross miscalibration.
const FEW_DATASETS: usize = 100;

/// The user's (θ, x) tables as SBC datasets: the estimator's columns (by name where it knows
/// them, in its order), rows with finite values only, the first `datasets` of them if given.
fn dataset_tables(
    est: &NpeEstimator,
    theta_file: &Path,
    x_file: &Path,
    datasets: Option<usize>,
    bins: usize,
) -> Result<Simulations> {
    let theta = npe::read_table(theta_file)?;
    let x = npe::read_table(x_file)?;
    check_columns(
        theta_file,
        &theta.header,
        "θ",
        est.theta_labels(),
        est.theta_dim(),
    )?;
    match est.x_labels() {
        Some(labels) => check_columns(x_file, &x.header, "x", labels, est.x_dim())?,
        None if x.num_cols() != est.x_dim() => bail!(
            "{}: {} columns, but the estimator takes {}-d x",
            x_file.display(),
            x.num_cols(),
            est.x_dim()
        ),
        None => {}
    }
    let sims = Simulations::from_tables(&theta, &x)
        .with_context(|| format!("pairing {} with {}", theta_file.display(), x_file.display()))?;
    let (finite, dropped) = sims.finite_rows();
    let usable = finite.len();
    let m = datasets.unwrap_or(usable);
    if m > usable {
        bail!(
            "--datasets {m}: {} has only {usable} rows with finite values ({dropped} skipped)",
            theta_file.display()
        );
    }
    if m < bins {
        bail!(
            "{}: {m} datasets ({dropped} rows with non-finite values skipped); SBC needs at least --bins ({bins}), and hundreds to find more than gross miscalibration",
            theta_file.display()
        );
    }
    if m < FEW_DATASETS {
        eprintln!(
            "warning: only {m} datasets: SBC finds only gross miscalibration with so few; simulate a few hundred"
        );
    }
    if dropped > 0 {
        eprintln!("{dropped} rows with non-finite values skipped");
    }
    let (dt, dx) = (finite.theta_dim(), finite.x_dim());
    let theta: Vec<f64> = (0..m).flat_map(|i| finite.theta(i).to_vec()).collect();
    let x: Vec<f64> = (0..m).flat_map(|i| finite.x(i).to_vec()).collect();
    debug_assert_eq!(theta.len(), m * dt);
    Ok(Simulations::new(dt, dx, theta, x)?)
}

/// A table's header against the columns the estimator was trained on.
fn check_columns(
    file: &Path,
    header: &[String],
    what: &str,
    labels: &[String],
    dim: usize,
) -> Result<()> {
    if header.len() != dim {
        bail!(
            "{}: {} columns ({}), but the estimator's {what} has {dim} ({})",
            file.display(),
            header.len(),
            header.join(","),
            labels.join(",")
        );
    }
    if header != labels {
        bail!(
            "{}: columns `{}` are not the estimator's {what} columns `{}` (same names, same order): each column must be the quantity it was trained on",
            file.display(),
            header.join(","),
            labels.join(",")
        );
    }
    Ok(())
}

fn sbc_on_task(
    est: &NpeEstimator,
    name: &str,
    settings: &npe::SbcSettings,
) -> Result<npe::SbcReport> {
    let task = flowpost_models::sbibm::task(name)?;
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

fn report_sbc(r: &npe::SbcReport, labels: &[String], seconds: f64) {
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
    let outside: Vec<&str> = r
        .ecdf
        .iter()
        .zip(labels)
        .filter(|(c, _)| !c.inside)
        .map(|(_, l)| l.as_str())
        .chain((!r.density_ecdf.inside).then_some("density rank"))
        .collect();
    eprintln!(
        "rank ECDFs in their simultaneous {:.4} bands: {}",
        r.ecdf_band.prob,
        if outside.is_empty() {
            "all inside (pass)".to_string()
        } else {
            format!("outside for {} (fail)", outside.join(", "))
        }
    );
    let pick = |v: &[f64]| -> Vec<String> {
        r.coverage_levels
            .iter()
            .zip(v)
            .filter(|(l, _)| [0.5, 0.9, 0.95].iter().any(|x| (*l - x).abs() < 1e-9))
            .map(|(l, c)| format!("{l:.2} → {c:.3}"))
            .collect()
    };
    let i95 = r
        .coverage_levels
        .iter()
        .position(|l| (l - 0.95).abs() < 1e-9);
    let verdict = i95.map_or(String::new(), |i| {
        let (c, s) = (r.coverage[i], r.coverage_mcse[i]);
        match (c - 0.95) / s {
            z if z < -4.0 => format!(" (overconfident: {z:.1} MCSE below 0.95)"),
            z if z > 4.0 => format!(" (conservative: {z:.1} MCSE above 0.95)"),
            _ => " (within 4 MCSE of 0.95)".to_string(),
        }
    });
    eprintln!(
        "expected coverage, joint (highest density): {}{verdict}",
        pick(&r.coverage).join(", ")
    );
    for (c, l) in r.coverage_per_dim.iter().zip(labels) {
        eprintln!("  {l} (central intervals): {}", pick(c).join(", "));
    }
    eprintln!(
        "TARP: ATC {:+.4} (negative: overconfident), KS D {:.4}, p {:.3}",
        r.tarp.atc, r.tarp.ks_statistic, r.tarp.ks_p_value
    );
}
