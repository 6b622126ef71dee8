//! The `flowpost nle` command line end to end: `nle train` on the linear-Gaussian tables of
//! tests/nle.rs gives the estimator the library trains, bit for bit, and `nle sample` with
//! NUTS writes `flowpost sample`'s outputs whose draws match the exact conjugate posterior
//! (MCSE-scaled tolerances, shared with tests/nle.rs). The bad-input tests are in
//! nle_cli_errors.rs.

mod common;
#[path = "../../tests/common/linear_gaussian.rs"]
mod linear_gaussian;

use common::flowpost;
use flowpost::npe::{NleEstimator, train_nle, write_table};
use linear_gaussian::{M0, NAMES, S0, check_parameter, prior, settings, simulations, x_o};
use std::path::Path;

/// Writes theta.csv, x.csv (the 3000 simulations), x_o.csv (4 trials) and prior.json.
fn write_inputs(dir: &Path) {
    let sims = simulations();
    let theta: Vec<f64> = (0..sims.len())
        .flat_map(|i| sims.theta(i).to_vec())
        .collect();
    let x: Vec<f64> = (0..sims.len()).flat_map(|i| sims.x(i).to_vec()).collect();
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let x_names = names(&["x1", "x2"]);
    write_table(&dir.join("theta.csv"), &names(&NAMES), &theta).unwrap();
    write_table(&dir.join("x.csv"), &x_names, &x).unwrap();
    write_table(&dir.join("x_o.csv"), &x_names, &x_o()).unwrap();
    let spec = format!(
        r#"{{"parameters": [{{"family": "normal", "mean": {}, "sd": {}}}, {{"family": "normal", "mean": {}, "sd": {}}}]}}"#,
        M0[0], S0[0], M0[1], S0[1]
    );
    common::write(&dir.join("prior.json"), &spec);
}

/// `nle train`'s flags for [`settings`], on the tables in `dir`, into `dir/OUT`. No
/// `--activation`: NLE's default is tanh, which `settings` names (the bit-for-bit check below
/// fails if the command line's default is not).
fn train_args(dir: &Path, out: &str) -> Vec<String> {
    let p = |f: &str| dir.join(f).display().to_string();
    let mut args: Vec<String> = ["nle", "train", "--quiet"].map(String::from).to_vec();
    for (flag, value) in [
        ("--theta", p("theta.csv")),
        ("--x", p("x.csv")),
        ("--prior", p("prior.json")),
        ("--out", p(out)),
        ("--transform", "affine".into()),
        ("--num-transforms", "1".into()),
        ("--hidden", "32".into()),
        ("--learning-rate", "5e-4".into()),
        ("--max-epochs", "300".into()),
        ("--patience", "20".into()),
        ("--seed", "2".into()),
    ] {
        args.push(flag.into());
        args.push(value);
    }
    args
}

fn run(args: &[String]) -> (bool, String, String) {
    flowpost(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn train_then_sample_matches_the_conjugate_posterior() {
    let dir = common::fresh_dir("nle-cli", "e2e");
    write_inputs(&dir);
    let (ok, _, err) = run(&train_args(&dir, "est"));
    assert!(ok, "{err}");
    for f in ["estimator.json", "training_report.json", "report.html"] {
        assert!(dir.join("est").join(f).is_file(), "{f}");
    }
    // The command line trains what the library trains: the same likelihood, bit for bit.
    let loaded = NleEstimator::load(&dir.join("est/estimator.json")).unwrap();
    let progress = flowpost::progress::NoProgress;
    let (lib, report) = train_nle(&simulations(), &prior(), &settings(), &progress).unwrap();
    assert_eq!(loaded.prior(), lib.prior());
    assert_eq!(loaded.x_labels().unwrap(), ["x1", "x2"]);
    let x_o = x_o();
    for u in [[0.0, 0.0], [0.7, -1.1], [-1.5, 2.0]] {
        let (mut g1, mut g2) = ([0.0; 2], [0.0; 2]);
        let a = loaded.log_likelihood_iid(&x_o, &u, Some(&mut g1)).unwrap();
        let b = lib.log_likelihood_iid(&x_o, &u, Some(&mut g2)).unwrap();
        assert_eq!((a.to_bits(), g1), (b.to_bits(), g2), "at θ_u {u:?}");
    }

    let est = dir.join("est").display().to_string();
    let obs = dir.join("x_o.csv").display().to_string();
    let out = dir.join("post").display().to_string();
    let (ok, stdout, err) = flowpost(&[
        "nle",
        "sample",
        "--estimator",
        &est,
        "--observation",
        &obs,
        "--method",
        "nuts",
        "--chains",
        "4",
        "--draws",
        "1000",
        "--seed",
        "3",
        "--format",
        "csv",
        "--out",
        &out,
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("given 4 iid trial(s)"), "{err}");
    assert!(!err.contains("warning: x_o feature"), "{err}");
    assert!(
        stdout.contains("nle: nuts · 4 chains × 1000 draws"),
        "{stdout}"
    );
    let post = dir.join("post");
    for f in ["summary.json", "report.html", "adaptation.json"] {
        assert!(post.join(f).is_file(), "{f}");
    }
    let files: Vec<_> = (1..=4)
        .map(|c| post.join(format!("chain_{c}.csv")))
        .collect();
    let (draws, _) = flowpost::io::cmdstan::read_cmdstan_csvs(&files).unwrap();
    assert_eq!(draws.param_names, NAMES);
    assert_eq!((draws.num_chains(), draws.num_draws()), (4, 1000));
    for i in 0..2 {
        check_parameter(i, &draws.param(i), &x_o, report.num_epochs);
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(post.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["parameters"][1]["name"], "b");

    // A trial far from the training x: a warning naming the feature, and the run goes on.
    let far = dir.join("far.csv");
    write_table(&far, &["x1".into(), "x2".into()], &[0.0, 0.0, 0.0, 1e3]).unwrap();
    let far = far.display().to_string();
    let out = dir.join("post_far").display().to_string();
    let (ok, _, err) = flowpost(&[
        "nle",
        "sample",
        "--estimator",
        &est,
        "--observation",
        &far,
        "--method",
        "nuts",
        "--chains",
        "1",
        "--draws",
        "50",
        "--tune",
        "50",
        "--out",
        &out,
    ]);
    assert!(
        ok && err.contains(
            "warning: x_o feature `x2` = 1000 lies where the training simulations did not go"
        ),
        "{err}"
    );
}
