//! End to end through Stan: toolchain, stanc, g++, the shim, and `StanModel` as a
//! `LogDensity`, on posteriordb's non-centered eight schools (the one model CI compiles), plus
//! every error path that needs no further compilation. `harness = false` (`libtest-mimic`): on a
//! machine without the toolchain the Stan tests are reported as ignored, with the reason.

mod stan_support;

use flowpost::stan::{
    StanCompileSettings, StanError, StanLibrary, StanModel, StanModelSettings, Toolchain,
};
use flowpost::{LogDensity, check_gradient};
use stan_support::{compile, data_file, reference_draws, stan_file, toolchain};
use std::path::Path;

const POSTERIOR: &str = "eight_schools-eight_schools_noncentered";
const Y: [f64; 8] = [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0];
const SIGMA: [f64; 8] = [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0];

fn eight_schools() -> StanModel {
    compile(POSTERIOR)
        .model(Some(&data_file(POSTERIOR)), &StanModelSettings::default())
        .unwrap()
}

/// The model by hand, without the constants Stan's `~` drops: (theta_trans, mu, log tau).
fn closed_form(u: &[f64], grad: &mut [f64]) -> f64 {
    let (mu, log_tau) = (u[8], u[9]);
    let tau = log_tau.exp();
    let mut lp = -mu * mu / 50.0 - (1.0 + (tau / 5.0).powi(2)).ln() + log_tau;
    grad[8] = -mu / 25.0;
    grad[9] = -2.0 * (tau / 5.0).powi(2) / (1.0 + (tau / 5.0).powi(2)) + 1.0;
    for j in 0..8 {
        let theta = mu + tau * u[j];
        let r = (Y[j] - theta) / SIGMA[j];
        lp += -0.5 * u[j] * u[j] - 0.5 * r * r;
        grad[j] = -u[j] + r / SIGMA[j] * tau;
        grad[8] += r / SIGMA[j];
        grad[9] += r / SIGMA[j] * tau * u[j];
    }
    lp
}

fn point(k: usize) -> Vec<f64> {
    (0..10)
        .map(|i| 1.5 * (0.9 * i as f64 + 1.7 * k as f64 + 0.3).sin())
        .collect()
}

fn log_density_and_gradient_match_the_closed_form() {
    let model = eight_schools();
    assert_eq!(model.dim(), 10);
    let (mut g_stan, mut g_hand) = (vec![0.0; 10], vec![0.0; 10]);
    let mut offset = None;
    for k in 0..5 {
        let u = point(k);
        let lp = model.log_density(&u, &mut g_stan).unwrap();
        let lp_hand = closed_form(&u, &mut g_hand);
        // The same density up to a constant: the difference may not move between points.
        let diff = lp - lp_hand;
        let first = *offset.get_or_insert(diff);
        assert!(
            (diff - first).abs() <= 1e-10 * lp.abs().max(1.0),
            "offset moved: {diff} vs {first}"
        );
        for i in 0..10 {
            let tol = 1e-10 * g_hand[i].abs().max(1.0);
            assert!(
                (g_stan[i] - g_hand[i]).abs() <= tol,
                "point {k}, grad[{i}]: {} vs {}",
                g_stan[i],
                g_hand[i]
            );
        }
        let report = check_gradient(&model, &u, 1e-5).unwrap();
        assert!(report.max_rel_error < 1e-7, "{report:?}");
    }
}

fn names_follow_stan_and_cover_the_reference_draws() {
    let model = eight_schools();
    let names = model.param_names();
    let mut expected: Vec<String> = (1..=8).map(|j| format!("theta_trans[{j}]")).collect();
    expected.extend(["mu".to_string(), "tau".to_string()]);
    expected.extend((1..=8).map(|j| format!("theta[{j}]")));
    assert_eq!(names, expected);
    assert_eq!(model.stan_param_names()[0], "theta_trans.1");
    assert_eq!(model.stan_param_names()[17], "theta.8");
    assert_eq!(model.unconstrained_param_names().len(), 10);
    assert_eq!(model.num_params(), 10);
    for name in reference_draws(POSTERIOR).keys() {
        assert!(
            names.contains(name),
            "reference parameter {name} is not reported by the model"
        );
    }
}

fn constrain_and_unconstrain_are_inverse() {
    let model = eight_schools();
    let u = point(3);
    let mut values = vec![f64::NAN; model.param_names().len()];
    model.constrain(&u, &mut values);
    let tau = u[9].exp();
    assert_eq!(&values[..9], &u[..9]);
    assert!((values[9] - tau).abs() <= 1e-14 * tau);
    for j in 0..8 {
        let theta = u[8] + tau * u[j];
        assert!((values[10 + j] - theta).abs() <= 1e-12 * theta.abs().max(1.0));
    }
    assert_eq!(model.constrain_failures().count, 0);
    let back = model.unconstrain(&values[..10]).unwrap();
    for i in 0..10 {
        assert!(
            (back[i] - u[i]).abs() <= 1e-12,
            "coordinate {i}: {} vs {}",
            back[i],
            u[i]
        );
    }
    let json = r#"{"theta_trans": [1, 0, 0, 0, 0, 0, 0, -1], "mu": 2.5, "tau": 4}"#;
    let from_json = model.unconstrain_json(json).unwrap();
    assert_eq!(from_json[0], 1.0);
    assert_eq!(from_json[8], 2.5);
    assert!((from_json[9] - 4f64.ln()).abs() < 1e-15);
    // Wrong number of values, and a value outside its support.
    assert!(matches!(
        model.unconstrain(&values[..9]),
        Err(StanError::Unconstrain { .. })
    ));
    let err = model.unconstrain_json(r#"{"theta_trans": [0,0,0,0,0,0,0,0], "mu": 0, "tau": -1}"#);
    let msg = err.unwrap_err().to_string();
    assert!(msg.contains("is -1") && msg.contains("line 9"), "{msg}");
}

fn parallel_evaluation_matches_serial() {
    let model = eight_schools();
    let points: Vec<Vec<f64>> = (0..64).map(point).collect();
    let serial: Vec<(f64, Vec<f64>)> = points
        .iter()
        .map(|u| {
            let mut g = vec![0.0; 10];
            (model.log_density(u, &mut g).unwrap(), g)
        })
        .collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (model, points, serial) = (&model, &points, &serial);
            s.spawn(move || {
                let mut g = vec![0.0; 10];
                for round in 0..200 {
                    let k = (round * 7 + t * 13) % points.len();
                    let lp = model.log_density(&points[k], &mut g).unwrap();
                    assert_eq!(lp.to_bits(), serial[k].0.to_bits());
                    assert_eq!(g, serial[k].1);
                }
            });
        }
    });
}

fn a_domain_error_is_recoverable_and_names_its_cause() {
    let lib = compile(POSTERIOR);
    let json =
        r#"{"J": 8, "y": [28, 8, -3, 7, -1, 1, 18, 12], "sigma": [0, 10, 16, 11, 9, 11, 10, 18]}"#;
    let model = lib
        .model_from_json(json, &StanModelSettings::default())
        .unwrap();
    let mut g = vec![0.0; 10];
    let err = model.log_density(&point(0), &mut g).unwrap_err();
    assert!(err.is_recoverable(), "{err}");
    assert!(err.message().contains("Scale parameter"), "{err}");
    assert!(
        err.message()
            .contains(&format!("{POSTERIOR}.stan', line 18")),
        "no location in: {err}"
    );
}

fn bad_data_is_reported_with_the_variable() {
    let lib = compile(POSTERIOR);
    let settings = StanModelSettings::default();
    let data_err = |json: &str| match lib.model_from_json(json, &settings) {
        Err(StanError::Data { message, .. }) => message,
        other => panic!("expected a data error for {json}, got {other:?}"),
    };
    let missing = data_err(r#"{"J": 8, "y": [28, 8, -3, 7, -1, 1, 18, 12]}"#);
    assert!(missing.contains("sigma"), "{missing}");
    let shape = data_err(
        r#"{"J": 8, "y": [28, 8, -3, 7, -1, 1, 18], "sigma": [15, 10, 16, 11, 9, 11, 10, 18]}"#,
    );
    assert!(
        shape.contains('y') && shape.contains("dimension"),
        "{shape}"
    );
    let constraint = data_err(r#"{"J": 2, "y": [1, 2], "sigma": [1, -1]}"#);
    assert!(constraint.contains("sigma"), "{constraint}");
    let malformed = data_err(r#"{"J": 8, "y": [28, "#);
    assert!(!malformed.is_empty());
    match lib.model(None, &settings) {
        Err(e @ StanError::Data { .. }) => assert!(
            e.to_string().contains("(no data)") && e.to_string().contains('J'),
            "{e}"
        ),
        other => panic!("expected a data error without data, got {other:?}"),
    }
    let absent = Path::new("/nonexistent/eight_schools.json");
    match lib.model(Some(absent), &settings) {
        Err(e @ StanError::Io { .. }) => assert!(
            e.to_string().contains("/nonexistent/eight_schools.json"),
            "{e}"
        ),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

fn a_second_compile_comes_from_the_cache() {
    let first = compile(POSTERIOR);
    let second = compile(POSTERIOR);
    assert_eq!(first.path(), second.path());
    assert!(second.build_report().unwrap().cached);
    // The same program elsewhere is the same entry: the key does not depend on the folder.
    let toolchain = toolchain();
    let dir = std::env::temp_dir().join(format!("flowpost-stan-copy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join(format!("{POSTERIOR}.stan"));
    std::fs::copy(stan_file(POSTERIOR), &copy).unwrap();
    let third = StanLibrary::compile(&toolchain, &copy, &StanCompileSettings::default()).unwrap();
    assert_eq!(third.path(), first.path());
    assert!(third.build_report().unwrap().cached);
    let _ = std::fs::remove_dir_all(&dir);
    // A library opened from its path works like a compiled one.
    let reopened = StanLibrary::open(first.path()).unwrap();
    let data = data_file(POSTERIOR);
    let model = reopened
        .model(Some(&data), &StanModelSettings::default())
        .unwrap();
    assert_eq!(model.dim(), 10);
}

fn stanc_rejections_show_stancs_message() {
    let toolchain = toolchain();
    let dir = std::env::temp_dir().join(format!("flowpost-stan-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.stan");
    std::fs::write(
        &file,
        "parameters {\n  real mu;\n}\nmodel {\n  mu ~ normal(0, 1)\n}\n",
    )
    .unwrap();
    match StanLibrary::compile(&toolchain, &file, &StanCompileSettings::default()) {
        Err(StanError::StancRejected { file: f, message }) => {
            assert_eq!(f, file);
            assert!(
                message.contains("Syntax error") && message.contains("line 6"),
                "{message}"
            );
        }
        other => panic!("expected stanc to reject the program, got {other:?}"),
    }
    std::fs::write(
        &file,
        "parameters {\n  real mu;\n}\nmodel {\n  mu ~ normal(0, sigma);\n}\n",
    )
    .unwrap();
    match StanLibrary::compile(&toolchain, &file, &StanCompileSettings::default()) {
        Err(StanError::StancRejected { message, .. }) => {
            assert!(message.contains("sigma"), "{message}")
        }
        other => panic!("expected stanc to reject the program, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn a_missing_toolchain_is_named() {
    let empty = std::env::temp_dir().join(format!("flowpost-no-toolchain-{}", std::process::id()));
    match Toolchain::locate_in(&empty) {
        Err(e @ StanError::ToolchainMissing { .. }) => {
            assert!(e.to_string().contains("flowpost stan-setup"), "{e}")
        }
        other => panic!("expected a missing toolchain, got {other:?}"),
    }
}

fn a_missing_compiler_is_named() {
    let toolchain = toolchain();
    let settings = StanCompileSettings {
        cxx: "/nonexistent/g++".into(),
        ..Default::default()
    };
    let file = stan_file(POSTERIOR);
    match StanLibrary::compile(&toolchain, &file, &settings) {
        Err(e @ StanError::CompilerMissing { .. }) => {
            assert!(e.to_string().contains("/nonexistent/g++"), "{e}")
        }
        other => panic!("expected a missing compiler, got {other:?}"),
    }
}

/// `--init` values for a Stan program: by name on the constrained scale, through Stan's own
/// `unconstrain_array`; a transformed parameter or a value outside its support is refused with
/// the variable named, and a full init starts a run.
fn init_values_go_through_stans_unconstrain() {
    use flowpost::init::from_json;
    use flowpost::{Error, Method, SampleSettings, sample};
    let model = eight_schools();
    let (names, n) = (model.param_names(), model.num_parameters());
    assert_eq!(n, 10);
    let e = from_json(
        r#"{"theta": [0, 0, 0, 0, 0, 0, 0, 0]}"#,
        "i.json",
        &names,
        n,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`theta` is a transformed parameter"), "{e}");
    let settings = |init| SampleSettings {
        method: Method::Nuts,
        num_chains: 2,
        num_tune: Some(100),
        num_draws: 100,
        init: Some(init),
        ..Default::default()
    };
    let bad = from_json(r#"{"mu": 1, "tau": -1}"#, "i.json", &names, n).unwrap();
    match sample(&model, &settings(bad)) {
        Err(e @ Error::Init { .. }) => {
            assert!(
                e.to_string().contains("`tau` = -1 is outside its support"),
                "{e}"
            )
        }
        other => panic!("expected an init error, got {:?}", other.err()),
    }
    let full = r#"{"theta_trans": [1, 0, 0, 0, 0, 0, 0, -1], "mu": 2.5, "tau": 4}"#;
    let run = sample(
        &model,
        &settings(from_json(full, "i.json", &names, n).unwrap()),
    )
    .unwrap();
    assert_eq!(run.draws.num_chains(), 2);
}

fn main() {
    use stan_support::{plain, stan};
    stan_support::run(vec![
        stan(
            "log_density_and_gradient_match_the_closed_form",
            log_density_and_gradient_match_the_closed_form,
        ),
        stan(
            "names_follow_stan_and_cover_the_reference_draws",
            names_follow_stan_and_cover_the_reference_draws,
        ),
        stan(
            "constrain_and_unconstrain_are_inverse",
            constrain_and_unconstrain_are_inverse,
        ),
        stan(
            "parallel_evaluation_matches_serial",
            parallel_evaluation_matches_serial,
        ),
        stan(
            "a_domain_error_is_recoverable_and_names_its_cause",
            a_domain_error_is_recoverable_and_names_its_cause,
        ),
        stan(
            "bad_data_is_reported_with_the_variable",
            bad_data_is_reported_with_the_variable,
        ),
        stan(
            "a_second_compile_comes_from_the_cache",
            a_second_compile_comes_from_the_cache,
        ),
        stan(
            "stanc_rejections_show_stancs_message",
            stanc_rejections_show_stancs_message,
        ),
        stan(
            "init_values_go_through_stans_unconstrain",
            init_values_go_through_stans_unconstrain,
        ),
        plain("a_missing_toolchain_is_named", a_missing_toolchain_is_named),
        stan("a_missing_compiler_is_named", a_missing_compiler_is_named),
    ])
}
