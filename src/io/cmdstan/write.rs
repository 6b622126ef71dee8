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
    /// More `# key = value` lines, written after flowpost's own.
    pub extra: Vec<(String, String)>,
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
            extra: vec![],
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
    let mut w = std::io::BufWriter::new(&mut out);
    writeln!(w, "# model = {}", meta.model)?;
    writeln!(w, "# method = sample (Default)")?;
    writeln!(w, "#   sample")?;
    writeln!(w, "#     num_samples = {}", chain.stats.len())?;
    writeln!(w, "#     num_warmup = {}", meta.num_warmup)?;
    writeln!(w, "#     save_warmup = 0")?;
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
    let mut line = String::new();
    for (d, s) in chain.stats.iter().enumerate() {
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
        for v in &chain.values[d * p..(d + 1) * p] {
            line.push(',');
            line.push_str(&format_number(*v));
        }
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

/// Writes `chain_1.csv` … `chain_K.csv` into `dir` (created if missing) and returns their paths.
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
    for (i, chain) in draws.chains.iter().enumerate() {
        let file = dir.join(format!("chain_{}.csv", i + 1));
        let io = |source| CmdStanError::Io {
            file: file.clone(),
            source,
        };
        let f = std::fs::File::create(&file).map_err(io)?;
        write_chain_csv(f, &draws.param_names, chain, meta, i + 1).map_err(io)?;
        files.push(file);
    }
    Ok(files)
}
