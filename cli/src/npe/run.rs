//! `flowpost npe run TASK`: simulate a built-in task, train, and sample for one of its
//! observations, everything written at the end into one run folder.

use super::options::{TrainingOptions, settings, train_with_progress};
use super::{report_samples, save, warn_if_few, warn_x_o, write_samples};
use anyhow::{Result, bail};
use clap::Args;
use flowpost::npe::{self, SampleSettings};
use std::path::PathBuf;

#[derive(Args)]
pub(super) struct RunArgs {
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

pub(super) fn run(a: RunArgs) -> Result<()> {
    let task = flowpost_models::sbibm::task(&a.task)?;
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
    save(dir.path(), &est, &report, &s, None)?;
    let t1 = std::time::Instant::now();
    let settings = SampleSettings {
        seed: a.options.seed,
        ..Default::default()
    };
    let ranges = npe::training_x_ranges(&sims);
    let outside = npe::check_x_o(&est, &obs.x_o, Some(&ranges))?;
    warn_x_o(&outside);
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
        "x_o_outside_training": outside,
    });
    let facts = vec![
        ("task".to_string(), task.name().to_string()),
        ("observation".to_string(), a.observation.to_string()),
        ("seed".to_string(), a.options.seed.to_string()),
    ];
    let title = format!("NPE on {}, observation {}", task.name(), a.observation);
    super::report::write_training_report(
        dir.path(),
        &title,
        &est,
        &report,
        Some((&samples, &outside)),
        facts,
    )?;
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
