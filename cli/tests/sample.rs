//! `flowpost sample` end to end: the output folder (CmdStan CSVs that our reader and `diagnose`
//! read back, summary.json with the documented schema, report.html, flow.json), reusing the flow
//! with `--flow`, and clear errors for bad input.

mod common;
use common::flowpost;

use std::path::PathBuf;
use std::process::Command;

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
    // `--format` defaults to csv,zarr: the ArviZ store is there too.
    assert!(dir.join("draws.zarr/posterior/x1/zarr.json").is_file());
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
    assert_eq!(run["num_chains"], 4);
    assert_eq!(run["num_draws_per_chain"], 200);
    for phase in ["vi", "warmup", "sampling"] {
        assert!(
            run["num_grad_evals"][phase].as_u64().unwrap() > 0,
            "num_grad_evals.{phase}"
        );
    }
    // The phases are parts of the whole: each took time, and they add up to at most the total.
    let secs = |k: &str| run["seconds"][k].as_f64().unwrap();
    assert!(
        secs("vi") > 0.0 && secs("warmup") + secs("sampling") > 0.0,
        "{run}"
    );
    assert!(
        secs("total") >= secs("vi") + secs("warmup") + secs("sampling") - 1e-9,
        "{run}"
    );
    assert!(
        summary["warnings"].is_array(),
        "summary.json lists its warnings"
    );
    let vi = &summary["vi"];
    assert!(
        vi["elbo"].is_number()
            && vi["pareto_k"].is_number()
            && vi["num_steps"].as_u64().unwrap() > 0,
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
    assert_eq!(summary["run"]["num_grad_evals"]["vi"], 0);
    assert!(summary["vi"].is_null());
    // The reused flow keeps the fit summary of the run that trained it.
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(again.join("flow.json")).unwrap()).unwrap();
    assert!(stored["vi"]["pareto_k"].is_number(), "{}", stored["vi"]);

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
        !ok && stderr.contains("corrupt.json") && stderr.contains("the file is truncated"),
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
    for bad in ["parquet", "csv,netcdf", ""] {
        for command in [&["sample", "banana"][..], &["merge", "a", "--out", "b"][..]] {
            let mut args = command.to_vec();
            args.extend(["--format", bad]);
            let (ok, _, stderr) = flowpost(&args);
            assert!(
                !ok && stderr.contains("--format") && stderr.contains("csv, zarr"),
                "{args:?}: {stderr}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--format csv` writes no zarr store, and replacing a run's folder with it leaves none of
/// the earlier run's store; `--format zarr` is `csv,zarr` (the CSVs are always written).
#[test]
fn format_chooses_the_zarr_store() {
    let dir = tmp("format");
    let out = dir.to_str().unwrap();
    let run = |format: &str| {
        let (ok, _, stderr) = flowpost(&[
            "sample", "banana", "--method", "nuts", "--chains", "2", "--draws", "50", "--tune",
            "50", "--format", format, "--quiet", "--out", out,
        ]);
        assert!(ok, "{format}: {stderr}");
        (
            dir.join("chain_2.csv").is_file(),
            dir.join("draws.zarr/zarr.json").is_file(),
        )
    };
    assert_eq!(run("zarr"), (true, true));
    assert_eq!(run("csv"), (true, false));
    assert_eq!(run("zarr,csv"), (true, true));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run with problems says so first, in summary.json too, and `--strict` fails on them; a
/// folder of another run is replaced whole, a foreign one refused, and `--flow` never deletes
/// its source.
#[test]
fn warnings_are_not_silent_and_runs_cannot_mix() {
    let dir = tmp("mix");
    let out = dir.join("run");
    let o = out.to_str().unwrap();
    // No warmup: divergences and a poor R-hat (issue 13: exit 0 with one line before).
    let args = [
        "sample", "banana", "--tune", "0", "--draws", "100", "--seed", "1", "--out", o,
    ];
    let (ok, stdout, stderr) = flowpost(&args);
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with("Warnings ("),
        "warnings come first: {stdout}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let kinds: Vec<&str> = summary["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"R-hat"), "{kinds:?}");
    let mut strict = args.to_vec();
    strict.push("--strict");
    let status = Command::new(env!("CARGO_BIN_EXE_flowpost"))
        .args(&strict)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(2), "--strict with warnings exits 2");

    // 4 chains, then 2 chains into the same folder: the old chain_3/4.csv are gone.
    assert!(out.join("chain_4.csv").is_file());
    let (ok, stdout, stderr) = flowpost(&[
        "sample",
        "banana",
        "--chains",
        "1",
        "--draws",
        "50",
        "--tune",
        "50",
        "--out",
        o,
        "--vi-steps",
        "50",
    ]);
    assert!(ok, "{stderr}");
    assert!(out.join("chain_1.csv").is_file() && !out.join("chain_2.csv").exists());
    assert!(
        stdout.contains("R-hat n/a (1 chain)") && !stdout.contains("-inf"),
        "{stdout}"
    );

    // --flow from the folder the run would replace is refused before anything is touched.
    let flow = out.join("flow.json");
    let (ok, _, stderr) = flowpost(&[
        "sample",
        "banana",
        "--flow",
        flow.to_str().unwrap(),
        "--out",
        o,
    ]);
    assert!(
        !ok && stderr.contains("which this run would replace"),
        "{stderr}"
    );
    assert!(flow.is_file());

    // A folder with someone else's files is refused.
    let foreign = dir.join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let (ok, _, stderr) = flowpost(&["sample", "banana", "--out", foreign.to_str().unwrap()]);
    assert!(
        !ok && stderr.contains("notes.txt") && stderr.contains("did not write"),
        "{stderr}"
    );
    assert!(foreign.join("notes.txt").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Errors name the flag the user typed, once, with a suggestion where one helps.
#[test]
fn errors_speak_the_command_line() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["sample", "banana", "--chains", "0"],
            "invalid --chains: must be at least 1",
        ),
        (
            &["sample", "banana", "--seed", "-5"],
            "a seed is a whole number",
        ),
        (&["sample", "funel"], "did you mean `funnel`?"),
        (
            &["sample", "funnel", "--dim", "100000000"],
            "at most 100000",
        ),
        (&["sample", "/nonexistent/m.stan"], "/nonexistent/m.stan"),
    ];
    for (args, want) in cases {
        let (ok, _, stderr) = flowpost(args);
        assert!(!ok && stderr.contains(want), "{args:?}: {stderr}");
        assert!(!stderr.contains("use '-- -5'"), "{stderr}");
    }
    // No repetition of a cause already quoted.
    let (_, _, stderr) = flowpost(&["sample", "/nonexistent/m.stan"]);
    assert_eq!(
        stderr.matches("no such").count().min(1),
        stderr.matches("no such").count(),
        "{stderr}"
    );
}

/// `--method multimodal`: the terminal shows each chain's occupancy of the modes, the jump
/// acceptance per chain and the log evidence; summary.json has them under `run.multimodal`;
/// report.html has its "Modes and jumps" section.
#[test]
fn multimodal_reports_occupancy_jumps_and_evidence() {
    let dir = tmp("multimodal");
    let out = dir.to_str().unwrap();
    let (ok, stdout, stderr) = flowpost(&[
        "sample",
        "mixture2",
        "--method",
        "multimodal",
        "--draws",
        "300",
        "--tune",
        "300",
        "--seed",
        "2",
        "--out",
        out,
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("multimodal: 2 mode(s) from 128 starts")
            && stdout.contains("jump acceptance")
            && stdout.contains("(per chain ")
            && stdout.contains("mode 1: occupancy")
            && stdout.contains("log evidence (log Z of the density as written)"),
        "{stdout}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let m = &summary["run"]["multimodal"];
    assert_eq!(m["jump_acceptance_per_chain"].as_array().unwrap().len(), 4);
    assert_eq!(
        m["modes"][1]["occupancy_per_chain"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert!(m["log_evidence"]["mcse"].is_f64(), "{m}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains(r#"<h2 id="modes">Modes and jumps</h2>"#));
    let _ = std::fs::remove_dir_all(&dir);
}
