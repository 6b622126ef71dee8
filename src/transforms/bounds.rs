//! Scalar bounds: `x > a` (exp), `x < b` (−exp), `a < x < b` (scaled inverse logit).

use super::{inv_logit, inv_logit_generic, log1p_exp, log1p_exp_generic, logit};
use crate::autodiff::AdScalar;

/// A constrained scalar with the derivatives a hand-written gradient needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarConstrained {
    /// `x = T(u)`.
    pub value: f64,
    /// `dx/du`.
    pub dvalue: f64,
    /// `log |dx/du|`.
    pub log_jacobian: f64,
    /// `d log |dx/du| / du`.
    pub dlog_jacobian: f64,
}

/// Partial derivatives of a [`LowerUpperBound`] transform with respect to its bounds, for bounds
/// that depend on other parameters (Stan's `real<lower=0, upper=1 - alpha1> beta1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundPartials {
    /// `∂x/∂a`.
    pub dvalue_dlower: f64,
    /// `∂x/∂b`.
    pub dvalue_dupper: f64,
    /// `∂ log |dx/du| / ∂a`.
    pub dlog_jacobian_dlower: f64,
    /// `∂ log |dx/du| / ∂b`.
    pub dlog_jacobian_dupper: f64,
}

/// `x = lower + exp(u)`: Stan's `real<lower=a>`.
///
/// ```
/// use flowpost::transforms::LowerBound;
/// let t = LowerBound::new(0.0);
/// let c = t.constrain_with_derivatives(0.5);
/// assert_eq!(c.value, 0.5f64.exp());
/// assert_eq!(c.log_jacobian, 0.5);
/// assert!((t.unconstrain(c.value) - 0.5).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowerBound {
    /// The bound `a`.
    pub lower: f64,
}

impl LowerBound {
    /// `x > lower`.
    pub fn new(lower: f64) -> Self {
        LowerBound { lower }
    }

    /// `(x, log |dx/du|)`, generic over the scalar type.
    pub fn constrain<T: AdScalar>(&self, u: T) -> (T, T) {
        (u.exp() + self.lower, u)
    }

    /// The value with its derivatives.
    pub fn constrain_with_derivatives(&self, u: f64) -> ScalarConstrained {
        let e = u.exp();
        ScalarConstrained {
            value: self.lower + e,
            dvalue: e,
            log_jacobian: u,
            dlog_jacobian: 1.0,
        }
    }

    /// `u = log(x − a)`.
    pub fn unconstrain(&self, x: f64) -> f64 {
        (x - self.lower).ln()
    }
}

/// `x = upper − exp(u)`: Stan's `real<upper=b>`.
///
/// ```
/// use flowpost::transforms::UpperBound;
/// let t = UpperBound::new(1.0);
/// assert!(t.constrain_with_derivatives(3.0).value < 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpperBound {
    /// The bound `b`.
    pub upper: f64,
}

impl UpperBound {
    /// `x < upper`.
    pub fn new(upper: f64) -> Self {
        UpperBound { upper }
    }

    /// `(x, log |dx/du|)`, generic over the scalar type.
    pub fn constrain<T: AdScalar>(&self, u: T) -> (T, T) {
        (-u.exp() + self.upper, u)
    }

    /// The value with its derivatives.
    pub fn constrain_with_derivatives(&self, u: f64) -> ScalarConstrained {
        let e = u.exp();
        ScalarConstrained {
            value: self.upper - e,
            dvalue: -e,
            log_jacobian: u,
            dlog_jacobian: 1.0,
        }
    }

    /// `u = log(b − x)`.
    pub fn unconstrain(&self, x: f64) -> f64 {
        (self.upper - x).ln()
    }
}

/// `x = a + (b − a)·s`, `s = logit⁻¹(u)`: Stan's `real<lower=a, upper=b>`, with
/// `log |dx/du| = log(b − a) + log s + log(1 − s)`, computed as Stan does
/// (`−|u| − 2·log1p(exp(−|u|))` for the last two terms).
///
/// ```
/// use flowpost::transforms::LowerUpperBound;
/// let t = LowerUpperBound::new(0.0, 1.0);
/// let c = t.constrain_with_derivatives(0.0);
/// assert_eq!(c.value, 0.5);
/// assert!((c.log_jacobian - 0.25f64.ln()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LowerUpperBound {
    /// The lower bound `a`.
    pub lower: f64,
    /// The upper bound `b > a`.
    pub upper: f64,
}

impl LowerUpperBound {
    /// `lower < x < upper`.
    #[track_caller]
    pub fn new(lower: f64, upper: f64) -> Self {
        assert!(
            lower < upper,
            "LowerUpperBound needs lower < upper, got {lower} and {upper}"
        );
        LowerUpperBound { lower, upper }
    }

    /// `(x, log |dx/du|)`, generic over the scalar type.
    pub fn constrain<T: AdScalar>(&self, u: T) -> (T, T) {
        let width = self.upper - self.lower;
        let s = inv_logit_generic(u);
        let abs_u = if u.re() < 0.0 { -u } else { u };
        let log_j = -abs_u - log1p_exp_generic(-abs_u) * 2.0 + width.ln();
        (s * width + self.lower, log_j)
    }

    /// The value with its derivatives.
    pub fn constrain_with_derivatives(&self, u: f64) -> ScalarConstrained {
        let width = self.upper - self.lower;
        let s = inv_logit(u);
        ScalarConstrained {
            value: self.lower + width * s,
            dvalue: width * s * (1.0 - s),
            log_jacobian: width.ln() - u.abs() - 2.0 * log1p_exp(-u.abs()),
            dlog_jacobian: 1.0 - 2.0 * s,
        }
    }

    /// Derivatives with respect to the bounds at `u`.
    pub fn bound_partials(&self, u: f64) -> BoundPartials {
        let s = inv_logit(u);
        let inv_width = 1.0 / (self.upper - self.lower);
        BoundPartials {
            dvalue_dlower: 1.0 - s,
            dvalue_dupper: s,
            dlog_jacobian_dlower: -inv_width,
            dlog_jacobian_dupper: inv_width,
        }
    }

    /// `u = logit((x − a) / (b − a))`.
    pub fn unconstrain(&self, x: f64) -> f64 {
        logit((x - self.lower) / (self.upper - self.lower))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::{assert_close, fd};

    fn check(c: impl Fn(f64) -> ScalarConstrained, unc: impl Fn(f64) -> f64, us: &[f64]) {
        for &u in us {
            let r = c(u);
            assert_close(unc(r.value), u, 1e-9, "round trip");
            let dx = fd(|v| c(v).value, u);
            assert_close(r.dvalue, dx, 1e-7, "dx/du");
            assert_close(
                r.log_jacobian,
                dx.abs().ln(),
                1e-7,
                "log-Jacobian vs finite differences",
            );
            assert_close(
                r.dlog_jacobian,
                fd(|v| c(v).log_jacobian, u),
                1e-7,
                "dlogJ/du",
            );
        }
    }

    const POINTS: [f64; 7] = [-6.0, -2.3, -0.4, 0.0, 0.7, 1.9, 5.5];

    #[test]
    fn lower_bound() {
        let t = LowerBound::new(-1.5);
        check(
            |u| t.constrain_with_derivatives(u),
            |x| t.unconstrain(x),
            &POINTS,
        );
        let (x, lj) = t.constrain(0.3);
        assert_eq!((x, lj), (t.constrain_with_derivatives(0.3).value, 0.3));
    }

    #[test]
    fn upper_bound() {
        let t = UpperBound::new(2.0);
        check(
            |u| t.constrain_with_derivatives(u),
            |x| t.unconstrain(x),
            &POINTS,
        );
        assert!(t.constrain(5.0f64).0 < 2.0);
    }

    #[test]
    fn lower_upper_bound() {
        let t = LowerUpperBound::new(-0.5, 3.0);
        check(
            |u| t.constrain_with_derivatives(u),
            |x| t.unconstrain(x),
            &POINTS,
        );
        for &u in &POINTS {
            let (x, lj) = t.constrain(u);
            let r = t.constrain_with_derivatives(u);
            assert_close(x, r.value, 1e-14, "generic value");
            assert_close(lj, r.log_jacobian, 1e-14, "generic log-Jacobian");
        }
        // far in the tails the log-Jacobian stays finite
        assert!(t.constrain_with_derivatives(800.0).log_jacobian.is_finite());
        assert!(
            t.constrain_with_derivatives(-800.0)
                .log_jacobian
                .is_finite()
        );
    }

    #[test]
    fn bound_partials_match_finite_differences() {
        let (a, b, u) = (0.2, 1.7, -0.8);
        let p = LowerUpperBound::new(a, b).bound_partials(u);
        let at = |a: f64, b: f64| LowerUpperBound::new(a, b).constrain_with_derivatives(u);
        assert_close(p.dvalue_dlower, fd(|v| at(v, b).value, a), 1e-7, "dx/da");
        assert_close(p.dvalue_dupper, fd(|v| at(a, v).value, b), 1e-7, "dx/db");
        assert_close(
            p.dlog_jacobian_dlower,
            fd(|v| at(v, b).log_jacobian, a),
            1e-7,
            "dlogJ/da",
        );
        assert_close(
            p.dlog_jacobian_dupper,
            fd(|v| at(a, v).log_jacobian, b),
            1e-7,
            "dlogJ/db",
        );
    }
}
