//! The `flowpost` command line: `flowpost <subcommand>`. Each subcommand lives in its own file;
//! this file only parses and dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod diagnose;

#[derive(Parser)]
#[command(
    name = "flowpost",
    version,
    about = "Bayesian inference with normalizing flows"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Diagnose CmdStan-format CSV files (one per chain): summary table, warnings, report.
    Diagnose(diagnose::DiagnoseArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Diagnose(args) => diagnose::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
