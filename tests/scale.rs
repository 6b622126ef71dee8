//! The scale targets of issue 17 against their exact posteriors (the latent GP against its
//! long-run reference). In CI: the centered hierarchical regression at 20 groups (d = 23),
//! where `auto` trains a flow and must be correct, and the latent GP at 50 inputs (d = 51).
//! Ignored (slow): the 1000-group regression (d = 1003) and the 1000-d funnel, which today
//! fail on the flow path, and the 500-input latent GP — run them to see where things stand:
//!
//! ```sh
//! cargo test --release --test scale -- --ignored --nocapture
//! ```
//!
//! `cargo bench --bench scaling` measures the cost of every method at d = 10 … 10,000.

use flowpost::nuts::Metric;
use flowpost::{LogDensity, Method, SampleSettings, sample};
use flowpost_models::reference::{Criteria, judge, reference};
use flowpost_models::{ModelOptions, load};

fn run(model: &str, dim: usize, method: Method, seed: u64) -> (flowpost::Run, Vec<String>) {
    run_with(model, dim, method, SampleSettings::default().metric, seed)
}

fn run_with(
    model: &str,
    dim: usize,
    method: Method,
    metric: Metric,
    seed: u64,
) -> (flowpost::Run, Vec<String>) {
    let options = ModelOptions { dim: Some(dim) };
    let density = load(model, &options).unwrap();
    assert_eq!(density.dim(), dim);
    let settings = SampleSettings {
        method,
        metric,
        seed,
        ..Default::default()
    };
    let run = sample(&*density, &settings).unwrap();
    let r = reference(model, &options).unwrap().unwrap();
    let verdict = judge(&run.draws, &r, &Criteria::default());
    eprintln!(
        "{model} d = {dim}: worst |z| {:.2} ({}), max R-hat {:.4}, {:.2}% divergent",
        verdict.worst.1,
        verdict.worst.0,
        verdict.max_r_hat,
        100.0 * verdict.divergent_fraction
    );
    (run, verdict.failures)
}

/// Measured: auto escalates to a flow (the centered funnel between `tau` and the groups'
/// effects), 0 divergences, R-hat 1.004, 41 ESS per 1000 gradients, seed 1.
#[test]
fn auto_is_correct_on_a_20_group_centered_regression() {
    let (run, failures) = run("hier_regression", 23, Method::Auto, 1);
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        run.auto.as_ref().map(|a| a.choice),
        Some(flowpost::auto::AutoChoice::Flow)
    );
}

#[test]
#[ignore = "slow: minutes; the flow's training fails at this size today (issue 17)"]
fn auto_on_the_1000_group_regression() {
    let (run, failures) = run("hier_regression", 1003, Method::Auto, 1);
    eprintln!("auto: {:?}", run.auto.as_ref().map(|a| a.describe()));
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
#[ignore = "slow: minutes; the flow's training fails at this size today (issue 17)"]
fn auto_on_the_1000_d_funnel() {
    let (run, failures) = run("funnel", 1000, Method::Auto, 1);
    eprintln!("auto: {:?}", run.auto.as_ref().map(|a| a.describe()));
    assert!(failures.is_empty(), "{failures:?}");
}

/// The latent GP at 50 inputs against its reference (10 × 10,000 low-rank NUTS draws), with the
/// default method.
#[test]
fn auto_is_correct_on_the_50_input_latent_gp() {
    let (run, failures) = run("latent_gp", 51, Method::Auto, 1);
    eprintln!("auto: {:?}", run.auto.as_ref().map(|a| a.describe()));
    assert!(failures.is_empty(), "{failures:?}");
}

/// The reference was made by low-rank NUTS; diagonal NUTS (another metric and adaptation)
/// must agree with it too.
#[test]
fn diagonal_nuts_agrees_with_the_50_input_latent_gp_reference() {
    let (_, failures) = run("latent_gp", 51, Method::Nuts, 1);
    assert!(failures.is_empty(), "{failures:?}");
}

/// Measured (seed 1, under load): auto escalates to a flow (Fisher distance 1.57 > 1.5) and is
/// correct, 0 divergences, 7.8 ESS per 1000 gradients with the training counted, 549 s.
#[test]
#[ignore = "slow: ~9 minutes (issue 17's 500-input latent GP)"]
fn auto_on_the_500_input_latent_gp() {
    let (run, failures) = run("latent_gp", 501, Method::Auto, 1);
    eprintln!("auto: {:?}", run.auto.as_ref().map(|a| a.describe()));
    assert!(failures.is_empty(), "{failures:?}");
}

/// Fails at seed 1 today: every moment within 4 MCSEs, but 37 divergent draws (0.92%, limit
/// 0.5%); 0.5 ESS per 1000 gradients, 261 s.
#[test]
#[ignore = "slow: ~4 minutes; low-rank NUTS fails here today (0.92% divergent, issue 17)"]
fn low_rank_nuts_on_the_500_input_latent_gp() {
    let (_, failures) = run_with("latent_gp", 501, Method::Nuts, Metric::LowRank, 1);
    assert!(failures.is_empty(), "{failures:?}");
}
