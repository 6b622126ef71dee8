//! The `flowpost` command line: `main` only parses and dispatches; each subcommand lives in its
//! own file.

mod npe;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Bayesian inference with normalizing flows.
#[derive(Parser)]
#[command(name = "flowpost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Neural posterior estimation: train on simulations, sample the posterior for x_o.
    Npe(npe::NpeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
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
