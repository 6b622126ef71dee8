//! [`TransformKind::Auto`]: a spline and an affine candidate trained on the same split with the
//! same seed, the one with the lower best validation loss kept.
//!
//! The two candidates train concurrently (the affine one as a rayon task beside the spline one
//! on the calling thread), each as it would alone: every candidate's result depends only on
//! its settings and seed, never on the thread count or on the other candidate, so the kept
//! estimator is the same as with the candidates trained one after the other. Progress: the
//! spline candidate reports live; the affine candidate's epochs are recorded and reported
//! after it, so the callback sees the same sequence of epochs as before (spline, then affine).

use super::train::train_one;
use super::{
    CandidateReport, FlowSettings, NpeError, NpeEstimator, NpeReport, NpeSettings, Simulations,
    Support, TransformKind,
};
use crate::progress::{EpochLog, Progress};
use std::time::Instant;

/// The candidates of [`TransformKind::Auto`], in the order they are reported.
const CANDIDATES: [TransformKind; 2] = [TransformKind::Spline, TransformKind::Affine];

/// Trains both candidates concurrently and keeps the better (ties: the spline). The report's
/// `num_gradient_evals` and `num_steps` count both candidates, `seconds` is the wall-clock time
/// of the whole (concurrent) training; the other fields describe the kept candidate.
pub(crate) fn train_auto(
    sims: &Simulations,
    support: &Support,
    settings: &NpeSettings,
    progress: &dyn Progress,
) -> Result<(NpeEstimator, NpeReport), NpeError> {
    let start = Instant::now();
    let one = |kind: TransformKind| NpeSettings {
        flow: FlowSettings {
            transform: kind,
            ..settings.flow.clone()
        },
        ..settings.clone()
    };
    let (spline_settings, affine_settings) = (one(CANDIDATES[0]), one(CANDIDATES[1]));
    let mut affine = None;
    let affine_epochs = EpochLog::default();
    let spline = rayon::in_place_scope(|s| {
        s.spawn(|_| {
            affine = Some(train_one(sims, support, &affine_settings, &affine_epochs));
        });
        train_one(sims, support, &spline_settings, progress)
    });
    affine_epochs.replay(progress);
    let results = [spline?, affine.expect("the affine candidate ran")?];
    let mut candidates = Vec::new();
    let mut best: Option<(NpeEstimator, NpeReport)> = None;
    for (kind, (estimator, report)) in CANDIDATES.into_iter().zip(results) {
        candidates.push(CandidateReport {
            transform: kind,
            best_validation_loss: report.best_validation_loss,
            best_epoch: report.best_epoch,
            num_epochs: report.num_epochs,
            num_gradient_evals: report.num_gradient_evals,
            num_steps: report.num_steps,
            seconds: report.seconds,
            train_losses: report.train_losses.clone(),
            validation_losses: report.validation_losses.clone(),
        });
        if best
            .as_ref()
            .is_none_or(|(_, b)| report.best_validation_loss < b.best_validation_loss)
        {
            best = Some((estimator, report));
        }
    }
    let (estimator, mut report) = best.expect("two candidates were trained");
    report.num_gradient_evals = candidates.iter().map(|c| c.num_gradient_evals).sum();
    report.num_steps = candidates.iter().map(|c| c.num_steps).sum();
    report.seconds = start.elapsed().as_secs_f64();
    report.candidates = candidates;
    Ok((estimator, report))
}
