//! Ordered vectors: `ordered[K]` and `positive_ordered[K]`.

use super::VectorTransform;
use crate::autodiff::AdScalar;

/// Stan's `ordered[K]`: `x₁ = u₁`, `x_k = x_{k−1} + exp(u_k)`; `log |det J| = Σ_{k≥2} u_k`.
///
/// ```
/// use flowpost::transforms::{Ordered, VectorTransform};
/// let mut x = [0.0; 2];
/// Ordered::new(2).constrain(&[1.0, 0.0], &mut x);
/// assert_eq!(x, [1.0, 2.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ordered {
    len: usize,
}

impl Ordered {
    /// An ordered vector of length `len`.
    pub const fn new(len: usize) -> Self {
        Ordered { len }
    }
}

/// Stan's `positive_ordered[K]`: `x₁ = exp(u₁)`, `x_k = x_{k−1} + exp(u_k)`;
/// `log |det J| = Σ u_k`.
///
/// ```
/// use flowpost::transforms::{PositiveOrdered, VectorTransform};
/// let mut x = [0.0; 2];
/// let lj = PositiveOrdered::new(2).constrain(&[0.0, 0.0], &mut x);
/// assert_eq!((x, lj), ([1.0, 2.0], 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositiveOrdered {
    len: usize,
}

impl PositiveOrdered {
    /// A positive ordered vector of length `len`.
    pub const fn new(len: usize) -> Self {
        PositiveOrdered { len }
    }
}

#[track_caller]
fn check_lens(len: usize, a: usize, b: usize) {
    assert!(
        a == len && b == len,
        "ordered transform of length {len} given slices of {a} and {b}"
    );
}

/// `x_k = x_{k−1} + exp(u_k)` for k ≥ 1, given x₀; returns Σ_{k≥1} u_k.
fn cumulate<T: AdScalar>(u: &[T], x: &mut [T]) -> T {
    let mut log_j = T::from(0.0);
    for k in 1..u.len() {
        x[k] = x[k - 1] + u[k].exp();
        log_j += u[k];
    }
    log_j
}

/// `grad_u_k = exp(u_k) Σ_{j≥k} grad_x_j + 1` for k ≥ 1; returns Σ_j grad_x_j.
fn backprop_tail(u: &[f64], grad_x: &[f64], grad_u: &mut [f64]) -> f64 {
    let mut tail = 0.0;
    for k in (1..u.len()).rev() {
        tail += grad_x[k];
        grad_u[k] = u[k].exp() * tail + 1.0;
    }
    tail + grad_x.first().copied().unwrap_or(0.0)
}

impl VectorTransform for Ordered {
    fn unconstrained_len(&self) -> usize {
        self.len
    }
    fn constrained_len(&self) -> usize {
        self.len
    }
    #[track_caller]
    fn constrain<T: AdScalar>(&self, u: &[T], x: &mut [T]) -> T {
        check_lens(self.len, u.len(), x.len());
        if self.len == 0 {
            return T::from(0.0);
        }
        x[0] = u[0];
        cumulate(u, x)
    }
    #[track_caller]
    fn unconstrain(&self, x: &[f64], u: &mut [f64]) {
        check_lens(self.len, x.len(), u.len());
        if self.len == 0 {
            return;
        }
        u[0] = x[0];
        for k in 1..self.len {
            u[k] = (x[k] - x[k - 1]).ln();
        }
    }
    #[track_caller]
    fn backprop(&self, u: &[f64], grad_x: &[f64], grad_u: &mut [f64]) {
        check_lens(self.len, u.len(), grad_x.len());
        check_lens(self.len, grad_u.len(), grad_u.len());
        if self.len == 0 {
            return;
        }
        grad_u[0] = backprop_tail(u, grad_x, grad_u);
    }
}

impl VectorTransform for PositiveOrdered {
    fn unconstrained_len(&self) -> usize {
        self.len
    }
    fn constrained_len(&self) -> usize {
        self.len
    }
    #[track_caller]
    fn constrain<T: AdScalar>(&self, u: &[T], x: &mut [T]) -> T {
        check_lens(self.len, u.len(), x.len());
        if self.len == 0 {
            return T::from(0.0);
        }
        x[0] = u[0].exp();
        cumulate(u, x) + u[0]
    }
    #[track_caller]
    fn unconstrain(&self, x: &[f64], u: &mut [f64]) {
        check_lens(self.len, x.len(), u.len());
        if self.len == 0 {
            return;
        }
        u[0] = x[0].ln();
        for k in 1..self.len {
            u[k] = (x[k] - x[k - 1]).ln();
        }
    }
    #[track_caller]
    fn backprop(&self, u: &[f64], grad_x: &[f64], grad_u: &mut [f64]) {
        check_lens(self.len, u.len(), grad_x.len());
        check_lens(self.len, grad_u.len(), grad_u.len());
        if self.len == 0 {
            return;
        }
        grad_u[0] = u[0].exp() * backprop_tail(u, grad_x, grad_u) + 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::check_vector_transform;

    #[test]
    fn ordered_properties() {
        check_vector_transform(&Ordered::new(1), &[0.3], &[1.2]);
        check_vector_transform(
            &Ordered::new(4),
            &[0.3, -1.2, 0.8, 0.0],
            &[1.0, -2.0, 0.5, 0.3],
        );
    }

    #[test]
    fn positive_ordered_properties() {
        check_vector_transform(&PositiveOrdered::new(2), &[1.1, 2.0], &[-0.7, 0.4]);
        check_vector_transform(
            &PositiveOrdered::new(4),
            &[-0.3, -1.2, 0.8, 0.1],
            &[1.0, -2.0, 0.5, 0.3],
        );
        let mut x = [0.0; 3];
        PositiveOrdered::new(3).constrain(&[-5.0, -3.0, 2.0], &mut x);
        assert!(x[0] > 0.0 && x[0] < x[1] && x[1] < x[2]);
    }
}
