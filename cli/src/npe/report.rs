//! The NPE `report.html` the subcommands write: `train` (training curves), `run` (those, the
//! posterior for x_o and the x_o warnings) and `sbc` (calibration, beside its JSON, with the
//! estimator's training curves when its folder has them). One page, `flowpost::report`'s
//! `render_npe_report`; sections appear when there is data for them.

use anyhow::{Context, Result};
use flowpost::npe::{NpeEstimator, NpeReport, PosteriorSamples, SbcReport, XoOutside};
use flowpost::report::{NpePosterior, NpeReportInput, write_npe_report};
use std::path::Path;

/// Facts every NPE page shows about the estimator and its training.
pub(crate) fn training_facts(report: &NpeReport) -> Vec<(String, String)> {
    let kept = format!("{:?}", report.transform).to_lowercase();
    let ensemble = match report.members.len() {
        0 => Vec::new(),
        k => vec![(
            "ensemble".into(),
            format!("{k} estimators, equal-weight mixture (curves and loss: member 1)"),
        )],
    };
    ensemble
        .into_iter()
        .chain([
            ("simulations".into(), report.num_simulations.to_string()),
            ("kept transform".into(), kept),
            (
                "best validation loss".into(),
                format!(
                    "{:.4} (epoch {})",
                    report.best_validation_loss, report.best_epoch
                ),
            ),
            (
                "training".into(),
                format!(
                    "{:.1} s, {} gradient evaluations",
                    report.seconds, report.num_gradient_evals
                ),
            ),
        ])
        .collect()
}

/// `report.html` for `train` and `run` into `dir` (a staging folder).
pub(crate) fn write_training_report(
    dir: &Path,
    title: &str,
    est: &NpeEstimator,
    report: &NpeReport,
    posterior: Option<(&PosteriorSamples, &[XoOutside])>,
    mut facts: Vec<(String, String)>,
) -> Result<()> {
    facts.extend(training_facts(report));
    let warnings = posterior
        .map(|(_, w)| w.iter().map(XoOutside::message).collect())
        .unwrap_or_default();
    let draw_support = est.draw_support();
    let input = NpeReportInput {
        title: title.into(),
        facts,
        warnings,
        labels: est.theta_labels().to_vec(),
        training: Some(report),
        posterior: posterior.map(|(s, _)| NpePosterior {
            samples: &s.samples,
            support: &draw_support,
        }),
        sbc: None,
    };
    write_npe_report(&dir.join("report.html"), &input).context("writing report.html")
}

/// The SBC page at `path`; the training curves from `training_report.json` in the
/// estimator's folder when it is there and readable.
pub(crate) fn write_sbc_report(
    path: &Path,
    est_dir: &Path,
    est: &NpeEstimator,
    sbc: &SbcReport,
    mut facts: Vec<(String, String)>,
) -> Result<()> {
    let training = read_training_report(est_dir);
    if let Some(t) = &training {
        facts.extend(training_facts(t));
    }
    let mut warnings = Vec::new();
    if !sbc.ecdf_passed {
        warnings.push("a rank ECDF leaves its simultaneous band: the estimator is not calibrated on these datasets (see the calibration section)".to_string());
    }
    if !sbc.passed {
        warnings.push(format!(
            "χ² rank test: not uniform (smallest p {:.2e})",
            sbc.min_p_value
        ));
    }
    let input = NpeReportInput {
        title: format!("SBC of {}", est_dir.display()),
        facts,
        warnings,
        labels: est.theta_labels().to_vec(),
        training: training.as_ref(),
        posterior: None,
        sbc: Some(sbc),
    };
    write_npe_report(path, &input).with_context(|| format!("writing {}", path.display()))
}

fn read_training_report(est_dir: &Path) -> Option<NpeReport> {
    let dir = if est_dir.is_dir() {
        est_dir
    } else {
        est_dir.parent()?
    };
    let text = std::fs::read_to_string(dir.join("training_report.json")).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    serde_json::from_value(doc.get("report")?.clone()).ok()
}
