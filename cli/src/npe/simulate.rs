//! `flowpost npe simulate TASK --num-simulations N [--shard i/K] --out DIR`: the θ and x tables
//! of a built-in task, whole or one shard of a run spread over many machines. The K shards of
//! a run concatenated in shard order equal the one-machine run with the same seed, row for row
//! (each row has its own random stream); `npe train --shards DIR` reads them back.
//!
//! Many jobs write into one folder at once, so the folder is not replaced whole (as a run
//! folder is): each file is written atomically under its shard's name, the manifest last. A
//! folder holding anything but shards, or shards of another run, is refused.

use anyhow::{Result, bail};
use clap::Args;
use flowpost::io::atomic::write_string_atomic;
use flowpost::npe::{self, Shard, ShardManifest};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(super) struct SimulateArgs {
    /// two_moons, gaussian_linear, gaussian_linear_uniform, slcp or bernoulli_glm.
    task: String,
    /// Simulations of the whole run (all shards together).
    #[arg(long)]
    num_simulations: usize,
    /// This job's shard, `i/K` with i from 1 to K (e.g. `--shard $SLURM_ARRAY_TASK_ID/16` with
    /// `--array=1-16`) [default: 1/1, the whole run].
    #[arg(long)]
    shard: Option<String>,
    /// Seed of the whole run (the same for every shard).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder shared by the shards: each writes `shard-I-of-K.theta.csv`, `.x.csv` and the
    /// manifest `.json` into it.
    #[arg(long)]
    out: PathBuf,
}

pub(super) fn run(a: SimulateArgs) -> Result<()> {
    let task = flowpost_models::sbibm::task(&a.task)?;
    if a.num_simulations == 0 {
        bail!("--num-simulations must be at least 1");
    }
    let shard = match &a.shard {
        None => Shard::new(1, 1)?,
        Some(s) => Shard::parse(s).map_err(|e| anyhow::anyhow!("--shard {s}: {e}"))?,
    };
    let manifest = ShardManifest::new(task.name(), a.num_simulations, a.seed, shard);
    check_shard_folder(&a.out, &manifest)?;
    let rows = shard.rows(a.num_simulations);
    let t0 = std::time::Instant::now();
    let sims = npe::simulate_rows(task.prior(), task.simulator(), rows.clone(), a.seed);
    let seconds = t0.elapsed().as_secs_f64();
    let (theta_labels, x_labels) = npe::task_labels(sims.theta_dim(), sims.x_dim());
    let stem = shard.file_stem();
    let theta: Vec<f64> = (0..sims.len())
        .flat_map(|i| sims.theta(i).to_vec())
        .collect();
    let x: Vec<f64> = (0..sims.len()).flat_map(|i| sims.x(i).to_vec()).collect();
    npe::write_table(
        &a.out.join(format!("{stem}.theta.csv")),
        &theta_labels,
        &theta,
    )?;
    npe::write_table(&a.out.join(format!("{stem}.x.csv")), &x_labels, &x)?;
    // The manifest last: a shard without one did not finish.
    write_string_atomic(
        &a.out.join(format!("{stem}.json")),
        &serde_json::to_string_pretty(&manifest)?,
    )?;
    eprintln!(
        "shard {} of {}: rows {}..{} ({} simulations, {seconds:.1} s) of {}; wrote {}.{{theta.csv,x.csv,json}}",
        shard.index,
        shard.count,
        rows.start + 1,
        rows.end,
        rows.len(),
        manifest.describe_run(),
        a.out.join(&stem).display()
    );
    Ok(())
}

/// Whether `name` is a file `npe simulate` writes: `shard-I-of-K.{theta.csv,x.csv,json}`.
fn is_shard_file(name: &str) -> bool {
    let Some(stem) = ["theta.csv", "x.csv", "json"]
        .iter()
        .find_map(|s| name.strip_suffix(&format!(".{s}")))
    else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    stem.strip_prefix("shard-")
        .and_then(|r| r.split_once("-of-"))
        .is_some_and(|(i, k)| digits(i) && digits(k))
}

/// Creates `dir` or checks that it holds only shards (of this run) and writers' temporary
/// files: shards of two runs in one folder would train as one table.
fn check_shard_folder(dir: &Path, ours: &ShardManifest) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!("--out {}: exists and is not a folder", dir.display());
    }
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("--out {}: {e}", dir.display()))?;
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(dir)?.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if !is_shard_file(&name) {
            foreign.push(name);
            continue;
        }
        if name.ends_with(".json") {
            let path = entry.path();
            let text = std::fs::read_to_string(&path)?;
            let theirs = ShardManifest::from_json(&text, &path.display().to_string())?;
            if !theirs.same_run(ours) {
                bail!(
                    "--out {}: holds {} of another run ({}), not of this one ({}); use a new folder per run",
                    dir.display(),
                    name,
                    theirs.describe_run(),
                    ours.describe_run()
                );
            }
        }
    }
    if !foreign.is_empty() {
        foreign.sort();
        foreign.truncate(5);
        bail!(
            "--out {}: holds files that are not simulation shards ({}); use a new or empty folder",
            dir.display(),
            foreign.join(", ")
        );
    }
    Ok(())
}
