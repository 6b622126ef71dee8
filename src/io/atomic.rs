//! Output files that cannot be seen half-written or mixed with another run's.
//!
//! - [`write_atomic`]: a file is written under a temporary name beside its final path and
//!   renamed into place, so a reader sees the old file or the whole new one, never a prefix
//!   (a crash or a full disk leaves the old file, plus at most a `.name.tmp-PID` file).
//! - [`RunDir`]: a run's output folder is written whole. The folder must be new, empty, or
//!   flowpost's own (every entry one of the names flowpost writes); anything else is refused.
//!   The new files go into a fresh sibling folder that then replaces the old one, so no file of
//!   an earlier run (say `chain_4.csv` of a 4-chain run under a 2-chain one) survives.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What went wrong writing outputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// A file or folder operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The output folder holds files flowpost did not write.
    #[error(
        "{} is not empty and holds files flowpost did not write ({}); choose a new or empty folder (flowpost replaces its own run folders whole)",
        dir.display(), foreign.join(", ")
    )]
    ForeignFolder {
        /// The folder.
        dir: PathBuf,
        /// Up to five of the entries that are not flowpost's.
        foreign: Vec<String>,
    },
    /// A zarr store could not be written.
    #[error("{}: {reason}", path.display())]
    Store {
        /// The store's path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The output path exists and is not a folder.
    #[error("{} exists and is not a folder", dir.display())]
    NotAFolder {
        /// The path.
        dir: PathBuf,
    },
}

impl OutputError {
    /// The underlying I/O error (the message of the others), for callers whose own error
    /// type already names the path.
    pub fn into_io_error(self) -> std::io::Error {
        match self {
            OutputError::Io { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `path` through `write`, atomically: into `.NAME.tmp-PID` beside it, flushed and
/// synced, then renamed over `path`. On error the temporary file is removed and `path` is
/// untouched.
///
/// ```
/// use flowpost::io::atomic::write_atomic;
/// use std::io::Write;
/// let path = std::env::temp_dir().join("flowpost-doc-atomic.txt");
/// write_atomic(&path, |w| w.write_all(b"hello")).unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello");
/// ```
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io_err(path))
}

/// [`write_atomic`] of a whole string.
pub fn write_string_atomic(path: &Path, text: &str) -> Result<(), OutputError> {
    write_atomic(path, |w| w.write_all(text.as_bytes()))
}

/// Whether `name` is a file flowpost writes into a run folder: `chain_K.csv`, `summary.json`,
/// `report.html`, `flow.json`, `adaptation.json`, the zarr store `draws.zarr`, the NPE files,
/// and the marker `.flowpost-run`.
pub fn is_flowpost_output(name: &str) -> bool {
    const FILES: [&str; 11] = [
        ".flowpost-run",
        "adaptation.json",
        "summary.json",
        "report.html",
        "flow.json",
        "estimator.json",
        "training_report.json",
        "posterior_samples.csv",
        "run.json",
        "sbc.json",
        crate::io::arviz_zarr::STORE_NAME,
    ];
    if FILES.contains(&name) {
        return true;
    }
    name.strip_prefix("chain_")
        .and_then(|r| r.strip_suffix(".csv"))
        .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks that `dir` may receive a run's outputs: it does not exist, is empty, or holds only
/// flowpost's own files ([`is_flowpost_output`]). Cheap; call it before a long run so that a
/// bad `--out` fails at once.
pub fn check_output_dir(dir: &Path) -> Result<(), OutputError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) if dir.exists() && !dir.is_dir() => {
            return Err(OutputError::NotAFolder {
                dir: dir.to_path_buf(),
            });
        }
        Err(e) => return Err(io_err(dir)(e)),
    };
    let mut foreign: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !is_flowpost_output(n))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    foreign.truncate(5);
    Err(OutputError::ForeignFolder {
        dir: dir.to_path_buf(),
        foreign,
    })
}

/// A run folder being written: files go into a fresh staging folder beside the destination;
/// [`commit`](Self::commit) puts it in place of the old folder. Dropped without a commit, the
/// staging folder is removed and the destination is untouched.
///
/// ```
/// use flowpost::io::atomic::RunDir;
/// let dest = std::env::temp_dir().join(format!("flowpost-doc-rundir-{}", std::process::id()));
/// for k in [3, 1] {
///     let run = RunDir::create(&dest).unwrap();
///     for c in 1..=k {
///         std::fs::write(run.path().join(format!("chain_{c}.csv")), "x").unwrap();
///     }
///     run.commit().unwrap();
/// }
/// // The second, 1-chain run replaced the 3-chain folder whole.
/// assert!(dest.join("chain_1.csv").exists() && !dest.join("chain_3.csv").exists());
/// # std::fs::remove_dir_all(&dest).unwrap();
/// ```
#[derive(Debug)]
pub struct RunDir {
    dest: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl RunDir {
    /// Checks `dest` ([`check_output_dir`]) and creates the staging folder.
    pub fn create(dest: &Path) -> Result<RunDir, OutputError> {
        check_output_dir(dest)?;
        let dest = std::path::absolute(dest).map_err(io_err(dest))?;
        let parent = dest.parent().unwrap_or(Path::new("/")).to_path_buf();
        fs::create_dir_all(&parent).map_err(io_err(&parent))?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into());
        let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        fs::create_dir(&staging).map_err(io_err(&staging))?;
        fs::write(
            staging.join(".flowpost-run"),
            "This folder was written by flowpost; a new run into it replaces it whole.\n",
        )
        .map_err(io_err(&staging))?;
        Ok(RunDir {
            dest,
            staging,
            committed: false,
        })
    }

    /// The folder to write the files into.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The final folder.
    pub fn destination(&self) -> &Path {
        &self.dest
    }

    /// Replaces the destination with the staged folder (the old one, if any, is removed).
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        // Checked again: something may have appeared in the destination during the run.
        check_output_dir(&self.dest)?;
        let old = self.dest.with_file_name(format!(
            ".{}.old-{}",
            self.dest
                .file_name()
                .map_or("run".into(), |n| n.to_string_lossy()),
            std::process::id()
        ));
        let had_old = self.dest.exists();
        if had_old {
            fs::rename(&self.dest, &old).map_err(io_err(&self.dest))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.dest) {
            if had_old {
                let _ = fs::rename(&old, &self.dest);
            }
            return Err(io_err(&self.dest)(e));
        }
        self.committed = true;
        if had_old {
            fs::remove_dir_all(&old).map_err(io_err(&old))?;
        }
        Ok(self.dest.clone())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}
