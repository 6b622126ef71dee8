//! Writes the reference moments of a built-in model without a posteriordb reference from one
//! long run: `cargo run --release -p flowpost-models --example make_reference -- logreg`, or
//! with a dimension for the models that take one: `… -- latent_gp 51`.
//!
//! The run: NUTS with the low-rank metric, 10 chains × 10,000 draws after 1,000 warmup draws,
//! seed 20261128; it must be divergence-free with R-hat < 1.01. Written to
//! `models/data/peers/<model>_reference.json` (with a dimension:
//! `models/data/scale/<model>_<dim>_reference.json`) in the vendored posteriordb format (per
//! parameter mean, sd and their MCSEs from the run's own ESS), one parameter per line, means
//! and sds to 6 significant digits and MCSEs to 3 (the rounding is < 1% of an MCSE).

use flowpost::diagnostics::{mcse_mean, mcse_sd, summarize};
use flowpost::nuts::Metric;
use flowpost::{LogDensity, Method, SampleSettings};

fn main() {
    let model_name = std::env::args()
        .nth(1)
        .expect("usage: make_reference MODEL");
    let dim: Option<usize> = std::env::args()
        .nth(2)
        .map(|d| d.parse().expect("the dimension is an integer"));
    let options = flowpost_models::ModelOptions { dim };
    let model = flowpost_models::load(&model_name, &options).expect("a built-in model");
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
                "name": name, "mean": round(mean, 6), "sd": round(sd, 6),
                "mcse_mean": round(mcse_mean(&chains), 3), "mcse_sd": round(mcse_sd(&chains), 3),
            })
        })
        .collect();
    let min_ess = summary
        .iter()
        .map(|p| p.ess_bulk)
        .fold(f64::INFINITY, f64::min);
    let source = format!(
        "flowpost NUTS (low-rank metric), 10 chains x 10000 draws after 1000 warmup, seed 20261128: \
         0 divergences, max R-hat {max_r_hat:.4}, min bulk ESS {min_ess:.0}; means and sds to 6 \
         significant digits, MCSEs to 3"
    );
    let lines: Vec<String> = parameters.iter().map(|p| p.to_string()).collect();
    let file = format!(
        "{{\n  \"model\": {},\n  \"dim\": {},\n  \"source\": {},\n  \"parameters\": [\n    {}\n  ]\n}}\n",
        serde_json::Value::from(model_name.as_str()),
        model.dim(),
        serde_json::Value::from(source),
        lines.join(",\n    ")
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(match dim {
        None => format!("data/peers/{model_name}_reference.json"),
        Some(d) => format!("data/scale/{model_name}_{d}_reference.json"),
    });
    std::fs::write(&path, file).unwrap();
    println!(
        "wrote {} (max R-hat {max_r_hat:.4}, min bulk ESS {min_ess:.0})",
        path.display()
    );
}

/// `x` rounded to `digits` significant digits.
fn round(x: f64, digits: usize) -> f64 {
    format!("{x:.*e}", digits - 1)
        .parse()
        .expect("a formatted float")
}
