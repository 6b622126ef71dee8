//! `flowpost npe train --prior FILE`: a declared prior per parameter (here log-normal for a
//! positive θ) trains on log θ and every sampled draw is positive; bad prior files and θ
//! outside the declared support get errors naming the file, the row and the parameter.

mod common;
use common::{bin, write};

use std::path::{Path, PathBuf};
use std::process::Output;

fn tmp(name: &str) -> PathBuf {
    common::fresh_dir("npe-prior-cli", name)
}

/// Positive θ (a deterministic spread over (0.1, 3)), x = counts-like 10·θ + jitter ≥ 0.
fn tables(dir: &Path, rows: usize) {
    let mut theta = String::from("rate\n");
    let mut x = String::from("count\n");
    for i in 0..rows {
        let t = 0.1 + 2.9 * ((i as f64 + 0.5) * 0.618_034 % 1.0);
        let jitter = ((i * 7919) % 7) as f64;
        theta.push_str(&format!("{t}\n"));
        x.push_str(&format!("{}\n", (10.0 * t).round() + jitter));
    }
    write(&dir.join("theta.csv"), &theta);
    write(&dir.join("x.csv"), &x);
    write(
        &dir.join("prior.json"),
        r#"{"parameters": [{"family": "log_normal", "mu": 0, "sigma": 1, "name": "rate"}]}"#,
    );
}

fn train(dir: &Path, prior: &str, extra: &[&str]) -> Output {
    bin()
        .args(["npe", "train", "--theta"])
        .arg(dir.join("theta.csv"))
        .arg("--x")
        .arg(dir.join("x.csv"))
        .arg("--prior")
        .arg(dir.join(prior))
        .arg("--out")
        .arg(dir.join("est"))
        .args(common::TINY_NPE_FLOW)
        .args(["--max-epochs", "5", "--seed", "3", "--quiet"])
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_log_normal_prior_gives_positive_draws() {
    let dir = tmp("ok");
    tables(&dir, 300);
    let out = train(&dir, "prior.json", &["--x-transform", "log1p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let est = std::fs::read_to_string(dir.join("est/estimator.json")).unwrap();
    assert!(
        est.contains("\"x_transform\":\"log1p\"") && est.contains("\"support\""),
        "{est}"
    );
    // An observation far below the training counts: the posterior is near 0, still positive.
    write(&dir.join("obs.json"), r#"{"x_o": [0.0]}"#);
    let out = bin()
        .args(["npe", "sample"])
        .arg(dir.join("est"))
        .arg("--x-obs")
        .arg(dir.join("obs.json"))
        .args(["--num-samples", "2000", "--out"])
        .arg(dir.join("s.csv"))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no rejection"), "{err}");
    let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("rate"));
    let vals: Vec<f64> = lines.map(|l| l.parse().unwrap()).collect();
    assert_eq!(vals.len(), 2000);
    assert!(vals.iter().all(|v| *v > 0.0 && v.is_finite()));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_prior_files_and_theta_outside_the_support_are_named() {
    let dir = tmp("bad");
    tables(&dir, 50);
    let fails = |prior: &str, extra: &[&str]| {
        let out = train(&dir, prior, extra);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(!err.contains("trained on"), "{err}");
        err
    };
    write(
        &dir.join("cauchy.json"),
        r#"{"parameters": [{"family": "cauchy", "loc": 0, "scale": 1}]}"#,
    );
    let err = fails("cauchy.json", &[]);
    assert!(
        err.contains("cauchy.json")
            && err.contains("parameter 1 (`parameter_1`): unknown family `cauchy`; expected one of uniform, normal, log_normal, gamma, beta, half_normal"),
        "{err}"
    );
    write(
        &dir.join("sd.json"),
        r#"{"parameters": [{"family": "half_normal", "sd": -2}]}"#,
    );
    let err = fails("sd.json", &[]);
    assert!(
        err.contains("sd.json") && err.contains("family `half_normal`: `sd` must be positive"),
        "{err}"
    );
    write(&dir.join("broken.json"), r#"{"parameters": [{"family": "#);
    assert!(fails("broken.json", &[]).contains("not valid JSON"));
    let err = fails("missing.json", &[]);
    assert!(err.contains("missing.json"), "{err}");
    // Bounds that exclude training θ: the row, the column and the prior's parameter named.
    write(
        &dir.join("narrow.json"),
        r#"{"parameters": [{"family": "uniform", "lower": 0, "upper": 1, "name": "r"}]}"#,
    );
    let err = fails("narrow.json", &[]);
    assert!(
        err.contains("theta.csv: row 2 has rate = ")
            && err.contains("outside the support (0, 1) of parameter 1 (`r`, uniform) in")
            && err.contains("narrow.json"),
        "{err}"
    );
    write(
        &dir.join("two.json"),
        r#"{"box": {"lower": [0, 0], "upper": [5, 5]}}"#,
    );
    let err = fails("two.json", &[]);
    assert!(err.contains("2 parameters for the 1 θ columns"), "{err}");
    let err = fails("prior.json", &["--x-transform", "sqrt"]);
    assert!(
        err.contains("--x-transform must be `zscore` or `log1p`"),
        "{err}"
    );
    let err = fails("prior.json", &["--prior-bounds", "b.json"]);
    assert!(err.contains("cannot be used with"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
