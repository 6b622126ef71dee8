//! Bad input gets a clear error, never a panic or a silent NaN; and the same seed gives the same
//! draws whatever the thread count.

use flowpost::flow::{Flow, FlowSettings, GaussianFit};
use flowpost::io::flow_file;
use flowpost::{DensityError, Error, LogDensity, Method, SampleSettings, sample, sample_with};

struct Normal(usize);
impl LogDensity for Normal {
    fn dim(&self) -> usize {
        self.0
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        for i in 0..self.0 {
            g[i] = -x[i];
        }
        Ok(-0.5 * x.iter().map(|v| v * v).sum::<f64>())
    }
}

struct NanEverywhere;
impl LogDensity for NanEverywhere {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, _: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        g.fill(f64::NAN);
        Ok(f64::NAN)
    }
}

struct Panics;
impl LogDensity for Panics {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, _: &[f64], _: &mut [f64]) -> Result<f64, DensityError> {
        panic!("model bug: index out of range")
    }
}

/// Claims dimension 3 but reads and writes 4 coordinates.
struct WrongDimension;
impl LogDensity for WrongDimension {
    fn dim(&self) -> usize {
        3
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        g[3] = -x[3];
        Ok(0.0)
    }
}

/// Names two values but writes three in `constrain`.
struct WrongConstrain;
impl LogDensity for WrongConstrain {
    fn dim(&self) -> usize {
        3
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        Normal(3).log_density(x, g)
    }
    fn param_names(&self) -> Vec<String> {
        vec!["a".into(), "b".into()]
    }
    fn constrain(&self, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(x);
    }
}

/// Fails fatally after a while (a corrupt state discovered mid-run).
struct FailsLater(std::sync::atomic::AtomicUsize);
impl LogDensity for FailsLater {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        if self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) > 2000 {
            return Err(DensityError::fatal("the data file changed under the model"));
        }
        Normal(2).log_density(x, g)
    }
}

fn quick(method: Method) -> SampleSettings {
    let mut s = SampleSettings {
        method,
        num_draws: 100,
        num_tune: Some(100),
        seed: 5,
        ..Default::default()
    };
    s.vi.max_steps = 100;
    s.vi.min_steps = 100;
    s
}

#[test]
fn a_nan_density_is_a_clear_error() {
    for method in [Method::NeuTra, Method::Nuts] {
        let err = sample(&NanEverywhere, &quick(method)).unwrap_err();
        assert!(matches!(err, Error::NoValidInit { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("no valid starting point") && msg.contains("NaN"),
            "{msg}"
        );
    }
}

#[test]
fn a_panicking_density_is_a_clear_error() {
    for method in [Method::NeuTra, Method::Nuts] {
        let err = sample(&Panics, &quick(method)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("panicked") && msg.contains("model bug: index out of range"),
            "{msg}"
        );
    }
}

#[test]
fn a_density_of_the_wrong_dimension_is_a_clear_error() {
    let err = sample(&WrongDimension, &quick(Method::Nuts)).unwrap_err();
    assert!(
        err.to_string().contains("panicked") && err.to_string().contains("index out of bounds"),
        "{err}"
    );
    let err = sample(&Normal(0), &quick(Method::Nuts)).unwrap_err();
    assert!(err.to_string().contains("density.dim()"), "{err}");
    let err = sample(&WrongConstrain, &quick(Method::Nuts)).unwrap_err();
    assert!(err.to_string().contains("constrain"), "{err}");
    // A flow for another dimension.
    let flow = Flow::default_for(&GaussianFit::standard(4), &FlowSettings::default(), 1);
    let err = sample_with(
        &Normal(3),
        &quick(Method::NeuTra),
        Some(flow),
        &flowpost::progress::NoProgress,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DimensionMismatch {
                expected: 3,
                got: 4,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_fatal_error_mid_run_stops_with_its_message() {
    let err = sample(&FailsLater(0.into()), &quick(Method::Nuts)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("the data file changed under the model") && msg.contains("chain"),
        "{msg}"
    );
    let err = sample(&FailsLater(0.into()), &quick(Method::NeuTra)).unwrap_err();
    assert!(
        err.to_string()
            .contains("the data file changed under the model"),
        "{err}"
    );
}

#[test]
fn invalid_settings_are_named() {
    let mut s = quick(Method::Nuts);
    s.num_chains = 0;
    assert!(
        matches!(sample(&Normal(2), &s), Err(Error::Settings { field, .. }) if field == "num_chains")
    );
    let mut s = quick(Method::NeuTra);
    s.target_accept = Some(1.5);
    assert!(
        matches!(sample(&Normal(2), &s), Err(Error::Settings { field, .. }) if field == "target_accept")
    );
    let mut s = quick(Method::NeuTra);
    s.vi.batch_size = 0;
    assert!(
        matches!(sample(&Normal(2), &s), Err(Error::Settings { field, .. }) if field == "vi.batch_size")
    );
}

#[test]
fn corrupt_flow_files_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("flowpost-bad-flow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let flow = Flow::default_for(&GaussianFit::standard(3), &FlowSettings::default(), 1);
    let good = dir.join("good.json");
    flow_file::save(
        &good,
        &flow,
        Some("normal"),
        &["a".into(), "b".into(), "c".into()],
        None,
    )
    .unwrap();
    let loaded = flow_file::load(&good).unwrap();
    assert_eq!(
        loaded.flow.params(),
        flow.params(),
        "parameters round-trip exactly"
    );
    let text = std::fs::read_to_string(&good).unwrap();

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "truncated",
            text[..text.len() / 2].to_string(),
            "the file is truncated",
        ),
        ("empty", String::new(), "truncated or empty"),
        ("not json", "hello".into(), "not a flowpost flow file"),
        (
            "wrong format",
            text.replace("flowpost-flow", "other-flow"),
            "format",
        ),
        (
            "future version",
            text.replace("\"version\":1", "\"version\":99"),
            "version 99",
        ),
        (
            // A future layout: its version must be read before its fields.
            "future layout",
            r#"{"format": "flowpost-flow", "version": 2, "layers": {"kind": "new"}}"#.into(),
            "version 2 is not supported (this build reads version 1); it was written by a newer flowpost",
        ),
        (
            "bad permutation",
            text.replacen("\"perm\":[2,1,0]", "\"perm\":[2,2,0]", 1),
            "permutation",
        ),
        (
            "missing parameter",
            {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let mut v = v;
                v["params"].as_array_mut().unwrap().pop();
                v.to_string()
            },
            "flow parameters",
        ),
        (
            "NaN parameter",
            {
                let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
                v["params"][0] = serde_json::Value::Null;
                v.to_string()
            },
            "corrupt flow file",
        ),
    ];
    for (what, content, expected) in cases {
        let path = dir.join(format!("{}.json", what.replace(' ', "_")));
        std::fs::write(&path, &content).unwrap();
        let err = flow_file::load(&path).expect_err(what);
        let msg = err.to_string();
        assert!(
            msg.contains(expected) && msg.contains(path.to_str().unwrap()),
            "{what}: {msg}"
        );
    }
    let missing = flow_file::load(&dir.join("missing.json")).unwrap_err();
    assert!(missing.to_string().contains("missing.json"), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// On the banana, where the fit really trains (a Gaussian target takes the exact-Gaussian
/// shortcut and never runs an Adam step, so it proved nothing about the minibatch reduction).
#[test]
fn same_seed_same_draws_whatever_the_thread_count() {
    let banana = flowpost_models::load("banana", &Default::default()).unwrap();
    let run_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| sample(&*banana, &quick(Method::NeuTra)).unwrap())
    };
    let (a, b, c) = (run_with(1), run_with(3), run_with(3));
    let vi = a.vi.as_ref().unwrap();
    assert_eq!(
        vi.num_steps, 100,
        "the fit must train: {:?}",
        vi.stop_reason
    );
    for (x, y) in [(&a, &b), (&b, &c)] {
        assert_eq!(x.draws, y.draws);
        assert_eq!(
            x.vi.as_ref().unwrap().elbo_trace,
            y.vi.as_ref().unwrap().elbo_trace
        );
        assert_eq!(x.cost.num_grad_evals, y.cost.num_grad_evals);
    }
    let other_seed = sample(
        &*banana,
        &SampleSettings {
            seed: 6,
            ..quick(Method::NeuTra)
        },
    )
    .unwrap();
    assert_ne!(other_seed.draws, a.draws);
}
