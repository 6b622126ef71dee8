//! The `flowpost` command line: `flowpost <subcommand>`. Each subcommand lives in its own file;
//! this file only parses and dispatches.

use clap::{Parser, Subcommand};

mod stan_setup;

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
    /// Fetch and unpack the Stan toolchain (stanc, headers, libraries) for `.stan` models.
    StanSetup(stan_setup::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::StanSetup(args) => stan_setup::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
