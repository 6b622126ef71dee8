//! Gradient cost through the Stan shim (and, once they land, the hand-written Rust models) on
//! posteriordb's `diamonds` (d = 26, N = 5000 rows × 24 predictors) and `arK` (d = 7, T = 200),
//! plus the tiny eight schools for the fixed cost of a call.
//!
//! `cargo bench --bench stan_gradient` (needs the Stan toolchain and g++; the first run
//! compiles both models, about a minute each). Each number is the median over 7 repeats of the
//! mean time per gradient in a batch of ≥ 0.3 s, at a reference draw (a typical point).

use flowpost::LogDensity;
use flowpost::stan::{StanCompileSettings, StanLibrary, StanModelSettings, Toolchain};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// `eight_schools_noncentered` (d = 10, 8 data points) shows the shim's fixed cost per call.
const POSTERIORS: [&str; 3] = [
    "diamonds-diamonds",
    "arK-arK",
    "eight_schools-eight_schools_noncentered",
];

/// The hand-written Rust version of a posterior, if there is one. Adding a model is one arm.
#[allow(clippy::match_single_binding)] // arms come with the posteriordb models
fn rust_model(posterior: &str) -> Option<Box<dyn LogDensity>> {
    match posterior {
        // "diamonds-diamonds" => Some(Box::new(flowpost_models::...)),
        // "arK-arK" => Some(Box::new(flowpost_models::...)),
        _ => None,
    }
}

fn posterior_dir(posterior: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/posteriordb"
    ))
    .join(posterior)
}

/// Nanoseconds per gradient: median over repeats of batch means.
fn time_gradient(density: &dyn LogDensity, theta: &[f64]) -> f64 {
    let mut grad = vec![0.0; density.dim()];
    let mut eval = |n: usize| {
        for _ in 0..n {
            std::hint::black_box(
                density
                    .log_density(std::hint::black_box(theta), &mut grad)
                    .unwrap(),
            );
        }
    };
    // Calibrate a batch size of about 0.3 s.
    let mut batch = 16;
    loop {
        let start = Instant::now();
        eval(batch);
        if start.elapsed().as_secs_f64() > 0.1 {
            batch = (batch as f64 * 0.3 / start.elapsed().as_secs_f64()).ceil() as usize;
            break;
        }
        batch *= 4;
    }
    let mut means: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            eval(batch);
            start.elapsed().as_secs_f64() * 1e9 / batch as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    means[3]
}

fn main() {
    let toolchain = match Toolchain::setup() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("stan_gradient: no Stan toolchain ({e}); nothing to measure");
            return;
        }
    };
    let settings = StanCompileSettings {
        verbose: true,
        ..Default::default()
    };
    println!(
        "{:<40} {:<6} {:>4} {:>12} {:>10}",
        "posterior", "impl", "d", "ns/gradient", "vs Stan"
    );
    for posterior in POSTERIORS {
        let dir = posterior_dir(posterior);
        let lib = StanLibrary::compile(&toolchain, dir.join("model.stan"), &settings).unwrap();
        let build = lib.build_report().unwrap();
        eprintln!(
            "{posterior}: build {:.1} s (cached: {})",
            build.seconds, build.cached
        );
        let model = lib
            .model(Some(&dir.join("data.json")), &StanModelSettings::default())
            .unwrap();

        let text = std::fs::read_to_string(dir.join("reference_draws.json")).unwrap();
        let chains: Vec<BTreeMap<String, Vec<f64>>> = serde_json::from_str(&text).unwrap();
        let names = model.param_names();
        // A reference draw; eight schools' draws lack its latent theta_trans, so give it in JSON.
        let theta = if names[..model.num_params()]
            .iter()
            .all(|n| chains[0].contains_key(n))
        {
            let draw: Vec<f64> = names[..model.num_params()]
                .iter()
                .map(|n| chains[0][n][0])
                .collect();
            model.unconstrain(&draw).unwrap()
        } else {
            model
                .unconstrain_json(
                    r#"{"theta_trans": [0.1,-0.2,0.3,0,0.5,-1,0.2,0.1], "mu": 4, "tau": 3}"#,
                )
                .unwrap()
        };

        let stan_ns = time_gradient(&model, &theta);
        println!(
            "{:<40} {:<6} {:>4} {:>12.0} {:>10}",
            posterior,
            "stan",
            model.dim(),
            stan_ns,
            "1.00"
        );
        if let Some(rust) = rust_model(posterior) {
            let ns = time_gradient(rust.as_ref(), &theta);
            let ratio = ns / stan_ns;
            println!(
                "{:<40} {:<6} {:>4} {:>12.0} {:>10.2}",
                posterior,
                "rust",
                rust.dim(),
                ns,
                ratio
            );
        }
    }
}
