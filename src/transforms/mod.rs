//! Stan's constraining transforms, with log-Jacobians and the derivatives a hand-written gradient
//! needs.
//!
//! A model with a constrained parameter samples an unconstrained `u ∈ ℝ^n`, maps it to the
//! constrained value `x = T(u)`, and adds `log |det ∂T/∂u|` to its log-density (this module's
//! `log_jacobian`); the gradient then needs `Jᵀ ∇ₓ log p + ∇ᵤ log |det J|` (this module's
//! `backprop`). The maps are the ones in the Stan Reference Manual, chapter "Constraint
//! Transforms":
//!
//! | transform | map | log-Jacobian |
//! |---|---|---|
//! | [`LowerBound`] | `x = a + exp(u)` | `u` |
//! | [`UpperBound`] | `x = b − exp(u)` | `u` |
//! | [`LowerUpperBound`] | `x = a + (b − a)·logit⁻¹(u)` | `log(b − a) + log s + log(1 − s)` |
//! | [`Ordered`] | `x₁ = u₁, x_k = x_{k−1} + exp(u_k)` | `Σ_{k≥2} u_k` |
//! | [`PositiveOrdered`] | `x₁ = exp(u₁), x_k = x_{k−1} + exp(u_k)` | `Σ u_k` |
//! | [`Simplex`] | stick-breaking, `K − 1 → K` | see [`Simplex`] |
//!
//! The scalar bounds work on any [`AdScalar`] (so `f64` and the dual
//! numbers of [`crate::autodiff`]); the vector transforms implement [`VectorTransform`].

mod bounds;
mod ordered;
mod simplex;

pub use bounds::{BoundPartials, LowerBound, LowerUpperBound, ScalarConstrained, UpperBound};
pub use ordered::{Ordered, PositiveOrdered};
pub use simplex::Simplex;

use crate::autodiff::AdScalar;

/// A constraining transform from ℝ^n to a constrained subset of ℝ^m.
///
/// ```
/// use flowpost::transforms::{Ordered, VectorTransform};
///
/// let t = Ordered::new(3);
/// let u = [0.5, -1.0, 0.0];
/// let mut x = [0.0; 3];
/// let log_j = t.constrain(&u, &mut x);
/// assert!(x[0] < x[1] && x[1] < x[2]);
/// assert_eq!(log_j, -1.0);
/// let mut back = [0.0; 3];
/// t.unconstrain(&x, &mut back);
/// assert!((back[1] - u[1]).abs() < 1e-12);
/// ```
pub trait VectorTransform {
    /// n, the length of the unconstrained vector.
    fn unconstrained_len(&self) -> usize;

    /// m, the length of the constrained vector.
    fn constrained_len(&self) -> usize;

    /// Writes `x = T(u)` and returns `log |det J(u)|` (for a simplex, of the map onto its first
    /// `K − 1` coordinates). Works on `f64` and on dual numbers.
    fn constrain<T: AdScalar>(&self, u: &[T], x: &mut [T]) -> T;

    /// The inverse map: writes `u = T⁻¹(x)` for `x` inside the constrained set.
    fn unconstrain(&self, x: &[f64], u: &mut [f64]);

    /// Writes `grad_u = J(u)ᵀ grad_x + ∇ᵤ log |det J(u)|`: the chain rule from a gradient with
    /// respect to the constrained value to the unconstrained one, Jacobian term included.
    fn backprop(&self, u: &[f64], grad_x: &[f64], grad_u: &mut [f64]);
}

/// `1 / (1 + exp(−u))`, without overflow for large `|u|`.
///
/// ```
/// assert_eq!(flowpost::transforms::inv_logit(0.0), 0.5);
/// assert_eq!(flowpost::transforms::inv_logit(800.0), 1.0);
/// assert!(flowpost::transforms::inv_logit(-800.0) >= 0.0);
/// ```
pub fn inv_logit(u: f64) -> f64 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let e = u.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + exp(u))`, accurate for large and small `u`.
///
/// ```
/// let v = flowpost::transforms::log1p_exp(1000.0);
/// assert_eq!(v, 1000.0);
/// ```
pub fn log1p_exp(u: f64) -> f64 {
    if u > 0.0 {
        u + (-u).exp().ln_1p()
    } else {
        u.exp().ln_1p()
    }
}

/// `log(x / (1 − x))`.
///
/// ```
/// assert_eq!(flowpost::transforms::logit(0.5), 0.0);
/// ```
pub fn logit(x: f64) -> f64 {
    (x / (1.0 - x)).ln()
}

/// Generic `1 / (1 + exp(−u))` for dual numbers, branching on the real part for stability.
pub(crate) fn inv_logit_generic<T: AdScalar>(u: T) -> T {
    if u.re() >= 0.0 {
        ((-u).exp() + 1.0).recip()
    } else {
        let e = u.exp();
        e / (e + 1.0)
    }
}

/// Generic `log(1 + exp(u))`.
pub(crate) fn log1p_exp_generic<T: AdScalar>(u: T) -> T {
    crate::autodiff::math::log1p_exp(u)
}

#[cfg(test)]
pub(crate) mod testing;
