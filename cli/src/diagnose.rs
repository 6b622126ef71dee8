//! `flowpost diagnose FILE.csv... [--out DIR] [--json]`: reads CmdStan-format CSV files (one per
//! chain, CmdStan's or flowpost's), prints the warnings and the summary table (or, with
//! `--json`, `{"parameters": [...]}` as in `summary.json`), and with `--out` writes
//! `summary.json` and `report.html`.

use std::path::PathBuf;

use clap::Args;
use flowpost::diagnostics::{WarningSettings, check_run, summarize};
use flowpost::io::cmdstan::{CmdStanChain, read_cmdstan_csvs};
use flowpost::report::{
    ReportInput, ReportSettings, RunFacts, summary_table, warnings_block, write_report,
};

#[derive(Args)]
pub struct DiagnoseArgs {
    /// CmdStan CSV files, one per chain.
    #[arg(required = true, value_name = "FILE.csv")]
    files: Vec<PathBuf>,
    /// Write summary.json and report.html into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print {"parameters": [...]} (as in summary.json) to stdout instead of the table; warnings go
    /// to stderr.
    #[arg(long)]
    json: bool,
    /// Maximum tree depth of the run (default: the files' `max_depth`, else 10).
    #[arg(long)]
    max_depth: Option<u64>,
    /// Exit with status 2 when there is any warning (0 otherwise, 1 on errors).
    #[arg(long)]
    strict: bool,
}

pub fn run(args: DiagnoseArgs) -> anyhow::Result<()> {
    for f in &args.files {
        if f.is_dir() {
            anyhow::bail!(
                "{} is a folder; pass its chain files, e.g. {}",
                f.display(),
                f.join("chain_*.csv").display()
            );
        }
    }
    let (draws, chains) = read_cmdstan_csvs(&args.files)?;
    if draws.num_draws() == 0 {
        anyhow::bail!("{}: no post-warmup draws", args.files[0].display());
    }
    let first = &chains[0];
    let max_depth = args
        .max_depth
        .or_else(|| first.config_value("max_depth").and_then(|v| v.parse().ok()))
        .unwrap_or(10);
    let warning_settings = WarningSettings {
        max_tree_depth: max_depth,
        ..Default::default()
    };
    let run = run_facts(&draws, &chains);

    let (parameters, warnings) = match &args.out {
        Some(dir) => {
            let title = first
                .config_value("model")
                .map(str::to_string)
                .unwrap_or_else(|| {
                    args.files[0]
                        .file_stem()
                        .map_or("run".into(), |s| s.to_string_lossy().into_owned())
                });
            let input = ReportInput {
                title,
                draws: &draws,
                run,
                vi: None,
                settings: ReportSettings {
                    warnings: warning_settings,
                    ..Default::default()
                },
            };
            let (file, warnings) = write_report(dir, &input)?;
            eprintln!(
                "wrote {} and {}",
                dir.join("summary.json").display(),
                dir.join("report.html").display()
            );
            (file.parameters, warnings)
        }
        None => {
            let p = summarize(&draws);
            let w = check_run(&draws, &p, &warning_settings);
            (p, w)
        }
    };

    if args.json {
        eprint!("{}", warnings_block(&warnings));
        let out = serde_json::json!({ "parameters": parameters });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} chains × {} draws, {} parameters ({})",
            draws.num_chains(),
            draws.num_draws(),
            draws.num_params(),
            if args.files.len() == 1 {
                args.files[0].display().to_string()
            } else {
                format!("{} files", args.files.len())
            }
        );
        println!();
        print!("{}", warnings_block(&warnings));
        println!();
        print!("{}", summary_table(&parameters));
    }
    let report = crate::output::ReportArgs {
        strict: args.strict,
        ..Default::default()
    };
    crate::output::finish(&warnings, &report)
}

/// Run facts from the files: method from `flowpost_method` (else `cmdstan`), seconds as the
/// largest per-chain time (chains usually run in parallel).
fn run_facts(draws: &flowpost::Draws, chains: &[CmdStanChain]) -> RunFacts {
    let method = chains[0]
        .config_value("flowpost_method")
        .unwrap_or("cmdstan");
    let mut facts = RunFacts::from_draws(method, draws);
    let times: Vec<_> = chains.iter().filter_map(|c| c.elapsed).collect();
    if times.len() == chains.len() {
        let max =
            |f: fn(&flowpost::io::cmdstan::Elapsed) -> f64| times.iter().map(f).fold(0.0, f64::max);
        facts.cost.seconds.warmup = Some(max(|e| e.warmup));
        facts.cost.seconds.sampling = Some(max(|e| e.sampling));
        facts.cost.seconds.total = Some(max(|e| e.total));
    }
    facts
}
