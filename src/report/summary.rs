//! The `summary.json` file: its layout ([`SummaryFile`]), its versioned header, and reading it
//! back — this version's layout and version 1's (before the `num_*` names), upgraded on read.

use crate::diagnostics::ParamSummary;
use std::path::Path;

/// `summary.json`'s `"format"`.
pub const SUMMARY_FORMAT: &str = "flowpost-summary";
/// The `summary.json` layout this build writes. Version 2 added the header and named the counts
/// `num_*` (`run.num_chains`, `run.num_draws_per_chain`, `run.num_divergent`,
/// `run.num_grad_evals`, `vi.num_steps`); version 1 files (no header) are still read.
pub const SUMMARY_VERSION: u32 = 2;

/// `summary.json`'s first two fields: `{"format": "flowpost-summary", "version": 2, ...}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SummaryHeader {
    /// Always [`SUMMARY_FORMAT`].
    pub format: String,
    /// The layout's version ([`SUMMARY_VERSION`] when written by this build).
    pub version: u32,
}

impl Default for SummaryHeader {
    /// This build's format and version.
    fn default() -> Self {
        SummaryHeader {
            format: SUMMARY_FORMAT.into(),
            version: SUMMARY_VERSION,
        }
    }
}

/// One warning of `summary.json`: what was found and what to do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WarningEntry {
    /// Short label (`divergences`, `R-hat`, `flow fit`, …).
    pub kind: String,
    /// What was found.
    pub message: String,
    /// One line of advice.
    pub advice: String,
}

impl From<&crate::diagnostics::DiagnosticWarning> for WarningEntry {
    fn from(w: &crate::diagnostics::DiagnosticWarning) -> Self {
        WarningEntry {
            kind: w.kind().to_string(),
            message: w.message(),
            advice: w.advice().to_string(),
        }
    }
}

/// The whole `summary.json`: `{"format": "flowpost-summary", "version": 2, "warnings": [...],
/// "parameters": [...], "run": {...}, "vi": {...} | null}`. Read one with
/// [`SummaryFile::from_json`], which also reads version 1.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SummaryFile {
    /// `"format"` and `"version"`.
    #[serde(flatten)]
    pub header: SummaryHeader,
    /// Every problem found (diagnostics and the flow fit), most serious first; empty when all
    /// is well.
    #[serde(default)]
    pub warnings: Vec<WarningEntry>,
    /// Per-parameter summaries.
    pub parameters: Vec<ParamSummary>,
    /// Run facts.
    pub run: super::RunFacts,
    /// The variational fit, for NeuTra runs.
    pub vi: Option<super::ViSummary>,
    /// Nested R-hat with the shards as superchains, in a run merged from two or more shards
    /// (`flowpost merge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested_r_hat: Option<NestedRHatSummary>,
}

/// `summary.json` `nested_r_hat`: nested R-hat
/// ([`rhat_nested`](crate::diagnostics::rhat_nested)) of every parameter with each shard's
/// chains as one superchain.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NestedRHatSummary {
    /// The superchains: each shard's chain numbers, in order.
    pub superchains: Vec<crate::shard::ChainRange>,
    /// The largest value over the parameters (`null` when undefined for all).
    #[serde(with = "crate::diagnostics::summary::nan_as_null")]
    pub max: f64,
    /// Above this a warning says the shards disagree (the R-hat threshold, 1.01 by default).
    pub threshold: f64,
    /// Why the values are undefined, when they are (e.g. shards with unequal chain counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// One entry per parameter, in the order of `parameters`.
    pub parameters: Vec<NestedRHatEntry>,
}

/// One parameter's nested R-hat.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NestedRHatEntry {
    /// The parameter.
    pub name: String,
    /// Its nested R-hat (`null` when undefined).
    #[serde(with = "crate::diagnostics::summary::nan_as_null")]
    pub nested_r_hat: f64,
}

impl SummaryFile {
    /// The file's text: pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary serializes") + "\n"
    }

    /// Reads a `summary.json` of this version or of version 1 (upgraded: the counts renamed to
    /// their `num_*` names); `path` is named in errors.
    ///
    /// ```
    /// use flowpost::report::SummaryFile;
    /// let v1 = r#"{"warnings": [], "parameters": [], "vi": {"elbo": -1.0, "pareto_k": 0.3, "steps": 40, "verdict": "good"},
    ///   "run": {"method": "neutra", "chains": 4, "draws_per_chain": 1000, "divergences": 2,
    ///           "grad_evals": {"vi": 9, "warmup": 10, "sampling": 20}, "seconds": {"vi": null, "warmup": null, "sampling": null, "total": 1.5}}}"#;
    /// let file = SummaryFile::from_json(v1, "summary.json".as_ref()).unwrap();
    /// assert_eq!((file.run.num_chains, file.run.num_divergent, file.vi.unwrap().num_steps), (4, 2, 40));
    /// assert_eq!(file.run.cost.num_grad_evals.sampling, Some(20));
    /// assert_eq!(file.header.version, 2);
    /// let again = SummaryFile::from_json(&SummaryFile::from_json(v1, "s".as_ref()).unwrap().to_json(), "s".as_ref());
    /// assert!(again.is_ok());
    /// ```
    pub fn from_json(text: &str, path: &Path) -> Result<SummaryFile, crate::Error> {
        let err = |reason: String| crate::Error::File {
            path: path.to_path_buf(),
            reason,
        };
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            err(if e.is_eof() {
                format!("the file is truncated or empty ({e})")
            } else {
                format!("not a summary.json: not JSON ({e})")
            })
        })?;
        let Some(object) = value.as_object_mut() else {
            return Err(err("not a summary.json: not a JSON object".into()));
        };
        if !object.contains_key("format") && !object.contains_key("version") {
            upgrade_v1(object);
        } else {
            let version = object.get("version").and_then(|v| v.as_u64());
            crate::io::versioned::check_fields(
                object.get("format").and_then(|f| f.as_str()),
                version.map(|v| u32::try_from(v).unwrap_or(u32::MAX)),
                path,
                SUMMARY_FORMAT,
                SUMMARY_VERSION,
                "summary",
            )?;
        }
        serde_json::from_value(value).map_err(|e| err(format!("not a flowpost summary.json: {e}")))
    }
}

/// Version 1 → this version: the header, and the counts under their `num_*` names.
fn upgrade_v1(object: &mut serde_json::Map<String, serde_json::Value>) {
    let rename = |map: &mut serde_json::Map<String, serde_json::Value>, from: &str, to: &str| {
        if let Some(v) = map.remove(from) {
            map.insert(to.to_string(), v);
        }
    };
    if let Some(run) = object.get_mut("run").and_then(|r| r.as_object_mut()) {
        rename(run, "chains", "num_chains");
        rename(run, "draws_per_chain", "num_draws_per_chain");
        rename(run, "divergences", "num_divergent");
        rename(run, "grad_evals", "num_grad_evals");
    }
    if let Some(vi) = object.get_mut("vi").and_then(|v| v.as_object_mut()) {
        rename(vi, "steps", "num_steps");
    }
    object.insert("format".into(), SUMMARY_FORMAT.into());
    object.insert("version".into(), SUMMARY_VERSION.into());
}
