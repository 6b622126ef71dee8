//! The comment lines after the column header: CmdStan's adaptation block (step size, the
//! inverse mass matrix's diagonal, or its dense form's diagonal) and the timing block.

use std::path::Path;

use super::CmdStanError;
use super::read::{CmdStanChain, Elapsed};

/// Which part of the inverse mass matrix the next comment lines hold.
enum Pending {
    None,
    DiagMass,
    DenseMass { row: usize },
}

/// What the comments after the header have said so far.
pub(super) struct Comments {
    /// Draw rows read when "Adaptation terminated" came (the saved warmup rows).
    pub adaptation_row: Option<usize>,
    /// The timing block, if there was one.
    pub elapsed: Option<Elapsed>,
    pending: Pending,
    dense_diag: Vec<f64>,
}

impl Comments {
    pub(super) fn new() -> Self {
        Comments {
            adaptation_row: None,
            elapsed: None,
            pending: Pending::None,
            dense_diag: vec![],
        }
    }

    /// Reads comment `c` (without its `#`) on line `line_no`, after `num_rows` draw rows; the
    /// step size and the metric's diagonal go into `out`.
    pub(super) fn read(
        &mut self,
        c: &str,
        num_rows: usize,
        out: &mut CmdStanChain,
        file: &Path,
        line_no: usize,
    ) -> Result<(), CmdStanError> {
        if c == "Adaptation terminated" {
            self.adaptation_row = Some(num_rows);
            return Ok(());
        }
        if let Some(v) = c.strip_prefix("Step size =") {
            let s = v
                .trim()
                .parse::<f64>()
                .map_err(|_| CmdStanError::Adaptation {
                    file: file.to_path_buf(),
                    line: line_no,
                    message: format!("step size {:?} is not a number", v.trim()),
                })?;
            out.draws.adapted_step_size = Some(s);
            return Ok(());
        }
        if c.starts_with("Diagonal elements of inverse mass matrix") {
            self.pending = Pending::DiagMass;
            return Ok(());
        }
        if c.starts_with("Elements of inverse mass matrix") {
            self.pending = Pending::DenseMass { row: 0 };
            return Ok(());
        }
        if let Some(rest) = c.strip_prefix("Elapsed Time:") {
            parse_elapsed(rest, self.elapsed.get_or_insert_with(Elapsed::default));
            return Ok(());
        }
        if let Some(e) = &mut self.elapsed
            && c.ends_with(')')
            && c.contains("seconds")
        {
            parse_elapsed(c, e);
            return Ok(());
        }
        match self.pending {
            Pending::DiagMass if !c.is_empty() => {
                out.draws.inv_mass_diag = Some(parse_numbers(c, file, line_no)?);
                self.pending = Pending::None;
            }
            Pending::DenseMass { row }
                if !c.is_empty() && c.contains(|ch: char| ch.is_ascii_digit()) =>
            {
                let vals = parse_numbers(c, file, line_no)?;
                let v = *vals.get(row).ok_or_else(|| CmdStanError::Adaptation {
                    file: file.to_path_buf(),
                    line: line_no,
                    message: format!(
                        "dense inverse mass matrix row {} has only {} entries",
                        row + 1,
                        vals.len()
                    ),
                })?;
                self.dense_diag.push(v);
                if row + 1 == vals.len() {
                    out.draws.inv_mass_diag = Some(std::mem::take(&mut self.dense_diag));
                    self.pending = Pending::None;
                } else {
                    self.pending = Pending::DenseMass { row: row + 1 };
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn parse_numbers(c: &str, file: &Path, line: usize) -> Result<Vec<f64>, CmdStanError> {
    c.split(',')
        .map(|v| {
            v.trim()
                .parse::<f64>()
                .map_err(|_| CmdStanError::Adaptation {
                    file: file.to_path_buf(),
                    line,
                    message: format!("inverse mass matrix entry {:?} is not a number", v.trim()),
                })
        })
        .collect()
}

/// `0.123 seconds (Warm-up)` and the like.
fn parse_elapsed(text: &str, e: &mut Elapsed) {
    let t = text.trim();
    let Some(num) = t
        .split_whitespace()
        .next()
        .and_then(|v| v.parse::<f64>().ok())
    else {
        return;
    };
    if t.contains("(Warm-up)") {
        e.warmup = num;
    } else if t.contains("(Sampling)") {
        e.sampling = num;
    } else if t.contains("(Total)") {
        e.total = num;
    }
}
