//! Property checks for [`ConditionalBijection`]s, the conditional counterpart of
//! [`check`](super::check): round trip, log-det against a finite-difference Jacobian, VJPs with
//! respect to input, context and parameters against finite differences. Functions return
//! measured errors; [`ConditionalReport::assert_ok`] applies the project's thresholds.

use super::ConditionalBijection;
use nalgebra::DMatrix;

/// Errors measured by [`check_conditional`]; each is a max relative error, max(1, |ref|)-scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConditionalReport {
    /// max |f⁻¹(f(θ; c); c) − θ|.
    pub round_trip: f64,
    /// |log_det(forward) − log_det(inverse)|.
    pub log_det_consistency: f64,
    /// |log_det − log|det J_fd||.
    pub log_det_vs_fd: f64,
    /// ∂L/∂θ against finite differences of L = gz·f(θ; c) + g·log_det.
    pub vjp_input: f64,
    /// ∂L/∂c against finite differences.
    pub vjp_context: f64,
    /// ∂L/∂params against finite differences (on at most 96 parameters, strided).
    pub vjp_params: f64,
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

fn derivative(mut f: impl FnMut(f64) -> f64, x0: f64, h: f64) -> f64 {
    let d1 = (f(x0 + h) - f(x0 - h)) / (2.0 * h);
    let d2 = (f(x0 + 2.0 * h) - f(x0 - 2.0 * h)) / (4.0 * h);
    (4.0 * d1 - d2) / 3.0
}

/// The Jacobians (∂z/∂θ, ∂z/∂c) at (θ, c) by central differences.
pub fn fd_jacobians(
    b: &dyn ConditionalBijection,
    params: &[f64],
    theta: &[f64],
    context: &[f64],
    h: f64,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let d = b.dim();
    let m = b.context_dim();
    let mut tape = vec![0.0; b.tape_len()];
    let mut z = vec![0.0; d];
    let mut jt = DMatrix::zeros(d, d);
    let mut jc = DMatrix::zeros(d, m);
    let mut tp = theta.to_vec();
    let mut cp = context.to_vec();
    for j in 0..d {
        for i in 0..d {
            jt[(i, j)] = derivative(
                |t| {
                    tp[j] = t;
                    b.forward(params, &tp, context, &mut z, &mut tape);
                    tp[j] = theta[j];
                    z[i]
                },
                theta[j],
                h,
            );
        }
    }
    for j in 0..m {
        for i in 0..d {
            jc[(i, j)] = derivative(
                |t| {
                    cp[j] = t;
                    b.forward(params, theta, &cp, &mut z, &mut tape);
                    cp[j] = context[j];
                    z[i]
                },
                context[j],
                h,
            );
        }
    }
    (jt, jc)
}

/// Runs every property check at (`params`, `theta`, `context`) with cotangents `gz`,
/// `g_log_det`.
pub fn check_conditional(
    b: &dyn ConditionalBijection,
    params: &[f64],
    theta: &[f64],
    context: &[f64],
    gz: &[f64],
    g_log_det: f64,
) -> ConditionalReport {
    let d = b.dim();
    let m = b.context_dim();
    let h = 1e-5;
    let mut tape = vec![0.0; b.tape_len()];
    let mut z = vec![0.0; d];
    let ld = b.forward(params, theta, context, &mut z, &mut tape);
    let mut back = vec![0.0; d];
    let mut tape2 = vec![0.0; b.tape_len()];
    let ld_inv = b.inverse(params, &z, context, &mut back, &mut tape2);
    let round_trip = (0..d).map(|i| rel(back[i], theta[i])).fold(0.0, f64::max);
    let log_det_consistency = (ld - ld_inv).abs();

    let (jt, _) = fd_jacobians(b, params, theta, context, h);
    let log_det_vs_fd = rel(ld, jt.lu().determinant().abs().ln());

    let mut g_theta = vec![0.0; d];
    let mut g_ctx = vec![0.0; m];
    let mut gp = vec![0.0; b.num_params()];
    b.forward(params, theta, context, &mut z, &mut tape);
    b.backward(
        params,
        theta,
        context,
        &mut tape,
        gz,
        g_log_det,
        &mut g_theta,
        Some(&mut g_ctx),
        Some(&mut gp),
    );
    let loss = |p: &[f64], t: &[f64], c: &[f64], tape: &mut Vec<f64>, z: &mut Vec<f64>| {
        let ld = b.forward(p, t, c, z, tape);
        z.iter().zip(gz).map(|(a, g)| a * g).sum::<f64>() + g_log_det * ld
    };
    let mut vjp_input: f64 = 0.0;
    let mut tp = theta.to_vec();
    for j in 0..d {
        let num = derivative(
            |t| {
                tp[j] = t;
                let l = loss(params, &tp, context, &mut tape, &mut z);
                tp[j] = theta[j];
                l
            },
            theta[j],
            h,
        );
        vjp_input = vjp_input.max(rel(g_theta[j], num));
    }
    let mut vjp_context: f64 = 0.0;
    let mut cp = context.to_vec();
    for j in 0..m {
        let num = derivative(
            |t| {
                cp[j] = t;
                let l = loss(params, theta, &cp, &mut tape, &mut z);
                cp[j] = context[j];
                l
            },
            context[j],
            h,
        );
        vjp_context = vjp_context.max(rel(g_ctx[j], num));
    }
    let mut vjp_params: f64 = 0.0;
    let mut pp = params.to_vec();
    let np = b.num_params();
    let stride = np.div_ceil(96).max(1);
    for k in (0..np).step_by(stride) {
        let num = derivative(
            |t| {
                pp[k] = t;
                let l = loss(&pp, theta, context, &mut tape, &mut z);
                pp[k] = params[k];
                l
            },
            params[k],
            h,
        );
        vjp_params = vjp_params.max(rel(gp[k], num));
    }
    ConditionalReport {
        round_trip,
        log_det_consistency,
        log_det_vs_fd,
        vjp_input,
        vjp_context,
        vjp_params,
    }
}

impl ConditionalReport {
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
    }
}
