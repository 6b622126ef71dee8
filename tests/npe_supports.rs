//! Supports and prior families for NPE: the log/logit maps invert each other and their
//! log-Jacobians match finite differences; each [`Marginal`]'s density integrates to 1 and its
//! sampler has the family's exact mean; prior specs parse, and bad ones get errors that name
//! the file, the parameter and the family.

use flowpost::npe::*;
use rand::RngExt;

fn supports() -> Vec<Support> {
    vec![
        Support::new(vec![Some(0.0)], vec![None]).unwrap(),
        Support::new(vec![None], vec![Some(2.0)]).unwrap(),
        Support::new(vec![Some(-1.0)], vec![Some(3.0)]).unwrap(),
        Support::new(vec![Some(1e-3)], vec![Some(2e-3)]).unwrap(),
        Support::unbounded(1),
    ]
}

/// A point strictly inside a 1-d support from a uniform draw in (0, 1).
fn inside(s: &Support, r: f64) -> f64 {
    match (s.lower[0], s.upper[0]) {
        (Some(a), Some(b)) => a + (b - a) * r,
        (Some(a), None) => a + (r / (1.0 - r)),
        (None, Some(b)) => b - (r / (1.0 - r)),
        (None, None) => 20.0 * (r - 0.5),
    }
}

#[test]
fn support_maps_round_trip_and_their_log_jacobians_match_finite_differences() {
    let mut rng = flowpost::rng::seeded(7, 0);
    for s in supports() {
        for _ in 0..500 {
            let r: f64 = rng.random::<f64>().clamp(1e-6, 1.0 - 1e-6);
            let t = inside(&s, r);
            let mut u = [0.0];
            let log_jac = s.unconstrain(&[t], &mut u);
            let mut back = [0.0];
            s.constrain(&u, &mut back);
            let scale = t.abs().max(1e-3);
            assert!((back[0] - t).abs() <= 1e-9 * scale, "{s:?}: {t} → {back:?}");
            // du/dθ by central differences, with a step well inside the support.
            let h = 1e-6 * scale.min((t - s.lower[0].unwrap_or(f64::MIN)).abs());
            let h = h.min(1e-6 * (s.upper[0].unwrap_or(f64::MAX) - t).abs());
            let (mut up, mut down) = ([0.0], [0.0]);
            s.unconstrain(&[t + h], &mut up);
            s.unconstrain(&[t - h], &mut down);
            let fd = ((up[0] - down[0]) / (2.0 * h)).abs().ln();
            assert!(
                (fd - log_jac).abs() < 1e-5,
                "{s:?} at {t}: {fd} vs {log_jac}"
            );
        }
        // Extreme u never leaves the (open) support.
        for v in [-1e3, -745.0, -40.0, 40.0, 745.0, 1e3] {
            let mut t = [0.0];
            s.constrain(&[v], &mut t);
            assert!(s.contains(&t), "{s:?}: u = {v} gave θ = {}", t[0]);
        }
    }
    assert!(Support::new(vec![Some(1.0)], vec![Some(1.0)]).is_err());
    assert!(Support::new(vec![Some(f64::NAN)], vec![None]).is_err());
    assert!(Support::new(vec![None, None], vec![None]).is_err());
}

fn families() -> Vec<(Marginal, f64)> {
    use std::f64::consts::PI;
    vec![
        (
            Marginal::Uniform {
                lower: -1.0,
                upper: 3.0,
            },
            1.0,
        ),
        (Marginal::Normal { mean: 1.5, sd: 2.0 }, 1.5),
        (
            Marginal::LogNormal {
                mu: 0.3,
                sigma: 0.7,
            },
            (0.3f64 + 0.245).exp(),
        ),
        (
            Marginal::Gamma {
                shape: 0.5,
                rate: 2.0,
            },
            0.25,
        ),
        (
            Marginal::Gamma {
                shape: 3.0,
                rate: 1.5,
            },
            2.0,
        ),
        (
            Marginal::Beta {
                alpha: 0.5,
                beta: 2.0,
            },
            0.2,
        ),
        (
            Marginal::Beta {
                alpha: 3.0,
                beta: 1.5,
            },
            3.0 / 4.5,
        ),
        (Marginal::HalfNormal { sd: 1.5 }, 1.5 * (2.0 / PI).sqrt()),
    ]
}

#[test]
fn each_family_integrates_to_one_and_samples_its_exact_mean() {
    for (m, mean) in families() {
        let p = IndependentPrior::new(vec![m]).unwrap();
        let s = p.support();
        // ∫ p(θ) dθ = ∫ p(T(u)) |dT/du| du: a smooth integrand on ℝ, decaying at least
        // exponentially in u for every family here, so the trapezoid rule converges fast.
        let (h, mut total) = (1e-3, 0.0);
        for k in -80_000..=80_000 {
            let u = k as f64 * h;
            let mut t = [0.0];
            s.constrain(&[u], &mut t);
            let mut back = [0.0];
            let log_jac = s.unconstrain(&t, &mut back);
            total += (p.log_density(&t) - log_jac).exp() * h;
        }
        assert!((total - 1.0).abs() < 1e-6, "{m:?}: ∫ p = {total}");

        let n = 200_000;
        let mut rng = flowpost::rng::seeded(11, 0);
        let draws: Vec<f64> = (0..n).map(|_| m.sample(&mut rng)).collect();
        assert!(draws.iter().all(|t| s.contains(&[*t])), "{m:?}");
        let avg = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|t| (t - avg).powi(2)).sum::<f64>() / (n - 1) as f64;
        let mcse = (var / n as f64).sqrt();
        assert!((avg - mean).abs() < 5.0 * mcse, "{m:?}: {avg} vs {mean}");
        // Power: a mean off by a tenth of a standard deviation would fail.
        assert!((avg - mean - 0.1 * var.sqrt()).abs() > 5.0 * mcse, "{m:?}");
    }
}

#[test]
fn independent_priors_sum_their_marginals_and_parse_from_specs() {
    let spec = r#"{"parameters": [
        {"family": "log_normal", "mu": 0, "sigma": 0.5, "name": "k"},
        {"family": "uniform", "lower": -1, "upper": 1},
        {"family": "normal", "mean": 0, "sd": 1},
        {"family": "gamma", "shape": 2, "rate": 1},
        {"family": "beta", "alpha": 2, "beta": 3},
        {"family": "half_normal", "sd": 1}
    ]}"#;
    let p = IndependentPrior::from_json(spec, "spec.json").unwrap();
    assert_eq!(p.dim(), 6);
    assert_eq!(p.names()[0], "k");
    assert_eq!(p.names()[1], "parameter_2");
    let theta = [1.2, 0.3, -0.4, 1.7, 0.25, 0.8];
    let sum: f64 = (0..6).map(|i| p.marginals()[i].log_density(theta[i])).sum();
    assert_eq!(p.log_density(&theta), sum);
    assert!(p.in_support(&theta));
    let s = p.support();
    let describe: Vec<String> = (0..6).map(|i| s.describe(i)).collect();
    assert_eq!(
        describe,
        ["(0, ∞)", "(-1, 1)", "(-∞, ∞)", "(0, ∞)", "(0, 1)", "(0, ∞)"]
    );
    let families: Vec<&str> = p.marginals().iter().map(Marginal::family).collect();
    assert_eq!(
        families,
        [
            "log_normal",
            "uniform",
            "normal",
            "gamma",
            "beta",
            "half_normal"
        ]
    );
    let mut rng = flowpost::rng::seeded(1, 0);
    let mut t = [0.0; 6];
    for _ in 0..1000 {
        p.sample(&mut rng, &mut t);
        assert!(s.contains(&t) && p.log_density(&t).is_finite());
    }
    // The box forms: independent uniforms.
    for spec in [
        r#"{"box": {"lower": [0, 1], "upper": [1, 2]}}"#,
        r#"{"lower": [0, 1], "upper": [1, 2]}"#,
    ] {
        let b = IndependentPrior::from_json(spec, "b.json").unwrap();
        assert_eq!(b.bounds().unwrap().upper, [1.0, 2.0]);
        assert_eq!(b.support().describe(1), "(1, 2)");
    }
}

fn spec_error(spec: &str) -> String {
    let err = IndependentPrior::from_json(spec, "prior.json").unwrap_err();
    assert!(matches!(err, NpeError::PriorFile { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("prior spec prior.json: "), "{msg}");
    msg
}

#[test]
fn bad_prior_specs_name_the_file_the_parameter_and_the_family() {
    let msg = spec_error(
        r#"{"parameters": [{"family": "normal", "mean": 0, "sd": 1},
                          {"family": "cauchy", "loc": 0, "name": "b"}]}"#,
    );
    assert!(
        msg.contains("parameter 2 (`b`): unknown family `cauchy`")
            && msg.contains("log_normal, gamma, beta, half_normal"),
        "{msg}"
    );
    let msg = spec_error(r#"{"parameters": [{"family": "normal", "mean": 0, "sd": -1}]}"#);
    assert!(
        msg.contains("parameter 1 (`parameter_1`): family `normal`: `sd` must be positive"),
        "{msg}"
    );
    let msg = spec_error(r#"{"parameters": [{"family": "half_normal", "sd": 0}]}"#);
    assert!(
        msg.contains("`sd` must be positive and finite, got 0"),
        "{msg}"
    );
    let msg = spec_error(r#"{"parameters": [{"family": "gamma", "shape": 2}]}"#);
    assert!(
        msg.contains("family `gamma`") && msg.contains("rate"),
        "{msg}"
    );
    let msg = spec_error(r#"{"parameters": [{"family": "beta", "alpha": 1, "beta": 1, "x": 2}]}"#);
    assert!(
        msg.contains("family `beta`") && msg.contains("`x`"),
        "{msg}"
    );
    let msg = spec_error(r#"{"parameters": [{"mu": 0}]}"#);
    assert!(msg.contains("missing `family`"), "{msg}");
    let msg = spec_error(r#"{"parameters": [{"family": "uniform", "lower": 1, "upper": 0}]}"#);
    assert!(msg.contains("lower < upper"), "{msg}");
    assert!(spec_error("{\"parameters\": [").contains("not valid JSON"));
    assert!(spec_error("{\"parameters\": []}").contains("non-empty"));
    assert!(spec_error("{\"priors\": []}").contains("expected {\"parameters\""));
    assert!(spec_error(r#"{"box": {"lower": [0], "upper": [0]}}"#).contains("lower < upper"));
    // In Rust: invalid marginals are refused with the parameter named.
    let err = IndependentPrior::new(vec![
        Marginal::Normal { mean: 0.0, sd: 1.0 },
        Marginal::LogNormal {
            mu: 0.0,
            sigma: f64::NAN,
        },
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("parameter 2") && err.contains("`sigma`"),
        "{err}"
    );
    let missing = std::path::Path::new("/nonexistent/prior.json");
    let err = IndependentPrior::load(missing).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/prior.json"), "{err}");
}
