//! Every built-in model's gradient against finite differences, at reference draws mapped to the
//! unconstrained space and at random points.

mod common;

use common::{Rng, load_reference};
use flowpost::check_gradient;
use flowpost_models::{ModelOptions, list, load_builtin};

/// Relative gradient error allowed (|analytic − numeric| / max(1, |numeric|)).
const TOL: f64 = 1e-6;

/// Finite-difference step and tolerance per model. `gp_pois_regr` factorises a covariance with
/// a 1e-10 jitter whose condition number reaches ~1e10 at typical (rho ≈ 6) draws: its
/// log-density carries rounding noise of ~1e-9 relative, so central differences agree with
/// the (exact, forward-mode) gradient only to ~1e-5 at any step. It is checked strictly at
/// well-conditioned points in `gp_gradient_is_exact_where_the_covariance_is_well_conditioned`.
fn step_and_tolerance(name: &str) -> (f64, f64) {
    if name == "gp_pois_regr-gp_pois_regr" {
        (1e-4, 1e-4)
    } else {
        (1e-5, TOL)
    }
}

#[test]
fn gradients_match_finite_differences() {
    let mut failures = Vec::new();
    for info in list() {
        let model = load_builtin(info.name, &ModelOptions::default()).unwrap();
        let d = model.dim();
        let mut points: Vec<Vec<f64>> = Vec::new();
        let mut rng = Rng::new(info.name.len() as u64 * 7919 + d as u64);
        if info.has_reference {
            let reference = load_reference(info.name);
            let n = reference.draws.len();
            for k in 0..4 {
                points.push(model.unconstrain(&reference.draws[(k * 2503 + 17) % n]));
            }
            // random points around a reference draw, in the unconstrained space
            let centre = points[0].clone();
            for _ in 0..3 {
                points.push(centre.iter().map(|c| c + 0.5 * rng.normal()).collect());
            }
        } else {
            for _ in 0..5 {
                points.push((0..d).map(|_| rng.normal()).collect());
            }
        }
        let (h, tol) = step_and_tolerance(info.name);
        for (i, p) in points.iter().enumerate() {
            let r = check_gradient(model.as_ref(), p, h)
                .unwrap_or_else(|e| panic!("{}: {e}", info.name));
            println!(
                "{:40} point {i}: max relative error {:.2e} (coordinate {})",
                info.name, r.max_rel_error, r.worst_index
            );
            if r.max_rel_error.is_nan() || r.max_rel_error >= tol {
                failures.push(format!(
                    "{} point {i}: error {:.3e} at {} (analytic {}, numeric {})",
                    info.name,
                    r.max_rel_error,
                    r.worst_index,
                    r.analytic[r.worst_index],
                    r.numeric[r.worst_index]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "gradient mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn funnel_dimension_option() {
    for d in [2, 3, 50] {
        let m = load_builtin("funnel", &ModelOptions { dim: Some(d) }).unwrap();
        assert_eq!((m.dim(), m.param_names().len()), (d, d));
        let p: Vec<f64> = (0..d).map(|i| 0.1 * i as f64 - 0.4).collect();
        assert!(check_gradient(m.as_ref(), &p, 1e-5).unwrap().max_rel_error < TOL);
    }
    let e = load_builtin("funnel", &ModelOptions { dim: Some(1) })
        .err()
        .unwrap();
    assert!(e.to_string().contains("dim ≥ 2"), "{e}");
}

#[test]
fn gp_gradient_is_exact_where_the_covariance_is_well_conditioned() {
    let m = load_builtin("gp_pois_regr-gp_pois_regr", &ModelOptions::default()).unwrap();
    let mut rng = Rng::new(5);
    for log_rho in [-0.5, 0.0, 0.5] {
        let mut p: Vec<f64> = (0..13).map(|_| 0.5 * rng.normal()).collect();
        p[0] = log_rho;
        let r = check_gradient(m.as_ref(), &p, 1e-5).unwrap();
        assert!(r.max_rel_error < TOL, "log rho = {log_rho}: {r:?}");
    }
}
