//! Reading CmdStan CSV (CmdStan's own output and flowpost's).

use std::path::{Path, PathBuf};

use super::CmdStanError;
use super::columns::Header;
use super::comments::Comments;
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
    let mut header: Option<Header> = None;
    let mut comments = Comments::new();
    let mut rows: Vec<(Vec<f64>, DrawStats)> = vec![];
    let mut last_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        last_line = line_no;
        let line = raw.trim_end_matches('\r');
        if let Some(comment) = line.strip_prefix('#') {
            let c = comment.trim();
            if header.is_none() {
                // The configuration block: `key = value (Default)`.
                if let Some((k, v)) = c.split_once('=') {
                    let v = v.trim();
                    let v = v.strip_suffix("(Default)").unwrap_or(v).trim();
                    out.config.push((k.trim().to_string(), v.to_string()));
                }
            } else {
                comments.read(c, rows.len(), &mut out, &file, line_no)?;
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        match &header {
            None => {
                let (h, names) = Header::parse(line, &cells, &file, line_no)?;
                out.param_names = names;
                header = Some(h);
            }
            Some(h) => rows.push(h.parse_draw(&cells, &file, line_no)?),
        }
    }
    if header.is_none() {
        return Err(CmdStanError::MissingHeader {
            file,
            line: last_line + 1,
            found: "end of file".into(),
        });
    }
    split_warmup(&mut out, rows, comments.adaptation_row);
    out.elapsed = comments.elapsed;
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

/// Puts the warmup rows — those before "# Adaptation terminated" (`adaptation_row`); without
/// that comment, the first `num_warmup` rows when the config says `save_warmup = 1` (e.g.
/// adaptation switched off) — into the warmup draws, the rest into the draws.
fn split_warmup(
    out: &mut CmdStanChain,
    rows: Vec<(Vec<f64>, DrawStats)>,
    adaptation_row: Option<usize>,
) {
    let save_warmup = matches!(out.config_value("save_warmup"), Some("1" | "true"));
    let num_warmup = match adaptation_row {
        Some(n) => n,
        None if save_warmup => out
            .config_value("num_warmup")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
            .min(rows.len()),
        None => 0,
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

pub(super) fn truncate(s: &str) -> String {
    let t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        format!("{t:?}…")
    } else {
        format!("{t:?}")
    }
}
