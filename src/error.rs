//! The library's top-level error: what can stop a fit or a sampling run, with enough context
//! (which setting, which dimension, which chain) to act on.

use crate::density::DensityError;
use std::path::PathBuf;

/// Why a run could not be completed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is out of range.
    #[error("invalid setting `{field}`: {reason}")]
    Settings {
        /// The setting.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Two things that must have the same size do not.
    #[error("{what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// What was compared.
        what: &'static str,
        /// The size required.
        expected: usize,
        /// The size found.
        got: usize,
    },
    /// The log-density failed fatally (or panicked).
    #[error("{context}: {source}")]
    Density {
        /// Where it happened (e.g. "chain 2, draw 35").
        context: String,
        /// The density's error.
        source: DensityError,
    },
    /// The multi-start mode search found no mode: every start failed.
    #[error(
        "multi-start mode search: all {num_starts} starts failed (last failure: {last_error}); \
         a mode needs a start in [-{radius}, {radius}]^d (unconstrained) where the log-density \
         and its gradient are finite, and an optimum that L-BFGS reaches (not one at infinity)"
    )]
    NoModes {
        /// Starts tried.
        num_starts: usize,
        /// The half-width of the box the starts were drawn from.
        radius: f64,
        /// Why the last start failed.
        last_error: String,
    },
    /// Initial values ([`Init`](crate::init::Init)) that cannot start a run: a name the
    /// model does not have, a value outside its support, a point where the log-density is
    /// not finite.
    #[error("initial values: {reason}")]
    Init {
        /// What is wrong, naming the parameter where there is one.
        reason: String,
    },
    /// No starting point with a finite log-density and gradient was found.
    #[error(
        "no valid starting point after {attempts} attempts (last error: {last_error}); \
         NUTS needs a point (by default in [-2, 2]^d, unconstrained; see --init) where the \
         log-density and its gradient are finite and no gradient component is exactly zero"
    )]
    NoValidInit {
        /// Points tried.
        attempts: usize,
        /// The last failure.
        last_error: String,
    },
    /// The variational fit failed (diverged, or every sample failed).
    #[error("variational fit failed at step {step}: {reason}")]
    ViDiverged {
        /// Optimization step.
        step: usize,
        /// What went wrong.
        reason: String,
    },
    /// nuts-rs reported an error.
    #[error("sampler error in chain {chain}: {message}")]
    Sampler {
        /// Chain index (1-based).
        chain: usize,
        /// nuts-rs's message.
        message: String,
    },
    /// The preflight check found a problem with the model or the run's sizes before sampling
    /// ([`preflight`](crate::preflight)).
    #[error("{0}")]
    Preflight(#[from] crate::preflight::PreflightError),
    /// A file could not be read or written (the operating system's error).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file's contents are not what flowpost expects (format, version, structure, values).
    #[error("{}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong (line numbers and names where they apply).
        reason: String,
    },
    /// The sampler's chains do not fit together (a bug in the sampler, not the model).
    #[error("the sampler's draws are inconsistent: {0}")]
    Draws(#[from] crate::draws::DrawsError),
    /// A run's outputs could not be written (the folder, a file, the zarr store).
    #[error(transparent)]
    Output(#[from] crate::io::atomic::OutputError),
    /// A CmdStan CSV could not be written.
    #[error(transparent)]
    CmdStan(#[from] crate::io::cmdstan::CmdStanError),
    /// The report (summary.json, report.html) could not be written.
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
}

/// A message from a dependency (nuts-rs wraps `anyhow` errors) without the backtrace that
/// `RUST_BACKTRACE=1` makes it carry: users get the sentence, not 17 stack frames.
///
/// ```
/// let m = flowpost::error::clean_message("bad gradient: Invalid initial point\n\nStack backtrace:\n   0: anyhow::msg");
/// assert_eq!(m, "bad gradient: Invalid initial point");
/// ```
pub fn clean_message(message: &str) -> String {
    let cut = message.find("Stack backtrace:").unwrap_or(message.len());
    message[..cut].trim_end().to_string()
}

impl Error {
    pub(crate) fn settings(field: &str, reason: &str) -> Self {
        Error::Settings {
            field: field.to_string(),
            reason: reason.to_string(),
        }
    }
}
