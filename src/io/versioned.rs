//! The header every versioned flowpost JSON file starts with — `"format"` and `"version"` —
//! read before anything else, so that a file of another kind or a future version says so
//! instead of failing on a field this build does not know.

use crate::Error;
use std::path::Path;

#[derive(serde::Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

/// Checks that `text` is a JSON object with `"format": format` and `"version": version`;
/// `kind` names the file in errors ("flow", "adaptation"), `path` locates it.
pub(crate) fn check_header(
    text: &str,
    path: &Path,
    format: &str,
    version: u32,
    kind: &str,
) -> Result<(), Error> {
    let err = |reason: String| Error::File {
        path: path.to_path_buf(),
        reason,
    };
    let header: Header = serde_json::from_str(text).map_err(|e| {
        err(if e.is_eof() {
            format!("the file is truncated or empty ({e})")
        } else {
            format!("not a flowpost {kind} file: not a JSON object ({e})")
        })
    })?;
    check_fields(
        header.format.as_deref(),
        header.version,
        path,
        format,
        version,
        kind,
    )
}

/// [`check_header`] on a header already read: the file's `"format"` and `"version"` (`None`
/// where absent).
pub(crate) fn check_fields(
    found_format: Option<&str>,
    found_version: Option<u32>,
    path: &Path,
    format: &str,
    version: u32,
    kind: &str,
) -> Result<(), Error> {
    let err = |reason: String| Error::File {
        path: path.to_path_buf(),
        reason,
    };
    match (found_format, found_version) {
        (Some(f), Some(v)) if f == format && v == version => Ok(()),
        (Some(f), Some(v)) if f == format => Err(err(format!(
            "{kind} file version {v} is not supported (this build reads version {version}){}",
            if v > version {
                "; it was written by a newer flowpost"
            } else {
                ""
            }
        ))),
        (Some(f), None) if f == format => Err(err(format!("{kind} file without a version"))),
        (Some(f), _) => Err(err(format!("format is {f:?}, expected {format:?}"))),
        (None, _) => Err(err(format!(
            "not a flowpost {kind} file (no \"format\": {format:?})"
        ))),
    }
}
