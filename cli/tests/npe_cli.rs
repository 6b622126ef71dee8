//! The `flowpost npe` command line end to end on small inputs: train from CSV tables, sample
//! with leakage correction, and clear errors for bad input.

mod common;
use common::{bin, write};

use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    common::fresh_dir("npe-cli", name)
}

/// θ ~ U(0, 1), x = θ + small noise, as CSV tables.
fn tables(dir: &Path, rows: usize) {
    let mut theta = String::from("mu\n");
    let mut x = String::from("obs\n");
    for i in 0..rows {
        let t = (i as f64 * 0.618_034) % 1.0;
        let noise = ((i * 7919) % 101) as f64 / 101.0 - 0.5;
        theta.push_str(&format!("{t}\n"));
        x.push_str(&format!("{}\n", t + 0.1 * noise));
    }
    // One non-finite simulation: dropped and counted.
    x.push_str("nan\n");
    theta.push_str("0.5\n");
    write(&dir.join("theta.csv"), &theta);
    write(&dir.join("x.csv"), &x);
    write(
        &dir.join("bounds.json"),
        r#"{"lower": [0.0], "upper": [1.0]}"#,
    );
}

fn train_args(dir: &Path) -> Vec<String> {
    let p = |f: &str| dir.join(f).display().to_string();
    let mut args: Vec<String> = vec!["npe".into(), "train".into()];
    for (flag, value) in [
        ("--theta", p("theta.csv")),
        ("--x", p("x.csv")),
        ("--prior-bounds", p("bounds.json")),
        ("--out", p("est")),
        ("--transform", "affine".into()),
        ("--num-transforms", "1".into()),
        ("--hidden", "8".into()),
        ("--max-epochs", "5".into()),
        ("--seed", "3".into()),
    ] {
        args.push(flag.into());
        args.push(value);
    }
    args.push("--quiet".into());
    args
}

/// `flowpost npe sample EST --x-obs OBS [EXTRA...] --out OUT` in `dir`.
fn sample(dir: &Path, est: &str, obs: &str, extra: &[&str], out: &str) -> std::process::Output {
    bin()
        .args(["npe", "sample"])
        .arg(dir.join(est))
        .arg("--x-obs")
        .arg(dir.join(obs))
        .args(extra)
        .arg("--out")
        .arg(dir.join(out))
        .output()
        .unwrap()
}

#[test]
fn train_then_sample() {
    let dir = tmp("ok");
    tables(&dir, 300);
    let out = bin().args(train_args(&dir)).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("1 dropped as non-finite"), "{err}");
    write(&dir.join("obs.json"), r#"{"x_o": [0.3]}"#);
    let out = sample(&dir, "est", "obs.json", &["--num-samples", "500"], "s.csv");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("acceptance rate"), "{err}");
    let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("mu"));
    let vals: Vec<f64> = lines.map(|l| l.parse().unwrap()).collect();
    assert_eq!(vals.len(), 500);
    assert!(vals.iter().all(|v| (0.0..=1.0).contains(v)));
    let html = std::fs::read_to_string(dir.join("est").join("report.html")).unwrap();
    assert!(
        html.contains(r#"data-plot="loss""#),
        "training curves in report.html"
    );

    // An observation far outside the training x is warned about before sampling (which then
    // fails here: the flow's extrapolated draws leave the prior box).
    write(&dir.join("far.json"), r#"{"x_o": [1000000.0]}"#);
    let out = sample(&dir, "est", "far.json", &["--num-samples", "10"], "s4.csv");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: x_o feature") && err.contains("did not go"),
        "{err}"
    );

    // Wrong-dimension observation.
    write(&dir.join("bad_obs.json"), r#"{"x_o": [0.3, 0.4]}"#);
    let out = sample(&dir, "est", "bad_obs.json", &[], "s2.csv");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("expected dimension 1, got 2"), "{err}");

    // Truncated estimator file.
    let est = dir.join("est").join("estimator.json");
    let text = std::fs::read_to_string(&est).unwrap();
    write(&dir.join("cut.json"), &text[..text.len() - 40]);
    let out = sample(&dir, "cut.json", "obs.json", &[], "s3.csv");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("cut.json") && err.contains("truncated"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn mismatched_rows_are_an_error() {
    let dir = tmp("rows");
    write(&dir.join("theta.csv"), "a\n1\n2\n3\n");
    write(&dir.join("x.csv"), "b\n1\n2\n");
    let out = bin()
        .args(["npe", "train", "--theta"])
        .arg(dir.join("theta.csv"))
        .arg("--x")
        .arg(dir.join("x.csv"))
        .arg("--out")
        .arg(dir.join("est"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("x.csv: 2 rows, but its θ table") && err.contains("theta.csv has 3"),
        "{err}"
    );
    let out = bin()
        .args(["npe", "run", "no_such_task", "--simulations", "10", "--out"])
        .arg(dir.join("r"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown task"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn auto_reports_each_candidate() {
    let dir = tmp("auto");
    tables(&dir, 300);
    let mut args = train_args(&dir);
    let i = args.iter().position(|a| a == "--transform").unwrap();
    args[i + 1] = "auto".into();
    let out = bin().args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let text = std::fs::read_to_string(dir.join("est").join("training_report.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let report = &doc["report"];
    let candidates = report["candidates"].as_array().unwrap();
    let kinds: Vec<&str> = candidates
        .iter()
        .map(|c| c["transform"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["spline", "affine"]);
    let loss = |c: &serde_json::Value| c["best_validation_loss"].as_f64().unwrap();
    let best = candidates.iter().map(loss).fold(f64::INFINITY, f64::min);
    assert_eq!(report["best_validation_loss"].as_f64().unwrap(), best);
    let evals: u64 = candidates
        .iter()
        .map(|c| c["num_gradient_evals"].as_u64().unwrap())
        .sum();
    assert_eq!(report["num_gradient_evals"].as_u64().unwrap(), evals);
    assert!(candidates.iter().all(|c| c["seconds"].as_f64().unwrap() > 0.0
        && c["num_epochs"].as_u64().unwrap() == 5));
}

/// What used to go wrong late or silently: a foreign --out found after training, θ outside the
/// bounds found as a leakage failure, 300 rows trained without a word, 0 samples "accepted";
/// and SBC now takes the user's own simulations.
#[test]
fn problems_are_found_up_front_and_sbc_takes_tables() {
    let dir = tmp("upfront");
    tables(&dir, 300);
    // A foreign --out is refused before training (no "trained on" line).
    std::fs::create_dir_all(dir.join("est")).unwrap();
    write(&dir.join("est/notes.txt"), "mine");
    let out = bin().args(train_args(&dir)).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("notes.txt"), "{err}");
    assert!(!err.contains("trained on"), "{err}");
    std::fs::remove_dir_all(dir.join("est")).unwrap();

    // θ outside --prior-bounds is named with its row.
    write(
        &dir.join("narrow.json"),
        r#"{"lower": [0.0], "upper": [0.9]}"#,
    );
    let mut args = train_args(&dir);
    let i = args.iter().position(|a| a == "--prior-bounds").unwrap();
    args[i + 1] = dir.join("narrow.json").display().to_string();
    let out = bin().args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("outside the prior bounds") && err.contains("row"),
        "{err}"
    );

    // Few rows: a warning, then training.
    let out = bin().args(train_args(&dir)).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("warning: only 301 simulations"), "{err}");

    write(&dir.join("obs.json"), r#"{"x_o": [0.3]}"#);
    let out = sample(&dir, "est", "obs.json", &["--num-samples", "0"], "s.csv");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--num-samples must be at least 1"),
        "{err}"
    );

    // SBC on the user's own (θ, x) pairs.
    let sbc = dir.join("sbc.json");
    let out = bin()
        .args(["npe", "sbc"])
        .arg(dir.join("est"))
        .arg("--theta")
        .arg(dir.join("theta.csv"))
        .arg("--x")
        .arg(dir.join("x.csv"))
        .args(["--posterior-samples", "19", "--bins", "4", "--out"])
        .arg(&sbc)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("SBC on 300 datasets"), "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sbc).unwrap()).unwrap();
    assert_eq!(report["num_datasets"], 300);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `npe run` writes report.html with the training curves and the posterior pair plot, and
/// records the x_o check in run.json (a tiny flow: seconds).
#[test]
fn run_writes_the_report_and_the_x_o_check() {
    let dir = tmp("run_report");
    let out = bin()
        .args(["npe", "run", "two_moons", "--simulations", "300"])
        .args(common::TINY_NPE_FLOW)
        .args([
            "--max-epochs",
            "3",
            "--num-samples",
            "200",
            "--quiet",
            "--out",
        ])
        .arg(dir.join("run"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let html = std::fs::read_to_string(dir.join("run").join("report.html")).unwrap();
    for kind in ["loss", "pair"] {
        assert!(html.contains(&format!(r#"data-plot="{kind}""#)), "{kind}");
    }
    assert!(html.contains("prior support") && html.contains("(-1, 1)"));
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run").join("run.json")).unwrap())
            .unwrap();
    assert!(run["x_o_outside_training"].is_array(), "{run}");
    std::fs::remove_dir_all(&dir).ok();
}
