//! Training an ensemble (`NpeSettings::num_members` K > 1): K estimators, member k with seed
//! [`member_seed`]`(seed, k)` (member 1 with `seed` itself, so it is exactly the single
//! estimator of that seed), hence different initial weights, shuffles and train/validation
//! splits. The members train in parallel (rayon tasks beside member 1 on the calling thread);
//! each depends only on its own seed, so the ensemble is the same whatever the thread count.
//! Progress: member 1 reports live, the others' epochs are recorded and reported after it, in
//! member order.

use super::train::train;
use super::{NpeError, NpeEstimator, NpeReport, NpeSettings, Simulations, Support};
use crate::progress::{EpochLog, Progress};
use std::time::Instant;

/// The training seed of member `k` (0-based) of an ensemble trained with `seed`: `seed` for
/// member 0, a well-mixed function of both for the others.
pub(crate) fn member_seed(seed: u64, k: usize) -> u64 {
    seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

type Trained = Result<(NpeEstimator, NpeReport), NpeError>;

pub(crate) fn train_ensemble(
    sims: &Simulations,
    support: &Support,
    settings: &NpeSettings,
    progress: &dyn Progress,
) -> Trained {
    let start = Instant::now();
    let k = settings.num_members;
    let member = |m: usize| NpeSettings {
        seed: member_seed(settings.seed, m),
        num_members: 1,
        ..settings.clone()
    };
    let others: Vec<NpeSettings> = (1..k).map(member).collect();
    let mut slots: Vec<(Option<Trained>, EpochLog)> =
        (1..k).map(|_| (None, EpochLog::default())).collect();
    let first = rayon::in_place_scope(|s| {
        for (slot, one) in slots.iter_mut().zip(&others) {
            let support = support.clone();
            s.spawn(move |_| {
                let (out, seen) = slot;
                *out = Some(train(sims, support, one, &*seen));
            });
        }
        train(sims, support.clone(), &member(0), progress)
    });
    let mut results = vec![first];
    for (out, seen) in slots {
        seen.replay(progress);
        results.push(out.expect("every member ran"));
    }
    let mut estimators = Vec::with_capacity(k);
    let mut reports = Vec::with_capacity(k);
    for r in results {
        let (e, rep) = r?;
        estimators.push(e);
        reports.push(rep);
    }
    let mut report = reports[0].clone();
    report.num_gradient_evals = reports.iter().map(|r| r.num_gradient_evals).sum();
    report.num_steps = reports.iter().map(|r| r.num_steps).sum();
    report.seconds = start.elapsed().as_secs_f64();
    report.members = reports;
    Ok((NpeEstimator::ensemble(estimators)?, report))
}

#[cfg(test)]
mod tests {
    use super::member_seed;

    #[test]
    fn member_seeds_start_with_the_seed_and_differ() {
        assert_eq!(member_seed(7, 0), 7);
        let seeds: Vec<u64> = (0..5).map(|k| member_seed(7, k)).collect();
        let mut unique = seeds.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5);
    }
}
