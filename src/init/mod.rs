//! Initial points, as CmdStan's `init`: a radius R (uniform in (−R, R) on the unconstrained
//! scale, every coordinate 0 for R = 0) or values of the reported parameters by name
//! ([`Init::Values`], read from CmdStan-style init JSON by [`from_json`]), the parameters not
//! given drawn as by default (uniform in (−2, 2), unconstrained).
//!
//! Where an init applies ([`SampleSettings::init`](crate::SampleSettings)):
//! - plain NUTS: each chain's initial position (CmdStan's meaning);
//! - NeuTra and auto: the start of the Gaussian fit (the L-BFGS path and the unit Gaussian
//!   around it), the step a bad starting region stops. The chains then start from draws of
//!   the fitted flow or Gaussian, which lie in the posterior's bulk and are dispersed across
//!   chains as R-hat needs; with a trained flow given there is no fit, and an init is refused.
//!
//! Random parts come from the caller's stream of the run's seed (a chain's, or the fit's), so a
//! seed gives the same initial points whatever the thread count.

mod json;

pub use json::from_json;

use crate::density::{DensityError, LogDensity, guarded_log_density};
use rand::RngExt;

/// The radius of the default initialization (Stan's).
pub const DEFAULT_RADIUS: f64 = 2.0;

/// How initial points are chosen.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// Uniform in (−R, R)^d on the unconstrained scale; R = 0: the origin.
    Radius(f64),
    /// Reported (constrained) values by name, as in [`LogDensity::param_names`] (`mu`,
    /// `theta[2]`, `Sigma[1,2]`); the parameters not named are drawn uniform in (−2, 2) on the
    /// unconstrained scale. Needs [`LogDensity::try_unconstrain`].
    Values(Vec<(String, f64)>),
}

impl Init {
    /// Checks a radius (finite, ≥ 0) and values (finite, each name once).
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |reason: String| Err(crate::Error::Init { reason });
        match self {
            Init::Radius(r) if !(r.is_finite() && *r >= 0.0) => {
                bad(format!("the radius must be finite and ≥ 0, got {r}"))
            }
            Init::Radius(_) => Ok(()),
            Init::Values(values) => {
                for (i, (name, v)) in values.iter().enumerate() {
                    if !v.is_finite() {
                        return bad(format!("`{name}` = {v} is not finite"));
                    }
                    if values[..i].iter().any(|(n, _)| n == name) {
                        return bad(format!("`{name}` is given twice"));
                    }
                }
                Ok(())
            }
        }
    }

    /// `2`, `0`, or `values of mu, tau (others random)`, for run records.
    pub fn describe(&self) -> String {
        match self {
            Init::Radius(r) => format!("{r}"),
            Init::Values(v) => {
                let names: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
                format!("values of {}", names.join(", "))
            }
        }
    }
}

/// An [`Init`] checked against a density, ready to draw initial points.
pub(crate) struct Initializer<'a, D: ?Sized> {
    density: &'a D,
    init: &'a Init,
    /// (index into the reported values, value) of the given values.
    given: Vec<(usize, f64)>,
    /// Whether every parameter is given.
    complete: bool,
}

impl<'a, D: LogDensity + ?Sized> Initializer<'a, D> {
    /// Checks that the named values are parameters of `density` and that it can map them back.
    pub fn new(density: &'a D, init: &'a Init) -> Result<Self, crate::Error> {
        init.validate()?;
        let Init::Values(values) = init else {
            return Ok(Initializer {
                density,
                init,
                given: vec![],
                complete: false,
            });
        };
        let names = density.param_names();
        let num_params = density.num_parameters().min(names.len());
        let mut given = Vec::with_capacity(values.len());
        for (name, v) in values {
            match names[..num_params].iter().position(|n| n == name) {
                Some(k) => given.push((k, *v)),
                None => {
                    return Err(crate::Error::Init {
                        reason: format!(
                            "`{name}` is not a parameter of the model; its parameters are {}",
                            json::summarize(&names[..num_params])
                        ),
                    });
                }
            }
        }
        if !given.is_empty() && density.try_unconstrain(&vec![0.0; names.len()]).is_none() {
            return Err(crate::Error::Init {
                reason: "this model cannot map constrained values to its unconstrained space (LogDensity::try_unconstrain); give a radius instead".into(),
            });
        }
        let complete = given.len() == num_params;
        Ok(Initializer {
            density,
            init,
            given,
            complete,
        })
    }

    /// Whether every point drawn is the same (R = 0, or every parameter given): one attempt is
    /// all there is, and a failure is the init's fault, not bad luck.
    pub fn is_fixed(&self) -> bool {
        matches!(self.init, Init::Radius(r) if *r == 0.0) || self.complete
    }

    /// One candidate initial point on the unconstrained scale.
    pub fn draw(&self, rng: &mut dyn rand::Rng) -> Result<Vec<f64>, crate::Error> {
        let d = self.density.dim();
        match self.init {
            Init::Radius(r) if *r > 0.0 => Ok((0..d).map(|_| rng.random_range(-r..*r)).collect()),
            Init::Radius(_) => Ok(vec![0.0; d]),
            Init::Values(_) => {
                let random: Vec<f64> = (0..d)
                    .map(|_| rng.random_range(-DEFAULT_RADIUS..DEFAULT_RADIUS))
                    .collect();
                let mut c = vec![0.0; self.density.param_names().len()];
                if !self.complete {
                    self.density.constrain(&random, &mut c);
                }
                self.with_values(&c, &self.given)
                    .map_err(|_| self.culprit(&c))
            }
        }
    }

    /// The unconstrained point of `base` with `given` put in, checked to map back to them.
    fn with_values(&self, base: &[f64], given: &[(usize, f64)]) -> Result<Vec<f64>, String> {
        let mut c = base.to_vec();
        for &(k, v) in given {
            c[k] = v;
        }
        let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.density.try_unconstrain(&c)
        }));
        let u = match call {
            Ok(Some(Ok(u))) => u,
            Ok(Some(Err(e))) => return Err(e.message().to_string()),
            Ok(None) => return Err("the model cannot map values back".into()),
            Err(_) => return Err("unconstrain panicked".into()),
        };
        if u.len() != self.density.dim() {
            return Err(format!(
                "unconstrain gave {} values for dimension {}",
                u.len(),
                self.density.dim()
            ));
        }
        if let Some(i) = u.iter().position(|v| !v.is_finite()) {
            return Err(format!("unconstrained coordinate {} is {}", i + 1, u[i]));
        }
        let mut back = vec![0.0; c.len()];
        self.density.constrain(&u, &mut back);
        for &(k, v) in given {
            if !((back[k] - v).abs() <= 1e-6 * v.abs().max(1.0)) {
                return Err(format!("maps back to {}", back[k]));
            }
        }
        Ok(u)
    }

    /// The error for values that cannot be put in: the first given value that fails alone on
    /// top of a valid point, with its reason.
    fn culprit(&self, base: &[f64]) -> crate::Error {
        let names = self.density.param_names();
        // A valid base: the reported values of a point that exists (the origin).
        let mut valid = vec![0.0; base.len()];
        self.density
            .constrain(&vec![0.0; self.density.dim()], &mut valid);
        for &(k, v) in &self.given {
            if let Err(why) = self.with_values(&valid, &[(k, v)]) {
                return crate::Error::Init {
                    reason: format!("`{}` = {v} is outside its support ({why})", names[k]),
                };
            }
        }
        let why = self
            .with_values(base, &self.given)
            .err()
            .unwrap_or_default();
        crate::Error::Init {
            reason: format!(
                "the values given do not fit together (each alone does): {why}; e.g. a simplex must sum to 1"
            ),
        }
    }

    /// The log-density and its gradient at a fixed initial point: a clear error where they are
    /// not finite (or a gradient component is 0, where nuts-rs cannot start a chain when
    /// `nonzero_gradient`).
    pub fn check_point(&self, x: &[f64], nonzero_gradient: bool) -> Result<(), crate::Error> {
        let mut g = vec![0.0; x.len()];
        let at = match self.init {
            Init::Radius(_) => "at the origin of the unconstrained space (init 0)".to_string(),
            Init::Values(_) => "at the initial values".to_string(),
        };
        match guarded_log_density(self.density, x, &mut g) {
            Err(e @ DensityError::Fatal { .. }) => Err(crate::Error::Density {
                context: format!("log-density {at}"),
                source: e,
            }),
            Err(e) => Err(crate::Error::Init {
                reason: format!("the log-density is not finite {at}: {}", e.message()),
            }),
            Ok(_) if nonzero_gradient && g.contains(&0.0) => {
                let i = g.iter().position(|v| *v == 0.0).expect("found");
                Err(crate::Error::Init {
                    reason: format!(
                        "the gradient's unconstrained coordinate {} is exactly 0 {at}, where NUTS (nuts-rs) cannot start a chain; start elsewhere (e.g. a small radius such as 0.5)",
                        i + 1
                    ),
                })
            }
            Ok(_) => Ok(()),
        }
    }
}
