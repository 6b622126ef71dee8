//! Reading sharded simulations back: the shards in a folder ([`find_shards`]) or given as
//! (θ, x) file pairs, checked to agree (same columns; for flowpost's own shards the same run
//! and every shard present exactly once) and concatenated in shard order ([`read_shards`]).

use super::shard::ShardManifest;
use super::{NpeError, Table, read_table};
use std::path::{Path, PathBuf};

/// One shard's files.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardFiles {
    /// The θ table.
    pub theta: PathBuf,
    /// The x table.
    pub x: PathBuf,
    /// The manifest, for shards written by `flowpost npe simulate`.
    pub manifest: Option<ShardManifest>,
}

impl ShardFiles {
    /// A (θ, x) pair without a manifest.
    pub fn pair(theta: impl Into<PathBuf>, x: impl Into<PathBuf>) -> Self {
        ShardFiles {
            theta: theta.into(),
            x: x.into(),
            manifest: None,
        }
    }
}

/// Concatenated shards.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardedTables {
    /// All θ rows, shard after shard.
    pub theta: Table,
    /// All x rows, in the same order.
    pub x: Table,
    /// Rows per shard.
    pub num_rows: Vec<usize>,
}

fn shard_err(path: &Path, reason: String) -> NpeError {
    NpeError::Shard {
        path: path.display().to_string(),
        reason,
    }
}

/// The shards in `dir`: every `NAME.theta.csv` (or `theta.csv`) with its `NAME.x.csv`, and the
/// manifest `NAME.json` when flowpost wrote them. With manifests, the shards must all belong
/// to one run, each of its K shards present once, and come in shard order; without, they are
/// ordered by name (numbers in names compared as numbers, so `part-2` precedes `part-10`).
/// Hidden files (a writer's temporary files) are skipped.
pub fn find_shards(dir: &Path) -> Result<Vec<ShardFiles>, NpeError> {
    let io = |source| NpeError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let stem_of = |name: &str, suffix: &str| {
        if name == suffix {
            Some(String::new())
        } else {
            name.strip_suffix(&format!(".{suffix}")).map(str::to_string)
        }
    };
    let file = |stem: &str, suffix: &str| {
        dir.join(if stem.is_empty() {
            suffix.to_string()
        } else {
            format!("{stem}.{suffix}")
        })
    };
    let mut shards: Vec<(String, ShardFiles)> = Vec::new();
    for name in &names {
        if let Some(stem) = stem_of(name, "x.csv")
            && !names
                .iter()
                .any(|n| stem_of(n, "theta.csv").as_ref() == Some(&stem))
        {
            return Err(shard_err(
                &dir.join(name),
                format!(
                    "no θ table {} beside it",
                    file(&stem, "theta.csv").display()
                ),
            ));
        }
        let Some(stem) = stem_of(name, "theta.csv") else {
            continue;
        };
        let x = file(&stem, "x.csv");
        if !x.is_file() {
            return Err(shard_err(
                &dir.join(name),
                format!("no x table {} beside it", x.display()),
            ));
        }
        let manifest_path = file(&stem, "json");
        let manifest = match std::fs::read_to_string(&manifest_path) {
            Ok(text) => Some(ShardManifest::from_json(
                &text,
                &manifest_path.display().to_string(),
            )?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(NpeError::Io {
                    path: manifest_path.display().to_string(),
                    source,
                });
            }
        };
        let files = ShardFiles {
            theta: dir.join(name),
            x,
            manifest,
        };
        shards.push((stem, files));
    }
    if shards.is_empty() {
        return Err(shard_err(
            dir,
            "no shard tables here (NAME.theta.csv with NAME.x.csv, as `flowpost npe simulate` writes)".into(),
        ));
    }
    if shards.iter().any(|(_, s)| s.manifest.is_some()) {
        order_by_manifest(dir, &mut shards)?;
    } else {
        shards.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    }
    Ok(shards.into_iter().map(|(_, s)| s).collect())
}

/// Flowpost's shards: one run, every shard once, in shard order.
fn order_by_manifest(dir: &Path, shards: &mut [(String, ShardFiles)]) -> Result<(), NpeError> {
    if let Some((_, s)) = shards.iter().find(|(_, s)| s.manifest.is_none()) {
        return Err(shard_err(
            &s.theta,
            "has no manifest (NAME.json) while other shards here do: did its job finish? Rerun that shard, or move the file out".into(),
        ));
    }
    let manifest = |s: &ShardFiles| s.manifest.clone().expect("checked above");
    let first = manifest(&shards[0].1);
    for (_, s) in shards.iter() {
        let m = manifest(s);
        if !first.same_run(&m) {
            return Err(shard_err(
                &s.theta,
                format!(
                    "belongs to another run ({}) than {} ({}); keep one run's shards per folder",
                    m.describe_run(),
                    shards[0].1.theta.display(),
                    first.describe_run()
                ),
            ));
        }
    }
    shards.sort_by_key(|(_, s)| manifest(s).shard);
    for w in shards.windows(2) {
        if manifest(&w[0].1).shard == manifest(&w[1].1).shard {
            return Err(shard_err(
                &w[1].1.theta,
                format!(
                    "shard {} appears twice (also {})",
                    manifest(&w[1].1).shard,
                    w[0].1.theta.display()
                ),
            ));
        }
    }
    let k = first.num_shards;
    let missing: Vec<String> = (1..=k)
        .filter(|i| !shards.iter().any(|(_, s)| manifest(s).shard == *i))
        .map(|i| super::Shard { index: i, count: k }.file_stem())
        .collect();
    if !missing.is_empty() {
        return Err(shard_err(
            dir,
            format!(
                "{} of the {k} shards of this run ({}) are missing: {}",
                missing.len(),
                first.describe_run(),
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Name order with digit runs compared as numbers.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let b = s.as_bytes();
        for i in 1..=b.len() {
            if i == b.len() || b[i].is_ascii_digit() != b[start].is_ascii_digit() {
                out.push((b[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let ord = match (x, y) {
            ((true, p), (true, q)) => {
                let (p, q) = (p.trim_start_matches('0'), q.trim_start_matches('0'));
                p.len().cmp(&q.len()).then(p.cmp(q))
            }
            ((_, p), (_, q)) => p.cmp(q),
        };
        if ord.is_ne() {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then(a.cmp(b))
}

/// Reads the shards' tables and concatenates them in the order given. Every shard must have
/// the first shard's θ and x columns (same names, same order), θ and x the same number of rows,
/// and as many rows as its manifest says; an error names the file.
pub fn read_shards(shards: &[ShardFiles]) -> Result<ShardedTables, NpeError> {
    let Some(first) = shards.first() else {
        return Err(NpeError::Settings {
            field: "shards",
            reason: "no shards given".into(),
        });
    };
    let mut theta = read_table(&first.theta)?;
    let mut x = read_table(&first.x)?;
    theta.values.clear();
    x.values.clear();
    let mut num_rows = Vec::with_capacity(shards.len());
    for s in shards {
        let t = read_table(&s.theta)?;
        let xs = read_table(&s.x)?;
        for (table, all, path, first_path) in [
            (&t, &theta, &s.theta, &first.theta),
            (&xs, &x, &s.x, &first.x),
        ] {
            if table.header != all.header {
                return Err(shard_err(
                    path,
                    format!(
                        "columns `{}` differ from the first shard's `{}` ({}): every shard must have the same columns in the same order",
                        table.header.join(","),
                        all.header.join(","),
                        first_path.display()
                    ),
                ));
            }
        }
        if t.num_rows() != xs.num_rows() {
            return Err(shard_err(
                &s.x,
                format!(
                    "{} rows, but its θ table {} has {}: rows must pair up",
                    xs.num_rows(),
                    s.theta.display(),
                    t.num_rows()
                ),
            ));
        }
        if let Some(m) = &s.manifest
            && m.num_rows != t.num_rows()
        {
            return Err(shard_err(
                &s.theta,
                format!(
                    "{} rows, but its manifest says {} (a truncated or replaced file?)",
                    t.num_rows(),
                    m.num_rows
                ),
            ));
        }
        num_rows.push(t.num_rows());
        theta.values.extend_from_slice(&t.values);
        x.values.extend_from_slice(&xs.values);
    }
    Ok(ShardedTables { theta, x, num_rows })
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;

    #[test]
    fn numbers_in_names_sort_as_numbers() {
        let mut v = vec!["part-10", "part-2", "part-1", "a", "part-02"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["a", "part-1", "part-02", "part-2", "part-10"]);
    }
}
