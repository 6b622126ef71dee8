//! The built-in sbibm simulators against sbibm's reference data (vendored in `tests/data/sbibm`):
//! shipped observations equal the reference ones, the Bernoulli GLM's design matrix, prior
//! precision and summary x = Xᵀy reproduce sbibm's, the likelihoods written from the task
//! descriptions are consistent with the reference posterior samples, and simulated moments
//! match the analytic ones within Monte Carlo error.

use flowpost::npe::simulate;
use flowpost::rng::seeded;
use flowpost_models::sbibm::{self as tasks, BernoulliGlm, Slcp, TwoMoons};

const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sbibm");

fn json(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{REF}/{path}")).expect("reference file");
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_f64().unwrap())
        .collect()
}

fn reference_samples(task: &str, k: usize) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(format!(
        "{REF}/{task}/reference_posterior_samples_{k}_thinned.csv"
    ))
    .unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
}

#[test]
fn shipped_observations_match_the_reference() {
    for name in tasks::TASK_NAMES {
        let task = tasks::task(name).unwrap();
        let all = json(&format!("{name}/observations.json"));
        for k in 1..=10 {
            let o = task.observation(k).unwrap();
            assert_eq!(o.x_o, floats(&all[k.to_string()]["x_o"]), "{name} {k}");
            assert_eq!(o.theta_true, floats(&all[k.to_string()]["theta_true"]));
            assert_eq!(o.x_o.len(), task.simulator().data_dim());
            assert_eq!(o.theta_true.len(), task.prior().dim());
        }
        assert!(task.observation(0).is_err() && task.observation(11).is_err());
    }
    assert!(tasks::task("lotka_volterra").is_err());
}

#[test]
fn bernoulli_glm_design_prior_and_summary_match_sbibm() {
    let stim = floats(&json("bernoulli_glm/stimulus.json")["stimulus_I"]);
    let glm = BernoulliGlm::new(&stim);
    let rows = json("bernoulli_glm/design_matrix.json")["rows"].clone();
    for (t, row) in rows.as_array().unwrap().iter().enumerate() {
        let r = floats(row);
        for k in 0..10 {
            assert!((glm.design()[t * 10 + k] - r[k]).abs() < 1e-7, "X[{t},{k}]");
        }
    }
    let prec = json("bernoulli_glm/prior_precision.json")["precision_matrix"].clone();
    let b = tasks::bernoulli_glm_prior_precision();
    for (i, row) in prec.as_array().unwrap().iter().enumerate() {
        for (j, v) in floats(row).iter().enumerate() {
            assert!((b[i * 10 + j] - v).abs() < 1e-6, "B[{i},{j}]");
        }
    }
    let all = json("bernoulli_glm/observations.json");
    let mut x = [0.0; 10];
    for k in 1..=10 {
        let y = floats(&all[k.to_string()]["y_raw"]);
        glm.summary(&y, &mut x);
        let x_o = floats(&all[k.to_string()]["x_o"]);
        for i in 0..10 {
            assert!(
                (x[i] - x_o[i]).abs() < 1e-4 * x_o[i].abs().max(1.0),
                "obs {k} x[{i}]"
            );
        }
    }
}

#[test]
fn bernoulli_glm_simulated_mean_matches_the_model() {
    let task = tasks::task("bernoulli_glm").unwrap();
    let stim = floats(&json("bernoulli_glm/stimulus.json")["stimulus_I"]);
    let glm = BernoulliGlm::new(&stim);
    let theta = task.observation(1).unwrap().theta_true.clone();
    // E[x] = Xᵀσ(Xθ), Var[x_k] = Σ_t X_tk² p_t(1 − p_t).
    let (mut mean, mut var) = ([0.0; 10], [0.0; 10]);
    for t in 0..100 {
        let row = &glm.design()[t * 10..(t + 1) * 10];
        let psi: f64 = row.iter().zip(&theta).map(|(a, b)| a * b).sum();
        let p = 1.0 / (1.0 + (-psi).exp());
        for k in 0..10 {
            mean[k] += row[k] * p;
            var[k] += row[k] * row[k] * p * (1.0 - p);
        }
    }
    let n = 20_000;
    let mut acc = [0.0; 10];
    let mut rng = seeded(3, 0);
    let mut x = [0.0; 10];
    use flowpost::npe::Simulator;
    for _ in 0..n {
        glm.simulate(&theta, &mut rng, &mut x);
        acc.iter_mut().zip(&x).for_each(|(a, b)| *a += b);
    }
    for k in 0..10 {
        let err = acc[k] / n as f64 - mean[k];
        let mcse = (var[k] / n as f64).sqrt();
        assert!(err.abs() < 4.5 * mcse, "x[{k}]: err {err}, mcse {mcse}");
    }
}

#[test]
fn two_moons_reference_posterior_is_consistent_with_the_likelihood() {
    // Every reference draw θ must give x_o a positive likelihood with radius r within 6 sd of
    // 0.1; mirror θ (swap the moon) keeps that property only when the simulator's rotation is
    // the one sbibm uses.
    for k in [1, 2, 3] {
        let task = tasks::task("two_moons").unwrap();
        let x_o = task.observation(k).unwrap().x_o.clone();
        let samples = reference_samples("two_moons", k);
        let mut finite = 0;
        for th in &samples {
            let ll = TwoMoons::log_likelihood(th, &x_o);
            if ll.is_finite() && ll > -0.5 * 36.0 + 3.0 {
                finite += 1;
            }
        }
        assert!(
            finite as f64 > 0.999 * samples.len() as f64,
            "obs {k}: {finite}"
        );
        let tt = &task.observation(k).unwrap().theta_true;
        assert!(TwoMoons::log_likelihood(tt, &x_o).is_finite());
    }
}

#[test]
fn slcp_observations_are_typical_under_theta_true() {
    // Σ_j (x_j − m)ᵀΣ⁻¹(x_j − m) ~ χ²(8) per observation; over 10 observations χ²(80):
    // mean 80, sd √160 ≈ 12.6.
    let task = tasks::task("slcp").unwrap();
    let mut total = 0.0;
    for k in 1..=10 {
        let o = task.observation(k).unwrap();
        let (m, [a, b, c]) = Slcp::point_moments(&o.theta_true);
        let det = a * c - b * b;
        for j in 0..4 {
            let (u, v) = (o.x_o[2 * j] - m[0], o.x_o[2 * j + 1] - m[1]);
            total += (c * u * u - 2.0 * b * u * v + a * v * v) / det;
        }
    }
    assert!(
        (total - 80.0).abs() < 4.5 * 160f64.sqrt(),
        "χ² total {total}"
    );
    // The likelihood written from the description prefers θ_true to a shuffled θ.
    let o = task.observation(1).unwrap();
    let mut swapped = o.theta_true.clone();
    swapped.swap(0, 1);
    assert!(Slcp::log_likelihood(&o.theta_true, &o.x_o) > Slcp::log_likelihood(&swapped, &o.x_o));
}

#[test]
fn slcp_simulated_moments_match() {
    let task = tasks::task("slcp").unwrap();
    let theta = task.observation(2).unwrap().theta_true.clone();
    let (m, [a, b, c]) = Slcp::point_moments(&theta);
    use flowpost::npe::Simulator;
    let n = 20_000;
    let mut rng = seeded(5, 0);
    let mut x = [0.0; 8];
    let (mut s1, mut s2, mut s11, mut s12, mut s22) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for _ in 0..n {
        Slcp.simulate(&theta, &mut rng, &mut x);
        for j in 0..4 {
            let (u, v) = (x[2 * j] - m[0], x[2 * j + 1] - m[1]);
            s1 += u;
            s2 += v;
            s11 += u * u;
            s12 += u * v;
            s22 += v * v;
        }
    }
    let nn = 4.0 * n as f64;
    assert!((s1 / nn).abs() < 4.5 * (a / nn).sqrt());
    assert!((s2 / nn).abs() < 4.5 * (c / nn).sqrt());
    assert!((s11 / nn - a).abs() < 4.5 * a * (2.0 / nn).sqrt());
    assert!((s22 / nn - c).abs() < 4.5 * c * (2.0 / nn).sqrt());
    assert!((s12 / nn - b).abs() < 4.5 * ((a * c + b * b) / nn).sqrt());
}

#[test]
fn gaussian_linear_posterior_matches_the_reference_summary() {
    let summary = json("gaussian_linear/reference_summary.json");
    let task = tasks::task("gaussian_linear").unwrap();
    let sim = tasks::GaussianLinear {
        dim: 10,
        variance: 0.1,
    };
    for k in 1..=10 {
        let o = task.observation(k).unwrap();
        let (mean, var) = sim.gaussian_posterior(0.1, &o.x_o);
        let s = &summary["per_observation"][k.to_string()];
        let ref_mean = floats(&s["mean"]);
        for i in 0..10 {
            // 10,000 reference draws: MCSE of the mean √(0.05/10⁴) ≈ 0.0022.
            assert!(
                (mean[i] - ref_mean[i]).abs() < 4.5 * (var / 1e4).sqrt(),
                "obs {k} dim {i}"
            );
        }
    }
}

#[test]
fn simulations_are_reproducible_and_priors_sample_their_support() {
    for name in tasks::TASK_NAMES {
        let task = tasks::task(name).unwrap();
        let a = simulate(task.prior(), task.simulator(), 300, 11);
        let b = simulate(task.prior(), task.simulator(), 300, 11);
        assert_eq!(a, b);
        for i in 0..a.len() {
            assert!(task.prior().in_support(a.theta(i)));
            assert!(task.prior().log_density(a.theta(i)).is_finite());
            assert!(a.x(i).iter().all(|v| v.is_finite()), "{name}");
        }
    }
    // The same seed gives the same table on a 1-thread pool.
    let task = tasks::task("slcp").unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let one = pool.install(|| simulate(task.prior(), task.simulator(), 300, 11));
    assert_eq!(one, simulate(task.prior(), task.simulator(), 300, 11));
}
