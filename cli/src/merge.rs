//! `flowpost merge DIR... --out DIR`: the shards of one run (`sample --chain-ids A..B` on
//! several machines) into the folder the whole run would have written, after checking that they
//! are one run; prints what `sample` prints, plus nested R-hat with the shards as superchains.

use crate::output::{ReportArgs, headline, table};
use flowpost::report::warnings_block;
use flowpost::shard::{MergeSettings, MergedRun, merge_shards};
use std::path::PathBuf;

/// Arguments of `flowpost merge`.
#[derive(clap::Args)]
pub struct Args {
    /// The shards' output folders (any order).
    #[arg(required = true, value_name = "DIR")]
    shards: Vec<PathBuf>,
    /// The merged run's folder: new, empty, or an earlier flowpost run's folder (replaced
    /// whole); not one of the shards.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The whole run's number of chains: an error unless the shards hold chains 1 to N, each
    /// once [default: chains 1 to the largest number a shard holds, with no gap].
    #[arg(long, value_name = "N")]
    chains: Option<usize>,
    #[command(flatten)]
    format: crate::formats::FormatArgs,
    #[command(flatten)]
    report: ReportArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = MergeSettings {
        num_chains: args.chains,
        pair_params: args.report.pairs.clone(),
        zarr: args.format.zarr(),
    };
    let merged = merge_shards(&args.shards, &args.out, &settings)?;
    print_merged(&merged, &args.report);
    crate::output::finish(&merged.warnings, &args.report)
}

fn print_merged(m: &MergedRun, args: &ReportArgs) {
    print!("{}", warnings_block(&m.warnings));
    if args.quiet {
        println!("wrote {}", m.dir.display());
        return;
    }
    println!();
    let run = &m.summary.run;
    let model = run.identity.as_ref().map_or("run", |i| i.model.as_str());
    println!(
        "{model}: {} · {} shards · {} chains × {} draws · {} divergences · {}",
        run.method,
        m.shards.len(),
        run.num_chains,
        run.num_draws_per_chain,
        run.num_divergent,
        headline(&m.summary.parameters, run.num_chains),
    );
    for s in &m.shards {
        println!(
            "  chains {:<9} {}",
            s.chain_ids.to_string(),
            s.dir.display()
        );
    }
    match &m.summary.nested_r_hat {
        None => println!("nested R-hat: n/a (1 shard)"),
        Some(n) => match &n.note {
            Some(note) => println!("nested R-hat: {note}"),
            None => {
                let worst = n
                    .parameters
                    .iter()
                    .filter(|p| p.nested_r_hat == n.max)
                    .map(|p| p.name.as_str())
                    .next()
                    .unwrap_or("–");
                let value = if n.max.is_finite() {
                    format!("{:.4}", n.max)
                } else {
                    "undefined".into()
                };
                println!(
                    "nested R-hat ({} shards as superchains of {} chains): max {value} ({worst}; warning above {})",
                    n.superchains.len(),
                    n.superchains[0].len(),
                    n.threshold
                );
            }
        },
    }
    let g = &run.cost.num_grad_evals;
    let opt = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
    println!(
        "cost: gradients vi {} + warmup {} + sampling {} (all shards); longest shard {} s",
        opt(g.vi),
        opt(g.warmup),
        opt(g.sampling),
        run.cost
            .seconds
            .total
            .map_or("?".into(), |t| format!("{t:.2}"))
    );
    println!();
    print!("{}", table(&m.summary.parameters));
    println!("wrote {}", m.dir.display());
}
