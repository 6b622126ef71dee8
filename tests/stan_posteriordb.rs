//! Stan checks on posteriordb models. Most compile a model of their own (20–60 s each), so
//! they are ignored (run with `cargo test --release --test stan_posteriordb -- --ignored`); the
//! HMM (compiled for `tests/stan_vs_rust.rs` too) and the error-handling model (~30 s) run by
//! default. Posteriordb models with
//! constraints of every kind (ordered, simplex, positive_ordered, a Cholesky inside
//! transformed parameters) reproduce their reference draws' names and values through
//! unconstrain → constrain, and their gradients pass `check_gradient`; a fatal error, a
//! generated-quantity failure and the generated quantities' RNG seeding behave as documented.

mod stan_support;

use flowpost::stan::{StanCompileSettings, StanLibrary, StanModelSettings};
use flowpost::{LogDensity, check_gradient};
use stan_support::{compile, load_model, reference_draws, toolchain};

/// Compiles the posterior's model and checks it against its reference draws.
fn check_posterior(posterior: &str) {
    let lib = compile(posterior);
    let model = load_model(&lib, posterior, &StanModelSettings::default());
    let names = model.param_names();
    let draws = reference_draws(posterior);
    for name in draws.keys() {
        assert!(
            names.contains(name),
            "{posterior}: reference parameter {name} missing from {names:?}"
        );
    }
    let num_draws = draws.values().next().unwrap().len();
    let params = &names[..model.num_params()];
    let all_params_in_draws = params.iter().all(|n| draws.contains_key(n));
    let mut values = vec![0.0; names.len()];
    for (k, draw) in [0, num_draws / 3, num_draws - 1].into_iter().enumerate() {
        let theta = if all_params_in_draws {
            let given: Vec<f64> = params.iter().map(|n| draws[n][draw]).collect();
            model.unconstrain(&given).unwrap()
        } else {
            // Latent parameters not stored upstream: a deterministic moderate point instead.
            (0..model.dim())
                .map(|i| 0.8 * (1.3 * i as f64 + k as f64).sin())
                .collect()
        };
        model.try_constrain(&theta, &mut values).unwrap();
        if all_params_in_draws {
            // Every stored quantity, transformed parameters included, comes back.
            for (i, name) in names.iter().enumerate() {
                if let Some(d) = draws.get(name) {
                    let want = d[draw];
                    let tol = 1e-9 * want.abs().max(1.0);
                    assert!(
                        (values[i] - want).abs() <= tol,
                        "{posterior} draw {draw} {name}: {} vs {want}",
                        values[i]
                    );
                }
            }
        }
        let report = check_gradient(&model, &theta, 1e-5).unwrap();
        assert!(
            report.max_rel_error < 1e-6,
            "{posterior} draw {draw}: {report:?}"
        );
    }
    eprintln!(
        "{posterior}: d = {}, {} reported values, ok",
        model.dim(),
        names.len()
    );
}

fn eight_schools_centered() {
    check_posterior("eight_schools-eight_schools_centered");
}

fn diamonds() {
    check_posterior("diamonds-diamonds");
}

fn ark() {
    check_posterior("arK-arK");
}

fn gp_pois_regr() {
    check_posterior("gp_pois_regr-gp_pois_regr");
}

fn low_dim_gauss_mix() {
    check_posterior("low_dim_gauss_mix-low_dim_gauss_mix");
}

fn hmm_example_simplex_and_positive_ordered() {
    check_posterior("hmm_example-hmm_example");
}

const ERRORS_MODEL: &str = r#"
data {
  int idx;
}
parameters {
  real x;
}
model {
  vector[2] v = [x, -x]';
  x ~ normal(0, 1);
  target += v[idx];
}
generated quantities {
  real z = normal_rng(x, 1);
  if (x > 5) {
    reject("x is too big: ", x);
  }
}
"#;

fn fatal_errors_gq_failures_and_gq_seeding() {
    let toolchain = toolchain();
    let dir = std::env::temp_dir().join(format!("flowpost-stan-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("errors.stan");
    std::fs::write(&file, ERRORS_MODEL).unwrap();
    let lib = StanLibrary::compile(&toolchain, &file, &StanCompileSettings::default()).unwrap();
    let settings = StanModelSettings::default();
    let mut g = [0.0];

    // An index out of range is a bug in the model, not a bad point: fatal.
    let broken = lib.model_from_json(r#"{"idx": 3}"#, &settings).unwrap();
    let err = broken.log_density(&[0.5], &mut g).unwrap_err();
    assert!(!err.is_recoverable(), "{err}");
    assert!(err.message().contains("index"), "{err}");

    let model = lib.model_from_json(r#"{"idx": 1}"#, &settings).unwrap();
    assert_eq!(model.param_names(), ["x", "z"]);
    let lp = model.log_density(&[0.5], &mut g).unwrap();
    assert!(
        (lp - (-0.125 + 0.5)).abs() < 1e-14 && (g[0] - 0.5).abs() < 1e-14,
        "{lp} {g:?}"
    );

    // Generated quantities: seeded by the point, so repeatable and different across points.
    let (mut a, mut b, mut c) = ([0.0; 2], [0.0; 2], [0.0; 2]);
    model.constrain(&[0.5], &mut a);
    model.constrain(&[0.5], &mut b);
    model.constrain(&[0.6], &mut c);
    assert_eq!(a, b);
    assert_ne!(a[1], c[1]);
    model.constrain_seeded(&[0.5], 1, &mut b).unwrap();
    assert_ne!(a[1], b[1]);

    // A generated quantity that throws: NaN where Stan could not write, and counted.
    model.constrain(&[6.0], &mut a);
    assert_eq!(a[0], 6.0);
    assert!(a[1].is_nan());
    let failures = model.constrain_failures();
    assert_eq!(failures.count, 1);
    assert!(failures.first_message.unwrap().contains("x is too big"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    use stan_support::{slow, stan};
    stan_support::run(vec![
        slow(
            "eight_schools_centered",
            "compiles a Stan model (~1 min)",
            eight_schools_centered,
        ),
        slow("diamonds", "compiles a Stan model (~1 min)", diamonds),
        slow("ark", "compiles a Stan model (~1 min)", ark),
        slow(
            "gp_pois_regr",
            "compiles a Stan model (~1 min)",
            gp_pois_regr,
        ),
        slow(
            "low_dim_gauss_mix",
            "compiles a Stan model (~1 min)",
            low_dim_gauss_mix,
        ),
        stan(
            "hmm_example_simplex_and_positive_ordered",
            hmm_example_simplex_and_positive_ordered,
        ),
        stan(
            "fatal_errors_gq_failures_and_gq_seeding",
            fatal_errors_gq_failures_and_gq_seeding,
        ),
    ])
}
