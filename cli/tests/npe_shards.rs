//! Simulations spread over machines: `npe simulate --shard i/K` writes shards whose
//! concatenation is the one-machine table row for row, and `npe train --shards DIR` (or
//! several `--theta/--x` pairs) trains exactly as on that table; shards that do not fit
//! together are refused with the file named.

mod common;
use common::bin;

use std::path::{Path, PathBuf};
use std::process::Output;

fn tmp(name: &str) -> PathBuf {
    common::fresh_dir("shards", name)
}

fn ok(out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    err
}

fn failed(out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "expected a failure: {err}");
    err
}

fn simulate(out: &Path, n: usize, shard: Option<&str>, seed: u64) -> Output {
    let mut c = bin();
    c.args(["npe", "simulate", "two_moons", "--num-simulations"])
        .arg(n.to_string())
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(out);
    if let Some(s) = shard {
        c.args(["--shard", s]);
    }
    c.output().unwrap()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The data rows (header dropped) of the shards' tables, concatenated.
fn concat(dir: &Path, k: usize, table: &str) -> String {
    (1..=k)
        .map(|i| {
            let t = read(&dir.join(format!("shard-{i}-of-{k}.{table}.csv")));
            t.split_once('\n').unwrap().1.to_string()
        })
        .collect()
}

/// Small, fast training (affine, one layer, three epochs).
fn train(data: &[&str], out: &Path) -> Output {
    bin()
        .args(["npe", "train"])
        .args(data)
        .arg("--out")
        .arg(out)
        .args(common::TINY_NPE_FLOW)
        .args(["--max-epochs", "3", "--seed", "2", "--quiet"])
        .output()
        .unwrap()
}

#[test]
fn shards_concatenate_to_the_one_machine_table_and_train_the_same() {
    let dir = tmp("same");
    let (whole, parts) = (dir.join("whole"), dir.join("parts"));
    ok(simulate(&whole, 1003, None, 5));
    for i in 1..=3 {
        let err = ok(simulate(&parts, 1003, Some(&format!("{i}/3")), 5));
        assert!(err.contains(&format!("shard {i} of 3")), "{err}");
    }
    let one = |t: &str| read(&whole.join(format!("shard-1-of-1.{t}.csv")));
    for t in ["theta", "x"] {
        let (head, rows) = one(t)
            .split_once('\n')
            .map(|(h, r)| (h.to_string(), r.to_string()))
            .unwrap();
        assert_eq!(concat(&parts, 3, t), rows, "{t} rows differ");
        assert!(head.starts_with(if t == "theta" {
            "parameter_1,"
        } else {
            "data_1,"
        }));
        assert_eq!(rows.lines().count(), 1003);
    }
    // Sizes differ by at most one: 334, 334, 335.
    let m: serde_json::Value =
        serde_json::from_str(&read(&parts.join("shard-3-of-3.json"))).unwrap();
    assert_eq!(
        (m["first_row"].as_u64(), m["num_rows"].as_u64()),
        (Some(668), Some(335))
    );

    // Training on the shards (a folder, or pairs) gives the very estimator of the whole table.
    let p = |d: &Path, f: &str| d.join(f).display().to_string();
    ok(train(
        &[
            "--theta",
            &p(&whole, "shard-1-of-1.theta.csv"),
            "--x",
            &p(&whole, "shard-1-of-1.x.csv"),
        ],
        &dir.join("est-whole"),
    ));
    let err = ok(train(
        &["--shards", &p(&dir, "parts")],
        &dir.join("est-shards"),
    ));
    assert!(
        err.contains("read 3 shards") && err.contains("shard-3-of-3.theta.csv: 335 rows"),
        "{err}"
    );
    let pairs: Vec<String> = (1..=3)
        .flat_map(|i| {
            [
                "--theta".to_string(),
                p(&parts, &format!("shard-{i}-of-3.theta.csv")),
                "--x".to_string(),
                p(&parts, &format!("shard-{i}-of-3.x.csv")),
            ]
        })
        .collect();
    let pairs: Vec<&str> = pairs.iter().map(String::as_str).collect();
    ok(train(&pairs, &dir.join("est-pairs")));
    let est = |d: &str| read(&dir.join(d).join("estimator.json"));
    assert_eq!(est("est-whole"), est("est-shards"));
    assert_eq!(est("est-whole"), est("est-pairs"));
    let report: serde_json::Value =
        serde_json::from_str(&read(&dir.join("est-shards/training_report.json"))).unwrap();
    assert_eq!(report["data"]["num_rows"], 1003);
    assert_eq!(report["data"]["shards"][0]["num_rows"], 334);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shards_that_do_not_fit_together_are_refused_with_the_file_named() {
    let dir = tmp("bad");
    let parts = dir.join("parts");
    for i in 1..=3 {
        ok(simulate(&parts, 300, Some(&format!("{i}/3")), 1));
    }
    let shards = |d: &Path| train(&["--shards", &d.display().to_string()], &dir.join("est"));

    // Another run's shard into the same folder: refused when writing.
    let err = failed(simulate(&parts, 300, Some("2/3"), 9));
    assert!(
        err.contains("another run") && err.contains("seed 1"),
        "{err}"
    );
    // Bad shard numbers.
    let err = failed(simulate(&dir.join("x"), 300, Some("0/3"), 1));
    assert!(
        err.contains("--shard 0/3") && err.contains("1 to K"),
        "{err}"
    );
    // A foreign file in the folder.
    std::fs::write(dir.join("mine.txt"), "x").unwrap();
    let err = failed(simulate(&dir, 300, Some("1/3"), 1));
    assert!(err.contains("mine.txt"), "{err}");

    // A missing shard.
    let gone = dir.join("gone");
    std::fs::create_dir(&gone).unwrap();
    for i in [1, 3] {
        for ext in ["theta.csv", "x.csv", "json"] {
            let f = format!("shard-{i}-of-3.{ext}");
            std::fs::copy(parts.join(&f), gone.join(&f)).unwrap();
        }
    }
    let err = failed(shards(&gone));
    assert!(err.contains("missing: shard-2-of-3"), "{err}");
    // A shard whose manifest never came (its job did not finish).
    std::fs::copy(
        parts.join("shard-2-of-3.theta.csv"),
        gone.join("shard-2-of-3.theta.csv"),
    )
    .unwrap();
    std::fs::copy(
        parts.join("shard-2-of-3.x.csv"),
        gone.join("shard-2-of-3.x.csv"),
    )
    .unwrap();
    let err = failed(shards(&gone));
    assert!(
        err.contains("shard-2-of-3.theta.csv") && err.contains("no manifest"),
        "{err}"
    );

    // The user's own shards (no manifests) with different x columns.
    let own = dir.join("own");
    std::fs::create_dir(&own).unwrap();
    let write = |f: &str, s: &str| std::fs::write(own.join(f), s).unwrap();
    write("part-1.theta.csv", "a,b\n0.1,0.2\n0.3,0.4\n");
    write("part-1.x.csv", "y1,y2\n1,2\n3,4\n");
    write("part-2.theta.csv", "a,b\n0.5,0.6\n");
    write("part-2.x.csv", "y1,y3\n5,6\n");
    let err = failed(shards(&own));
    assert!(
        err.contains("part-2.x.csv") && err.contains("columns `y1,y3` differ"),
        "{err}"
    );
    // An x table without its θ table.
    write("part-2.x.csv", "y1,y2\n5,6\n");
    write("part-3.x.csv", "y1,y2\n5,6\n");
    let err = failed(shards(&own));
    assert!(
        err.contains("part-3.x.csv") && err.contains("no θ table"),
        "{err}"
    );
    // θ and x of one shard with different row counts.
    std::fs::remove_file(own.join("part-3.x.csv")).unwrap();
    write("part-2.x.csv", "y1,y2\n5,6\n7,8\n");
    let err = failed(shards(&own));
    assert!(
        err.contains("part-2.x.csv: 2 rows") && err.contains("pair up"),
        "{err}"
    );
    // --theta and --x counts that do not pair.
    let o = |f: &str| own.join(f).display().to_string();
    let err = failed(train(
        &[
            "--theta",
            &o("part-1.theta.csv"),
            "--theta",
            &o("part-2.theta.csv"),
            "--x",
            &o("part-1.x.csv"),
        ],
        &dir.join("est"),
    ));
    assert!(err.contains("got 2 --theta and 1 --x"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
