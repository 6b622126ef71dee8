//! Scale-out end to end: a 16-chain funnel run split into 4 shards (`sample --chain-ids`) and
//! merged (`flowpost merge`) equals, draw for draw, the run made at once — plain NUTS, and
//! NeuTra through one shared flow — and merging shards that are not one run is a clear error
//! naming the shard.

mod common;
use common::flowpost;

use std::path::{Path, PathBuf};

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowpost-scale-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `flowpost sample` with `args` plus `--quiet --out out`; panics on failure.
fn sample(args: &[&str], out: &Path) {
    let mut all = vec!["sample"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--quiet", "--out", s(out)]);
    let (ok, _, stderr) = flowpost(&all);
    assert!(ok, "sample {args:?}: {stderr}");
}

fn draw_lines(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Rewrites a summary.json as version 1 wrote it: no header, the counts without `num_*`.
fn rewrite_as_v1(path: &Path) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let o = v.as_object_mut().unwrap();
    assert_eq!(o.remove("version"), Some(2.into()));
    o.remove("format");
    let run = o["run"].as_object_mut().unwrap();
    for (new, old) in [
        ("num_chains", "chains"),
        ("num_draws_per_chain", "draws_per_chain"),
        ("num_divergent", "divergences"),
        ("num_grad_evals", "grad_evals"),
    ] {
        let value = run.remove(new).unwrap();
        run.insert(old.into(), value);
    }
    if let Some(vi) = o["vi"].as_object_mut() {
        let steps = vi.remove("num_steps").unwrap();
        vi.insert("steps".into(), steps);
    }
    std::fs::write(path, v.to_string()).unwrap();
}

/// Runs the 16 chains at once and as shards 1..4 … 13..16, merges the shards (given out of
/// order) and checks the merged folder against the one-machine run.
fn shards_equal_one_run(dir: &Path, common: &[&str]) -> serde_json::Value {
    let one = dir.join("one");
    let mut args = common.to_vec();
    args.extend_from_slice(&["--chains", "16"]);
    sample(&args, &one);
    let ranges = ["9..12", "1..4", "13..16", "5..8"];
    let mut shards = vec![];
    for r in ranges {
        let out = dir.join(format!("shard-{}", r.replace("..", "-")));
        let mut args = common.to_vec();
        args.extend_from_slice(&["--chain-ids", r]);
        sample(&args, &out);
        shards.push(out);
    }
    let five = std::fs::read_to_string(shards[3].join("chain_5.csv")).unwrap();
    assert!(
        five.lines().any(|l| l == "# id = 5"),
        "CmdStan id of chain 5"
    );
    assert_eq!(summary(&shards[3])["run"]["chain_ids"]["first"], 5);
    // A shard written by an earlier flowpost (summary.json version 1) merges with the others.
    rewrite_as_v1(&shards[1].join("summary.json"));

    let merged = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|p| s(p)));
    args.extend_from_slice(&["--chains", "16", "--out", s(&merged)]);
    let (ok, stdout, stderr) = flowpost(&args);
    assert!(ok, "merge: {stderr}");
    assert!(stdout.contains("4 shards · 16 chains"), "{stdout}");
    assert!(
        stdout.contains("nested R-hat (4 shards as superchains of 4 chains)"),
        "{stdout}"
    );
    for k in 1..=16 {
        let f = format!("chain_{k}.csv");
        assert_eq!(
            draw_lines(&merged.join(&f)),
            draw_lines(&one.join(&f)),
            "{f}"
        );
    }
    let (m, o) = (summary(&merged), summary(&one));
    assert_eq!(m["parameters"], o["parameters"]);
    for key in [
        "num_chains",
        "num_draws_per_chain",
        "num_divergent",
        "num_grad_evals",
        "chain_ids",
    ] {
        assert_eq!(m["run"][key], o["run"][key], "run.{key}");
    }
    assert_eq!(m["run"]["identity"], o["run"]["identity"]);
    let nested = &m["nested_r_hat"];
    assert_eq!(nested["superchains"].as_array().unwrap().len(), 4);
    assert_eq!(nested["parameters"].as_array().unwrap().len(), 10);
    assert!(nested["max"].as_f64().unwrap() >= 1.0, "{nested}");
    assert!(merged.join("report.html").is_file());
    // The merged adaptation is the one-machine run's (chains in order), so the merged folder
    // is a warm start like any other.
    let adaptation = |d: &Path| std::fs::read_to_string(d.join("adaptation.json")).unwrap();
    assert_eq!(adaptation(&merged), adaptation(&one));
    m
}

#[test]
fn nuts_shards_merge_to_the_one_machine_run() {
    let dir = tmp("nuts");
    let common = [
        "funnel", "--method", "nuts", "--draws", "40", "--tune", "60", "--seed", "11",
    ];
    let m = shards_equal_one_run(&dir, &common);
    assert!(m["run"]["identity"]["flow_hash"].is_null());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn neutra_shards_through_one_flow_merge_to_the_one_machine_run() {
    let dir = tmp("neutra");
    let train = dir.join("train");
    sample(
        &[
            "funnel",
            "--method",
            "neutra",
            "--vi-steps",
            "150",
            "--chains",
            "1",
            "--draws",
            "10",
            "--tune",
            "10",
            "--seed",
            "4",
        ],
        &train,
    );
    let flow = train.join("flow.json");
    let common = [
        "funnel",
        "--method",
        "neutra",
        "--flow",
        s(&flow),
        "--draws",
        "40",
        "--tune",
        "60",
        "--seed",
        "12",
    ];
    let m = shards_equal_one_run(&dir, &common);
    let merged_flow = std::fs::read(dir.join("merged/flow.json")).unwrap();
    assert_eq!(
        m["run"]["identity"]["flow_hash"],
        flowpost::shard::sha256_hex(&merged_flow).as_str()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `flowpost merge SHARDS... --out OUT` that must fail; returns stderr.
fn merge_fails(shards: &[&Path], extra: &[&str], out: &Path) -> String {
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|p| s(p)));
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", s(out)]);
    let existed = out.exists();
    let (ok, stdout, stderr) = flowpost(&args);
    assert!(!ok, "merge {shards:?} should fail: {stdout}");
    assert_eq!(
        out.exists(),
        existed,
        "a failed merge wrote {}",
        out.display()
    );
    stderr
}

#[test]
fn merging_what_is_not_one_run_is_a_clear_error_naming_the_shard() {
    let dir = tmp("errors");
    let small = |model: &'static str, ids: &'static str, extra: &[&'static str]| {
        let out = dir.join(format!(
            "{model}-{}-{}",
            ids.replace("..", "-"),
            extra.join("")
        ));
        let mut args = vec![
            model,
            "--method",
            "nuts",
            "--tune",
            "30",
            "--chain-ids",
            ids,
        ];
        if !extra.contains(&"--seed") {
            args.extend_from_slice(&["--seed", "3"]);
        }
        if !extra.contains(&"--draws") {
            args.extend_from_slice(&["--draws", "20"]);
        }
        args.extend_from_slice(extra);
        sample(&args, &out);
        out
    };
    let a = small("funnel", "1..2", &[]);
    let b = small("funnel", "3..4", &[]);
    let out = dir.join("merged");

    let banana = small("banana", "3..4", &[]);
    let e = merge_fails(&[&a, &banana], &[], &out);
    assert!(
        e.contains("model is banana (hash ")
            && e.contains(&format!("in {} but funnel (hash ", s(&banana))),
        "{e}"
    );

    let longer = small("funnel", "3..4", &["--draws", "24"]);
    let e = merge_fails(&[&a, &longer], &[], &out);
    assert!(
        e.contains(&format!(
            "num_draws is 24 in {} but 20 in {}",
            s(&longer),
            s(&a)
        )),
        "{e}"
    );

    let seed = small("funnel", "3..4", &["--seed", "4"]);
    let e = merge_fails(&[&a, &seed], &[], &out);
    assert!(e.contains(&format!("seed is 4 in {}", s(&seed))), "{e}");

    // The odd shard is named even when it comes first: the others outvote it.
    let e = merge_fails(&[&seed, &a, &b, &small("funnel", "5..6", &[])], &[], &out);
    assert!(e.contains(&format!("shard {} is not", s(&seed))), "{e}");

    let overlap = small("funnel", "2..3", &[]);
    let e = merge_fails(&[&a, &overlap], &[], &out);
    assert!(
        e.contains("both hold chain 2") && e.contains(s(&a)) && e.contains(s(&overlap)),
        "{e}"
    );
    let e = merge_fails(&[&a, &a], &[], &out);
    assert!(e.contains("the same folder given twice"), "{e}");

    let later = small("funnel", "5..6", &[]);
    let e = merge_fails(&[&a, &later], &[], &out);
    assert!(
        e.contains("chains 3..4 are missing") && e.contains(s(&a)) && e.contains(s(&later)),
        "{e}"
    );
    let e = merge_fails(&[&b], &[], &out);
    assert!(
        e.contains("chains 1..2 are missing") && e.contains(s(&b)),
        "{e}"
    );
    let e = merge_fails(&[&a, &b], &["--chains", "6"], &out);
    assert!(
        e.contains("chains 5..6 are missing") && e.contains(s(&b)),
        "{e}"
    );
    let e = merge_fails(&[&a, &b], &["--chains", "3"], &out);
    assert!(
        e.contains(s(&b)) && e.contains("beyond the run's 3 chains"),
        "{e}"
    );

    let e = merge_fails(&[&a, &b], &[], &a);
    assert!(e.contains("would replace or sit inside shard"), "{e}");
    let plain = dir.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let e = merge_fails(&[&a, &plain], &[], &out);
    assert!(
        e.contains(s(&plain)) && e.contains("no summary.json"),
        "{e}"
    );
    std::fs::remove_file(b.join("chain_4.csv")).unwrap();
    let e = merge_fails(&[&a, &b], &[], &out);
    assert!(e.contains(s(&b)) && e.contains("chain_4.csv"), "{e}");

    // The two shards that are one run merge.
    let c = small("funnel", "3..4", &[]);
    let (ok, stdout, stderr) = flowpost(&["merge", s(&c), s(&a), "--out", s(&out), "--quiet"]);
    assert!(ok && stdout.contains("wrote"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn different_flows_do_not_merge() {
    let dir = tmp("flows");
    let mut shards = vec![];
    for (seed, ids) in [("1", "1..2"), ("2", "3..4")] {
        let train = dir.join(format!("train-{seed}"));
        sample(
            &[
                "banana",
                "--method",
                "neutra",
                "--vi-steps",
                "60",
                "--chains",
                "1",
                "--draws",
                "8",
                "--tune",
                "8",
                "--seed",
                seed,
            ],
            &train,
        );
        let out = dir.join(format!("shard-{seed}"));
        let flow = train.join("flow.json");
        sample(
            &[
                "banana",
                "--method",
                "neutra",
                "--flow",
                s(&flow),
                "--draws",
                "10",
                "--tune",
                "10",
                "--chain-ids",
                ids,
            ],
            &out,
        );
        shards.push(out);
    }
    let e = merge_fails(&[&shards[0], &shards[1]], &[], &dir.join("merged"));
    assert!(
        e.contains(s(&shards[1])) && e.contains("flow.json hash is") && e.contains("same --flow"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chain_ids_are_checked_on_the_command_line() {
    let dir = tmp("cli");
    let out = dir.join("x");
    let run = |extra: &[&str]| {
        let mut args = vec!["sample", "funnel", "--draws", "10", "--out", s(&out)];
        args.extend_from_slice(extra);
        let (ok, _, stderr) = flowpost(&args);
        assert!(!ok, "{extra:?} should fail");
        stderr
    };
    let e = run(&["--chain-ids", "5..8"]);
    assert!(e.contains("--method auto needs --flow"), "{e}");
    let e = run(&["--method", "nuts", "--chain-ids", "5..8", "--chains", "3"]);
    assert!(
        e.contains("--chains 3 and --chain-ids 5..8 (4 chains) disagree"),
        "{e}"
    );
    let e = run(&["--method", "nuts", "--chain-ids", "0..3"]);
    assert!(e.contains("start at 1"), "{e}");
    let e = run(&["--method", "nuts", "--chain-ids", "8..5"]);
    assert!(e.contains("smaller than the first"), "{e}");
    let e = run(&["--method", "multimodal", "--chain-ids", "1..2"]);
    assert!(e.contains("does not work with --method multimodal"), "{e}");
    // Each chain of a run has its own block of random streams, 430 in all.
    let e = run(&["--method", "nuts", "--chain-ids", "428..431"]);
    assert!(
        e.contains("--chain-ids") && e.contains("must be at most 430"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
