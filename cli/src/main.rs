//! The `flowpost` command line: a thin dispatcher; each subcommand lives in its own file.

mod models;
mod progress;
mod sample;

use clap::{Parser, Subcommand};

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
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Models(args) => models::run(args),
        Command::Sample(args) => sample::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
