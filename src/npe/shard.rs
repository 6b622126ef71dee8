//! Simulations spread over many machines (a Slurm job array, a Kubernetes Indexed Job): shard
//! i of K of an N-simulation run holds rows ⌊(i−1)·N/K⌋ … ⌊i·N/K⌋ − 1 of the one-machine run,
//! and row j is always drawn from its own stream, number
//! [`SIMULATION_STREAM`](super::SIMULATION_STREAM) plus j, as [`simulate`](super::simulate)
//! does. So the K shards concatenated in shard order
//! equal, row for row, one N-simulation run with the same seed, whatever K and however the
//! shards were scheduled.
//!
//! A shard is three files named after it ([`Shard::file_stem`]): `shard-03-of-16.theta.csv`,
//! `shard-03-of-16.x.csv` and the manifest `shard-03-of-16.json` ([`ShardManifest`]: task,
//! seed, N, K, rows), written last so that a shard without one did not finish.

use super::NpeError;
use std::ops::Range;

/// The `format` field of a shard manifest.
pub const SHARD_FORMAT: &str = "flowpost-npe-shard";
/// The manifest version this build writes and reads.
pub const SHARD_VERSION: u32 = 1;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Shard `index` of `count`; errors unless 1 ≤ index ≤ count.
    pub fn new(index: usize, count: usize) -> Result<Self, NpeError> {
        if count == 0 || index == 0 || index > count {
            return Err(NpeError::Settings {
                field: "shard",
                reason: format!(
                    "shard {index} of {count}: shards are numbered 1 to K (K ≥ 1); with a 0-based array index (Kubernetes' JOB_COMPLETION_INDEX) pass index + 1"
                ),
            });
        }
        Ok(Shard { index, count })
    }

    /// Parses `i/K`, e.g. `3/16`.
    ///
    /// ```
    /// use flowpost::npe::Shard;
    /// let s = Shard::parse("3/16").unwrap();
    /// assert_eq!((s.index, s.count), (3, 16));
    /// assert_eq!(s.file_stem(), "shard-03-of-16");
    /// assert!(Shard::parse("0/4").is_err() && Shard::parse("5/4").is_err() && Shard::parse("3").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, NpeError> {
        let bad = || NpeError::Settings {
            field: "shard",
            reason: format!("expected i/K with 1 ≤ i ≤ K (e.g. 3/16), got `{s}`"),
        };
        let (i, k) = s.split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse().map_err(|_| bad())?;
        let k = k.trim().parse().map_err(|_| bad())?;
        Shard::new(i, k)
    }

    /// The rows of an `n`-simulation run this shard holds: sizes differ by at most one.
    ///
    /// ```
    /// use flowpost::npe::Shard;
    /// let rows: Vec<_> = (1..=3).map(|i| Shard::new(i, 3).unwrap().rows(10)).collect();
    /// assert_eq!(rows, vec![0..3, 3..6, 6..10]);
    /// ```
    pub fn rows(&self, n: usize) -> Range<usize> {
        let at = |i: usize| (i as u128 * n as u128 / self.count as u128) as usize;
        at(self.index - 1)..at(self.index)
    }

    /// `shard-I-of-K` with I zero-padded to K's width, so that names sort in shard order.
    pub fn file_stem(&self) -> String {
        let width = self.count.to_string().len();
        format!("shard-{:0width$}-of-{}", self.index, self.count)
    }
}

/// What a shard is part of, written beside its tables as `STEM.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardManifest {
    /// [`SHARD_FORMAT`].
    pub format: String,
    /// [`SHARD_VERSION`].
    pub version: u32,
    /// The simulator (a built-in task's name).
    pub task: String,
    /// Simulations of the whole run (all shards).
    pub num_simulations: usize,
    /// Seed of the whole run.
    pub seed: u64,
    /// This shard's number (1-based).
    pub shard: usize,
    /// Number of shards.
    pub num_shards: usize,
    /// The first row of the whole run this shard holds (0-based).
    pub first_row: usize,
    /// Rows in this shard.
    pub num_rows: usize,
}

impl ShardManifest {
    /// The manifest of `shard` of an `n`-simulation run of `task` with `seed`.
    pub fn new(task: &str, n: usize, seed: u64, shard: Shard) -> Self {
        let rows = shard.rows(n);
        ShardManifest {
            format: SHARD_FORMAT.into(),
            version: SHARD_VERSION,
            task: task.into(),
            num_simulations: n,
            seed,
            shard: shard.index,
            num_shards: shard.count,
            first_row: rows.start,
            num_rows: rows.len(),
        }
    }

    /// Parses a manifest; `origin` names the file in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, NpeError> {
        let fail = |reason: String| NpeError::Shard {
            path: origin.to_string(),
            reason,
        };
        let m: ShardManifest = serde_json::from_str(text)
            .map_err(|e| fail(format!("not a flowpost shard manifest ({e})")))?;
        if m.format != SHARD_FORMAT || m.version != SHARD_VERSION {
            return Err(fail(format!(
                "format `{}` version {}, expected `{SHARD_FORMAT}` version {SHARD_VERSION}",
                m.format, m.version
            )));
        }
        let shard = Shard::new(m.shard, m.num_shards).map_err(|e| fail(e.to_string()))?;
        if shard.rows(m.num_simulations) != (m.first_row..m.first_row + m.num_rows) {
            return Err(fail(format!(
                "rows {}..{} are not shard {} of {} of {} simulations",
                m.first_row,
                m.first_row + m.num_rows,
                m.shard,
                m.num_shards,
                m.num_simulations
            )));
        }
        Ok(m)
    }

    /// The shard it describes.
    pub fn shard(&self) -> Shard {
        Shard {
            index: self.shard,
            count: self.num_shards,
        }
    }

    /// Whether `other` belongs to the same run (task, seed, simulations, shard count).
    pub fn same_run(&self, other: &ShardManifest) -> bool {
        (&self.task, self.seed, self.num_simulations, self.num_shards)
            == (
                &other.task,
                other.seed,
                other.num_simulations,
                other.num_shards,
            )
    }

    /// `task two_moons, seed 1, 10000 simulations in 16 shards`.
    pub fn describe_run(&self) -> String {
        format!(
            "task {}, seed {}, {} simulations in {} shards",
            self.task, self.seed, self.num_simulations, self.num_shards
        )
    }
}

/// Column names of a task's tables, as sbibm labels them: `parameter_1…`, `data_1…`.
pub fn task_labels(theta_dim: usize, x_dim: usize) -> (Vec<String>, Vec<String>) {
    (
        (1..=theta_dim).map(|i| format!("parameter_{i}")).collect(),
        (1..=x_dim).map(|i| format!("data_{i}")).collect(),
    )
}
