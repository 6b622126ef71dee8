//! `flowpost sample --warm-start DIR` and `--init-flow DIR|FILE`: a run folder keeps its
//! adaptation (adaptation.json), a warm start continues it with a short warmup, an initial
//! flow restarts the fit from an earlier flow, and every misuse is an error naming the flag
//! and the folder.

use std::path::{Path, PathBuf};
use std::process::Output;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowpost-warm-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn flowpost(args: &[&str], out: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flowpost"))
        .args(args)
        .args(["--chains", "2", "--draws", "100", "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn err(o: &Output) -> String {
    assert!(!o.status.success(), "the command succeeded");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_nuts_run_is_continued_with_a_short_warmup() {
    let d = tmp("nuts");
    let cold = d.join("cold");
    ok(&flowpost(
        &[
            "sample",
            "eight_schools_noncentered",
            "--method",
            "nuts",
            "--tune",
            "300",
            "--seed",
            "1",
        ],
        &cold,
    ));
    let text = std::fs::read_to_string(cold.join("adaptation.json")).unwrap();
    assert!(text.contains("\"coordinates\":\"unconstrained\""), "{text}");
    let warm = d.join("warm");
    ok(&flowpost(
        &[
            "sample",
            "eight_schools_noncentered",
            "--warm-start",
            p(&cold),
            "--seed",
            "2",
        ],
        &warm,
    ));
    let csv = std::fs::read_to_string(warm.join("chain_1.csv")).unwrap();
    assert!(csv.contains("num_warmup = 100"), "{csv}");
    assert!(csv.contains("method = nuts"), "{csv}");
    let summary = std::fs::read_to_string(warm.join("summary.json")).unwrap();
    assert!(summary.contains("\"nuts\""), "{summary}");
    // The method is the earlier run's; another one is refused.
    let e = err(&flowpost(
        &[
            "sample",
            "eight_schools_noncentered",
            "--warm-start",
            p(&cold),
            "--method",
            "neutra",
        ],
        &d.join("x"),
    ));
    assert!(
        e.contains("--warm-start") && e.contains("--method neutra"),
        "{e}"
    );
    // Another model (or dimension, or data) is refused, pointing at --init-flow.
    let e = err(&flowpost(
        &["sample", "eight_schools_centered", "--warm-start", p(&cold)],
        &d.join("y"),
    ));
    assert!(
        e.contains("another model") && e.contains("--init-flow"),
        "{e}"
    );
}

#[test]
fn a_flow_run_is_continued_through_its_flow_and_refit_from_it() {
    let d = tmp("flow");
    let cold = d.join("cold");
    ok(&flowpost(
        &[
            "sample", "banana", "--method", "neutra", "--tune", "200", "--seed", "1",
        ],
        &cold,
    ));
    let warm = d.join("warm");
    ok(&flowpost(
        &["sample", "banana", "--warm-start", p(&cold), "--seed", "2"],
        &warm,
    ));
    let text = std::fs::read_to_string(warm.join("adaptation.json")).unwrap();
    assert!(text.contains("\"coordinates\":\"flow_latent\""), "{text}");
    // The same flow, byte for byte (no fit ran).
    assert_eq!(
        std::fs::read(cold.join("flow.json")).unwrap(),
        std::fs::read(warm.join("flow.json")).unwrap()
    );
    // A flow.json that is not the one the adaptation belongs to is refused.
    let tampered = d.join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    std::fs::copy(
        cold.join("adaptation.json"),
        tampered.join("adaptation.json"),
    )
    .unwrap();
    let mut flow = std::fs::read_to_string(cold.join("flow.json")).unwrap();
    flow = flow.replacen("\"model\":\"banana\"", "\"model\":\"banana \"", 1);
    std::fs::write(tampered.join("flow.json"), flow).unwrap();
    let e = err(&flowpost(
        &["sample", "banana", "--warm-start", p(&tampered)],
        &d.join("t"),
    ));
    assert!(e.contains("not the flow that run sampled through"), "{e}");
    // --init-flow: the fit runs again, from the earlier flow.
    let refit = d.join("refit");
    ok(&flowpost(
        &[
            "sample",
            "banana",
            "--method",
            "neutra",
            "--init-flow",
            p(&cold),
            "--tune",
            "200",
        ],
        &refit,
    ));
    let summary = std::fs::read_to_string(refit.join("summary.json")).unwrap();
    assert!(summary.contains("\"vi\""), "{summary}");
}

#[test]
fn misuse_is_refused_with_the_flags_named() {
    let d = tmp("misuse");
    let e = err(&flowpost(
        &["sample", "banana", "--warm-start", p(&d.join("nowhere"))],
        &d.join("a"),
    ));
    assert!(
        e.contains("--warm-start") && e.contains("adaptation.json"),
        "{e}"
    );
    let e = err(&flowpost(
        &[
            "sample",
            "banana",
            "--warm-start",
            p(&d),
            "--flow",
            p(&d.join("f.json")),
        ],
        &d.join("b"),
    ));
    assert!(
        e.contains("--flow and --warm-start cannot be combined"),
        "{e}"
    );
    let e = err(&flowpost(
        &["sample", "banana", "--init-flow", p(&d), "--method", "nuts"],
        &d.join("c"),
    ));
    assert!(e.contains("--init-flow"), "{e}");
    let e = err(&flowpost(
        &["sample", "banana", "--init-flow", p(&d.join("nowhere"))],
        &d.join("e"),
    ));
    assert!(
        e.contains("--init-flow") && e.contains("no flow file"),
        "{e}"
    );
    // A warm start from the folder the run would replace.
    let cold = d.join("cold");
    ok(&flowpost(
        &["sample", "banana", "--method", "nuts", "--tune", "100"],
        &cold,
    ));
    let e = err(&flowpost(
        &["sample", "banana", "--warm-start", p(&cold)],
        &cold,
    ));
    assert!(e.contains("which this run would replace"), "{e}");
    let e = err(&flowpost(
        &["sample", "banana", "--warm-start", p(&cold), "--init", "1"],
        &d.join("f"),
    ));
    assert!(e.contains("--init has no effect with --warm-start"), "{e}");
}
