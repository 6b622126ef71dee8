//! `adaptation.json`: what a run's NUTS warmup learned, per chain (step size, inverse mass
//! matrix diagonal, last draw), so `sample --warm-start DIR` can continue it. It names the
//! model and the flow it belongs to by hash, so a warm start on another model, or through
//! another flow, is refused rather than silently mis-scaled.
//!
//! ```json
//! {"format": "flowpost-adaptation", "version": 1, "model": "funnel",
//!  "model_hash": "…", "flow_hash": "…", "coordinates": "flow_latent", "metric": "diag",
//!  "target_accept": 0.95, "chains": [{"chain": 1, "step_size": 0.61, "inv_mass_diag": […], "position": […]}, …]}
//! ```

use crate::Error;
use crate::nuts::{ChainAdaptation, Metric, WarmStart};
use std::path::Path;

/// The format tag.
pub const FORMAT: &str = "flowpost-adaptation";
/// The current version.
pub const VERSION: u32 = 1;
/// The file's name in a run folder.
pub const FILE_NAME: &str = "adaptation.json";

/// The coordinates NUTS ran in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coordinates {
    /// The latent space of the run's flow (`flow.json` beside this file).
    FlowLatent,
    /// The model's unconstrained space (plain NUTS).
    Unconstrained,
}

/// The contents of `adaptation.json`.
///
/// ```
/// use flowpost::io::adaptation_file::{Coordinates, StoredAdaptation, load, save};
/// use flowpost::nuts::{ChainAdaptation, Metric, WarmStart};
/// let stored = StoredAdaptation {
///     model: "demo".into(),
///     model_hash: Some("abc".into()),
///     flow_hash: None,
///     coordinates: Coordinates::Unconstrained,
///     metric: Metric::Diag,
///     target_accept: 0.8,
///     warm_start: WarmStart { chains: vec![ChainAdaptation { chain: 1, step_size: 0.5, inv_mass_diag: vec![2.0], position: vec![0.3] }] },
/// };
/// let path = std::env::temp_dir().join("flowpost-doc-adaptation.json");
/// save(&path, &stored).unwrap();
/// assert_eq!(load(&path).unwrap(), stored);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAdaptation {
    /// The model's name.
    pub model: String,
    /// The model's hash (summary.json `run.identity.model_hash`), when known.
    pub model_hash: Option<String>,
    /// The SHA-256 of the run's `flow.json` (NUTS ran in its latent space), or `None`.
    pub flow_hash: Option<String>,
    /// The coordinates of the step sizes, metrics and positions.
    pub coordinates: Coordinates,
    /// The metric NUTS adapted (for a low-rank one only the diagonal is kept).
    pub metric: Metric,
    /// The target acceptance statistic the step size was adapted to.
    pub target_accept: f64,
    /// The chains' adaptations.
    pub warm_start: WarmStart,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Document {
    format: String,
    version: u32,
    model: String,
    model_hash: Option<String>,
    flow_hash: Option<String>,
    coordinates: Coordinates,
    metric: Metric,
    target_accept: f64,
    chains: Vec<ChainAdaptation>,
}

fn file_err(path: &Path, reason: impl Into<String>) -> Error {
    Error::File {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `stored` to `path` atomically.
pub fn save(path: &Path, stored: &StoredAdaptation) -> Result<(), Error> {
    let doc = Document {
        format: FORMAT.into(),
        version: VERSION,
        model: stored.model.clone(),
        model_hash: stored.model_hash.clone(),
        flow_hash: stored.flow_hash.clone(),
        coordinates: stored.coordinates,
        metric: stored.metric,
        target_accept: stored.target_accept,
        chains: stored.warm_start.chains.clone(),
    };
    let text = serde_json::to_string(&doc).map_err(|e| file_err(path, e.to_string()))?;
    Ok(crate::io::atomic::write_string_atomic(path, &text)?)
}

/// Reads `adaptation.json`, checking its format and version (before anything else) and its entries (finite, positive step
/// sizes and metrics; one dimension throughout).
pub fn load(path: &Path) -> Result<StoredAdaptation, Error> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    crate::io::versioned::check_header(&text, path, FORMAT, VERSION, "adaptation")?;
    let doc: Document = serde_json::from_str(&text).map_err(|e| {
        file_err(
            path,
            format!(
                "corrupt adaptation file (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let warm_start = WarmStart { chains: doc.chains };
    let dim = warm_start.chains.first().map_or(0, |c| c.position.len());
    warm_start
        .validate(dim)
        .map_err(|e| file_err(path, e.to_string()))?;
    Ok(StoredAdaptation {
        model: doc.model,
        model_hash: doc.model_hash,
        flow_hash: doc.flow_hash,
        coordinates: doc.coordinates,
        metric: doc.metric,
        target_accept: doc.target_accept,
        warm_start,
    })
}
