//! Elementwise affine map y = loc + exp(log_scale) ⊙ x (unconditional).

use super::{Bijection, LayerSpec, assert_len};

/// Elementwise affine layer with parameters `[loc (d), log_scale (d)]`.
///
/// ```
/// use flowpost::bijection::{Bijection, ElementwiseAffine};
/// let layer = ElementwiseAffine::new(2);
/// let params = [1.0, -1.0, 0.0, 2f64.ln()]; // loc = (1, -1), scale = (1, 2)
/// let mut y = [0.0; 2];
/// let log_det = layer.transform(&params, &[3.0, 3.0], &[], &mut y, &mut []);
/// assert_eq!(y, [4.0, 5.0]);
/// assert!((log_det - 2f64.ln()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ElementwiseAffine {
    dim: usize,
}

impl ElementwiseAffine {
    /// A layer of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        ElementwiseAffine { dim }
    }

    /// Parameters for a given location and scale (scales must be positive).
    pub fn params_for(loc: &[f64], scale: &[f64]) -> Vec<f64> {
        loc.iter()
            .copied()
            .chain(scale.iter().map(|s| s.ln()))
            .collect()
    }
}

impl Bijection for ElementwiseAffine {
    fn dim(&self) -> usize {
        self.dim
    }

    fn context_dim(&self) -> usize {
        0
    }

    fn num_params(&self) -> usize {
        2 * self.dim
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
        let d = self.dim;
        assert_len("params", params.len(), 2 * d);
        assert_len("x", x.len(), d);
        assert_len("y", y.len(), d);
        let (loc, log_scale) = params.split_at(d);
        let mut log_det = 0.0;
        for i in 0..d {
            y[i] = loc[i] + log_scale[i].exp() * x[i];
            log_det += log_scale[i];
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
        let d = self.dim;
        assert_len("params", params.len(), 2 * d);
        assert_len("x", x.len(), d);
        assert_len("y", y.len(), d);
        let (loc, log_scale) = params.split_at(d);
        let mut log_det = 0.0;
        for i in 0..d {
            x[i] = (y[i] - loc[i]) * (-log_scale[i]).exp();
            log_det += log_scale[i];
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
        let d = self.dim;
        assert_len("params", params.len(), 2 * d);
        let log_scale = &params[d..];
        for i in 0..d {
            gx[i] = gy[i] * log_scale[i].exp();
        }
        if let Some(gp) = gparams {
            assert_len("gparams", gp.len(), 2 * d);
            let (gloc, gls) = gp.split_at_mut(d);
            for i in 0..d {
                gloc[i] += gy[i];
                gls[i] += gy[i] * log_scale[i].exp() * x[i] + g_log_det;
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
        let d = self.dim;
        let log_scale = &params[d..2 * d];
        for i in 0..d {
            u[i] = v[i] * (-log_scale[i]).exp();
        }
    }

    fn spec(&self) -> LayerSpec {
        LayerSpec::ElementwiseAffine { dim: self.dim }
    }
}
