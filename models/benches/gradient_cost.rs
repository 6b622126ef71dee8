//! Cost per gradient evaluation of every built-in model (release build, one thread).
//!
//! `cargo bench -p flowpost-models --bench gradient_cost` prints, per model, the time per
//! `log_density` call (value + gradient), minimum and median over 40 short runs; for the two
//! autodiff models also the plain `f64` value alone and other autodiff chunk sizes.

use std::hint::black_box;
use std::time::Instant;

use flowpost::LogDensity;
use flowpost::autodiff::ForwardAd;
use flowpost_models::{GpPoisRegr, HmmExample, ModelOptions, list, load_builtin};

/// Seconds per call of `f`: the minimum over 40 runs of ~5 ms each (the machine is shared, and
/// the minimum is the least disturbed estimate), and the median.
fn time_per_call(mut f: impl FnMut()) -> (f64, f64) {
    let start = Instant::now();
    let mut calibrate = 0u64;
    while start.elapsed().as_secs_f64() < 0.02 {
        f();
        calibrate += 1;
    }
    let per_run = ((calibrate as f64) / 4.0).max(5.0) as u64;
    let mut runs: Vec<f64> = (0..40)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_run {
                f();
            }
            t.elapsed().as_secs_f64() / per_run as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    (runs[0], runs[20])
}

fn fmt(seconds: f64) -> String {
    if seconds < 1e-6 {
        format!("{:.0} ns", seconds * 1e9)
    } else {
        format!("{:.2} µs", seconds * 1e6)
    }
}

fn gradient_cost<D: LogDensity + ?Sized>(m: &D, point: &[f64]) -> (f64, f64) {
    let mut grad = vec![0.0; m.dim()];
    m.log_density(point, &mut grad)
        .expect("the bench point must be valid");
    time_per_call(|| {
        black_box(m.log_density(black_box(point), &mut grad).unwrap());
    })
}

fn main() {
    println!("{:40} {:>4} {:>12} {:>12}", "model", "dim", "min", "median");
    for info in list() {
        let m = load_builtin(info.name, &ModelOptions::default()).unwrap();
        let point = vec![0.1; m.dim()];
        let (min, med) = gradient_cost(m.as_ref(), &point);
        println!(
            "{:40} {:>4} {:>12} {:>12}",
            info.name,
            m.dim(),
            fmt(min),
            fmt(med)
        );
    }

    println!("\nautodiff models (min per call): value alone on f64, gradient per chunk size N");
    let gp = GpPoisRegr::new().unwrap();
    let p13 = vec![0.1; 13];
    let (value, _) = time_per_call(|| {
        black_box(gp.value(black_box(&p13)).unwrap());
    });
    println!("gp_pois_regr value only (f64):            {}", fmt(value));
    let costs = [
        (
            4,
            "4 passes",
            gradient_cost(&ForwardAd::<_, 4>::new(gp.clone()), &p13).0,
        ),
        (
            7,
            "2 passes",
            gradient_cost(&ForwardAd::<_, 7>::new(gp.clone()), &p13).0,
        ),
        (
            13,
            "1 pass",
            gradient_cost(&ForwardAd::<_, 13>::new(gp.clone()), &p13).0,
        ),
    ];
    for (n, passes, c) in costs {
        println!(
            "gp_pois_regr gradient, N = {n:2} ({passes}): {:>10} ({:.1}x value)",
            fmt(c),
            c / value
        );
    }
    let hmm = HmmExample::new().unwrap();
    let p4 = vec![0.1; 4];
    let ad = ForwardAd::<_, 4>::new(hmm.clone());
    let (value, _) = time_per_call(|| {
        black_box(ad.value(black_box(&p4)).unwrap());
    });
    let (c4, _) = gradient_cost(&ad, &p4);
    println!("hmm_example value only (f64):             {}", fmt(value));
    println!(
        "hmm_example gradient, N =  4 (1 pass):    {:>10} ({:.1}x value)",
        fmt(c4),
        c4 / value
    );
}
