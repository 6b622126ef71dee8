//! The scale targets of issue 17 against their exact posteriors (the latent GP against its
//! long-run reference). In CI: the centered hierarchical regression at 20 groups (d = 23),
//! where `auto` trains a flow and must be correct, at 1000 groups (d = 1003, seeds 1 and 2:
//! the two ways auto reaches low-rank NUTS there), and the latent GP at 50 inputs (d = 51).
//! Ignored (slow): the 1000-d funnel and the 500-input latent GP — run them to see where
//! things stand:
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

/// Seed 1: the whitened pilot's Fisher distance reads 0.80 per dimension (the chains sit in
/// the funnel's neck, where the target looks Gaussian) but its warmup's E-BFMI is below 0.3 in
/// all 4 chains, so low-rank NUTS runs with its full warmup instead. Measured: correct, 208k
/// gradients, 4.1 per 1000 (low-rank NUTS alone: 5.5), 15 s.
#[test]
fn auto_on_the_1000_group_regression_after_a_stuck_warmup() {
    let (run, failures) = run("hier_regression", 1003, Method::Auto, 1);
    let auto = run.auto.as_ref().unwrap();
    eprintln!("auto: {}", auto.describe());
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(auto.choice, flowpost::auto::AutoChoice::LowRank);
    let f = auto.fallback.as_ref().expect("the warmup failed");
    assert!(f.failed_check.is_none() && f.reason.starts_with("E-BFMI"));
    assert!(run.flow.is_none());
}

/// Seed 2: the pilot calls for a flow (Fisher distance 3.02 per dimension), but above 200
/// dimensions low-rank NUTS runs first, and its draws pass: no flow is trained. Measured:
/// correct, 210k gradients, 3.5 per 1000 (low-rank NUTS alone: 4.9), 10 s (the flow path
/// took 457 s and was wrong).
#[test]
fn auto_on_the_1000_group_regression_tries_low_rank_before_a_flow() {
    let (run, failures) = run("hier_regression", 1003, Method::Auto, 2);
    let auto = run.auto.as_ref().unwrap();
    eprintln!("auto: {}", auto.describe());
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(auto.choice, flowpost::auto::AutoChoice::LowRank);
    assert!(auto.escalation_reason.is_some());
    let first = auto
        .low_rank_first
        .as_ref()
        .expect("low-rank NUTS ran first");
    assert_eq!((first.dim, first.failure.as_deref()), (1003, None));
    assert!(
        run.vi.as_ref().unwrap().num_steps == 0,
        "no flow was trained"
    );
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
