//! `flowpost nle` on bad input: each error names the flag, file, line or column at fault, and
//! an estimator file of the wrong kind (NPE for `nle sample`, NLE for `npe sample`) is named
//! as such. The estimators here are tiny (one affine layer, 2 epochs): these tests are about
//! the command line, not accuracy.

mod common;
use common::{TINY_NPE_FLOW, flowpost, write};
use std::path::Path;

/// θ = (a, b) on a grid, x = (a + b, a − b) with a little deterministic noise, a normal
/// prior spec, and an observation of two trials.
fn inputs(dir: &Path) {
    let (mut theta, mut x) = (String::from("a,b\n"), String::from("x1,x2\n"));
    for i in 0..200 {
        let (a, b) = ((i % 20) as f64 / 10.0 - 1.0, (i / 20) as f64 / 5.0 - 1.0);
        let e = ((i * 7919) % 101) as f64 / 1010.0;
        theta.push_str(&format!("{a},{b}\n"));
        x.push_str(&format!("{},{}\n", a + b + e, a - b - e));
    }
    write(&dir.join("theta.csv"), &theta);
    write(&dir.join("x.csv"), &x);
    let normal = r#"{"family": "normal", "mean": 0, "sd": 2}"#;
    write(
        &dir.join("prior.json"),
        &format!(r#"{{"parameters": [{normal}, {normal}]}}"#),
    );
    write(&dir.join("x_o.csv"), "x1,x2\n0.1,0.2\n0.3,-0.1\n");
}

fn p(dir: &Path, f: &str) -> String {
    dir.join(f).display().to_string()
}

/// `flowpost nle train` on `dir`'s tables with a tiny flow, the given prior file and extras.
fn train(dir: &Path, prior: &str, extra: &[&str], out: &str) -> (bool, String, String) {
    let (t, x, pr, o) = (
        p(dir, "theta.csv"),
        p(dir, "x.csv"),
        p(dir, prior),
        p(dir, out),
    );
    let mut args = vec![
        "nle",
        "train",
        "--quiet",
        "--theta",
        &t,
        "--x",
        &x,
        "--prior",
        &pr,
        "--out",
        &o,
        "--max-epochs",
        "2",
    ];
    args.extend(TINY_NPE_FLOW);
    args.extend(extra);
    flowpost(&args)
}

fn sample(dir: &Path, est: &str, obs: &str) -> (bool, String, String) {
    let (e, o, out) = (p(dir, est), p(dir, obs), p(dir, "post"));
    flowpost(&[
        "nle",
        "sample",
        "--estimator",
        &e,
        "--observation",
        &o,
        "--draws",
        "20",
        "--tune",
        "20",
        "--chains",
        "1",
        "--method",
        "nuts",
        "--quiet",
        "--out",
        &out,
    ])
}

#[test]
fn help_lists_the_subcommands_and_their_flags() {
    let (ok, out, _) = flowpost(&["nle", "--help"]);
    assert!(
        ok && out.contains("train") && out.contains("sample"),
        "{out}"
    );
    let (ok, out, _) = flowpost(&["nle", "sample", "--help"]);
    for flag in [
        "--estimator",
        "--observation",
        "--method",
        "--chains",
        "--draws",
    ] {
        assert!(ok && out.contains(flag), "{flag}: {out}");
    }
    let (ok, out, _) = flowpost(&["nle", "train", "--help"]);
    for flag in [
        "--theta",
        "--prior",
        "--transform",
        "--max-epochs",
        "--seed",
    ] {
        assert!(ok && out.contains(flag), "{flag}: {out}");
    }
}

#[test]
fn bad_training_input_is_named() {
    let dir = common::fresh_dir("nle-cli", "bad-train");
    inputs(&dir);
    // A prior spec for another number of parameters.
    let one = r#"{"parameters": [{"family": "normal", "mean": 0, "sd": 2}]}"#;
    write(&dir.join("one.json"), one);
    let (ok, _, err) = train(&dir, "one.json", &[], "e1");
    assert!(!ok && err.contains("one.json") && err.contains("1 parameters for the 2 θ columns"));
    // Named parameters in another order than the θ columns.
    let swapped = r#"{"parameters": [{"family": "normal", "mean": 0, "sd": 2, "name": "b"},
        {"family": "normal", "mean": 0, "sd": 2, "name": "a"}]}"#;
    write(&dir.join("swapped.json"), swapped);
    let (ok, _, err) = train(&dir, "swapped.json", &[], "e2");
    assert!(
        !ok && err.contains("swapped.json") && err.contains("column 1"),
        "{err}"
    );
    assert!(err.contains("`b`") && err.contains("`a`"), "{err}");
    // A θ outside the prior's support names the file and row.
    let positive = r#"{"parameters": [{"family": "half_normal", "sd": 1}, {"family": "normal", "mean": 0, "sd": 2}]}"#;
    write(&dir.join("positive.json"), positive);
    let (ok, _, err) = train(&dir, "positive.json", &[], "e3");
    assert!(
        !ok && err.contains("theta.csv: row 1") && err.contains("(0, ∞)"),
        "{err}"
    );
    // What NLE does not do yet, by its flag.
    let (ok, _, err) = train(&dir, "prior.json", &["--ensemble", "2"], "e4");
    assert!(
        !ok && err.contains("--ensemble 2") && err.contains("NLE"),
        "{err}"
    );
    let (ok, _, err) = train(&dir, "prior.json", &["--x-transform", "log1p"], "e5");
    assert!(!ok && err.contains("--x-transform log1p"), "{err}");
    // Missing files.
    let (ok, _, err) = train(&dir, "nope.json", &[], "e6");
    assert!(!ok && err.contains("nope.json"), "{err}");
    std::fs::rename(dir.join("x.csv"), dir.join("gone.csv")).unwrap();
    let (ok, _, err) = train(&dir, "prior.json", &[], "e7");
    assert!(!ok && err.contains("x.csv"), "{err}");
    for e in ["e1", "e2", "e3", "e4", "e5", "e6", "e7"] {
        assert!(!dir.join(e).exists(), "{e} written despite the error");
    }
}

#[test]
fn bad_observations_and_estimators_are_named() {
    let dir = common::fresh_dir("nle-cli", "bad-sample");
    inputs(&dir);
    let (ok, _, err) = train(&dir, "prior.json", &[], "est");
    assert!(ok, "{err}");
    let (ok, _, err) = sample(&dir, "est", "x_o.csv");
    assert!(ok, "{err}");
    // Wrong number of columns.
    write(&dir.join("three.csv"), "x1,x2,x3\n0.1,0.2,0.3\n");
    let (ok, _, err) = sample(&dir, "est", "three.csv");
    assert!(
        !ok && err.contains("three.csv: 3 columns") && err.contains("(x1, x2)"),
        "{err}"
    );
    // Columns named otherwise than the training x's.
    write(&dir.join("renamed.csv"), "x2,x1\n0.1,0.2\n");
    let (ok, _, err) = sample(&dir, "est", "renamed.csv");
    assert!(
        !ok && err.contains("renamed.csv: column 1 is `x2`"),
        "{err}"
    );
    // A non-finite value, by line and column (blank lines counted).
    write(&dir.join("nan.csv"), "x1,x2\n0.1,0.2\n\n0.3,nan\n");
    let (ok, _, err) = sample(&dir, "est", "nan.csv");
    assert!(
        !ok && err.contains("nan.csv: line 4, column 2 (`x2`)"),
        "{err}"
    );
    // A ragged row, by the table reader.
    write(&dir.join("ragged.csv"), "x1,x2\n0.1\n");
    let (ok, _, err) = sample(&dir, "est", "ragged.csv");
    assert!(!ok && err.contains("ragged.csv: line 2"), "{err}");
    // Missing files.
    let (ok, _, err) = sample(&dir, "est", "missing.csv");
    assert!(!ok && err.contains("missing.csv"), "{err}");
    let (ok, _, err) = sample(&dir, "nowhere", "x_o.csv");
    assert!(
        !ok && err.contains("--estimator") && err.contains("nowhere"),
        "{err}"
    );
    // An NPE estimator given to `nle sample`, and the NLE one to `npe sample`.
    let (t, x, o) = (p(&dir, "theta.csv"), p(&dir, "x.csv"), p(&dir, "npe"));
    let mut args = vec![
        "npe", "train", "--quiet", "--theta", &t, "--x", &x, "--out", &o,
    ];
    args.extend(TINY_NPE_FLOW);
    args.extend(["--max-epochs", "2"]);
    let (ok, _, err) = flowpost(&args);
    assert!(ok, "{err}");
    let (ok, _, err) = sample(&dir, "npe", "x_o.csv");
    assert!(!ok && err.contains("npe/estimator.json"), "{err}");
    assert!(err.contains("neural posterior (NPE) estimator"), "{err}");
    write(&dir.join("obs.json"), r#"{"x_o": [0.1, 0.2]}"#);
    let (e, obs, out) = (p(&dir, "est"), p(&dir, "obs.json"), p(&dir, "s.csv"));
    let (ok, _, err) = flowpost(&["npe", "sample", &e, "--x-obs", &obs, "--out", &out]);
    assert!(!ok && err.contains("est/estimator.json"), "{err}");
    assert!(err.contains("neural likelihood (NLE) estimator"), "{err}");
}
