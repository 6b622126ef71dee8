//! `flowpost npe train | sample | run`: neural posterior estimation from simulation tables or
//! built-in sbibm tasks.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use flowpost::bijection::Activation;
use flowpost::npe::{
    self, Bounds, EpochProgress, FlowSettings, IndependentPrior, NpeEstimator, NpeReport,
    NpeSettings, PosteriorSamples, Prior, SampleSettings, Simulations, Support, TransformKind,
    XTransform,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct NpeArgs {
    #[command(subcommand)]
    command: NpeCommand,
}

#[derive(Subcommand)]
enum NpeCommand {
    /// Train an estimator on (θ, x) tables (CSV with a header row; rows pair up).
    Train(TrainArgs),
    /// Sample the posterior of a trained estimator for an observation.
    Sample(SampleArgs),
    /// Simulate a built-in task, train, and sample for one of its observations.
    Run(RunArgs),
    /// Simulation-based calibration and expected coverage of an estimator on a built-in task.
    Sbc(SbcArgs),
}

#[derive(Args)]
struct SbcArgs {
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

#[derive(Args, Clone)]
struct TrainingOptions {
    /// Training seed (split, initial weights, shuffles).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Transform: auto (train a spline and an affine flow, keep the lower validation loss),
    /// spline (neural spline flow) or affine (MAF).
    #[arg(long, default_value = "auto")]
    transform: String,
    /// Number of autoregressive transforms.
    #[arg(long)]
    num_transforms: Option<usize>,
    /// MADE hidden widths, comma-separated.
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// Spline bins.
    #[arg(long)]
    num_bins: Option<usize>,
    /// MADE nonlinearity: relu, elu or tanh.
    #[arg(long)]
    activation: Option<String>,
    /// Minibatch size [default: 128] (docs/npe.md has batch 1024 measured at 10^5 simulations).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Adam learning rate.
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Early-stopping patience in epochs.
    #[arg(long)]
    patience: Option<usize>,
    /// Maximum epochs.
    #[arg(long)]
    max_epochs: Option<usize>,
    /// Preprocessing of x before its z-scoring: zscore (none) or log1p (log(1 + x), for counts;
    /// needs x > -1).
    #[arg(long, default_value = "zscore")]
    x_transform: String,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct TrainArgs {
    /// θ table (CSV, header row).
    #[arg(long)]
    theta: PathBuf,
    /// x table (CSV, header row), one row per θ row.
    #[arg(long)]
    x: PathBuf,
    /// Prior spec (JSON): `{"parameters": [{"family": "log_normal", "mu": 0, "sigma": 1}, ...]}`
    /// with families uniform, normal, log_normal, gamma, beta, half_normal, or `{"box":
    /// {"lower": [...], "upper": [...]}}`. Training runs on the unconstrained parameters (log,
    /// logit) and every draw lies inside the declared supports.
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

#[derive(Args)]
struct SampleArgs {
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

#[derive(Args)]
struct RunArgs {
    /// two_moons, gaussian_linear, gaussian_linear_uniform, slcp or bernoulli_glm.
    task: String,
    /// Number of simulations.
    #[arg(long)]
    simulations: usize,
    /// Observation number (1–10).
    #[arg(long, default_value_t = 1)]
    observation: usize,
    /// Posterior samples to write.
    #[arg(long, default_value_t = 10_000)]
    num_samples: usize,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    options: TrainingOptions,
}

pub fn run(args: NpeArgs) -> Result<()> {
    match args.command {
        NpeCommand::Train(a) => train_cmd(a),
        NpeCommand::Sample(a) => sample_cmd(a),
        NpeCommand::Run(a) => run_cmd(a),
        NpeCommand::Sbc(a) => sbc_cmd(a),
    }
}

fn settings(o: &TrainingOptions) -> Result<NpeSettings> {
    let d = NpeSettings::default();
    let transform = match o.transform.as_str() {
        "spline" => TransformKind::Spline,
        "affine" => TransformKind::Affine,
        "auto" => TransformKind::Auto,
        other => bail!("--transform must be `auto`, `spline` or `affine`, got `{other}`"),
    };
    let flow = FlowSettings {
        transform,
        num_transforms: o.num_transforms.unwrap_or(d.flow.num_transforms),
        hidden: o.hidden.clone().unwrap_or(d.flow.hidden.clone()),
        activation: match o.activation.as_deref() {
            None => d.flow.activation,
            Some("relu") => Activation::Relu,
            Some("elu") => Activation::Elu,
            Some("tanh") => Activation::Tanh,
            Some(other) => bail!("--activation must be relu, elu or tanh, got `{other}`"),
        },
        num_bins: o.num_bins.unwrap_or(d.flow.num_bins),
        tail_bound: d.flow.tail_bound,
        affine_first: d.flow.affine_first,
    };
    let s = NpeSettings {
        flow,
        batch_size: o.batch_size.unwrap_or(d.batch_size),
        learning_rate: o.learning_rate.unwrap_or(d.learning_rate),
        patience: o.patience.unwrap_or(d.patience),
        max_epochs: o.max_epochs.unwrap_or(d.max_epochs),
        seed: o.seed,
        x_transform: match o.x_transform.as_str() {
            "zscore" => XTransform::Identity,
            "log1p" => XTransform::Log1p,
            other => bail!("--x-transform must be `zscore` or `log1p`, got `{other}`"),
        },
        ..d
    };
    s.validate()?;
    Ok(s)
}

fn train_with_progress(
    sims: &Simulations,
    support: Support,
    s: &NpeSettings,
    quiet: bool,
) -> Result<(NpeEstimator, NpeReport)> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(s.max_epochs as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] epoch {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let auto = s.flow.transform == TransformKind::Auto;
    let mut candidate = 0;
    let mut cb = |p: &EpochProgress| {
        if p.epoch == 1 {
            candidate += 1;
        }
        bar.set_position(p.epoch as u64);
        let which = if auto {
            format!("auto candidate {candidate} of 2: ")
        } else {
            String::new()
        };
        bar.set_message(format!(
            "{which}train {:.4}  val {:.4}  best {:.4} ({} of {} epochs without improvement before stopping)",
            p.train_loss, p.validation_loss, p.best_validation_loss, p.epochs_since_best, s.patience
        ));
    };
    let out = npe::train(sims, support, s, &mut cb)?;
    bar.finish_and_clear();
    let r = &out.1;
    eprintln!(
        "trained on {} simulations ({} train, {} validation, {} dropped as non-finite): {} epochs, best epoch {} (validation loss {:.4}), {:.1} s, {} gradient evaluations",
        r.num_simulations,
        r.num_train,
        r.num_validation,
        r.num_dropped,
        r.num_epochs,
        r.best_epoch,
        r.best_validation_loss,
        r.seconds,
        r.num_gradient_evals
    );
    for (i, c) in r.candidates.iter().enumerate() {
        let why = if c.num_epochs >= s.max_epochs {
            format!("reached --max-epochs {}", s.max_epochs)
        } else {
            format!(
                "early stop: no better validation loss for {} epochs",
                c.num_epochs - c.best_epoch
            )
        };
        eprintln!(
            "candidate {} of {} ({:?}): {} epochs, best epoch {}; {why}",
            i + 1,
            r.candidates.len(),
            c.transform,
            c.num_epochs,
            c.best_epoch
        );
    }
    if !r.candidates.is_empty() {
        let losses: Vec<String> = r
            .candidates
            .iter()
            .map(|c| {
                format!(
                    "{:?} {:.4} in {:.1} s",
                    c.transform, c.best_validation_loss, c.seconds
                )
                .to_lowercase()
            })
            .collect();
        eprintln!(
            "transform: {:?} kept (best validation loss per candidate: {}; seconds and gradient evaluations above count both)",
            r.transform,
            losses.join(", ")
        );
    }
    Ok(out)
}

/// Writes estimator.json and training_report.json into `dir` (a staging folder).
fn save(dir: &Path, est: &NpeEstimator, report: &NpeReport, s: &NpeSettings) -> Result<()> {
    est.save(&dir.join("estimator.json"))?;
    let doc = serde_json::json!({ "settings": s, "report": report });
    flowpost::io::atomic::write_string_atomic(
        &dir.join("training_report.json"),
        &serde_json::to_string_pretty(&doc)?,
    )?;
    Ok(())
}

fn train_cmd(a: TrainArgs) -> Result<()> {
    let mut s = settings(&a.options)?;
    // Refuse a bad --out before training, not after.
    flowpost::io::atomic::check_output_dir(&a.out)?;
    let theta = npe::read_table(&a.theta)?;
    let x = npe::read_table(&a.x)?;
    let sims = Simulations::from_tables(&theta, &x)
        .with_context(|| format!("pairing {} with {}", a.theta.display(), a.x.display()))?;
    let support = match (&a.prior, &a.prior_bounds) {
        (Some(p), _) => {
            let prior = IndependentPrior::load(p)?;
            check_against_prior(&sims, &prior, &theta.header, &a.theta, p)?;
            prior.support()
        }
        (None, Some(p)) => {
            let b = read_bounds(p, theta.num_cols())?;
            check_in_bounds(&sims, &b, &theta.header, &a.theta, p)?;
            // As before `--prior`: a closed box kept for leakage correction.
            s.support_transform = false;
            Support::from_bounds(&b)
        }
        (None, None) => Support::unbounded(theta.num_cols()),
    };
    warn_if_few(sims.len());
    let (est, report) = train_with_progress(&sims, support, &s, a.options.quiet)?;
    let est = est.with_labels(theta.header.clone())?;
    let dir = flowpost::io::atomic::RunDir::create(&a.out)?;
    save(dir.path(), &est, &report, &s)?;
    let out = dir.commit()?;
    eprintln!("wrote {}", out.join("estimator.json").display());
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
fn check_against_prior(
    sims: &Simulations,
    prior: &IndependentPrior,
    labels: &[String],
    theta_file: &Path,
    prior_file: &Path,
) -> Result<()> {
    if prior.dim() != sims.theta_dim() {
        bail!(
            "{}: {} parameters for the {} θ columns of {}",
            prior_file.display(),
            prior.dim(),
            sims.theta_dim(),
            theta_file.display()
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
                "{}: row {} has {} = {}, outside the support {} of parameter {} (`{}`, {}) in {}; every training θ must lie strictly inside its prior's support",
                theta_file.display(),
                i + 1,
                labels.get(k).map_or("?", String::as_str),
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

/// Below this many simulations NPE is unreliable (sbibm's smallest budget is 10³).
const FEW_SIMULATIONS: usize = 1000;

fn warn_if_few(n: usize) {
    if n < FEW_SIMULATIONS {
        eprintln!(
            "warning: only {n} simulations; a neural posterior estimate needs thousands (sbibm's smallest budget is {FEW_SIMULATIONS}): check it with `flowpost npe sbc`"
        );
    }
}

/// Every θ row inside the prior bounds: a row outside means the table and the bounds disagree
/// (caught here, not as a leakage failure when sampling).
fn check_in_bounds(
    sims: &Simulations,
    b: &Bounds,
    labels: &[String],
    theta_file: &Path,
    bounds_file: &Path,
) -> Result<()> {
    for i in 0..sims.len() {
        for (k, v) in sims.theta(i).iter().enumerate() {
            if !(*v >= b.lower[k] && *v <= b.upper[k]) {
                bail!(
                    "{}: row {} has {} = {v}, outside the prior bounds [{}, {}] of {}",
                    theta_file.display(),
                    i + 1,
                    labels.get(k).map_or("?", String::as_str),
                    b.lower[k],
                    b.upper[k],
                    bounds_file.display()
                );
            }
        }
    }
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

fn report_samples(est: &NpeEstimator, s: &PosteriorSamples) {
    if est.bounds().is_none() {
        eprintln!(
            "{} draws, each mapped into the prior's support (no rejection; acceptance rate 1)",
            s.len()
        );
        return;
    }
    eprintln!(
        "leakage correction: accepted {} of {} draws (acceptance rate {:.4})",
        s.len(),
        s.num_drawn,
        s.acceptance_rate
    );
    if s.low_acceptance {
        eprintln!(
            "warning: low acceptance rate {:.2e}: the estimator puts most of its mass outside the prior support; more simulations or training may help",
            s.acceptance_rate
        );
    }
}

fn write_samples(path: &Path, est: &NpeEstimator, s: &PosteriorSamples) -> Result<()> {
    npe::write_table(path, est.theta_labels(), &s.samples)?;
    Ok(())
}

fn load_estimator(dir: &Path) -> Result<NpeEstimator> {
    let file = if dir.is_dir() {
        dir.join("estimator.json")
    } else {
        dir.to_path_buf()
    };
    Ok(NpeEstimator::load(&file)?)
}

fn sbc_cmd(a: SbcArgs) -> Result<()> {
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

fn sample_cmd(a: SampleArgs) -> Result<()> {
    if a.num_samples == 0 {
        bail!("--num-samples must be at least 1");
    }
    let est = load_estimator(&a.dir)?;
    let x_o = read_observation(&a.x_obs)?;
    let settings = SampleSettings {
        seed: a.seed,
        ..Default::default()
    };
    let s = est
        .sample(&x_o, a.num_samples, &settings)
        .with_context(|| format!("observation {}", a.x_obs.display()))?;
    report_samples(&est, &s);
    write_samples(&a.out, &est, &s)?;
    eprintln!("wrote {} samples to {}", s.len(), a.out.display());
    Ok(())
}

fn run_cmd(a: RunArgs) -> Result<()> {
    let task = npe::tasks::task(&a.task)?;
    let obs = task.observation(a.observation)?;
    if a.simulations == 0 {
        bail!("--simulations must be positive");
    }
    if a.num_samples == 0 {
        bail!("--num-samples must be at least 1");
    }
    let s = settings(&a.options)?;
    // Everything is written at the end into a folder replaced whole: never an estimator beside
    // an older run's samples.
    flowpost::io::atomic::check_output_dir(&a.out)?;
    warn_if_few(a.simulations);
    let t0 = std::time::Instant::now();
    let sims = npe::simulate(
        task.prior(),
        task.simulator(),
        a.simulations,
        a.options.seed,
    );
    let sim_seconds = t0.elapsed().as_secs_f64();
    let (est, report) = train_with_progress(&sims, task.prior().support(), &s, a.options.quiet)?;
    let dir = flowpost::io::atomic::RunDir::create(&a.out)?;
    save(dir.path(), &est, &report, &s)?;
    let t1 = std::time::Instant::now();
    let settings = SampleSettings {
        seed: a.options.seed,
        ..Default::default()
    };
    let samples = est.sample(&obs.x_o, a.num_samples, &settings)?;
    let sample_seconds = t1.elapsed().as_secs_f64();
    report_samples(&est, &samples);
    write_samples(&dir.path().join("posterior_samples.csv"), &est, &samples)?;
    let summary = serde_json::json!({
        "task": task.name(),
        "num_simulations": a.simulations,
        "num_observation": a.observation,
        "seed": a.options.seed,
        "simulation_seconds": sim_seconds,
        "training_seconds": report.seconds,
        "sampling_seconds": sample_seconds,
        "num_epochs": report.num_epochs,
        "best_epoch": report.best_epoch,
        "best_validation_loss": report.best_validation_loss,
        "transform": report.transform,
        "candidates": report.candidates,
        "num_gradient_evals": report.num_gradient_evals,
        "acceptance_rate": samples.acceptance_rate,
    });
    flowpost::io::atomic::write_string_atomic(
        &dir.path().join("run.json"),
        &serde_json::to_string_pretty(&summary)?,
    )?;
    let out = dir.commit()?;
    eprintln!(
        "wrote {} and the estimator to {}",
        out.join("posterior_samples.csv").display(),
        out.display()
    );
    Ok(())
}
