//! Errors of the Stan bridge: toolchain, translation, compilation, loading, data.

use std::path::PathBuf;

/// What went wrong while setting up the Stan toolchain, compiling a model or constructing it
/// with data. Errors while *evaluating* a model are [`DensityError`](crate::DensityError)s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StanError {
    /// The toolchain (stanc, headers, libraries) is not unpacked in `home`.
    #[error(
        "the Stan toolchain is not installed in {home}: run `flowpost stan-setup` \
         (or call flowpost::stan::Toolchain::setup()); set FLOWPOST_STAN_HOME to use another directory"
    )]
    ToolchainMissing {
        /// The directory that was searched.
        home: PathBuf,
    },
    /// Fetching or unpacking the toolchain failed.
    #[error("Stan toolchain setup failed while {step}: {message}")]
    Setup {
        /// What setup was doing (`downloading httpstan from PyPI`, `unpacking …`).
        step: String,
        /// The tool's output or the underlying error.
        message: String,
    },
    /// This platform has no prebuilt stanc in the toolchain wheel.
    #[error("the Stan toolchain is only available for x86-64 Linux (this is {os}/{arch})")]
    UnsupportedPlatform {
        /// `std::env::consts::OS`.
        os: &'static str,
        /// `std::env::consts::ARCH`.
        arch: &'static str,
    },
    /// The C++ compiler could not be run.
    #[error(
        "the C++ compiler `{compiler}` could not be run ({source}); install g++ \
         (e.g. `apt-get install g++`) or set CXX"
    )]
    CompilerMissing {
        /// The compiler command that was tried.
        compiler: String,
        /// Why it could not be started.
        source: std::io::Error,
    },
    /// stanc rejected the Stan program.
    #[error("stanc rejected {file}:\n{message}")]
    StancRejected {
        /// The Stan file.
        file: PathBuf,
        /// stanc's own message (syntax or semantic error with line and column).
        message: String,
    },
    /// The C++ compiler or linker failed on the generated code.
    #[error("compiling {file} failed (full log in {log}):\n{tail}")]
    CompileFailed {
        /// The Stan file.
        file: PathBuf,
        /// The build log with every command and its output.
        log: PathBuf,
        /// The last lines of the failing command's output.
        tail: String,
    },
    /// The compiled shared object could not be loaded or is not a flowpost Stan model.
    #[error("cannot load the compiled Stan model {path}: {message}")]
    Load {
        /// The shared object.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The model could not be constructed from its data: a variable is missing, has the wrong
    /// shape or violates its declared constraints, or the JSON is malformed.
    #[error("the data {source_name} do not fit the Stan model `{model}`: {message}")]
    Data {
        /// The model name.
        model: String,
        /// The data file, or `(no data)` / `(inline JSON)`.
        source_name: String,
        /// Stan's message, naming the variable and the expected dimensions.
        message: String,
    },
    /// Parameter values given for [`StanModel::unconstrain`](super::StanModel::unconstrain) or
    /// [`unconstrain_json`](super::StanModel::unconstrain_json) are invalid.
    #[error("cannot unconstrain the parameter values: {message}")]
    Unconstrain {
        /// What is wrong with them.
        message: String,
    },
}

impl StanError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StanError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn setup(step: impl Into<String>, message: impl Into<String>) -> Self {
        StanError::Setup {
            step: step.into(),
            message: message.into(),
        }
    }
}
