//! Helpers shared by the CLI's integration tests: each test file includes them with
//! `mod common;` (a folder module, so cargo does not build it as a test of its own).

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `flowpost` binary cargo built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_flowpost"))
}

/// Runs `flowpost args…`: (success, stdout, stderr).
pub fn flowpost(args: &[&str]) -> (bool, String, String) {
    let out = bin().args(args).output().expect("run flowpost");
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A fresh, empty folder `flowpost-PREFIX-PID-NAME` in the system's temporary folder (what an
/// earlier run of the same test left there is removed).
pub fn fresh_dir(prefix: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("flowpost-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `text` to `path`.
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// The flags of a tiny NPE flow (one affine layer, 8 hidden units): seconds to train, for tests
/// of the command line rather than of the estimator's accuracy.
pub const TINY_NPE_FLOW: [&str; 6] = [
    "--transform",
    "affine",
    "--num-transforms",
    "1",
    "--hidden",
    "8",
];
