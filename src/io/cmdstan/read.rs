//! Reading CmdStan CSV (CmdStan's own output and flowpost's).

use std::path::{Path, PathBuf};

use super::{CmdStanError, from_cmdstan_name};
use crate::{ChainDraws, DrawStats, Draws};

/// Timing block at the end of a CmdStan CSV.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Elapsed {
    /// Warmup seconds.
    pub warmup: f64,
    /// Sampling seconds.
    pub sampling: f64,
    /// Total seconds.
    pub total: f64,
}

/// One chain read from a CmdStan CSV file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CmdStanChain {
    /// The file it came from (or the name given to [`read_chain_csv_str`]).
    pub file: PathBuf,
    /// Parameter names converted to Stan style (`theta[1]`), in column order.
    pub param_names: Vec<String>,
    /// Post-warmup draws and statistics; `warmup_stats` / `warmup_values` hold the saved warmup
    /// rows (`save_warmup = 1`), `adapted_step_size` / `inv_mass_diag` the adaptation comments
    /// (the diagonal of a dense metric).
    pub draws: ChainDraws,
    /// The configuration comments before the header as `(key, value)` in file order, the value
    /// without CmdStan's ` (Default)` suffix (e.g. `("num_samples", "1000")`, `("seed", "42")`).
    pub config: Vec<(String, String)>,
    /// The `Elapsed Time` block, when present.
    pub elapsed: Option<Elapsed>,
}

impl CmdStanChain {
    /// First configuration value for `key`.
    pub fn config_value(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one CmdStan CSV file.
pub fn read_chain_csv(path: &Path) -> Result<CmdStanChain, CmdStanError> {
    let text = std::fs::read_to_string(path).map_err(|source| CmdStanError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    read_chain_csv_str(&text, path)
}

/// Reads the files of one run (one chain per file) into [`Draws`], checking that all name the
/// same parameters and have the same number of draws, and that no file and no chain id comes
/// twice (the same chain twice, or chains of two runs, would make R-hat meaningless). Also
/// returns the per-file details.
pub fn read_cmdstan_csvs<P: AsRef<Path>>(
    paths: &[P],
) -> Result<(Draws, Vec<CmdStanChain>), CmdStanError> {
    let mut seen: Vec<(PathBuf, PathBuf)> = vec![];
    for p in paths {
        let p = p.as_ref();
        let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        if let Some((first, _)) = seen.iter().find(|(_, c)| *c == canonical) {
            return Err(CmdStanError::Duplicate {
                file: p.to_path_buf(),
                what: format!(
                    "the same file as {} (each chain must be given once)",
                    first.display()
                ),
            });
        }
        seen.push((p.to_path_buf(), canonical));
    }
    let chains: Vec<CmdStanChain> = paths
        .iter()
        .map(|p| read_chain_csv(p.as_ref()))
        .collect::<Result<_, _>>()?;
    let first = chains.first().ok_or(CmdStanError::NoFiles)?;
    for (i, c) in chains.iter().enumerate() {
        let Some(id) = c.config_value("id") else {
            continue;
        };
        if let Some(other) = chains[..i]
            .iter()
            .find(|o| o.config_value("id") == Some(id))
        {
            return Err(CmdStanError::Duplicate {
                file: c.file.clone(),
                what: format!(
                    "chain id {id} again (also in {}): the same chain twice, or chains of different runs",
                    other.file.display()
                ),
            });
        }
    }
    for c in &chains[1..] {
        if c.param_names != first.param_names {
            let detail = if c.param_names.len() != first.param_names.len() {
                format!(
                    "{} parameters instead of {}",
                    c.param_names.len(),
                    first.param_names.len()
                )
            } else {
                let (a, b) = c
                    .param_names
                    .iter()
                    .zip(&first.param_names)
                    .find(|(a, b)| a != b)
                    .unwrap();
                format!("column {a} where the first file has {b}")
            };
            return Err(CmdStanError::DifferentParameters {
                file: c.file.clone(),
                first_file: first.file.clone(),
                detail,
            });
        }
        if c.draws.stats.len() != first.draws.stats.len() {
            return Err(CmdStanError::DifferentLengths {
                file: c.file.clone(),
                first_file: first.file.clone(),
                got: c.draws.stats.len(),
                expected: first.draws.stats.len(),
            });
        }
    }
    let draws = Draws::new(
        first.param_names.clone(),
        chains.iter().map(|c| c.draws.clone()).collect(),
    )
    .expect("chains checked for equal parameters and lengths");
    Ok((draws, chains))
}

/// What the comment lines after the header are telling us.
enum Pending {
    None,
    DiagMass,
    DenseMass { row: usize },
}

/// Parses CmdStan CSV text; `file` names it in errors.
pub fn read_chain_csv_str(
    text: &str,
    file: impl AsRef<Path>,
) -> Result<CmdStanChain, CmdStanError> {
    let file = file.as_ref().to_path_buf();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = CmdStanChain {
        file: file.clone(),
        ..Default::default()
    };
    let mut header: Option<Vec<String>> = None;
    let mut stat_index: [Option<usize>; 7] = [None; 7];
    let mut param_cols: Vec<usize> = vec![];
    let mut adaptation_seen = false;
    let mut pending = Pending::None;
    let mut dense_diag: Vec<f64> = vec![];
    let mut rows: Vec<(Vec<f64>, DrawStats)> = vec![];
    let mut warmup_rows_at_adaptation: Option<usize> = None;
    let mut elapsed = Elapsed::default();
    let mut elapsed_seen = false;
    let mut last_line = 0;

    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        last_line = line_no;
        let line = raw.trim_end_matches('\r');
        if let Some(comment) = line.strip_prefix('#') {
            let c = comment.trim();
            if header.is_none() {
                if let Some((k, v)) = c.split_once('=') {
                    let v = v.trim();
                    let v = v.strip_suffix("(Default)").unwrap_or(v).trim();
                    out.config.push((k.trim().to_string(), v.to_string()));
                }
                continue;
            }
            // After the header: adaptation info and timing.
            if c == "Adaptation terminated" {
                adaptation_seen = true;
                warmup_rows_at_adaptation = Some(rows.len());
                continue;
            }
            if let Some(v) = c.strip_prefix("Step size =") {
                let s = v
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| CmdStanError::Adaptation {
                        file: file.clone(),
                        line: line_no,
                        message: format!("step size {:?} is not a number", v.trim()),
                    })?;
                out.draws.adapted_step_size = Some(s);
                continue;
            }
            if c.starts_with("Diagonal elements of inverse mass matrix") {
                pending = Pending::DiagMass;
                continue;
            }
            if c.starts_with("Elements of inverse mass matrix") {
                pending = Pending::DenseMass { row: 0 };
                continue;
            }
            if let Some(rest) = c.strip_prefix("Elapsed Time:") {
                elapsed_seen = true;
                parse_elapsed(rest, &mut elapsed);
                continue;
            }
            if elapsed_seen && c.ends_with(')') && c.contains("seconds") {
                parse_elapsed(c, &mut elapsed);
                continue;
            }
            match pending {
                Pending::DiagMass if !c.is_empty() => {
                    out.draws.inv_mass_diag = Some(parse_numbers(c, &file, line_no)?);
                    pending = Pending::None;
                }
                Pending::DenseMass { row }
                    if !c.is_empty() && c.contains(|ch: char| ch.is_ascii_digit()) =>
                {
                    let vals = parse_numbers(c, &file, line_no)?;
                    let v = *vals.get(row).ok_or_else(|| CmdStanError::Adaptation {
                        file: file.clone(),
                        line: line_no,
                        message: format!(
                            "dense inverse mass matrix row {} has only {} entries",
                            row + 1,
                            vals.len()
                        ),
                    })?;
                    dense_diag.push(v);
                    if row + 1 == vals.len() {
                        out.draws.inv_mass_diag = Some(std::mem::take(&mut dense_diag));
                        pending = Pending::None;
                    } else {
                        pending = Pending::DenseMass { row: row + 1 };
                    }
                }
                _ => {}
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some(cols) = &header else {
            if cells
                .iter()
                .any(|c| c.is_empty() || c.parse::<f64>().is_ok())
            {
                return Err(CmdStanError::MissingHeader {
                    file,
                    line: line_no,
                    found: truncate(line),
                });
            }
            for (j, c) in cells.iter().enumerate() {
                if cells[..j].contains(c) {
                    return Err(CmdStanError::DuplicateColumn {
                        file,
                        line: line_no,
                        column: c.to_string(),
                    });
                }
                if let Some(k) = super::STAT_COLUMNS.iter().position(|s| s == c) {
                    stat_index[k] = Some(j);
                } else if !c.ends_with("__") {
                    param_cols.push(j);
                    out.param_names.push(from_cmdstan_name(c));
                }
            }
            header = Some(cells.iter().map(|c| c.to_string()).collect());
            continue;
        };
        if cells.len() != cols.len() {
            return Err(CmdStanError::Ragged {
                file,
                line: line_no,
                expected: cols.len(),
                got: cells.len(),
            });
        }
        let mut nums = Vec::with_capacity(cells.len());
        for (j, c) in cells.iter().enumerate() {
            nums.push(c.parse::<f64>().map_err(|_| CmdStanError::NotANumber {
                file: file.clone(),
                line: line_no,
                column: cols[j].clone(),
                value: c.to_string(),
                expected: "number",
            })?);
        }
        let stat = |k: usize| stat_index[k].map(|j| nums[j]);
        let int = |k: usize, what: &'static str| -> Result<u64, CmdStanError> {
            match stat(k) {
                None => Ok(0),
                Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 1e15 => Ok(v as u64),
                Some(_) => Err(CmdStanError::NotANumber {
                    file: file.clone(),
                    line: line_no,
                    column: super::STAT_COLUMNS[k].to_string(),
                    value: cells[stat_index[k].unwrap()].to_string(),
                    expected: what,
                }),
            }
        };
        let divergent = match stat(5) {
            None => false,
            Some(v) if v == 0.0 || v == 1.0 => v == 1.0,
            Some(_) => {
                return Err(CmdStanError::NotANumber {
                    file,
                    line: line_no,
                    column: "divergent__".into(),
                    value: cells[stat_index[5].unwrap()].to_string(),
                    expected: "0 or 1",
                });
            }
        };
        let s = DrawStats {
            lp: stat(0).unwrap_or(f64::NAN),
            accept_stat: stat(1).unwrap_or(f64::NAN),
            step_size: stat(2).unwrap_or(f64::NAN),
            tree_depth: int(3, "non-negative integer")?,
            n_leapfrog: int(4, "non-negative integer")?,
            divergent,
            energy: stat(6).unwrap_or(f64::NAN),
        };
        rows.push((param_cols.iter().map(|&j| nums[j]).collect(), s));
    }
    if header.is_none() {
        return Err(CmdStanError::MissingHeader {
            file,
            line: last_line + 1,
            found: "end of file".into(),
        });
    }
    // Warmup rows: those before "# Adaptation terminated"; without that comment, the first
    // `num_warmup` rows when the config says `save_warmup = 1` (e.g. adaptation switched off).
    let save_warmup = matches!(out.config_value("save_warmup"), Some("1" | "true"));
    let num_warmup = if adaptation_seen {
        warmup_rows_at_adaptation.unwrap_or(0)
    } else if save_warmup {
        out.config_value("num_warmup")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
            .min(rows.len())
    } else {
        0
    };
    for (k, (vals, s)) in rows.into_iter().enumerate() {
        if k < num_warmup {
            out.draws.warmup_values.extend(vals);
            out.draws.warmup_stats.push(s);
        } else {
            out.draws.values.extend(vals);
            out.draws.stats.push(s);
        }
    }
    if elapsed_seen {
        out.elapsed = Some(elapsed);
    }
    if let Some(expected) = expected_draws(&out) {
        let got = out.draws.stats.len();
        if got != expected {
            return Err(CmdStanError::WrongDrawCount {
                file,
                expected,
                got,
            });
        }
    }
    Ok(out)
}

/// Post-warmup rows the header announces: `ceil(num_samples / thin)`; `None` without a
/// readable `num_samples`.
fn expected_draws(c: &CmdStanChain) -> Option<usize> {
    let n: usize = c.config_value("num_samples")?.parse().ok()?;
    let thin: usize = c
        .config_value("thin")
        .and_then(|t| t.parse().ok())
        .filter(|t| *t > 0)
        .unwrap_or(1);
    Some(n.div_ceil(thin))
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

fn truncate(s: &str) -> String {
    let t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        format!("{t:?}…")
    } else {
        format!("{t:?}")
    }
}
