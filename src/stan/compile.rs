//! Stan program → shared object: stanc translation, g++ compilation with the shim, and the
//! on-disk cache that makes a second build of the same program free.
//!
//! A build runs stanc (fast, and the place where bad Stan code is reported), then looks the
//! generated C++ up in the cache. The cache key hashes the generated C++ (so it covers the Stan
//! code, its `#include`s and the stanc flags), the shim source, the toolchain version, the
//! compiler's version and every compiler flag. On a miss it compiles the model's translation
//! unit, links it with the shim's object (itself compiled once per toolchain and flags) and
//! moves the shared object into place atomically; a file lock keeps concurrent builds of the
//! same model (threads or processes) from duplicating work.

use super::cxx::{LIBS, compile_flags, compiler_identity, log_excerpt, spawn_logged, wait};
use super::{StanError, Toolchain, fnv1a, lock_file};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The C++ shim compiled into every model: flowpost's C ABI over Stan's model API.
pub const SHIM_SOURCE: &str = include_str!("shim.cpp");

/// How a Stan program is translated and compiled.
///
/// ```
/// let settings = flowpost::stan::StanCompileSettings::default();
/// assert!(settings.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanCompileSettings {
    /// The C++ compiler: `$CXX` if set, else `g++`.
    pub cxx: String,
    /// Flags appended to the compiler's (e.g. `-march=native`); part of the cache key.
    pub extra_cxx_flags: Vec<String>,
    /// Extra stanc arguments (e.g. `--O1`); they change the generated C++ and so the key.
    pub stanc_args: Vec<String>,
    /// Where compiled models live; `None` = `<toolchain home>/models`.
    pub cache_dir: Option<PathBuf>,
    /// Print one line to stderr before a (slow) compilation starts.
    pub verbose: bool,
}

impl Default for StanCompileSettings {
    fn default() -> Self {
        StanCompileSettings {
            cxx: std::env::var("CXX")
                .ok()
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "g++".into()),
            extra_cxx_flags: Vec::new(),
            stanc_args: Vec::new(),
            cache_dir: None,
            verbose: false,
        }
    }
}

impl StanCompileSettings {
    /// Checks the settings (a compiler is named).
    pub fn validate(&self) -> Result<(), StanError> {
        if self.cxx.trim().is_empty() {
            return Err(StanError::CompilerMissing {
                compiler: self.cxx.clone(),
                source: std::io::Error::other("no compiler named in StanCompileSettings::cxx"),
            });
        }
        Ok(())
    }
}

/// What a build did.
#[derive(Debug, Clone, PartialEq)]
pub struct StanBuildReport {
    /// The shared object.
    pub library: PathBuf,
    /// Whether it came from the cache (no C++ compilation).
    pub cached: bool,
    /// Wall-clock seconds of the whole build, stanc included.
    pub seconds: f64,
    /// stanc's warnings (empty when none).
    pub stanc_warnings: String,
}

/// Translates and compiles `stan_file` unless the cache already holds it.
pub(crate) fn build(
    toolchain: &Toolchain,
    stan_file: &Path,
    settings: &StanCompileSettings,
) -> Result<StanBuildReport, StanError> {
    settings.validate()?;
    let start = Instant::now();
    if !stan_file.is_file() {
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no such Stan file");
        return Err(StanError::io(stan_file, e));
    }
    let cache = settings
        .cache_dir
        .clone()
        .unwrap_or_else(|| toolchain.home().join("models"));
    fs::create_dir_all(&cache).map_err(|e| StanError::io(&cache, e))?;
    let compiler = compiler_identity(&settings.cxx)?;
    let name = model_name(stan_file);

    let staging = unique_dir(&cache, ".stanc");
    let translated = translate(toolchain, stan_file, &name, settings, &staging);
    let _ = fs::remove_dir_all(&staging);
    let (cpp, stanc_warnings) = translated?;

    let flags = compile_flags(toolchain, settings);
    let flags_line = flags.join(" ");
    let key = fnv1a(&[
        cpp.as_bytes(),
        SHIM_SOURCE.as_bytes(),
        toolchain.version().as_bytes(),
        compiler.as_bytes(),
        flags_line.as_bytes(),
    ]);
    let dir = cache.join(format!("{name}-{key:016x}"));
    let library = dir.join("model.so");
    let report = |cached| StanBuildReport {
        library: library.clone(),
        cached,
        seconds: start.elapsed().as_secs_f64(),
        stanc_warnings: stanc_warnings.clone(),
    };
    if library.is_file() {
        return Ok(report(true));
    }
    fs::create_dir_all(&dir).map_err(|e| StanError::io(&dir, e))?;
    let _lock = lock_file(&dir.join("lock"))?;
    if library.is_file() {
        return Ok(report(true));
    }
    let write = |file: &str, text: &str| {
        let path = dir.join(file);
        fs::write(&path, text).map_err(|e| StanError::io(path, e))
    };
    write(
        "model.stan",
        &fs::read_to_string(stan_file).map_err(|e| StanError::io(stan_file, e))?,
    )?;
    write("model.hpp", &cpp)?;
    if settings.verbose {
        eprintln!(
            "flowpost: compiling {} with {} (about a minute; cached in {})",
            stan_file.display(),
            settings.cxx,
            dir.display()
        );
    }
    let fail = |log: &Path| StanError::CompileFailed {
        file: stan_file.to_path_buf(),
        log: log.to_path_buf(),
        tail: log_excerpt(log),
    };

    // The model's translation unit compiles while the shim's object is built (or found).
    let model_o = dir.join("model.o");
    let model_log = dir.join("compile.log");
    let mut cmd = Command::new(&settings.cxx);
    cmd.args(&flags)
        .args(["-x", "c++", "-c"])
        .arg(dir.join("model.hpp"))
        .arg("-o")
        .arg(&model_o);
    let child = spawn_logged(&mut cmd, &model_log, &settings.cxx)?;
    let shim = ensure_shim(&cache, &settings.cxx, &compiler, toolchain, &flags);
    if !wait(child, &settings.cxx)? {
        return Err(fail(&model_log));
    }
    let shim = shim?;

    let link_log = dir.join("link.log");
    let tmp_library = dir.join(format!("model.so.tmp{}", std::process::id()));
    let lib_dir = toolchain.lib_dir();
    let mut cmd = Command::new(&settings.cxx);
    cmd.arg("-shared")
        .arg("-o")
        .arg(&tmp_library)
        .arg(&model_o)
        .arg(&shim)
        .arg(format!("-L{}", lib_dir.display()))
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .arg("-Wl,--exclude-libs,ALL")
        .args(LIBS);
    if !wait(
        spawn_logged(&mut cmd, &link_log, &settings.cxx)?,
        &settings.cxx,
    )? {
        return Err(fail(&link_log));
    }
    fs::rename(&tmp_library, &library).map_err(|e| StanError::io(&library, e))?;
    let _ = fs::remove_file(&model_o);
    Ok(report(false))
}

/// Runs stanc in `staging`; returns the generated C++ and stanc's warnings.
fn translate(
    toolchain: &Toolchain,
    stan_file: &Path,
    name: &str,
    settings: &StanCompileSettings,
    staging: &Path,
) -> Result<(String, String), StanError> {
    // stanc records its flags in the generated code, so they must not depend on where the
    // file lives: run it in the file's folder with `--include-paths=.`, the same search path.
    let absolute = |p: &Path| std::path::absolute(p).map_err(|e| StanError::io(p, e));
    let hpp = absolute(&staging.join("model.hpp"))?;
    let folder = match stan_file.parent() {
        Some(p) if !p.as_os_str().is_empty() => absolute(p)?,
        _ => absolute(Path::new("."))?,
    };
    let file_name = stan_file.file_name().unwrap_or_default();
    fs::create_dir_all(staging).map_err(|e| StanError::io(staging, e))?;
    let output = Command::new(toolchain.stanc())
        .current_dir(&folder)
        .arg(format!("--o={}", hpp.display()))
        .arg(format!("--name={name}_model"))
        .arg(format!("--filename-in-msg={}", file_name.to_string_lossy()))
        .arg("--include-paths=.")
        .args(&settings.stanc_args)
        .arg(file_name)
        .output()
        .map_err(|e| StanError::io(toolchain.stanc(), e))?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let message = format!("{stderr}\n{}", stdout.trim()).trim().to_string();
        return Err(StanError::StancRejected {
            file: stan_file.to_path_buf(),
            message,
        });
    }
    let cpp = fs::read_to_string(&hpp).map_err(|e| StanError::io(&hpp, e))?;
    Ok((cpp, stderr))
}

/// The shim's object for this toolchain, compiler and flags, compiled on first use.
fn ensure_shim(
    cache: &Path,
    cxx: &str,
    compiler: &str,
    toolchain: &Toolchain,
    flags: &[String],
) -> Result<PathBuf, StanError> {
    let flags_line = flags.join(" ");
    let key = fnv1a(&[
        SHIM_SOURCE.as_bytes(),
        toolchain.version().as_bytes(),
        compiler.as_bytes(),
        flags_line.as_bytes(),
    ]);
    let object = cache.join(format!("shim-{key:016x}.o"));
    if object.is_file() {
        return Ok(object);
    }
    let _lock = lock_file(&cache.join("shim.lock"))?;
    if object.is_file() {
        return Ok(object);
    }
    let source = cache.join(format!("shim-{key:016x}.cpp"));
    fs::write(&source, SHIM_SOURCE).map_err(|e| StanError::io(&source, e))?;
    let log = cache.join(format!("shim-{key:016x}.log"));
    let tmp = cache.join(format!("shim-{key:016x}.o.tmp"));
    let mut cmd = Command::new(cxx);
    cmd.args(flags).arg("-c").arg(&source).arg("-o").arg(&tmp);
    if !wait(spawn_logged(&mut cmd, &log, cxx)?, cxx)? {
        return Err(StanError::CompileFailed {
            file: source,
            tail: log_excerpt(&log),
            log,
        });
    }
    fs::rename(&tmp, &object).map_err(|e| StanError::io(&object, e))?;
    Ok(object)
}

/// A C++-identifier version of the file stem (stanc appends `_model`).
fn model_name(stan_file: &Path) -> String {
    let stem = stan_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, 'm');
    }
    name
}

fn unique_dir(parent: &Path, prefix: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    parent.join(format!("{prefix}-{}-{n}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_are_identifiers() {
        assert_eq!(
            model_name(Path::new("/a/b/eight-schools.v2.stan")),
            "eight_schools_v2"
        );
        assert_eq!(model_name(Path::new("2d.stan")), "m2d");
        assert_eq!(model_name(Path::new("model.stan")), "model");
    }
}
