//! The spine end to end on the built-in targets, with fixed seeds and MCSE-scaled tolerances:
//! VI recovers a Gaussian, the default flow fits the banana and the funnel (k̂ < 0.7), NeuTra
//! samples the funnel and centered eight schools correctly.

mod common;

use common::*;
use flowpost::bijection::{Bijection, Chain, LowerTriangularAffine};
use flowpost::flow::{Flow, FlowSettings};
use flowpost::progress::NoProgress;
use flowpost::vi::{ViSettings, fit, fit_default};
use flowpost::{DensityError, LogDensity, Method, SampleSettings, sample};
use flowpost_models::{ModelOptions, load};

/// N(m, Σ) with Σ = A Aᵀ, A = [[2, 0, 0], [1.5, 0.5, 0], [-1, 0.3, 0.2]].
struct CorrelatedGaussian {
    mean: [f64; 3],
    precision: [[f64; 3]; 3],
}

impl CorrelatedGaussian {
    fn new() -> Self {
        let a = nalgebra::Matrix3::new(2.0, 0.0, 0.0, 1.5, 0.5, 0.0, -1.0, 0.3, 0.2);
        let cov = a * a.transpose();
        let prec = cov.try_inverse().unwrap();
        let to = |m: nalgebra::Matrix3<f64>| {
            [
                [m[(0, 0)], m[(0, 1)], m[(0, 2)]],
                [m[(1, 0)], m[(1, 1)], m[(1, 2)]],
                [m[(2, 0)], m[(2, 1)], m[(2, 2)]],
            ]
        };
        CorrelatedGaussian {
            mean: [1.0, -2.0, 0.5],
            precision: to(prec),
        }
    }
}

impl LogDensity for CorrelatedGaussian {
    fn dim(&self) -> usize {
        3
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        let r: Vec<f64> = (0..3).map(|i| x[i] - self.mean[i]).collect();
        let mut lp = 0.0;
        for i in 0..3 {
            g[i] = -(0..3).map(|j| self.precision[i][j] * r[j]).sum::<f64>();
            lp += 0.5 * r[i] * g[i];
        }
        Ok(lp)
    }
}

#[test]
fn vi_with_an_affine_flow_recovers_a_correlated_gaussian() {
    let target = CorrelatedGaussian::new();
    let chain = Chain::new(vec![Box::new(LowerTriangularAffine::new(3))]);
    let params = vec![0.0; chain.num_params()];
    let mut flow = Flow::new(chain, params).unwrap();
    let settings = ViSettings {
        max_steps: 4000,
        ..Default::default()
    };
    let report = fit(&target, &mut flow, &settings, 11, &NoProgress).unwrap();
    // The fitted map is y = loc + L z: compare loc with the mean and L Lᵀ with Σ.
    let p = flow.params();
    let loc = &p[..3];
    let mut l = nalgebra::Matrix3::zeros();
    for i in 0..3 {
        l[(i, i)] = p[3 + i].exp();
    }
    l[(1, 0)] = p[6];
    l[(2, 0)] = p[7];
    l[(2, 1)] = p[8];
    // Compare in the target's own metric (whitened by its Cholesky factor A): the mean error in
    // posterior standard deviations and the whitened covariance A⁻¹ Σ_q A⁻ᵀ against I. The
    // fit stops on an ELBO plateau, so it is exact up to what the ELBO noise resolves: KL of
    // order 0.005 nats, a whitened mean error of order 0.1 (its KL share is error²/2).
    let a = nalgebra::Matrix3::new(2.0, 0.0, 0.0, 1.5, 0.5, 0.0, -1.0, 0.3, 0.2);
    let a_inv = a.try_inverse().unwrap();
    let delta = nalgebra::Vector3::new(
        loc[0] - target.mean[0],
        loc[1] - target.mean[1],
        loc[2] - target.mean[2],
    );
    let mean_err = (a_inv * delta).norm();
    let cov_err =
        (a_inv * l * l.transpose() * a_inv.transpose() - nalgebra::Matrix3::identity()).norm();
    eprintln!("whitened mean error {mean_err:.4}, whitened covariance error {cov_err:.4}");
    assert!(
        mean_err < 0.1,
        "mean {loc:?} vs {:?}: whitened error {mean_err}",
        target.mean
    );
    assert!(cov_err < 0.1, "covariance: whitened error {cov_err}");
    // log Z of the unnormalized density is log((2π)^{3/2} |Σ|^{1/2}); the ELBO reaches it.
    let log_z = 1.5 * (2.0 * std::f64::consts::PI).ln() + 0.5 * (2.0f64 * 0.5 * 0.2).powi(2).ln();
    assert!(
        (report.elbo - log_z).abs() < 4.0 * report.elbo_mcse + 1e-3,
        "ELBO {} ± {} vs log Z {log_z}",
        report.elbo,
        report.elbo_mcse
    );
    assert!(report.pareto_k < 0.5, "k̂ {}", report.pareto_k);
}

/// The default IAF fit: Pareto k̂ < 0.7 on the banana and the funnel, and on the banana a KL
/// below 0.05 nats against its known normalizing constant (log Z = ln 20π).
///
/// How robust (measured with the conditioners' hidden biases initialized N(0, 2²)): over fit
/// seeds 1–12 the banana's reported (1000-draw) k̂ is below 0.7 on 11 (0.01–0.62; seed 4:
/// 0.92) and the 100,000-draw k̂ on 10 (0.34–0.83); with zero initial biases it was 8 of 12
/// for both, 0.706 at this seed.
#[test]
fn default_flow_fits_banana_and_funnel() {
    for name in ["banana", "funnel"] {
        let model = load(name, &ModelOptions::default()).unwrap();
        let (_, report) = fit_default(
            &*model,
            &FlowSettings::default(),
            &ViSettings::default(),
            1,
            &NoProgress,
        )
        .unwrap();
        println!(
            "{name}: k̂ {:.3}, ELBO {:.4} ± {:.4}",
            report.pareto_k, report.elbo, report.elbo_mcse
        );
        assert!(report.pareto_k < 0.7, "{name}: k̂ {}", report.pareto_k);
        if name == "banana" {
            // The banana's normalizing constant is known: the fit's KL is log Z − ELBO.
            let log_z = (20.0 * std::f64::consts::PI).ln();
            let kl = log_z - report.elbo;
            assert!(
                kl < 0.05 && kl > -4.0 * report.elbo_mcse,
                "banana: ELBO {} ± {} vs log Z {log_z}",
                report.elbo,
                report.elbo_mcse
            );
        }
        // Both kernels have known normalizing constants: the banana's is 20π, the funnel's
        // (v ~ N(0, 3²) with its constant dropped, each x_i's −v/2 kept) √(18π) (2π)^{9/2}.
        let tau = 2.0 * std::f64::consts::PI;
        let log_z = match name {
            "banana" => (20.0 * std::f64::consts::PI).ln(),
            _ => 0.5 * (9.0 * tau).ln() + 4.5 * tau.ln(),
        };
        let z = report.log_evidence.as_ref().unwrap();
        println!(
            "{name}: log Z {:.4} ± {:.4} (exact {log_z:.4})",
            z.value, z.mcse
        );
        assert!(z.mcse > 0.0 && z.mcse < 0.05, "{name}: {z:?}");
        assert!(
            (z.value - log_z).abs() < 4.0 * z.mcse,
            "{name}: {z:?} vs {log_z}"
        );
    }
}

#[test]
fn neutra_samples_the_funnel() {
    let model = load("funnel", &ModelOptions::default()).unwrap();
    let run = sample(
        &*model,
        &SampleSettings {
            method: Method::NeuTra,
            seed: 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(run.draws.num_chains(), 4);
    assert_eq!(run.draws.num_draws(), 1000);
    let v = moments(&run.draws.param_by_name("v").unwrap());
    let rhat = max_rhat(&run.draws);
    // The target is zero divergences; measured over seeds 0-7 this default gives 0 of
    // 4000 (0-2 before the conditioners' biases were spread). What must hold for correctness is
    // fewer than 0.5% divergent draws; the count is printed for the record.
    let div = run.draws.num_divergent();
    eprintln!("funnel NeuTra divergences: {div} of 4000");
    assert!(div < 20, "{div} divergences");
    assert!(rhat < 1.01, "max R-hat {rhat}");
    assert!(v.mean.abs() < 4.0 * v.mcse_mean, "v mean {v:?}");
    assert!((v.sd - 3.0).abs() < 4.0 * v.mcse_sd, "v sd {v:?}");
}

#[test]
fn neutra_samples_centered_eight_schools() {
    let model = load("eight_schools_centered", &ModelOptions::default()).unwrap();
    let run = sample(
        &*model,
        &SampleSettings {
            method: Method::NeuTra,
            seed: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let total = (run.draws.num_chains() * run.draws.num_draws()) as f64;
    assert!(
        (run.draws.num_divergent() as f64) < 0.005 * total,
        "{} divergences",
        run.draws.num_divergent()
    );
    for c in compare_with_reference(&run.draws, "eight_schools-eight_schools_noncentered") {
        assert!(
            c.z_mean.abs() < 4.0,
            "{}: mean z = {:.2} ({c:?})",
            c.name,
            c.z_mean
        );
        // The sd too: a sampler that misses the funnel's neck gets tau's sd wrong first.
        assert!(
            c.z_sd.abs() < 4.0,
            "{}: sd z = {:.2} ({c:?})",
            c.name,
            c.z_sd
        );
    }
    assert!(max_rhat(&run.draws) < 1.01);
}

#[test]
fn plain_nuts_runs_on_the_same_density() {
    let model = load("banana", &ModelOptions::default()).unwrap();
    let run = sample(
        &*model,
        &SampleSettings {
            method: Method::Nuts,
            num_draws: 200,
            seed: 2,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(run.vi.is_none() && run.flow.is_none());
    assert_eq!(run.cost.num_grad_evals.vi, 0);
    assert!(run.cost.num_grad_evals.sampling > 0 && run.cost.num_grad_evals.warmup > 0);
}
