//! Small log-density pieces shared by the models (constants dropped, as Stan's `~` does).

/// Stan-style names `name[1]`, …, `name[n]`.
pub(crate) fn indexed(name: &str, n: usize) -> impl Iterator<Item = String> + '_ {
    (1..=n).map(move |i| format!("{name}[{i}]"))
}

/// `normal_lpdf(x | m, s)` without constants in `s`: `(−(x − m)²/(2s²), d/dx)`.
pub(crate) fn normal(x: f64, m: f64, s: f64) -> (f64, f64) {
    let z = (x - m) / s;
    (-0.5 * z * z, -z / s)
}

/// `cauchy_lpdf(x | 0, s)` up to a constant: `(−log(1 + (x/s)²), d/dx)`.
pub(crate) fn cauchy0(x: f64, s: f64) -> (f64, f64) {
    let z = x / s;
    (-(z * z).ln_1p(), -2.0 * x / (s * s + x * x))
}

/// `student_t_lpdf(x | nu, m, s)` up to a constant in x: `(−(ν+1)/2 · log(1 + z²/ν), d/dx)`.
pub(crate) fn student_t(x: f64, nu: f64, m: f64, s: f64) -> (f64, f64) {
    let r = x - m;
    let q = r * r / (nu * s * s);
    (
        -0.5 * (nu + 1.0) * q.ln_1p(),
        -(nu + 1.0) * r / (nu * s * s + r * r),
    )
}

/// `log_sum_exp(a, b)` and the weight `exp(a − lse)` of `a` (one `exp`, one `ln_1p`).
pub(crate) fn log_sum_exp2(a: f64, b: f64) -> (f64, f64) {
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return if hi == f64::NEG_INFINITY {
            (hi, 0.5)
        } else {
            (hi, if a >= b { 1.0 } else { 0.0 })
        };
    }
    let e = (lo - hi).exp();
    let w_hi = 1.0 / (1.0 + e);
    (hi + e.ln_1p(), if a >= b { w_hi } else { e * w_hi })
}

/// `(log(1 + exp(η)), logit⁻¹(η))` with one `exp` and one `ln_1p`.
#[inline]
pub(crate) fn softplus_and_sigmoid(eta: f64) -> (f64, f64) {
    let e = (-eta.abs()).exp();
    let inv = 1.0 / (1.0 + e);
    (
        eta.max(0.0) + e.ln_1p(),
        if eta >= 0.0 { inv } else { e * inv },
    )
}

/// Checks that a point has the model's dimension.
#[track_caller]
pub(crate) fn check_len(model: &str, what: &str, got: usize, want: usize) {
    assert!(
        got == want,
        "{model}: {what} has length {got}, expected {want}"
    );
}

/// `Σ a_i b_i` with four independent accumulators (lets the compiler pipeline and vectorise
/// the reduction; the plain fold is one serial chain of dependent additions).
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `y += a·x`.
#[inline]
pub(crate) fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sum_exp2_and_softplus_match_direct_formulas() {
        for (a, b) in [
            (0.3, -1.2),
            (-5.0, 2.0),
            (700.0, 699.0),
            (-1e3, -1e3 - 5.0),
            (1.0, 1.0),
        ] {
            let (lse, w) = log_sum_exp2(a, b);
            let m = f64::max(a, b);
            let direct = m + ((a - m).exp() + (b - m).exp()).ln();
            assert!(
                (lse - direct).abs() < 1e-12 * direct.abs().max(1.0),
                "{a} {b}"
            );
            assert!((w - (a - direct).exp()).abs() < 1e-12, "{a} {b}");
        }
        assert_eq!(log_sum_exp2(f64::NEG_INFINITY, 0.0), (0.0, 0.0));
        for eta in [-40.0, -3.0, -0.1, 0.0, 0.2, 5.0, 40.0] {
            let (sp, p) = softplus_and_sigmoid(eta);
            assert!(
                (sp - flowpost::transforms::log1p_exp(eta)).abs() < 1e-14 * sp.max(1.0),
                "{eta}"
            );
            assert!(
                (p - flowpost::transforms::inv_logit(eta)).abs() < 1e-15,
                "{eta}"
            );
        }
        assert_eq!(
            dot(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0, 1.0, 1.0, 1.0, 2.0]),
            20.0
        );
    }
}
