//! The multimodal targets' exact answers (means, sds, mode weights, log Z) against quadrature
//! of their densities in 2-d and against exact draws from the mixtures in 10 and 20 dimensions,
//! so the constants cannot drift from the densities that are sampled; their gradients at the
//! larger dimensions.

use flowpost::{LogDensity, check_gradient};
use flowpost_models::occupancy::{log_evidence, modes};
use flowpost_models::reference::reference;
use flowpost_models::{Component, Mixture, ModelOptions, SignFlip, load_builtin};

/// Moments, log Z and cell probabilities of `density` by the midpoint rule on the square
/// [−r, r]² with n × n cells, cells by `classify`.
fn quadrature_2d(
    density: &dyn LogDensity,
    r: (f64, f64, f64, f64),
    n: usize,
    classify: &dyn Fn(&[f64]) -> usize,
    num_modes: usize,
) -> (f64, [f64; 2], [f64; 2], Vec<f64>) {
    let (x0, x1, y0, y1) = r;
    let (hx, hy) = ((x1 - x0) / n as f64, (y1 - y0) / n as f64);
    let mut g = [0.0; 2];
    let (mut z, mut m1, mut m2) = (0.0, [0.0; 2], [0.0; 2]);
    let mut cells = vec![0.0; num_modes];
    for i in 0..n {
        for j in 0..n {
            let p = [x0 + (i as f64 + 0.5) * hx, y0 + (j as f64 + 0.5) * hy];
            let f = density.log_density(&p, &mut g).unwrap().exp() * hx * hy;
            z += f;
            for k in 0..2 {
                m1[k] += f * p[k];
                m2[k] += f * p[k] * p[k];
            }
            cells[classify(&p)] += f;
        }
    }
    let mean = [m1[0] / z, m1[1] / z];
    let sd = [
        (m2[0] / z - mean[0].powi(2)).sqrt(),
        (m2[1] / z - mean[1].powi(2)).sqrt(),
    ];
    cells.iter_mut().for_each(|c| *c /= z);
    (z.ln(), mean, sd, cells)
}

#[test]
fn two_dimensional_targets_match_quadrature() {
    for name in ["mixture2", "mixture4", "mixture2_t", "sign_flip"] {
        let two = ModelOptions {
            dim: (name != "sign_flip").then_some(2),
        };
        let m = load_builtin(name, &two).unwrap();
        let modes = modes(name, &two).unwrap().unwrap();
        let refs = reference(name, &two).unwrap().unwrap();
        let log_z = log_evidence(name, &two).unwrap().unwrap();
        // t tails: the box ±200 leaves a relative ~1e-8 of the mass (and ~1e-3 of the second
        // moment) outside; the Gaussians need ±20. A cell's boundary cuts grid cells, so cell
        // probabilities carry an error of the order of the grid step times the density there.
        let (box_, n, tol_sd, tol_cell) = match name {
            "mixture2_t" => ((-200.0, 200.0, -200.0, 200.0), 4000, 2e-3, 2e-4),
            "sign_flip" => ((-3.0, 3.0, -2.0, 3.0), 2000, 1e-6, 1e-5),
            _ => ((-20.0, 20.0, -20.0, 20.0), 2000, 1e-6, 2e-5),
        };
        let (qz, mean, sd, cells) = quadrature_2d(
            m.as_ref(),
            box_,
            n,
            &|p| modes.classify(p),
            modes.num_modes(),
        );
        println!(
            "{name}: log Z {qz} vs {log_z}; cells {cells:?} vs {:?}",
            modes.weights
        );
        assert!((qz - log_z).abs() < 1e-5, "{name}: log Z {qz} vs {log_z}");
        for k in 0..2 {
            assert!(
                (mean[k] - refs[k].mean).abs() < 1e-5,
                "{name}: mean {k} {}",
                mean[k]
            );
            assert!(
                (sd[k] / refs[k].sd - 1.0).abs() < tol_sd,
                "{name}: sd {k} {}",
                sd[k]
            );
        }
        for (c, w) in cells.iter().zip(&modes.weights) {
            assert!((c - w).abs() < tol_cell, "{name}: cell {c} vs {w}");
        }
    }
}

/// Box–Muller standard normal from an xorshift stream.
struct Normals(u64);
impl Normals {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

#[test]
fn exact_draws_in_higher_dimensions_agree_with_the_stated_answers() {
    // Draws straight from the mixture (component, then the component's draw): their mean, sd
    // and mode fractions must match the stated ones within 5 standard errors.
    let mut rng = Normals(0x2545F4914F6CDD1D);
    let n = 100_000;
    for (name, d, weights, locs, scales, component) in [
        (
            "mixture2",
            20,
            vec![0.2, 0.8],
            vec![(-4.0, 0.0), (4.0, 0.0)],
            vec![1.0, 1.0],
            Component::Gaussian,
        ),
        (
            "mixture4",
            10,
            vec![0.4, 0.1, 0.3, 0.2],
            vec![(-4.0, -4.0), (-4.0, 4.0), (4.0, -4.0), (4.0, 4.0)],
            vec![1.0, 0.8, 1.2, 1.0],
            Component::Gaussian,
        ),
        (
            "mixture2_t",
            20,
            vec![0.3, 0.7],
            vec![(-5.0, 0.0), (5.0, 0.0)],
            vec![1.0, 1.0],
            Component::StudentT { nu: 5.0 },
        ),
    ] {
        let o = ModelOptions { dim: Some(d) };
        let modes = modes(name, &o).unwrap().unwrap();
        let refs = reference(name, &o).unwrap().unwrap();
        let (u, v) = {
            let u = vec![1.0 / (d as f64).sqrt(); d];
            let v: Vec<f64> = (0..d)
                .map(|j| if j % 2 == 0 { 1.0 } else { -1.0 } / (d as f64).sqrt())
                .collect();
            (u, v)
        };
        let mut sum = vec![0.0; d];
        let mut sum2 = vec![0.0; d];
        let mut counts = vec![0usize; modes.num_modes()];
        let mut x = vec![0.0; d];
        for _ in 0..n {
            let r = rng.uniform();
            let mut k = 0;
            let mut acc = weights[0];
            while r > acc {
                k += 1;
                acc += weights[k];
            }
            let scale = match component {
                Component::Gaussian => scales[k],
                Component::StudentT { nu } => {
                    let chi2: f64 = (0..nu as usize).map(|_| rng.normal().powi(2)).sum();
                    scales[k] / (chi2 / nu).sqrt()
                }
            };
            for j in 0..d {
                x[j] = locs[k].0 * u[j] + locs[k].1 * v[j] + scale * rng.normal();
                sum[j] += x[j];
                sum2[j] += x[j] * x[j];
            }
            counts[modes.classify(&x)] += 1;
        }
        for j in 0..d {
            let mean = sum[j] / n as f64;
            let sd = (sum2[j] / n as f64 - mean * mean).sqrt();
            let se_mean = refs[j].sd / (n as f64).sqrt();
            assert!(
                (mean - refs[j].mean).abs() < 5.0 * se_mean,
                "{name} x[{j}] mean {mean} vs {}",
                refs[j].mean
            );
            // sd's standard error ≤ sd · sqrt(kurtosis / (4n)); heavy t tails: a loose 3%.
            let tol = if name == "mixture2_t" { 0.03 } else { 0.01 };
            assert!(
                (sd / refs[j].sd - 1.0).abs() < tol,
                "{name} x[{j}] sd {sd} vs {}",
                refs[j].sd
            );
        }
        for (c, w) in counts.iter().zip(&modes.weights) {
            let f = *c as f64 / n as f64;
            let se = (w * (1.0 - w) / n as f64).sqrt();
            assert!((f - w).abs() < 5.0 * se, "{name}: fraction {f} vs {w}");
        }
    }
}

#[test]
fn mixtures_take_a_dimension_and_their_gradients_are_right() {
    for name in ["mixture2", "mixture4", "mixture2_t"] {
        for d in [2, 3, 10, 20] {
            let m = load_builtin(name, &ModelOptions { dim: Some(d) }).unwrap();
            assert_eq!((m.dim(), m.param_names().len()), (d, d));
            for shift in [-3.0, 0.1, 2.5] {
                let p: Vec<f64> = (0..d).map(|i| shift + 0.2 * i as f64 - 0.5).collect();
                let r = check_gradient(m.as_ref(), &p, 1e-5).unwrap();
                assert!(r.max_rel_error < 1e-6, "{name} d = {d}: {r:?}");
            }
        }
        let e = load_builtin(name, &ModelOptions { dim: Some(1) })
            .err()
            .unwrap();
        assert!(e.to_string().contains("2 ≤ dim"), "{e}");
    }
    assert!(load_builtin("sign_flip", &ModelOptions { dim: Some(3) }).is_err());
    let m = Mixture::four(20).unwrap();
    assert_eq!(m.modes().num_modes(), 4);
    assert!((SignFlip.modes().weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}
