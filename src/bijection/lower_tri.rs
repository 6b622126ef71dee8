//! Dense lower-triangular affine map y = loc + L x, L = diag(exp(log_diag)) + strictly lower part.
//!
//! Parameters: `[loc (d), log_diag (d), rows of the strictly lower part (row i has i entries)]`.
//! With L the Cholesky factor of a covariance Σ, this maps N(0, I) to N(loc, Σ): the layer that
//! carries a Gaussian (Laplace / Pathfinder-style) fit of the target.

use super::{Bijection, LayerSpec, assert_len};
use crate::linalg::{axpy, dot};

/// Dense lower-triangular affine layer.
///
/// ```
/// use flowpost::bijection::{Bijection, LowerTriangularAffine};
/// // Σ = [[4, 2], [2, 2]] has Cholesky factor [[2, 0], [1, 1]].
/// let params = LowerTriangularAffine::params_for(&[1.0, 0.0], &[vec![2.0], vec![1.0, 1.0]]).unwrap();
/// let layer = LowerTriangularAffine::new(2);
/// let mut y = [0.0; 2];
/// let log_det = layer.transform(&params, &[1.0, 1.0], &[], &mut y, &mut []);
/// assert_eq!(y, [3.0, 2.0]);
/// assert!((log_det - 2f64.ln()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LowerTriangularAffine {
    dim: usize,
}

impl LowerTriangularAffine {
    /// A layer of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        LowerTriangularAffine { dim }
    }

    /// Parameters for a location and a lower-triangular factor given as rows (row i has i + 1
    /// entries, the last one the positive diagonal). `None` if a diagonal entry is not positive
    /// or the shapes do not match.
    pub fn params_for(loc: &[f64], rows: &[Vec<f64>]) -> Option<Vec<f64>> {
        let d = loc.len();
        if rows.len() != d || rows.iter().enumerate().any(|(i, r)| r.len() != i + 1) {
            return None;
        }
        let mut p = loc.to_vec();
        for r in rows {
            let diag = r[r.len() - 1];
            if !(diag > 0.0 && diag.is_finite()) {
                return None;
            }
            p.push(diag.ln());
        }
        for r in rows {
            p.extend_from_slice(&r[..r.len() - 1]);
        }
        Some(p)
    }

    /// The strictly lower entries of row i (length i).
    #[inline]
    fn row<'a>(&self, params: &'a [f64], i: usize) -> &'a [f64] {
        let start = 2 * self.dim + i * i.saturating_sub(1) / 2;
        &params[start..start + i]
    }

    fn check(&self, params: &[f64], a: &[f64], b: &[f64]) {
        assert_len("params", params.len(), self.num_params());
        assert_len("input", a.len(), self.dim);
        assert_len("output", b.len(), self.dim);
    }
}

impl Bijection for LowerTriangularAffine {
    fn dim(&self) -> usize {
        self.dim
    }

    fn context_dim(&self) -> usize {
        0
    }

    fn num_params(&self) -> usize {
        2 * self.dim + self.dim * self.dim.saturating_sub(1) / 2
    }

    fn tape_len(&self) -> usize {
        0
    }

    fn init_params(&self, params: &mut [f64], _rng: &mut dyn rand::Rng) {
        assert_len("params", params.len(), self.num_params());
        params.fill(0.0);
    }

    fn transform(
        &self,
        params: &[f64],
        x: &[f64],
        _context: &[f64],
        y: &mut [f64],
        _tape: &mut [f64],
    ) -> f64 {
        self.check(params, x, y);
        let d = self.dim;
        let mut log_det = 0.0;
        for i in 0..d {
            let ld = params[d + i];
            y[i] = params[i] + ld.exp() * x[i] + dot(self.row(params, i), &x[..i]);
            log_det += ld;
        }
        log_det
    }

    fn inverse(
        &self,
        params: &[f64],
        y: &[f64],
        _context: &[f64],
        x: &mut [f64],
        _tape: &mut [f64],
    ) -> f64 {
        self.check(params, x, y);
        let d = self.dim;
        let mut log_det = 0.0;
        for i in 0..d {
            let ld = params[d + i];
            let r = y[i] - params[i] - dot(self.row(params, i), &x[..i]);
            x[i] = r * (-ld).exp();
            log_det += ld;
        }
        log_det
    }

    fn vjp(
        &self,
        params: &[f64],
        x: &[f64],
        _context: &[f64],
        _tape: &mut [f64],
        gy: &[f64],
        g_log_det: f64,
        gx: &mut [f64],
        _g_context: Option<&mut [f64]>,
        gparams: Option<&mut [f64]>,
    ) {
        self.check(params, gy, gx);
        let d = self.dim;
        for i in 0..d {
            gx[i] = gy[i] * params[d + i].exp();
        }
        for i in 1..d {
            axpy(gy[i], self.row(params, i), &mut gx[..i]);
        }
        if let Some(gp) = gparams {
            assert_len("gparams", gp.len(), self.num_params());
            for i in 0..d {
                gp[i] += gy[i];
                gp[d + i] += gy[i] * params[d + i].exp() * x[i] + g_log_det;
                let start = 2 * d + i * i.saturating_sub(1) / 2;
                axpy(gy[i], &x[..i], &mut gp[start..start + i]);
            }
        }
    }

    fn solve_jacobian_transpose(
        &self,
        params: &[f64],
        _x: &[f64],
        _context: &[f64],
        _tape: &mut [f64],
        v: &[f64],
        u: &mut [f64],
    ) {
        // Lᵀ u = v is upper triangular: back substitution, row i of L feeding columns j < i.
        let d = self.dim;
        u.copy_from_slice(v);
        for i in (0..d).rev() {
            u[i] *= (-params[d + i]).exp();
            let ui = u[i];
            axpy(-ui, self.row(params, i), &mut u[..i]);
        }
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::LowerTriangularAffine { dim: self.dim }
    }
}
