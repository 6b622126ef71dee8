//! The CSV's column header and its draw rows: which columns are sampler statistics and which
//! are parameters, and each row parsed into parameter values and [`DrawStats`].

use std::path::Path;

use super::{CmdStanError, STAT_COLUMNS, from_cmdstan_name};
use crate::DrawStats;

/// The column header.
pub(super) struct Header {
    /// Every column's name, as written.
    columns: Vec<String>,
    /// Where each of [`STAT_COLUMNS`] is (absent statistics are `None`).
    stat_index: [Option<usize>; 7],
    /// The parameter columns, in order.
    param_cols: Vec<usize>,
}

impl Header {
    /// Parses the header line's `cells`; returns it with the parameter names (Stan style). A
    /// number or an empty cell means the header is missing; a repeated name is an error.
    pub(super) fn parse(
        line: &str,
        cells: &[&str],
        file: &Path,
        line_no: usize,
    ) -> Result<(Header, Vec<String>), CmdStanError> {
        if cells
            .iter()
            .any(|c| c.is_empty() || c.parse::<f64>().is_ok())
        {
            return Err(CmdStanError::MissingHeader {
                file: file.to_path_buf(),
                line: line_no,
                found: super::read::truncate(line),
            });
        }
        let mut stat_index = [None; 7];
        let mut param_cols = vec![];
        let mut names = vec![];
        for (j, c) in cells.iter().enumerate() {
            if cells[..j].contains(c) {
                return Err(CmdStanError::DuplicateColumn {
                    file: file.to_path_buf(),
                    line: line_no,
                    column: c.to_string(),
                });
            }
            if let Some(k) = STAT_COLUMNS.iter().position(|s| s == c) {
                stat_index[k] = Some(j);
            } else if !c.ends_with("__") {
                param_cols.push(j);
                names.push(from_cmdstan_name(c));
            }
        }
        let header = Header {
            columns: cells.iter().map(|c| c.to_string()).collect(),
            stat_index,
            param_cols,
        };
        Ok((header, names))
    }

    /// Parses one draw row: its parameter values and statistics (absent statistics are NaN,
    /// 0 or not divergent).
    pub(super) fn parse_draw(
        &self,
        cells: &[&str],
        file: &Path,
        line_no: usize,
    ) -> Result<(Vec<f64>, DrawStats), CmdStanError> {
        let cols = &self.columns;
        if cells.len() != cols.len() {
            return Err(CmdStanError::Ragged {
                file: file.to_path_buf(),
                line: line_no,
                expected: cols.len(),
                got: cells.len(),
            });
        }
        let mut nums = Vec::with_capacity(cells.len());
        for (j, c) in cells.iter().enumerate() {
            nums.push(c.parse::<f64>().map_err(|_| CmdStanError::NotANumber {
                file: file.to_path_buf(),
                line: line_no,
                column: cols[j].clone(),
                value: c.to_string(),
                expected: "number",
            })?);
        }
        let stat_index = &self.stat_index;
        let stat = |k: usize| stat_index[k].map(|j| nums[j]);
        let bad = |k: usize, expected: &'static str| CmdStanError::NotANumber {
            file: file.to_path_buf(),
            line: line_no,
            column: STAT_COLUMNS[k].to_string(),
            value: cells[stat_index[k].unwrap()].to_string(),
            expected,
        };
        let int = |k: usize| -> Result<u64, CmdStanError> {
            match stat(k) {
                None => Ok(0),
                Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 1e15 => Ok(v as u64),
                Some(_) => Err(bad(k, "non-negative integer")),
            }
        };
        let divergent = match stat(5) {
            None => false,
            Some(v) if v == 0.0 || v == 1.0 => v == 1.0,
            Some(_) => return Err(bad(5, "0 or 1")),
        };
        let s = DrawStats {
            lp: stat(0).unwrap_or(f64::NAN),
            accept_stat: stat(1).unwrap_or(f64::NAN),
            step_size: stat(2).unwrap_or(f64::NAN),
            tree_depth: int(3)?,
            n_leapfrog: int(4)?,
            divergent,
            energy: stat(6).unwrap_or(f64::NAN),
        };
        Ok((self.param_cols.iter().map(|&j| nums[j]).collect(), s))
    }
}
