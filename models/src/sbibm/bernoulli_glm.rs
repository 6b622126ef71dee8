//! The Bernoulli GLM (sbibm `bernoulli_glm`): a 100-bin spike train from a logistic regression
//! on a fixed white-noise stimulus through a 9-tap filter; x = Xᵀy (spike count and
//! spike-triggered sums) is sufficient. Prior: N(0, B⁻¹) with a smoothness precision B.

use flowpost::npe::{GaussianPrior, NpeError, Simulator};
use nalgebra::DMatrix;
use rand::RngExt;

/// Number of time bins.
pub const NUM_BINS: usize = 100;
/// Filter length.
pub const FILTER_LEN: usize = 9;

/// The simulator with its design matrix X (100 × 10, row-major).
#[derive(Debug, Clone)]
pub struct BernoulliGlm {
    design: Vec<f64>,
}

impl BernoulliGlm {
    /// X[t, 0] = 1, X[t, 1 + j] = I_{t−j} (0 for t < j) from the stimulus I (length 100).
    #[track_caller]
    pub fn new(stimulus: &[f64]) -> Self {
        assert_eq!(stimulus.len(), NUM_BINS, "stimulus length");
        let p = FILTER_LEN + 1;
        let mut design = vec![0.0; NUM_BINS * p];
        for t in 0..NUM_BINS {
            design[t * p] = 1.0;
            for j in 0..FILTER_LEN {
                if t >= j {
                    design[t * p + 1 + j] = stimulus[t - j];
                }
            }
        }
        BernoulliGlm { design }
    }

    /// The design matrix, row-major 100 × 10.
    pub fn design(&self) -> &[f64] {
        &self.design
    }

    /// x = Xᵀ y for a spike train y.
    pub fn summary(&self, y: &[f64], x: &mut [f64]) {
        let p = FILTER_LEN + 1;
        x.fill(0.0);
        for (yt, row) in y.iter().zip(self.design.chunks(p)) {
            if *yt != 0.0 {
                x.iter_mut().zip(row).for_each(|(xk, r)| *xk += yt * r);
            }
        }
    }

    /// log p(y | θ) = θᵀXᵀy − Σ_t log(1 + e^{(Xθ)_t}) (sufficient: depends on y through x).
    pub fn log_likelihood(&self, theta: &[f64], x: &[f64]) -> f64 {
        let p = FILTER_LEN + 1;
        let mut lp: f64 = theta.iter().zip(x).map(|(a, b)| a * b).sum();
        for t in 0..NUM_BINS {
            let psi: f64 = (0..p).map(|k| self.design[t * p + k] * theta[k]).sum();
            lp -= psi.max(0.0) + (-psi.abs()).exp().ln_1p();
        }
        lp
    }
}

/// The prior precision B (10 × 10, row-major).
pub fn prior_precision() -> Vec<f64> {
    let m = FILTER_LEN;
    let mut dmat = DMatrix::<f64>::identity(m, m);
    for i in 1..m {
        dmat[(i, i - 1)] = -1.0;
    }
    let mut f = &dmat * &dmat;
    for k in 0..m {
        f[(k, k)] += (k as f64 / m as f64).sqrt();
    }
    let ftf = f.transpose() * f;
    let p = m + 1;
    let mut b = vec![0.0; p * p];
    b[0] = 0.5;
    for i in 0..m {
        for j in 0..m {
            b[(i + 1) * p + j + 1] = ftf[(i, j)];
        }
    }
    b
}

/// The prior N(0, B⁻¹).
pub fn prior() -> Result<GaussianPrior, NpeError> {
    let p = FILTER_LEN + 1;
    let b = DMatrix::from_row_slice(p, p, &prior_precision());
    let cov = b.try_inverse().ok_or_else(|| NpeError::Prior {
        reason: "prior precision is singular".into(),
    })?;
    let cov = (&cov + cov.transpose()) * 0.5;
    let rows: Vec<f64> = (0..p * p).map(|k| cov[(k / p, k % p)]).collect();
    GaussianPrior::new(vec![0.0; p], &rows)
}

impl Simulator for BernoulliGlm {
    fn theta_dim(&self) -> usize {
        FILTER_LEN + 1
    }
    fn data_dim(&self) -> usize {
        FILTER_LEN + 1
    }
    fn simulate(&self, theta: &[f64], rng: &mut dyn rand::Rng, x: &mut [f64]) {
        let p = FILTER_LEN + 1;
        x.fill(0.0);
        for t in 0..NUM_BINS {
            let row = &self.design[t * p..(t + 1) * p];
            let psi: f64 = row.iter().zip(theta).map(|(a, b)| a * b).sum();
            let prob = 1.0 / (1.0 + (-psi).exp());
            let u: f64 = rng.random();
            if u < prob {
                for k in 0..p {
                    x[k] += row[k];
                }
            }
        }
    }
}
