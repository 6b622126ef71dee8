//! Reference draws of posteriordb posteriors (200 of the 10,000, vendored in
//! `data/posteriordb/reference/`) and small helpers for the model tests.
#![allow(dead_code)]

use serde::Deserialize;

/// The reference draws of a posteriordb posterior, in the draws' parameter order.
pub struct Reference {
    pub names: Vec<String>,
    /// Draws, each in `names` order (chains concatenated, every 50th draw).
    pub draws: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct Param {
    name: String,
}

#[derive(Deserialize)]
struct File {
    parameters: Vec<Param>,
    points: Vec<Vec<f64>>,
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
    let path = format!(
        "{}/data/posteriordb/reference/{folder}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let file: File = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    Reference {
        names: file.parameters.into_iter().map(|p| p.name).collect(),
        draws: file.points,
    }
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
