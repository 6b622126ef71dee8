//! Special functions for [`GenericLogDensity`](super::GenericLogDensity) models, written once
//! for every scalar type ([`AdScalar`]): the numerically careful forms a log-density needs
//! (`log1p_exp` for softplus links, `log_sum_exp` for mixtures, `lgamma` for count and
//! Dirichlet models), with exact derivatives under [`ForwardAd`](super::ForwardAd).
//!
//! `lgamma` is built from its value and its derivative ψ at the real part (statrs's
//! `ln_gamma` and `digamma`), which is exact for the first-order duals `ForwardAd` uses.

use super::AdScalar;

/// `log(1 + exp(u))` (softplus), accurate for large and small `u`.
///
/// ```
/// use flowpost::autodiff::math::log1p_exp;
/// assert_eq!(log1p_exp(1000.0), 1000.0);
/// assert!((log1p_exp(-40.0) - (-40f64).exp()).abs() < 1e-30);
/// ```
pub fn log1p_exp<T: AdScalar>(u: T) -> T {
    if u.re() > 0.0 {
        u + (-u).exp().ln_1p()
    } else {
        u.exp().ln_1p()
    }
}

/// `log Σ exp(x_i)`, shifted by the largest real part so no term overflows; −∞ for an empty
/// slice or when every term is −∞.
///
/// ```
/// use flowpost::autodiff::math::log_sum_exp;
/// assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-12);
/// assert_eq!(log_sum_exp::<f64>(&[]), f64::NEG_INFINITY);
/// ```
pub fn log_sum_exp<T: AdScalar>(x: &[T]) -> T {
    let m = x.iter().map(|v| v.re()).fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY || m.is_nan() {
        return T::from(m);
    }
    if m == f64::INFINITY {
        return T::from(f64::INFINITY);
    }
    let mut s = T::from(0.0);
    for &v in x {
        s += (v - m).exp();
    }
    s.ln() + m
}

/// `log Γ(x)` for x > 0 (NaN below), with derivative ψ(x).
///
/// ```
/// use flowpost::autodiff::math::lgamma;
/// assert!((lgamma(5.0) - 24f64.ln()).abs() < 1e-12);
/// ```
pub fn lgamma<T: AdScalar>(x: T) -> T {
    let x0 = x.re();
    if !(x0 > 0.0) {
        return T::from(f64::NAN);
    }
    let value = statrs::function::gamma::ln_gamma(x0);
    let slope = statrs::function::gamma::digamma(x0);
    (x - x0) * slope + value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::{ForwardAd, GenericLogDensity};
    use crate::density::{DensityError, LogDensity, check_gradient};

    /// Every function of this module in one density, so one gradient check covers their
    /// derivatives (mixture weights, a softplus scale, Gamma normalizers).
    struct Uses;

    impl GenericLogDensity for Uses {
        fn dim(&self) -> usize {
            3
        }
        fn log_density<T: AdScalar>(&self, th: &[T], _: &mut Vec<T>) -> Result<T, DensityError> {
            let a = log1p_exp(th[0]) + 0.1;
            let mix = log_sum_exp(&[th[1] * 2.0, th[2] - 1.0, th[0] * th[2]]);
            Ok(lgamma(a) - lgamma(a * 0.5 + 2.0) + mix - (th[1] * th[1] + th[2] * th[2]) * 0.5)
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let model: ForwardAd<Uses> = ForwardAd::new(Uses);
        for p in [
            [0.3, -0.4, 1.2],
            [-30.0, 2.0, -1.0],
            [25.0, -3.0, 0.5],
            [-2.0, 0.0, 0.0],
        ] {
            let check = check_gradient(&model, &p, 1e-6).unwrap();
            assert!(check.max_rel_error < 1e-6, "{p:?}: {check:?}");
        }
    }

    #[test]
    fn values_in_the_tails() {
        assert_eq!(log1p_exp(800.0), 800.0);
        assert!(log1p_exp(-800.0) >= 0.0 && log1p_exp(-800.0) < 1e-300);
        assert!((log_sum_exp(&[-1e4, -1e4 - 2f64.ln()]) - (-1e4 + 1.5f64.ln())).abs() < 1e-9);
        assert_eq!(log_sum_exp(&[f64::NEG_INFINITY; 3]), f64::NEG_INFINITY);
        assert!((lgamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!(lgamma(-1.0f64).is_nan() && lgamma(0.0f64).is_nan());
        let model: ForwardAd<Uses> = ForwardAd::new(Uses);
        let mut g = [0.0; 3];
        assert!(model.log_density(&[0.0; 3], &mut g).unwrap().is_finite());
    }
}
