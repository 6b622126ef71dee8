//! The `flowpost` command line: `flowpost <subcommand>`. Each subcommand lives in its own file;
//! this file only parses and dispatches.

mod diagnose;
mod formats;
mod merge;
mod models;
mod nle;
mod npe;
mod output;
mod progress;
mod run_options;
mod sample;
mod sampler_args;
mod stan_setup;
mod warm;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Bayesian inference with normalizing flows: IAF variational fits, NeuTra-warped NUTS and
/// diagnostics you can trust.
///
/// Exit status: 0 on success, 1 on an error, 2 when `--strict` is given and the run shows
/// warnings.
#[derive(Parser)]
#[command(name = "flowpost", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in models.
    Models(models::Args),
    /// Sample a model: auto (whitened low-rank NUTS, or a trained flow when the warmup says the geometry needs one), NeuTra or plain NUTS.
    Sample(sample::Args),
    /// Merge the shards of one run (`sample --chain-ids A..B` on several machines) into the
    /// run's folder, with nested R-hat over the shards.
    Merge(merge::Args),
    /// Diagnose CmdStan-format CSV files (one per chain): summary table, warnings, report.
    Diagnose(diagnose::DiagnoseArgs),
    /// Fetch and unpack the Stan toolchain (stanc, headers, libraries) for `.stan` models.
    StanSetup(stan_setup::Args),
    /// Neural posterior estimation: train on simulations, sample the posterior for x_o.
    Npe(npe::NpeArgs),
    /// Neural likelihood estimation: train q(x | θ) on simulations, sample the posterior of
    /// observed iid trials with flowpost's sampler.
    Nle(nle::NleArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Models(args) => models::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Diagnose(args) => diagnose::run(args),
        Command::StanSetup(args) => stan_setup::run(args).map_err(|e| anyhow::anyhow!("{e}")),
        Command::Npe(args) => npe::run(args),
        Command::Nle(args) => nle::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<output::StrictFailure>().is_some() => {
            eprintln!("{e}");
            ExitCode::from(output::EXIT_WARNINGS)
        }
        Err(e) => {
            eprintln!("error: {}", message(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once: most of our errors already quote
/// their source, which `{:#}` would repeat ("no such Stan file: no such Stan file").
fn message(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out
}
