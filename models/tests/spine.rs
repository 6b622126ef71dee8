//! The spine models against their definitions in `peers/README.md`, and the registry.

mod common;

use common::Rng;
use flowpost::LogDensity;
use flowpost_models::{Gauss100, ModelError, ModelOptions, list, load, load_builtin};

/// `lp(a) − lp(b)` must equal the formula's difference.
fn assert_same_up_to_constant(name: &str, formula: impl Fn(&[f64]) -> f64, points: &[Vec<f64>]) {
    let m = load(name, &ModelOptions::default()).unwrap();
    let mut g = vec![0.0; m.dim()];
    let offsets: Vec<f64> = points
        .iter()
        .map(|p| m.log_density(p, &mut g).unwrap() - formula(p))
        .collect();
    for o in &offsets {
        assert!(
            (o - offsets[0]).abs() < 1e-9 * offsets[0].abs().max(1.0),
            "{name}: {offsets:?}"
        );
    }
}

fn random_points(d: usize, n: usize, scale: f64, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (0..d).map(|_| scale * rng.normal()).collect())
        .collect()
}

#[test]
fn funnel_and_banana_follow_their_definitions() {
    let ln = |x: f64, m: f64, s: f64| -s.ln() - 0.5 * ((x - m) / s).powi(2);
    assert_same_up_to_constant(
        "funnel",
        |p| {
            ln(p[0], 0.0, 3.0)
                + p[1..]
                    .iter()
                    .map(|x| ln(*x, 0.0, (p[0] / 2.0).exp()))
                    .sum::<f64>()
        },
        &random_points(10, 6, 2.0, 1),
    );
    assert_same_up_to_constant(
        "banana",
        |p| ln(p[0], 0.0, 10.0) + ln(p[1], 0.03 * p[0] * p[0] - 3.0, 1.0),
        &random_points(2, 6, 5.0, 2),
    );
}

#[test]
fn gauss100_gradient_inverts_the_covariance() {
    // ∇ log p(θ) = −S⁻¹(θ − m), so S·(−∇) must give back θ − m, with S from the data file
    let g100 = Gauss100::new().unwrap();
    let (m, s) = (g100.mean().to_vec(), g100.cov().to_vec());
    let mut rng = Rng::new(3);
    let theta: Vec<f64> = m.iter().map(|v| v + rng.normal()).collect();
    let mut grad = vec![0.0; 100];
    let lp = g100.log_density(&theta, &mut grad).unwrap();
    for i in 0..100 {
        let back: f64 = (0..100).map(|j| -s[i * 100 + j] * grad[j]).sum();
        assert!(
            (back - (theta[i] - m[i])).abs() < 1e-8,
            "row {i}: {back} vs {}",
            theta[i] - m[i]
        );
    }
    // and log p = −½ (θ − m)ᵀ S⁻¹ (θ − m) = ½ (θ − m)ᵀ ∇
    let quad: f64 = (0..100).map(|i| (theta[i] - m[i]) * grad[i]).sum::<f64>() * 0.5;
    assert!((lp - quad).abs() < 1e-9 * lp.abs(), "{lp} vs {quad}");
}

#[test]
fn logreg_follows_its_definition() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/peers/logreg.json");
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let x: Vec<Vec<f64>> = serde_json::from_value(data["X"].clone()).unwrap();
    let y: Vec<f64> = serde_json::from_value(data["y"].clone()).unwrap();
    let formula = |b: &[f64]| {
        let prior = -0.5 * b.iter().map(|v| v * v).sum::<f64>();
        prior
            + x.iter()
                .zip(&y)
                .map(|(row, &yi)| {
                    let p =
                        1.0 / (1.0 + (-row.iter().zip(b).map(|(a, c)| a * c).sum::<f64>()).exp());
                    if yi == 1.0 { p.ln() } else { (1.0 - p).ln() }
                })
                .sum::<f64>()
    };
    assert_same_up_to_constant("logreg", formula, &random_points(25, 5, 0.3, 4));
}

#[test]
fn registry_lists_loadable_models_with_their_dimensions() {
    let all = list();
    assert_eq!(all.len(), 28);
    assert_eq!(all.iter().filter(|m| m.name.contains('-')).count(), 14);
    for info in &all {
        let m = load_builtin(info.name, &ModelOptions::default()).unwrap();
        assert_eq!(m.dim(), info.dim, "{}", info.name);
        let names = m.param_names();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{}: duplicate names", info.name);
        let mut out = vec![0.0; names.len()];
        m.constrain(&vec![0.1; m.dim()], &mut out);
        assert!(out.iter().all(|v| v.is_finite()), "{}", info.name);
        assert!(!info.description.is_empty());
    }
}

#[test]
fn bad_names_and_options_are_clear_errors() {
    let e = load("eight_school", &ModelOptions::default())
        .err()
        .unwrap();
    assert!(matches!(e, ModelError::UnknownModel { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("`eight_school`")
            && msg.contains("eight_schools_centered")
            && msg.contains("sblrc-blr"),
        "{msg}"
    );
    let e = load("banana", &ModelOptions { dim: Some(4) })
        .err()
        .unwrap();
    assert!(e.to_string().contains("fixed dimension (2)"), "{e}");
    assert!(load("funnel", &ModelOptions { dim: Some(0) }).is_err());
    assert_eq!(
        load("funnel", &ModelOptions { dim: Some(30) })
            .unwrap()
            .dim(),
        30
    );
}
