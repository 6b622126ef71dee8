//! [`LatentGp`] checked piece by piece: the packed Cholesky factor against the kernel it
//! factorises, `constrain ∘ unconstrain`, the dimensions it takes, and its gradient at the
//! CI size.

use super::*;
use flowpost::check_gradient;

fn kernel(a: f64, b: f64) -> f64 {
    ALPHA * ALPHA * (-(a - b) * (a - b) / (2.0 * RHO * RHO)).exp()
}

#[test]
fn the_factor_reproduces_the_kernel() {
    for n in [50, 500] {
        let m = LatentGp::new(n).unwrap();
        let row = |i: usize| &m.l[i * (i + 1) / 2..][..=i];
        let mut worst = 0.0f64;
        for i in (0..n).step_by(7) {
            for j in 0..=i {
                let llt = crate::math::dot(&row(i)[..=j], &row(j)[..=j]);
                let k = kernel(m.x[i], m.x[j]) + if i == j { JITTER } else { 0.0 };
                worst = worst.max((llt - k).abs());
            }
        }
        assert!(worst < 1e-12, "N = {n}: |L Lᵀ − K| up to {worst:e}");
    }
}

#[test]
fn constrain_inverts_unconstrain() {
    for n in [50, 500] {
        let m = LatentGp::new(n).unwrap();
        let c: Vec<f64> = (0..=n).map(|i| 1.0 + (0.05 * i as f64).sin()).collect();
        let mut out = vec![0.0; n + 1];
        m.constrain(&m.unconstrain(&c), &mut out);
        let worst = c
            .iter()
            .zip(&out)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "N = {n}: off by {worst:e}");
    }
}

#[test]
fn takes_divisors_of_500_only() {
    for n in [1, 50, 100, 500] {
        assert_eq!(LatentGp::new(n).unwrap().dim(), n + 1);
    }
    for n in [0, 49, 501] {
        let e = LatentGp::new(n).unwrap_err().to_string();
        assert!(e.contains("must divide 500"), "{e}");
    }
}

#[test]
fn gradient_matches_finite_differences_at_50_inputs() {
    let m = LatentGp::new(50).unwrap();
    for k in 0..4 {
        let theta: Vec<f64> = (0..51)
            .map(|i| 0.5 * ((i * 7 + k * 13) as f64).sin())
            .collect();
        let r = check_gradient(&m, &theta, 1e-5).unwrap();
        assert!(r.max_rel_error < 1e-6, "point {k}: {r:?}");
    }
}
