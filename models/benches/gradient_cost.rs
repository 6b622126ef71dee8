//! Cost per gradient evaluation of every built-in model (release build, one thread).
//!
//! `cargo bench -p flowpost-models --bench gradient_cost` prints, per model, the median over 7
//! runs of the mean time per `log_density` call (value + gradient); for the two autodiff models
//! also the plain `f64` value alone and other autodiff chunk sizes.

use std::hint::black_box;
use std::time::Instant;

use flowpost::LogDensity;
use flowpost::autodiff::ForwardAd;
use flowpost_models::{GpPoisRegr, HmmExample, ModelOptions, list, load_builtin};

/// Median over runs of seconds per call of `f`, each run ~0.1 s.
fn time_per_call(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut calibrate = 0u64;
    while start.elapsed().as_secs_f64() < 0.02 {
        f();
        calibrate += 1;
    }
    let per_run = ((calibrate as f64) * 5.0).max(10.0) as u64;
    let mut runs: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_run {
                f();
            }
            t.elapsed().as_secs_f64() / per_run as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[3]
}

fn fmt(seconds: f64) -> String {
    if seconds < 1e-6 {
        format!("{:.0} ns", seconds * 1e9)
    } else {
        format!("{:.2} µs", seconds * 1e6)
    }
}

fn gradient_cost<D: LogDensity + ?Sized>(m: &D, point: &[f64]) -> f64 {
    let mut grad = vec![0.0; m.dim()];
    m.log_density(point, &mut grad)
        .expect("the bench point must be valid");
    time_per_call(|| {
        black_box(m.log_density(black_box(point), &mut grad).unwrap());
    })
}

fn main() {
    println!("{:40} {:>4} {:>12}", "model", "dim", "per gradient");
    for info in list() {
        let m = load_builtin(info.name, &ModelOptions::default()).unwrap();
        let point = vec![0.1; m.dim()];
        println!(
            "{:40} {:>4} {:>12}",
            info.name,
            m.dim(),
            fmt(gradient_cost(m.as_ref(), &point))
        );
    }

    println!("\nautodiff models: value alone (f64) and chunk sizes (passes × directions)");
    let gp = GpPoisRegr::new().unwrap();
    let p13 = vec![0.1; 13];
    let value = time_per_call(|| {
        black_box(gp.value(black_box(&p13)).unwrap());
    });
    println!("gp_pois_regr value only (f64):            {}", fmt(value));
    let c4 = gradient_cost(&ForwardAd::<_, 4>::new(gp.clone()), &p13);
    let c7 = gradient_cost(&ForwardAd::<_, 7>::new(gp.clone()), &p13);
    let c13 = gradient_cost(&ForwardAd::<_, 13>::new(gp.clone()), &p13);
    println!(
        "gp_pois_regr gradient, N = 4 (4 passes):  {} ({:.1}× value)",
        fmt(c4),
        c4 / value
    );
    println!(
        "gp_pois_regr gradient, N = 7 (2 passes):  {} ({:.1}× value)",
        fmt(c7),
        c7 / value
    );
    println!(
        "gp_pois_regr gradient, N = 13 (1 pass):   {} ({:.1}× value)",
        fmt(c13),
        c13 / value
    );
    let hmm = HmmExample::new().unwrap();
    let p4 = vec![0.1; 4];
    let ad = ForwardAd::<_, 4>::new(hmm.clone());
    let value = time_per_call(|| {
        black_box(ad.value(black_box(&p4)).unwrap());
    });
    let c4 = gradient_cost(&ad, &p4);
    println!("hmm_example value only (f64):             {}", fmt(value));
    println!(
        "hmm_example gradient, N = 4 (1 pass):     {} ({:.1}× value)",
        fmt(c4),
        c4 / value
    );
}
