//! Property checks every bijection must pass, as functions returning measured errors so tests
//! (here and in downstream crates) assert their own thresholds:
//! round trip f⁻¹(f(x)) = x, log-det against the log-determinant of a finite-difference
//! Jacobian, vector-Jacobian products (input and parameters) against finite differences, and
//! the transposed-Jacobian solve against the finite-difference Jacobian.

use super::Bijection;
use nalgebra::DMatrix;

/// Errors measured by [`check_bijection`]; each is a max relative error, max(1, |ref|)-scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PropertyReport {
    /// max |f⁻¹(f(x)) − x|.
    pub round_trip: f64,
    /// |log_det(forward) − log_det(inverse)|.
    pub log_det_consistency: f64,
    /// |log_det − log|det J_fd||.
    pub log_det_vs_fd: f64,
    /// ∂L/∂x against finite differences of L = gy·f(x) + g·log_det(x).
    pub vjp_input: f64,
    /// ∂L/∂params against finite differences (on at most 64 parameters).
    pub vjp_params: f64,
    /// max |J_fdᵀ u − v| for u from `solve_jacobian_transpose`.
    pub jt_solve: f64,
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// Fourth-order central difference of `f` at `x0` with step `h`.
fn derivative(mut f: impl FnMut(f64) -> f64, x0: f64, h: f64) -> f64 {
    let d1 = (f(x0 + h) - f(x0 - h)) / (2.0 * h);
    let d2 = (f(x0 + 2.0 * h) - f(x0 - 2.0 * h)) / (4.0 * h);
    (4.0 * d1 - d2) / 3.0
}

/// The Jacobian ∂f/∂x at `x` by central differences.
pub fn fd_jacobian(b: &dyn Bijection, params: &[f64], x: &[f64], h: f64) -> DMatrix<f64> {
    let d = b.dim();
    let mut tape = vec![0.0; b.tape_len()];
    let mut jac = DMatrix::zeros(d, d);
    let mut xp = x.to_vec();
    let mut y = vec![0.0; d];
    for j in 0..d {
        for i in 0..d {
            jac[(i, j)] = derivative(
                |t| {
                    xp[j] = t;
                    b.forward(params, &xp, &mut y, &mut tape);
                    xp[j] = x[j];
                    y[i]
                },
                x[j],
                h,
            );
        }
    }
    jac
}

/// Runs every property check at (`params`, `x`) with cotangents `gy`, `g_log_det` and a
/// right-hand side `v` for the transposed solve.
pub fn check_bijection(
    b: &dyn Bijection,
    params: &[f64],
    x: &[f64],
    gy: &[f64],
    g_log_det: f64,
    v: &[f64],
) -> PropertyReport {
    let d = b.dim();
    let h = 1e-5;
    let mut tape = vec![0.0; b.tape_len()];
    let mut y = vec![0.0; d];
    let ld = b.forward(params, x, &mut y, &mut tape);
    let mut back = vec![0.0; d];
    let mut tape2 = vec![0.0; b.tape_len()];
    let ld_inv = b.inverse(params, &y, &mut back, &mut tape2);
    let round_trip = (0..d).map(|i| rel(back[i], x[i])).fold(0.0, f64::max);
    let log_det_consistency = (ld - ld_inv).abs();

    let jac = fd_jacobian(b, params, x, h);
    let log_det_vs_fd = rel(ld, jac.clone().lu().determinant().abs().ln());

    // Analytic VJPs at x.
    let mut gx = vec![0.0; d];
    let mut gp = vec![0.0; b.num_params()];
    b.forward(params, x, &mut y, &mut tape);
    b.backward(params, x, &mut tape, gy, g_log_det, &mut gx, Some(&mut gp));
    let loss = |p: &[f64], xx: &[f64], tape: &mut Vec<f64>, y: &mut Vec<f64>| {
        let ld = b.forward(p, xx, y, tape);
        y.iter().zip(gy).map(|(a, g)| a * g).sum::<f64>() + g_log_det * ld
    };
    let mut vjp_input: f64 = 0.0;
    let mut xp = x.to_vec();
    for j in 0..d {
        let num = derivative(
            |t| {
                xp[j] = t;
                let l = loss(params, &xp, &mut tape, &mut y);
                xp[j] = x[j];
                l
            },
            x[j],
            h,
        );
        vjp_input = vjp_input.max(rel(gx[j], num));
    }
    let mut vjp_params: f64 = 0.0;
    let mut pp = params.to_vec();
    let np = b.num_params();
    let stride = np.div_ceil(64).max(1);
    for k in (0..np).step_by(stride) {
        let num = derivative(
            |t| {
                pp[k] = t;
                let l = loss(&pp, x, &mut tape, &mut y);
                pp[k] = params[k];
                l
            },
            params[k],
            h,
        );
        vjp_params = vjp_params.max(rel(gp[k], num));
    }

    let mut u = vec![0.0; d];
    b.forward(params, x, &mut y, &mut tape);
    b.solve_jacobian_transpose(params, x, &mut tape, v, &mut u);
    let jt_u = jac.transpose() * nalgebra::DVector::from_column_slice(&u);
    let jt_solve = (0..d).map(|i| rel(jt_u[i], v[i])).fold(0.0, f64::max);

    PropertyReport {
        round_trip,
        log_det_consistency,
        log_det_vs_fd,
        vjp_input,
        vjp_params,
        jt_solve,
    }
}

impl PropertyReport {
    /// Asserts the project's thresholds: round trip and log-det consistency 1e-9, finite
    /// difference comparisons 1e-6.
    #[track_caller]
    pub fn assert_ok(&self, what: &str) {
        assert!(self.round_trip < 1e-9, "{what}: round trip {self:?}");
        assert!(
            self.log_det_consistency < 1e-9,
            "{what}: log-det consistency {self:?}"
        );
        assert!(self.log_det_vs_fd < 1e-6, "{what}: log-det vs FD {self:?}");
        assert!(self.vjp_input < 1e-6, "{what}: input VJP {self:?}");
        assert!(self.vjp_params < 1e-6, "{what}: parameter VJP {self:?}");
        assert!(self.jt_solve < 1e-6, "{what}: Jᵀ solve {self:?}");
    }
}
