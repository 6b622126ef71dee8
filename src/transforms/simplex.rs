//! Unit simplexes by stick-breaking, as Stan (up to 2.36) defines `simplex[K]`.

use super::{VectorTransform, inv_logit, log1p_exp, logit};
use crate::autodiff::AdScalar;

/// Stan's `simplex[K]` by stick-breaking (Stan Reference Manual ≤ 2.36, "Unit simplex"):
/// `K − 1` unconstrained values; with `s₀ = 1`,
/// `z_k = logit⁻¹(u_k − log(K − 1 − k))` (k from 0), `x_k = s_k z_k`, `s_{k+1} = s_k − x_k`,
/// `x_{K−1} = s_{K−1}`. The density is on the first `K − 1` coordinates:
/// `log |det J| = Σ_k log s_k + log z_k + log(1 − z_k)`. The offset makes `u = 0` the
/// simplex's centre. For `K = 2` it is `x₁ = logit⁻¹(u)`.
///
/// This is the map of the Stan reference manual's older editions and of the Stan that produced
/// posteriordb's reference draws (rstan 2.19–2.21). Newer Stan Math (5.3, in Stan 2.39) maps
/// simplexes through the inverse isometric log-ratio transform instead; the posterior on the
/// simplex is the same, only the unconstrained coordinates differ (for `K = 2` by a constant
/// factor: Stan 2.39's `y` is `u / √2`).
///
/// ```
/// use flowpost::transforms::{Simplex, VectorTransform};
/// let t = Simplex::new(3);
/// let mut x = [0.0f64; 3];
/// t.constrain(&[0.0, 0.0], &mut x);
/// for v in x { assert!((v - 1.0f64 / 3.0).abs() < 1e-15); }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simplex {
    k: usize,
}

impl Simplex {
    /// A simplex with `k ≥ 1` coordinates (`k − 1` free).
    #[track_caller]
    pub const fn new(k: usize) -> Self {
        assert!(k >= 1, "a simplex needs at least one coordinate");
        Simplex { k }
    }

    #[track_caller]
    fn check(&self, unc: usize, con: usize) {
        assert!(
            unc == self.k - 1 && con == self.k,
            "simplex[{}] needs {} unconstrained and {} constrained values, got {unc} and {con}",
            self.k,
            self.k - 1,
            self.k
        );
    }

    fn offset(&self, i: usize) -> f64 {
        ((self.k - 1 - i) as f64).ln()
    }
}

impl VectorTransform for Simplex {
    fn unconstrained_len(&self) -> usize {
        self.k - 1
    }
    fn constrained_len(&self) -> usize {
        self.k
    }
    #[track_caller]
    fn constrain<T: AdScalar>(&self, u: &[T], x: &mut [T]) -> T {
        self.check(u.len(), x.len());
        let mut stick = T::from(1.0);
        let mut log_j = T::from(0.0);
        for i in 0..self.k - 1 {
            let adj = u[i] - self.offset(i);
            let z = super::inv_logit_generic(adj);
            x[i] = stick * z;
            log_j += stick.ln() - super::log1p_exp_generic(-adj) - super::log1p_exp_generic(adj);
            stick -= x[i];
        }
        x[self.k - 1] = stick;
        log_j
    }
    #[track_caller]
    fn unconstrain(&self, x: &[f64], u: &mut [f64]) {
        self.check(u.len(), x.len());
        let mut stick = 1.0;
        for i in 0..self.k - 1 {
            u[i] = logit(x[i] / stick) + self.offset(i);
            stick -= x[i];
        }
    }
    #[track_caller]
    fn backprop(&self, u: &[f64], grad_x: &[f64], grad_u: &mut [f64]) {
        self.check(u.len(), grad_x.len());
        self.check(grad_u.len(), grad_x.len());
        let n = self.k - 1;
        // forward pass: keep the stick lengths s_k in grad_u
        let mut stick = 1.0;
        for i in 0..n {
            grad_u[i] = stick;
            stick *= 1.0 - inv_logit(u[i] - self.offset(i));
        }
        // reverse pass: g_s is the adjoint of s_{i+1}
        let mut g_s = grad_x[n];
        for i in (0..n).rev() {
            let s = grad_u[i];
            let adj = u[i] - self.offset(i);
            let z = inv_logit(adj);
            let one_minus_z = (-log1p_exp(adj)).exp();
            grad_u[i] = (grad_x[i] - g_s) * s * z * one_minus_z + one_minus_z - z;
            g_s = grad_x[i] * z + g_s * one_minus_z + 1.0 / s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::testing::check_vector_transform;

    #[test]
    fn simplex_properties() {
        check_vector_transform(&Simplex::new(2), &[0.7], &[0.4, -1.3]);
        check_vector_transform(&Simplex::new(4), &[0.3, -1.2, 0.8], &[1.0, -2.0, 0.5, 0.3]);
        check_vector_transform(
            &Simplex::new(5),
            &[-2.0, 1.5, 0.1, 0.4],
            &[0.2, 0.1, 3.0, -1.0, 0.0],
        );
    }

    #[test]
    fn simplex_sums_to_one_and_k2_is_inv_logit() {
        let mut x = [0.0; 4];
        Simplex::new(4).constrain(&[3.0, -4.0, 0.5], &mut x);
        assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(x.iter().all(|&v| v > 0.0));
        let mut y = [0.0; 2];
        let lj = Simplex::new(2).constrain(&[0.8], &mut y);
        let s = inv_logit(0.8);
        assert!((y[0] - s).abs() < 1e-15 && (lj - (s * (1.0 - s)).ln()).abs() < 1e-14);
    }
}
