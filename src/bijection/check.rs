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
pub(super) fn fd_jacobian_of(
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

/// The Jacobian ∂f/∂x at `x` by central differences.
pub fn fd_jacobian(b: &dyn Bijection, params: &[f64], x: &[f64], h: f64) -> DMatrix<f64> {
    let mut tape = vec![0.0; b.tape_len()];
    fd_jacobian_of(x, b.dim(), h, |xp, y| {
        b.forward(params, xp, y, &mut tape);
    })
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
    let mut loss = |p: &[f64], xx: &[f64]| {
        let ld = b.forward(p, xx, &mut y, &mut tape);
        y.iter().zip(gy).map(|(a, g)| a * g).sum::<f64>() + g_log_det * ld
    };
    let vjp_input = max_fd_error(x, &gx, 0..d, h, |xp| loss(params, xp));
    let np = b.num_params();
    let stride = np.div_ceil(64).max(1);
    let vjp_params = max_fd_error(params, &gp, (0..np).step_by(stride), h, |pp| loss(pp, x));

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bijection::{ElementwiseAffine, LayerSpec};

    /// An elementwise affine layer with one deliberate bug.
    #[derive(Debug)]
    struct Broken(ElementwiseAffine, Bug);

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Bug {
        None,
        Inverse,
        LogDet,
        InputVjp,
        ParamVjp,
        Solve,
    }

    impl Bijection for Broken {
        fn dim(&self) -> usize {
            self.0.dim()
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
        fn forward(&self, p: &[f64], x: &[f64], y: &mut [f64], t: &mut [f64]) -> f64 {
            let ld = self.0.forward(p, x, y, t);
            // A log-det that is off by a function of x (so forward and inverse still agree).
            ld + if self.1 == Bug::LogDet {
                0.1 * x[0]
            } else {
                0.0
            }
        }
        fn inverse(&self, p: &[f64], y: &[f64], x: &mut [f64], t: &mut [f64]) -> f64 {
            let ld = self.0.inverse(p, y, x, t);
            if self.1 == Bug::Inverse {
                x[1] += 1e-3;
            }
            ld + if self.1 == Bug::LogDet {
                0.1 * x[0]
            } else {
                0.0
            }
        }
        fn backward(
            &self,
            p: &[f64],
            x: &[f64],
            t: &mut [f64],
            gy: &[f64],
            gld: f64,
            gx: &mut [f64],
            gp: Option<&mut [f64]>,
        ) {
            match gp {
                Some(g) => {
                    self.0.backward(p, x, t, gy, gld, gx, Some(&mut *g));
                    if self.1 == Bug::ParamVjp {
                        g[0] *= 1.5;
                    }
                }
                None => self.0.backward(p, x, t, gy, gld, gx, None),
            }
            if self.1 == Bug::InputVjp {
                gx[0] += 0.5;
            }
        }
        fn solve_jacobian_transpose(
            &self,
            p: &[f64],
            x: &[f64],
            t: &mut [f64],
            v: &[f64],
            u: &mut [f64],
        ) {
            self.0.solve_jacobian_transpose(p, x, t, v, u);
            if self.1 == Bug::Solve {
                u[0] *= 2.0;
            }
        }
        fn spec(&self) -> LayerSpec {
            self.0.spec()
        }
    }

    fn report(bug: Bug) -> PropertyReport {
        let b = Broken(ElementwiseAffine::new(3), bug);
        let params = [0.3, -0.2, 0.5, 0.1, -0.4, 0.2];
        let x = [0.7, -1.1, 0.4];
        check_bijection(&b, &params, &x, &[0.5, -0.3, 0.8], 0.7, &[1.0, -2.0, 0.5])
    }

    #[test]
    fn each_check_catches_its_bug() {
        let ok = report(Bug::None);
        ok.assert_ok("correct layer");
        assert!(report(Bug::Inverse).round_trip > 1e-4);
        let ld = report(Bug::LogDet);
        assert!(ld.log_det_vs_fd > 1e-2 && ld.log_det_consistency < 1e-12);
        assert!(report(Bug::InputVjp).vjp_input > 1e-2);
        assert!(report(Bug::ParamVjp).vjp_params > 1e-2);
        assert!(report(Bug::Solve).jt_solve > 1e-2);
    }
}
