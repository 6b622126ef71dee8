//! A Stan model with its data, as a [`LogDensity`].

use super::ffi::{Api, RawModel};
use super::names::bracket_name;
use super::{StanCompileSettings, StanError, StanLibrary, Toolchain, fnv1a};
use crate::{DensityError, LogDensity};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How a [`StanModel`] is instantiated and what it reports.
///
/// ```
/// let s = flowpost::stan::StanModelSettings { include_gqs: false, ..Default::default() };
/// assert!(s.include_tparams);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StanModelSettings {
    /// Seed of the RNG Stan gives the `transformed data` block (as CmdStan's `seed`).
    pub seed: u32,
    /// Report transformed parameters after the parameters (CmdStan does).
    pub include_tparams: bool,
    /// Report generated quantities after those (CmdStan does). Their RNG is seeded from
    /// `seed` and the point, so a draw's generated quantities do not depend on thread count.
    pub include_gqs: bool,
}

impl Default for StanModelSettings {
    fn default() -> Self {
        StanModelSettings {
            seed: 0,
            include_tparams: true,
            include_gqs: true,
        }
    }
}

/// Failures of [`LogDensity::constrain`] on a [`StanModel`] (e.g. a generated quantity that
/// threw): the values Stan could not compute are NaN, as in CmdStan's output, and counted here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConstrainFailures {
    /// How many calls failed.
    pub count: usize,
    /// Stan's message for the first one.
    pub first_message: Option<String>,
}

/// A Stan model with its data: a [`LogDensity`] on Stan's unconstrained space.
///
/// The log density is Stan's `log_prob` with the Jacobian of the constraining transforms and
/// without constant terms (`propto`), exactly what Stan's NUTS samples; its gradient comes from
/// Stan Math's reverse mode. A `std::domain_error` inside the model (a `reject`, a scale ≤ 0…)
/// is a [`DensityError::Recoverable`] (a divergence for NUTS); any other exception is fatal.
///
/// The model is `Send + Sync`: Stan's models are immutable after construction and each thread
/// gets its own autodiff tape, so chains may evaluate it in parallel.
///
/// [`param_names`](LogDensity::param_names) are Stan's constrained names in bracket style
/// (`theta[1]`, `Sigma[2,3]`): the parameters, then (by default) transformed parameters and
/// generated quantities; [`stan_param_names`](Self::stan_param_names) gives CmdStan's dotted
/// spelling of the same list.
///
/// ```no_run
/// use flowpost::LogDensity;
/// use flowpost::stan::StanModel;
/// use std::path::Path;
///
/// let model = StanModel::from_files("eight_schools.stan", Some(Path::new("eight_schools.json")))?;
/// let theta = model.unconstrain_json(r#"{"theta_trans": [0,0,0,0,0,0,0,0], "mu": 1, "tau": 2}"#)?;
/// let report = flowpost::check_gradient(&model, &theta, 1e-6).unwrap();
/// assert!(report.max_rel_error < 1e-6);
/// # Ok::<(), flowpost::stan::StanError>(())
/// ```
pub struct StanModel {
    library: StanLibrary,
    api: Api,
    raw: *mut RawModel,
    settings: StanModelSettings,
    dim: usize,
    num_params: usize,
    stan_names: Vec<String>,
    names: Vec<String>,
    unconstrained_names: Vec<String>,
    constrain_failures: AtomicUsize,
    first_constrain_error: Mutex<Option<String>>,
}

// SAFETY: the shim only calls const methods of the Stan model (thread-safe: stanc-generated
// models hold data and sizes only) and gives each calling thread its own autodiff tape and
// scratch buffers; the handle is freed once, in Drop.
unsafe impl Send for StanModel {}
unsafe impl Sync for StanModel {}

impl Drop for StanModel {
    fn drop(&mut self) {
        // SAFETY: `raw` came from model_new and is freed only here.
        unsafe { self.api.model_free(self.raw) }
    }
}

impl std::fmt::Debug for StanModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StanModel")
            .field("library", &self.library)
            .field("dim", &self.dim)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl StanModel {
    /// # Safety
    /// `raw` is a fresh model created by `api` (which belongs to `library`).
    pub(crate) unsafe fn from_raw(
        library: StanLibrary,
        api: Api,
        raw: *mut RawModel,
        settings: StanModelSettings,
    ) -> Self {
        let stan_names = api.param_names(raw, true, settings.include_tparams, settings.include_gqs);
        StanModel {
            dim: api.num_unconstrained(raw),
            num_params: api.param_names(raw, true, false, false).len(),
            names: stan_names.iter().map(|n| bracket_name(n)).collect(),
            unconstrained_names: api.param_names(raw, false, false, false),
            stan_names,
            library,
            api,
            raw,
            settings,
            constrain_failures: AtomicUsize::new(0),
            first_constrain_error: Mutex::new(None),
        }
    }

    /// Compiles (or finds in the cache) `stan_file` with the installed toolchain and default
    /// settings, and instantiates it with the Stan JSON `data_file`.
    pub fn from_files(
        stan_file: impl AsRef<Path>,
        data_file: Option<&Path>,
    ) -> Result<Self, StanError> {
        let toolchain = Toolchain::locate()?;
        let library = StanLibrary::compile(&toolchain, stan_file, &StanCompileSettings::default())?;
        library.model(data_file, &StanModelSettings::default())
    }

    /// The library this model was instantiated from.
    pub fn library(&self) -> &StanLibrary {
        &self.library
    }

    /// The settings it was instantiated with.
    pub fn settings(&self) -> &StanModelSettings {
        &self.settings
    }

    /// The model name and stanc's compile information, one item a line.
    pub fn info(&self) -> String {
        self.api.model_info(self.raw)
    }

    /// Stan's dotted names of the reported values (CmdStan CSV header style, `theta.1`), in the
    /// order of [`param_names`](LogDensity::param_names).
    pub fn stan_param_names(&self) -> &[String] {
        &self.stan_names
    }

    /// Stan's names of the unconstrained coordinates (length [`dim`](LogDensity::dim)).
    pub fn unconstrained_param_names(&self) -> &[String] {
        &self.unconstrained_names
    }

    /// The number of constrained values of the `parameters` block (the first entries of
    /// [`param_names`](LogDensity::param_names)): what [`unconstrain`](Self::unconstrain) takes.
    pub fn num_params(&self) -> usize {
        self.num_params
    }

    /// log p(θ) and its gradient with the choice of dropping constants (`propto`) and adding
    /// the log-Jacobian (`jacobian`). [`LogDensity::log_density`] is `propto = true,
    /// jacobian = true`; `jacobian = false` is the density whose mode is the MAP.
    #[track_caller]
    pub fn log_density_with(
        &self,
        theta: &[f64],
        grad: &mut [f64],
        propto: bool,
        jacobian: bool,
    ) -> Result<f64, DensityError> {
        assert_eq!(
            theta.len(),
            self.dim,
            "theta has the wrong length for this Stan model"
        );
        assert_eq!(
            grad.len(),
            self.dim,
            "grad has the wrong length for this Stan model"
        );
        Ok(self
            .api
            .log_density_gradient(self.raw, propto, jacobian, theta, grad)?)
    }

    /// Like [`LogDensity::constrain`], but returns Stan's error instead of counting it.
    /// Generated quantities get an RNG seeded from the settings' seed and `theta`.
    #[track_caller]
    pub fn try_constrain(&self, theta: &[f64], out: &mut [f64]) -> Result<(), DensityError> {
        self.constrain_seeded(theta, self.point_seed(theta), out)
    }

    /// Like [`try_constrain`](Self::try_constrain) with an explicit seed for the generated
    /// quantities' RNG.
    #[track_caller]
    pub fn constrain_seeded(
        &self,
        theta: &[f64],
        seed: u64,
        out: &mut [f64],
    ) -> Result<(), DensityError> {
        assert_eq!(
            theta.len(),
            self.dim,
            "theta has the wrong length for this Stan model"
        );
        assert_eq!(
            out.len(),
            self.names.len(),
            "out must have one entry per param_names()"
        );
        let s = &self.settings;
        Ok(self
            .api
            .constrain(self.raw, theta, s.include_tparams, s.include_gqs, seed, out)?)
    }

    /// Failures of [`LogDensity::constrain`] so far.
    pub fn constrain_failures(&self) -> ConstrainFailures {
        ConstrainFailures {
            count: self.constrain_failures.load(Ordering::Relaxed),
            first_message: self
                .first_constrain_error
                .lock()
                .map(|m| m.clone())
                .unwrap_or(None),
        }
    }

    /// The unconstrained point of the constrained parameter values `values` (the
    /// [`num_params`](Self::num_params) first entries of [`param_names`](LogDensity::param_names)).
    pub fn unconstrain(&self, values: &[f64]) -> Result<Vec<f64>, StanError> {
        if values.len() != self.num_params {
            return Err(StanError::Unconstrain {
                message: format!(
                    "{} values given, the parameters block has {} ({})",
                    values.len(),
                    self.num_params,
                    self.names[..self.num_params].join(", ")
                ),
            });
        }
        let mut theta = vec![0.0; self.dim];
        self.api
            .unconstrain(self.raw, values, &mut theta)
            .map_err(|e| StanError::Unconstrain { message: e.message })?;
        Ok(theta)
    }

    /// The unconstrained point of parameter values given by name in Stan JSON, e.g.
    /// `{"mu": 1, "tau": 2, "theta_trans": [0, 0]}` (Stan's `transform_inits`).
    pub fn unconstrain_json(&self, json: &str) -> Result<Vec<f64>, StanError> {
        let mut theta = vec![0.0; self.dim];
        self.api
            .unconstrain_json(self.raw, json, &mut theta)
            .map_err(|e| StanError::Unconstrain { message: e.message })?;
        Ok(theta)
    }

    fn point_seed(&self, theta: &[f64]) -> u64 {
        let bytes: Vec<u8> = theta
            .iter()
            .flat_map(|x| x.to_bits().to_le_bytes())
            .collect();
        fnv1a(&[&self.settings.seed.to_le_bytes(), &bytes])
    }
}

impl LogDensity for StanModel {
    fn dim(&self) -> usize {
        self.dim
    }

    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        self.log_density_with(theta, grad, true, true)
    }

    fn param_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn num_parameters(&self) -> usize {
        self.num_params
    }

    /// Stan's `unconstrain_array` on the parameters (the first
    /// [`num_params`](Self::num_params) values); a value outside its support is Stan's error.
    fn try_unconstrain(&self, constrained: &[f64]) -> Option<Result<Vec<f64>, DensityError>> {
        let values = constrained.get(..self.num_params)?;
        Some(
            StanModel::unconstrain(self, values)
                .map_err(|e| DensityError::recoverable(e.to_string())),
        )
    }

    /// Stan's `write_array`. Values Stan cannot compute (a generated quantity that threw) are
    /// NaN and the failure is counted in [`StanModel::constrain_failures`].
    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        if let Err(e) = self.try_constrain(theta, out) {
            self.constrain_failures.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first_constrain_error.lock() {
                first.get_or_insert_with(|| e.message().to_string());
            }
        }
    }
}
