//! Property checks every layer must pass (cargo feature `testing`), as functions returning
//! measured errors so tests (here and in downstream crates) assert their own thresholds:
//! round trip f⁻¹(f(x; c); c) = x, log-det against the log-determinant of a finite-difference
//! Jacobian, vector-Jacobian products (input, context, parameters) against finite
//! differences, and the transposed-Jacobian solve against the finite-difference Jacobian.
//! [`registry`] lists the layers the crate's property tests run them on; [`check_batch`]
//! compares a layer's batched calls with its per-item ones.

mod batch;
mod fd;
mod registry;

pub use batch::{BatchReport, check_batch};
pub use fd::fd_jacobians;
pub use registry::{Case, Structure, registry};

use super::Bijection;
use fd::{max_fd_error, rel};

/// Errors measured by [`check_bijection`]; each is a max relative error, max(1, |ref|)-scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PropertyReport {
    /// max |f⁻¹(f(x; c); c) − x|.
    pub round_trip: f64,
    /// |log_det(transform) − log_det(inverse)|.
    pub log_det_consistency: f64,
    /// |log_det − log|det J_fd||.
    pub log_det_vs_fd: f64,
    /// ∂L/∂x against finite differences of L = gy·f(x; c) + g·log_det(x; c).
    pub vjp_input: f64,
    /// ∂L/∂c against finite differences (0 without a context).
    pub vjp_context: f64,
    /// ∂L/∂params against finite differences (on at most 96 parameters, strided).
    pub vjp_params: f64,
    /// max |J_fdᵀ u − v| for u from `solve_jacobian_transpose`.
    pub jt_solve: f64,
}

/// Runs every property check at (`params`, `x`, `context`) with cotangents `gy`,
/// `g_log_det` and a right-hand side `v` for the transposed solve.
pub fn check_bijection(
    b: &dyn Bijection,
    params: &[f64],
    x: &[f64],
    context: &[f64],
    gy: &[f64],
    g_log_det: f64,
    v: &[f64],
) -> PropertyReport {
    let (d, m) = (b.dim(), b.context_dim());
    let h = 1e-5;
    let mut tape = vec![0.0; b.tape_len()];
    let mut y = vec![0.0; d];
    let ld = b.transform(params, x, context, &mut y, &mut tape);
    let mut back = vec![0.0; d];
    let mut tape2 = vec![0.0; b.tape_len()];
    let ld_inv = b.inverse(params, &y, context, &mut back, &mut tape2);
    let round_trip = (0..d).map(|i| rel(back[i], x[i])).fold(0.0, f64::max);
    let log_det_consistency = (ld - ld_inv).abs();

    let (jac, _) = fd_jacobians(b, params, x, context, h);
    let log_det_vs_fd = rel(ld, jac.clone().lu().determinant().abs().ln());

    // Analytic VJPs at x.
    let mut gx = vec![0.0; d];
    let mut gc = vec![0.0; m];
    let mut gp = vec![0.0; b.num_params()];
    b.transform(params, x, context, &mut y, &mut tape);
    let (gc_arg, gp_arg) = (Some(&mut gc[..]), Some(&mut gp[..]));
    b.vjp(
        params, x, context, &mut tape, gy, g_log_det, &mut gx, gc_arg, gp_arg,
    );
    let mut loss = |p: &[f64], xx: &[f64], c: &[f64]| {
        let ld = b.transform(p, xx, c, &mut y, &mut tape);
        y.iter().zip(gy).map(|(a, g)| a * g).sum::<f64>() + g_log_det * ld
    };
    let vjp_input = max_fd_error(x, &gx, 0..d, h, |xp| loss(params, xp, context));
    let vjp_context = max_fd_error(context, &gc, 0..m, h, |cp| loss(params, x, cp));
    let np = b.num_params();
    let stride = np.div_ceil(96).max(1);
    let vjp_params = max_fd_error(params, &gp, (0..np).step_by(stride), h, |pp| {
        loss(pp, x, context)
    });

    let mut u = vec![0.0; d];
    b.transform(params, x, context, &mut y, &mut tape);
    b.solve_jacobian_transpose(params, x, context, &mut tape, v, &mut u);
    let jt_u = jac.transpose() * nalgebra::DVector::from_column_slice(&u);
    let jt_solve = (0..d).map(|i| rel(jt_u[i], v[i])).fold(0.0, f64::max);

    PropertyReport {
        round_trip,
        log_det_consistency,
        log_det_vs_fd,
        vjp_input,
        vjp_context,
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
        assert!(self.vjp_context < 1e-6, "{what}: context VJP {self:?}");
        assert!(self.vjp_params < 1e-6, "{what}: parameter VJP {self:?}");
        assert!(self.jt_solve < 1e-6, "{what}: Jᵀ solve {self:?}");
    }
}
