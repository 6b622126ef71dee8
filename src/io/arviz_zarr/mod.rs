//! A run's draws as a zarr v3 store in ArviZ 1.x's layout (an `xarray.DataTree`, as
//! `arviz.from_cmdstanpy` builds it), written with the `zarrs` crate:
//!
//! - root group: attributes `created_by`, `flowpost_version` and what the caller adds (model,
//!   method, seed, the flow's ELBO and k̂ …), and inline consolidated metadata;
//! - `posterior`: one float64 array per variable, dims `(chain, draw, NAME_dim_0, …)`
//!   (`theta[1]` … `theta[8]` become `theta` with `theta_dim_0` of length 8, 0-based);
//! - `sample_stats`: `lp`, `acceptance_rate`, `step_size`, `tree_depth`, `n_steps`,
//!   `diverging` (bool), `energy`;
//! - `warmup_posterior`, `warmup_sample_stats` when the warmup draws are asked for and held;
//! - in every group int64 coordinates `chain` (the chains' 0-based numbers in the whole run),
//!   `draw` and `NAME_dim_k`; every array's dims in its `dimension_names`, one chunk per chain.
//!
//! Python opens it with `xarray.open_datatree(path, engine="zarr")` (docs/outputs.md).
//! The store is written beside its destination and renamed into place, so a reader sees no
//! half store.

pub(crate) mod attributes;
mod variables;
mod write;

use crate::Draws;
use crate::io::atomic::OutputError;
use std::fs;
use std::path::Path;

/// The store's name in a run folder.
pub const STORE_NAME: &str = "draws.zarr";

/// What a store holds beside the draws.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// The whole run's 0-based number of the first chain (the `chain` coordinate starts there).
    pub first_chain: usize,
    /// Write `warmup_posterior` and `warmup_sample_stats` (when the draws hold warmup draws).
    pub warmup: bool,
    /// Attributes of the root group (beside `created_by` and `flowpost_version`).
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// Writes `draws` as an ArviZ zarr store at `path` ([module docs](self)). The store goes into
/// `.NAME.tmp-PID` beside `path` and is renamed into place; an earlier store at `path` is
/// replaced (a `path` that is something else than a zarr store is refused).
///
/// ```
/// use flowpost::io::arviz_zarr::{StoreOptions, write_arviz_zarr};
/// use flowpost::{ChainDraws, DrawStats, Draws};
/// let chain = ChainDraws {
///     values: vec![0.1, 1.0, 2.0, 0.2, 1.5, 2.5], // 2 draws of mu, theta[1], theta[2]
///     stats: vec![DrawStats::default(); 2],
///     ..Default::default()
/// };
/// let names = ["mu", "theta[1]", "theta[2]"].map(String::from).to_vec();
/// let draws = Draws::new(names, vec![chain]).unwrap();
/// let path = std::env::temp_dir().join(format!("flowpost-doc-{}.zarr", std::process::id()));
/// write_arviz_zarr(&path, &draws, &StoreOptions::default()).unwrap();
/// assert!(path.join("posterior/theta/zarr.json").exists());
/// # std::fs::remove_dir_all(&path).unwrap();
/// ```
pub fn write_arviz_zarr(
    path: &Path,
    draws: &Draws,
    options: &StoreOptions,
) -> Result<(), OutputError> {
    let fail = |reason: String| OutputError::Store {
        path: path.to_path_buf(),
        reason,
    };
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| OutputError::Io { path: p, source }
    };
    if path.exists() && !path.join("zarr.json").is_file() {
        return Err(fail("exists and is not a zarr store; not replaced".into()));
    }
    let name = path
        .file_name()
        .map_or("store".into(), |n| n.to_string_lossy().into_owned());
    let pid = std::process::id();
    let tmp = path.with_file_name(format!(".{name}.tmp-{pid}"));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let mut options = options.clone();
    let version = env!("CARGO_PKG_VERSION");
    let attrs = &mut options.attributes;
    attrs.insert("created_by".into(), format!("flowpost {version}").into());
    attrs.insert("flowpost_version".into(), version.into());
    if let Err(reason) = write::write_tree(&tmp, draws, &options) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(fail(reason));
    }
    let old = path.with_file_name(format!(".{name}.old-{pid}"));
    let had_old = path.exists();
    if had_old {
        fs::rename(path, &old).map_err(io(path))?;
    }
    if let Err(e) = fs::rename(&tmp, path) {
        if had_old {
            let _ = fs::rename(&old, path);
        }
        let _ = fs::remove_dir_all(&tmp);
        return Err(io(path)(e));
    }
    if had_old {
        fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}
