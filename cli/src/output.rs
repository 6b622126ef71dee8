//! What `sample` (and `diagnose`) show a user at the end of a run, and the options that govern
//! it: the warnings first, then the run's line, the flow's verdict and dropped draws, the cost
//! and the summary table (the same table as `diagnose`). With `--strict`, warnings make the
//! exit status 2 (documented in `flowpost sample --help` and the README).

use flowpost::diagnostics::{DiagnosticWarning, ParamSummary, extremes};
use flowpost::report::{format_sig, summary_table, warnings_block};
use flowpost::{Run, WrittenRun};
use std::fmt;

/// Exit status of a run that completed but found problems, under `--strict`.
pub const EXIT_WARNINGS: u8 = 2;

/// The run completed, wrote its outputs, and found problems; `--strict` makes that a failure.
#[derive(Debug)]
pub struct StrictFailure {
    /// Number of warnings.
    pub count: usize,
}

impl fmt::Display for StrictFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} warning{} (see above); exit status {EXIT_WARNINGS} because of --strict",
            self.count,
            if self.count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for StrictFailure {}

/// Options of what a run prints and how it ends.
#[derive(clap::Args, Clone, Default)]
pub struct ReportArgs {
    /// Exit with status 2 when the run (or the files) show any warning (divergences, R-hat, ESS,
    /// E-BFMI, tree depth, a flow with mass outside the support); 0 otherwise, 1 on errors.
    #[arg(long)]
    pub strict: bool,
    /// Print only the warnings and where the outputs went (no progress bars, no table).
    #[arg(long)]
    pub quiet: bool,
    /// Parameters the report's pair plot must show, comma-separated (e.g. `v,x[1]`) [default:
    /// those most associated with divergences or with the lowest ESS, and their partners].
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub pairs: Vec<String>,
}

/// Rows of the summary table printed; the rest are in summary.json.
const SHOWN: usize = 12;

/// The summary table, at most [`SHOWN`] rows.
pub fn table(parameters: &[ParamSummary]) -> String {
    let mut s = summary_table(&parameters[..parameters.len().min(SHOWN)]);
    if parameters.len() > SHOWN {
        s.push_str(&format!(
            "… {} more parameters in summary.json\n",
            parameters.len() - SHOWN
        ));
    }
    s
}

/// "max R-hat 1.003 · min ESS bulk 812 / tail 640", with undefined values said as such.
pub fn headline(parameters: &[ParamSummary], num_chains: usize) -> String {
    let e = extremes(parameters);
    let r_hat = if num_chains < 2 {
        "R-hat n/a (1 chain)".to_string()
    } else {
        format!("max R-hat {}", fmt_or_nan(e.max_r_hat, 3))
    };
    format!(
        "{r_hat} · min ESS bulk {} / tail {}",
        fmt_or_nan(e.min_ess_bulk, 0),
        fmt_or_nan(e.min_ess_tail, 0)
    )
}

fn fmt_or_nan(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "nan".into()
    }
}

/// Prints a finished `sample` run: warnings first, then the facts.
pub fn print_run(model: &str, run: &Run, written: &WrittenRun, args: &ReportArgs) {
    print!("{}", warnings_block(&written.warnings));
    if args.quiet {
        println!("wrote {}", written.dir.display());
        return;
    }
    println!();
    let parameters = &written.summary.parameters;
    let chains = match run.first_chain {
        0 => format!("{} chains", run.draws.num_chains()),
        f => format!(
            "chains {}",
            flowpost::shard::ChainRange::of_run(f, run.draws.num_chains())
        ),
    };
    println!(
        "{model}: {} · {chains} × {} draws · {} divergences · {}",
        run.method.name(),
        run.draws.num_draws(),
        run.draws.num_divergent(),
        headline(parameters, run.draws.num_chains()),
    );
    if let Some(auto) = &run.auto {
        println!("auto: {}", auto.describe());
    }
    if let Some(m) = &run.multimodal {
        print!("{}", m.describe());
    }
    if let Some(vi) = &run.vi {
        let what = if run
            .auto
            .as_ref()
            .is_some_and(|a| a.escalation_reason.is_none())
        {
            "Gaussian fit"
        } else {
            "VI"
        };
        println!(
            "{what}: {} steps, ELBO {:.3} ± {:.3}, Pareto k̂ {} ({})",
            vi.num_steps,
            vi.elbo,
            vi.elbo_mcse,
            format_sig(vi.pareto_k, 2),
            vi.verdict().text()
        );
        if let Some(d) = vi.dropped_summary() {
            println!("VI {d}");
        }
        match &vi.log_evidence {
            Ok(z) => println!(
                "log evidence (log Z of the density as written): {:.3} ± {:.3} (MCSE), from the {}'s importance weights",
                z.value,
                z.mcse,
                if what == "VI" { "flow" } else { "Gaussian fit" }
            ),
            Err(why) => println!("log evidence: not reported — {why}"),
        }
    }
    let c = &run.cost;
    println!(
        "cost: gradients vi {} + warmup {} + sampling {}; seconds vi {:.2} + warmup {:.2} + sampling {:.2} = {:.2} total",
        c.num_grad_evals.vi,
        c.num_grad_evals.warmup,
        c.num_grad_evals.sampling,
        c.seconds.vi,
        c.seconds.warmup,
        c.seconds.sampling,
        c.seconds.total
    );
    println!();
    print!("{}", table(parameters));
    println!("wrote {}", written.dir.display());
}

/// `Err(StrictFailure)` when `--strict` and there are warnings.
pub fn finish(warnings: &[DiagnosticWarning], args: &ReportArgs) -> anyhow::Result<()> {
    if args.strict && !warnings.is_empty() {
        return Err(StrictFailure {
            count: warnings.len(),
        }
        .into());
    }
    Ok(())
}

/// The CLI flag of a library setting, for error messages (`num_chains` → `--chains`).
pub fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "num_chains" => "--chains",
        "first_chain" => "--chain-ids",
        "num_draws" => "--draws",
        "num_tune" => "--tune",
        "max_depth" => "--max-depth",
        "target_accept" => "--target-accept",
        "seed" => "--seed",
        "vi.max_steps" => "--vi-steps",
        "init" => "--init",
        _ => return None,
    })
}

/// A library error as the CLI says it: settings by their flag.
pub fn cli_error(e: flowpost::Error) -> anyhow::Error {
    match &e {
        flowpost::Error::Settings { field, reason } => match flag_of(field) {
            Some(flag) => anyhow::anyhow!("invalid {flag}: {reason}"),
            None => e.into(),
        },
        _ => e.into(),
    }
}

/// Parses a seed: a non-negative integer, with a plain message for `-5` or `abc`.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!(
            "a seed is a whole number from 0 to {} (got `{s}`)",
            u64::MAX
        )
    })
}
