//! Running the C++ compiler: the flags every model is built with, the compiler's identity
//! for the cache key, and child processes whose output goes to a log file.

use super::compile::StanCompileSettings;
use super::{StanError, Toolchain};
use std::fs::{self, File};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The compile flags of every model and of the shim (from the notes on what builds here).
const BASE_FLAGS: &[&str] = &[
    "-O3",
    "-std=c++17",
    "-fPIC",
    // Each model keeps its own copy of Stan Math's globals (the autodiff tape pointer among
    // them), so two models loaded in one process cannot interfere.
    "-fvisibility=hidden",
    "-fvisibility-inlines-hidden",
    "-DBOOST_DISABLE_ASSERTS",
    "-DSTAN_THREADS",
    "-D_REENTRANT",
    "-D_GLIBCXX_USE_CXX11_ABI=0",
];

/// The libraries every model links against (TBB for STAN_THREADS, Sundials for the ODE solvers).
pub(crate) const LIBS: &[&str] = &[
    "-ltbb",
    "-lsundials_cvodes",
    "-lsundials_idas",
    "-lsundials_kinsol",
    "-lsundials_nvecserial",
];

/// The flags of every compilation: the base set, the toolchain's headers, the user's extras.
pub(crate) fn compile_flags(toolchain: &Toolchain, settings: &StanCompileSettings) -> Vec<String> {
    let mut flags: Vec<String> = BASE_FLAGS.iter().map(|s| s.to_string()).collect();
    flags.push(format!("-I{}", toolchain.include_dir().display()));
    flags.extend(settings.extra_cxx_flags.iter().cloned());
    flags
}

/// The compiler's `--version` banner (part of the cache key); fails if it cannot be run.
pub(crate) fn compiler_identity(cxx: &str) -> Result<String, StanError> {
    let out = Command::new(cxx)
        .arg("--version")
        .output()
        .map_err(|e| missing(cxx, e))?;
    if !out.status.success() {
        return Err(missing(
            cxx,
            std::io::Error::other(format!("`{cxx} --version` failed: {}", out.status)),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string())
}

fn missing(cxx: &str, source: std::io::Error) -> StanError {
    StanError::CompilerMissing {
        compiler: cxx.to_string(),
        source,
    }
}

/// Starts `cmd` with its command line, stdout and stderr going to `log`.
pub(crate) fn spawn_logged(cmd: &mut Command, log: &Path, cxx: &str) -> Result<Child, StanError> {
    let file = File::create(log).map_err(|e| StanError::io(log, e))?;
    let err_file = file.try_clone().map_err(|e| StanError::io(log, e))?;
    let line = format!("{:?}\n", cmd);
    use std::io::Write;
    (&file)
        .write_all(line.as_bytes())
        .map_err(|e| StanError::io(log, e))?;
    cmd.stdin(Stdio::null()).stdout(file).stderr(err_file);
    cmd.spawn().map_err(|e| missing(cxx, e))
}

/// Waits for a compiler process; whether it succeeded.
pub(crate) fn wait(mut child: Child, cxx: &str) -> Result<bool, StanError> {
    let status = child.wait().map_err(|e| missing(cxx, e))?;
    Ok(status.success())
}

/// The lines of a compiler log that matter: its errors, else its end.
pub(crate) fn log_excerpt(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("error"))
        .take(20)
        .collect();
    if errors.is_empty() {
        lines[lines.len().saturating_sub(30)..].join("\n")
    } else {
        errors.join("\n")
    }
}
