//! The NLE estimator file: JSON with its own format name and version, the prior as a spec
//! (the `parameters` form of [`IndependentPrior::from_json`], names included), the x column
//! names when known, and the likelihood flow as an NPE estimator file nested whole (the
//! swapped flow is an [`NpeEstimator`], so NPE's reader checks it). `serde_json`'s
//! `float_roundtrip` makes every f64 read back bit for bit. An NPE estimator file given where
//! an NLE one is expected, or the other way round ([`NpeEstimator::from_json`]), is an error
//! that names the file and says what it is.

use super::error::NpeError;
use super::{ESTIMATOR_FORMAT, IndependentPrior, NleEstimator, NpeEstimator};
use std::path::Path;

/// The `format` field of an NLE estimator file.
pub const NLE_ESTIMATOR_FORMAT: &str = "flowpost-nle-estimator";
/// The version this build writes and reads.
pub const NLE_ESTIMATOR_VERSION: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NleFile {
    format: String,
    version: u32,
    /// The prior spec.
    prior: serde_json::Value,
    /// x column names (absent: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x_labels: Option<Vec<String>>,
    /// The flow of x given θ_u, as an NPE estimator file (its θ is x, its x is θ_u).
    likelihood_flow: serde_json::Value,
}

impl NleEstimator {
    /// The estimator as the JSON text of a versioned NLE estimator file.
    pub fn to_json(&self) -> String {
        let flow: serde_json::Value =
            serde_json::from_str(&self.flow.to_json()).expect("estimator JSON parses");
        let file = NleFile {
            format: NLE_ESTIMATOR_FORMAT.into(),
            version: NLE_ESTIMATOR_VERSION,
            prior: self.prior.to_spec(),
            x_labels: self.x_labels.clone(),
            likelihood_flow: flow,
        };
        serde_json::to_string(&file).expect("NLE estimator serializes")
    }

    /// Parses NLE estimator JSON; `origin` names the source in errors.
    ///
    /// ```
    /// use flowpost::npe::NleEstimator;
    /// let npe = r#"{"format": "flowpost-npe-estimator", "version": 1}"#;
    /// let err = NleEstimator::from_json(npe, "est.json").unwrap_err().to_string();
    /// assert!(err.contains("est.json") && err.contains("neural posterior (NPE) estimator"));
    /// ```
    pub fn from_json(text: &str, origin: &str) -> Result<Self, NpeError> {
        let fail = |reason: String| NpeError::EstimatorFile {
            path: origin.to_string(),
            reason,
        };
        let (value, _) = super::io::checked_header(
            text,
            origin,
            NLE_ESTIMATOR_FORMAT,
            NLE_ESTIMATOR_VERSION..=NLE_ESTIMATOR_VERSION,
            (
                ESTIMATOR_FORMAT,
                "this is a neural posterior (NPE) estimator, not a neural likelihood (NLE) one: sample it with `flowpost npe sample` (NpeEstimator::load)",
            ),
        )?;
        let file: NleFile =
            serde_json::from_value(value).map_err(|e| fail(format!("corrupt content ({e})")))?;
        let prior = IndependentPrior::from_json(
            &file.prior.to_string(),
            &format!("{origin} (its `prior`)"),
        )?;
        let flow = NpeEstimator::from_json(
            &file.likelihood_flow.to_string(),
            &format!("{origin} (its `likelihood_flow`)"),
        )?;
        let est = NleEstimator::from_parts(flow, prior).map_err(|e| fail(e.to_string()))?;
        match file.x_labels {
            Some(l) => est.with_x_labels(l).map_err(|e| fail(e.to_string())),
            None => Ok(est),
        }
    }

    /// Writes the estimator file (atomically: a reader never sees half a file).
    pub fn save(&self, path: &Path) -> Result<(), NpeError> {
        crate::io::atomic::write_string_atomic(path, &self.to_json()).map_err(|e| NpeError::Io {
            path: path.display().to_string(),
            source: e.into_io_error(),
        })
    }

    /// Reads an NLE estimator file.
    pub fn load(path: &Path) -> Result<Self, NpeError> {
        Self::from_json(&super::io::read_text(path)?, &path.display().to_string())
    }
}

#[cfg(test)]
#[path = "nle_io_tests.rs"]
mod tests;
