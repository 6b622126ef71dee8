//! The scale targets of issue 17 against their exact posteriors. In CI: the centered
//! hierarchical regression at 20 groups (d = 23), where `auto` trains a flow and must be correct.
//! Ignored (slow): the 1000-group regression (d = 1003) and the 1000-d funnel, which today
//! fail on the flow path — run them to see where things stand:
//!
//! ```sh
//! cargo test --release --test scale -- --ignored --nocapture
//! ```
//!
//! `cargo bench --bench scaling` measures the cost of every method at d = 10 … 10,000.

use flowpost::{LogDensity, Method, SampleSettings, sample};
use flowpost_models::reference::{Criteria, judge, reference};
use flowpost_models::{ModelOptions, load};

fn run(model: &str, dim: usize, method: Method, seed: u64) -> (flowpost::Run, Vec<String>) {
    let options = ModelOptions { dim: Some(dim) };
    let density = load(model, &options).unwrap();
    assert_eq!(density.dim(), dim);
    let settings = SampleSettings {
        method,
        seed,
        ..Default::default()
    };
    let run = sample(&*density, &settings).unwrap();
    let r = reference(model, &options).unwrap().unwrap();
    let verdict = judge(&run.draws, &r, &Criteria::default());
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
