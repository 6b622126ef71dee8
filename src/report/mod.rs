//! The run report: `summary.json`, the plain-text summary table with its warnings, and
//! `report.html` — one self-contained page (inline SVG, no scripts, no network) with the warnings
//! and summary table on top, then the NeuTra fit (ELBO, Pareto k-hat), the sampler (energy with
//! E-BFMI, step size, tree depth), a pair plot of the hardest parameters with divergent draws in
//! red, and trace and rank plots per parameter. The page needs the `report` feature (on by
//! default); without it a run still writes `summary.json` and prints the table.
//!
//! ```
//! use flowpost::report::{ReportInput, RunFacts, render_report};
//! use flowpost::{ChainDraws, DrawStats, Draws};
//! let chain = |k: u64| ChainDraws {
//!     values: (0..200).map(|i| (((i * 37 + k * 11) % 101) as f64).sin()).collect(),
//!     stats: (0..200).map(|i| DrawStats { energy: ((i * 13) % 7) as f64, step_size: 0.5, tree_depth: 2, ..Default::default() }).collect(),
//!     ..Default::default()
//! };
//! let draws = Draws::new(vec!["x".into()], vec![chain(0), chain(1)]).unwrap();
//! let input = ReportInput::new("demo", &draws, RunFacts::from_draws("nuts", &draws));
//! let (html, summary) = render_report(&input).unwrap();
//! assert!(html.contains("<svg") && summary.parameters[0].name == "x");
//! ```

mod facts;
#[cfg(feature = "report")]
mod modes;
#[cfg(all(feature = "npe", feature = "report"))]
mod npe;
#[cfg(feature = "report")]
mod page;
#[cfg(feature = "report")]
mod pairs;
#[cfg(feature = "report")]
mod plots;
mod summary;
mod text;
mod vi;

use std::path::{Path, PathBuf};

pub use facts::{RunFacts, RunMethod};
#[cfg(all(feature = "npe", feature = "report"))]
pub use npe::{NpePosterior, NpeReportInput, render_npe_report, write_npe_report};
#[cfg(feature = "report")]
pub use page::render_html;
pub use summary::{
    NestedRHatEntry, NestedRHatSummary, SUMMARY_FORMAT, SUMMARY_VERSION, SummaryFile,
    SummaryHeader, WarningEntry,
};
pub use text::{TABLE_COLUMNS, format_ess, format_sig, summary_table, table_cells, warnings_block};
pub use vi::{ReportVi, ViSummary};

use crate::Draws;
use crate::diagnostics::{DiagnosticWarning, WarningSettings, check_run, summarize};

/// How much the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// Warning thresholds (also used to color the summary table).
    pub warnings: WarningSettings,
    /// Parameters with trace and rank plots shown up front: all when the model has at most this
    /// many, else the worst-mixing ones by min(bulk, tail) ESS; the rest go in a collapsed
    /// section (default 12).
    pub num_params_shown: usize,
    /// Most parameters in the collapsed section (default 300); beyond, only the table lists them.
    pub max_params_collapsed: usize,
    /// Parameters in the pair plot (default 4): those most associated with divergences, the
    /// lowest-ESS ones, each with its strongest partner.
    pub num_pair_params: usize,
    /// Parameters the pair plot must show (by name), before the chosen ones.
    pub pair_params: Vec<String>,
    /// Points per chain in the trace plots up front (default 1000; 250 in the collapsed section).
    pub max_trace_points: usize,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            warnings: WarningSettings::default(),
            num_params_shown: 12,
            max_params_collapsed: 300,
            num_pair_params: 4,
            pair_params: Vec::new(),
            max_trace_points: 1000,
        }
    }
}

/// Everything the report needs. The lead's `sample` fills it after a run; `diagnose` from CSV
/// files.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// Page title, e.g. the model name.
    pub title: String,
    /// The draws and sampler statistics.
    pub draws: &'a Draws,
    /// Run facts (method, seconds, gradient evaluations).
    pub run: RunFacts,
    /// The variational fit, for NeuTra runs.
    pub vi: Option<ReportVi>,
    /// What to show.
    pub settings: ReportSettings,
}

impl<'a> ReportInput<'a> {
    /// Input with default settings and no VI section.
    pub fn new(title: &str, draws: &'a Draws, run: RunFacts) -> Self {
        ReportInput {
            title: title.to_string(),
            draws,
            run,
            vi: None,
            settings: ReportSettings::default(),
        }
    }
}

/// What went wrong producing the report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A plot could not be drawn.
    #[error("drawing a plot failed: {0}")]
    Plot(String),
    /// The page template failed.
    #[error("rendering report.html failed: {0}")]
    Template(String),
    /// Writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Computes the summary and warnings and renders the page: `(html, summary.json contents)`.
#[cfg(feature = "report")]
pub fn render_report(input: &ReportInput) -> Result<(String, SummaryFile), ReportError> {
    let (file, warnings) = summarize_run(input);
    let html = render_html(input, &file.parameters, &warnings)?;
    Ok((html, file))
}

/// The contents of `summary.json` and the warnings, most serious first: the diagnostics of the
/// draws, then the flow's fit, auto's decision and the modes.
pub fn summarize_run(input: &ReportInput) -> (SummaryFile, Vec<DiagnosticWarning>) {
    let parameters = summarize(input.draws);
    let mut warnings = check_run(input.draws, &parameters, &input.settings.warnings);
    warnings.extend(input.vi.as_ref().and_then(ReportVi::warning));
    warnings.extend(
        input
            .run
            .auto
            .as_ref()
            .map(crate::auto::AutoReport::warnings)
            .unwrap_or_default(),
    );
    warnings.extend(
        input
            .run
            .multimodal
            .as_ref()
            .and_then(crate::multimodal::MultimodalReport::warning),
    );
    let file = SummaryFile {
        header: SummaryHeader::default(),
        warnings: warnings.iter().map(WarningEntry::from).collect(),
        parameters,
        run: input.run.clone(),
        vi: input.vi.as_ref().map(ReportVi::summary),
        nested_r_hat: None,
    };
    (file, warnings)
}

/// Writes `summary.json` and `report.html` (with the `report` feature) into `dir` (created if
/// missing), each atomically; returns the summary and the warnings, e.g. to print them.
pub fn write_report(
    dir: &Path,
    input: &ReportInput,
) -> Result<(SummaryFile, Vec<DiagnosticWarning>), ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let (file, warnings) = summarize_run(input);
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        crate::io::atomic::write_string_atomic(&p, text).map_err(|e| ReportError::Io {
            path: p.clone(),
            source: e.into_io_error(),
        })
    };
    write("summary.json", &file.to_json())?;
    #[cfg(feature = "report")]
    write(
        "report.html",
        &render_html(input, &file.parameters, &warnings)?,
    )?;
    Ok((file, warnings))
}
