//! A compiled Stan program loaded into the process: the factory of [`StanModel`]s.

use super::compile::{StanBuildReport, StanCompileSettings, build};
use super::ffi::Api;
use super::model::{StanModel, StanModelSettings};
use super::{StanError, Toolchain};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A compiled and loaded Stan program, without data. Cheap to clone.
///
/// [`compile`](Self::compile) translates and compiles a `.stan` file (about a minute the first
/// time, then from the cache); [`model`](Self::model) instantiates it with data.
///
/// ```no_run
/// use flowpost::stan::{StanCompileSettings, StanLibrary, StanModelSettings, Toolchain};
/// use flowpost::LogDensity;
/// use std::path::Path;
///
/// let toolchain = Toolchain::setup()?;
/// let library = StanLibrary::compile(&toolchain, "eight_schools.stan", &StanCompileSettings::default())?;
/// let model = library.model(Some(Path::new("eight_schools.json")), &StanModelSettings::default())?;
/// let mut grad = vec![0.0; model.dim()];
/// let lp = model.log_density(&vec![0.1; model.dim()], &mut grad).unwrap();
/// println!("log p = {lp}, names {:?}", model.param_names());
/// # Ok::<(), flowpost::stan::StanError>(())
/// ```
#[derive(Clone)]
pub struct StanLibrary {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    name: String,
    api: Api,
    report: Option<StanBuildReport>,
}

impl std::fmt::Debug for StanLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StanLibrary")
            .field("name", &self.inner.name)
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl StanLibrary {
    /// Translates `stan_file` with stanc, compiles it with the shim (unless cached) and loads it.
    pub fn compile(
        toolchain: &Toolchain,
        stan_file: impl AsRef<Path>,
        settings: &StanCompileSettings,
    ) -> Result<Self, StanError> {
        let stan_file = stan_file.as_ref();
        let report = build(toolchain, stan_file, settings)?;
        let name = stan_file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::load(&report.library.clone(), name, Some(report))
    }

    /// Loads a model library compiled earlier (the `model.so` of a cache entry).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StanError> {
        let path = path.as_ref();
        let name = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Self::load(path, name, None)
    }

    fn load(path: &Path, name: String, report: Option<StanBuildReport>) -> Result<Self, StanError> {
        let api = Api::load(path)?;
        Ok(StanLibrary {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                name,
                api,
                report,
            }),
        })
    }

    /// The shared object.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The Stan file's stem (or the cache entry's name for [`open`](Self::open)ed libraries).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// What [`compile`](Self::compile) did: cached or not, seconds, stanc's warnings.
    pub fn build_report(&self) -> Option<&StanBuildReport> {
        self.inner.report.as_ref()
    }

    /// Instantiates the model with data from a Stan JSON file (`None` for a model without data).
    pub fn model(
        &self,
        data_file: Option<&Path>,
        settings: &StanModelSettings,
    ) -> Result<StanModel, StanError> {
        match data_file {
            None => self.instantiate("", "(no data)".to_string(), settings),
            Some(file) => {
                let json = std::fs::read_to_string(file).map_err(|e| StanError::io(file, e))?;
                self.instantiate(&json, file.display().to_string(), settings)
            }
        }
    }

    /// Instantiates the model with data given as a Stan JSON string.
    pub fn model_from_json(
        &self,
        json: &str,
        settings: &StanModelSettings,
    ) -> Result<StanModel, StanError> {
        self.instantiate(json, "(inline JSON)".to_string(), settings)
    }

    fn instantiate(
        &self,
        json: &str,
        source_name: String,
        settings: &StanModelSettings,
    ) -> Result<StanModel, StanError> {
        let raw = self
            .inner
            .api
            .model_new(json, settings.seed)
            .map_err(|e| StanError::Data {
                model: self.inner.name.clone(),
                source_name,
                message: super::data_message::tidy(&e.message, json),
            })?;
        // SAFETY: `raw` is a fresh model from this library's `model_new`.
        Ok(unsafe { StanModel::from_raw(self.clone(), self.inner.api, raw, settings.clone()) })
    }
}
