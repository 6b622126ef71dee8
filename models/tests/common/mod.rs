//! Reference draws from `shared/reference/posteriordb/` and small helpers for the model tests.
#![allow(dead_code)]

use std::collections::HashMap;

use serde::Deserialize;

pub const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/reference/posteriordb"
);

/// The reference draws of a posteriordb posterior, in the draws' parameter order.
pub struct Reference {
    pub names: Vec<String>,
    /// Draws, each in `names` order (chains concatenated).
    pub draws: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct IndexEntry {
    name: String,
    parameters_in_draws: Vec<String>,
}

/// The posteriordb folder a built-in model's reference draws live in.
pub fn reference_folder(model: &str) -> &'static str {
    flowpost_models::list()
        .into_iter()
        .find(|m| m.name == model)
        .and_then(|m| m.reference_folder())
        .unwrap_or_else(|| panic!("{model} has no reference draws"))
}

pub fn load_reference(model: &str) -> Reference {
    let folder = reference_folder(model);
    let index: Vec<IndexEntry> =
        serde_json::from_str(&std::fs::read_to_string(format!("{SHARED}/index.json")).unwrap())
            .unwrap();
    let names = index
        .into_iter()
        .find(|e| e.name == folder)
        .unwrap()
        .parameters_in_draws;
    let text = std::fs::read_to_string(format!("{SHARED}/{folder}/reference_draws.json")).unwrap();
    let chains: Vec<HashMap<String, Vec<f64>>> = serde_json::from_str(&text).unwrap();
    let mut draws = Vec::new();
    for chain in &chains {
        let columns: Vec<&Vec<f64>> = names.iter().map(|n| &chain[n]).collect();
        for i in 0..columns[0].len() {
            draws.push(columns.iter().map(|c| c[i]).collect());
        }
    }
    Reference { names, draws }
}

/// A deterministic pseudo-normal stream (xorshift + Irwin–Hall), enough for test points.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1)
    }
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
}
