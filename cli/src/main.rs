//! The `flowpost` command line: `flowpost <subcommand>`. Each subcommand lives in its own file;
//! this file only parses and dispatches.

mod diagnose;
mod models;
mod npe;
mod progress;
mod sample;
mod stan_setup;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Bayesian inference with normalizing flows: IAF variational fits, NeuTra-warped NUTS and
/// diagnostics you can trust.
#[derive(Parser)]
#[command(name = "flowpost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in models.
    Models(models::Args),
    /// Fit a flow and sample a model with NeuTra (or plain NUTS).
    Sample(sample::Args),
    /// Diagnose CmdStan-format CSV files (one per chain): summary table, warnings, report.
    Diagnose(diagnose::DiagnoseArgs),
    /// Fetch and unpack the Stan toolchain (stanc, headers, libraries) for `.stan` models.
    StanSetup(stan_setup::Args),
    /// Neural posterior estimation: train on simulations, sample the posterior for x_o.
    Npe(npe::NpeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Models(args) => models::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Diagnose(args) => diagnose::run(args).map_err(|e| anyhow::anyhow!("{e}")),
        Command::StanSetup(args) => stan_setup::run(args).map_err(|e| anyhow::anyhow!("{e}")),
        Command::Npe(args) => npe::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
