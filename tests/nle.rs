//! Neural likelihood estimation end to end: a 2-d linear-Gaussian simulator with a normal
//! prior, q(x | θ) trained on 3000 simulations (one affine MAF layer), the posterior for 4 iid trials sampled with
//! NUTS through `flowpost::sample`, and its mean and standard deviation compared with the exact
//! conjugate posterior.

use flowpost::bijection::Activation;
use flowpost::diagnostics::{mcse_mean, mcse_sd};
use flowpost::npe::*;
use flowpost::{Method, SampleSettings};

/// Prior means and standard deviations.
const M0: [f64; 2] = [0.5, -0.3];
const S0: [f64; 2] = [1.0, 1.5];
/// x = A θ + σ ε, ε ~ N(0, I).
const A: [[f64; 2]; 2] = [[1.0, 0.5], [-0.3, 1.0]];
const SIGMA: f64 = 0.4;

#[derive(Debug)]
struct LinearGaussian;

impl Simulator for LinearGaussian {
    fn theta_dim(&self) -> usize {
        2
    }
    fn data_dim(&self) -> usize {
        2
    }
    fn simulate(&self, theta: &[f64], rng: &mut dyn rand::Rng, x: &mut [f64]) {
        let mut e = [0.0; 2];
        flowpost::rng::fill_standard_normal(rng, &mut e);
        for i in 0..2 {
            x[i] = A[i][0] * theta[0] + A[i][1] * theta[1] + SIGMA * e[i];
        }
    }
}

/// The exact posterior's mean and marginal standard deviations given the iid trials `xs`:
/// precision P = diag(1/s0²) + T AᵀA/σ², mean P⁻¹ (m0/s0² + Aᵀ Σ_t x_t / σ²).
fn exact_posterior(xs: &[f64]) -> ([f64; 2], [f64; 2]) {
    let t = (xs.len() / 2) as f64;
    let s2 = SIGMA * SIGMA;
    let mut p = [[0.0; 2]; 2];
    let mut b = [M0[0] / (S0[0] * S0[0]), M0[1] / (S0[1] * S0[1])];
    let sum = [
        xs.iter().step_by(2).sum::<f64>(),
        xs.iter().skip(1).step_by(2).sum::<f64>(),
    ];
    for i in 0..2 {
        p[i][i] = 1.0 / (S0[i] * S0[i]);
        for j in 0..2 {
            p[i][j] += t * (A[0][i] * A[0][j] + A[1][i] * A[1][j]) / s2;
        }
        b[i] += (A[0][i] * sum[0] + A[1][i] * sum[1]) / s2;
    }
    let det = p[0][0] * p[1][1] - p[0][1] * p[1][0];
    let cov = [
        [p[1][1] / det, -p[0][1] / det],
        [-p[1][0] / det, p[0][0] / det],
    ];
    let mean = [
        cov[0][0] * b[0] + cov[0][1] * b[1],
        cov[1][0] * b[0] + cov[1][1] * b[1],
    ];
    (mean, [cov[0][0].sqrt(), cov[1][1].sqrt()])
}

#[test]
fn nle_posterior_matches_the_conjugate_posterior() {
    let prior = IndependentPrior::with_names(
        vec![
            Marginal::Normal {
                mean: M0[0],
                sd: S0[0],
            },
            Marginal::Normal {
                mean: M0[1],
                sd: S0[1],
            },
        ],
        vec!["a".into(), "b".into()],
    )
    .unwrap();
    let sims = simulate(&prior, &LinearGaussian, 3000, 1);
    let settings = NpeSettings {
        flow: FlowSettings {
            transform: TransformKind::Affine,
            num_transforms: 1,
            hidden: vec![32],
            activation: Activation::Tanh,
            ..Default::default()
        },
        learning_rate: 5e-4,
        max_epochs: 300,
        patience: 20,
        seed: 2,
        ..Default::default()
    };
    let progress = flowpost::progress::NoProgress;
    let (nle, report) = train_nle(&sims, &prior, &settings, &progress).unwrap();
    // x_o: 4 iid trials simulated at θ* = (0.8, -1.0).
    let mut rng = flowpost::rng::seeded(99, 0);
    let mut x_o = vec![0.0; 8];
    for x in x_o.chunks_mut(2) {
        LinearGaussian.simulate(&[0.8, -1.0], &mut rng, x);
    }
    let posterior = NleDensity::new(&nle, &x_o).unwrap();
    let run = flowpost::sample(
        &posterior,
        &SampleSettings {
            method: Method::Nuts,
            num_chains: 4,
            num_draws: 1000,
            seed: 3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(run.draws.param_names, ["a", "b"]);
    let (mean, sd) = exact_posterior(&x_o);
    for i in 0..2 {
        let chains = run.draws.param(i);
        let all: Vec<f64> = chains.iter().flatten().copied().collect();
        let n = all.len() as f64;
        let m = all.iter().sum::<f64>() / n;
        let s = (all.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let (se_m, se_s) = (mcse_mean(&chains), mcse_sd(&chains));
        let (z_m, z_s) = ((m - mean[i]) / sd[i], (s - sd[i]) / sd[i]);
        eprintln!(
            "θ[{}]: mean {m:.4} exact {:.4} ({z_m:+.3} sd, MCSE {:.3} sd); sd {s:.4} exact {:.4} ({z_s:+.3} relative, MCSE {:.3}); {} epochs",
            i + 1,
            mean[i],
            se_m / sd[i],
            sd[i],
            se_s / sd[i],
            report.num_epochs
        );
        // Tolerances: 4 MCSE (about 0.016 posterior sd on both) plus an allowance for NLE's
        // approximation error, which is systematic (the learned likelihood enters four times)
        // and varies with the training seed. Measured with this configuration (3000
        // simulations, one affine MAF layer): at seed 2 mean errors +0.005 and -0.045 sd, sd
        // errors -9.5% and -6.0%; at seeds 5 and 7 mean errors within 0.045 sd and sd errors
        // -1% to -4.5%. Over 13 runs with other seeds, architectures and 3000-30000 simulations
        // the largest were 0.29 sd (mean) and 12% (sd), and at 30000 simulations the sd errors
        // (-0.4% to +3.4%) were no longer biased low. Allowances: 0.15 sd on the means, 0.12 sd
        // on the sds; a wrong gradient, Jacobian or z-scoring is off by whole sds.
        assert!(
            (m - mean[i]).abs() < 4.0 * se_m + 0.15 * sd[i],
            "θ[{}] mean",
            i + 1
        );
        assert!(
            (s - sd[i]).abs() < 4.0 * se_s + 0.12 * sd[i],
            "θ[{}] sd",
            i + 1
        );
    }
}
