//! Shared set-up of the Stan integration tests: which of them this machine can run (the rest
//! are reported as ignored, never as passed), the toolchain (fetched once per machine), and
//! the posteriordb files (vendored in `models/data/posteriordb/`).
#![allow(dead_code)]

use flowpost::stan::{StanCompileSettings, StanLibrary, StanModel, StanModelSettings, Toolchain};
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[path = "../common/reference.rs"]
mod reference;
pub use reference::{data_file, stan_file};

/// Why the Stan tests cannot run on this machine, or `None` when they can: the toolchain is
/// set up (`flowpost stan-setup`) and the C++ compiler runs. Under CI (`CI` set) they always
/// run: the toolchain is fetched on first use, and a failure fails the tests.
pub fn unavailable() -> Option<String> {
    if std::env::var_os("CI").is_some() {
        return None;
    }
    if let Err(e) = Toolchain::locate() {
        return Some(format!(
            "{e} (or set CI=true, which fetches it during the tests)"
        ));
    }
    let cxx = StanCompileSettings::default().cxx;
    match std::process::Command::new(&cxx).arg("--version").output() {
        Ok(o) if o.status.success() => None,
        _ => Some(format!("the C++ compiler `{}` does not run", cxx)),
    }
}

/// A test of a Stan harness file (`harness = false`, run by `libtest-mimic`).
pub struct Case {
    name: String,
    run: Box<dyn FnOnce() + Send>,
    needs_stan: bool,
    slow: Option<&'static str>,
}

/// A test that needs the toolchain and a compiler.
pub fn stan(name: impl Into<String>, run: impl FnOnce() + Send + 'static) -> Case {
    Case {
        name: name.into(),
        run: Box::new(run),
        needs_stan: true,
        slow: None,
    }
}

/// A slow Stan test, ignored unless asked for (`-- --ignored`); `why` says what makes it slow.
pub fn slow(
    name: impl Into<String>,
    why: &'static str,
    run: impl FnOnce() + Send + 'static,
) -> Case {
    Case {
        name: name.into(),
        run: Box::new(run),
        needs_stan: true,
        slow: Some(why),
    }
}

/// A test that runs everywhere (e.g. the error for a missing toolchain).
pub fn plain(name: impl Into<String>, run: impl FnOnce() + Send + 'static) -> Case {
    Case {
        name: name.into(),
        run: Box::new(run),
        needs_stan: false,
        slow: None,
    }
}

/// Runs the cases like `cargo test` would. A Stan test this machine cannot run is reported as
/// *ignored* (with the reason printed once), never as passed; a slow one is ignored with its
/// `#[ignore]`-style reason in the file. `-- --ignored` / `--include-ignored` run them anyway, and then a missing toolchain
/// is a failure.
pub fn run(cases: Vec<Case>) -> ! {
    let args = libtest_mimic::Arguments::from_args();
    let missing = unavailable();
    if let Some(why) = &missing
        && !args.list
    {
        let n = cases
            .iter()
            .filter(|c| c.needs_stan && c.slow.is_none())
            .count();
        eprintln!("note: {n} Stan tests are ignored on this machine: {why}");
    }
    let trials = cases
        .into_iter()
        .map(|c| {
            let ignored = c.slow.is_some() || (c.needs_stan && missing.is_some());
            let f = c.run;
            libtest_mimic::Trial::test(c.name, move || {
                f();
                Ok(())
            })
            .with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit()
}

/// The toolchain, set up on first use (under CI it is downloaded, ~35 MB from PyPI, once per
/// machine). A test that gets here must be able to run: failure panics.
pub fn toolchain() -> Toolchain {
    static TOOLCHAIN: OnceLock<Result<Toolchain, String>> = OnceLock::new();
    match TOOLCHAIN.get_or_init(|| Toolchain::setup().map_err(|e| e.to_string())) {
        Ok(t) => t.clone(),
        Err(e) => panic!("the Stan toolchain setup failed: {e}"),
    }
}

/// Compiles (or finds in the cache) the model of a posteriordb posterior.
pub fn compile(posterior: &str) -> StanLibrary {
    let file = stan_file(posterior);
    StanLibrary::compile(&toolchain(), &file, &StanCompileSettings::default())
        .unwrap_or_else(|e| panic!("compiling {}: {e}", file.display()))
}

/// The compiled model of `posterior` with its posteriordb data.
pub fn load_model(lib: &StanLibrary, posterior: &str, settings: &StanModelSettings) -> StanModel {
    let data = data_file(posterior);
    lib.model(Some(&data), settings)
        .unwrap_or_else(|e| panic!("loading {posterior} with {}: {e}", data.display()))
}

/// 200 reference draws of a posterior (vendored): name → values.
pub fn reference_draws(posterior: &str) -> BTreeMap<String, Vec<f64>> {
    reference::load(posterior).columns()
}
