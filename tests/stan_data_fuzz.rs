//! Stan data JSON goes straight to Stan's own reader (rapidjson behind `stan::json::json_data`)
//! and the model's constructor, through the shim; flowpost only rewrites the message (see
//! `src/stan/data_message.rs`). This fuzzes that whole path: 10⁵ mutated data files (`FUZZ_CASES`
//! overrides) never crash the process or panic, every failure is a data error naming its
//! source on one line (a syntax error with its line and column), and the inputs reach both
//! outcomes. Needs the Stan toolchain: reported as ignored without it (`harness = false`).

mod stan_support;

#[path = "common/fuzz.rs"]
mod fuzz;

use flowpost::stan::{StanError, StanModelSettings};
use stan_support::{compile, data_file};
use std::sync::atomic::{AtomicUsize, Ordering};

const POSTERIOR: &str = "eight_schools-eight_schools_noncentered";

/// JSON's characters plus those of Stan's `NaN`, `Inf` and `Infinity` and the data's names.
const ALPHABET: &str = "{}[]\":,0123456789.-+e truefalsnlNaIfiyJgm";

fn data_json_never_crashes_and_errors_name_their_source() {
    let lib = compile(POSTERIOR);
    let settings = StanModelSettings::default();
    let valid = std::fs::read_to_string(data_file(POSTERIOR)).unwrap();
    let docs = [
        valid,
        r#"{"J": 2, "y": [1, NaN], "sigma": [Infinity, "Inf"]}"#.to_string(),
        r#"{"J": 1, "y": [-2.5e1], "sigma": [1], "extra": {"1": [[1, 2], [3, 4]], "2": 0}}"#
            .to_string(),
    ];
    let (ok, failed, syntax) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    fuzz::fuzz(&docs, ALPHABET, |text| {
        match lib.model_from_json(text, &settings) {
            Ok(_) => {
                ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(StanError::Data {
                source_name,
                message,
                ..
            }) => {
                failed.fetch_add(1, Ordering::Relaxed);
                assert_eq!(source_name, "(inline JSON)");
                assert!(
                    !message.is_empty() && !message.contains('\n'),
                    "{text:?}: {message:?}"
                );
                if message.contains("JSON syntax error") {
                    syntax.fetch_add(1, Ordering::Relaxed);
                    assert!(message.contains("at line "), "{message}");
                }
                assert!(!message.contains("at offset"), "{message}");
            }
            Err(other) => panic!("{text:?}: not a data error: {other}"),
        }
    });
    let (ok, failed, syntax) = (ok.into_inner(), failed.into_inner(), syntax.into_inner());
    eprintln!("{ok} inputs built a model, {failed} were refused ({syntax} as JSON syntax errors)");
    assert!(
        ok > 0 && failed > syntax && syntax > 0,
        "{ok} {failed} {syntax}"
    );
}

fn main() {
    stan_support::run(vec![stan_support::stan(
        "data_json_never_crashes_and_errors_name_their_source",
        data_json_never_crashes_and_errors_name_their_source,
    )])
}
