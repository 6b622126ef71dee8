//! Shared test helpers: posteriordb references (vendored) and MCSE-scaled comparisons.
#![allow(dead_code)]

pub mod accuracy;
pub mod reference;

use flowpost::Draws;
use flowpost::diagnostics::{mcse_mean, mcse_sd};

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
    reference::load(reference)
        .parameters
        .into_iter()
        .map(|p| {
            let name = p.name;
            let ours = moments(
                &draws
                    .param_by_name(&name)
                    .unwrap_or_else(|| panic!("no parameter {name} in the run")),
            );
            let r = Moments {
                mean: p.mean,
                sd: p.sd,
                mcse_mean: p.mcse_mean,
                mcse_sd: p.mcse_sd,
            };
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
