//! `flowpost sample` end to end: the output folder (CmdStan CSVs that our reader and `diagnose`
//! read back, summary.json with the documented schema, report.html, flow.json), reusing the flow
//! with `--flow`, and clear errors for bad input.

use std::path::PathBuf;
use std::process::Command;

fn flowpost(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_flowpost"))
        .args(args)
        .output()
        .expect("run flowpost");
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowpost-sample-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn sample_writes_everything_and_reuses_its_flow() {
    let dir = tmp("banana");
    let out = dir.to_str().unwrap();
    let (ok, stdout, stderr) = flowpost(&[
        "sample", "banana", "--method", "neutra", "--draws", "200", "--tune", "200", "--seed", "3",
        "--out", out,
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("banana: neutra · 4 chains × 200 draws") && stdout.contains("Pareto k̂"),
        "{stdout}"
    );
    for f in [
        "chain_1.csv",
        "chain_2.csv",
        "chain_3.csv",
        "chain_4.csv",
        "summary.json",
        "report.html",
        "flow.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let csv = std::fs::read_to_string(dir.join("chain_1.csv")).unwrap();
    assert!(
        csv.lines().any(|l| l
            == "lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,energy__,x1,x2"),
        "header"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let p = &summary["parameters"][0];
    for key in [
        "name",
        "mean",
        "sd",
        "q5",
        "q50",
        "q95",
        "mcse_mean",
        "ess_bulk",
        "ess_tail",
        "r_hat",
    ] {
        assert!(!p[key].is_null(), "parameters[0].{key} missing: {p}");
    }
    let run = &summary["run"];
    assert_eq!(run["method"], "neutra");
    assert_eq!(run["chains"], 4);
    assert_eq!(run["draws_per_chain"], 200);
    for phase in ["vi", "warmup", "sampling"] {
        assert!(
            run["grad_evals"][phase].as_u64().unwrap() > 0,
            "grad_evals.{phase}"
        );
        assert!(
            run["seconds"][phase].as_f64().unwrap() >= 0.0,
            "seconds.{phase}"
        );
    }
    assert!(run["seconds"]["total"].as_f64().unwrap() > 0.0);
    let vi = &summary["vi"];
    assert!(
        vi["elbo"].is_number() && vi["pareto_k"].is_number() && vi["steps"].as_u64().unwrap() > 0,
        "{vi}"
    );

    // diagnose reads the CSVs back and agrees on the means to the printed precision.
    let files: Vec<String> = (1..=4)
        .map(|i| dir.join(format!("chain_{i}.csv")).display().to_string())
        .collect();
    let mut args = vec!["diagnose", "--json"];
    args.extend(files.iter().map(String::as_str));
    let (ok, json, stderr) = flowpost(&args);
    assert!(ok, "{stderr}");
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (a, b) = (
        back["parameters"][0]["mean"].as_f64().unwrap(),
        p["mean"].as_f64().unwrap(),
    );
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");

    // --flow skips the variational fit.
    let flow = dir.join("flow.json");
    let again = dir.join("again");
    let (ok, stdout, stderr) = flowpost(&[
        "sample",
        "banana",
        "--draws",
        "100",
        "--tune",
        "100",
        "--flow",
        flow.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(!stdout.contains("VI:"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(again.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["run"]["grad_evals"]["vi"], 0);
    assert!(summary["vi"].is_null());

    // A flow trained for another model is refused.
    let (ok, _, stderr) = flowpost(&[
        "sample",
        "funnel",
        "--flow",
        flow.to_str().unwrap(),
        "--out",
        dir.join("x").to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("trained for banana"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tmp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let (ok, _, stderr) = flowpost(&["sample", "no_such_model"]);
    assert!(
        !ok && stderr.contains("no_such_model") && stderr.contains("funnel"),
        "{stderr}"
    );
    let corrupt = dir.join("corrupt.json");
    std::fs::write(
        &corrupt,
        "{\"format\": \"flowpost-flow\", \"version\": 1, \"dim\"",
    )
    .unwrap();
    let (ok, _, stderr) = flowpost(&[
        "sample",
        "banana",
        "--flow",
        corrupt.to_str().unwrap(),
        "--out",
        dir.join("o").to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("corrupt.json") && stderr.contains("not a flowpost flow file"),
        "{stderr}"
    );
    let (ok, _, stderr) = flowpost(&["sample", "banana", "--dim", "5"]);
    assert!(!ok && stderr.contains("dim"), "{stderr}");
    let (ok, _, stderr) = flowpost(&[
        "sample",
        "banana",
        "--method",
        "nuts",
        "--flow",
        corrupt.to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("--flow needs --method neutra"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
