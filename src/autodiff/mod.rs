//! Exact gradients without writing them: a log-density written once, generic over the scalar
//! type, differentiated by forward-mode dual numbers (the `num-dual` crate).
//!
//! Implement [`GenericLogDensity`] with `fn log_density<T: AdScalar>(…)` — ordinary arithmetic
//! plus `exp`, `ln`, `sqrt`, `ln_1p`… on `T`, and [`math`]'s `log1p_exp`, `log_sum_exp`, `lgamma` — and wrap it in [`ForwardAd`], which implements
//! [`LogDensity`]. `ForwardAd<M, N>` evaluates the function on stack-allocated dual numbers
//! carrying `N` directional derivatives (`num_dual::DualSVec64<N>`), in `⌈d / N⌉` passes, so any
//! dimension works; one pass costs roughly `(N + 1)×` a plain evaluation. Forward mode is cheap
//! at small d (a few to a few dozen parameters) and grows as O(d) passes; write the gradient by
//! hand for large models.
//!
//! No allocation per gradient: the adapter keeps a pool of dual-number buffers, and hands the
//! model a scratch `Vec<T>` that keeps its capacity between calls.

pub mod math;

use std::sync::Mutex;

use num_dual::{DualNum, DualSVec64};

use crate::density::{DensityError, LogDensity};

/// The scalar types a [`GenericLogDensity`] is evaluated on: `f64` and `num-dual`'s dual
/// numbers. Use `x.re()` for the real part (for branching), `T::from(c)` for constants;
/// arithmetic with `f64` works on the right-hand side (`x * 2.0`, `x + 1.0`).
pub trait AdScalar: DualNum<Primitive = f64> + Copy + Send + Sync {}

impl<T: DualNum<Primitive = f64> + Copy + Send + Sync> AdScalar for T {}

/// A log-density on ℝ^d written once for every scalar type; [`ForwardAd`] differentiates it.
///
/// ```
/// use flowpost::autodiff::{AdScalar, ForwardAd, GenericLogDensity};
/// use flowpost::{DensityError, LogDensity};
///
/// /// y_i ~ Normal(mu, exp(log_sigma)), flat priors.
/// struct Normal { y: Vec<f64> }
///
/// impl GenericLogDensity for Normal {
///     fn dim(&self) -> usize { 2 }
///     fn log_density<T: AdScalar>(&self, th: &[T], _scratch: &mut Vec<T>) -> Result<T, DensityError> {
///         let (mu, log_sigma) = (th[0], th[1]);
///         let inv_var = (log_sigma * -2.0).exp();
///         let mut lp = log_sigma * -(self.y.len() as f64);
///         for &y in &self.y {
///             let r = mu - y;
///             lp -= r * r * inv_var * 0.5;
///         }
///         Ok(lp)
///     }
/// }
///
/// let model: ForwardAd<Normal> = ForwardAd::new(Normal { y: vec![0.5, 1.5, 1.0] });
/// let mut grad = [0.0; 2];
/// let lp = model.log_density(&[1.0, 0.0], &mut grad).unwrap();
/// assert_eq!(lp, -0.25);
/// assert_eq!(grad, [0.0, -3.0 + 0.5]);
/// assert!(flowpost::check_gradient(&model, &[0.3, -0.4], 1e-5).unwrap().max_rel_error < 1e-8);
/// ```
pub trait GenericLogDensity: Send + Sync {
    /// Dimension d of the unconstrained space.
    fn dim(&self) -> usize;

    /// log p(θ) up to a constant, for any scalar type. `scratch` is a buffer the caller keeps
    /// between calls (resize it as needed instead of allocating); it may hold old values.
    fn log_density<T: AdScalar>(
        &self,
        theta: &[T],
        scratch: &mut Vec<T>,
    ) -> Result<T, DensityError>;

    /// Names of the reported values, as [`LogDensity::param_names`].
    fn param_names(&self) -> Vec<String> {
        (1..=self.dim()).map(|i| format!("theta[{i}]")).collect()
    }

    /// Unconstrained point → reported values, as [`LogDensity::constrain`].
    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        out.copy_from_slice(theta);
    }
}

impl<M: GenericLogDensity + ?Sized> GenericLogDensity for &M {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn log_density<T: AdScalar>(
        &self,
        theta: &[T],
        scratch: &mut Vec<T>,
    ) -> Result<T, DensityError> {
        (**self).log_density(theta, scratch)
    }
    fn param_names(&self) -> Vec<String> {
        (**self).param_names()
    }
    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        (**self).constrain(theta, out)
    }
}

/// Buffers for one evaluation.
struct Workspace<const N: usize> {
    theta: Vec<DualSVec64<N>>,
    scratch: Vec<DualSVec64<N>>,
}

/// Makes a [`GenericLogDensity`] a [`LogDensity`] with an exact gradient by forward-mode dual
/// numbers, `N` derivative directions per pass (default 8). See the module docs for the cost.
pub struct ForwardAd<M, const N: usize = 8> {
    model: M,
    pool: Mutex<Vec<Workspace<N>>>,
}

impl<M: GenericLogDensity, const N: usize> ForwardAd<M, N> {
    /// Wraps a generic log-density.
    ///
    /// ```
    /// # use flowpost::autodiff::{AdScalar, ForwardAd, GenericLogDensity};
    /// # use flowpost::DensityError;
    /// struct Quadratic;
    /// impl GenericLogDensity for Quadratic {
    ///     fn dim(&self) -> usize { 3 }
    ///     fn log_density<T: AdScalar>(&self, x: &[T], _: &mut Vec<T>) -> Result<T, DensityError> {
    ///         Ok(x.iter().map(|&v| v * v * -0.5).sum())
    ///     }
    /// }
    /// let ad = ForwardAd::<_, 2>::new(Quadratic); // two passes of 2 directions for d = 3
    /// assert_eq!(ad.value(&[1.0, 1.0, 1.0]).unwrap(), -1.5);
    /// ```
    #[track_caller]
    pub fn new(model: M) -> Self {
        assert!(
            N >= 1,
            "ForwardAd needs at least one derivative direction per pass"
        );
        ForwardAd {
            model,
            pool: Mutex::new(Vec::new()),
        }
    }

    /// The wrapped model.
    pub fn inner(&self) -> &M {
        &self.model
    }

    /// Unwraps the model.
    pub fn into_inner(self) -> M {
        self.model
    }

    /// The log-density alone, evaluated on `f64` (no derivatives).
    pub fn value(&self, theta: &[f64]) -> Result<f64, DensityError> {
        let mut scratch = Vec::new();
        self.model.log_density(theta, &mut scratch)
    }

    fn take_workspace(&self) -> Workspace<N> {
        let popped = self.pool.lock().map(|mut p| p.pop()).unwrap_or(None);
        popped.unwrap_or_else(|| Workspace {
            theta: Vec::new(),
            scratch: Vec::new(),
        })
    }

    fn return_workspace(&self, ws: Workspace<N>) {
        if let Ok(mut p) = self.pool.lock() {
            p.push(ws);
        }
    }
}

impl<M: GenericLogDensity, const N: usize> LogDensity for ForwardAd<M, N> {
    fn dim(&self) -> usize {
        self.model.dim()
    }

    #[track_caller]
    #[allow(clippy::needless_range_loop)]
    fn log_density(&self, theta: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let d = self.model.dim();
        assert!(
            theta.len() == d && grad.len() == d,
            "ForwardAd: the model has dimension {d}, got a point of {} and a gradient of {}",
            theta.len(),
            grad.len()
        );
        let mut ws = self.take_workspace();
        ws.theta.clear();
        ws.theta
            .extend(theta.iter().map(|&t| DualSVec64::<N>::from_re(t)));
        let mut value = 0.0;
        let mut result = Ok(());
        // one pass per chunk of N coordinates (one pass for d = 0, for the value)
        let mut start = 0;
        loop {
            let end = (start + N).min(d);
            for i in start..end {
                ws.theta[i] = DualSVec64::from_re(theta[i]).derivative(i - start);
            }
            let pass = self.model.log_density(&ws.theta, &mut ws.scratch);
            for i in start..end {
                ws.theta[i] = DualSVec64::from_re(theta[i]);
            }
            match pass {
                Ok(lp) => {
                    value = lp.re;
                    for i in start..end {
                        grad[i] = lp.eps.0.as_ref().map_or(0.0, |e| e[i - start]);
                    }
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            start = end;
            if start >= d {
                break;
            }
        }
        self.return_workspace(ws);
        result.map(|()| value)
    }

    fn param_names(&self) -> Vec<String> {
        self.model.param_names()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        self.model.constrain(theta, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check_gradient;

    /// Logistic regression with a hand-written gradient, to compare against.
    struct LogReg {
        x: Vec<f64>,
        y: Vec<f64>,
        d: usize,
    }

    impl LogReg {
        fn new(n: usize, d: usize) -> Self {
            // deterministic pseudo-data
            let mut s = 0x2545F4914F6CDD1Du64;
            let mut next = || {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            };
            let x: Vec<f64> = (0..n * d).map(|_| next()).collect();
            let y: Vec<f64> = (0..n)
                .map(|_| if next() > 0.0 { 1.0 } else { 0.0 })
                .collect();
            LogReg { x, y, d }
        }
    }

    impl GenericLogDensity for LogReg {
        fn dim(&self) -> usize {
            self.d
        }
        fn log_density<T: AdScalar>(
            &self,
            b: &[T],
            scratch: &mut Vec<T>,
        ) -> Result<T, DensityError> {
            scratch.clear();
            scratch.extend(b.iter().map(|&v| v * v * -0.5));
            let mut lp: T = scratch.iter().copied().sum();
            for (row, &y) in self.x.chunks(self.d).zip(&self.y) {
                let mut eta = T::from(0.0);
                for (xi, &bi) in row.iter().zip(b) {
                    eta += bi * *xi;
                }
                // y·η − log(1 + e^η)
                let softplus = if eta.re() > 0.0 {
                    eta + (-eta).exp().ln_1p()
                } else {
                    eta.exp().ln_1p()
                };
                lp += eta * y - softplus;
            }
            Ok(lp)
        }
    }

    fn hand_gradient(m: &LogReg, b: &[f64], g: &mut [f64]) -> f64 {
        let mut lp = 0.0;
        for i in 0..m.d {
            g[i] = -b[i];
            lp -= 0.5 * b[i] * b[i];
        }
        for (row, &y) in m.x.chunks(m.d).zip(&m.y) {
            let eta: f64 = row.iter().zip(b).map(|(x, b)| x * b).sum();
            let p = 1.0 / (1.0 + (-eta).exp());
            lp += y * eta - crate::transforms::log1p_exp(eta);
            for (gi, xi) in g.iter_mut().zip(row) {
                *gi += (y - p) * xi;
            }
        }
        lp
    }

    #[test]
    fn matches_hand_written_gradient_and_finite_differences_for_every_chunking() {
        let model = LogReg::new(40, 7);
        let b = [0.3, -0.2, 1.1, 0.0, -0.7, 0.25, 0.5];
        let mut want = [0.0; 7];
        let want_lp = hand_gradient(&model, &b, &mut want);
        fn run<const N: usize>(m: &LogReg, b: &[f64], want_lp: f64, want: &[f64]) {
            let ad = ForwardAd::<&LogReg, N>::new(m);
            let mut g = [0.0; 7];
            let lp = ad.log_density(b, &mut g).unwrap();
            assert!((lp - want_lp).abs() < 1e-12, "N = {N}: {lp} vs {want_lp}");
            for i in 0..7 {
                assert!(
                    (g[i] - want[i]).abs() < 1e-11,
                    "N = {N}, coordinate {i}: {g:?} vs {want:?}"
                );
            }
            let r = check_gradient(&ad, b, 1e-5).unwrap();
            assert!(r.max_rel_error < 1e-7, "N = {N}: {r:?}");
        }
        run::<1>(&model, &b, want_lp, &want);
        run::<3>(&model, &b, want_lp, &want);
        run::<7>(&model, &b, want_lp, &want);
        run::<8>(&model, &b, want_lp, &want);
        assert!((ForwardAd::<&LogReg>::new(&model).value(&b).unwrap() - want_lp).abs() < 1e-12);
    }

    struct Failing;
    impl GenericLogDensity for Failing {
        fn dim(&self) -> usize {
            2
        }
        fn log_density<T: AdScalar>(&self, t: &[T], _: &mut Vec<T>) -> Result<T, DensityError> {
            if t[0].re() < 0.0 {
                Err(DensityError::recoverable("negative"))
            } else {
                Ok(t[1])
            }
        }
    }

    #[test]
    fn errors_pass_through_and_workspaces_are_reused() {
        let ad = ForwardAd::<_, 1>::new(Failing);
        let mut g = [0.0; 2];
        assert!(
            ad.log_density(&[-1.0, 0.0], &mut g)
                .unwrap_err()
                .is_recoverable()
        );
        assert_eq!(ad.log_density(&[1.0, 2.0], &mut g).unwrap(), 2.0);
        assert_eq!(g, [0.0, 1.0]);
        assert_eq!(ad.pool.lock().unwrap().len(), 1);
    }

    #[test]
    fn usable_from_several_threads() {
        let model = LogReg::new(30, 5);
        let ad = ForwardAd::<&LogReg, 4>::new(&model);
        let b = [0.1, 0.2, -0.3, 0.4, 0.0];
        let mut want = [0.0; 5];
        hand_gradient(&model, &b, &mut want);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let mut g = [0.0; 5];
                        ad.log_density(&b, &mut g).unwrap();
                        assert!(g.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-11));
                    }
                });
            }
        });
    }
}
