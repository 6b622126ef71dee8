//! The reference data the default suite reads is vendored into the repository in compact form,
//! so that `cargo test --release --workspace` passes in a bare clone. This file checks the
//! vendored copies against their sources in `../shared` (the project's full reference sets) and,
//! with `FLOWPOST_VENDOR_WRITE=1`, rewrites them:
//!
//! ```sh
//! FLOWPOST_VENDOR_WRITE=1 cargo test --release --test vendored_data -- --ignored
//! ```
//!
//! - `models/data/posteriordb/reference/<posterior>.json`: per parameter the mean, sd and their
//!   MCSEs over posteriordb's 10 × 1000 reference draws (the MCSEs by flowpost's own
//!   [`mcse_mean`] and [`mcse_sd`], as the accuracy check used them on the full draws), plus
//!   every 50th draw (200 points, chains concatenated) for tests that need points;
//! - `tests/data/arviz_vectors.json`: a byte copy of `../shared/diagnostics/arviz_vectors.json`;
//! - `tests/data/sbibm/…`: the sbibm files `tests/npe_tasks.rs` reads, the two-moons reference
//!   samples thinned to every 20th (500 of 10,000).
//!
//! Only these ignored checks read `../shared` (or `$FLOWPOST_SHARED`).

use flowpost::diagnostics::{mcse_mean, mcse_sd};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `$FLOWPOST_SHARED`, else `../shared` beside the repository.
fn shared() -> PathBuf {
    std::env::var_os("FLOWPOST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"))
}

fn writing() -> bool {
    std::env::var_os("FLOWPOST_VENDOR_WRITE").is_some_and(|v| v == "1")
}

/// Writes `text` to `path` (when writing) or checks that `path` holds exactly it.
fn vendor(path: &Path, text: &str, mismatches: &mut Vec<String>) {
    if writing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(t) if t == text => {}
        Ok(_) => mismatches.push(format!("{} differs from its source", path.display())),
        Err(e) => mismatches.push(format!("{}: {e}", path.display())),
    }
}

fn finish(mismatches: Vec<String>) {
    assert!(
        mismatches.is_empty(),
        "vendored data out of date (rerun with FLOWPOST_VENDOR_WRITE=1):\n{}",
        mismatches.join("\n")
    );
}

/// Every `step`th draw of posteriordb's draws is kept as a point.
const POINT_STEP: usize = 50;

fn compact_posteriordb(name: &str, parameters_in_draws: &[String]) -> String {
    let dir = shared().join("reference/posteriordb").join(name);
    let text = std::fs::read_to_string(dir.join("reference_draws.json")).unwrap();
    let chains: Vec<serde_json::Map<String, Value>> = serde_json::from_str(&text).unwrap();
    let column = |n: &str| -> Vec<Vec<f64>> {
        chains
            .iter()
            .map(|c| {
                c[n].as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            })
            .collect()
    };
    let mut params = vec![];
    let mut columns = vec![];
    for n in parameters_in_draws {
        let per_chain = column(n);
        let all: Vec<f64> = per_chain.iter().flatten().copied().collect();
        let m = all.len() as f64;
        let mean = all.iter().sum::<f64>() / m;
        let sd = (all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt();
        params.push(json!({
            "name": n,
            "mean": mean,
            "sd": sd,
            "mcse_mean": mcse_mean(&per_chain),
            "mcse_sd": mcse_sd(&per_chain),
        }));
        columns.push(all);
    }
    let total = columns[0].len();
    let points: Vec<Vec<f64>> = (0..total)
        .step_by(POINT_STEP)
        .map(|i| columns.iter().map(|c| c[i]).collect())
        .collect();
    let header = json!({
        "posterior": name,
        "source": "posteriordb commit 28f8d3d6e975315f42aa274a8399f21e07a43b30, reference_posteriors/draws (BSD-3, see ../LICENSE)",
        "num_chains": chains.len(),
        "num_draws": total,
        "points_note": format!("every {POINT_STEP}th reference draw, chains concatenated, values in `parameters` order"),
    });
    // One parameter and one point per line: small, and diffs stay readable.
    let lines = |items: Vec<String>| items.join(",\n    ");
    let mut out = serde_json::to_string_pretty(&header).unwrap();
    out.truncate(out.len() - 2);
    out.push_str(&format!(
        ",\n  \"parameters\": [\n    {}\n  ],\n  \"points\": [\n    {}\n  ]\n}}\n",
        lines(params.iter().map(Value::to_string).collect()),
        lines(points.iter().map(|p| json!(p).to_string()).collect()),
    ));
    out
}

#[test]
#[ignore = "reads ../shared; FLOWPOST_VENDOR_WRITE=1 rewrites the vendored files"]
fn posteriordb_reference_summaries_match_shared() {
    let index: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(shared().join("reference/posteriordb/index.json")).unwrap(),
    )
    .unwrap();
    let mut mismatches = vec![];
    let mut n = 0;
    for e in &index {
        let name = e["name"].as_str().unwrap();
        let names: Vec<String> = e["parameters_in_draws"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let text = compact_posteriordb(name, &names);
        let path = root().join(format!("models/data/posteriordb/reference/{name}.json"));
        vendor(&path, &text, &mut mismatches);
        n += 1;
    }
    assert_eq!(n, 14);
    finish(mismatches);
}

#[test]
#[ignore = "reads ../shared; FLOWPOST_VENDOR_WRITE=1 rewrites the vendored files"]
fn arviz_vectors_match_shared() {
    let text = std::fs::read_to_string(shared().join("diagnostics/arviz_vectors.json")).unwrap();
    let mut mismatches = vec![];
    vendor(
        &root().join("tests/data/arviz_vectors.json"),
        &text,
        &mut mismatches,
    );
    finish(mismatches);
}

#[test]
#[ignore = "reads ../shared; FLOWPOST_VENDOR_WRITE=1 rewrites the vendored files"]
fn sbibm_files_match_shared() {
    let src = shared().join("reference/sbibm");
    let dst = root().join("tests/data/sbibm");
    let mut mismatches = vec![];
    let copy = |rel: &str, mismatches: &mut Vec<String>| {
        let text = std::fs::read_to_string(src.join(rel)).unwrap();
        vendor(&dst.join(rel), &text, mismatches);
    };
    for task in flowpost_models::sbibm::TASK_NAMES {
        copy(&format!("{task}/observations.json"), &mut mismatches);
    }
    for f in [
        "bernoulli_glm/stimulus.json",
        "bernoulli_glm/design_matrix.json",
        "bernoulli_glm/prior_precision.json",
        "gaussian_linear/reference_summary.json",
    ] {
        copy(f, &mut mismatches);
    }
    for k in [1, 2, 3] {
        let rel = format!("two_moons/num_observation_{k}/reference_posterior_samples.csv");
        let text = std::fs::read_to_string(src.join(&rel)).unwrap();
        let mut lines = text.lines();
        let mut out = format!("{}\n", lines.next().unwrap());
        for l in lines.step_by(20) {
            out.push_str(l);
            out.push('\n');
        }
        let thinned = format!("two_moons/reference_posterior_samples_{k}_thinned.csv");
        vendor(&dst.join(thinned), &out, &mut mismatches);
    }
    finish(mismatches);
}
