//! Tables of numbers as CSV with a header row: how simulations from simulators written in other
//! languages come in, and how posterior samples go out. `nan`, `inf` and `-inf` are read as
//! such (training drops those rows and counts them); anything else unparsable is an error that
//! names the file, line and column.

use super::NpeError;
use std::path::Path;

/// A numeric table: column names and row-major values.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column names from the header row.
    pub header: Vec<String>,
    /// Row-major values.
    pub values: Vec<f64>,
}

impl Table {
    /// Number of columns.
    pub fn num_cols(&self) -> usize {
        self.header.len()
    }
    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.values.len() / self.header.len().max(1)
    }
}

/// Parses CSV text with a header row; `origin` names the source in errors.
///
/// ```
/// let t = flowpost::npe::parse_table("a,b\n1,2\n3,nan\n", "t.csv").unwrap();
/// assert_eq!((t.num_rows(), t.num_cols()), (2, 2));
/// assert!(t.values[3].is_nan());
/// let err = flowpost::npe::parse_table("a,b\n1,2\n3\n", "t.csv").unwrap_err();
/// assert_eq!(err.to_string(), "t.csv: line 3: expected 2 columns, found 1");
/// ```
pub fn parse_table(text: &str, origin: &str) -> Result<Table, NpeError> {
    let fail = |line: usize, reason: String| NpeError::Table {
        file: origin.to_string(),
        line,
        reason,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((h, head)) = lines.next() else {
        return Err(fail(1, "empty file: expected a header row".into()));
    };
    let header: Vec<String> = head.split(',').map(|c| c.trim().to_string()).collect();
    if header.iter().all(|c| parse_number(c).is_some()) {
        return Err(fail(
            h + 1,
            "expected a header row of column names, found numbers".into(),
        ));
    }
    let mut values = Vec::new();
    for (i, line) in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != header.len() {
            return Err(fail(
                i + 1,
                format!("expected {} columns, found {}", header.len(), cells.len()),
            ));
        }
        for (c, cell) in cells.iter().enumerate() {
            let v = parse_number(cell.trim()).ok_or_else(|| {
                fail(
                    i + 1,
                    format!(
                        "column {} (`{}`): `{}` is not a number",
                        c + 1,
                        header[c],
                        cell.trim()
                    ),
                )
            })?;
            values.push(v);
        }
    }
    if values.is_empty() {
        return Err(fail(h + 1, "no data rows after the header".into()));
    }
    Ok(Table { header, values })
}

fn parse_number(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "" => None,
        other => other.parse().ok(),
    }
}

/// Reads a CSV file with a header row.
pub fn read_table(path: &Path) -> Result<Table, NpeError> {
    parse_table(&super::io::read_text(path)?, &path.display().to_string())
}

/// Writes a header row and `rows` (row-major, `header.len()` per row) as CSV; f64 values are
/// printed in their shortest round-trip form.
pub fn write_table(path: &Path, header: &[String], rows: &[f64]) -> Result<(), NpeError> {
    let io = |source| NpeError::Io {
        path: path.display().to_string(),
        source,
    };
    crate::io::atomic::write_atomic(path, |w| {
        writeln!(w, "{}", header.join(","))?;
        for row in rows.chunks(header.len().max(1)) {
            let cells: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
            writeln!(w, "{}", cells.join(","))?;
        }
        Ok(())
    })
    .map_err(|e| io(e.into_io_error()))
}
