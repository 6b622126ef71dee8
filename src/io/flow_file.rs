//! The trained-flow file: a versioned JSON document holding the layer structure, the flat
//! parameters (exact f64 round trip) and what the flow was trained for, so `sample --flow FILE`
//! can skip training and refuse a file that does not fit the model.
//!
//! ```json
//! {"format": "flowpost-flow", "version": 1, "dim": 10, "model": "funnel",
//!  "param_names": ["v", "x[1]", …], "spec": {"type": "chain", …},
//!  "base": {"type": "student_t", "dof": 10.0}, "params": [...],
//!  "vi": {"elbo": 10.28, "pareto_k": 0.33, "num_steps": 2600}}
//! ```

use crate::Error;
use crate::bijection::{Bijection, LayerSpec};
use crate::flow::Flow;
use std::path::Path;

/// The format tag.
pub const FORMAT: &str = "flowpost-flow";
/// The current version.
pub const VERSION: u32 = 1;

/// Fit summary stored with the flow.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredFit {
    /// Final ELBO estimate.
    pub elbo: f64,
    /// Pareto k-hat of the fit.
    pub pareto_k: f64,
    /// Optimization steps.
    pub num_steps: usize,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FlowDocument {
    format: String,
    version: u32,
    dim: usize,
    model: Option<String>,
    param_names: Vec<String>,
    spec: LayerSpec,
    base: crate::flow::Base,
    params: Vec<f64>,
    vi: Option<StoredFit>,
}

/// A flow read back from a file, with what it was trained for.
#[derive(Debug, Clone)]
pub struct LoadedFlow {
    /// The flow.
    pub flow: Flow,
    /// The model name it was trained on, if recorded.
    pub model: Option<String>,
    /// The model's reported parameter names.
    pub param_names: Vec<String>,
    /// The fit summary, if recorded.
    pub vi: Option<StoredFit>,
}

/// Writes `flow` to `path` (atomically: a reader never sees half a file).
///
/// ```
/// use flowpost::flow::{Flow, FlowSettings, GaussianFit};
/// use flowpost::io::flow_file::{load, save};
/// let flow = Flow::default_for(&GaussianFit::standard(2), &FlowSettings::default(), 1);
/// let path = std::env::temp_dir().join("flowpost-doc-flow.json");
/// save(&path, &flow, Some("demo"), &["a".into(), "b".into()], None).unwrap();
/// let back = load(&path).unwrap();
/// assert_eq!(back.flow.params(), flow.params());
/// assert_eq!(back.model.as_deref(), Some("demo"));
/// ```
pub fn save(
    path: &Path,
    flow: &Flow,
    model: Option<&str>,
    param_names: &[String],
    vi: Option<StoredFit>,
) -> Result<(), Error> {
    let doc = FlowDocument {
        format: FORMAT.into(),
        version: VERSION,
        dim: flow.dim(),
        model: model.map(str::to_string),
        param_names: param_names.to_vec(),
        spec: flow.spec(),
        base: flow.base(),
        params: flow.params().to_vec(),
        vi,
    };
    let text = serde_json::to_string(&doc).map_err(|e| file_err(path, e.to_string()))?;
    Ok(crate::io::atomic::write_string_atomic(path, &text)?)
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

/// Reads a flow file, checking format, version (before anything else), structure and
/// parameters.
pub fn load(path: &Path) -> Result<LoadedFlow, Error> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    from_json(&text, path)
}

/// [`load`] on the text of a flow file; `path` names it in errors.
///
/// ```
/// use flowpost::io::flow_file::from_json;
/// let e = from_json(r#"{"format": "flowpost-flow", "version": 7, "new_field": 1}"#, "f.json".as_ref());
/// assert!(e.unwrap_err().to_string().contains("version 7"));
/// ```
pub fn from_json(text: &str, path: &Path) -> Result<LoadedFlow, Error> {
    crate::io::versioned::check_header(text, path, FORMAT, VERSION, "flow")?;
    let doc: FlowDocument = serde_json::from_str(text).map_err(|e| {
        file_err(
            path,
            format!(
                "corrupt flow file (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let chain = doc
        .spec
        .build()
        .map_err(|e| file_err(path, e.to_string()))?
        .into_chain()
        .ok_or_else(|| file_err(path, "the top-level layer is not a chain"))?;
    if chain.dim() != doc.dim {
        return Err(file_err(
            path,
            format!(
                "the layers have dimension {}, the file says {}",
                chain.dim(),
                doc.dim
            ),
        ));
    }
    if doc.param_names.is_empty() {
        return Err(file_err(path, "no parameter names"));
    }
    let flow =
        Flow::with_base(*chain, doc.params, doc.base).map_err(|e| file_err(path, e.to_string()))?;
    Ok(LoadedFlow {
        flow,
        model: doc.model,
        param_names: doc.param_names,
        vi: doc.vi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that cannot be read is an `Io` error that keeps the operating system's cause; one
    /// with the wrong contents is a `File` error; both name the path.
    #[test]
    fn read_failures_keep_their_cause_and_name_the_file() {
        let missing = Path::new("/nonexistent/flow.json");
        let e = load(missing).expect_err("a missing file cannot load");
        assert!(
            matches!(&e, Error::Io { path, .. } if path == missing),
            "{e:?}"
        );
        let cause = std::error::Error::source(&e).expect("the io::Error is kept");
        assert!(cause.downcast_ref::<std::io::Error>().is_some());
        assert!(e.to_string().starts_with("/nonexistent/flow.json: "), "{e}");

        let e = from_json("{}", Path::new("f.json")).expect_err("not a flow file");
        assert!(matches!(&e, Error::File { .. }), "{e:?}");
        assert!(e.to_string().starts_with("f.json: "), "{e}");
    }
}
