//! The store's groups and arrays through `zarrs`: one array per variable and statistic, dims
//! (chain, draw, …) in `dimension_names`, one chunk per chain, and the root group's inline
//! consolidated metadata (what zarr-python writes and xarray reads first). Each node is encoded
//! into a `zarrs` memory store and then written out key by key as files (zarr's file system
//! layout: key `posterior/theta/c/0/0/0` is that path), one node at a time so that at most one
//! array is held twice: `zarrs`'s own file system store syncs every file to disk, which made a
//! store 10× slower to write than the CSVs (the run folder is not synced file by file either).

use super::StoreOptions;
use super::variables::{Variable, variables};
use crate::{ChainDraws, DrawStats, Draws};
use serde_json::{Map, Value, json};
use std::path::Path;
use std::sync::Arc;
use zarrs::array::builder::ArrayBuilderFillValue;
use zarrs::array::{Array, ArrayBuilder, ArrayMetadataOptions, DataType, Element, data_type};
use zarrs::group::GroupBuilder;
use zarrs::metadata::v3::AdditionalFieldV3;
use zarrs::storage::store::MemoryStore;
use zarrs::storage::{ListableStorageTraits, ReadableStorageTraits};

type Store = Arc<MemoryStore>;

/// The store being written, and every node's metadata for the consolidated copy.
struct Writer<'a> {
    dir: &'a Path,
    nodes: Map<String, Value>,
    chains: Vec<i64>,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Writes the whole hierarchy into the (new, empty) folder `dir`.
pub(super) fn write_tree(dir: &Path, draws: &Draws, options: &StoreOptions) -> Result<(), String> {
    let chains = (0..draws.num_chains())
        .map(|c| (options.first_chain + c) as i64)
        .collect();
    let mut w = Writer {
        dir,
        nodes: Map::new(),
        chains,
    };
    let vars = variables(&draws.param_names);
    for v in &vars {
        if matches!(v.name.as_str(), "chain" | "draw") || v.name.contains('/') {
            return Err(format!(
                "parameter `{}` cannot be an ArviZ variable (`chain` and `draw` are its coordinates; `/` separates zarr groups)",
                v.name
            ));
        }
    }
    w.group("posterior", draws, &vars, post)?;
    w.stats_group("sample_stats", draws, post)?;
    let p = draws.num_params();
    let has_warmup = options.warmup
        && draws
            .chains
            .first()
            .is_some_and(|c| !c.warmup_stats.is_empty())
        && draws.chains.iter().all(|c| {
            c.warmup_stats.len() == draws.chains[0].warmup_stats.len()
                && c.warmup_values.len() == c.warmup_stats.len() * p
        });
    if has_warmup {
        w.group("warmup_posterior", draws, &vars, warm)?;
        w.stats_group("warmup_sample_stats", draws, warm)?;
    }
    let mut root = GroupBuilder::new();
    root.attributes(options.attributes.clone());
    let consolidated = json!({"kind": "inline", "metadata": Value::Object(w.nodes)});
    root.additional_fields(
        [(
            "consolidated_metadata".to_string(),
            AdditionalFieldV3::new(consolidated, false),
        )]
        .into(),
    );
    let store: Store = Arc::new(MemoryStore::new());
    let root = root.build(store.clone(), "/").map_err(err)?;
    root.store_metadata().map_err(err)?;
    persist(&store, dir)
}

/// Writes every key of the memory store as a file under `dir`.
fn persist(store: &MemoryStore, dir: &Path) -> Result<(), String> {
    for key in store.list().map_err(err)? {
        let bytes = store
            .get(&key)
            .map_err(err)?
            .ok_or_else(|| format!("{key} vanished from the memory store"))?;
        let path = dir.join(key.as_str());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &bytes[..]).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// A float statistic of a draw.
type FloatStat = fn(&DrawStats) -> f64;

/// An integer statistic of a draw.
type IntStat = fn(&DrawStats) -> u64;

/// (values, stats) of one chain: the sampling draws or the warmup draws.
type Part = fn(&ChainDraws) -> (&[f64], &[DrawStats]);

fn post(c: &ChainDraws) -> (&[f64], &[DrawStats]) {
    (&c.values, &c.stats)
}

fn warm(c: &ChainDraws) -> (&[f64], &[DrawStats]) {
    (&c.warmup_values, &c.warmup_stats)
}

impl Writer<'_> {
    /// A group holding the variables' draws, with its `chain`, `draw` and `*_dim_k` coordinates.
    fn group(
        &mut self,
        name: &str,
        draws: &Draws,
        vars: &[Variable],
        part: Part,
    ) -> Result<(), String> {
        let num_draws = self.open_group(name, draws, part)?;
        let p = draws.num_params();
        for v in vars {
            let mut dims = vec!["chain".to_string(), "draw".to_string()];
            dims.extend(v.dims());
            for (dim, &n) in v.dims().iter().zip(&v.shape) {
                let coords: Vec<i64> = (0..n as i64).collect();
                self.array(
                    &format!("{name}/{dim}"),
                    std::slice::from_ref(dim),
                    &[n],
                    &[&coords],
                )?;
            }
            let mut shape = vec![self.chains.len(), num_draws];
            shape.extend(&v.shape);
            let chunks: Vec<Vec<f64>> = draws
                .chains
                .iter()
                .map(|c| {
                    let values = part(c).0;
                    let mut buf = Vec::with_capacity(num_draws * v.columns.len());
                    for d in 0..num_draws {
                        buf.extend(v.columns.iter().map(|&col| values[d * p + col]));
                    }
                    buf
                })
                .collect();
            let chunks: Vec<&[f64]> = chunks.iter().map(Vec::as_slice).collect();
            self.array(&format!("{name}/{}", v.name), &dims, &shape, &chunks)?;
        }
        Ok(())
    }

    /// A group of sampler statistics under ArviZ's names.
    fn stats_group(&mut self, name: &str, draws: &Draws, part: Part) -> Result<(), String> {
        let num_draws = self.open_group(name, draws, part)?;
        let dims = ["chain".to_string(), "draw".to_string()];
        let shape = [self.chains.len(), num_draws];
        let per_chain = |f: FloatStat| -> Vec<Vec<f64>> {
            draws
                .chains
                .iter()
                .map(|c| part(c).1.iter().map(f).collect())
                .collect()
        };
        let floats: [(&str, FloatStat); 4] = [
            ("lp", |s| s.lp),
            ("acceptance_rate", |s| s.accept_stat),
            ("step_size", |s| s.step_size),
            ("energy", |s| s.energy),
        ];
        for (stat, f) in floats {
            let data = per_chain(f);
            let data: Vec<&[f64]> = data.iter().map(Vec::as_slice).collect();
            self.array(&format!("{name}/{stat}"), &dims, &shape, &data)?;
        }
        let ints: [(&str, IntStat); 2] = [
            ("tree_depth", |s| s.tree_depth),
            ("n_steps", |s| s.n_leapfrog),
        ];
        for (stat, f) in ints {
            let data: Vec<Vec<i64>> = draws
                .chains
                .iter()
                .map(|c| part(c).1.iter().map(|s| f(s) as i64).collect())
                .collect();
            let data: Vec<&[i64]> = data.iter().map(Vec::as_slice).collect();
            self.array(&format!("{name}/{stat}"), &dims, &shape, &data)?;
        }
        let diverging: Vec<Vec<bool>> = draws
            .chains
            .iter()
            .map(|c| part(c).1.iter().map(|s| s.divergent).collect())
            .collect();
        let diverging: Vec<&[bool]> = diverging.iter().map(Vec::as_slice).collect();
        self.array(&format!("{name}/diverging"), &dims, &shape, &diverging)
    }

    /// Writes group `name` with its `chain` and `draw` coordinates; returns its draws per chain.
    fn open_group(&mut self, name: &str, draws: &Draws, part: Part) -> Result<usize, String> {
        let num_draws = draws.chains.first().map_or(0, |c| part(c).1.len());
        let mut attrs = Map::new();
        attrs.insert("creation_library".into(), json!("flowpost"));
        attrs.insert(
            "creation_library_version".into(),
            json!(env!("CARGO_PKG_VERSION")),
        );
        attrs.insert("creation_library_language".into(), json!("Rust"));
        attrs.insert("sample_dims".into(), json!(["chain", "draw"]));
        let mut group = GroupBuilder::new();
        group.attributes(attrs);
        let store: Store = Arc::new(MemoryStore::new());
        let group = group
            .build(store.clone(), &format!("/{name}"))
            .map_err(err)?;
        group.store_metadata().map_err(err)?;
        persist(&store, self.dir)?;
        let metadata = serde_json::to_value(group.metadata()).map_err(err)?;
        self.nodes.insert(name.to_string(), metadata);
        let chains = self.chains.clone();
        self.array(
            &format!("{name}/chain"),
            &["chain".into()],
            &[chains.len()],
            &[&chains],
        )?;
        let draw: Vec<i64> = (0..num_draws as i64).collect();
        self.array(
            &format!("{name}/draw"),
            &["draw".into()],
            &[num_draws],
            &[&draw],
        )?;
        Ok(num_draws)
    }

    /// An array at `path` of `shape` with dimension names `dims`, written from `chunks`: one
    /// per chain along the first axis (or the whole array when there is one chunk).
    fn array<T: Element + Fill>(
        &mut self,
        path: &str,
        dims: &[String],
        shape: &[usize],
        chunks: &[&[T]],
    ) -> Result<(), String> {
        let shape: Vec<u64> = shape.iter().map(|&n| n as u64).collect();
        let mut chunk = shape.clone();
        if chunks.len() > 1 {
            chunk[0] = 1;
        }
        // A zarr chunk has no zero-length side; an empty array has no chunks to write.
        let chunk: Vec<u64> = chunk.iter().map(|&n| n.max(1)).collect();
        let store: Store = Arc::new(MemoryStore::new());
        let array: Array<MemoryStore> =
            ArrayBuilder::new(shape.clone(), chunk, T::data_type(), T::fill())
                .dimension_names(Some(dims.to_vec()))
                .build(store.clone(), &format!("/{path}"))
                .map_err(err)?;
        // Without zarrs's `_zarrs` attribute, which xarray would show on every variable.
        let md_options = ArrayMetadataOptions::default().with_include_zarrs_metadata(false);
        array.store_metadata_opt(&md_options).map_err(err)?;
        if shape.iter().all(|&n| n > 0) {
            for (c, data) in chunks.iter().enumerate() {
                let mut at = vec![0u64; shape.len()];
                at[0] = c as u64;
                array.store_chunk(&at, *data).map_err(err)?;
            }
        }
        persist(&store, self.dir)?;
        let metadata = serde_json::to_value(array.metadata_opt(&md_options)).map_err(err)?;
        self.nodes.insert(path.to_string(), metadata);
        Ok(())
    }
}

/// The zarr data type and fill value of an element type.
trait Fill: Sized {
    const FILL: Self;
    fn data_type() -> DataType;
    fn fill() -> ArrayBuilderFillValue;
}

impl Fill for f64 {
    const FILL: f64 = f64::NAN;
    fn data_type() -> DataType {
        data_type::float64()
    }
    fn fill() -> ArrayBuilderFillValue {
        zarrs::array::data_type::api::FillValue::from(Self::FILL).into()
    }
}

impl Fill for i64 {
    const FILL: i64 = 0;
    fn data_type() -> DataType {
        data_type::int64()
    }
    fn fill() -> ArrayBuilderFillValue {
        zarrs::array::data_type::api::FillValue::from(Self::FILL).into()
    }
}

impl Fill for bool {
    const FILL: bool = false;
    fn data_type() -> DataType {
        data_type::bool()
    }
    fn fill() -> ArrayBuilderFillValue {
        zarrs::array::data_type::api::FillValue::from(Self::FILL).into()
    }
}
