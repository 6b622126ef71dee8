//! Gradient cost through the Stan shim and of the hand-written Rust models on
//! posteriordb's `diamonds` (d = 26, N = 5000 rows × 24 predictors) and `arK` (d = 7, T = 200),
//! plus the tiny eight schools for the fixed cost of a call.
//!
//! `cargo bench --bench stan_gradient` (needs the Stan toolchain and g++; the first run
//! compiles each model, about a minute each). Times are medians over 9 interleaved rounds of
//! ~0.2 s batches at a reference draw (a typical point); `vs Stan` is the median per-round ratio.

#[path = "../tests/stan_support/mod.rs"]
mod stan_support;

use flowpost::LogDensity;
use flowpost::stan::{StanCompileSettings, StanLibrary, StanModelSettings};
use stan_support::{data_file, reference_draws, stan_file, toolchain};
use std::time::Instant;

/// `eight_schools_noncentered` (d = 10, 8 data points) shows the shim's fixed cost per call.
const POSTERIORS: [&str; 3] = [
    "diamonds-diamonds",
    "arK-arK",
    "eight_schools-eight_schools_noncentered",
];

/// The hand-written Rust version of a posterior (the built-in model of the same name; it uses
/// the same unconstrained coordinates as Stan for the posteriors benched here).
fn rust_model(posterior: &str) -> Option<Box<dyn LogDensity>> {
    flowpost_models::load(posterior, &Default::default()).ok()
}

/// Nanoseconds per gradient of each density at `theta`, measured interleaved (one batch of
/// each per round, 9 rounds) so that load from other processes hits all of them alike: the
/// median per density, and per density the median over rounds of its ratio to the first.
fn time_gradients(densities: &[&dyn LogDensity], theta: &[f64]) -> Vec<(f64, f64)> {
    let run = |density: &dyn LogDensity, n: usize| -> f64 {
        let mut grad = vec![0.0; density.dim()];
        let start = Instant::now();
        for _ in 0..n {
            let lp = density.log_density(std::hint::black_box(theta), &mut grad);
            std::hint::black_box(lp.unwrap());
        }
        start.elapsed().as_secs_f64() * 1e9 / n as f64
    };
    // Batches of about 0.2 s each.
    let batches: Vec<usize> = densities
        .iter()
        .map(|d| {
            let mut n = 16;
            while run(*d, n) * n as f64 <= 5e7 {
                n *= 4;
            }
            ((2e8 / run(*d, n)).ceil() as usize).max(1)
        })
        .collect();
    let rounds: Vec<Vec<f64>> = (0..9)
        .map(|_| {
            densities
                .iter()
                .zip(&batches)
                .map(|(d, &n)| run(*d, n))
                .collect()
        })
        .collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (0..densities.len())
        .map(|i| {
            let ns = median(rounds.iter().map(|r| r[i]).collect());
            let ratio = median(rounds.iter().map(|r| r[i] / r[0]).collect());
            (ns, ratio)
        })
        .collect()
}

fn main() {
    if let Some(why) = stan_support::unavailable() {
        eprintln!("stan_gradient bench skipped: {why}");
        return;
    }
    let toolchain = toolchain();
    let settings = StanCompileSettings {
        verbose: true,
        ..Default::default()
    };
    println!(
        "{:<40} {:<6} {:>4} {:>12} {:>10}",
        "posterior", "impl", "d", "ns/gradient", "vs Stan"
    );
    for posterior in POSTERIORS {
        let lib = StanLibrary::compile(&toolchain, stan_file(posterior), &settings).unwrap();
        let build = lib.build_report().unwrap();
        eprintln!(
            "{posterior}: build {:.1} s (cached: {})",
            build.seconds, build.cached
        );
        let model = lib
            .model(Some(&data_file(posterior)), &StanModelSettings::default())
            .unwrap();

        let draws = reference_draws(posterior);
        let names = model.param_names();
        // A reference draw; eight schools' draws lack its latent theta_trans, so give it in JSON.
        let theta = if names[..model.num_params()]
            .iter()
            .all(|n| draws.contains_key(n))
        {
            let draw: Vec<f64> = names[..model.num_params()]
                .iter()
                .map(|n| draws[n][0])
                .collect();
            model.unconstrain(&draw).unwrap()
        } else {
            model
                .unconstrain_json(
                    r#"{"theta_trans": [0.1,-0.2,0.3,0,0.5,-1,0.2,0.1], "mu": 4, "tau": 3}"#,
                )
                .unwrap()
        };

        let rust = rust_model(posterior);
        let mut densities: Vec<(&str, &dyn LogDensity)> = vec![("stan", &model)];
        if let Some(r) = rust.as_deref() {
            assert_eq!(
                r.dim(),
                model.dim(),
                "{posterior}: Rust and Stan dimensions differ"
            );
            densities.push(("rust", r));
        }
        let only: Vec<&dyn LogDensity> = densities.iter().map(|(_, d)| *d).collect();
        for ((label, _), (ns, ratio)) in densities.iter().zip(time_gradients(&only, &theta)) {
            println!(
                "{posterior:<40} {label:<6} {:>4} {ns:>12.0} {ratio:>10.3}",
                model.dim()
            );
        }
    }
}
