//! `flowpost diagnose` end to end on the CmdStan-style fixtures of the root crate and on files
//! written by flowpost's own CSV writer.

mod common;
use common::flowpost;

use std::path::{Path, PathBuf};
use std::process::Command;

use flowpost::io::cmdstan::{CmdStanMeta, write_cmdstan_csvs};
use flowpost::{ChainDraws, DrawStats, Draws};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/cmdstan")
        .join(name)
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowpost-diagnose-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn es_files() -> Vec<String> {
    (1..=4)
        .map(|i| {
            fixture(&format!("eight_schools_{i}.csv"))
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn table_and_warnings_on_cmdstan_files() {
    let files = es_files();
    let args: Vec<&str> = std::iter::once("diagnose")
        .chain(files.iter().map(String::as_str))
        .collect();
    let (ok, stdout, stderr) = flowpost(&args);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("4 chains × 12 draws, 5 parameters"),
        "{stdout}"
    );
    // the warnings come before the table
    let w = stdout.find("Warnings").expect("warnings section");
    let t = stdout.find("ess_bulk").expect("table header");
    assert!(w < t);
    assert!(
        stdout.contains("post-warmup draws") && stdout.contains("divergence"),
        "{stdout}"
    );
    for name in ["mu", "tau", "theta[1]", "theta[2]", "theta[3]"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(name)),
            "row {name} missing:\n{stdout}"
        );
    }
}

#[test]
fn json_and_out_dir() {
    let dir = tmp("out");
    let files = es_files();
    let mut args: Vec<&str> = vec!["diagnose", "--json", "--out", dir.to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let (ok, stdout, stderr) = flowpost(&args);
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    let params = v["parameters"].as_array().unwrap();
    assert_eq!(params.len(), 5);
    assert_eq!(params[2]["name"], "theta[1]");
    for k in [
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
        assert!(params[0][k].is_number(), "{k}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["parameters"], v["parameters"]);
    assert_eq!(summary["run"]["num_chains"], 4);
    assert_eq!(summary["run"]["num_draws_per_chain"], 12);
    assert_eq!(summary["run"]["method"], "cmdstan");
    assert!(summary["vi"].is_null());
    assert!((summary["run"]["seconds"]["total"].as_f64().unwrap() - 0.039).abs() < 1e-12);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("data-plot=\"trace\"") && html.contains("data-plot=\"energy\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn round_trip_of_flowpost_output() {
    // flowpost writes CSV; diagnose reads it back and reports the same summary as the library.
    let chain = |k: usize| ChainDraws {
        values: (0..400)
            .map(|i| (((i * 7 + k * 3) % 23) as f64 / 7.0).sin())
            .collect(),
        stats: (0..200)
            .map(|i| DrawStats {
                energy: ((i * 5) % 11) as f64,
                tree_depth: 3,
                n_leapfrog: 7,
                step_size: 0.4,
                ..Default::default()
            })
            .collect(),
        adapted_step_size: Some(0.4),
        ..Default::default()
    };
    let draws = Draws::new(vec!["a".into(), "b[1]".into()], (0..4).map(chain).collect()).unwrap();
    let dir = tmp("rt");
    let files = write_cmdstan_csvs(
        &dir,
        &draws,
        &CmdStanMeta {
            method: "neutra".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let mut args = vec!["diagnose".to_string(), "--json".to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, stdout, stderr) = flowpost(&args);
    assert!(ok, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let lib = flowpost::diagnostics::summarize(&draws);
    let want = serde_json::to_value(&lib).unwrap();
    assert_eq!(v["parameters"], want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_input_is_a_clear_error() {
    for (file, needle) in [
        ("bad_ragged.csv", "bad_ragged.csv:57: row has 11 fields"),
        ("bad_nonnumeric.csv", "is not a valid number"),
        ("bad_no_header.csv", "expected the CSV header"),
    ] {
        let f = fixture(file).display().to_string();
        let (ok, _, stderr) = flowpost(&["diagnose", &f]);
        assert!(!ok);
        assert!(
            stderr.starts_with("error: ") && stderr.contains(needle),
            "{file}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let a = fixture("eight_schools_1.csv").display().to_string();
    let b = fixture("bad_other_params.csv").display().to_string();
    let (ok, _, stderr) = flowpost(&["diagnose", &a, &b]);
    assert!(!ok && stderr.contains("parameters differ"), "{stderr}");
    let (ok, _, stderr) = flowpost(&["diagnose", "/nonexistent.csv"]);
    assert!(!ok && stderr.contains("/nonexistent.csv"), "{stderr}");
}

/// The same chain twice is not two chains (it gave R-hat 0.999), a folder is not a file, and
/// `--strict` fails on warnings.
#[test]
fn repeated_files_folders_and_strict() {
    let one = fixture("eight_schools_1.csv");
    let one = one.to_str().unwrap();
    let (ok, _, stderr) = flowpost(&["diagnose", one, one]);
    assert!(!ok && stderr.contains("the same file as"), "{stderr}");
    let folder = fixture("");
    let (ok, _, stderr) = flowpost(&["diagnose", folder.to_str().unwrap()]);
    assert!(
        !ok && stderr.contains("is a folder; pass its chain files"),
        "{stderr}"
    );
    let files = es_files();
    let mut args = vec!["diagnose", "--strict"];
    args.extend(files.iter().map(String::as_str));
    let out = Command::new(env!("CARGO_BIN_EXE_flowpost"))
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let code = if stdout.contains("No warnings") { 0 } else { 2 };
    assert_eq!(out.status.code(), Some(code), "{stdout}");
}
