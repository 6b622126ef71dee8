//! Shared test helpers: posteriordb reference draws and MCSE-scaled comparisons.
#![allow(dead_code)]

pub mod accuracy;

use flowpost::Draws;
use flowpost::diagnostics::{mcse_mean, mcse_sd};
use std::path::PathBuf;

/// `../shared/reference/posteriordb/<name>`.
pub fn posteriordb_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/posteriordb")
        .join(name)
}

/// Moments of one parameter with their Monte Carlo standard errors.
#[derive(Debug, Clone)]
pub struct Moments {
    pub mean: f64,
    pub sd: f64,
    pub mcse_mean: f64,
    pub mcse_sd: f64,
}

pub fn moments(chains: &[Vec<f64>]) -> Moments {
    let all: Vec<f64> = chains.iter().flatten().copied().collect();
    let n = all.len() as f64;
    let mean = all.iter().sum::<f64>() / n;
    let sd = (all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    Moments {
        mean,
        sd,
        mcse_mean: mcse_mean(chains),
        mcse_sd: mcse_sd(chains),
    }
}

/// Reference draws of a posteriordb posterior: (name, chains × draws) in file order.
pub fn reference_draws(name: &str) -> Vec<(String, Vec<Vec<f64>>)> {
    let path = posteriordb_dir(name).join("reference_draws.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let chains: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&text).unwrap();
    let names: Vec<String> = chains[0].keys().cloned().collect();
    names
        .into_iter()
        .map(|k| {
            let per_chain = chains
                .iter()
                .map(|c| {
                    c[&k]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap())
                        .collect()
                })
                .collect();
            (k, per_chain)
        })
        .collect()
}

/// One parameter's comparison with the reference.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub name: String,
    pub z_mean: f64,
    pub z_sd: f64,
    pub ours: Moments,
    pub reference: Moments,
}

/// z-scores of mean and sd against the reference for every reported parameter, with the
/// combined MCSE (ours and the reference's) as the scale.
pub fn compare_with_reference(draws: &Draws, reference: &str) -> Vec<Comparison> {
    reference_draws(reference)
        .into_iter()
        .map(|(name, ref_chains)| {
            let ours = moments(
                &draws
                    .param_by_name(&name)
                    .unwrap_or_else(|| panic!("no parameter {name} in the run")),
            );
            let r = moments(&ref_chains);
            let z_mean =
                (ours.mean - r.mean) / (ours.mcse_mean.powi(2) + r.mcse_mean.powi(2)).sqrt();
            let z_sd = (ours.sd - r.sd) / (ours.mcse_sd.powi(2) + r.mcse_sd.powi(2)).sqrt();
            Comparison {
                name,
                z_mean,
                z_sd,
                ours,
                reference: r,
            }
        })
        .collect()
}

/// Max |R-hat| over parameters.
pub fn max_rhat(draws: &Draws) -> f64 {
    flowpost::diagnostics::summarize(draws)
        .iter()
        .map(|p| p.r_hat)
        .fold(f64::NEG_INFINITY, f64::max)
}
