//! A fixed permutation of coordinates (no parameters, log-det 0): y_i = x_{perm[i]}.
//! Between masked autoregressive layers it changes which coordinates condition which.

use super::{Bijection, LayerSpec, assert_len};

/// Coordinate permutation `y[i] = x[perm[i]]`.
///
/// ```
/// use flowpost::bijection::{Bijection, Permutation};
/// let rev = Permutation::reversal(3);
/// let mut y = [0.0; 3];
/// assert_eq!(rev.transform(&[], &[1.0, 2.0, 3.0], &[], &mut y, &mut []), 0.0);
/// assert_eq!(y, [3.0, 2.0, 1.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Permutation {
    perm: Vec<usize>,
}

impl Permutation {
    /// The permutation `perm`, or `None` if it is not a permutation of 0..n.
    pub fn new(perm: Vec<usize>) -> Option<Self> {
        let mut seen = vec![false; perm.len()];
        for &p in &perm {
            if p >= perm.len() || std::mem::replace(&mut seen[p], true) {
                return None;
            }
        }
        Some(Permutation { perm })
    }

    /// The reversal of 0..dim.
    pub fn reversal(dim: usize) -> Self {
        Permutation {
            perm: (0..dim).rev().collect(),
        }
    }

    /// The index map.
    pub fn indices(&self) -> &[usize] {
        &self.perm
    }
}

impl Bijection for Permutation {
    fn dim(&self) -> usize {
        self.perm.len()
    }

    fn context_dim(&self) -> usize {
        0
    }

    fn num_params(&self) -> usize {
        0
    }

    fn tape_len(&self) -> usize {
        0
    }

    fn init_params(&self, _params: &mut [f64], _rng: &mut dyn rand::Rng) {}

    fn transform(
        &self,
        _params: &[f64],
        x: &[f64],
        _context: &[f64],
        y: &mut [f64],
        _tape: &mut [f64],
    ) -> f64 {
        assert_len("x", x.len(), self.dim());
        assert_len("y", y.len(), self.dim());
        for (yi, &p) in y.iter_mut().zip(&self.perm) {
            *yi = x[p];
        }
        0.0
    }

    fn inverse(
        &self,
        _params: &[f64],
        y: &[f64],
        _context: &[f64],
        x: &mut [f64],
        _tape: &mut [f64],
    ) -> f64 {
        assert_len("x", x.len(), self.dim());
        assert_len("y", y.len(), self.dim());
        for (yi, &p) in y.iter().zip(&self.perm) {
            x[p] = *yi;
        }
        0.0
    }

    fn vjp(
        &self,
        _params: &[f64],
        _x: &[f64],
        _context: &[f64],
        _tape: &mut [f64],
        gy: &[f64],
        _g_log_det: f64,
        gx: &mut [f64],
        _g_context: Option<&mut [f64]>,
        _gparams: Option<&mut [f64]>,
    ) {
        for (g, &p) in gy.iter().zip(&self.perm) {
            gx[p] = *g;
        }
    }

    fn solve_jacobian_transpose(
        &self,
        _params: &[f64],
        _x: &[f64],
        _context: &[f64],
        _tape: &mut [f64],
        v: &[f64],
        u: &mut [f64],
    ) {
        // J = P with P[i, perm[i]] = 1; Pᵀu = v gives u_i = v_{perm[i]}.
        for (ui, &p) in u.iter_mut().zip(&self.perm) {
            *ui = v[p];
        }
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::Permutation {
            perm: self.perm.clone(),
        }
    }
}
