//! Writes the reference moments of a built-in model without a posteriordb reference from one
//! long run: `cargo run --release -p flowpost-models --example make_reference -- logreg`.
//!
//! The run: NUTS with the low-rank metric, 10 chains × 10,000 draws after 1,000 warmup draws,
//! seed 20261128; it must be divergence-free with R-hat < 1.01. Written to
//! `models/data/peers/<model>_reference.json` in the vendored posteriordb format (per parameter
//! mean, sd and their MCSEs from the run's own ESS).

use flowpost::diagnostics::{mcse_mean, mcse_sd, summarize};
use flowpost::nuts::Metric;
use flowpost::{LogDensity, Method, SampleSettings};

fn main() {
    let model_name = std::env::args()
        .nth(1)
        .expect("usage: make_reference MODEL");
    let model = flowpost_models::load(&model_name, &Default::default()).expect("a built-in model");
    let settings = SampleSettings {
        method: Method::Nuts,
        metric: Metric::LowRank,
        num_chains: 10,
        num_tune: Some(1000),
        num_draws: 10_000,
        seed: 20261128,
        ..Default::default()
    };
    let run = flowpost::sample(&*model, &settings).expect("the run");
    let summary = summarize(&run.draws);
    let max_r_hat = summary.iter().map(|p| p.r_hat).fold(0.0, f64::max);
    assert_eq!(
        run.draws.num_divergent(),
        0,
        "divergences in the reference run"
    );
    assert!(max_r_hat < 1.01, "R-hat {max_r_hat}");
    let parameters: Vec<serde_json::Value> = model
        .param_names()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let chains = run.draws.param(i);
            let all: Vec<f64> = chains.iter().flatten().copied().collect();
            let n = all.len() as f64;
            let mean = all.iter().sum::<f64>() / n;
            let sd = (all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            serde_json::json!({
                "name": name, "mean": mean, "sd": sd,
                "mcse_mean": mcse_mean(&chains), "mcse_sd": mcse_sd(&chains),
            })
        })
        .collect();
    let min_ess = summary
        .iter()
        .map(|p| p.ess_bulk)
        .fold(f64::INFINITY, f64::min);
    let file = serde_json::json!({
        "model": model_name,
        "source": format!(
            "flowpost NUTS (low-rank metric), 10 chains x 10000 draws after 1000 warmup, seed 20261128: \
             0 divergences, max R-hat {max_r_hat:.4}, min bulk ESS {min_ess:.0}"
        ),
        "parameters": parameters,
    });
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("data/peers/{model_name}_reference.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap() + "\n").unwrap();
    println!(
        "wrote {} (max R-hat {max_r_hat:.4}, min bulk ESS {min_ess:.0})",
        path.display()
    );
}
