//! `--ensemble K` on the command line: `npe run` trains K estimators and writes one
//! version-2 file, `npe sample` draws from the mixture, `--ensemble 1` is the single
//! estimator, and a bad K is an error naming the flag.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tmp(name: &str) -> PathBuf {
    common::fresh_dir("npe-ens", name)
}

/// A tiny `npe run two_moons` into `out` with `extra` flags.
fn run(out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowpost"))
        .args(["npe", "run", "two_moons", "--simulations", "300"])
        .args(common::TINY_NPE_FLOW)
        .args([
            "--max-epochs",
            "3",
            "--seed",
            "4",
            "--num-samples",
            "50",
            "--quiet",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn estimator(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("estimator.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn ensembles_train_save_and_sample() {
    let dir = tmp("ok");
    let out = run(&dir.join("k3"), &["--ensemble", "3"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("ensemble of 3 estimators"), "{err}");
    let est = estimator(&dir.join("k3"));
    assert_eq!(est["version"], 2);
    assert_eq!(est["ensemble_members"].as_array().unwrap().len(), 2);
    let html = std::fs::read_to_string(dir.join("k3").join("report.html")).unwrap();
    assert!(html.contains("3 estimators, equal-weight mixture"));

    std::fs::write(dir.join("obs.json"), r#"{"x_o": [0.0, 0.1]}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flowpost"))
        .args(["npe", "sample"])
        .arg(dir.join("k3"))
        .arg("--x-obs")
        .arg(dir.join("obs.json"))
        .args(["--num-samples", "200", "--out"])
        .arg(dir.join("s.csv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 200);
    assert!(rows.iter().flatten().all(|v| (-1.0..=1.0).contains(v)));

    // --ensemble 1 is the estimator without the flag, byte for byte (a version-1 file).
    assert!(run(&dir.join("plain"), &[]).status.success());
    assert!(run(&dir.join("k1"), &["--ensemble", "1"]).status.success());
    let file = |d: &str| std::fs::read(dir.join(d).join("estimator.json")).unwrap();
    assert_eq!(file("plain"), file("k1"));
    assert_eq!(estimator(&dir.join("k1"))["version"], 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_ensemble_size_names_the_flag() {
    let dir = tmp("bad");
    let out = run(&dir.join("k0"), &["--ensemble", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--ensemble must be at least 1"), "{err}");
    assert!(!dir.join("k0").exists(), "nothing written");
    let out = run(&dir.join("kx"), &["--ensemble", "two"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--ensemble"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
