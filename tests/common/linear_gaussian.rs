//! The NLE test problem shared by tests/nle.rs (the library) and cli/tests/nle_cli.rs (the
//! command line): a 2-d linear-Gaussian simulator x = Aθ + 0.4 ε with a normal prior, its
//! 3000 training simulations, 4 iid observed trials at θ* = (0.8, −1.0), the training settings
//! (one affine MAF layer), the exact conjugate posterior, and the check of sampled draws
//! against it with MCSE-scaled tolerances.
#![allow(dead_code)]

use flowpost::bijection::Activation;
use flowpost::diagnostics::{mcse_mean, mcse_sd};
use flowpost::npe::{
    FlowSettings, IndependentPrior, Marginal, NpeSettings, Simulations, Simulator, TransformKind,
    simulate,
};

/// Prior means and standard deviations.
pub const M0: [f64; 2] = [0.5, -0.3];
pub const S0: [f64; 2] = [1.0, 1.5];
/// x = A θ + σ ε, ε ~ N(0, I).
const A: [[f64; 2]; 2] = [[1.0, 0.5], [-0.3, 1.0]];
const SIGMA: f64 = 0.4;
/// The parameters' names.
pub const NAMES: [&str; 2] = ["a", "b"];

#[derive(Debug)]
pub struct LinearGaussian;

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

/// The normal prior N(M0, S0²), parameters named [`NAMES`].
pub fn prior() -> IndependentPrior {
    let m = (0..2).map(|i| Marginal::Normal {
        mean: M0[i],
        sd: S0[i],
    });
    IndependentPrior::with_names(m.collect(), NAMES.map(String::from).to_vec()).unwrap()
}

/// The 3000 training simulations (seed 1).
pub fn simulations() -> Simulations {
    simulate(&prior(), &LinearGaussian, 3000, 1)
}

/// The training settings: one affine MAF layer, hidden 32, tanh, seed 2 (the command line's
/// `nle train --transform affine --num-transforms 1 --hidden 32 --learning-rate 5e-4
/// --max-epochs 300 --patience 20 --seed 2`, tanh being NLE's default).
pub fn settings() -> NpeSettings {
    NpeSettings {
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
    }
}

/// x_o: 4 iid trials simulated at θ* = (0.8, -1.0), row-major.
pub fn x_o() -> Vec<f64> {
    let mut rng = flowpost::rng::seeded(99, 0);
    let mut x_o = vec![0.0; 8];
    for x in x_o.chunks_mut(2) {
        LinearGaussian.simulate(&[0.8, -1.0], &mut rng, x);
    }
    x_o
}

/// The exact posterior's mean and marginal standard deviations given the iid trials `xs`:
/// precision P = diag(1/s0²) + T AᵀA/σ², mean P⁻¹ (m0/s0² + Aᵀ Σ_t x_t / σ²).
pub fn exact_posterior(xs: &[f64]) -> ([f64; 2], [f64; 2]) {
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

/// Asserts that the draws of θ_i (`chains`, one vector per chain) match the exact posterior
/// given `x_o`: mean and sd within 4 MCSE plus an allowance for NLE's approximation error.
pub fn check_parameter(i: usize, chains: &[Vec<f64>], x_o: &[f64], num_epochs: usize) {
    let (mean, sd) = exact_posterior(x_o);
    let all: Vec<f64> = chains.iter().flatten().copied().collect();
    let n = all.len() as f64;
    let m = all.iter().sum::<f64>() / n;
    let s = (all.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let (se_m, se_s) = (mcse_mean(chains), mcse_sd(chains));
    let (z_m, z_s) = ((m - mean[i]) / sd[i], (s - sd[i]) / sd[i]);
    eprintln!(
        "θ[{}]: mean {m:.4} exact {:.4} ({z_m:+.3} sd, MCSE {:.3} sd); sd {s:.4} exact {:.4} ({z_s:+.3} relative, MCSE {:.3}); {num_epochs} epochs",
        i + 1,
        mean[i],
        se_m / sd[i],
        sd[i],
        se_s / sd[i],
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
