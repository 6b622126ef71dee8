//! The multi-start mode search ([`flowpost::multimodal::find_modes`], default settings) against
//! the single-start Gaussian fit that auto and NeuTra begin with
//! ([`flowpost::vi::init::gaussian_fit`]): gradients, seconds and the number of distinct modes
//! found, per built-in model.
//!
//! `cargo bench --bench multistart -- [--models a,b,...] [--seed 1] [--starts 128]` (default:
//! every built-in model, seed 1, the search's default starts).

use flowpost::multimodal::{ModeSearchSettings, find_modes};
use flowpost::vi::InitSettings;
use flowpost::vi::init::gaussian_fit;
use flowpost_models::ModelOptions;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let models: Vec<String> = get("--models").map_or_else(
        || {
            flowpost_models::list()
                .iter()
                .map(|m| m.name.to_string())
                .collect()
        },
        |m| m.split(',').map(str::to_string).collect(),
    );
    let seed: u64 = get("--seed").map_or(1, |s| s.parse().expect("an integer seed"));
    let search = ModeSearchSettings {
        num_starts: get("--starts").map_or(128, |s| s.parse().expect("an integer --starts")),
        ..ModeSearchSettings::default()
    };
    println!(
        "| model | single-start fit grads | s | multi-start grads | s | ratio | modes found (starts each) | failed starts |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for model in &models {
        let (name, dim) = match model.split_once(':') {
            Some((n, d)) => (n, Some(d.parse().expect("NAME:DIM"))),
            None => (model.as_str(), None),
        };
        let density = flowpost_models::load(name, &ModelOptions { dim }).expect("a built-in model");
        let t = Instant::now();
        let single =
            gaussian_fit(&*density, &InitSettings::default(), seed).map(|(_, r)| r.num_grad_evals);
        let s_single = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let multi = find_modes(&*density, &search, seed);
        let s_multi = t.elapsed().as_secs_f64();
        match (single, multi) {
            (Ok(g1), Ok(m)) => println!(
                "| {model} | {g1} | {s_single:.2} | {} | {s_multi:.2} | {:.1}× | {} ({}) | {} |",
                m.num_grad_evals,
                m.num_grad_evals as f64 / g1.max(1) as f64,
                m.modes.len(),
                m.modes
                    .iter()
                    .map(|k| k.num_starts.to_string())
                    .collect::<Vec<_>>()
                    .join("/"),
                m.num_failed
            ),
            (a, b) => println!(
                "| {model} | {:?} | | {:?} | | | | |",
                a.err(),
                b.err().map(|e| e.to_string())
            ),
        }
    }
}
