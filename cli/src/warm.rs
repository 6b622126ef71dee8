//! `sample --warm-start DIR` and `sample --init-flow PATH`: reuse an earlier run.
//!
//! A warm start continues an earlier run of the *same* model and data: its flow (if it had
//! one), each chain's step size, metric and last draw (`adaptation.json`), with a short warmup.
//! An initial flow starts the variational fit from an earlier run's flow, for new data of the
//! same model: the fit runs, but from a flow that is already close.

use anyhow::bail;
use flowpost::io::adaptation_file::{self, Coordinates, StoredAdaptation};
use flowpost::io::flow_file::{self, LoadedFlow};
use flowpost::{LogDensity, Method};
use std::path::{Path, PathBuf};

/// What a warm start reuses.
pub struct Warm {
    /// The earlier run's adaptation.
    pub stored: StoredAdaptation,
    /// Its flow, when NUTS ran in a flow's latent space.
    pub flow: Option<LoadedFlow>,
}

/// Reads `DIR/adaptation.json` (and `DIR/flow.json` when the run had a flow) and checks they
/// belong to this model and to each other.
pub fn load_warm(
    dir: &Path,
    model_name: &str,
    model_hash: &str,
    model: &dyn LogDensity,
) -> anyhow::Result<Warm> {
    let file = dir.join(adaptation_file::FILE_NAME);
    if !file.is_file() {
        bail!(
            "--warm-start {}: no {} there; give the folder of an earlier `flowpost sample` run (the multimodal method writes none)",
            dir.display(),
            adaptation_file::FILE_NAME
        );
    }
    let stored = adaptation_file::load(&file)?;
    if stored.model_hash.as_deref() != Some(model_hash) {
        bail!(
            "--warm-start {}: that run sampled {} (another model, dimension or data than {model_name} here); a warm start continues the same posterior — for new data of the same model use --init-flow {}",
            dir.display(),
            stored.model,
            dir.display()
        );
    }
    let dim = stored.warm_start.chains[0].position.len();
    if dim != model.dim() {
        bail!(
            "--warm-start {}: positions of dimension {dim}, the model has {}",
            dir.display(),
            model.dim()
        );
    }
    let flow = match stored.coordinates {
        Coordinates::Unconstrained => None,
        Coordinates::FlowLatent => {
            let path = dir.join("flow.json");
            let bytes = std::fs::read(&path).map_err(|e| {
                anyhow::anyhow!(
                    "--warm-start {}: the run sampled through a flow, but {} cannot be read: {e}",
                    dir.display(),
                    path.display()
                )
            })?;
            if stored.flow_hash.as_deref() != Some(&flowpost::shard::sha256_hex(&bytes)) {
                bail!(
                    "--warm-start {}: flow.json is not the flow that run sampled through (its hash differs from adaptation.json's)",
                    dir.display()
                );
            }
            let loaded = flow_file::load(&path)?;
            check_flow(&loaded, &path, model_name, model)?;
            Some(loaded)
        }
    };
    Ok(Warm { stored, flow })
}

/// The method a warm start samples with: the earlier run's coordinates decide; a `--method`
/// that contradicts them is an error.
pub fn warm_method(warm: &Warm, asked: Option<Method>, dir: &Path) -> anyhow::Result<Method> {
    match (warm.stored.coordinates, asked) {
        (Coordinates::Unconstrained, None | Some(Method::Nuts)) => Ok(Method::Nuts),
        (Coordinates::FlowLatent, None) => Ok(Method::Auto),
        (Coordinates::FlowLatent, Some(m @ (Method::Auto | Method::NeuTra))) => Ok(m),
        (Coordinates::Unconstrained, Some(m)) => bail!(
            "--warm-start {} continues a plain NUTS run; --method {} would sample elsewhere (leave --method out)",
            dir.display(),
            m.name()
        ),
        (Coordinates::FlowLatent, Some(m)) => bail!(
            "--warm-start {} continues NUTS in that run's flow's latent space; --method {} cannot (leave --method out)",
            dir.display(),
            m.name()
        ),
    }
}

/// `--init-flow PATH`: a flow file, or a run folder holding one.
pub fn load_init_flow(
    path: &Path,
    model_name: &str,
    model: &dyn LogDensity,
) -> anyhow::Result<LoadedFlow> {
    let file: PathBuf = if path.is_dir() {
        path.join("flow.json")
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        bail!(
            "--init-flow {}: no flow file there (give an earlier run's folder or its flow.json)",
            path.display()
        );
    }
    let loaded = flow_file::load(&file)?;
    check_flow(&loaded, &file, model_name, model)?;
    Ok(loaded)
}

/// A flow must have the model's dimension and parameter names.
pub fn check_flow(
    loaded: &LoadedFlow,
    path: &Path,
    model_name: &str,
    model: &dyn LogDensity,
) -> anyhow::Result<()> {
    if loaded.flow.dim() != model.dim() || loaded.param_names != model.param_names() {
        bail!(
            "{}: this flow was trained for {} (dimension {}, parameters {}), not for {} (dimension {})",
            path.display(),
            loaded.model.as_deref().unwrap_or("another model"),
            loaded.flow.dim(),
            loaded.param_names.len(),
            model_name,
            model.dim()
        );
    }
    Ok(())
}
