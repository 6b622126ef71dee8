//! `flowpost npe train | sample | run | sbc | simulate`: neural posterior estimation from
//! simulation tables or built-in sbibm tasks. One file per subcommand; the training options
//! they share are in `options.rs`.

pub(crate) mod options;
pub(crate) mod report;
mod run;
mod sample;
mod sbc;
pub(crate) mod shards;
mod simulate;
pub(crate) mod train;

use anyhow::Result;
use clap::{Args, Subcommand};
use flowpost::npe::{NpeEstimator, NpeReport, NpeSettings, PosteriorSamples};
use std::path::Path;

#[derive(Args)]
pub struct NpeArgs {
    #[command(subcommand)]
    command: NpeCommand,
}

#[derive(Subcommand)]
enum NpeCommand {
    /// Train an estimator on (θ, x) tables (CSV with a header row; rows pair up), or on the
    /// shards of a sharded simulation.
    Train(train::TrainArgs),
    /// Sample the posterior of a trained estimator for an observation.
    Sample(sample::SampleArgs),
    /// Simulate a built-in task, train, and sample for one of its observations.
    Run(run::RunArgs),
    /// Simulation-based calibration and expected coverage of an estimator, on a built-in task
    /// or on your own simulations.
    Sbc(sbc::SbcArgs),
    /// Simulate a built-in task into θ and x tables, whole or one shard of a run spread over
    /// many machines (`--shard i/K`); `train --shards DIR` reads the shards back.
    Simulate(simulate::SimulateArgs),
}

pub fn run(args: NpeArgs) -> Result<()> {
    match args.command {
        NpeCommand::Train(a) => train::run(a),
        NpeCommand::Sample(a) => sample::run(a),
        NpeCommand::Run(a) => run::run(a),
        NpeCommand::Sbc(a) => sbc::run(a),
        NpeCommand::Simulate(a) => simulate::run(a),
    }
}

/// Below this many simulations NPE is unreliable (sbibm's smallest budget is 10³).
const FEW_SIMULATIONS: usize = 1000;

pub(crate) fn warn_if_few(n: usize) {
    if n < FEW_SIMULATIONS {
        eprintln!(
            "warning: only {n} simulations; a neural posterior estimate needs thousands (sbibm's smallest budget is {FEW_SIMULATIONS}): check it with `flowpost npe sbc`"
        );
    }
}

/// Writes estimator.json and training_report.json (with `data`, what was trained on, when
/// given) into `dir` (a staging folder).
fn save(
    dir: &Path,
    est: &NpeEstimator,
    report: &NpeReport,
    s: &NpeSettings,
    data: Option<serde_json::Value>,
) -> Result<()> {
    est.save(&dir.join("estimator.json"))?;
    save_training_json(dir, report, s, data)
}

/// Writes training_report.json (the settings, the report and, when given, what was trained
/// on) into `dir` (a staging folder).
pub(crate) fn save_training_json(
    dir: &Path,
    report: &NpeReport,
    s: &NpeSettings,
    data: Option<serde_json::Value>,
) -> Result<()> {
    let mut doc = serde_json::json!({ "settings": s, "report": report });
    if let Some(data) = data {
        doc["data"] = data;
    }
    flowpost::io::atomic::write_string_atomic(
        &dir.join("training_report.json"),
        &serde_json::to_string_pretty(&doc)?,
    )?;
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

/// Prints a warning for each feature of x_o outside what the training simulations covered.
pub(crate) fn warn_x_o(outside: &[flowpost::npe::XoOutside]) {
    for o in outside {
        eprintln!("warning: {}", o.message());
    }
}

fn write_samples(path: &Path, est: &NpeEstimator, s: &PosteriorSamples) -> Result<()> {
    flowpost::npe::write_table(path, est.theta_labels(), &s.samples)?;
    Ok(())
}
