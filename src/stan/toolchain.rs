//! The offline Stan toolchain: stanc, the Stan/Stan Math/Eigen/Boost/TBB/Sundials headers and
//! the TBB and Sundials libraries, taken from PyPI's `httpstan` wheel.
//!
//! PyPI's `httpstan` 4.17.0 wheel ships stanc3 2.39 (a static x86-64 binary), the headers of
//! Stan 2.39 and everything they include, `libtbb.so.2` and the Sundials static libraries. Its
//! content does not depend on the Python version. [`Toolchain::setup`] fetches it with
//! `pip download` (or takes a wheel you downloaded, from `FLOWPOST_STAN_WHEEL`), unpacks what a
//! model build needs into the toolchain home and checks that stanc runs. It is idempotent and
//! safe to call from several processes at once (a file lock serializes the setup).
//!
//! The home is `$FLOWPOST_STAN_HOME`, else `$XDG_CACHE_HOME/flowpost/stan`, else
//! `~/.cache/flowpost/stan`. Compiled models are cached under `<home>/models`.

use super::StanError;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The httpstan release whose wheel provides the toolchain.
pub const HTTPSTAN_VERSION: &str = "4.17.0";

/// An unpacked Stan toolchain.
///
/// ```no_run
/// // Fetches the toolchain on first use (about 35 MB from PyPI), then just finds it.
/// let toolchain = flowpost::stan::Toolchain::setup()?;
/// println!("{} in {}", toolchain.version(), toolchain.home().display());
/// # Ok::<(), flowpost::stan::StanError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolchain {
    home: PathBuf,
    root: PathBuf,
    version: String,
}

impl Toolchain {
    /// `$FLOWPOST_STAN_HOME`, else `$XDG_CACHE_HOME/flowpost/stan`, else `~/.cache/flowpost/stan`.
    pub fn default_home() -> PathBuf {
        let non_empty = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(home) = non_empty("FLOWPOST_STAN_HOME") {
            return home;
        }
        let cache = non_empty("XDG_CACHE_HOME")
            .or_else(|| non_empty("HOME").map(|h| h.join(".cache")))
            .unwrap_or_else(|| std::env::temp_dir().join("flowpost-cache"));
        cache.join("flowpost").join("stan")
    }

    /// Finds the toolchain in [`default_home`](Self::default_home) without fetching anything.
    pub fn locate() -> Result<Self, StanError> {
        Self::locate_in(&Self::default_home())
    }

    /// Finds the toolchain in `home` without fetching anything.
    ///
    /// ```
    /// let empty = std::env::temp_dir().join("flowpost-doc-no-toolchain");
    /// let err = flowpost::stan::Toolchain::locate_in(&empty).unwrap_err();
    /// assert!(err.to_string().contains("flowpost stan-setup"));
    /// ```
    pub fn locate_in(home: &Path) -> Result<Self, StanError> {
        let home = &std::path::absolute(home).map_err(|e| StanError::io(home, e))?;
        let dir = unpack_dir(home);
        let version =
            fs::read_to_string(dir.join("VERSION")).map_err(|_| StanError::ToolchainMissing {
                home: home.to_path_buf(),
            })?;
        Ok(Toolchain {
            home: home.to_path_buf(),
            root: dir.join("httpstan"),
            version: version.trim().to_string(),
        })
    }

    /// Finds the toolchain in [`default_home`](Self::default_home), fetching and unpacking it
    /// first if it is not there.
    pub fn setup() -> Result<Self, StanError> {
        Self::setup_in(&Self::default_home())
    }

    /// Finds the toolchain in `home`, fetching and unpacking it first if it is not there.
    ///
    /// The wheel comes from `$FLOWPOST_STAN_WHEEL` when set (for offline machines), else from
    /// `python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12
    /// httpstan==4.17.0`. Unpacking uses Python's `zipfile`.
    pub fn setup_in(home: &Path) -> Result<Self, StanError> {
        if let Ok(found) = Self::locate_in(home) {
            return Ok(found);
        }
        if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
            return Err(StanError::UnsupportedPlatform {
                os: std::env::consts::OS,
                arch: std::env::consts::ARCH,
            });
        }
        fs::create_dir_all(home).map_err(|e| StanError::io(home, e))?;
        let _lock = super::lock_file(&home.join(".setup.lock"))?;
        // Another process may have finished the setup while we waited for the lock.
        if let Ok(found) = Self::locate_in(home) {
            return Ok(found);
        }
        let python = find_python()?;
        let wheel = match std::env::var_os("FLOWPOST_STAN_WHEEL").filter(|v| !v.is_empty()) {
            Some(w) => PathBuf::from(w),
            None => download_wheel(&python, &home.join("download"))?,
        };
        let staging = home.join(format!(".unpack-{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        unpack_wheel(&python, &wheel, &staging)?;
        let stanc = staging.join("httpstan").join("stanc");
        set_executable(&stanc)?;
        let stanc_version = run_checked(Command::new(&stanc).arg("--version"), "running stanc")?;
        let version = format!("httpstan {HTTPSTAN_VERSION}, {}", stanc_version.trim());
        fs::write(staging.join("VERSION"), format!("{version}\n"))
            .map_err(|e| StanError::io(staging.join("VERSION"), e))?;
        let dir = unpack_dir(home);
        fs::rename(&staging, &dir).map_err(|e| StanError::io(&dir, e))?;
        Self::locate_in(home)
    }

    /// The toolchain home (holds the unpacked wheel, the download and the model cache).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The stanc3 binary.
    pub fn stanc(&self) -> PathBuf {
        self.root.join("stanc")
    }

    /// The directory to pass with `-I` (Stan, Stan Math, Eigen, Boost, TBB, Sundials).
    pub fn include_dir(&self) -> PathBuf {
        self.root.join("include")
    }

    /// The directory with `libtbb.so.2` and the Sundials static libraries.
    pub fn lib_dir(&self) -> PathBuf {
        self.root.join("lib")
    }

    /// `httpstan 4.17.0, stanc3 v2.39.0 (Unix)`: part of every compiled model's cache key.
    pub fn version(&self) -> &str {
        &self.version
    }
}

fn unpack_dir(home: &Path) -> PathBuf {
    home.join(format!("httpstan-{HTTPSTAN_VERSION}"))
}

fn find_python() -> Result<String, StanError> {
    for candidate in ["python3", "python"] {
        if Command::new(candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Ok(candidate.to_string());
        }
    }
    Err(StanError::setup(
        "looking for Python",
        "python3 (with pip) is needed to fetch and unpack the httpstan wheel from PyPI; \
         install it, or download httpstan-4.17.0-*.whl yourself and set FLOWPOST_STAN_WHEEL \
         (unpacking still needs python3)",
    ))
}

fn download_wheel(python: &str, dir: &Path) -> Result<PathBuf, StanError> {
    let find = |dir: &Path| -> Option<PathBuf> {
        fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(&format!("httpstan-{HTTPSTAN_VERSION}-")) && n.ends_with(".whl")
                })
            })
    };
    if let Some(wheel) = find(dir) {
        return Ok(wheel);
    }
    fs::create_dir_all(dir).map_err(|e| StanError::io(dir, e))?;
    let mut cmd = Command::new(python);
    cmd.args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args([
            "--python-version",
            "3.12",
            "--disable-pip-version-check",
            "--dest",
        ])
        .arg(dir)
        .arg(format!("httpstan=={HTTPSTAN_VERSION}"));
    run_checked(
        &mut cmd,
        "downloading the httpstan wheel from PyPI with pip",
    )?;
    find(dir).ok_or_else(|| {
        StanError::setup(
            "downloading the httpstan wheel",
            "pip reported success but left no wheel",
        )
    })
}

/// Extracts only what a model build needs: stanc, include/ and lib/ (about 110 MB).
const UNPACK_SCRIPT: &str = r#"
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    keep = [n for n in z.namelist()
            if n == "httpstan/stanc" or n.startswith(("httpstan/include/", "httpstan/lib/"))]
    if "httpstan/stanc" not in keep:
        sys.exit(wheel + " has no httpstan/stanc: not an httpstan wheel")
    z.extractall(dest, keep)
"#;

fn unpack_wheel(python: &str, wheel: &Path, dest: &Path) -> Result<(), StanError> {
    let mut cmd = Command::new(python);
    cmd.args(["-c", UNPACK_SCRIPT]).arg(wheel).arg(dest);
    run_checked(&mut cmd, &format!("unpacking {}", wheel.display())).map(|_| ())
}

fn set_executable(path: &Path) -> Result<(), StanError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).map_err(|e| StanError::io(path, e))
}

/// Runs `cmd`, returning its stdout, or a setup error with its output.
fn run_checked(cmd: &mut Command, step: &str) -> Result<String, StanError> {
    let out = cmd
        .output()
        .map_err(|e| StanError::setup(step, e.to_string()))?;
    if !out.status.success() {
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return Err(StanError::setup(
            step,
            format!("{} — {}", out.status, text.trim()),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
