//! The models against posteriordb's reference draws: names, `constrain(unconstrain(draw))`,
//! finiteness, and the log-density against independent plain re-implementations of the Stan
//! programs (differences between draws must agree: the densities are equal up to a constant).

mod common;

use common::load_reference;
use flowpost::LogDensity;
use flowpost_models::{ModelOptions, list, load_builtin};

fn reference_models() -> Vec<&'static str> {
    list()
        .into_iter()
        .filter(|m| m.has_reference)
        .map(|m| m.name)
        .collect()
}

#[test]
fn names_and_round_trip_match_the_reference_draws() {
    for name in reference_models() {
        let model = load_builtin(name, &ModelOptions::default()).unwrap();
        let reference = load_reference(name);
        assert_eq!(
            model.param_names(),
            reference.names,
            "{name}: parameter names"
        );
        let mut out = vec![0.0; reference.names.len()];
        let mut worst = 0.0f64;
        for x in reference.draws.iter().step_by(4) {
            let u = model.unconstrain(x);
            assert_eq!(u.len(), model.dim(), "{name}");
            model.constrain(&u, &mut out);
            for (a, b) in out.iter().zip(x) {
                worst = worst.max((a - b).abs() / b.abs().max(1.0));
            }
        }
        println!("{name:40} round-trip max relative error {worst:.2e}");
        // gp_pois_regr maps f → L⁻¹ f → L·(L⁻¹ f) with L nearly singular (cond ~1e5 at the
        // draws): rounding leaves ~1e-9 there; every other model is exact to a few ulps
        let tol = if name.starts_with("gp_pois_regr") {
            1e-7
        } else {
            1e-12
        };
        assert!(
            worst < tol,
            "{name}: constrain(unconstrain(draw)) is off by {worst:e}"
        );
    }
}

#[test]
fn log_density_is_finite_on_reference_draws() {
    for name in reference_models() {
        let model = load_builtin(name, &ModelOptions::default()).unwrap();
        let mut grad = vec![0.0; model.dim()];
        for (i, x) in load_reference(name).draws.iter().enumerate().step_by(2) {
            let u = model.unconstrain(x);
            let lp = model
                .log_density(&u, &mut grad)
                .unwrap_or_else(|e| panic!("{name} draw {i}: {e}"));
            assert!(
                lp.is_finite() && grad.iter().all(|g| g.is_finite()),
                "{name} draw {i}: {lp}"
            );
        }
    }
}

#[test]
fn centered_and_noncentered_eight_schools_are_the_same_posterior() {
    // p_nc(theta_trans, mu, tau) = p_c(mu + tau·theta_trans, mu, tau)·tau^J on the constrained
    // space, so lp_nc − lp_c − J·log tau is constant over draws.
    let c = load_builtin("eight_schools_centered", &ModelOptions::default()).unwrap();
    let nc = load_builtin("eight_schools_noncentered", &ModelOptions::default()).unwrap();
    let mut g = vec![0.0; 10];
    let diffs: Vec<f64> = load_reference("eight_schools_centered")
        .draws
        .iter()
        .step_by(10)
        .map(|x| {
            let lc = c.log_density(&c.unconstrain(x), &mut g).unwrap();
            let lnc = nc.log_density(&nc.unconstrain(x), &mut g).unwrap();
            lnc - lc - 8.0 * x[9].ln()
        })
        .collect();
    for d in &diffs {
        assert!((d - diffs[0]).abs() < 1e-9, "{d} vs {}", diffs[0]);
    }
}

// ---- independent re-implementations, on the constrained parameters, from the Stan code ----

const LN_2PI: f64 = 1.8378770664093453;

fn normal_lpdf(y: f64, mu: f64, sigma: f64) -> f64 {
    -0.5 * LN_2PI - sigma.ln() - 0.5 * ((y - mu) / sigma).powi(2)
}

fn cauchy_lpdf(y: f64, mu: f64, s: f64) -> f64 {
    -(std::f64::consts::PI * s).ln() - (1.0 + ((y - mu) / s).powi(2)).ln()
}

/// Without the Γ-function constant (same for every draw).
fn student_t_lpdf(y: f64, nu: f64, mu: f64, s: f64) -> f64 {
    -s.ln() - (nu + 1.0) / 2.0 * (1.0 + ((y - mu) / s).powi(2) / nu).ln()
}

fn data(name: &str) -> serde_json::Value {
    let file = match name {
        "eight_schools-eight_schools_centered" | "eight_schools-eight_schools_noncentered" => {
            "eight_schools".to_string()
        }
        other => other.to_string(),
    };
    let path = format!(
        "{}/data/posteriordb/{file}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn vecf(v: &serde_json::Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn matf(v: &serde_json::Value, key: &str) -> Vec<Vec<f64>> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn regression(y: &[f64], rows: &[Vec<f64>], beta: &[f64], sigma: f64) -> f64 {
    y.iter()
        .zip(rows)
        .map(|(y, r)| normal_lpdf(*y, r.iter().zip(beta).map(|(a, b)| a * b).sum(), sigma))
        .sum()
}

/// log p(parameters | data) on the constrained space, up to a constant, for the reported
/// values `x` (and the unconstrained `u`, for parameters the draws do not store).
fn naive_log_posterior(name: &str, d: &serde_json::Value, x: &[f64], u: &[f64]) -> f64 {
    match name {
        "arK-arK" => {
            let y = vecf(d, "y");
            let k = 5;
            let (alpha, beta, sigma) = (x[0], &x[1..6], x[6]);
            let mut lp = normal_lpdf(alpha, 0.0, 10.0) + cauchy_lpdf(sigma, 0.0, 2.5);
            lp += beta.iter().map(|b| normal_lpdf(*b, 0.0, 10.0)).sum::<f64>();
            for t in k..y.len() {
                let mu = alpha + (0..k).map(|j| beta[j] * y[t - j - 1]).sum::<f64>();
                lp += normal_lpdf(y[t], mu, sigma);
            }
            lp
        }
        "arma-arma11" => {
            let y = vecf(d, "y");
            let (mu, phi, theta, sigma) = (x[0], x[1], x[2], x[3]);
            let mut lp = normal_lpdf(mu, 0.0, 10.0)
                + normal_lpdf(phi, 0.0, 2.0)
                + normal_lpdf(theta, 0.0, 2.0);
            lp += cauchy_lpdf(sigma, 0.0, 2.5);
            let mut err = vec![0.0; y.len()];
            err[0] = y[0] - (mu + phi * mu);
            for t in 1..y.len() {
                err[t] = y[t] - (mu + phi * y[t - 1] + theta * err[t - 1]);
            }
            lp + err.iter().map(|e| normal_lpdf(*e, 0.0, sigma)).sum::<f64>()
        }
        "diamonds-diamonds" => {
            let (yv, xm) = (vecf(d, "Y"), matf(d, "X"));
            let k = xm[0].len();
            let means: Vec<f64> = (1..k)
                .map(|c| xm.iter().map(|r| r[c]).sum::<f64>() / xm.len() as f64)
                .collect();
            let (b, intercept, sigma) = (&x[..k - 1], x[k - 1], x[k]);
            let mut lp = b.iter().map(|v| normal_lpdf(*v, 0.0, 1.0)).sum::<f64>();
            lp += student_t_lpdf(intercept, 3.0, 8.0, 10.0) + student_t_lpdf(sigma, 3.0, 0.0, 10.0);
            for (y, r) in yv.iter().zip(&xm) {
                let eta = intercept
                    + (1..k)
                        .map(|c| (r[c] - means[c - 1]) * b[c - 1])
                        .sum::<f64>();
                lp += normal_lpdf(*y, eta, sigma);
            }
            lp
        }
        "earnings-logearn_interaction" => {
            let (earn, h, m) = (vecf(d, "earn"), vecf(d, "height"), vecf(d, "male"));
            let y: Vec<f64> = earn.iter().map(|e| e.ln()).collect();
            let rows: Vec<Vec<f64>> = (0..y.len())
                .map(|i| vec![1.0, h[i], m[i], h[i] * m[i]])
                .collect();
            regression(&y, &rows, &x[..4], x[4])
        }
        "eight_schools-eight_schools_centered" | "eight_schools-eight_schools_noncentered" => {
            let (y, s) = (vecf(d, "y"), vecf(d, "sigma"));
            let (theta, mu, tau) = (&x[..8], x[8], x[9]);
            let mut lp = cauchy_lpdf(tau, 0.0, 5.0) + normal_lpdf(mu, 0.0, 5.0);
            for j in 0..8 {
                lp += normal_lpdf(y[j], theta[j], s[j]);
                if name.ends_with("_centered") {
                    lp += normal_lpdf(theta[j], mu, tau);
                } else {
                    lp += normal_lpdf(u[j], 0.0, 1.0);
                }
            }
            lp
        }
        "garch-garch11" => {
            let y = vecf(d, "y");
            let sigma1 = d["sigma1"].as_f64().unwrap();
            let (mu, a0, a1, b1) = (x[0], x[1], x[2], x[3]);
            let mut sigma = vec![sigma1; y.len()];
            for t in 1..y.len() {
                sigma[t] = (a0 + a1 * (y[t - 1] - mu).powi(2) + b1 * sigma[t - 1].powi(2)).sqrt();
            }
            y.iter()
                .zip(&sigma)
                .map(|(y, s)| normal_lpdf(*y, mu, *s))
                .sum()
        }
        "gp_pois_regr-gp_pois_regr" => {
            // f is what the draws store; f_tilde = u[2..]
            let k = vecf(d, "k");
            let (rho, alpha, f) = (x[0], x[1], &x[2..]);
            let mut lp = 24.0 * rho.ln() - 4.0 * rho + normal_lpdf(alpha, 0.0, 2.0);
            lp += u[2..]
                .iter()
                .map(|v| normal_lpdf(*v, 0.0, 1.0))
                .sum::<f64>();
            for (ki, fi) in k.iter().zip(f) {
                lp += ki * fi - fi.exp(); // poisson_log without log k!
            }
            lp
        }
        "hmm_example-hmm_example" => {
            // forward algorithm in probability space with per-step normalisation
            let y = vecf(d, "y");
            let tr = [[x[0], x[1]], [x[2], x[3]]];
            let mu = [x[4], x[5]];
            let dens = |y: f64, k: usize| normal_lpdf(y, mu[k], 1.0).exp();
            let mut alpha = [dens(y[0], 0), dens(y[0], 1)];
            let mut log_scale = 0.0;
            for &yt in &y[1..] {
                let next =
                    [0, 1].map(|k| (alpha[0] * tr[0][k] + alpha[1] * tr[1][k]) * dens(yt, k));
                let s = next[0] + next[1];
                log_scale += s.ln();
                alpha = [next[0] / s, next[1] / s];
            }
            let first = alpha[0] + alpha[1];
            normal_lpdf(mu[0], 3.0, 1.0) + normal_lpdf(mu[1], 10.0, 1.0) + log_scale + first.ln()
        }
        "kidiq-kidscore_interaction" => {
            let (ks, iq, hs) = (vecf(d, "kid_score"), vecf(d, "mom_iq"), vecf(d, "mom_hs"));
            let rows: Vec<Vec<f64>> = (0..ks.len())
                .map(|i| vec![1.0, hs[i], iq[i], hs[i] * iq[i]])
                .collect();
            cauchy_lpdf(x[4], 0.0, 2.5) + regression(&ks, &rows, &x[..4], x[4])
        }
        "kilpisjarvi_mod-kilpisjarvi" => {
            let (xs, y) = (vecf(d, "x"), vecf(d, "y"));
            let g = |k: &str| d[k].as_f64().unwrap();
            let rows: Vec<Vec<f64>> = xs.iter().map(|v| vec![1.0, *v]).collect();
            normal_lpdf(x[0], g("pmualpha"), g("psalpha"))
                + normal_lpdf(x[1], g("pmubeta"), g("psbeta"))
                + regression(&y, &rows, &x[..2], x[2])
        }
        "low_dim_gauss_mix-low_dim_gauss_mix" => {
            let y = vecf(d, "y");
            let (mu, sigma, theta) = (&x[0..2], &x[2..4], x[4]);
            let mut lp = (0..2)
                .map(|k| normal_lpdf(sigma[k], 0.0, 2.0) + normal_lpdf(mu[k], 0.0, 2.0))
                .sum::<f64>();
            lp += 4.0 * theta.ln() + 4.0 * (1.0 - theta).ln();
            for yn in y {
                let p = theta * normal_lpdf(yn, mu[0], sigma[0]).exp()
                    + (1.0 - theta) * normal_lpdf(yn, mu[1], sigma[1]).exp();
                lp += p.ln();
            }
            lp
        }
        "mesquite-logmesquite_logvas" => {
            let c = |k: &str| vecf(d, k);
            let (w, d1, d2, ch, th, de, gr) = (
                c("weight"),
                c("diam1"),
                c("diam2"),
                c("canopy_height"),
                c("total_height"),
                c("density"),
                c("group"),
            );
            let y: Vec<f64> = w.iter().map(|v| v.ln()).collect();
            let rows: Vec<Vec<f64>> = (0..y.len())
                .map(|i| {
                    vec![
                        1.0,
                        (d1[i] * d2[i] * ch[i]).ln(),
                        (d1[i] * d2[i]).ln(),
                        (d1[i] / d2[i]).ln(),
                        th[i].ln(),
                        de[i].ln(),
                        gr[i],
                    ]
                })
                .collect();
            regression(&y, &rows, &x[..7], x[7])
        }
        "sblrc-blr" => {
            let (xm, y) = (matf(d, "X"), vecf(d, "y"));
            let beta = &x[..5];
            beta.iter().map(|b| normal_lpdf(*b, 0.0, 10.0)).sum::<f64>()
                + normal_lpdf(x[5], 0.0, 10.0)
                + regression(&y, &xm, beta, x[5])
        }
        other => panic!("no naive density for {other}"),
    }
}

#[test]
fn log_density_differences_match_independent_implementations() {
    let names: Vec<&str> = reference_models()
        .into_iter()
        .filter(|n| n.contains('-'))
        .collect();
    assert_eq!(names.len(), 14);
    for name in names {
        let model = load_builtin(name, &ModelOptions::default()).unwrap();
        let d = data(name);
        let reference = load_reference(name);
        let mut g = vec![0.0; model.dim()];
        let mut offsets = Vec::new();
        for x in reference.draws.iter().step_by(20) {
            let u = model.unconstrain(x);
            let ours = model.log_density(&u, &mut g).unwrap() - model.log_jacobian(&u);
            offsets.push(ours - naive_log_posterior(name, &d, x, &u));
        }
        let spread = offsets
            .iter()
            .map(|o| (o - offsets[0]).abs())
            .fold(0.0, f64::max);
        println!(
            "{name:40} constant offset {:.6}, spread over {} draws {spread:.2e}",
            offsets[0],
            offsets.len()
        );
        assert!(
            spread < 1e-7,
            "{name}: log-density differs from the Stan program by a non-constant {spread:e}"
        );
    }
}

#[test]
fn log_jacobian_is_the_difference_between_the_two_densities() {
    // the Jacobian term is what separates log_density from the constrained density: check it
    // against a finite-difference log |det| of constrain() for the models whose reported values
    // are exactly their parameters (same count as unconstrained coordinates)
    for name in reference_models() {
        let model = load_builtin(name, &ModelOptions::default()).unwrap();
        let (dim, m) = (model.dim(), model.param_names().len());
        if dim != m || name.contains("noncentered") || name.starts_with("gp_") {
            continue;
        }
        let reference = load_reference(name);
        let u = model.unconstrain(&reference.draws[123]);
        let mut jac = vec![0.0; dim * dim];
        for j in 0..dim {
            let h = 1e-6 * u[j].abs().max(1.0);
            let (mut up, mut dn) = (u.clone(), u.clone());
            up[j] += h;
            dn[j] -= h;
            let (mut xu, mut xd) = (vec![0.0; m], vec![0.0; m]);
            model.constrain(&up, &mut xu);
            model.constrain(&dn, &mut xd);
            for i in 0..m {
                jac[i * dim + j] = (xu[i] - xd[i]) / (2.0 * h);
            }
        }
        let want = log_abs_det(jac, dim);
        let got = model.log_jacobian(&u);
        assert!(
            (got - want).abs() < 1e-5 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
    }
}

fn log_abs_det(mut a: Vec<f64>, n: usize) -> f64 {
    let mut acc = 0.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap();
        for k in 0..n {
            a.swap(p * n + k, c * n + k);
        }
        let piv = a[c * n + c];
        acc += piv.abs().ln();
        for r in c + 1..n {
            let f = a[r * n + c] / piv;
            for k in c..n {
                a[r * n + k] -= f * a[c * n + k];
            }
        }
    }
    acc
}
