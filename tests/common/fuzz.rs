//! The fuzzing machinery of the parser tests: valid documents with random mutations (cut,
//! insert, replace, truncate, duplicate a stretch) and random text over a format's alphabet,
//! 10⁵ inputs per parser unless `FUZZ_CASES` says otherwise.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Inputs per parser: `FUZZ_CASES`, else 10⁵.
pub fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

pub fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

/// One edit of a document: (kind, position, length, text).
pub type Edit = (u8, usize, usize, String);

pub fn edits(alphabet: &'static str) -> impl Strategy<Value = Vec<Edit>> {
    let text = proptest::collection::vec(
        proptest::sample::select(alphabet.chars().collect::<Vec<_>>()),
        0..12,
    )
    .prop_map(|v| v.into_iter().collect::<String>());
    proptest::collection::vec((0u8..5, any::<usize>(), 0usize..64, text), 0..6)
}

/// Applies the edits at char boundaries.
pub fn mutate(doc: &str, edits: &[Edit]) -> String {
    let mut s: Vec<char> = doc.chars().collect();
    for (kind, pos, len, text) in edits {
        let n = s.len();
        let at = if n == 0 { 0 } else { pos % (n + 1) };
        let end = (at + len).min(n);
        let t: Vec<char> = text.chars().collect();
        match kind {
            0 => {
                s.drain(at..end);
            }
            1 => {
                s.splice(at..at, t);
            }
            2 => {
                s.splice(at..end, t);
            }
            3 => s.truncate(at),
            _ => {
                let copy: Vec<char> = s[at..end].to_vec();
                s.splice(at..at, copy);
            }
        }
    }
    s.into_iter().collect()
}

/// Runs `check` on mutated `docs` and on random text, `cases()` inputs in all.
pub fn fuzz(docs: &[String], alphabet: &'static str, check: impl Fn(&str)) {
    let docs = docs.to_vec();
    let strategy = prop_oneof![
        4 => (0..docs.len(), edits(alphabet)).prop_map(move |(i, e)| mutate(&docs[i], &e)),
        1 => proptest::collection::vec(
            proptest::sample::select(alphabet.chars().collect::<Vec<_>>()),
            0..200
        )
        .prop_map(|v| v.into_iter().collect::<String>()),
    ];
    TestRunner::new(config())
        .run(&strategy, |text| {
            check(&text);
            Ok(())
        })
        .unwrap();
}
