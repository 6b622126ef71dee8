//! The local kernel of the multimodal sampler: HMC with a fixed diagonal metric, a trajectory
//! of a random number of leapfrog steps (uniform in 1..=2n, drawn independently of the state,
//! so every trajectory length is a reversible π-invariant kernel and so is their mixture), a
//! Metropolis accept on the energy error, and the step size tuned during warmup by Nesterov
//! dual averaging (Hoffman & Gelman 2014) towards a target acceptance statistic.
//!
//! Not nuts-rs: a nuts-rs chain cannot be moved to a new point after its warmup without
//! resetting its adapted metric and step size (`set_position` re-initializes both), and the
//! mode jumps must move the chain.

use crate::density::{Counted, LogDensity};
use crate::rng::fill_standard_normal;
use rand::RngExt;

/// A chain's current point with its log density and gradient.
#[derive(Debug, Clone)]
pub struct Point {
    /// θ.
    pub theta: Vec<f64>,
    /// log p(θ).
    pub lp: f64,
    /// ∇ log p(θ).
    pub grad: Vec<f64>,
}

/// What one transition did.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    /// min(1, exp(−ΔH)).
    pub accept_stat: f64,
    /// Leapfrog steps taken.
    pub num_steps: u64,
    /// Energy error above 1000, or a point the density could not evaluate.
    pub divergent: bool,
    /// The Hamiltonian at the start.
    pub energy: f64,
    /// The step size used.
    pub step_size: f64,
}

/// The kernel and its step-size adaptation.
#[derive(Debug, Clone)]
pub struct Hmc {
    /// Standard deviations the metric scales by (inverse mass diag(σ²)).
    sigma: Vec<f64>,
    log_step: f64,
    // Dual averaging state.
    mu: f64,
    h_bar: f64,
    log_step_bar: f64,
    num_adapted: f64,
    target_accept: f64,
}

/// A trajectory covers about this length in the metric's units (a quarter period of a unit
/// Gaussian is π/2).
const TRAJECTORY_LENGTH: f64 = 1.5;
/// At most this many leapfrog steps per transition.
const MAX_STEPS: u64 = 1024;

impl Hmc {
    /// A kernel with metric scales `sigma`, starting step size 0.5 (in units of σ).
    pub fn new(sigma: Vec<f64>, target_accept: f64) -> Self {
        let step: f64 = 0.5;
        Hmc {
            sigma,
            log_step: step.ln(),
            mu: (10.0 * step).ln(),
            h_bar: 0.0,
            log_step_bar: 0.0,
            num_adapted: 0.0,
            target_accept,
        }
    }

    /// The current step size.
    pub fn step_size(&self) -> f64 {
        self.log_step.exp()
    }

    /// Ends the adaptation: the step size becomes the dual average.
    pub fn finish_adaptation(&mut self) {
        if self.num_adapted > 0.0 {
            self.log_step = self.log_step_bar;
        }
    }

    /// One transition from `point` (replaced by the new point); with `adapt`, the step size
    /// moves towards the target acceptance.
    pub fn transition<D: LogDensity + ?Sized>(
        &mut self,
        density: &Counted<D>,
        point: &mut Point,
        rng: &mut dyn rand::Rng,
        adapt: bool,
    ) -> Result<Transition, crate::Error> {
        let d = point.theta.len();
        let eps = self.log_step.exp();
        let mean_steps = (TRAJECTORY_LENGTH / eps)
            .ceil()
            .clamp(1.0, MAX_STEPS as f64 / 2.0) as u64;
        let num_steps = rng.random_range(1..=2 * mean_steps);
        // p ~ N(0, M), M = diag(1/σ²): p_i = z_i/σ_i; kinetic energy ½ Σ σ_i² p_i².
        let mut p = vec![0.0; d];
        fill_standard_normal(rng, &mut p);
        for (pi, s) in p.iter_mut().zip(&self.sigma) {
            *pi /= s;
        }
        let kinetic = |p: &[f64]| {
            0.5 * p
                .iter()
                .zip(&self.sigma)
                .map(|(a, s)| (a * s).powi(2))
                .sum::<f64>()
        };
        let h0 = -point.lp + kinetic(&p);
        let (mut theta, mut grad) = (point.theta.clone(), point.grad.clone());
        let mut lp = point.lp;
        let mut failed = false;
        for _ in 0..num_steps {
            for i in 0..d {
                p[i] += 0.5 * eps * grad[i];
                theta[i] += eps * self.sigma[i] * self.sigma[i] * p[i];
            }
            match density.eval(&theta, &mut grad) {
                Ok(v) if v.is_finite() && grad.iter().all(|g| g.is_finite()) => lp = v,
                Ok(_) => {
                    failed = true;
                    break;
                }
                Err(e) if e.is_recoverable() => {
                    failed = true;
                    break;
                }
                Err(e) => {
                    return Err(crate::Error::Density {
                        context: "multimodal HMC".into(),
                        source: e,
                    });
                }
            }
            for i in 0..d {
                p[i] += 0.5 * eps * grad[i];
            }
        }
        let h1 = -lp + kinetic(&p);
        let delta = h1 - h0;
        let divergent = failed || !(delta < 1000.0);
        let accept_stat = if divergent {
            0.0
        } else {
            (-delta).exp().min(1.0)
        };
        let u: f64 = rng.random();
        if !divergent && u < accept_stat {
            point.theta = theta;
            point.lp = lp;
            point.grad = grad;
        }
        if adapt {
            self.adapt(accept_stat);
        }
        Ok(Transition {
            accept_stat,
            num_steps,
            divergent,
            energy: h0,
            step_size: eps,
        })
    }

    /// Dual averaging (γ = 0.05, t₀ = 10, κ = 0.75, μ = log 10ε₀).
    fn adapt(&mut self, accept_stat: f64) {
        self.num_adapted += 1.0;
        let m = self.num_adapted;
        let w = 1.0 / (m + 10.0);
        self.h_bar = (1.0 - w) * self.h_bar + w * (self.target_accept - accept_stat);
        self.log_step = self.mu - m.sqrt() / 0.05 * self.h_bar;
        let eta = m.powf(-0.75);
        self.log_step_bar = eta * self.log_step + (1.0 - eta) * self.log_step_bar;
    }
}
