//! `flowpost nle train | sample`: neural likelihood estimation from simulation tables. `train`
//! fits q(x | θ) with NPE's training options and writes an NLE estimator file that holds the
//! prior; `sample` runs flowpost's sampler (auto, NeuTra, NUTS, multimodal) on the posterior
//! of iid observed trials and writes what `flowpost sample` writes. One file per subcommand;
//! reading the observation is in `observation.rs`.

mod observation;
mod sample;
mod train;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use flowpost::npe::NleEstimator;
use std::path::Path;

#[derive(Args)]
pub struct NleArgs {
    #[command(subcommand)]
    command: NleCommand,
}

#[derive(Subcommand)]
enum NleCommand {
    /// Train a likelihood estimator q(x | θ) on (θ, x) tables (CSV with a header row; rows
    /// pair up), or on the shards of a sharded simulation, under a prior spec.
    Train(train::TrainArgs),
    /// Sample the posterior of θ given observed iid trials (a CSV, one row per trial) with
    /// flowpost's sampler; writes CmdStan CSVs, summary.json and report.html.
    Sample(sample::SampleArgs),
}

pub fn run(args: NleArgs) -> Result<()> {
    match args.command {
        NleCommand::Train(a) => train::run(a),
        NleCommand::Sample(a) => sample::run(a),
    }
}

/// The estimator file's name in a folder `nle train` wrote.
const ESTIMATOR_FILE: &str = "estimator.json";

/// Loads `path`, a folder `nle train` wrote or the estimator file itself.
fn load_estimator(path: &Path) -> Result<NleEstimator> {
    let file = match path.is_dir() {
        true => path.join(ESTIMATOR_FILE),
        false => path.to_path_buf(),
    };
    NleEstimator::load(&file).with_context(|| format!("--estimator {}", path.display()))
}
