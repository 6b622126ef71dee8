//! `Method::Multimodal` on targets with known modes: every mode's weight within 4 MCSE of the
//! truth and the means and sds right (fixed seeds); plain NUTS on the same target gets the
//! weights wrong (so the check can fail); the same draws whatever the thread count; clear
//! errors when no start finds a mode.

use flowpost::multimodal::{ModeSearchSettings, find_modes};
use flowpost::{DensityError, LogDensity, Method, SampleSettings, sample};
use flowpost_models::occupancy::{judge_modes, modes};
use flowpost_models::reference::{Criteria, judge, reference};
use flowpost_models::{ModelOptions, load};

fn run(
    model: &str,
    dim: Option<usize>,
    method: Method,
    seed: u64,
) -> (flowpost::Run, bool, Vec<String>) {
    let options = ModelOptions { dim };
    let density = load(model, &options).unwrap();
    let settings = SampleSettings {
        method,
        seed,
        ..Default::default()
    };
    let run = sample(&*density, &settings).unwrap();
    let mut v = judge(
        &run.draws,
        &reference(model, &options).unwrap().unwrap(),
        &Criteria::default(),
    );
    let m = judge_modes(
        &run.draws,
        &modes(model, &options).unwrap().unwrap(),
        &Criteria::default(),
    );
    v.failures.extend(m.failures.clone());
    let summary: Vec<String> = m
        .modes
        .iter()
        .map(|o| format!("{:.3}±{:.3} ({:.3})", o.estimate, o.mcse, o.truth))
        .collect();
    println!(
        "{model} {method:?} seed {seed}: weights {summary:?}; failures {:?}",
        v.failures
    );
    (run, v.correct && m.correct, v.failures)
}

#[test]
fn two_modes_weighted_0_2_and_0_8_get_their_weights() {
    let (run, ok, failures) = run("mixture2", Some(2), Method::Multimodal, 1);
    assert!(ok, "{failures:?}");
    let report = run.multimodal.as_ref().unwrap();
    assert_eq!(report.modes.len(), 2);
    assert!(report.jump_acceptance > 0.5, "{}", report.describe());
    // Every chain visits both modes.
    assert!(
        report
            .modes
            .iter()
            .all(|m| m.occupancy_per_chain.iter().all(|&f| f > 0.05))
    );
}

#[test]
fn four_modes_in_ten_dimensions_get_their_weights() {
    let (run, ok, failures) = run("mixture4", Some(10), Method::Multimodal, 2);
    assert!(ok, "{failures:?}");
    assert_eq!(run.multimodal.as_ref().unwrap().modes.len(), 4);
}

#[test]
fn plain_nuts_gets_the_weights_wrong_on_the_same_target() {
    let (_, ok, failures) = run("mixture2", Some(2), Method::Nuts, 1);
    assert!(!ok);
    assert!(
        failures.iter().any(|f| f.starts_with("mode")),
        "{failures:?}"
    );
}

#[test]
fn the_draws_do_not_depend_on_the_thread_count() {
    let density = load("mixture2", &ModelOptions { dim: Some(3) }).unwrap();
    let settings = SampleSettings {
        method: Method::Multimodal,
        seed: 5,
        num_draws: 100,
        ..Default::default()
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let a = one.install(|| sample(&*density, &settings).unwrap());
    let b = sample(&*density, &settings).unwrap();
    assert_eq!(a.draws, b.draws);
    assert_eq!(a.cost.grad_evals, b.cost.grad_evals);
}

/// Fails everywhere (recoverably).
struct Nowhere;
impl LogDensity for Nowhere {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, _x: &[f64], _g: &mut [f64]) -> Result<f64, DensityError> {
        Err(DensityError::recoverable("outside the support"))
    }
}

/// log p = x₀ + x₁: increases without bound, no mode.
struct Ramp;
impl LogDensity for Ramp {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        g.fill(1.0);
        Ok(x[0] + x[1])
    }
}

#[test]
fn no_mode_found_is_a_clear_error() {
    let settings = ModeSearchSettings {
        num_starts: 4,
        ..Default::default()
    };
    let e = find_modes(&Nowhere, &settings, 1).unwrap_err().to_string();
    assert!(
        e.contains("all 4 starts failed") && e.contains("outside the support"),
        "{e}"
    );
    let e = find_modes(&Ramp, &settings, 1).unwrap_err().to_string();
    assert!(
        e.contains("all 4 starts failed") && e.contains("mode at infinity"),
        "{e}"
    );
    // Through sample(), without the preflight (which would stop Nowhere first).
    let s = SampleSettings {
        method: Method::Multimodal,
        preflight: false,
        ..Default::default()
    };
    let e = sample(&Nowhere, &s).unwrap_err().to_string();
    assert!(e.contains("multi-start mode search"), "{e}");
    let bad = SampleSettings {
        method: Method::Multimodal,
        multimodal: flowpost::multimodal::MultimodalSettings {
            search: ModeSearchSettings {
                num_starts: 0,
                ..Default::default()
            },
        },
        ..Default::default()
    };
    let e = sample(&Ramp, &bad).unwrap_err().to_string();
    assert!(e.contains("num_starts"), "{e}");
}
