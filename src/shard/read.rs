//! Reading shard folders and checking that they are one run: the same identity, every chain
//! once.

use super::{ChainRange, MergeError, RunIdentity};
use crate::report::SummaryFile;
use std::path::{Path, PathBuf};

/// One shard folder as read by [`merge_shards`](super::merge_shards).
#[derive(Debug, Clone)]
pub struct ShardInfo {
    /// The folder.
    pub dir: PathBuf,
    /// Its chains.
    pub chain_ids: ChainRange,
    /// What run it belongs to.
    pub identity: RunIdentity,
    /// Its summary.json.
    pub summary: SummaryFile,
}

/// Reads `dir/summary.json` and checks that it describes a shard: chain numbers and identity,
/// with a model hash.
pub(super) fn read_shard(dir: &Path) -> Result<ShardInfo, MergeError> {
    let bad = |reason: String| MergeError::Unreadable {
        dir: dir.to_path_buf(),
        reason,
    };
    if !dir.is_dir() {
        return Err(bad(if dir.exists() {
            "is not a folder (give the shards' output folders)".into()
        } else {
            "no such folder".into()
        }));
    }
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        bad(if e.kind() == std::io::ErrorKind::NotFound {
            "has no summary.json: not a flowpost run folder, or its run did not finish".into()
        } else {
            format!("summary.json: {e}")
        })
    })?;
    let summary = SummaryFile::from_json(&text, &path).map_err(|e| bad(e.to_string()))?;
    let rerun = "rerun the shard with `flowpost sample ... --chain-ids A..B` of this version";
    let Some(chain_ids) = summary.run.chain_ids else {
        return Err(bad(format!(
            "summary.json does not say which chains the run holds (written by `flowpost diagnose` or an older flowpost); {rerun}"
        )));
    };
    let Some(identity) = summary.run.identity.clone() else {
        return Err(bad(format!(
            "summary.json does not record the run's identity (model, flow, settings); {rerun}"
        )));
    };
    if identity.model_hash.is_none() {
        return Err(bad(
            "its run did not record a model hash (a library run without OutputOptions::model_hash), so it cannot be checked against the other shards".into(),
        ));
    }
    if chain_ids.len() != summary.run.num_chains {
        return Err(bad(format!(
            "summary.json names chains {chain_ids} but holds {} chains",
            summary.run.num_chains
        )));
    }
    Ok(ShardInfo {
        dir: dir.to_path_buf(),
        chain_ids,
        identity,
        summary,
    })
}

/// The index of the shard whose identity most shards share (the earliest on ties), after
/// checking that every shard has it; the error names the first shard that differs.
pub(super) fn check_same_run(shards: &[ShardInfo]) -> Result<usize, MergeError> {
    let agree = |a: &ShardInfo, b: &ShardInfo| a.identity.difference(&b.identity).is_none();
    let reference = (0..shards.len())
        .max_by_key(|&i| {
            let votes = shards.iter().filter(|s| agree(&shards[i], s)).count();
            (votes, std::cmp::Reverse(i))
        })
        .expect("at least one shard");
    let r = &shards[reference];
    for s in shards {
        if let Some(difference) = r.identity.difference(&s.identity) {
            return Err(MergeError::NotSameRun {
                dir: s.dir.clone(),
                reference: r.dir.clone(),
                difference,
            });
        }
    }
    Ok(reference)
}

/// Checks that the shards, sorted by first chain, hold chains `1..=N` once each (N: `expected`,
/// else the largest chain number); returns that range.
pub(super) fn check_coverage(
    shards: &[ShardInfo],
    expected: Option<usize>,
) -> Result<ChainRange, MergeError> {
    let canonical = |d: &Path| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf());
    for (i, s) in shards.iter().enumerate() {
        for earlier in &shards[..i] {
            let overlap = s.chain_ids.first.max(earlier.chain_ids.first)
                ..=s.chain_ids.last.min(earlier.chain_ids.last);
            if let Some(chain) = overlap.clone().next() {
                return Err(MergeError::DuplicateChain {
                    dir: s.dir.clone(),
                    other: earlier.dir.clone(),
                    chain,
                    same_folder: canonical(&s.dir) == canonical(&earlier.dir),
                });
            }
        }
    }
    let last = shards.iter().map(|s| s.chain_ids.last).max().unwrap_or(0);
    let total = expected.unwrap_or(last);
    if let Some(s) = shards.iter().find(|s| s.chain_ids.last > total) {
        return Err(MergeError::Unreadable {
            dir: s.dir.clone(),
            reason: format!(
                "holds chains {}, beyond the run's {total} chains",
                s.chain_ids
            ),
        });
    }
    let held = |d: &ShardInfo| format!("{} holds {}", d.dir.display(), d.chain_ids);
    let mut next = 1;
    for (i, s) in shards.iter().enumerate() {
        if s.chain_ids.first > next {
            let missing = ChainRange::new(next, s.chain_ids.first - 1).expect("non-empty gap");
            let detail = match i {
                0 => format!(
                    "the first shard, {}, starts at chain {}",
                    s.dir.display(),
                    s.chain_ids.first
                ),
                _ => format!(
                    "no shard given holds them (shard {}, shard {})",
                    held(&shards[i - 1]),
                    held(s)
                ),
            };
            return Err(MergeError::MissingChains {
                missing: missing.to_string(),
                detail,
            });
        }
        next = s.chain_ids.last + 1;
    }
    if next <= total {
        let missing = ChainRange::new(next, total).expect("non-empty gap");
        let after = shards.last().map(held).unwrap_or_default();
        return Err(MergeError::MissingChains {
            missing: missing.to_string(),
            detail: format!("the run has {total} chains, and the last shard, {after}"),
        });
    }
    Ok(ChainRange::of_run(0, total))
}
