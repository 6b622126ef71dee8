//! One chain of the multimodal sampler: each iteration is an HMC transition on the target
//! followed by an independent Metropolis–Hastings jump θ' ~ q (the mixture of the modes'
//! Gaussian or Student-t components), accepted with probability min(1, p(θ') q(θ) / (p(θ) q(θ'))).
//!
//! Why the draws are exact: the HMC transition leaves p invariant (module docs of
//! [`super::hmc`]); the jump is a Metropolis–Hastings kernel with an independent proposal
//! whose density q is computed exactly (a mixture, by log-sum-exp), so it satisfies
//! detailed balance with respect to p; a composition of p-invariant kernels is p-invariant.
//! q is positive everywhere, so the jump alone can reach every set of positive mass, and the
//! chain is irreducible across modes whatever the valleys between them. The step-size
//! adaptation (and the proposal's per-mode scale) runs only during the warmup, whose draws
//! are discarded; from the first draw on the kernel is fixed.
//!
//! The post-warmup proposals are independent draws from the chain's fixed q, and their
//! density is evaluated for the jump anyway: their log ratios log p(θ') − log q(θ') are kept
//! for the evidence (module docs of [`super`]) at no extra cost.

use super::hmc::{Hmc, Point};
use super::mixture::Mixture;
use crate::density::{Counted, LogDensity};
use crate::draws::{ChainDraws, DrawStats};
use crate::progress::{Phase, Progress};
use rand::RngExt;

/// A finished chain.
pub(super) struct ChainOut {
    pub draws: ChainDraws,
    pub num_grad_evals_warmup: u64,
    pub num_grad_evals: u64,
    /// Post-warmup jumps accepted.
    pub num_jumps_accepted: u64,
    /// Post-warmup draws per mode of q.
    pub mode_counts: Vec<u64>,
    /// log p(θ') − log q(θ') of the post-warmup proposals where the target is finite.
    pub log_ratios: Vec<f64>,
    /// Post-warmup proposals where the target failed or was −∞ (weight 0).
    pub num_dropped: u64,
}

/// What a chain needs.
pub(super) struct ChainJob<'a, D: ?Sized> {
    pub density: &'a D,
    pub mixture: &'a Mixture,
    pub sigma: Vec<f64>,
    pub num_tune: u64,
    pub num_draws: u64,
    pub target_accept: f64,
    pub rng: crate::rng::ChaCha8Rng,
    pub chain: usize,
    pub progress: &'a dyn Progress,
}

pub(super) fn run_chain<D: LogDensity + ?Sized>(
    job: ChainJob<'_, D>,
) -> Result<ChainOut, crate::Error> {
    let ChainJob {
        density,
        mixture,
        sigma,
        num_tune,
        num_draws,
        target_accept,
        mut rng,
        chain,
        progress,
    } = job;
    let counted = Counted::new(density);
    let d = density.dim();
    let num_constrained = density.param_names().len();
    let mut point = start(&counted, mixture, &mut rng, chain)?;
    let mut hmc = Hmc::new(sigma.clone(), target_accept);
    let mut out = ChainOut {
        draws: ChainDraws {
            inv_mass_diag: Some(sigma.iter().map(|s| s * s).collect()),
            ..Default::default()
        },
        num_grad_evals_warmup: 0,
        num_grad_evals: 0,
        num_jumps_accepted: 0,
        mode_counts: vec![0; mixture.components.len()],
        log_ratios: Vec::with_capacity(num_draws as usize),
        num_dropped: 0,
    };
    let (mut proposal, mut grad) = (vec![0.0; d], vec![0.0; d]);
    let mut values = vec![0.0; num_constrained];
    // The proposal: the search's mixture during the warmup; for the sampling, each mode's
    // component widened or narrowed by one factor fitted to the later half of this chain's
    // warmup draws in that mode (fixed from then on, so the jumps stay exact).
    let mut q = mixture.clone();
    let mut log_radii: Vec<Vec<f64>> = vec![Vec::new(); mixture.components.len()];
    for it in 0..num_tune + num_draws {
        let warmup = it < num_tune;
        if it == num_tune {
            q = rescaled(mixture, &log_radii);
            hmc.finish_adaptation();
            out.num_grad_evals_warmup = counted.num_evals();
            out.draws.adapted_step_size = Some(hmc.step_size());
        }
        let t = hmc.transition(&counted, &mut point, &mut rng, warmup)?;
        let log_q = q.log_density(&point.theta);
        // The jump.
        q.sample(&mut rng, &mut proposal);
        let log_q_new = q.log_density(&proposal);
        let u: f64 = rng.random();
        let evaluated = counted.eval(&proposal, &mut grad);
        if !warmup {
            match &evaluated {
                Ok(lp) if lp.is_finite() => out.log_ratios.push(lp - log_q_new),
                Ok(_) => out.num_dropped += 1,
                Err(e) if e.is_recoverable() => out.num_dropped += 1,
                Err(_) => {}
            }
        }
        match evaluated {
            Ok(lp) if lp.is_finite() && grad.iter().all(|g| g.is_finite()) => {
                let log_ratio = lp - point.lp + log_q - log_q_new;
                if u.ln() < log_ratio {
                    point.theta.copy_from_slice(&proposal);
                    point.lp = lp;
                    point.grad.copy_from_slice(&grad);
                    if !warmup {
                        out.num_jumps_accepted += 1;
                    }
                }
            }
            Ok(_) => {}
            Err(e) if e.is_recoverable() => {}
            Err(e) => {
                return Err(crate::Error::Density {
                    context: format!("chain {}, jump {}", chain + 1, it + 1),
                    source: e,
                });
            }
        }
        let stats = DrawStats {
            lp: point.lp,
            accept_stat: t.accept_stat,
            step_size: t.step_size,
            tree_depth: 0,
            n_leapfrog: t.num_steps,
            divergent: t.divergent,
            energy: t.energy,
        };
        density.constrain(&point.theta, &mut values);
        if warmup {
            if 2 * it >= num_tune {
                let k = mixture.classify(&point.theta);
                let z = mixture.components[k].whiten(&point.theta);
                let r2: f64 = z.iter().map(|v| v * v).sum();
                if r2 > 0.0 && r2.is_finite() {
                    log_radii[k].push(r2.ln());
                }
            }
            out.draws.warmup_stats.push(stats);
            out.draws.warmup_values.extend_from_slice(&values);
            progress.advance(Phase::Warmup, 1);
        } else {
            out.draws.stats.push(stats);
            out.draws.values.extend_from_slice(&values);
            out.mode_counts[mixture.classify(&point.theta)] += 1;
            progress.advance(Phase::Sampling, 1);
        }
    }
    out.num_grad_evals = counted.num_evals();
    Ok(out)
}

/// The search's mixture with each mode's scale multiplied by c, where the log squared radii
/// (in the component's whitened coordinates) of the chain's warmup draws in that mode say it
/// is off: c² = exp(their mean − the component's own mean log squared radius), applied only
/// when that difference exceeds 3 standard errors (a component that fits keeps its scale) and
/// there are at least 20 such draws; c is kept within [1/2, 4]. Log radii, not squared radii:
/// their mean is finite and stable for heavy-tailed modes. A Laplace Gaussian is too narrow
/// for a heavy-tailed mode whose tails the probe did not see; a full covariance from a few
/// hundred correlated draws was tried and lowered the acceptance on the Gaussian targets in
/// d = 20 (noisy estimate).
fn rescaled(mixture: &Mixture, log_radii: &[Vec<f64>]) -> Mixture {
    let mut out = mixture.clone();
    for (comp, r) in out.components.iter_mut().zip(log_radii) {
        if r.len() < 20 {
            continue;
        }
        let n = r.len() as f64;
        let mean = r.iter().sum::<f64>() / n;
        let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let shift = mean - comp.mean_log_radius2();
        if !(shift.abs() > 3.0 * (var / n).sqrt()) {
            continue;
        }
        if let Some(g) = comp.scaled((0.5 * shift).exp().clamp(0.5, 4.0)) {
            *comp = g;
        }
    }
    out
}

/// A starting point drawn from q where the density and its gradient are finite.
fn start<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    mixture: &Mixture,
    rng: &mut dyn rand::Rng,
    chain: usize,
) -> Result<Point, crate::Error> {
    let d = mixture.components[0].dim();
    let mut last = String::new();
    const ATTEMPTS: usize = 100;
    for _ in 0..ATTEMPTS {
        let mut theta = vec![0.0; d];
        mixture.sample(rng, &mut theta);
        let mut grad = vec![0.0; d];
        match counted.eval(&theta, &mut grad) {
            Ok(lp) if lp.is_finite() && grad.iter().all(|g| g.is_finite()) => {
                return Ok(Point { theta, lp, grad });
            }
            Ok(_) => last = "non-finite log density or gradient".into(),
            Err(e) if e.is_recoverable() => last = e.to_string(),
            Err(e) => {
                return Err(crate::Error::Density {
                    context: format!("chain {} initialization", chain + 1),
                    source: e,
                });
            }
        }
    }
    Err(crate::Error::NoValidInit {
        attempts: ATTEMPTS,
        last_error: last,
    })
}
