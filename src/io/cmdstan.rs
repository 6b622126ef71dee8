//! CmdStan's CSV format: one file per chain, `#` comment lines (run configuration, adaptation
//! results, timing), a header `lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,
//! energy__,` followed by the parameters with CmdStan's flattened names (`theta.1`, `Sigma.2.3`),
//! then one row per draw.
//!
//! - [`write_chain_csv`] / [`write_cmdstan_csvs`]: write [`Draws`](crate::Draws) so that ArviZ
//!   0.23 (`from_cmdstan`), CmdStanPy (`from_csv`, and through it ArviZ 1.x),
//!   `cmdstanr`/`posterior` and `stansummary` read them (CmdStanPy needs the whole adaptation
//!   block: a chain's `adapted_step_size` and `inv_mass_diag`). Numbers are written with the shortest
//!   decimal representation that parses back to the same `f64` (Rust's `Display`/`LowerExp`),
//!   so write → read is bit-exact.
//! - [`read_chain_csv`] / [`read_cmdstan_csvs`]: read CmdStan's own output as well as ours:
//!   comments anywhere (configuration before the header, adaptation after it, timing at the end),
//!   warmup rows when `save_warmup = 1`, names converted back to `theta[1]` / `Sigma[2,3]`.
//!   Malformed input gives a [`CmdStanError`] naming the file and line.
//!
//! ```
//! use flowpost::io::cmdstan::{CmdStanMeta, read_chain_csv_str, write_chain_csv};
//! use flowpost::{ChainDraws, DrawStats};
//! let names = vec!["mu".to_string(), "theta[1]".to_string()];
//! let chain = ChainDraws {
//!     values: vec![0.5, -1.25, 0.25, 3.0e-9],
//!     stats: vec![DrawStats { lp: -1.0, step_size: 0.5, tree_depth: 2, n_leapfrog: 3, ..Default::default() }; 2],
//!     adapted_step_size: Some(0.5),
//!     ..Default::default()
//! };
//! let mut csv = Vec::new();
//! write_chain_csv(&mut csv, &names, &chain, &CmdStanMeta::default(), 1).unwrap();
//! let text = String::from_utf8(csv).unwrap();
//! assert!(text.contains("lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,energy__,mu,theta.1"));
//! let back = read_chain_csv_str(&text, "chain_1.csv").unwrap();
//! assert_eq!(back.param_names, names);
//! assert_eq!(back.draws.values, chain.values);
//! ```

use std::path::PathBuf;

mod columns;
mod comments;
mod read;
mod write;

pub use read::{CmdStanChain, Elapsed, read_chain_csv, read_chain_csv_str, read_cmdstan_csvs};
pub use write::{CmdStanMeta, check_names, format_number, write_chain_csv, write_cmdstan_csvs};

/// The sampler-statistic columns, in CmdStan's order.
pub const STAT_COLUMNS: [&str; 7] = [
    "lp__",
    "accept_stat__",
    "stepsize__",
    "treedepth__",
    "n_leapfrog__",
    "divergent__",
    "energy__",
];

/// What went wrong reading or writing CmdStan CSV. Line numbers are 1-based.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CmdStanError {
    /// The file could not be read or written.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// No header line (the first non-comment line must name the columns).
    #[error("{}:{line}: expected the CSV header (lp__,accept_stat__,...), found {found}", file.display())]
    MissingHeader {
        /// The file.
        file: PathBuf,
        /// Line where the header was expected.
        line: usize,
        /// What was there instead (truncated), or "end of file".
        found: String,
    },
    /// A row has a different number of fields than the header.
    #[error("{}:{line}: row has {got} fields, the header has {expected}", file.display())]
    Ragged {
        /// The file.
        file: PathBuf,
        /// The row's line.
        line: usize,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        got: usize,
    },
    /// A field is not a number (or a statistic is out of its range, e.g. a negative tree depth).
    #[error("{}:{line}: column {column}: {value:?} is not a valid {expected}", file.display())]
    NotANumber {
        /// The file.
        file: PathBuf,
        /// The line.
        line: usize,
        /// The column's name.
        column: String,
        /// The offending text.
        value: String,
        /// What was expected ("number", "non-negative integer", "0 or 1").
        expected: &'static str,
    },
    /// The header names a column twice.
    #[error("{}:{line}: column {column} appears twice in the header", file.display())]
    DuplicateColumn {
        /// The file.
        file: PathBuf,
        /// The header's line.
        line: usize,
        /// The repeated name.
        column: String,
    },
    /// Malformed adaptation comment (step size or inverse mass matrix).
    #[error("{}:{line}: cannot read the adaptation info: {message}", file.display())]
    Adaptation {
        /// The file.
        file: PathBuf,
        /// The line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Chains of one run name different parameters.
    #[error("{}: parameters differ from {}: {detail}", file.display(), first_file.display())]
    DifferentParameters {
        /// The file that differs.
        file: PathBuf,
        /// The first file, whose parameters are taken as the run's.
        first_file: PathBuf,
        /// The first difference.
        detail: String,
    },
    /// Chains of one run have different numbers of draws.
    #[error("{}: {got} draws, but {} has {expected}", file.display(), first_file.display())]
    DifferentLengths {
        /// The file that differs.
        file: PathBuf,
        /// The first file.
        first_file: PathBuf,
        /// Draws in `file`.
        got: usize,
        /// Draws in `first_file`.
        expected: usize,
    },
    /// No file was given.
    #[error("no CSV files given")]
    NoFiles,
    /// Parameter names that cannot be written as CSV columns and read back.
    #[error("{}: {message}", file.display())]
    BadNames {
        /// The file or folder being written.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A chain has fewer or more draws than its header's `num_samples` says (a truncated or
    /// damaged file).
    #[error("{}: {got} post-warmup draws, but the header says num_samples = {expected}{}", file.display(), if got < expected { " (the file is truncated)" } else { "" })]
    WrongDrawCount {
        /// The file.
        file: PathBuf,
        /// Draws the header announces (after thinning).
        expected: usize,
        /// Draws found.
        got: usize,
    },
    /// The same file, or two files with the same chain id, given twice.
    #[error("{}: {what}", file.display())]
    Duplicate {
        /// The second file.
        file: PathBuf,
        /// What it repeats.
        what: String,
    },
}

/// Stan-style name → CmdStan CSV column: `theta[1]` → `theta.1`, `Sigma[2,3]` → `Sigma.2.3`;
/// names without brackets are unchanged.
///
/// ```
/// use flowpost::io::cmdstan::{to_cmdstan_name, from_cmdstan_name};
/// assert_eq!(to_cmdstan_name("Sigma[2, 3]"), "Sigma.2.3");
/// assert_eq!(from_cmdstan_name("Sigma.2.3"), "Sigma[2,3]");
/// assert_eq!(from_cmdstan_name("mu"), "mu");
/// ```
pub fn to_cmdstan_name(name: &str) -> String {
    match (name.find('['), name.strip_suffix(']')) {
        (Some(open), Some(inner)) => {
            let mut out = name[..open].to_string();
            for idx in inner[open + 1..].split(',') {
                out.push('.');
                out.push_str(idx.trim());
            }
            out
        }
        _ => name.to_string(),
    }
}

/// CmdStan CSV column → Stan-style name: `theta.1` → `theta[1]`, `Sigma.2.3` → `Sigma[2,3]`.
/// Only trailing all-digit parts become indices; other names (`z.real`, tuple names with `:`)
/// are kept as they are.
pub fn from_cmdstan_name(column: &str) -> String {
    let parts: Vec<&str> = column.split('.').collect();
    let first_index = parts
        .iter()
        .rposition(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(0, |i| i + 1);
    if first_index == 0 || first_index == parts.len() {
        return column.to_string();
    }
    format!(
        "{}[{}]",
        parts[..first_index].join("."),
        parts[first_index..].join(",")
    )
}
