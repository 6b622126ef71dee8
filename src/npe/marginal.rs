//! Independent per-parameter priors ([`IndependentPrior`]) of the families a user declares in
//! Rust or in the small JSON prior spec of the command line ([`IndependentPrior::from_json`]):
//! uniform, normal, log-normal, gamma, beta, half-normal, each with its support, so the
//! estimator trains on the unconstrained parameters (see [`Support`]).
//!
//! The JSON spec's format: [`IndependentPrior::from_json`].

use super::{Bounds, NpeError, Prior, Support};
use rand_distr::Distribution;
use statrs::function::gamma::ln_gamma;

/// One parameter's prior (a spec entry: `{"family": "gamma", "shape": 2, "rate": 1}`).
///
/// ```
/// use flowpost::npe::Marginal;
/// let m = Marginal::Gamma { shape: 2.0, rate: 1.0 };
/// assert_eq!((m.family(), m.support()), ("gamma", (Some(0.0), None)));
/// // Gamma(2, 1) at θ = 1: θ e^(−θ) / Γ(2) = e^(−1).
/// assert!((m.log_density(1.0) + 1.0).abs() < 1e-12);
/// assert_eq!(m.log_density(-1.0), f64::NEG_INFINITY);
/// assert!(Marginal::HalfNormal { sd: -1.0 }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "family", rename_all = "snake_case", deny_unknown_fields)]
pub enum Marginal {
    /// U(lower, upper).
    Uniform {
        /// Lower end.
        lower: f64,
        /// Upper end.
        upper: f64,
    },
    /// N(mean, sd²).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// log θ ~ N(mu, sigma²).
    LogNormal {
        /// Mean of log θ.
        mu: f64,
        /// Standard deviation of log θ.
        sigma: f64,
    },
    /// Gamma(shape, rate): density ∝ θ^(shape−1) e^(−rate θ).
    Gamma {
        /// Shape.
        shape: f64,
        /// Rate (1 / scale).
        rate: f64,
    },
    /// Beta(alpha, beta) on (0, 1).
    Beta {
        /// α.
        alpha: f64,
        /// β.
        beta: f64,
    },
    /// |N(0, sd²)| on (0, ∞).
    HalfNormal {
        /// Standard deviation of the underlying normal.
        sd: f64,
    },
}

pub(super) const FAMILIES: &str = "uniform, normal, log_normal, gamma, beta, half_normal";
const LN_2PI: f64 = 1.837_877_066_409_345_5;

impl Marginal {
    /// Checks the parameters (positive scales, lower < upper, finite).
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| match v > 0.0 && v.is_finite() {
            true => Ok(()),
            false => Err(format!("`{name}` must be positive and finite, got {v}")),
        };
        let finite = |name: &str, v: f64| match v.is_finite() {
            true => Ok(()),
            false => Err(format!("`{name}` must be finite, got {v}")),
        };
        match *self {
            Marginal::Uniform { lower, upper } => {
                finite("lower", lower)?;
                finite("upper", upper)?;
                if lower >= upper {
                    return Err(format!("needs lower < upper, got [{lower}, {upper}]"));
                }
                Ok(())
            }
            Marginal::Normal { mean, sd } => finite("mean", mean).and(positive("sd", sd)),
            Marginal::LogNormal { mu, sigma } => finite("mu", mu).and(positive("sigma", sigma)),
            Marginal::Gamma { shape, rate } => positive("shape", shape).and(positive("rate", rate)),
            Marginal::Beta { alpha, beta } => positive("alpha", alpha).and(positive("beta", beta)),
            Marginal::HalfNormal { sd } => positive("sd", sd),
        }
    }

    /// The family's name as written in a prior spec, e.g. `log_normal`.
    pub fn family(&self) -> &'static str {
        match self {
            Marginal::Uniform { .. } => "uniform",
            Marginal::Normal { .. } => "normal",
            Marginal::LogNormal { .. } => "log_normal",
            Marginal::Gamma { .. } => "gamma",
            Marginal::Beta { .. } => "beta",
            Marginal::HalfNormal { .. } => "half_normal",
        }
    }

    /// (lower, upper) ends of the support.
    pub fn support(&self) -> (Option<f64>, Option<f64>) {
        match *self {
            Marginal::Uniform { lower, upper } => (Some(lower), Some(upper)),
            Marginal::Normal { .. } => (None, None),
            Marginal::Beta { .. } => (Some(0.0), Some(1.0)),
            _ => (Some(0.0), None),
        }
    }

    /// One draw.
    pub fn sample(&self, rng: &mut dyn rand::Rng) -> f64 {
        fn z(rng: &mut dyn rand::Rng) -> f64 {
            rand_distr::StandardNormal.sample(rng)
        }
        match *self {
            Marginal::Uniform { lower, upper } => {
                let u: f64 = rand::RngExt::random(rng);
                lower + u * (upper - lower)
            }
            Marginal::Normal { mean, sd } => mean + sd * z(rng),
            Marginal::LogNormal { mu, sigma } => (mu + sigma * z(rng)).exp(),
            Marginal::HalfNormal { sd } => (sd * z(rng)).abs(),
            Marginal::Gamma { shape, rate } => rand_distr::Gamma::new(shape, 1.0 / rate)
                .expect("validated shape and rate")
                .sample(rng),
            Marginal::Beta { alpha, beta } => rand_distr::Beta::new(alpha, beta)
                .expect("validated alpha and beta")
                .sample(rng),
        }
    }

    /// log p(θ) (−∞ outside the support).
    pub fn log_density(&self, t: f64) -> f64 {
        let (lo, hi) = self.support();
        if !t.is_finite() || lo.is_some_and(|a| t <= a) || hi.is_some_and(|b| t >= b) {
            return f64::NEG_INFINITY;
        }
        match *self {
            Marginal::Uniform { lower, upper } => -(upper - lower).ln(),
            Marginal::Normal { mean, sd } => {
                let r = (t - mean) / sd;
                -0.5 * (r * r + LN_2PI) - sd.ln()
            }
            Marginal::LogNormal { mu, sigma } => {
                let r = (t.ln() - mu) / sigma;
                -0.5 * (r * r + LN_2PI) - sigma.ln() - t.ln()
            }
            Marginal::HalfNormal { sd } => {
                let r = t / sd;
                -0.5 * (r * r + LN_2PI) - sd.ln() + std::f64::consts::LN_2
            }
            Marginal::Gamma { shape, rate } => {
                shape * rate.ln() - ln_gamma(shape) + (shape - 1.0) * t.ln() - rate * t
            }
            Marginal::Beta { alpha, beta } => {
                let ln_b = ln_gamma(alpha) + ln_gamma(beta) - ln_gamma(alpha + beta);
                (alpha - 1.0) * t.ln() + (beta - 1.0) * (-t).ln_1p() - ln_b
            }
        }
    }
}

/// Independent priors, one [`Marginal`] per parameter, with optional names.
///
/// ```
/// use flowpost::npe::{IndependentPrior, Marginal, Prior};
/// let p = IndependentPrior::new(vec![
///     Marginal::LogNormal { mu: 0.0, sigma: 1.0 },
///     Marginal::Beta { alpha: 2.0, beta: 2.0 },
/// ]).unwrap();
/// assert_eq!(p.support().describe(0), "(0, ∞)");
/// assert!(p.log_density(&[-1.0, 0.5]).is_infinite());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IndependentPrior {
    marginals: Vec<Marginal>,
    names: Vec<String>,
}

impl IndependentPrior {
    /// The product of `marginals`; errors name the first invalid one.
    pub fn new(marginals: Vec<Marginal>) -> Result<Self, NpeError> {
        let names = (1..=marginals.len())
            .map(|i| format!("parameter_{i}"))
            .collect();
        Self::with_names(marginals, names)
    }

    /// As [`new`](Self::new) with parameter names (used in errors and as θ labels).
    pub fn with_names(marginals: Vec<Marginal>, names: Vec<String>) -> Result<Self, NpeError> {
        if marginals.is_empty() || names.len() != marginals.len() {
            return Err(NpeError::Prior {
                reason: "a prior needs one marginal (and one name) per parameter".into(),
            });
        }
        for (i, m) in marginals.iter().enumerate() {
            m.validate().map_err(|reason| NpeError::Prior {
                reason: format!("parameter {} (`{}`): {reason}", i + 1, names[i]),
            })?;
        }
        Ok(IndependentPrior { marginals, names })
    }

    /// The marginals.
    pub fn marginals(&self) -> &[Marginal] {
        &self.marginals
    }

    /// The parameter names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl Prior for IndependentPrior {
    fn dim(&self) -> usize {
        self.marginals.len()
    }
    fn sample(&self, rng: &mut dyn rand::Rng, theta: &mut [f64]) {
        for (t, m) in theta.iter_mut().zip(&self.marginals) {
            *t = m.sample(rng);
        }
    }
    fn log_density(&self, theta: &[f64]) -> f64 {
        theta
            .iter()
            .zip(&self.marginals)
            .map(|(&t, m)| m.log_density(t))
            .sum()
    }
    fn in_support(&self, theta: &[f64]) -> bool {
        self.log_density(theta) > f64::NEG_INFINITY
    }
    fn bounds(&self) -> Option<Bounds> {
        let (mut lower, mut upper) = (Vec::new(), Vec::new());
        for m in &self.marginals {
            match m {
                Marginal::Uniform { lower: l, upper: u } => {
                    lower.push(*l);
                    upper.push(*u);
                }
                _ => return None,
            }
        }
        Some(Bounds { lower, upper })
    }
    fn support(&self) -> Support {
        let (lower, upper) = self.marginals.iter().map(Marginal::support).unzip();
        Support { lower, upper }
    }
}
