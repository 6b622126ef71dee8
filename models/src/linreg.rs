//! The Gaussian linear-regression likelihood `y ~ Normal(offset + X·coef, σ)` that most
//! posteriordb regressions share, on a dense row-major design.

use crate::math::{axpy, dot};

/// A design matrix (row-major, `n × p`) with its response.
#[derive(Debug, Clone)]
pub(crate) struct Design {
    n: usize,
    p: usize,
    x: Vec<f64>,
    y: Vec<f64>,
}

/// Value and gradient of a Gaussian regression log-likelihood.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GaussianLik {
    /// `−n log σ − Σ r²/(2σ²)`.
    pub value: f64,
    /// `∂/∂offset`.
    pub d_offset: f64,
    /// `∂/∂ log σ`.
    pub d_log_sigma: f64,
}

impl Design {
    /// Builds a design from rows; panics (a bug in the model code) on ragged rows.
    pub(crate) fn from_rows(rows: impl IntoIterator<Item = Vec<f64>>, y: Vec<f64>) -> Self {
        let mut x = Vec::new();
        let mut p = None;
        let mut n = 0;
        for row in rows {
            assert!(p.is_none_or(|p| p == row.len()), "ragged design matrix");
            p = Some(row.len());
            x.extend(row);
            n += 1;
        }
        assert_eq!(n, y.len(), "design rows and responses differ in number");
        assert!(
            p.is_some_and(|p| p > 0),
            "a design needs at least one column"
        );
        Design {
            n,
            p: p.unwrap_or(0),
            x,
            y,
        }
    }

    /// Number of columns.
    pub(crate) fn p(&self) -> usize {
        self.p
    }

    /// `Σ log Normal(y_i | offset + x_i·coef, σ)` without constants, `σ = exp(log_sigma)`;
    /// **adds** `∂/∂coef` into `grad_coef` (length p).
    pub(crate) fn gaussian_loglik(
        &self,
        coef: &[f64],
        offset: f64,
        log_sigma: f64,
        grad_coef: &mut [f64],
    ) -> GaussianLik {
        debug_assert!(coef.len() == self.p && grad_coef.len() == self.p);
        let inv_var = (-2.0 * log_sigma).exp();
        let mut ss = 0.0;
        let mut sum_r = 0.0;
        for (row, &y) in self.x.chunks_exact(self.p).zip(&self.y) {
            let r = y - offset - dot(row, coef);
            ss += r * r;
            sum_r += r;
            axpy(r * inv_var, row, grad_coef);
        }
        let n = self.n as f64;
        GaussianLik {
            value: -n * log_sigma - 0.5 * ss * inv_var,
            d_offset: sum_r * inv_var,
            d_log_sigma: -n + ss * inv_var,
        }
    }
}
