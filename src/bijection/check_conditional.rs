//! Property checks for [`ConditionalBijection`]s, the conditional counterpart of
//! [`check`](super::check): round trip, log-det against a finite-difference Jacobian, VJPs with
//! respect to input, context and parameters against finite differences. Functions return
//! measured errors; [`ConditionalReport::assert_ok`] applies the project's thresholds.

use super::ConditionalBijection;
use super::check::{fd_jacobian_of, max_fd_error, rel};
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

/// The Jacobians (∂z/∂θ, ∂z/∂c) at (θ, c) by central differences.
pub fn fd_jacobians(
    b: &dyn ConditionalBijection,
    params: &[f64],
    theta: &[f64],
    context: &[f64],
    h: f64,
) -> (DMatrix<f64>, DMatrix<f64>) {
    let d = b.dim();
    let mut tape = vec![0.0; b.tape_len()];
    let jt = fd_jacobian_of(theta, d, h, |tp, z| {
        b.forward(params, tp, context, z, &mut tape);
    });
    let jc = fd_jacobian_of(context, d, h, |cp, z| {
        b.forward(params, theta, cp, z, &mut tape);
    });
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
    let mut loss = |p: &[f64], t: &[f64], c: &[f64]| {
        let ld = b.forward(p, t, c, &mut z, &mut tape);
        z.iter().zip(gz).map(|(a, g)| a * g).sum::<f64>() + g_log_det * ld
    };
    let vjp_input = max_fd_error(theta, &g_theta, 0..d, h, |tp| loss(params, tp, context));
    let vjp_context = max_fd_error(context, &g_ctx, 0..m, h, |cp| loss(params, theta, cp));
    let np = b.num_params();
    let stride = np.div_ceil(96).max(1);
    let vjp_params = max_fd_error(params, &gp, (0..np).step_by(stride), h, |pp| {
        loss(pp, theta, context)
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bijection::{Activation, ConditionalSpec};
    use crate::npe::MafAffine;

    /// A conditional affine MAF layer whose context gradient is wrong (or not).
    #[derive(Debug)]
    struct Broken(MafAffine, bool);

    impl ConditionalBijection for Broken {
        fn dim(&self) -> usize {
            self.0.dim()
        }
        fn context_dim(&self) -> usize {
            self.0.context_dim()
        }
        fn num_params(&self) -> usize {
            self.0.num_params()
        }
        fn tape_len(&self) -> usize {
            self.0.tape_len()
        }
        fn init_params(&self, p: &mut [f64], rng: &mut dyn rand::Rng) {
            self.0.init_params(p, rng)
        }
        fn forward(&self, p: &[f64], t: &[f64], c: &[f64], z: &mut [f64], tape: &mut [f64]) -> f64 {
            self.0.forward(p, t, c, z, tape)
        }
        fn inverse(&self, p: &[f64], z: &[f64], c: &[f64], t: &mut [f64], tape: &mut [f64]) -> f64 {
            self.0.inverse(p, z, c, t, tape)
        }
        fn backward(
            &self,
            p: &[f64],
            t: &[f64],
            c: &[f64],
            tape: &mut [f64],
            gz: &[f64],
            gld: f64,
            gt: &mut [f64],
            gc: Option<&mut [f64]>,
            gp: Option<&mut [f64]>,
        ) {
            match gc {
                Some(gc) => {
                    self.0
                        .backward(p, t, c, tape, gz, gld, gt, Some(&mut *gc), gp);
                    if self.1 {
                        gc[0] *= 0.5;
                    }
                }
                None => self.0.backward(p, t, c, tape, gz, gld, gt, None, gp),
            }
        }
        fn spec(&self) -> ConditionalSpec {
            self.0.spec()
        }
    }

    #[test]
    fn a_wrong_context_gradient_is_caught() {
        let report = |bug| {
            let b = Broken(MafAffine::new(3, 2, &[8], Activation::Tanh), bug);
            let params: Vec<f64> = (0..b.num_params())
                .map(|i| 0.3 * ((i as f64) * 0.7).sin())
                .collect();
            let (theta, ctx) = ([0.4, -0.8, 1.1], [0.6, -0.5]);
            check_conditional(&b, &params, &theta, &ctx, &[0.5, -0.3, 0.8], 0.7)
        };
        report(false).assert_ok("correct layer");
        let bad = report(true);
        assert!(bad.vjp_context > 1e-3, "{bad:?}");
        assert!(bad.vjp_input < 1e-6 && bad.vjp_params < 1e-6, "{bad:?}");
    }
}
