//! The HTML page: a minijinja template filled with the tables and inline SVG plots.

use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::plots;
use super::text::{TABLE_COLUMNS, format_sig, table_cells};
use super::{ReportError, ReportInput, ReportSettings, ReportVi, RunFacts};
use crate::diagnostics::{DiagnosticWarning, ParamSummary, e_bfmi};

const TEMPLATE: &str = include_str!("report.html.j2");
/// The pages' shared style sheet (inlined into each page).
pub(crate) const STYLE: &str = include_str!("style.css");

#[derive(Serialize)]
struct Row {
    name: String,
    cells: Vec<String>,
    bad_rhat: bool,
    bad_bulk: bool,
    bad_tail: bool,
}

#[derive(Serialize)]
struct ParamPlots {
    name: String,
    trace: Value,
    rank: Value,
}

#[derive(Serialize)]
struct WarningView {
    kind: &'static str,
    message: String,
    advice: &'static str,
}

fn safe(svg: String) -> Value {
    Value::from_safe_string(svg)
}

/// Renders `report.html` from the input, its summary and its warnings (see
/// [`render_report`](super::render_report) to compute those too). The page reads top to bottom
/// as the pieces below: facts and warnings, the summary table, the variational fit, the modes,
/// the sampler's plots, the pair plot, then trace and rank plots per parameter.
pub fn render_html(
    input: &ReportInput,
    summary: &[ParamSummary],
    warnings: &[DiagnosticWarning],
) -> Result<String, ReportError> {
    let draws = input.draws;
    let s = &input.settings;
    let ess_threshold = s.warnings.min_ess_per_chain * draws.num_chains() as f64;
    let divergent: Vec<Vec<bool>> = draws
        .chains
        .iter()
        .map(|c| c.stats.iter().map(|d| d.divergent).collect())
        .collect();
    let shown = shown_params(summary, s);
    let front = param_plots(draws, &shown.front, &divergent, s.max_trace_points)?;
    let rest = param_plots(draws, &shown.rest, &divergent, s.max_trace_points.min(250))?;
    let num_not_plotted = summary.len() - shown.front.len() - shown.rest.len();
    let pair_idx = super::pairs::choose_pairs(draws, summary, s.num_pair_params, &s.pair_params);
    let pair = pair_plot(draws, &pair_idx, &divergent)?;

    let mut env = Environment::new();
    env.add_template("style.css", STYLE)
        .map_err(|e| ReportError::Template(e.to_string()))?;
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| ReportError::Template(e.to_string()))?;
    let tmpl = env
        .get_template("report.html")
        .map_err(|e| ReportError::Template(e.to_string()))?;
    let page = context! {
        title => input.title,
        version => env!("CARGO_PKG_VERSION"),
        facts => facts_rows(&input.run),
        warnings => warnings.iter().map(WarningView::of).collect::<Vec<_>>(),
        columns => TABLE_COLUMNS,
        rhat_max => s.warnings.max_r_hat,
        ess_min => format!("{ess_threshold:.0}"),
        ess_per_chain => format!("{:.0}", s.warnings.min_ess_per_chain),
        rows => table_rows(summary, s, ess_threshold),
        vi => input.vi.as_ref().map(vi_section).transpose()?,
        modes => input.run.multimodal.as_ref().map(super::modes::modes_view),
        pair => pair,
        pair_names => pair_idx.iter().map(|&i| draws.param_names[i].clone()).collect::<Vec<_>>(),
        all_shown => shown.all,
        front => front,
        rest => rest,
        num_not_plotted => num_not_plotted,
        chain_colors => (0..draws.num_chains()).map(plots::chain_hex).collect::<Vec<_>>(),
    };
    tmpl.render(context! { ..page, ..sampler_section(draws, s)? })
        .map_err(|e| ReportError::Template(e.to_string()))
}

impl WarningView {
    fn of(w: &DiagnosticWarning) -> WarningView {
        WarningView {
            kind: w.kind(),
            message: w.message(),
            advice: w.advice(),
        }
    }
}

/// The summary table's rows, with the cells past their thresholds flagged.
fn table_rows(summary: &[ParamSummary], s: &ReportSettings, ess_threshold: f64) -> Vec<Row> {
    summary
        .iter()
        .map(|p| Row {
            name: p.name.clone(),
            cells: table_cells(p).to_vec(),
            bad_rhat: p.r_hat > s.warnings.max_r_hat,
            bad_bulk: p.ess_bulk.is_nan() || p.ess_bulk < ess_threshold,
            bad_tail: p.ess_tail.is_nan() || p.ess_tail < ess_threshold,
        })
        .collect()
}

/// Which parameters get trace and rank plots up front and which in the collapsed section.
struct Shown {
    /// Every parameter is up front.
    all: bool,
    front: Vec<usize>,
    rest: Vec<usize>,
}

/// All parameters up front when there are few; else the worst-mixing ones (lowest min(bulk,
/// tail) ESS, NaN worst), the rest collapsed (at most `max_params_collapsed`), each in order.
fn shown_params(summary: &[ParamSummary], s: &ReportSettings) -> Shown {
    if summary.len() <= s.num_params_shown {
        return Shown {
            all: true,
            front: (0..summary.len()).collect(),
            rest: vec![],
        };
    }
    let mut order: Vec<usize> = (0..summary.len()).collect();
    let key = |i: usize| {
        let e = summary[i].ess_bulk.min(summary[i].ess_tail);
        if e.is_nan() { f64::NEG_INFINITY } else { e }
    };
    order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    let mut front = order[..s.num_params_shown].to_vec();
    front.sort();
    let mut rest = order[s.num_params_shown..].to_vec();
    rest.sort();
    rest.truncate(s.max_params_collapsed);
    Shown {
        all: false,
        front,
        rest,
    }
}

/// Trace (divergent draws marked) and rank plots of the parameters `idx`.
fn param_plots(
    draws: &crate::Draws,
    idx: &[usize],
    divergent: &[Vec<bool>],
    max_points: usize,
) -> Result<Vec<ParamPlots>, ReportError> {
    idx.iter()
        .map(|&i| {
            let x = draws.param(i);
            let name = &draws.param_names[i];
            Ok(ParamPlots {
                name: name.clone(),
                trace: safe(plots::trace_plot(name, &x, divergent, max_points)?),
                rank: safe(plots::rank_plot(name, &x)?),
            })
        })
        .collect()
}

/// The pair plot of the chosen parameters (none for fewer than two).
fn pair_plot(
    draws: &crate::Draws,
    pair_idx: &[usize],
    divergent: &[Vec<bool>],
) -> Result<Option<Value>, ReportError> {
    if pair_idx.len() < 2 {
        return Ok(None);
    }
    let params: Vec<(String, Vec<f64>)> = pair_idx
        .iter()
        .map(|&i| (draws.param_names[i].clone(), draws.param(i).concat()))
        .collect();
    Ok(Some(safe(plots::pair_plot(
        &params,
        &divergent.concat(),
        1500,
    )?)))
}

/// The sampler's plots: energy with E-BFMI per chain, step size (warmup and sampling), tree
/// depth.
fn sampler_section(draws: &crate::Draws, s: &ReportSettings) -> Result<Value, ReportError> {
    let energy = draws.stat(|d| d.energy);
    let bfmi = e_bfmi(&energy);
    let warm_step: Vec<Vec<f64>> = draws
        .chains
        .iter()
        .map(|c| c.warmup_stats.iter().map(|d| d.step_size).collect())
        .collect();
    let step = draws.stat(|d| d.step_size);
    let depths: Vec<Vec<u64>> = draws
        .chains
        .iter()
        .map(|c| c.stats.iter().map(|d| d.tree_depth).collect())
        .collect();
    Ok(context! {
        energy => safe(plots::energy_plot(&energy, &bfmi)?),
        bfmi => bfmi.iter().map(|b| format_sig(*b, 2)).collect::<Vec<_>>(),
        step => safe(plots::step_size_plot(&warm_step, &step)?),
        depth => safe(plots::tree_depth_plot(&depths, s.warnings.max_tree_depth)?),
    })
}

/// The variational fit: ELBO trace, k̂ and its verdict.
fn vi_section(v: &ReportVi) -> Result<Value, ReportError> {
    let k = v.pareto_k;
    let verdict = v.verdict();
    Ok(context! {
        elbo => safe(plots::elbo_plot(&v.elbo_trace)?),
        k_plot => safe(plots::pareto_k_plot(k)?),
        k => format_sig(k, 3),
        verdict => verdict.text(),
        dropped => v.dropped.clone(),
        class => verdict.class(),
        steps => v.num_steps,
        elbo_final => format_sig(v.summary().elbo, 5),
    })
}

/// The facts table on top: method (and auto's decision), chains × draws, divergences, and the
/// cost by phase ("–" where unknown).
fn facts_rows(run: &RunFacts) -> Vec<(&'static str, String)> {
    let opt_u = |v: Option<u64>| v.map_or("–".to_string(), |v| v.to_string());
    let opt_s = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.2} s"));
    let (g, t) = (&run.cost.num_grad_evals, &run.cost.seconds);
    let mut facts = vec![
        ("method", run.method.to_string()),
        (
            "chains × draws",
            format!("{} × {}", run.num_chains, run.num_draws_per_chain),
        ),
        ("divergences", run.num_divergent.to_string()),
        (
            "gradient evaluations (VI / warmup / sampling)",
            format!(
                "{} / {} / {}",
                opt_u(g.vi),
                opt_u(g.warmup),
                opt_u(g.sampling)
            ),
        ),
        (
            "seconds (VI / warmup / sampling / total)",
            format!(
                "{} / {} / {} / {}",
                opt_s(t.vi),
                opt_s(t.warmup),
                opt_s(t.sampling),
                opt_s(t.total)
            ),
        ),
    ];
    if let Some(auto) = &run.auto {
        facts.insert(1, ("auto's decision", auto.describe()));
    }
    facts
}
