//! The closed form behind [`HierRegression::exact_moments`] checked against the density itself:
//! for fixed `log tau` the density is Gaussian in (μ, β, α), so one Newton step from anywhere
//! lands on the conditional mean, the Hessian (exact by finite differences of the linear
//! gradient) is the conditional precision, and the Laplace integral is exact.

use super::*;

/// The density's gradient in (μ, β, α) at fixed u, and its value.
fn conditional(m: &HierRegression, u: f64, w: &[f64]) -> (f64, Vec<f64>) {
    let mut theta = vec![w[0], w[1], u];
    theta.extend_from_slice(&w[2..]);
    let mut g = vec![0.0; theta.len()];
    let lp = m.log_density(&theta, &mut g).unwrap();
    g.remove(2);
    (lp, g)
}

/// Solves H x = b for a small dense symmetric positive definite H (Gaussian elimination).
fn solve(mut h: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for k in 0..n {
        for i in k + 1..n {
            let f = h[i][k] / h[k][k];
            for j in k..n {
                h[i][j] -= f * h[k][j];
            }
            b[i] -= f * b[k];
        }
    }
    let mut x = vec![0.0; n];
    for k in (0..n).rev() {
        let s: f64 = (k + 1..n).map(|j| h[k][j] * x[j]).sum();
        x[k] = (b[k] - s) / h[k][k];
    }
    x
}

/// (mode, −Hessian, log density at the mode) of the Gaussian conditional at u.
fn laplace(m: &HierRegression, u: f64) -> (Vec<f64>, Vec<Vec<f64>>, f64) {
    let n = m.num_groups() + 2;
    let w0 = vec![0.1; n];
    let (_, g0) = conditional(m, u, &w0);
    let h: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut w = w0.clone();
            w[i] += 1.0;
            let (_, g) = conditional(m, u, &w);
            (0..n).map(|j| g0[j] - g[j]).collect()
        })
        .collect();
    let step = solve(h.clone(), g0);
    let mode: Vec<f64> = w0.iter().zip(&step).map(|(a, s)| a + s).collect();
    let (lp, g) = conditional(m, u, &mode);
    assert!(g.iter().all(|v| v.abs() < 1e-8), "{g:?}");
    (mode, h, lp)
}

fn log_det(h: &[Vec<f64>]) -> f64 {
    // Cholesky: log det = 2 Σ log L_kk.
    let n = h.len();
    let mut l = vec![vec![0.0; n]; n];
    let mut ld = 0.0;
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                l[i][i] = (h[i][i] - s).sqrt();
                ld += 2.0 * l[i][i].ln();
            } else {
                l[i][j] = (h[i][j] - s) / l[j][j];
            }
        }
    }
    ld
}

#[test]
fn marginal_of_log_tau_is_the_laplace_integral_of_the_density() {
    let m = HierRegression::new(9).unwrap();
    let us = [-2.0, -0.7, 0.0, 0.6];
    let exact: Vec<f64> = us.iter().map(|&u| m.log_marginal(u).0).collect();
    let laplace: Vec<f64> = us
        .iter()
        .map(|&u| {
            let (_, h, lp) = laplace(&m, u);
            lp - 0.5 * log_det(&h)
        })
        .collect();
    for k in 1..us.len() {
        let a = exact[k] - exact[0];
        let b = laplace[k] - laplace[0];
        assert!((a - b).abs() < 1e-7, "u = {}: {a} vs {b}", us[k]);
    }
}

#[test]
fn conditional_means_and_variances_are_the_densitys() {
    let m = HierRegression::new(9).unwrap();
    for u in [-1.0, -0.3, 0.4] {
        let (mode, h, _) = laplace(&m, u);
        let (_, mean, cov) = m.log_marginal(u);
        assert!((mode[0] - mean[0]).abs() < 1e-8 && (mode[1] - mean[1]).abs() < 1e-8);
        let alpha = m.conditional_alpha_means(u);
        for (a, b) in alpha.iter().zip(&mode[2..]) {
            assert!((a - b).abs() < 1e-8, "{a} vs {b}");
        }
        // Conditional covariance = H⁻¹: compare Var μ, Var β, Cov(μ, β) and each Var α_j.
        let n = h.len();
        let inv_col = |k: usize| {
            let mut e = vec![0.0; n];
            e[k] = 1.0;
            solve(h.clone(), e)
        };
        let c0 = inv_col(0);
        let c1 = inv_col(1);
        assert!((c0[0] - cov[0]).abs() < 1e-9 && (c0[1] - cov[1]).abs() < 1e-9);
        assert!((c1[1] - cov[2]).abs() < 1e-9);
        let tau2 = (2.0 * u).exp();
        for (g, st) in m.stats.iter().enumerate() {
            let prec = 1.0 / tau2 + st.n;
            let c1a = 1.0 / (tau2 * prec);
            let c2a = st.sx / prec;
            let v = 1.0 / prec + c1a * c1a * cov[0] + c2a * c2a * cov[2] - 2.0 * c1a * c2a * cov[1];
            let direct = inv_col(2 + g)[2 + g];
            assert!(
                (v - direct).abs() < 1e-9,
                "alpha[{}]: {v} vs {direct}",
                g + 1
            );
        }
    }
}

#[test]
fn data_of_fewer_groups_are_a_prefix_and_moments_are_sane() {
    let small = HierRegression::new(13).unwrap();
    let big = HierRegression::new(103).unwrap();
    assert_eq!(small.y[..], big.y[..small.y.len()]);
    assert_eq!(small.num_observations(), 2 * (1 + 2 + 3 + 5 + 8));
    let e = big.exact_moments();
    assert_eq!(e.mean.len(), 103);
    // 100 groups simulated with mu = 1, beta = 0.5, tau = 0.5: the posterior is near them.
    assert!(
        (e.mean[0] - 1.0).abs() < 4.0 * e.sd[0],
        "{} ± {}",
        e.mean[0],
        e.sd[0]
    );
    assert!(
        (e.mean[1] - 0.5).abs() < 4.0 * e.sd[1],
        "{} ± {}",
        e.mean[1],
        e.sd[1]
    );
    assert!(
        (e.mean[2] - 0.5).abs() < 4.0 * e.sd[2],
        "{} ± {}",
        e.mean[2],
        e.sd[2]
    );
    assert!(e.sd.iter().all(|s| *s > 0.0 && s.is_finite()));
}

#[test]
fn bad_dimensions_are_errors() {
    assert!(matches!(
        HierRegression::new(3),
        Err(ModelError::InvalidDim { .. })
    ));
    assert!(matches!(
        HierRegression::new(HierRegression::MAX_DIM + 1),
        Err(ModelError::InvalidDim { .. })
    ));
}
