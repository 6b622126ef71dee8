//! The validation targets' exact moments, checked by quadrature of their densities (so the
//! constants in `validation.rs` and the reference the bench judges against cannot drift from the
//! densities that are sampled).

use flowpost::LogDensity;
use flowpost_models::reference::reference;
use flowpost_models::{LogGamma, ModelOptions, StudentT};

/// ∫ f over [a, b] by the composite Simpson rule with `n` (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        s += w * f(a + i as f64 * h);
    }
    s * h / 3.0
}

#[test]
fn log_gamma_means_and_variances_are_its_densitys_moments() {
    let m = LogGamma;
    let refs = reference("log_gamma", &ModelOptions::default())
        .unwrap()
        .unwrap();
    for (i, &k) in LogGamma::SHAPES.iter().enumerate() {
        // One coordinate's unnormalized density, read from the model itself.
        let density = |y: f64| {
            let mut theta = [0.0; 6];
            theta[i] = y;
            let mut g = [0.0; 6];
            let at_zero = m.log_density(&[0.0; 6], &mut g).unwrap();
            (m.log_density(&theta, &mut g).unwrap() - at_zero).exp()
        };
        let (a, b) = (-150.0, 6.0); // k = 0.3: the left tail e^{0.3y} holds e^{-45} beyond -150
        let z = simpson(density, a, b, 400_000);
        let mean = simpson(|y| y * density(y), a, b, 400_000) / z;
        let var = simpson(|y| (y - mean).powi(2) * density(y), a, b, 400_000) / z;
        assert!(
            (mean - LogGamma::MEANS[i]).abs() < 1e-7,
            "k = {k}: mean {mean}"
        );
        assert!(
            (var - LogGamma::VARIANCES[i]).abs() < 1e-7,
            "k = {k}: var {var}"
        );
        assert!((refs[i].mean - mean).abs() < 1e-7 && (refs[i].sd - var.sqrt()).abs() < 1e-7);
    }
}

#[test]
fn student_t_is_the_multivariate_t_and_its_sds_are_the_marginals() {
    let m = StudentT;
    let (nu, d) = (StudentT::NU, StudentT::DIM as f64);
    // The kernel: log p(x) − log p(0) = −(ν + d)/2 · log(1 + Σ (x_i/σ_i)²/ν).
    let x: Vec<f64> = (0..StudentT::DIM).map(|i| 0.3 * i as f64 - 1.0).collect();
    let mut g = vec![0.0; StudentT::DIM];
    let q: f64 = x
        .iter()
        .enumerate()
        .map(|(i, v)| (v / StudentT::scale(i)).powi(2))
        .sum();
    let expected = -(nu + d) / 2.0 * (1.0 + q / nu).ln();
    let got = m.log_density(&x, &mut g).unwrap() - m.log_density(&[0.0; 10], &mut g).unwrap();
    assert!((got - expected).abs() < 1e-12);
    // A multivariate t's marginals are univariate t_ν(0, σ_i): the sd by quadrature of that.
    let refs = reference("student_t", &ModelOptions::default())
        .unwrap()
        .unwrap();
    for (i, r) in refs.iter().enumerate() {
        let s = StudentT::scale(i);
        let density = |t: f64| (1.0 + (t / s).powi(2) / nu).powf(-(nu + 1.0) / 2.0);
        let (a, b) = (-4000.0 * s, 4000.0 * s);
        let z = simpson(density, a, b, 2_000_000);
        let var = simpson(|t| t * t * density(t), a, b, 2_000_000) / z;
        // The t_5 tail beyond 4000σ holds a relative 1e-7 of the second moment.
        assert!(
            (var.sqrt() / StudentT::sd(i) - 1.0).abs() < 1e-5,
            "x[{}]: sd {}",
            i + 1,
            var.sqrt()
        );
        assert!((r.sd - StudentT::sd(i)).abs() < 1e-12 && r.mean == 0.0);
    }
}
