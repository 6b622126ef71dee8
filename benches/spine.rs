//! The spine benchmark: NeuTra and plain NUTS on every built-in benchmark target in one run.
//!
//! `cargo bench --bench spine [-- MODEL...] [--seed S]`
//!
//! Per model and method: gradient evaluations (VI, warmup, sampling), seconds per phase,
//! divergences, min bulk/tail ESS, max R-hat, min bulk ESS per 1000 gradient evaluations and per
//! second (both counting the whole run, VI included), and the moment checks against known
//! values (|z| = |estimate − truth| / MCSE). A run is *correct* when max R-hat < 1.01, under
//! 0.5% of draws diverge and every checked moment has |z| < 4. Prints a Markdown table and writes
//! `target/bench-spine.json`.

use flowpost::diagnostics::{Extremes, extremes, mcse_mean, mcse_sd, summarize};
use flowpost::{Draws, LogDensity, Method, Run, SampleSettings};
use std::path::PathBuf;

#[path = "../tests/common/reference.rs"]
mod reference;

const MODELS: [&str; 6] = [
    "funnel",
    "eight_schools_centered",
    "eight_schools_noncentered",
    "banana",
    "gauss100",
    "logreg",
];

/// A checked moment: name, estimate, truth, z-score.
#[derive(serde::Serialize)]
struct Check {
    what: String,
    estimate: f64,
    truth: f64,
    z: f64,
}

fn all(chains: &[Vec<f64>]) -> Vec<f64> {
    chains.iter().flatten().copied().collect()
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt(),
    )
}

/// Mean and sd of a parameter against known values, in units of our MCSE.
fn check_param(draws: &Draws, name: &str, mean: f64, sd: f64) -> Vec<Check> {
    let chains = draws.param_by_name(name).expect("parameter exists");
    let (m, s) = mean_sd(&all(&chains));
    vec![
        Check {
            what: format!("{name} mean"),
            estimate: m,
            truth: mean,
            z: (m - mean) / mcse_mean(&chains),
        },
        Check {
            what: format!("{name} sd"),
            estimate: s,
            truth: sd,
            z: (s - sd) / mcse_sd(&chains),
        },
    ]
}

/// Moments against the truth: analytic (funnel, banana, gauss100) or posteriordb's reference
/// (eight schools; combined MCSE). Returns the worst checks only for large models.
fn checks(model: &str, draws: &Draws) -> Vec<Check> {
    match model {
        "funnel" => check_param(draws, "v", 0.0, 3.0),
        "banana" => {
            let mut c = check_param(draws, "x1", 0.0, 10.0);
            c.extend(check_param(draws, "x2", 0.0, 19f64.sqrt()));
            c
        }
        "gauss100" => {
            let text = std::fs::read_to_string(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/data/peers/gauss100.json"),
            )
            .unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mean: Vec<f64> = v["mean"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let cov = v["cov"].as_array().unwrap();
            let mut worst: Vec<Check> = Vec::new();
            for i in 0..mean.len() {
                let sd = cov[i][i].as_f64().unwrap().sqrt();
                for c in check_param(draws, &draws.param_names[i].clone(), mean[i], sd) {
                    worst.push(c);
                }
            }
            worst.sort_by(|a, b| b.z.abs().total_cmp(&a.z.abs()));
            worst.truncate(2);
            worst
        }
        "eight_schools_centered" | "eight_schools_noncentered" => {
            let reference = reference::load("eight_schools-eight_schools_noncentered");
            let mut out = Vec::new();
            for name in ["mu", "tau", "theta[1]"] {
                let r = reference
                    .parameters
                    .iter()
                    .find(|p| p.name == name)
                    .unwrap();
                let ours = draws.param_by_name(name).unwrap();
                let (m, s) = mean_sd(&all(&ours));
                let zm = (m - r.mean) / (mcse_mean(&ours).powi(2) + r.mcse_mean.powi(2)).sqrt();
                let zs = (s - r.sd) / (mcse_sd(&ours).powi(2) + r.mcse_sd.powi(2)).sqrt();
                out.push(Check {
                    what: format!("{name} mean"),
                    estimate: m,
                    truth: r.mean,
                    z: zm,
                });
                out.push(Check {
                    what: format!("{name} sd"),
                    estimate: s,
                    truth: r.sd,
                    z: zs,
                });
            }
            out
        }
        _ => Vec::new(),
    }
}

#[derive(serde::Serialize)]
struct Row {
    model: String,
    method: &'static str,
    grad_evals: flowpost::GradEvals,
    seconds: flowpost::Seconds,
    divergences: usize,
    draws: usize,
    min_ess_bulk: f64,
    min_ess_tail: f64,
    max_rhat: f64,
    ess_per_1k_grads: f64,
    ess_per_second: f64,
    pareto_k: Option<f64>,
    checks: Vec<Check>,
    correct: bool,
}

fn row(model: &str, run: &Run) -> Row {
    let summary = summarize(&run.draws);
    let Extremes {
        min_ess_bulk,
        min_ess_tail,
        max_r_hat: max_rhat,
    } = extremes(&summary);
    let draws = run.draws.num_chains() * run.draws.num_draws();
    let divergences = run.draws.num_divergent();
    let checks = checks(model, &run.draws);
    let correct = max_rhat < 1.01
        && (divergences as f64) < 0.005 * draws as f64
        && checks.iter().all(|c| c.z.abs() < 4.0);
    Row {
        model: model.to_string(),
        method: run.method.name(),
        grad_evals: run.cost.num_grad_evals,
        seconds: run.cost.seconds,
        divergences,
        draws,
        min_ess_bulk,
        min_ess_tail,
        max_rhat,
        ess_per_1k_grads: 1000.0 * min_ess_bulk / run.cost.num_grad_evals.total() as f64,
        ess_per_second: min_ess_bulk / run.cost.seconds.total,
        pareto_k: run.vi.as_ref().map(|v| v.pareto_k),
        checks,
        correct,
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mut seed = 1;
    let mut models: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--seed" {
            seed = it
                .next()
                .expect("--seed needs a value")
                .parse()
                .expect("seed is an integer");
        } else {
            models.push(a.clone());
        }
    }
    if models.is_empty() {
        models = MODELS.iter().map(|s| s.to_string()).collect();
    }
    let mut rows = Vec::new();
    for model in &models {
        let density: Box<dyn LogDensity> =
            flowpost_models::load(model, &Default::default()).expect("a built-in model");
        for method in [Method::NeuTra, Method::Nuts] {
            let settings = SampleSettings {
                method,
                seed,
                ..Default::default()
            };
            let run = flowpost::sample(&*density, &settings).expect("the run succeeds");
            let r = row(model, &run);
            eprintln!(
                "{model} {}: {} div, ESS {:.0}, R-hat {:.3}, {:.1} s, correct {}",
                r.method, r.divergences, r.min_ess_bulk, r.max_rhat, r.seconds.total, r.correct
            );
            rows.push(r);
        }
    }
    println!(
        "| model | method | grads vi | grads warmup | grads sampling | s vi | s warmup | s sampling | s total | div | ESS bulk | ESS tail | R-hat max | ESS/1k grads | ESS/s | k̂ | worst moment (z) | correct |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let worst = r
            .checks
            .iter()
            .max_by(|a, b| a.z.abs().total_cmp(&b.z.abs()))
            .map_or("–".to_string(), |c| {
                format!(
                    "{} {:.3} vs {:.3} ({:+.1})",
                    c.what, c.estimate, c.truth, c.z
                )
            });
        let k = r.pareto_k.map_or("–".to_string(), |k| format!("{k:.2}"));
        let (g, s) = (&r.grad_evals, &r.seconds);
        println!(
            "| {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.0} | {:.0} | {:.3} | {:.1} | {:.0} | {k} | {worst} | {} |",
            r.model,
            r.method,
            g.vi,
            g.warmup,
            g.sampling,
            s.vi,
            s.warmup,
            s.sampling,
            s.total,
            r.divergences,
            r.min_ess_bulk,
            r.min_ess_tail,
            r.max_rhat,
            r.ess_per_1k_grads,
            r.ess_per_second,
            if r.correct { "yes" } else { "no" }
        );
    }
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-spine.json");
    std::fs::write(&out, serde_json::to_string_pretty(&rows).unwrap()).unwrap();
    eprintln!("wrote {}", out.display());
}
