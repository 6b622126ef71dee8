//! `flowpost sample --init R|FILE`: the default radius reproduces the default run, a JSON file
//! of values by name starts the run there, and every bad init is an error naming the flag,
//! the file and the parameter.

use std::path::{Path, PathBuf};
use std::process::Output;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowpost-init-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sample(model: &str, out: &Path, extra: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flowpost"))
        .args(["sample", model, "--method", "nuts", "--chains", "2"])
        .args([
            "--tune", "100", "--draws", "100", "--seed", "3", "--quiet", "--out",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// The draws (non-comment lines) of every chain.
fn draws(dir: &Path) -> String {
    (1..=2)
        .map(|c| std::fs::read_to_string(dir.join(format!("chain_{c}.csv"))).unwrap())
        .flat_map(|t| {
            t.lines()
                .filter(|l| !l.starts_with('#'))
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_default_radius_reproduces_the_default_run_and_values_are_recorded() {
    let dir = tmp("same");
    let ok = |o: Output| assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(sample("eight_schools_noncentered", &dir.join("a"), &[]));
    ok(sample(
        "eight_schools_noncentered",
        &dir.join("b"),
        &["--init", "2"],
    ));
    ok(sample(
        "eight_schools_noncentered",
        &dir.join("c"),
        &["--init", "0.5"],
    ));
    assert_eq!(draws(&dir.join("a")), draws(&dir.join("b")));
    assert_ne!(draws(&dir.join("a")), draws(&dir.join("c")));
    let csv = std::fs::read_to_string(dir.join("b/chain_1.csv")).unwrap();
    assert!(csv.contains("# flowpost_init = 2\n"), "{csv}");
    let csv = std::fs::read_to_string(dir.join("a/chain_1.csv")).unwrap();
    assert!(!csv.contains("flowpost_init"));

    // Every value given, on the constrained scale (tau > 0); the same seed repeats the run.
    let file = dir.join("init.json");
    std::fs::write(
        &file,
        r#"{"mu": 4, "tau": 3, "theta": [10, 8, 6, 4, 2, 0, 9, 7]}"#,
    )
    .unwrap();
    let f = file.display().to_string();
    ok(sample(
        "eight_schools_centered",
        &dir.join("d"),
        &["--init", &f],
    ));
    ok(sample(
        "eight_schools_centered",
        &dir.join("e"),
        &["--init", &f],
    ));
    assert_eq!(draws(&dir.join("d")), draws(&dir.join("e")));
    let csv = std::fs::read_to_string(dir.join("d/chain_1.csv")).unwrap();
    assert!(
        csv.contains("# flowpost_init = values of mu, tau, theta[1],"),
        "{csv}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_inits_name_the_flag_the_file_and_the_parameter() {
    let dir = tmp("bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (
            vec![write("typo.json", r#"{"mu": 1, "tua": 2}"#)],
            vec![
                "--init",
                "typo.json",
                "`tua` is not a parameter",
                "did you mean `tau`",
            ],
        ),
        (
            vec![write("short.json", r#"{"theta": [1, 2, 3]}"#)],
            vec!["--init", "short.json", "`theta`: 3 entries", "has 8"],
        ),
        (
            vec![write("negative.json", r#"{"mu": 1, "tau": -1}"#)],
            vec![
                "--init",
                "negative.json",
                "`tau` = -1 is outside its support",
            ],
        ),
        (
            vec![write("broken.json", r#"{"mu": 1,"#)],
            vec!["--init", "broken.json", "not valid JSON", "line 1"],
        ),
        (vec!["-1".into()], vec!["--init -1", "radius", "≥ 0"]),
        (
            vec!["nofile.json".into()],
            vec!["--init nofile.json", "neither a number nor"],
        ),
    ];
    for (arg, needles) in cases {
        let out = sample(
            "eight_schools_centered",
            &dir.join("out"),
            &["--init", &arg[0]],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{arg:?}: {err}");
        for n in needles {
            assert!(err.contains(n), "{arg:?}: want `{n}` in: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    // Every chain at the origin, where the funnel's gradient is 0 in x: nuts-rs cannot start.
    let out = sample("funnel", &dir.join("out"), &["--init", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--init 0") && err.contains("exactly 0"),
        "{err}"
    );
    // With a trained flow there is nothing to initialize.
    let flow = write("flow.json", "{}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowpost"))
        .args(["sample", "funnel", "--init", "1", "--flow", &flow, "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--init has no effect with --flow"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
