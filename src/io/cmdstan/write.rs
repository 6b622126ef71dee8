//! Writing CmdStan CSV.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CmdStanError, STAT_COLUMNS, to_cmdstan_name};
use crate::{ChainDraws, Draws};

/// Run facts written into the comment block of every chain's CSV (CmdStan's layout). All fields
/// are optional in the sense that defaults give a valid file.
#[derive(Debug, Clone, PartialEq)]
pub struct CmdStanMeta {
    /// Model name (`# model = ...`).
    pub model: String,
    /// flowpost's sampling method, e.g. `"neutra"` or `"nuts"` (`# flowpost_method = ...`).
    pub method: String,
    /// Seed of the run (`# seed = ...` under `random`).
    pub seed: Option<u64>,
    /// Warmup iterations per chain (`num_warmup`).
    pub num_warmup: usize,
    /// Maximum tree depth (`max_depth`).
    pub max_depth: u64,
    /// Seconds of warmup and sampling per chain, written as CmdStan's `Elapsed Time` block.
    pub seconds: Option<(f64, f64)>,
    /// Write the warmup draws (`save_warmup = 1`) before the adaptation block, as CmdStan
    /// does; only when the chain has them (`warmup_values` for every `warmup_stats` row).
    pub save_warmup: bool,
    /// More `# key = value` lines, written after flowpost's own.
    pub extra: Vec<(String, String)>,
    /// Added to every chain's number: [`write_cmdstan_csvs`] writes chain k (0-based) of the
    /// draws as `chain_{offset + k + 1}.csv` with `id = offset + k + 1` — the chain's number in
    /// the whole run when the draws are a shard of it (0 otherwise).
    pub chain_id_offset: usize,
}

impl Default for CmdStanMeta {
    fn default() -> Self {
        CmdStanMeta {
            model: "flowpost_model".into(),
            method: "nuts".into(),
            seed: None,
            num_warmup: 1000,
            max_depth: 10,
            seconds: None,
            save_warmup: false,
            extra: vec![],
            chain_id_offset: 0,
        }
    }
}

/// Formats a number the way flowpost writes CSV: the shortest decimal string that parses back to
/// the identical `f64`; plain notation for `1e-5 ≤ |x| < 1e16` and zero, exponent notation
/// otherwise; `nan`, `inf`, `-inf` as CmdStan writes them.
///
/// ```
/// use flowpost::io::cmdstan::format_number;
/// assert_eq!(format_number(0.1), "0.1");
/// assert_eq!(format_number(-2.5e-9), "-2.5e-9");
/// assert_eq!(format_number(f64::NAN), "nan");
/// let x = 0.1 + 0.2;
/// assert_eq!(format_number(x).parse::<f64>().unwrap(), x);
/// ```
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf".into() } else { "-inf".into() }
    } else if x == 0.0 || (1e-5..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Writes one chain (post-warmup draws) as CmdStan CSV. `chain_id` is 1-based, as CmdStan's `id`.
///
/// The comment block mirrors CmdStan's (`method = sample`, `num_samples`, `num_warmup`,
/// `save_warmup = 0`, `algorithm = hmc`, `engine = nuts`, `max_depth`, `metric = diag_e`, `id`,
/// `seed`), plus `flowpost_version` and `flowpost_method`; after the header come
/// `# Adaptation terminated`, `# Step size = ...` and `# Diagonal elements of inverse mass
/// matrix:` when the chain has them, and the `Elapsed Time` block at the end when `meta.seconds`
/// is set.
#[track_caller]
pub fn write_chain_csv<W: Write>(
    mut out: W,
    param_names: &[String],
    chain: &ChainDraws,
    meta: &CmdStanMeta,
    chain_id: usize,
) -> std::io::Result<()> {
    let p = param_names.len();
    assert_eq!(
        chain.values.len(),
        chain.stats.len() * p,
        "chain values do not match stats × parameters"
    );
    let save_warmup = meta.save_warmup
        && !chain.warmup_stats.is_empty()
        && chain.warmup_values.len() == chain.warmup_stats.len() * p;
    let mut w = std::io::BufWriter::new(&mut out);
    writeln!(w, "# model = {}", meta.model)?;
    writeln!(w, "# method = sample (Default)")?;
    writeln!(w, "#   sample")?;
    writeln!(w, "#     num_samples = {}", chain.stats.len())?;
    writeln!(w, "#     num_warmup = {}", meta.num_warmup)?;
    writeln!(w, "#     save_warmup = {}", u8::from(save_warmup))?;
    writeln!(w, "#     thin = 1 (Default)")?;
    writeln!(w, "#     adapt")?;
    writeln!(w, "#       engaged = 1 (Default)")?;
    writeln!(w, "#     algorithm = hmc (Default)")?;
    writeln!(w, "#       hmc")?;
    writeln!(w, "#         engine = nuts (Default)")?;
    writeln!(w, "#           nuts")?;
    writeln!(w, "#             max_depth = {}", meta.max_depth)?;
    writeln!(w, "#         metric = diag_e (Default)")?;
    writeln!(w, "#     num_chains = 1 (Default)")?;
    writeln!(w, "# id = {chain_id}")?;
    writeln!(w, "# random")?;
    match meta.seed {
        Some(s) => writeln!(w, "#   seed = {s}")?,
        None => writeln!(w, "#   seed = -1 (Default)")?,
    }
    writeln!(w, "# flowpost_version = {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(w, "# flowpost_method = {}", meta.method)?;
    for (k, v) in &meta.extra {
        writeln!(w, "# {k} = {v}")?;
    }
    let mut header: Vec<String> = STAT_COLUMNS.iter().map(|s| s.to_string()).collect();
    header.extend(param_names.iter().map(|n| to_cmdstan_name(n)));
    writeln!(w, "{}", header.join(","))?;
    let mut line = String::new();
    if save_warmup {
        for (s, v) in chain.warmup_stats.iter().zip(chain.warmup_values.chunks(p)) {
            draw_line(&mut line, s, v);
            writeln!(w, "{line}")?;
        }
    }
    if chain.adapted_step_size.is_some() || chain.inv_mass_diag.is_some() {
        writeln!(w, "# Adaptation terminated")?;
    }
    if let Some(s) = chain.adapted_step_size {
        writeln!(w, "# Step size = {}", format_number(s))?;
    }
    if let Some(m) = &chain.inv_mass_diag {
        writeln!(w, "# Diagonal elements of inverse mass matrix:")?;
        let cells: Vec<String> = m.iter().map(|v| format_number(*v)).collect();
        writeln!(w, "# {}", cells.join(", "))?;
    }
    for (d, s) in chain.stats.iter().enumerate() {
        draw_line(&mut line, s, &chain.values[d * p..(d + 1) * p]);
        writeln!(w, "{line}")?;
    }
    if let Some((warm, samp)) = meta.seconds {
        writeln!(w, "# ")?;
        writeln!(w, "#  Elapsed Time: {warm:.6} seconds (Warm-up)")?;
        writeln!(w, "#                {samp:.6} seconds (Sampling)")?;
        writeln!(w, "#                {:.6} seconds (Total)", warm + samp)?;
        writeln!(w, "# ")?;
    }
    w.flush()
}

/// One CSV row: the sampler statistics, then the parameter values.
fn draw_line(line: &mut String, s: &crate::DrawStats, values: &[f64]) {
    line.clear();
    for v in [s.lp, s.accept_stat, s.step_size] {
        line.push_str(&format_number(v));
        line.push(',');
    }
    line.push_str(&format!(
        "{},{},{},",
        s.tree_depth,
        s.n_leapfrog,
        u8::from(s.divergent)
    ));
    line.push_str(&format_number(s.energy));
    for v in values {
        line.push(',');
        line.push_str(&format_number(*v));
    }
}

/// Why `names` cannot be CmdStan CSV column names, if they cannot: an empty name, a comma
/// outside the brackets (`Sigma[1,2]` is fine: its column is `Sigma.1.2`), a quote, `#` or
/// line break (they would split or break the header), a trailing `__` (readers
/// take those columns for sampler statistics), or two names with the same column
/// (`theta[1]` and `theta.1`).
///
/// ```
/// use flowpost::io::cmdstan::check_names;
/// assert!(check_names(&["mu".into(), "theta[1]".into(), "Sigma[1,2]".into()]).is_ok());
/// assert!(check_names(&["a,b".into()]).unwrap_err().contains("comma"));
/// assert!(check_names(&["x".into(), "x".into()]).unwrap_err().contains("twice"));
/// assert!(check_names(&["energy__".into()]).unwrap_err().contains("__"));
/// ```
pub fn check_names(names: &[String]) -> Result<(), String> {
    let mut seen = std::collections::HashMap::new();
    for (i, n) in names.iter().enumerate() {
        let bad = |why: &str| Err(format!("parameter name {} ({n:?}) {why}", i + 1));
        let column = to_cmdstan_name(n);
        if column.trim().is_empty() {
            return bad("is empty");
        }
        if column.contains(',') {
            return bad("contains a comma outside brackets, which would split its CSV column");
        }
        if column.contains(['\n', '\r', '"', '#']) {
            return bad("contains a line break, quote or '#'");
        }
        if column.ends_with("__") {
            return bad("ends in `__`, which CSV readers take for a sampler statistic");
        }
        if let Some(first) = seen.insert(column.clone(), n) {
            return bad(&format!(
                "appears twice: it and {first:?} are both column {column}"
            ));
        }
    }
    Ok(())
}

/// Writes `chain_1.csv` … `chain_K.csv` into `dir` (created if missing), each atomically, and
/// returns their paths (numbered from `meta.chain_id_offset + 1` for a shard of a run). Parameter names that would not read back ([`check_names`]) are an
/// error.
///
/// ```no_run
/// # use flowpost::{Draws, io::cmdstan::{CmdStanMeta, write_cmdstan_csvs}};
/// # let draws = Draws::default();
/// let files = write_cmdstan_csvs(std::path::Path::new("out"), &draws, &CmdStanMeta::default())?;
/// # Ok::<(), flowpost::io::cmdstan::CmdStanError>(())
/// ```
pub fn write_cmdstan_csvs(
    dir: &Path,
    draws: &Draws,
    meta: &CmdStanMeta,
) -> Result<Vec<PathBuf>, CmdStanError> {
    std::fs::create_dir_all(dir).map_err(|source| CmdStanError::Io {
        file: dir.to_path_buf(),
        source,
    })?;
    let mut files = vec![];
    check_names(&draws.param_names).map_err(|message| CmdStanError::BadNames {
        file: dir.to_path_buf(),
        message,
    })?;
    for (i, chain) in draws.chains.iter().enumerate() {
        let id = meta.chain_id_offset + i + 1;
        let file = dir.join(format!("chain_{id}.csv"));
        crate::io::atomic::write_atomic(&file, |w| {
            write_chain_csv(w, &draws.param_names, chain, meta, id)
        })
        .map_err(|e| CmdStanError::Io {
            file: file.clone(),
            source: e.into_io_error(),
        })?;
        files.push(file);
    }
    Ok(files)
}
