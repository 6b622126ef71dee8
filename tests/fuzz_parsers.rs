//! Property tests of every parser of user files: no input makes one panic, and an error names
//! its file. Inputs are valid documents with random mutations (cut, insert, replace, duplicate
//! a stretch) and random text over each format's alphabet; 10⁵ per parser (`FUZZ_CASES`
//! overrides), a few seconds each in release builds.

use flowpost::flow::{Flow, FlowSettings, GaussianFit};
use flowpost::io::cmdstan::read_chain_csv_str;
use flowpost::io::flow_file;
use flowpost::npe::{NpeEstimator, parse_table};
use std::path::Path;

#[path = "common/fuzz.rs"]
mod fuzz;
use fuzz::fuzz;

const CSV_ALPHABET: &str = "0123456789.,-+e#=_ \n\rabnifx[]:lp";

#[test]
fn cmdstan_csv_reader_never_panics() {
    let docs = ["eight_schools_1.csv", "dense_metric.csv", "save_warmup.csv"].map(|f| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/cmdstan")
                .join(f),
        )
        .unwrap()
    });
    fuzz(&docs, CSV_ALPHABET, |text| {
        if let Err(e) = read_chain_csv_str(text, "fuzz.csv") {
            assert!(e.to_string().starts_with("fuzz.csv"), "{e}");
        }
    });
}

const JSON_ALPHABET: &str = "{}[]\":,0123456789.-e truefalsnl";

#[test]
fn flow_file_reader_never_panics() {
    let flow = Flow::default_for(&GaussianFit::standard(3), &FlowSettings::default(), 1);
    let path = std::env::temp_dir().join(format!("flowpost-fuzz-flow-{}.json", std::process::id()));
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    flow_file::save(&path, &flow, Some("m"), &names, None).unwrap();
    let doc = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    // Mutations of a long document mostly hit the parameters; a short one reaches the header.
    let short: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let mut header_only = short.clone();
    header_only["params"] = serde_json::json!([]);
    fuzz(&[doc, header_only.to_string()], JSON_ALPHABET, |text| {
        if let Err(e) = flow_file::from_json(text, Path::new("fuzz.json")) {
            assert!(e.to_string().starts_with("fuzz.json"), "{e}");
        }
    });
}

#[test]
fn estimator_reader_never_panics() {
    use flowpost::npe::{NpeSettings, simulate, train};
    use flowpost_models::sbibm as tasks;
    let task = tasks::task("two_moons").unwrap();
    let sims = simulate(task.prior(), task.simulator(), 200, 1);
    let mut s = NpeSettings {
        max_epochs: 1,
        ..Default::default()
    };
    s.flow.transform = flowpost::npe::TransformKind::Affine;
    s.flow.num_transforms = 1;
    s.flow.hidden = vec![4];
    let (est, _) = train(&sims, None, &s, &flowpost::progress::NoProgress).unwrap();
    let doc = est.to_json();
    fuzz(&[doc], JSON_ALPHABET, |text| {
        if let Err(e) = NpeEstimator::from_json(text, "fuzz.json") {
            assert!(e.to_string().contains("fuzz.json"), "{e}");
        }
    });
}

#[test]
fn npe_table_reader_never_panics() {
    let docs = [
        "mu,sigma\n0.1,2\n0.3,nan\n-1e3,4.5\n".to_string(),
        "x1,x2,x3\n1,2,3\n4,5,6\n".to_string(),
    ];
    fuzz(&docs, CSV_ALPHABET, |text| {
        if let Err(e) = parse_table(text, "fuzz.csv") {
            assert!(e.to_string().starts_with("fuzz.csv"), "{e}");
        }
    });
}

#[test]
fn init_json_reader_never_panics() {
    use flowpost::init::from_json;
    let names: Vec<String> = [
        "mu",
        "tau",
        "theta[1]",
        "theta[2]",
        "Sigma[1,1]",
        "Sigma[2,1]",
        "Sigma[1,2]",
        "Sigma[2,2]",
        "eta[1]",
    ]
    .map(String::from)
    .to_vec();
    let docs = [
        r#"{"mu": 1.5, "tau": 2, "theta": [0.1, -3e2], "Sigma": [[1, 0.5], [0.5, 1]]}"#.to_string(),
        r#"{"theta": [1, 2], "tau": "Inf"}"#.to_string(),
    ];
    fuzz(&docs, JSON_ALPHABET, |text| {
        if let Err(e) = from_json(text, "fuzz.json", &names, 8) {
            assert!(e.to_string().starts_with("fuzz.json"), "{e}");
        }
    });
}
