//! The NPE report: one self-contained `report.html` (inline SVG, no scripts, the sampling
//! report's style) with the warnings on top, then whichever sections there is data for — the
//! training and validation loss per candidate (`npe train`, `npe run`), the posterior for x_o
//! as a pair plot with the prior's support marked (`npe run`), and SBC: rank ECDFs in their
//! simultaneous bands, expected coverage and TARP (`npe sbc`, which writes its page beside its
//! JSON and adds the estimator's training curves when its folder has them).

use minijinja::{Environment, Value, context};

use super::ReportError;
use super::page::STYLE;
use super::plots;
use super::text::format_sig;
use crate::npe::{NpeReport, SbcReport, Support};

const TEMPLATE: &str = include_str!("npe_report.html.j2");

/// Draws of the posterior for one observation.
#[derive(Debug, Clone)]
pub struct NpePosterior<'a> {
    /// Row-major draws, one row per draw.
    pub samples: &'a [f64],
    /// The prior's support (marked in the pair plot).
    pub support: &'a Support,
}

/// What the NPE page shows; sections without data are left out.
#[derive(Debug, Clone, Default)]
pub struct NpeReportInput<'a> {
    /// Page title.
    pub title: String,
    /// Facts shown on top (`name`, `value`).
    pub facts: Vec<(String, String)>,
    /// Warnings shown on top.
    pub warnings: Vec<String>,
    /// θ's names.
    pub labels: Vec<String>,
    /// The training report.
    pub training: Option<&'a NpeReport>,
    /// The posterior for x_o.
    pub posterior: Option<NpePosterior<'a>>,
    /// An SBC run.
    pub sbc: Option<&'a SbcReport>,
}

fn safe(svg: String) -> Value {
    Value::from_safe_string(svg)
}

/// Renders the page.
pub fn render_npe_report(input: &NpeReportInput) -> Result<String, ReportError> {
    let training = match input.training {
        Some(r) => Some(training_section(r)?),
        None => None,
    };
    let posterior = match &input.posterior {
        Some(p) => Some(posterior_section(p, &input.labels)?),
        None => None,
    };
    let sbc = match input.sbc {
        Some(r) => Some(sbc_section(r, &input.labels)?),
        None => None,
    };
    let mut env = Environment::new();
    let err = |e: minijinja::Error| ReportError::Template(e.to_string());
    env.add_template("style.css", STYLE).map_err(err)?;
    env.add_template("npe_report.html", TEMPLATE).map_err(err)?;
    env.get_template("npe_report.html")
        .map_err(err)?
        .render(context! {
            title => input.title,
            version => env!("CARGO_PKG_VERSION"),
            facts => input.facts,
            warnings => input.warnings,
            training => training,
            posterior => posterior,
            sbc => sbc,
        })
        .map_err(err)
}

/// Renders the page and writes it atomically to `path`.
pub fn write_npe_report(path: &std::path::Path, input: &NpeReportInput) -> Result<(), ReportError> {
    let html = render_npe_report(input)?;
    crate::io::atomic::write_string_atomic(path, &html).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        source: e.into_io_error(),
    })
}

fn training_section(r: &NpeReport) -> Result<Value, ReportError> {
    let kept = format!("{:?}", r.transform).to_lowercase();
    let plots = if r.candidates.is_empty() {
        vec![safe(plots::loss_plot(
            &format!("{kept} (kept)"),
            &r.train_losses,
            &r.validation_losses,
            r.best_epoch,
        )?)]
    } else {
        r.candidates
            .iter()
            .map(|c| {
                let name = format!("{:?}", c.transform).to_lowercase();
                let kept = if c.best_validation_loss == r.best_validation_loss {
                    " (kept)"
                } else {
                    ""
                };
                let title = format!(
                    "{name}{kept}: best validation {}",
                    format_sig(c.best_validation_loss, 4)
                );
                plots::loss_plot(&title, &c.train_losses, &c.validation_losses, c.best_epoch)
                    .map(safe)
            })
            .collect::<Result<_, _>>()?
    };
    Ok(context! {
        plots => plots,
        kept => kept,
        best_epoch => r.best_epoch,
        best => format_sig(r.best_validation_loss, 4),
        epochs => r.num_epochs,
        train_rows => r.num_train,
        validation_rows => r.num_validation,
        dropped => r.num_dropped,
        seconds => format!("{:.1}", r.seconds),
    })
}

fn posterior_section(p: &NpePosterior, labels: &[String]) -> Result<Value, ReportError> {
    let d = labels.len().max(1);
    let n = p.samples.len() / d;
    let col = |k: usize| -> Vec<f64> { p.samples.chunks(d).map(|r| r[k]).collect() };
    let shown = d.min(6);
    let params: Vec<(String, Vec<f64>)> = (0..shown).map(|k| (labels[k].clone(), col(k))).collect();
    let marks: Vec<(Option<f64>, Option<f64>)> = (0..shown)
        .map(|k| (p.support.lower[k], p.support.upper[k]))
        .collect();
    let pair = if shown >= 2 {
        Some(safe(plots::pair_plot_marked(
            &params,
            &vec![false; n],
            2000,
            &marks,
        )?))
    } else {
        None
    };
    let rows: Vec<Vec<String>> = (0..d)
        .map(|k| {
            let mut v = col(k);
            v.sort_by(f64::total_cmp);
            let mean = v.iter().sum::<f64>() / n as f64;
            let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            let q = |a: f64| v[((n - 1) as f64 * a).round() as usize];
            vec![
                labels[k].clone(),
                format_sig(mean, 4),
                format_sig(sd, 3),
                format_sig(q(0.05), 4),
                format_sig(q(0.5), 4),
                format_sig(q(0.95), 4),
                p.support.describe(k),
            ]
        })
        .collect();
    Ok(context! { pair => pair, rows => rows, num_draws => n, shown => shown, dim => d })
}

fn sbc_section(r: &SbcReport, labels: &[String]) -> Result<Value, ReportError> {
    let band = &r.ecdf_band;
    let ecdf: Vec<Value> = r
        .ecdf
        .iter()
        .enumerate()
        .chain([(usize::MAX, &r.density_ecdf)])
        .map(|(k, c)| {
            let name = match k {
                usize::MAX => "density rank (joint)".to_string(),
                k => labels.get(k).cloned().unwrap_or(format!("θ{}", k + 1)),
            };
            plots::ecdf_plot(&name, band, &c.counts, c.inside).map(safe)
        })
        .collect::<Result<_, _>>()?;
    let per_dim: Vec<(String, Vec<f64>)> = r
        .coverage_per_dim
        .iter()
        .enumerate()
        .map(|(k, c)| (labels.get(k).cloned().unwrap_or_default(), c.clone()))
        .collect();
    let coverage =
        plots::coverage_plot(&r.coverage_levels, &r.coverage, &r.coverage_mcse, &per_dim)?;
    let at = |level: f64| {
        r.coverage_levels
            .iter()
            .position(|l| (l - level).abs() < 1e-9)
            .map(|i| {
                (
                    format_sig(r.coverage[i], 3),
                    format_sig(r.coverage_mcse[i], 2),
                )
            })
    };
    let legend: Vec<(String, String)> = per_dim
        .iter()
        .enumerate()
        .map(|(k, (n, _))| (n.clone(), plots::chain_hex(k)))
        .collect();
    Ok(context! {
        ecdf => ecdf,
        band_level => format_sig(band.prob, 4),
        band_gamma => format_sig(band.gamma, 3),
        ecdf_passed => r.ecdf_passed,
        chi2_passed => r.passed,
        min_p => format_sig(r.min_p_value, 3),
        datasets => r.num_datasets,
        coverage => safe(coverage),
        cov95 => at(0.95),
        cov50 => at(0.5),
        legend => legend,
        tarp => safe(plots::tarp_plot(&r.tarp.alpha, &r.tarp.ecp)?),
        atc => format_sig(r.tarp.atc, 3),
        ks_p => format_sig(r.tarp.ks_p_value, 3),
        ks_d => format_sig(r.tarp.ks_statistic, 3),
    })
}
