//! The user's side: a log-density on an unconstrained space ℝ^d with its gradient.
//!
//! Implement [`LogDensity`] once and every part of flowpost can use it: the variational fit,
//! NeuTra-warped NUTS, plain NUTS. [`check_gradient`] tests a hand-written gradient against
//! central finite differences in one line.
//!
//! Conventions, as in Stan: the density lives on the *unconstrained* space; a model with a
//! constrained parameter (say `tau > 0`) samples `log_tau`, adds the log-Jacobian of the
//! constraining map itself, and reports `tau = exp(log_tau)` through [`LogDensity::constrain`].

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Why a log-density could not be evaluated.
///
/// A *recoverable* error (a point outside the numerically valid region, an overflow in an ODE
/// solve…) is treated by the samplers like an infinite energy: NUTS counts a divergence and goes
/// on, the variational fit drops the sample and counts it. Any other error stops the run and is
/// reported with its message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DensityError {
    /// The point cannot be evaluated, but the model as a whole is fine.
    #[error("recoverable log-density error: {message}")]
    Recoverable {
        /// What went wrong, for the user.
        message: String,
    },
    /// The model itself is broken (bad data, a bug): stop the run.
    #[error("fatal log-density error: {message}")]
    Fatal {
        /// What went wrong, for the user.
        message: String,
    },
}

impl DensityError {
    /// A recoverable error with a message.
    pub fn recoverable(message: impl Into<String>) -> Self {
        DensityError::Recoverable {
            message: message.into(),
        }
    }

    /// A fatal error with a message.
    pub fn fatal(message: impl Into<String>) -> Self {
        DensityError::Fatal {
            message: message.into(),
        }
    }

    /// Whether the sampler may treat this as a divergence and go on.
    pub fn is_recoverable(&self) -> bool {
        matches!(self, DensityError::Recoverable { .. })
    }

    /// The message without the kind prefix.
    pub fn message(&self) -> &str {
        match self {
            DensityError::Recoverable { message } | DensityError::Fatal { message } => message,
        }
    }
}

/// An unnormalized log-density on ℝ^d with its gradient.
///
/// `log_density` returns log p(θ) up to an additive constant and writes ∇ log p(θ) into `grad`
/// (length [`dim`](LogDensity::dim)). It takes `&self` and must be `Send + Sync`: chains and
/// variational minibatches call it from several threads at once. Keep scratch space in
/// thread-local storage or allocate per call; flowpost never shares a `grad` buffer.
///
/// ```
/// use flowpost::{DensityError, LogDensity};
///
/// /// A normal model for data with unknown mean and log-scale.
/// struct NormalModel { y: Vec<f64> }
///
/// impl LogDensity for NormalModel {
///     fn dim(&self) -> usize { 2 }
///     fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
///         let (mu, log_sigma) = (theta[0], theta[1]);
///         let sigma = log_sigma.exp();
///         let n = self.y.len() as f64;
///         let ss: f64 = self.y.iter().map(|y| (y - mu).powi(2)).sum();
///         let sum_r: f64 = self.y.iter().map(|y| y - mu).sum();
///         // flat prior on mu, sigma ~ exponential(1), plus the log-Jacobian of exp
///         let lp = -n * log_sigma - ss / (2.0 * sigma * sigma) - sigma + log_sigma;
///         grad[0] = sum_r / (sigma * sigma);
///         grad[1] = -n + ss / (sigma * sigma) - sigma + 1.0;
///         Ok(lp)
///     }
///     fn param_names(&self) -> Vec<String> { vec!["mu".into(), "sigma".into()] }
///     fn constrain(&self, theta: &[f64], out: &mut [f64]) {
///         out[0] = theta[0];
///         out[1] = theta[1].exp();
///     }
/// }
///
/// let model = NormalModel { y: vec![1.0, 2.0, 0.5] };
/// let report = flowpost::check_gradient(&model, &[0.3, -0.2], 1e-6).unwrap();
/// assert!(report.max_rel_error < 1e-6);
/// ```
pub trait LogDensity: Send + Sync {
    /// Dimension d of the unconstrained space.
    fn dim(&self) -> usize;

    /// log p(θ) up to a constant; writes the gradient into `grad` (length `dim()`).
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError>;

    /// Names of the reported (constrained) values, Stan style: `mu`, `theta[1]`, `Sigma[2,3]`.
    /// Defaults to `theta[1]`…`theta[d]`.
    fn param_names(&self) -> Vec<String> {
        (1..=self.dim()).map(|i| format!("theta[{i}]")).collect()
    }

    /// Maps an unconstrained point to the reported values, in the order of
    /// [`param_names`](LogDensity::param_names) (`out` has that length). The identity by default.
    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        out.copy_from_slice(theta);
    }

    /// How many of the reported values ([`param_names`](LogDensity::param_names)), from the
    /// first, are the model's parameters, which [`try_unconstrain`](LogDensity::try_unconstrain)
    /// reads; the rest (a Stan program's transformed parameters and generated quantities) are
    /// computed from them. All of them by default.
    fn num_parameters(&self) -> usize {
        self.param_names().len()
    }

    /// The unconstrained point whose reported values are `constrained` (the inverse of
    /// [`constrain`](LogDensity::constrain); `constrained` has one entry per name, of which the
    /// first [`num_parameters`](LogDensity::num_parameters) are read). Initial values given on
    /// the constrained scale ([`Init::Values`](crate::init::Init)) need it. `None` (the default):
    /// the model cannot map values back. An error or a non-finite result: a value outside its
    /// support.
    fn try_unconstrain(&self, constrained: &[f64]) -> Option<Result<Vec<f64>, DensityError>> {
        let _ = constrained;
        None
    }
}

impl<T: LogDensity + ?Sized> LogDensity for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        (**self).log_density(theta, grad)
    }
    fn param_names(&self) -> Vec<String> {
        (**self).param_names()
    }
    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        (**self).constrain(theta, out)
    }
    fn num_parameters(&self) -> usize {
        (**self).num_parameters()
    }
    fn try_unconstrain(&self, constrained: &[f64]) -> Option<Result<Vec<f64>, DensityError>> {
        (**self).try_unconstrain(constrained)
    }
}

impl<T: LogDensity + ?Sized> LogDensity for Box<T> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        (**self).log_density(theta, grad)
    }
    fn param_names(&self) -> Vec<String> {
        (**self).param_names()
    }
    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        (**self).constrain(theta, out)
    }
    fn num_parameters(&self) -> usize {
        (**self).num_parameters()
    }
    fn try_unconstrain(&self, constrained: &[f64]) -> Option<Result<Vec<f64>, DensityError>> {
        (**self).try_unconstrain(constrained)
    }
}

impl<T: LogDensity + ?Sized> LogDensity for std::sync::Arc<T> {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        (**self).log_density(theta, grad)
    }
    fn param_names(&self) -> Vec<String> {
        (**self).param_names()
    }
    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        (**self).constrain(theta, out)
    }
    fn num_parameters(&self) -> usize {
        (**self).num_parameters()
    }
    fn try_unconstrain(&self, constrained: &[f64]) -> Option<Result<Vec<f64>, DensityError>> {
        (**self).try_unconstrain(constrained)
    }
}

/// Evaluates a density defensively: a panic becomes a fatal error, and a non-finite value or
/// gradient a recoverable one. Every call flowpost makes to user code goes through here.
pub(crate) fn guarded_log_density<D: LogDensity + ?Sized>(
    density: &D,
    theta: &[f64],
    grad: &mut [f64],
) -> Result<f64, DensityError> {
    let result = catch_unwind(AssertUnwindSafe(|| density.log_density(theta, grad)));
    let lp = match result {
        Ok(r) => r?,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            return Err(DensityError::fatal(format!(
                "the log-density panicked: {msg}"
            )));
        }
    };
    if !lp.is_finite() {
        return Err(DensityError::recoverable(format!(
            "the log-density is {lp}"
        )));
    }
    if let Some(i) = grad.iter().position(|g| !g.is_finite()) {
        return Err(DensityError::recoverable(format!(
            "gradient component {i} is {}",
            grad[i]
        )));
    }
    Ok(lp)
}

/// Per-coordinate result of [`check_gradient`].
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheckReport {
    /// The gradient the density returned.
    pub analytic: Vec<f64>,
    /// Central finite differences.
    pub numeric: Vec<f64>,
    /// max_i |analytic_i − numeric_i| / max(1, |numeric_i|).
    pub max_rel_error: f64,
    /// The coordinate where that maximum is attained.
    pub worst_index: usize,
}

/// Error of [`check_gradient`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GradientCheckError {
    /// The point has the wrong length.
    #[error("the point has {got} coordinates but the density has dimension {expected}")]
    WrongDimension {
        /// `dim()` of the density.
        expected: usize,
        /// Length of the point given.
        got: usize,
    },
    /// The density failed at the point or at a finite-difference neighbour.
    #[error("the log-density failed at the check point or a neighbour: {0}")]
    Density(#[from] DensityError),
}

/// Compares the gradient of `density` at `theta` with central finite differences of step
/// `h · max(1, |θ_i|)` (fourth-order, Richardson-extrapolated). Costs 4d + 1 evaluations.
///
/// ```
/// # use flowpost::{LogDensity, DensityError};
/// struct StdNormal;
/// impl LogDensity for StdNormal {
///     fn dim(&self) -> usize { 3 }
///     fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
///         for i in 0..3 { g[i] = -x[i]; }
///         Ok(-0.5 * x.iter().map(|v| v * v).sum::<f64>())
///     }
/// }
/// let r = flowpost::check_gradient(&StdNormal, &[0.1, -1.0, 2.0], 1e-4).unwrap();
/// assert!(r.max_rel_error < 1e-8);
/// ```
pub fn check_gradient<D: LogDensity + ?Sized>(
    density: &D,
    theta: &[f64],
    h: f64,
) -> Result<GradientCheckReport, GradientCheckError> {
    let d = density.dim();
    if theta.len() != d {
        return Err(GradientCheckError::WrongDimension {
            expected: d,
            got: theta.len(),
        });
    }
    let mut analytic = vec![0.0; d];
    guarded_log_density(density, theta, &mut analytic)?;
    let mut scratch = vec![0.0; d];
    let mut x = theta.to_vec();
    let mut numeric = vec![0.0; d];
    for i in 0..d {
        let step = h * theta[i].abs().max(1.0);
        let mut f = |delta: f64| -> Result<f64, DensityError> {
            x[i] = theta[i] + delta;
            let v = guarded_log_density(density, &x, &mut scratch);
            x[i] = theta[i];
            v
        };
        let d1 = (f(step)? - f(-step)?) / (2.0 * step);
        let d2 = (f(2.0 * step)? - f(-2.0 * step)?) / (4.0 * step);
        numeric[i] = (4.0 * d1 - d2) / 3.0;
    }
    let (mut worst_index, mut max_rel_error) = (0, 0.0);
    for i in 0..d {
        let e = (analytic[i] - numeric[i]).abs() / numeric[i].abs().max(1.0);
        if e > max_rel_error || e.is_nan() {
            max_rel_error = e;
            worst_index = i;
        }
    }
    Ok(GradientCheckReport {
        analytic,
        numeric,
        max_rel_error,
        worst_index,
    })
}

/// A density wrapper that counts gradient evaluations (every call evaluates the gradient) and
/// guards each call (see [`guarded_log_density`]).
pub(crate) struct Counted<'a, D: ?Sized> {
    pub density: &'a D,
    pub count: std::sync::atomic::AtomicU64,
}

impl<'a, D: LogDensity + ?Sized> Counted<'a, D> {
    pub fn new(density: &'a D) -> Self {
        Counted {
            density,
            count: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn eval(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        self.count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        guarded_log_density(self.density, theta, grad)
    }

    pub fn num_evals(&self) -> u64 {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quartic;
    impl LogDensity for Quartic {
        fn dim(&self) -> usize {
            2
        }
        fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
            g[0] = -4.0 * x[0].powi(3) + x[1];
            g[1] = x[0] - x[1];
            Ok(-x[0].powi(4) + x[0] * x[1] - 0.5 * x[1] * x[1])
        }
    }

    struct WrongGrad;
    impl LogDensity for WrongGrad {
        fn dim(&self) -> usize {
            1
        }
        fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
            g[0] = -1.1 * x[0];
            Ok(-0.5 * x[0] * x[0])
        }
    }

    struct Panics;
    impl LogDensity for Panics {
        fn dim(&self) -> usize {
            1
        }
        fn log_density(&self, _: &[f64], _: &mut [f64]) -> Result<f64, DensityError> {
            panic!("boom")
        }
    }

    #[test]
    fn correct_gradient_passes_and_wrong_one_fails() {
        let r = check_gradient(&Quartic, &[0.7, -0.3], 1e-4).unwrap();
        assert!(r.max_rel_error < 1e-8, "{r:?}");
        let r = check_gradient(&WrongGrad, &[2.0], 1e-4).unwrap();
        assert!(r.max_rel_error > 0.05, "{r:?}");
    }

    #[test]
    fn wrong_length_is_an_error() {
        assert!(matches!(
            check_gradient(&Quartic, &[0.0], 1e-4),
            Err(GradientCheckError::WrongDimension {
                expected: 2,
                got: 1
            })
        ));
    }

    #[test]
    fn panics_become_fatal_errors() {
        let mut g = [0.0];
        let e = guarded_log_density(&Panics, &[0.0], &mut g).unwrap_err();
        assert!(!e.is_recoverable());
        assert!(e.message().contains("panicked: boom"), "{e}");
    }
}
