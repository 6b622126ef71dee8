//! The training tables of `npe train`: one (θ, x) pair, several pairs (`--theta a --x a_x
//! --theta b --x b_x`), or a folder of shards (`--shards DIR`), concatenated in order with the
//! rows per shard reported, and every row traceable to its file for error messages.

use anyhow::{Context, Result, bail};
use clap::Args;
use flowpost::npe::{self, ShardFiles, Simulations, Table};
use std::path::{Path, PathBuf};

/// The simulation tables a training command reads (`npe train`, `nle train`).
#[derive(Args)]
pub(crate) struct TableArgs {
    /// θ table (CSV, header row). Repeat `--theta A --x A_X --theta B --x B_X` for tables
    /// simulated in parts: they are concatenated in the order given.
    #[arg(long, required_unless_present = "shards")]
    theta: Vec<PathBuf>,
    /// x table (CSV, header row), one row per θ row; once per `--theta`.
    #[arg(long, required_unless_present = "shards")]
    x: Vec<PathBuf>,
    /// A folder of shards (`NAME.theta.csv` with `NAME.x.csv`, as `npe simulate --shard`
    /// writes): checked to agree (columns; for flowpost's shards one run, none missing) and
    /// concatenated in shard order.
    #[arg(long, conflicts_with_all = ["theta", "x"])]
    shards: Option<PathBuf>,
}

impl TableArgs {
    /// The tables ([`read_input`]) and the simulations they pair up.
    pub(crate) fn read(&self) -> Result<(Input, Simulations)> {
        let input = read_input(&self.theta, &self.x, self.shards.as_deref())?;
        let sims = Simulations::from_tables(&input.theta, &input.x).with_context(|| {
            let s = &input.shards[0];
            format!("pairing {} with {}", s.theta.display(), s.x.display())
        })?;
        Ok((input, sims))
    }
}

/// The concatenated tables and where their rows came from.
pub(crate) struct Input {
    /// All θ rows.
    pub theta: Table,
    /// All x rows.
    pub x: Table,
    /// The shards, in order, and their row counts.
    pub shards: Vec<ShardFiles>,
    pub num_rows: Vec<usize>,
}

impl Input {
    /// `FILE: row R` for row `i` (0-based) of the concatenation.
    pub fn row(&self, i: usize) -> String {
        let mut start = 0;
        for (s, n) in self.shards.iter().zip(&self.num_rows) {
            if i < start + n {
                return format!("{}: row {}", s.theta.display(), i - start + 1);
            }
            start += n;
        }
        format!("row {}", i + 1)
    }

    /// What the training report records about the data.
    pub fn describe(&self) -> serde_json::Value {
        let shards: Vec<serde_json::Value> = self
            .shards
            .iter()
            .zip(&self.num_rows)
            .map(|(s, n)| {
                serde_json::json!({
                    "theta": s.theta.display().to_string(),
                    "x": s.x.display().to_string(),
                    "num_rows": n,
                })
            })
            .collect();
        serde_json::json!({ "shards": shards, "num_rows": self.num_rows.iter().sum::<usize>() })
    }
}

/// Reads `--shards DIR` or the `--theta`/`--x` pairs.
pub(crate) fn read_input(theta: &[PathBuf], x: &[PathBuf], dir: Option<&Path>) -> Result<Input> {
    let shards = match dir {
        Some(dir) => npe::find_shards(dir)?,
        None => {
            if theta.is_empty() || theta.len() != x.len() {
                bail!(
                    "give --shards DIR, or --theta and --x once per table pair (got {} --theta and {} --x)",
                    theta.len(),
                    x.len()
                );
            }
            theta
                .iter()
                .zip(x)
                .map(|(t, x)| ShardFiles::pair(t, x))
                .collect()
        }
    };
    let tables = npe::read_shards(&shards)?;
    if shards.len() > 1 {
        report(&shards, &tables.num_rows, dir);
    }
    Ok(Input {
        theta: tables.theta,
        x: tables.x,
        shards,
        num_rows: tables.num_rows,
    })
}

/// Rows per shard on the terminal.
fn report(shards: &[ShardFiles], num_rows: &[usize], dir: Option<&Path>) {
    let total: usize = num_rows.iter().sum();
    let from = dir.map_or(String::new(), |d| format!(" from {}", d.display()));
    eprintln!("read {} shards{from}: {total} rows in all", shards.len());
    for (s, n) in shards.iter().zip(num_rows) {
        let name = match dir {
            Some(_) => s
                .theta
                .file_name()
                .map_or(s.theta.display().to_string(), |f| {
                    f.to_string_lossy().into_owned()
                }),
            None => s.theta.display().to_string(),
        };
        eprintln!("  {name}: {n} rows");
    }
}
