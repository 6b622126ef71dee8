//! Stan files sampled through the shim pass the same accuracy check as the built-in models
//! (issue 6): posteriordb's `model.stan` + `data.json`, compiled, loaded and sampled with
//! `flowpost::sample` (what `flowpost sample model.stan --data data.json` does), compared with
//! the reference draws by `common/accuracy.rs`.
//!
//! Compiles a Stan model per posterior and samples it, so `#[ignore]`d:
//!
//! ```sh
//! cargo test --release --test stan_accuracy -- --ignored --nocapture
//! ```
//!
//! runs NeuTra on centered eight schools, diamonds, gp_pois_regr and low_dim_gauss_mix;
//! `FLOWPOST_ACCURACY_POSTERIORS=all` (or a comma-separated list) and
//! `FLOWPOST_ACCURACY_METHODS=neutra,nuts` widen it. Every NeuTra row must pass.

#[allow(clippy::duplicate_mod)] // stan_support loads common/reference.rs by path too
mod common;
mod stan_support;

use common::accuracy::{
    AccuracyRow, assert_all_passed, env_list, env_methods, posteriordb_names, run_and_check, table,
};
use flowpost::Method;
use flowpost::stan::StanModelSettings;
use stan_support::{compile, load_model};

const DEFAULT_POSTERIORS: [&str; 4] = [
    "eight_schools-eight_schools_centered",
    "diamonds-diamonds",
    "gp_pois_regr-gp_pois_regr",
    "low_dim_gauss_mix-low_dim_gauss_mix",
];

/// The one Stan model CI runs end to end: non-centered eight schools (compiled once for
/// `tests/stan.rs`, so this hits the cache), sampled with NeuTra and checked against the
/// reference draws.
fn noncentered_eight_schools_end_to_end() {
    let posterior = "eight_schools-eight_schools_noncentered";
    let lib = compile(posterior);
    let model = load_model(&lib, posterior, &StanModelSettings::default());
    let row = run_and_check(posterior, &model, Method::NeuTra).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("stan {}", row.details());
    assert_all_passed(&[row], &[]);
}

fn stan_files_pass_the_accuracy_check() {
    let posteriors: Vec<String> = match env_list("FLOWPOST_ACCURACY_POSTERIORS") {
        Some(v) if v == ["all"] => posteriordb_names(),
        Some(v) => v,
        None => DEFAULT_POSTERIORS.iter().map(|s| s.to_string()).collect(),
    };
    let methods = env_methods(&[Method::NeuTra]);
    let (mut rows, mut errors): (Vec<AccuracyRow>, Vec<String>) = (vec![], vec![]);
    for posterior in &posteriors {
        let lib = compile(posterior);
        // As the CLI does: parameters, transformed parameters and generated quantities.
        let model = load_model(&lib, posterior, &StanModelSettings::default());
        for &method in &methods {
            match run_and_check(posterior, &model, method) {
                Ok(row) => {
                    eprintln!("stan {}", row.details());
                    rows.push(row);
                }
                Err(e) => {
                    eprintln!("stan {e}");
                    if method == Method::NeuTra {
                        errors.push(e);
                    }
                }
            }
        }
    }
    println!("{}", table(&rows));
    let neutra: Vec<AccuracyRow> = rows
        .into_iter()
        .filter(|r| r.method == Method::NeuTra)
        .collect();
    assert_all_passed(&neutra, &errors);
}

fn main() {
    stan_support::run(vec![
        stan_support::stan(
            "noncentered_eight_schools_end_to_end",
            noncentered_eight_schools_end_to_end,
        ),
        stan_support::slow(
            "stan_files_pass_the_accuracy_check",
            "compiles and samples Stan models (minutes each)",
            stan_files_pass_the_accuracy_check,
        ),
    ])
}
