//! The HTML page: a minijinja template filled with the tables and inline SVG plots.

use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::plots;
use super::text::{TABLE_COLUMNS, format_sig, table_cells};
use super::{ReportError, ReportInput};
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
/// [`render_report`](super::render_report) to compute those too).
pub fn render_html(
    input: &ReportInput,
    summary: &[ParamSummary],
    warnings: &[DiagnosticWarning],
) -> Result<String, ReportError> {
    let draws = input.draws;
    let s = &input.settings;
    let ess_threshold = s.warnings.min_ess_per_chain * draws.num_chains() as f64;
    let rows: Vec<Row> = summary
        .iter()
        .map(|p| Row {
            name: p.name.clone(),
            cells: table_cells(p).to_vec(),
            bad_rhat: p.r_hat > s.warnings.max_r_hat,
            bad_bulk: p.ess_bulk.is_nan() || p.ess_bulk < ess_threshold,
            bad_tail: p.ess_tail.is_nan() || p.ess_tail < ess_threshold,
        })
        .collect();

    // Parameters ordered worst-mixing first (NaN ESS counts as worst).
    let mut order: Vec<usize> = (0..summary.len()).collect();
    let key = |i: usize| {
        let e = summary[i].ess_bulk.min(summary[i].ess_tail);
        if e.is_nan() { f64::NEG_INFINITY } else { e }
    };
    order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    let all_shown = summary.len() <= s.num_params_shown;
    let (front, rest): (Vec<usize>, Vec<usize>) = if all_shown {
        ((0..summary.len()).collect(), vec![])
    } else {
        let mut front = order[..s.num_params_shown].to_vec();
        front.sort();
        let mut rest = order[s.num_params_shown..].to_vec();
        rest.sort();
        rest.truncate(s.max_params_collapsed);
        (front, rest)
    };
    let divergent: Vec<Vec<bool>> = draws
        .chains
        .iter()
        .map(|c| c.stats.iter().map(|d| d.divergent).collect())
        .collect();
    let param_plots = |idx: &[usize], max_points: usize| -> Result<Vec<ParamPlots>, ReportError> {
        idx.iter()
            .map(|&i| {
                let x = draws.param(i);
                let name = &draws.param_names[i];
                Ok(ParamPlots {
                    name: name.clone(),
                    trace: safe(plots::trace_plot(name, &x, &divergent, max_points)?),
                    rank: safe(plots::rank_plot(name, &x)?),
                })
            })
            .collect()
    };
    let front_plots = param_plots(&front, s.max_trace_points)?;
    let rest_plots = param_plots(&rest, s.max_trace_points.min(250))?;
    let num_not_plotted = summary.len() - front.len() - rest.len();

    let pair_idx = super::pairs::choose_pairs(draws, summary, s.num_pair_params, &s.pair_params);
    let pair = if pair_idx.len() >= 2 {
        let params: Vec<(String, Vec<f64>)> = pair_idx
            .iter()
            .map(|&i| (draws.param_names[i].clone(), draws.param(i).concat()))
            .collect();
        Some(safe(plots::pair_plot(&params, &divergent.concat(), 1500)?))
    } else {
        None
    };

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

    let vi = match &input.vi {
        Some(v) => {
            let k = v.pareto_k;
            let verdict = v.verdict();
            let (verdict, class) = (verdict.text(), verdict.class());
            Some(context! {
                elbo => safe(plots::elbo_plot(&v.elbo_trace)?),
                k_plot => safe(plots::pareto_k_plot(k)?),
                k => format_sig(k, 3),
                verdict => verdict,
                dropped => v.dropped.clone(),
                class => class,
                steps => v.num_steps,
                elbo_final => format_sig(v.summary().elbo, 5),
            })
        }
        None => None,
    };

    let run = &input.run;
    let opt_u = |v: Option<u64>| v.map_or("–".to_string(), |v| v.to_string());
    let opt_s = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.2} s"));
    let mut facts = vec![
        ("method", run.method.clone()),
        (
            "chains × draws",
            format!("{} × {}", run.chains, run.draws_per_chain),
        ),
        ("divergences", run.divergences.to_string()),
        (
            "gradient evaluations (VI / warmup / sampling)",
            format!(
                "{} / {} / {}",
                opt_u(run.grad_evals.vi),
                opt_u(run.grad_evals.warmup),
                opt_u(run.grad_evals.sampling)
            ),
        ),
        (
            "seconds (VI / warmup / sampling / total)",
            format!(
                "{} / {} / {} / {}",
                opt_s(run.seconds.vi),
                opt_s(run.seconds.warmup),
                opt_s(run.seconds.sampling),
                opt_s(run.seconds.total)
            ),
        ),
    ];
    if let Some(auto) = &run.auto {
        facts.insert(1, ("auto's decision", auto.describe()));
    }
    let warning_views: Vec<WarningView> = warnings
        .iter()
        .map(|w| WarningView {
            kind: w.kind(),
            message: w.message(),
            advice: w.advice(),
        })
        .collect();

    let mut env = Environment::new();
    env.add_template("style.css", STYLE)
        .map_err(|e| ReportError::Template(e.to_string()))?;
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| ReportError::Template(e.to_string()))?;
    let tmpl = env
        .get_template("report.html")
        .map_err(|e| ReportError::Template(e.to_string()))?;
    tmpl.render(context! {
        title => input.title,
        version => env!("CARGO_PKG_VERSION"),
        facts => facts,
        warnings => warning_views,
        columns => TABLE_COLUMNS,
        rhat_max => s.warnings.max_r_hat,
        ess_min => format!("{ess_threshold:.0}"),
        ess_per_chain => format!("{:.0}", s.warnings.min_ess_per_chain),
        rows => rows,
        vi => vi,
        modes => input.run.multimodal.as_ref().map(super::modes::modes_view),
        energy => safe(plots::energy_plot(&energy, &bfmi)?),
        bfmi => bfmi.iter().map(|b| format_sig(*b, 2)).collect::<Vec<_>>(),
        step => safe(plots::step_size_plot(&warm_step, &step)?),
        depth => safe(plots::tree_depth_plot(&depths, s.warnings.max_tree_depth)?),
        pair => pair,
        pair_names => pair_idx.iter().map(|&i| draws.param_names[i].clone()).collect::<Vec<_>>(),
        all_shown => all_shown,
        front => front_plots,
        rest => rest_plots,
        num_not_plotted => num_not_plotted,
        chain_colors => (0..draws.num_chains()).map(plots::chain_hex).collect::<Vec<_>>(),
    })
    .map_err(|e| ReportError::Template(e.to_string()))
}
