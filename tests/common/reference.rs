//! posteriordb's reference posteriors as vendored in `models/data/posteriordb/reference/` (see
//! `tests/vendored_data.rs`): per parameter the mean, sd and their MCSEs over the 10,000
//! reference draws, and 200 of the draws as points. Also the Stan program and data file of each
//! posterior, from `models/data/posteriordb/`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

/// `models/data/posteriordb` in this repository.
pub fn posteriordb_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/data/posteriordb")
}

/// The Stan program of a posterior.
pub fn stan_file(posterior: &str) -> PathBuf {
    posteriordb_data()
        .join("stan")
        .join(format!("{posterior}.stan"))
}

/// The data file of a posterior (both eight-schools posteriors share `eight_schools.json`).
pub fn data_file(posterior: &str) -> PathBuf {
    let own = posteriordb_data().join(format!("{posterior}.json"));
    if own.is_file() || !posterior.starts_with("eight_schools") {
        own
    } else {
        posteriordb_data().join("eight_schools.json")
    }
}

/// A parameter's reference mean and sd with their Monte Carlo standard errors.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct RefMoments {
    pub name: String,
    pub mean: f64,
    pub sd: f64,
    pub mcse_mean: f64,
    pub mcse_sd: f64,
}

/// One vendored reference file.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Reference {
    pub posterior: String,
    /// Per parameter, in posteriordb's `parameters_in_draws` order.
    pub parameters: Vec<RefMoments>,
    /// 200 reference draws, each in `parameters` order.
    pub points: Vec<Vec<f64>>,
}

impl Reference {
    /// Parameter names in file order.
    pub fn names(&self) -> Vec<String> {
        self.parameters.iter().map(|p| p.name.clone()).collect()
    }

    /// name → the points' values of that parameter.
    pub fn columns(&self) -> BTreeMap<String, Vec<f64>> {
        self.parameters
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), self.points.iter().map(|x| x[i]).collect()))
            .collect()
    }
}

/// The vendored reference of `posterior` (a posteriordb name such as `arK-arK`).
pub fn load(posterior: &str) -> Reference {
    let path = posteriordb_data()
        .join("reference")
        .join(format!("{posterior}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The posteriors with a vendored reference, sorted.
pub fn names() -> Vec<String> {
    let dir = posteriordb_data().join("reference");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}
