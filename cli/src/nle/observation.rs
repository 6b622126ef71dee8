//! The observation of `nle sample`: a CSV with a header row of x's column names and one row
//! per iid trial, checked against the estimator (the number of columns, their names when the
//! estimator knows them, finite values) with errors naming the file, line and column.

use anyhow::{Result, bail};
use flowpost::npe::{NleEstimator, read_table};
use std::path::Path;

/// The trials, row-major, and their number.
pub(super) fn read_observation(path: &Path, est: &NleEstimator) -> Result<(Vec<f64>, usize)> {
    let t = read_table(path)?;
    let at = path.display();
    let dx = est.x_dim();
    let expected = match est.x_labels() {
        Some(l) => format!(" ({})", l.join(", ")),
        None => String::new(),
    };
    if t.num_cols() != dx {
        bail!(
            "{at}: {} columns, but the estimator models x of {dx} columns{expected}",
            t.num_cols()
        );
    }
    if let Some(labels) = est.x_labels()
        && let Some(k) = (0..dx).find(|&k| t.header[k] != labels[k])
    {
        bail!(
            "{at}: column {} is `{}` but the estimator's x column {} is `{}` (its columns: {})",
            k + 1,
            t.header[k],
            k + 1,
            labels[k],
            labels.join(", ")
        );
    }
    if let Some(i) = t.values.iter().position(|v| !v.is_finite()) {
        let (row, col) = (i / dx, i % dx);
        bail!(
            "{at}: line {}, column {} (`{}`): {} is not a finite number (trial {})",
            line_of_row(path, row),
            col + 1,
            t.header[col],
            t.values[i],
            row + 1
        );
    }
    let num_trials = t.num_rows();
    Ok((t.values, num_trials))
}

/// The 1-based line of data row `row` (0-based; blank lines are skipped as the reader does).
fn line_of_row(path: &Path, row: usize) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .nth(row + 1)
        .map_or(row + 2, |(i, _)| i + 1)
}
