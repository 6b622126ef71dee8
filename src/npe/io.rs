//! The estimator file: JSON with a format name and version, the flow's layer specs, the
//! z-scoring statistics, the prior bounds and the flat parameters. Version 2 adds
//! `ensemble_members` (each member's flow, z-scoring and parameters after the first's); a
//! single estimator is still written as version 1, byte for byte as before, and both are
//! read. `serde_json`'s `float_roundtrip` makes every f64 read back bit for bit. Reading validates everything and
//! names what is wrong: a truncated or corrupt file, another format or version, dimensions that
//! do not agree; an NLE estimator file is named as such.

use super::{Bounds, NpeError, NpeEstimator, Standardizer, Support, XTransform};
use crate::bijection::LayerSpec;
use std::path::Path;

/// The `format` field of an estimator file.
pub const ESTIMATOR_FORMAT: &str = "flowpost-npe-estimator";
/// The newest version this build writes and reads (2: ensembles); single estimators are
/// written as version 1, which every build reads.
pub const ESTIMATOR_VERSION: u32 = 2;
const SINGLE_VERSION: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    format: String,
    version: u32,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EstimatorFile {
    format: String,
    version: u32,
    theta_dim: usize,
    x_dim: usize,
    theta_labels: Vec<String>,
    /// x column names (absent: unknown, e.g. an estimator of a built-in task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x_labels: Option<Vec<String>>,
    flow: LayerSpec,
    theta_standardizer: Standardizer,
    x_standardizer: Standardizer,
    prior_bounds: Option<Bounds>,
    num_params: usize,
    params: Vec<f64>,
    /// The support θ is unconstrained from (absent: ℝ^d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    support: Option<Support>,
    /// The preprocessing of x before z-scoring (absent: none).
    #[serde(default, skip_serializing_if = "XTransform::is_identity")]
    x_transform: XTransform,
    /// Ensemble members 2..K (version 2; absent: a single estimator).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ensemble_members: Vec<MemberFile>,
}

/// What an ensemble member has of its own.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberFile {
    flow: LayerSpec,
    theta_standardizer: Standardizer,
    x_standardizer: Standardizer,
    num_params: usize,
    params: Vec<f64>,
}

impl MemberFile {
    fn of(e: &NpeEstimator) -> Self {
        MemberFile {
            flow: e.flow.spec(),
            theta_standardizer: e.theta_z.clone(),
            x_standardizer: e.x_z.clone(),
            num_params: e.params.len(),
            params: e.params.clone(),
        }
    }
}

impl NpeEstimator {
    /// The estimator as the JSON text of a versioned estimator file.
    pub fn to_json(&self) -> String {
        let file = EstimatorFile {
            format: ESTIMATOR_FORMAT.into(),
            version: match self.others.is_empty() {
                true => SINGLE_VERSION,
                false => ESTIMATOR_VERSION,
            },
            theta_dim: self.theta_dim(),
            x_dim: self.x_dim(),
            theta_labels: self.theta_labels.clone(),
            x_labels: self.x_labels.clone(),
            flow: self.flow.spec(),
            theta_standardizer: self.theta_z.clone(),
            x_standardizer: self.x_z.clone(),
            prior_bounds: self.bounds.clone(),
            num_params: self.params.len(),
            params: self.params.clone(),
            support: (!self.support.is_unbounded()).then(|| self.support.clone()),
            x_transform: self.x_transform,
            ensemble_members: self.others.iter().map(MemberFile::of).collect(),
        };
        serde_json::to_string(&file).expect("estimator serializes")
    }

    /// Parses estimator JSON; `origin` names the source in errors.
    ///
    /// ```
    /// use flowpost::npe::NpeEstimator;
    /// let err = NpeEstimator::from_json("{\"format\": \"flowpost-npe-estimator\", \"vers", "x.json").unwrap_err();
    /// assert!(err.to_string().contains("truncated"));
    /// ```
    pub fn from_json(text: &str, origin: &str) -> Result<Self, NpeError> {
        let fail = |reason: String| NpeError::EstimatorFile {
            path: origin.to_string(),
            reason,
        };
        let (value, version) = checked_header(
            text,
            origin,
            ESTIMATOR_FORMAT,
            SINGLE_VERSION..=ESTIMATOR_VERSION,
            (
                super::NLE_ESTIMATOR_FORMAT,
                "this is a neural likelihood (NLE) estimator, not a neural posterior (NPE) one: sample it with `flowpost nle sample` (NleEstimator::load)",
            ),
        )?;
        let mut file: EstimatorFile =
            serde_json::from_value(value).map_err(|e| fail(format!("corrupt content ({e})")))?;
        if version == SINGLE_VERSION && !file.ensemble_members.is_empty() {
            return Err(fail(
                "a version 1 file holds one estimator, but this one has ensemble members".into(),
            ));
        }
        let others = std::mem::take(&mut file.ensemble_members);
        let first = MemberFile {
            flow: file.flow.clone(),
            theta_standardizer: file.theta_standardizer.clone(),
            x_standardizer: file.x_standardizer.clone(),
            num_params: file.num_params,
            params: std::mem::take(&mut file.params),
        };
        let mut members = Vec::with_capacity(1 + others.len());
        for (k, m) in std::iter::once(first).chain(others).enumerate() {
            let member = read_member(&file, m).map_err(|reason| match k {
                0 => fail(reason),
                _ => fail(format!("ensemble member {}: {reason}", k + 1)),
            })?;
            members.push(member);
        }
        NpeEstimator::ensemble(members).map_err(|e| fail(e.to_string()))
    }

    /// Writes the estimator file (atomically: a reader never sees half a file).
    pub fn save(&self, path: &Path) -> Result<(), NpeError> {
        let io = |source| NpeError::Io {
            path: path.display().to_string(),
            source,
        };
        crate::io::atomic::write_string_atomic(path, &self.to_json())
            .map_err(|e| io(e.into_io_error()))
    }

    /// Reads an estimator file.
    pub fn load(path: &Path) -> Result<Self, NpeError> {
        Self::from_json(&read_text(path)?, &path.display().to_string())
    }
}

/// The text of the file at `path`, an error naming it when it cannot be read.
pub(crate) fn read_text(path: &Path) -> Result<String, NpeError> {
    std::fs::read_to_string(path).map_err(|source| NpeError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// One member from its own parts and the file's shared ones; the error is the reason.
fn read_member(file: &EstimatorFile, m: MemberFile) -> Result<NpeEstimator, String> {
    let flow = m.flow.build().map_err(|e| format!("flow: {e}"))?.into_dyn();
    if flow.dim() != file.theta_dim || flow.context_dim() != file.x_dim {
        return Err(format!(
            "flow maps {}-d θ given {}-d x but the file declares {} and {}",
            flow.dim(),
            flow.context_dim(),
            file.theta_dim,
            file.x_dim
        ));
    }
    if m.num_params != m.params.len() {
        return Err(format!(
            "declares {} parameters but holds {}",
            m.num_params,
            m.params.len()
        ));
    }
    let bounds = file.prior_bounds.clone();
    NpeEstimator::new(
        flow,
        m.params,
        m.theta_standardizer,
        m.x_standardizer,
        bounds,
    )
    .and_then(|e| e.with_labels(file.theta_labels.clone()))
    .and_then(|e| match &file.x_labels {
        Some(l) => e.with_x_labels(l.clone()),
        None => Ok(e),
    })
    .and_then(|e| match &file.support {
        Some(s) => e.with_support(s.clone()),
        None => Ok(e),
    })
    .map(|e| e.with_x_transform(file.x_transform))
    .map_err(|e| e.to_string())
}

/// An estimator file's JSON and its version, once the text is valid JSON with a header of
/// format `expected` and a version in `versions`; a file of format `other.0` (the other kind
/// of estimator) gets the message `other.1`. Errors name `origin`.
pub(crate) fn checked_header(
    text: &str,
    origin: &str,
    expected: &str,
    versions: std::ops::RangeInclusive<u32>,
    other: (&str, &str),
) -> Result<(serde_json::Value, u32), NpeError> {
    let fail = |reason: String| NpeError::EstimatorFile {
        path: origin.to_string(),
        reason,
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            fail(format!("file is truncated ({e})"))
        } else {
            fail(format!("not valid JSON ({e})"))
        }
    })?;
    let header: Header = serde_json::from_value(value.clone())
        .map_err(|e| fail(format!("missing format/version header ({e})")))?;
    if header.format == other.0 {
        return Err(fail(other.1.to_string()));
    }
    if header.format != expected {
        return Err(fail(format!(
            "format is `{}`, expected `{expected}`",
            header.format
        )));
    }
    if !versions.contains(&header.version) {
        let reads = if versions.start() == versions.end() {
            format!("version {}", versions.start())
        } else {
            format!("versions {} to {}", versions.start(), versions.end())
        };
        return Err(fail(format!(
            "version {} is not supported (this build reads {reads})",
            header.version
        )));
    }
    Ok((value, header.version))
}
