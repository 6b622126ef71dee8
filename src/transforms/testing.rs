//! Finite-difference helpers for the transform tests.

/// Fourth-order central difference of a scalar function.
pub(crate) fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-4 * x.abs().max(1.0);
    let d1 = (f(x + h) - f(x - h)) / (2.0 * h);
    let d2 = (f(x + 2.0 * h) - f(x - 2.0 * h)) / (4.0 * h);
    (4.0 * d1 - d2) / 3.0
}

/// Asserts `|a − b| ≤ tol · max(1, |b|)`.
#[track_caller]
pub(crate) fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

/// log |det M| of a small dense matrix (row-major, n×n) by Gaussian elimination with pivoting.
pub(crate) fn log_abs_det(mut m: Vec<f64>, n: usize) -> f64 {
    let mut acc = 0.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| m[i * n + c].abs().total_cmp(&m[j * n + c].abs()))
            .unwrap();
        if p != c {
            for k in 0..n {
                m.swap(p * n + k, c * n + k);
            }
        }
        let piv = m[c * n + c];
        acc += piv.abs().ln();
        for r in c + 1..n {
            let f = m[r * n + c] / piv;
            for k in c..n {
                m[r * n + k] -= f * m[c * n + k];
            }
        }
    }
    acc
}

/// Finite-difference Jacobian (row-major, m×n) of `f: ℝ^n → ℝ^m`.
pub(crate) fn fd_jacobian(f: impl Fn(&[f64], &mut [f64]), u: &[f64], m: usize) -> Vec<f64> {
    let n = u.len();
    let mut jac = vec![0.0; m * n];
    for j in 0..n {
        let h = 1e-4 * u[j].abs().max(1.0);
        let eval = |delta: f64| {
            let mut x = u.to_vec();
            x[j] += delta;
            let mut out = vec![0.0; m];
            f(&x, &mut out);
            out
        };
        let (p1, m1, p2, m2) = (eval(h), eval(-h), eval(2.0 * h), eval(-2.0 * h));
        for i in 0..m {
            let d1 = (p1[i] - m1[i]) / (2.0 * h);
            let d2 = (p2[i] - m2[i]) / (4.0 * h);
            jac[i * n + j] = (4.0 * d1 - d2) / 3.0;
        }
    }
    jac
}

/// Checks a vector transform: round trip, log-Jacobian against the finite-difference Jacobian
/// (restricted to the first `n` outputs, which is how a simplex's density is defined), and
/// `backprop` against finite differences of `grad_x · T(u) + log |det J(u)|`.
pub(crate) fn check_vector_transform<V: super::VectorTransform>(t: &V, u: &[f64], grad_x: &[f64]) {
    let (n, m) = (t.unconstrained_len(), t.constrained_len());
    let mut x = vec![0.0; m];
    let log_j = t.constrain(u, &mut x);
    let mut back = vec![0.0; n];
    t.unconstrain(&x, &mut back);
    for i in 0..n {
        assert_close(back[i], u[i], 1e-9, "round trip");
    }
    let jac = fd_jacobian(
        |v, out| {
            t.constrain(v, out);
        },
        u,
        m,
    );
    let square: Vec<f64> = jac[..n * n].to_vec();
    assert_close(
        log_j,
        log_abs_det(square, n),
        1e-6,
        "log-Jacobian vs finite differences",
    );
    let mut grad_u = vec![0.0; n];
    t.backprop(u, grad_x, &mut grad_u);
    let objective = |v: &[f64]| {
        let mut out = vec![0.0; m];
        let lj = t.constrain(v, &mut out);
        lj + out.iter().zip(grad_x).map(|(a, b)| a * b).sum::<f64>()
    };
    for j in 0..n {
        let num = fd(
            |v| {
                let mut w = u.to_vec();
                w[j] = v;
                objective(&w)
            },
            u[j],
        );
        assert_close(grad_u[j], num, 1e-6, "backprop vs finite differences");
    }
}
