//! The batched calls against the per-item ones: [`check_batch`] runs a layer's
//! `transform_batch`, `inverse_batch` and `vjp_batch` over n items and the per-item
//! [`batch`](crate::bijection::batch) reference on the same items, and reports the largest
//! differences (max(1, |ref|)-scaled).

use super::fd::rel;
use crate::bijection::Bijection;
use crate::bijection::batch::{inverse_per_item, transform_per_item, vjp_per_item};

/// Largest scaled differences between the batched and the per-item calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchReport {
    /// Outputs of the transform.
    pub values: f64,
    /// Log-determinants of the transform.
    pub log_det: f64,
    /// Outputs and log-determinants of the inverse.
    pub inverse: f64,
    /// ∂L/∂x of the VJP.
    pub grad_input: f64,
    /// ∂L/∂c of the VJP.
    pub grad_context: f64,
    /// ∂L/∂params, summed over the items.
    pub grad_params: f64,
}

impl BatchReport {
    /// Asserts agreement to 1e-11 (rounding: the two paths add in different orders).
    #[track_caller]
    pub fn assert_ok(&self, what: &str) {
        let worst = [
            self.values,
            self.log_det,
            self.inverse,
            self.grad_input,
            self.grad_context,
            self.grad_params,
        ]
        .into_iter()
        .fold(0.0, f64::max);
        assert!(worst < 1e-11, "{what}: batched vs per-item {self:?}");
    }
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| rel(*x, *y))
        .fold(0.0, f64::max)
}

/// Compares the batched calls of `b` with the per-item ones on n = `g_log_det.len()` items:
/// inputs `x` (n × d), contexts (n × c), output cotangents `gy` (n × d) and log-det
/// cotangents `g_log_det` (n).
pub fn check_batch(
    b: &dyn Bijection,
    params: &[f64],
    x: &[f64],
    context: &[f64],
    gy: &[f64],
    g_log_det: &[f64],
) -> BatchReport {
    let (n, d, c, np) = (g_log_det.len(), b.dim(), b.context_dim(), b.num_params());
    let mut tb = vec![f64::NAN; b.batch_tape_len(n)];
    let mut ti = vec![f64::NAN; n * b.tape_len()];
    let (mut yb, mut yi) = (vec![0.0; n * d], vec![0.0; n * d]);
    let (mut lb, mut li) = (vec![0.0; n], vec![0.0; n]);
    b.transform_batch(params, x, context, &mut yb, &mut lb, &mut tb);
    transform_per_item(b, params, x, context, &mut yi, &mut li, &mut ti);
    let (values, log_det) = (max_rel(&yb, &yi), max_rel(&lb, &li));

    // VJP (after the transforms above, on their tapes); gradients start non-zero to check that
    // context and parameter gradients are added to.
    let (mut gxb, mut gxi) = (vec![f64::NAN; n * d], vec![f64::NAN; n * d]);
    let (mut gcb, mut gci) = (vec![0.5; n * c], vec![0.5; n * c]);
    let (mut gpb, mut gpi) = (vec![0.25; np], vec![0.25; np]);
    b.vjp_batch(
        params,
        x,
        context,
        &mut tb,
        gy,
        g_log_det,
        &mut gxb,
        Some(&mut gcb),
        Some(&mut gpb),
    );
    vjp_per_item(
        b,
        params,
        x,
        context,
        &mut ti,
        gy,
        g_log_det,
        &mut gxi,
        Some(&mut gci),
        Some(&mut gpi),
    );

    let (mut xb, mut xi) = (vec![0.0; n * d], vec![0.0; n * d]);
    b.inverse_batch(params, &yi, context, &mut xb, &mut lb, &mut tb);
    inverse_per_item(b, params, &yi, context, &mut xi, &mut li, &mut ti);
    BatchReport {
        values,
        log_det,
        inverse: max_rel(&xb, &xi).max(max_rel(&lb, &li)),
        grad_input: max_rel(&gxb, &gxi),
        grad_context: max_rel(&gcb, &gci),
        grad_params: max_rel(&gpb, &gpi),
    }
}
