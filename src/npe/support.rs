//! Per-parameter supports and the bijections that take them to ℝ: the estimator trains on
//! u = T⁻¹(θ) (log for a one-sided bound, logit for an interval, identity for ℝ), adds the
//! Jacobian to its density and maps every draw back with T, so no draw leaves the support and
//! no rejection is needed.
//!
//! | support | u = T⁻¹(θ) | log |du/dθ| |
//! |---|---|---|
//! | (a, ∞) | ln(θ − a) | −u |
//! | (−∞, b) | ln(b − θ) | −u |
//! | (a, b) | logit((θ − a)/(b − a)) | −ln(b − a) − ln s − ln(1 − s), s = (θ − a)/(b − a) |

use super::{Bounds, NpeError};

/// The support of each parameter: an interval with optional finite ends.
///
/// ```
/// use flowpost::npe::Support;
/// let s = Support::new(vec![Some(0.0), None], vec![None, None]).unwrap();
/// let mut u = [0.0; 2];
/// let log_jac = s.unconstrain(&[2.0, -1.0], &mut u);
/// assert!((u[0] - 2f64.ln()).abs() < 1e-15 && u[1] == -1.0);
/// assert!((log_jac + 2f64.ln()).abs() < 1e-15);
/// let mut theta = [0.0; 2];
/// s.constrain(&u, &mut theta);
/// assert!((theta[0] - 2.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Support {
    /// Lower ends (`None`: −∞).
    pub lower: Vec<Option<f64>>,
    /// Upper ends (`None`: +∞).
    pub upper: Vec<Option<f64>>,
}

impl Support {
    /// The support with these ends; errors on unequal lengths, non-finite ends or lower ≥
    /// upper (naming the parameter).
    pub fn new(lower: Vec<Option<f64>>, upper: Vec<Option<f64>>) -> Result<Self, NpeError> {
        let s = Support { lower, upper };
        s.validate()?;
        Ok(s)
    }

    /// ℝ^d.
    pub fn unbounded(dim: usize) -> Self {
        Support {
            lower: vec![None; dim],
            upper: vec![None; dim],
        }
    }

    /// The box [lower, upper].
    pub fn from_bounds(b: &Bounds) -> Self {
        Support {
            lower: b.lower.iter().map(|&v| Some(v)).collect(),
            upper: b.upper.iter().map(|&v| Some(v)).collect(),
        }
    }

    /// Checks the ends.
    pub fn validate(&self) -> Result<(), NpeError> {
        let bad = |reason: String| Err(NpeError::Prior { reason });
        if self.lower.len() != self.upper.len() {
            return bad(format!(
                "support needs one lower and one upper end per parameter (got {} and {})",
                self.lower.len(),
                self.upper.len()
            ));
        }
        for (i, (l, u)) in self.lower.iter().zip(&self.upper).enumerate() {
            let finite = l.is_none_or(f64::is_finite) && u.is_none_or(f64::is_finite);
            if !finite || matches!((l, u), (Some(l), Some(u)) if l >= u) {
                return bad(format!(
                    "parameter {}: support needs finite ends with lower < upper, got {}",
                    i + 1,
                    self.describe(i)
                ));
            }
        }
        Ok(())
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.lower.len()
    }

    /// Whether every parameter ranges over ℝ (the transform is the identity).
    pub fn is_unbounded(&self) -> bool {
        self.lower.iter().chain(&self.upper).all(Option::is_none)
    }

    /// Parameter `i`'s support as text, e.g. `(0, ∞)`.
    pub fn describe(&self, i: usize) -> String {
        let end = |v: Option<f64>, inf: &str| v.map_or(inf.to_string(), |v| format!("{v}"));
        format!(
            "({}, {})",
            end(self.lower[i], "-∞"),
            end(self.upper[i], "∞")
        )
    }

    /// Whether θ lies strictly inside (where the transform is defined).
    pub fn contains(&self, theta: &[f64]) -> bool {
        self.first_outside(theta).is_none()
    }

    /// The first parameter of θ outside the open support (or not finite), if any.
    pub fn first_outside(&self, theta: &[f64]) -> Option<usize> {
        theta.iter().enumerate().position(|(i, &t)| {
            !t.is_finite()
                || self.lower[i].is_some_and(|a| t <= a)
                || self.upper[i].is_some_and(|b| t >= b)
        })
    }

    /// The first parameter of θ outside the closed support (or not finite), if any.
    pub fn first_outside_closed(&self, theta: &[f64]) -> Option<usize> {
        theta.iter().enumerate().position(|(i, &t)| {
            !t.is_finite()
                || self.lower[i].is_some_and(|a| t < a)
                || self.upper[i].is_some_and(|b| t > b)
        })
    }

    /// u = T⁻¹(θ) into `u`; returns log |det ∂u/∂θ| (θ must lie inside).
    pub fn unconstrain(&self, theta: &[f64], u: &mut [f64]) -> f64 {
        let mut log_jac = 0.0;
        for (i, (&t, ui)) in theta.iter().zip(u.iter_mut()).enumerate() {
            match (self.lower[i], self.upper[i]) {
                (None, None) => *ui = t,
                (Some(a), None) => {
                    *ui = (t - a).ln();
                    log_jac -= *ui;
                }
                (None, Some(b)) => {
                    *ui = (b - t).ln();
                    log_jac -= *ui;
                }
                (Some(a), Some(b)) => {
                    let (lo, hi) = ((t - a).ln(), (b - t).ln());
                    *ui = lo - hi;
                    // s = (θ−a)/(b−a), 1 − s = (b−θ)/(b−a): −ln(b−a) − ln s − ln(1−s).
                    log_jac += (b - a).ln() - lo - hi;
                }
            }
        }
        log_jac
    }

    /// θ = T(u) into `theta`, strictly inside the support: where rounding would reach a bound
    /// (e^u below an ulp of the bound, a saturated sigmoid) or overflow (e^u beyond f64) the
    /// nearest finite float inside is taken.
    pub fn constrain(&self, u: &[f64], theta: &mut [f64]) {
        for (i, (&v, t)) in u.iter().zip(theta.iter_mut()).enumerate() {
            *t = match (self.lower[i], self.upper[i]) {
                (None, None) => v,
                (Some(a), None) => (a + v.exp()).clamp(a.next_up(), f64::MAX),
                (None, Some(b)) => (b - v.exp()).clamp(f64::MIN, b.next_down()),
                (Some(a), Some(b)) => {
                    let s = crate::bijection::transformers::sigmoid(v);
                    (a + (b - a) * s).max(a.next_up()).min(b.next_down())
                }
            };
        }
    }
}

impl From<Option<Bounds>> for Support {
    /// A box prior's support, or none: the dimension is then taken from the data (see
    /// [`Support::or_unbounded`]).
    fn from(b: Option<Bounds>) -> Self {
        match b {
            Some(b) => Support::from_bounds(&b),
            None => Support::unbounded(0),
        }
    }
}

impl Support {
    /// This support, or ℝ^`dim` where it is the empty placeholder of "no support".
    pub fn or_unbounded(self, dim: usize) -> Self {
        if self.dim() == 0 {
            Support::unbounded(dim)
        } else {
            self
        }
    }
}
