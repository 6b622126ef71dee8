//! Finite differences for the property checks: fourth-order central differences of scalars
//! and Jacobians.

use crate::bijection::Bijection;
use nalgebra::DMatrix;

/// |a − b| / max(1, |b|).
pub(super) fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// Fourth-order central difference of `f` at `x0` with step `h`.
fn derivative(mut f: impl FnMut(f64) -> f64, x0: f64, h: f64) -> f64 {
    let d1 = (f(x0 + h) - f(x0 - h)) / (2.0 * h);
    let d2 = (f(x0 + 2.0 * h) - f(x0 - 2.0 * h)) / (4.0 * h);
    (4.0 * d1 - d2) / 3.0
}

/// The largest [`rel`] error of `analytic[k]` against the central difference of the scalar
/// `f` along coordinate k of `x`, over the coordinates `coords`.
pub(super) fn max_fd_error(
    x: &[f64],
    analytic: &[f64],
    coords: impl Iterator<Item = usize>,
    h: f64,
    mut f: impl FnMut(&[f64]) -> f64,
) -> f64 {
    let mut xp = x.to_vec();
    let mut worst: f64 = 0.0;
    for k in coords {
        let num = derivative(
            |t| {
                xp[k] = t;
                let l = f(&xp);
                xp[k] = x[k];
                l
            },
            x[k],
            h,
        );
        worst = worst.max(rel(analytic[k], num));
    }
    worst
}

/// The Jacobian of `f: R^n → R^m` (`f(x, out)`) at `x` by central differences.
fn fd_jacobian_of(
    x: &[f64],
    m: usize,
    h: f64,
    mut f: impl FnMut(&[f64], &mut [f64]),
) -> DMatrix<f64> {
    let mut jac = DMatrix::zeros(m, x.len());
    let mut xp = x.to_vec();
    let mut at = vec![vec![0.0; m]; 4];
    for j in 0..x.len() {
        for (out, step) in at.iter_mut().zip([h, -h, 2.0 * h, -2.0 * h]) {
            xp[j] = x[j] + step;
            f(&xp, out);
        }
        xp[j] = x[j];
        for i in 0..m {
            let d1 = (at[0][i] - at[1][i]) / (2.0 * h);
            let d2 = (at[2][i] - at[3][i]) / (4.0 * h);
            jac[(i, j)] = (4.0 * d1 - d2) / 3.0;
        }
    }
    jac
}

/// The Jacobians (∂y/∂x, ∂y/∂c) of the transform at (x, c) by central differences with step
/// `h` (the second has no columns without a context).
pub fn fd_jacobians(
    b: &dyn Bijection,
    params: &[f64],
    x: &[f64],
    context: &[f64],
    h: f64,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let d = b.dim();
    let mut tape = vec![0.0; b.tape_len()];
    let jx = fd_jacobian_of(x, d, h, |xp, y| {
        b.transform(params, xp, context, y, &mut tape);
    });
    let jc = fd_jacobian_of(context, d, h, |cp, y| {
        b.transform(params, x, cp, y, &mut tape);
    });
    (jx, jc)
}
