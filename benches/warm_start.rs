//! Cold runs against warm starts (issue 15): ESS per second of the whole run.
//!
//! `cargo bench --bench warm_start -- [--models funnel,eight_schools_centered,diamonds-diamonds]
//! [--seeds 1,2,3] [--tunes 50,100,200]`
//!
//! Per model and seed: a *cold* run (the default method, auto, from nothing: fit, warmup,
//! draws), then with a new seed (seed + 100) three ways of sampling the same posterior again:
//! *flow* (the cold run's flow given, as `sample --flow`: no fit, but the warmup starts cold
//! with that method's default warmup length), and *warm-T* for each T in `--tunes` (the cold
//! run's flow and its chains' step sizes, metrics and last draws, as `sample --warm-start`, with
//! T warmup draws). Each line: correct? (every reference mean and sd within 4 combined MCSEs,
//! R-hat < 1.01, < 0.5% divergent), min bulk ESS, gradients, seconds of the whole run, min bulk
//! ESS per second and per 1000 gradients. The summary gives, per variant, the median ratio of
//! its ESS per second to the cold run's.

use flowpost::diagnostics::{extremes, summarize};
use flowpost::progress::NoProgress;
use flowpost::{LogDensity, Method, Run, SampleSettings};
use flowpost_models::ModelOptions;
use flowpost_models::reference::{Criteria, judge, reference};

struct Line {
    model: String,
    seed: u64,
    variant: String,
    correct: bool,
    failures: Vec<String>,
    ess: f64,
    grads: u64,
    seconds: f64,
}

fn line(model: &str, seed: u64, variant: &str, run: &Run, density_ref: &RefSet) -> Line {
    let verdict = judge(&run.draws, &density_ref.0, &Criteria::default());
    let e = extremes(&summarize(&run.draws));
    Line {
        model: model.into(),
        seed,
        variant: variant.into(),
        correct: verdict.correct,
        failures: verdict.failures,
        ess: e.min_ess_bulk,
        grads: run.cost.num_grad_evals.total(),
        seconds: run.cost.seconds.total,
    }
}

struct RefSet(Vec<flowpost_models::reference::RefMoments>);

fn list(arg: Option<&String>, default: &str) -> Vec<String> {
    arg.map_or(default, |s| s.as_str())
        .split(',')
        .map(str::to_string)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let models = list(
        get("--models"),
        "funnel,eight_schools_centered,diamonds-diamonds",
    );
    let seeds: Vec<u64> = list(get("--seeds"), "1,2,3")
        .iter()
        .map(|s| s.parse().expect("--seeds: integers"))
        .collect();
    let tunes: Vec<u64> = list(get("--tunes"), "50,100,200")
        .iter()
        .map(|s| s.parse().expect("--tunes: integers"))
        .collect();
    let mut lines = Vec::new();
    println!(
        "{:<26} {:>4} {:<9} {:<8} {:>7} {:>8} {:>8} {:>8} {:>8}",
        "model", "seed", "variant", "correct", "min ESS", "grads", "seconds", "ESS/s", "ESS/1k"
    );
    for model in &models {
        let options = ModelOptions::default();
        let density: Box<dyn LogDensity> =
            flowpost_models::load(model, &options).expect("a built-in model");
        let refs = RefSet(
            reference(model, &options)
                .expect("its reference loads")
                .unwrap_or_default(),
        );
        for &seed in &seeds {
            let cold_settings = SampleSettings {
                seed,
                ..Default::default()
            };
            let cold = flowpost::sample(&*density, &cold_settings).expect("the cold run");
            report(&mut lines, line(model, seed, "cold", &cold, &refs));
            let stored = cold.stored_adaptation(model, None, None);
            let again = SampleSettings {
                seed: seed + 100,
                method: if cold.flow.is_some() {
                    Method::Auto
                } else {
                    Method::Nuts
                },
                ..Default::default()
            };
            let flow_only =
                flowpost::sample_with(&*density, &again, cold.flow.clone(), &NoProgress)
                    .expect("the run with the flow");
            report(&mut lines, line(model, seed, "flow", &flow_only, &refs));
            for &tune in &tunes {
                let warm_settings = SampleSettings {
                    num_tune: Some(tune),
                    metric: stored.metric,
                    target_accept: Some(stored.target_accept),
                    warm_start: Some(stored.warm_start.clone()),
                    ..again.clone()
                };
                let warm = flowpost::sample_with(
                    &*density,
                    &warm_settings,
                    cold.flow.clone(),
                    &NoProgress,
                )
                .expect("the warm run");
                report(
                    &mut lines,
                    line(model, seed, &format!("warm-{tune}"), &warm, &refs),
                );
            }
        }
    }
    summary(&lines, &models);
}

fn report(lines: &mut Vec<Line>, l: Line) {
    println!(
        "{:<26} {:>4} {:<9} {:<8} {:>7.0} {:>8} {:>8.2} {:>8.1} {:>8.1}{}",
        l.model,
        l.seed,
        l.variant,
        if l.correct { "yes" } else { "NO" },
        l.ess,
        l.grads,
        l.seconds,
        l.ess / l.seconds,
        1000.0 * l.ess / l.grads.max(1) as f64,
        if l.correct {
            String::new()
        } else {
            format!("  ({})", l.failures.join("; "))
        }
    );
    lines.push(l);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Per model and variant: correct on k of n seeds, median ESS/s, median ratio to cold.
fn summary(lines: &[Line], models: &[String]) {
    println!(
        "\n| model | variant | correct | median ESS/s | median ESS/s ÷ cold | median seconds |"
    );
    println!("|---|---|---|---|---|---|");
    for model in models {
        let mut variants: Vec<&str> = Vec::new();
        for l in lines.iter().filter(|l| &l.model == model) {
            if !variants.contains(&l.variant.as_str()) {
                variants.push(&l.variant);
            }
        }
        for v in variants {
            let of: Vec<&Line> = lines
                .iter()
                .filter(|l| &l.model == model && l.variant == v)
                .collect();
            let ratios: Vec<f64> = of
                .iter()
                .filter_map(|l| {
                    let cold = lines
                        .iter()
                        .find(|c| &c.model == model && c.seed == l.seed && c.variant == "cold")?;
                    Some((l.ess / l.seconds) / (cold.ess / cold.seconds))
                })
                .collect();
            println!(
                "| {model} | {v} | {}/{} | {:.1} | {:.2} | {:.2} |",
                of.iter().filter(|l| l.correct).count(),
                of.len(),
                median(of.iter().map(|l| l.ess / l.seconds).collect()),
                median(ratios),
                median(of.iter().map(|l| l.seconds).collect()),
            );
        }
    }
}
