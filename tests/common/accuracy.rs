//! The accuracy check of a run against posteriordb's reference draws (issue 4), shared by the
//! CI subset (`tests/accuracy.rs`), the full suite (its `#[ignore]`d test) and the Stan-file
//! suite (`tests/stan_accuracy.rs`).
//!
//! A run passes when, for every parameter the reference draws store:
//! - **mean**: `|mean − mean_ref| ≤ 4·sqrt(MCSE_mean² + MCSE_mean,ref²)` (both MCSEs from the
//!   draws' own bulk ESS, [`mcse_mean`](flowpost::diagnostics::mcse_mean));
//! - **sd**: `|sd − sd_ref| ≤ 4·sqrt(MCSE_sd² + MCSE_sd,ref²)`, where MCSE_sd is the
//!   delta-method standard error of the sample sd ([`mcse_sd`](flowpost::diagnostics::mcse_sd)):
//!   with `s² = (θ − θ̄)²`, `Var(mean s²) ≈ (E s⁴ − (E s²)²) / ESS(s²)` and
//!   `Var(sd) ≈ Var(mean s²) / (4 E s²)`. It accounts for autocorrelation (through the ESS of
//!   the squared deviations) and for heavy tails (through the fourth moment), so the sd's z-score
//!   is ~N(0, 1) for a correct sampler just like the mean's;
//! - **R-hat** (rank-normalized split, the maximum over those parameters) `< 1.01`;
//! - **divergences**: fewer than 0.5% of the post-warmup draws.
//!
//! Both estimates are independent (ours and the reference's 10 × 1000 Stan draws, whose moments
//! and MCSEs are vendored in `models/data/posteriordb/reference/`), so the
//! difference has variance MCSE² + MCSE_ref². At |z| ≤ 4 a correct sampler fails one check with
//! probability ~6e-5, ~0.03 false alarms over the full suite's ~450 mean and sd checks; a
//! bias of 1% of an sd is invisible at ESS ~1000, a bias of 15% is not.

// `!(z <= max)` is deliberate throughout: a NaN z-score or R-hat must fail the check.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use super::{Comparison, compare_with_reference};
use flowpost::diagnostics::summarize;
use flowpost::{GradEvals, LogDensity, Method, Run, SampleSettings, sample};
use std::fmt::Write;

/// The fixed seed of every accuracy run (chosen once, never changed to get a pass).
pub const SEED: u64 = 1;

/// The pass criteria (module docs).
#[derive(Debug, Clone, Copy)]
pub struct Criteria {
    /// Largest |z| of a mean or an sd.
    pub max_abs_z: f64,
    /// R-hat must be below this.
    pub max_r_hat: f64,
    /// Divergent draws must be fewer than this fraction of all post-warmup draws.
    pub max_divergent_fraction: f64,
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria {
            max_abs_z: 4.0,
            max_r_hat: 1.01,
            max_divergent_fraction: 0.005,
        }
    }
}

/// What one posterior × method run gave: the table row plus the details a diagnosis needs.
#[derive(Debug, Clone)]
pub struct AccuracyRow {
    pub posterior: String,
    pub method: Method,
    /// Empty when the run passed; else one line per failed criterion.
    pub failures: Vec<String>,
    /// Per-parameter comparisons with the reference.
    pub comparisons: Vec<Comparison>,
    /// The parameter with the largest |z| of the mean, and that z.
    pub worst_mean: (String, f64),
    /// The parameter with the largest |z| of the sd, and that z.
    pub worst_sd: (String, f64),
    /// Largest R-hat over the compared parameters.
    pub max_r_hat: (String, f64),
    /// Smallest bulk ESS over the compared parameters.
    pub min_ess_bulk: (String, f64),
    pub num_divergent: usize,
    pub num_warmup_divergent: usize,
    /// Post-warmup draws whose tree hit the maximum depth.
    pub num_max_depth: usize,
    /// All post-warmup draws.
    pub num_draws: usize,
    /// Adapted step size per chain (3 significant digits).
    pub step_sizes: Vec<String>,
    /// The flow fit (NeuTra): Pareto k-hat, ELBO ± MCSE, steps.
    pub vi: Option<(f64, f64, f64, usize)>,
    /// The fit's Gaussian initialization in one line (NeuTra).
    pub init: Option<String>,
    pub grad_evals: GradEvals,
    pub seconds: f64,
}

impl AccuracyRow {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Everything about the row on a few lines (for logs and diagnosis).
    pub fn details(&self) -> String {
        let mut s = format!(
            "{} / {}: {}\n",
            self.posterior,
            self.method.name(),
            if self.passed() { "pass" } else { "FAIL" }
        );
        for f in &self.failures {
            let _ = writeln!(s, "  failed: {f}");
        }
        if let Some((k, elbo, mcse, steps)) = self.vi {
            let _ = writeln!(
                s,
                "  flow: k-hat {k:.2}, ELBO {elbo:.3} ± {mcse:.3} after {steps} steps"
            );
        }
        if let Some(init) = &self.init {
            let _ = writeln!(s, "  init: {init}");
        }
        let _ = writeln!(
            s,
            "  divergences {} (+{} in warmup), max-depth draws {}, adapted step sizes {:?}",
            self.num_divergent, self.num_warmup_divergent, self.num_max_depth, self.step_sizes
        );
        for c in &self.comparisons {
            let _ = writeln!(
                s,
                "  {:<12} mean {:>11.4e} (ref {:>11.4e}, z {:>6.2})  sd {:>10.3e} (ref {:>10.3e}, z {:>6.2})",
                c.name, c.ours.mean, c.reference.mean, c.z_mean, c.ours.sd, c.reference.sd, c.z_sd
            );
        }
        s
    }
}

/// The suite's sampler settings: 4 chains × 1000 draws, the fixed seed, defaults otherwise.
pub fn settings(method: Method) -> SampleSettings {
    SampleSettings {
        method,
        seed: SEED,
        num_chains: 4,
        num_draws: 1000,
        ..Default::default()
    }
}

/// The 14 posteriordb posteriors with a vendored reference (each is also a built-in model's
/// name), sorted.
pub fn posteriordb_names() -> Vec<String> {
    super::reference::names()
}

/// Applies the criteria to a run, comparing with the reference draws of `posterior`.
pub fn check(posterior: &str, run: &Run, criteria: &Criteria) -> AccuracyRow {
    let comparisons = compare_with_reference(&run.draws, posterior);
    let summary = summarize(&run.draws);
    let compared = |name: &str| comparisons.iter().any(|c| c.name == name);
    let worst = |f: fn(&Comparison) -> f64| -> (String, f64) {
        comparisons
            .iter()
            .map(|c| (c.name.clone(), f(c)))
            // NaN counts as the worst.
            .max_by(|a, b| nan_high(a.1.abs()).total_cmp(&nan_high(b.1.abs())))
            .expect("the reference stores at least one parameter")
    };
    let worst_mean = worst(|c| c.z_mean);
    let worst_sd = worst(|c| c.z_sd);
    let max_r_hat = summary
        .iter()
        .filter(|p| compared(&p.name))
        .map(|p| (p.name.clone(), p.r_hat))
        .max_by(|a, b| nan_high(a.1).total_cmp(&nan_high(b.1)))
        .unwrap();
    let min_ess_bulk = summary
        .iter()
        .filter(|p| compared(&p.name))
        .map(|p| (p.name.clone(), p.ess_bulk))
        .min_by(|a, b| nan_low(a.1).total_cmp(&nan_low(b.1)))
        .unwrap();
    let num_draws = run.draws.num_chains() * run.draws.num_draws();
    let num_divergent = run.draws.num_divergent();
    let max_depth = settings(run.method).max_depth;
    let num_max_depth = run
        .draws
        .chains
        .iter()
        .flat_map(|c| &c.stats)
        .filter(|s| s.tree_depth >= max_depth)
        .count();

    let mut failures = vec![];
    for c in &comparisons {
        if !(c.z_mean.abs() <= criteria.max_abs_z) {
            failures.push(format!(
                "{}: mean {:.4e} vs reference {:.4e} (z = {:.2})",
                c.name, c.ours.mean, c.reference.mean, c.z_mean
            ));
        }
        if !(c.z_sd.abs() <= criteria.max_abs_z) {
            failures.push(format!(
                "{}: sd {:.4e} vs reference {:.4e} (z = {:.2})",
                c.name, c.ours.sd, c.reference.sd, c.z_sd
            ));
        }
    }
    if !(max_r_hat.1 < criteria.max_r_hat) {
        failures.push(format!("R-hat of {} is {:.4}", max_r_hat.0, max_r_hat.1));
    }
    if !((num_divergent as f64) < criteria.max_divergent_fraction * num_draws as f64) {
        failures.push(format!("{num_divergent} divergent of {num_draws} draws"));
    }
    AccuracyRow {
        posterior: posterior.to_string(),
        method: run.method,
        failures,
        comparisons,
        worst_mean,
        worst_sd,
        max_r_hat,
        min_ess_bulk,
        num_divergent,
        num_warmup_divergent: run.num_warmup_divergent(),
        num_max_depth,
        num_draws,
        step_sizes: run
            .draws
            .chains
            .iter()
            .map(|c| {
                c.adapted_step_size
                    .map_or("?".into(), |h| format!("{h:.3e}"))
            })
            .collect(),
        vi: run
            .vi
            .as_ref()
            .map(|v| (v.pareto_k, v.elbo, v.elbo_mcse, v.num_steps)),
        init: run.vi.as_ref().and_then(|v| v.init.as_ref()).map(|i| {
            let list = |v: &[f64]| {
                v.iter()
                    .map(|e| format!("{e:.4e}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "L-BFGS path {} points, chosen {:?}, candidate ELBOs [{}], race ELBOs [{}]",
                i.path_len,
                i.chosen,
                list(&i.candidate_elbos),
                list(&i.race_elbos)
            )
        }),
        grad_evals: run.cost.num_grad_evals,
        seconds: run.cost.seconds.total,
    }
}

fn nan_high(x: f64) -> f64 {
    if x.is_nan() { f64::INFINITY } else { x }
}

fn nan_low(x: f64) -> f64 {
    if x.is_nan() { f64::NEG_INFINITY } else { x }
}

/// Samples `density` with the suite's settings and checks it against `posterior`'s reference.
/// A sampler error is a failed row, not a panic, so that a suite reports every posterior.
pub fn run_and_check<D: LogDensity + ?Sized>(
    posterior: &str,
    density: &D,
    method: Method,
) -> Result<AccuracyRow, String> {
    let run = sample(density, &settings(method))
        .map_err(|e| format!("{posterior} / {}: sampler error: {e}", method.name()))?;
    Ok(check(posterior, &run, &Criteria::default()))
}

/// [`run_and_check`] on the built-in model of that name.
pub fn run_builtin(posterior: &str, method: Method) -> Result<AccuracyRow, String> {
    let model = flowpost_models::load(posterior, &Default::default())
        .unwrap_or_else(|e| panic!("built-in model {posterior}: {e}"));
    run_and_check(posterior, &*model, method)
}

/// A comma-separated list from the environment (`FLOWPOST_ACCURACY_POSTERIORS`, …).
pub fn env_list(var: &str) -> Option<Vec<String>> {
    std::env::var(var)
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
}

/// The methods named in `FLOWPOST_ACCURACY_METHODS` (`neutra`, `nuts`), else `default`.
pub fn env_methods(default: &[Method]) -> Vec<Method> {
    match env_list("FLOWPOST_ACCURACY_METHODS") {
        Some(names) => names
            .iter()
            .map(|s| match s.as_str() {
                "neutra" => Method::NeuTra,
                "nuts" => Method::Nuts,
                other => {
                    panic!("FLOWPOST_ACCURACY_METHODS: unknown method {other}; use neutra or nuts")
                }
            })
            .collect(),
        None => default.to_vec(),
    }
}

/// The table of rows in Markdown.
pub fn table(rows: &[AccuracyRow]) -> String {
    let mut s = String::from(
        "| posterior | method | result | worst \\|z\\| mean | worst \\|z\\| sd | max R-hat \
         | divergent | max-depth draws | min ESS bulk | k-hat | grad evals vi | warmup | sampling \
         | seconds |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} ({}) | {:.2} ({}) | {:.3} | {} | {} | {:.0} ({}) | {} | {} | {} | {} | {:.1} |",
            r.posterior,
            r.method.name(),
            if r.passed() { "pass" } else { "**FAIL**" },
            r.worst_mean.1.abs(),
            r.worst_mean.0,
            r.worst_sd.1.abs(),
            r.worst_sd.0,
            r.max_r_hat.1,
            r.num_divergent,
            r.num_max_depth,
            r.min_ess_bulk.1,
            r.min_ess_bulk.0,
            r.vi.map_or("–".to_string(), |v| format!("{:.2}", v.0)),
            r.grad_evals.vi,
            r.grad_evals.warmup,
            r.grad_evals.sampling,
            r.seconds
        );
    }
    s
}

/// Panics listing the failed rows (with their details) and the errors, if any.
pub fn assert_all_passed(rows: &[AccuracyRow], errors: &[String]) {
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| !r.passed())
        .map(|r| r.details())
        .collect();
    assert!(
        failed.is_empty() && errors.is_empty(),
        "{} failed, {} errors:\n{}\n{}",
        failed.len(),
        errors.len(),
        failed.join("\n"),
        errors.join("\n")
    );
}
