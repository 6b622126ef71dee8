//! `TransformKind::Auto` training its two candidates concurrently (same estimator and progress
//! sequence whatever the thread count), and early stopping with a minimum improvement.

use flowpost::npe::*;
use flowpost_models::sbibm as tasks;

fn tiny(transform: TransformKind, seed: u64, max_epochs: usize) -> NpeSettings {
    NpeSettings {
        flow: FlowSettings {
            transform,
            num_transforms: 2,
            hidden: vec![16],
            num_bins: 4,
            ..FlowSettings::default()
        },
        batch_size: 50,
        learning_rate: 5e-3,
        max_epochs,
        patience: 3,
        chunk_size: 16,
        seed,
        ..Default::default()
    }
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// The candidates train side by side, yet the kept estimator, every candidate's loss curve and
/// the sequence of progress reports (the spline's epochs, then the affine's) are the same on
/// 1 and 3 threads.
#[test]
fn auto_is_deterministic_and_reports_candidates_in_order_whatever_the_thread_count() {
    let task = tasks::task("two_moons").unwrap();
    let sims = simulate(task.prior(), task.simulator(), 600, 2);
    let run = |threads: usize| {
        in_pool(threads, || {
            let log = flowpost::progress::EpochLog::default();
            let settings = tiny(TransformKind::Auto, 4, 12);
            let out = train(&sims, task.prior().bounds(), &settings, &log);
            let seen: Vec<_> = log
                .epochs()
                .iter()
                .map(|p| (p.epoch, p.validation_loss))
                .collect();
            (out.unwrap(), seen)
        })
    };
    let ((a, ra), seen_a) = run(1);
    let ((b, rb), seen_b) = run(3);
    assert_eq!(a.params(), b.params());
    assert_eq!(ra.candidates, {
        // Seconds differ from run to run; everything else must not.
        let mut c = rb.candidates.clone();
        c.iter_mut()
            .zip(&ra.candidates)
            .for_each(|(x, y)| x.seconds = y.seconds);
        c
    });
    assert_eq!(seen_a, seen_b);
    let expected: Vec<(usize, f64)> = ra
        .candidates
        .iter()
        .flat_map(|c| (1..=c.num_epochs).zip(c.validation_losses.iter().copied()))
        .collect();
    assert_eq!(seen_a, expected);
    assert_eq!(ra.candidates[0].transform, TransformKind::Spline);
    assert_eq!(ra.candidates[1].transform, TransformKind::Affine);
}

/// With `min_improvement` 0 an epoch resets the patience whenever its validation loss is lower;
/// with a huge one only the first epoch counts, so training stops after exactly `patience`
/// more epochs, still keeping the best epoch's weights.
#[test]
fn min_improvement_stops_when_the_validation_loss_stalls() {
    let task = tasks::task("two_moons").unwrap();
    let sims = simulate(task.prior(), task.simulator(), 400, 6);
    let plain = tiny(TransformKind::Affine, 1, 40);
    let (_, r0) = train(&sims, None, &plain, &flowpost::progress::NoProgress).unwrap();
    assert!(r0.num_epochs > 4, "{r0:?}");
    let strict = NpeSettings {
        min_improvement: 1e9,
        ..plain.clone()
    };
    let (est, r1) = train(&sims, None, &strict, &flowpost::progress::NoProgress).unwrap();
    assert_eq!(r1.num_epochs, 1 + strict.patience);
    assert!(r1.stopped_early);
    // The same epochs as the plain run up to the stop, and the best of them is kept.
    assert_eq!(
        r1.validation_losses[..],
        r0.validation_losses[..r1.num_epochs]
    );
    let best = r1
        .validation_losses
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    assert_eq!(r1.best_validation_loss, best);
    let (again, _) = train(
        &sims,
        None,
        &NpeSettings {
            max_epochs: r1.best_epoch,
            ..plain
        },
        &flowpost::progress::NoProgress,
    )
    .unwrap();
    assert_eq!(est.params(), again.params());
}

#[test]
fn min_improvement_is_validated() {
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        let s = NpeSettings {
            min_improvement: bad,
            ..Default::default()
        };
        let msg = s.validate().unwrap_err().to_string();
        assert!(msg.contains("min_improvement"), "{msg}");
    }
}
