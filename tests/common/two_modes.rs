//! A target with two modes far apart, u = log σ ~ ½N(−6, 0.5²) + ½N(6, 0.5²), which neither
//! NUTS nor a variational fit crosses: where a run ends up shows where it started. Shared by
//! `tests/init.rs` and `tests/warm_start.rs` (`#[path = "common/two_modes.rs"] mod two_modes;`).

use flowpost::{DensityError, LogDensity};

/// σ > 0 with log σ bimodal at ±6; reported as σ (constrain exp, unconstrain log).
pub struct TwoModes;

impl LogDensity for TwoModes {
    fn dim(&self) -> usize {
        1
    }
    fn log_density(&self, u: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let (a, b) = (-2.0 * (u[0] + 6.0).powi(2), -2.0 * (u[0] - 6.0).powi(2));
        let m = a.max(b);
        let (wa, wb) = ((a - m).exp(), (b - m).exp());
        grad[0] = (wa * -4.0 * (u[0] + 6.0) + wb * -4.0 * (u[0] - 6.0)) / (wa + wb);
        Ok(m + (wa + wb).ln())
    }
    fn param_names(&self) -> Vec<String> {
        vec!["sigma".into()]
    }
    fn constrain(&self, u: &[f64], out: &mut [f64]) {
        out[0] = u[0].exp();
    }
    fn try_unconstrain(&self, c: &[f64]) -> Option<Result<Vec<f64>, DensityError>> {
        Some(Ok(vec![c[0].ln()]))
    }
}
