//! One minibatch of the variational fit, and the final ELBO / Pareto k-hat estimate.

use super::GradientEstimator;
use crate::density::{Counted, DensityError, LogDensity};
use crate::flow::Flow;
use rayon::prelude::*;

/// Per-draw buffers, allocated once per fit.
pub(super) struct Workspace {
    z: Vec<f64>,
    theta: Vec<f64>,
    grad_theta: Vec<f64>,
    v: Vec<f64>,
    score: Vec<f64>,
    tape: Vec<f64>,
    gparams: Vec<f64>,
    result: Result<Option<f64>, DensityError>,
}

impl Workspace {
    pub(super) fn new(flow: &Flow) -> Self {
        let d = flow.dim();
        Workspace {
            z: vec![0.0; d],
            theta: vec![0.0; d],
            grad_theta: vec![0.0; d],
            v: vec![0.0; d],
            score: vec![0.0; d],
            tape: flow.new_tape(),
            gparams: vec![0.0; flow.params().len()],
            result: Ok(None),
        }
    }
}

pub(super) struct BatchOutcome {
    pub num_ok: usize,
    pub mean_elbo: f64,
    /// Sample variance of the per-draw ELBO terms log p − log q (0 when q = p).
    pub var_elbo: f64,
}

/// Evaluates one draw: its ELBO term into `w.result` and its parameter gradient into
/// `w.gparams` (zeroed first).
fn evaluate<D: LogDensity + ?Sized>(
    density: &Counted<D>,
    flow: &Flow,
    w: &mut Workspace,
    estimator: GradientEstimator,
) {
    let ld = flow.forward(&w.z, &mut w.theta, &mut w.tape);
    let lp = match density.eval(&w.theta, &mut w.grad_theta) {
        Ok(lp) => lp,
        Err(e) => {
            w.result = if e.is_recoverable() { Ok(None) } else { Err(e) };
            return;
        }
    };
    w.gparams.fill(0.0);
    match estimator {
        GradientEstimator::Reparameterized | GradientEstimator::Auto => {
            flow.backward(&w.z, &mut w.tape, &w.grad_theta, 1.0, &mut w.gparams);
        }
        GradientEstimator::StickingTheLanding => {
            // The score term's parameter path is dropped: ∇_θ(log p − log q) with q fixed.
            flow.score(&w.z, &mut w.tape, &mut w.score);
            for i in 0..w.z.len() {
                w.v[i] = w.grad_theta[i] - w.score[i];
            }
            flow.backward(&w.z, &mut w.tape, &w.v, 0.0, &mut w.gparams);
        }
    }
    let elbo = lp + ld - flow.base().log_density(&w.z);
    w.result = if elbo.is_finite() && w.gparams.iter().all(|g| g.is_finite()) {
        Ok(Some(elbo))
    } else {
        Ok(None)
    };
}

/// Runs a minibatch; writes the mean ∇ELBO over surviving draws into `grad`.
pub(super) fn run_batch<D: LogDensity + ?Sized>(
    density: &Counted<D>,
    flow: &Flow,
    works: &mut [Workspace],
    rng: &mut dyn rand::Rng,
    estimator: GradientEstimator,
    grad: &mut [f64],
) -> Result<BatchOutcome, crate::Error> {
    for w in works.iter_mut() {
        flow.base().sample(rng, &mut w.z);
    }
    works
        .par_iter_mut()
        .for_each(|w| evaluate(density, flow, w, estimator));
    grad.fill(0.0);
    let (mut num_ok, mut elbo_sum) = (0usize, 0.0);
    for w in works.iter() {
        match &w.result {
            Ok(Some(e)) => {
                num_ok += 1;
                elbo_sum += e;
                for (g, p) in grad.iter_mut().zip(&w.gparams) {
                    *g += p;
                }
            }
            Ok(None) => {}
            Err(e) => {
                return Err(crate::Error::Density {
                    context: "variational fit".into(),
                    source: e.clone(),
                });
            }
        }
    }
    if num_ok > 0 {
        let inv = 1.0 / num_ok as f64;
        grad.iter_mut().for_each(|g| *g *= inv);
    }
    let mean_elbo = if num_ok > 0 {
        elbo_sum / num_ok as f64
    } else {
        f64::NAN
    };
    let var_elbo = if num_ok > 1 {
        let ss: f64 = works
            .iter()
            .filter_map(|w| match w.result {
                Ok(Some(e)) => Some((e - mean_elbo).powi(2)),
                _ => None,
            })
            .sum();
        ss / (num_ok - 1) as f64
    } else {
        f64::NAN
    };
    Ok(BatchOutcome {
        num_ok,
        mean_elbo,
        var_elbo,
    })
}

pub(super) struct FinalEstimate {
    pub elbo: f64,
    pub elbo_mcse: f64,
    pub pareto_k: f64,
    pub num_dropped: u64,
    pub log_evidence: Result<crate::diagnostics::LogEvidence, String>,
}

/// ELBO with its MCSE and the PSIS k-hat of log p − log q over `n` fresh draws.
pub(super) fn final_estimate<D: LogDensity + ?Sized>(
    density: &Counted<D>,
    flow: &Flow,
    n: usize,
    seed: u64,
) -> Result<FinalEstimate, crate::Error> {
    let d = flow.dim();
    let mut rng = crate::rng::seeded(seed, 0x5151);
    let mut z = vec![0.0; n * d];
    for zi in z.chunks_mut(d) {
        flow.base().sample(&mut rng, zi);
    }
    let results: Vec<Result<Option<f64>, DensityError>> = z
        .par_chunks(d)
        .map_init(
            || (vec![0.0; d], vec![0.0; d], flow.new_tape()),
            |(theta, g, tape), zi| {
                let ld = flow.forward(zi, theta, tape);
                match density.eval(theta, g) {
                    Ok(lp) => Ok(Some(lp + ld - flow.base().log_density(zi))),
                    Err(e) if e.is_recoverable() => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )
        .collect();
    let mut ratios = Vec::with_capacity(n);
    for r in results {
        match r {
            Ok(Some(v)) => ratios.push(v),
            Ok(None) => {}
            Err(e) => {
                return Err(crate::Error::Density {
                    context: "final ELBO estimate".into(),
                    source: e,
                });
            }
        }
    }
    let num_dropped = (n - ratios.len()) as u64;
    if ratios.len() < 10 {
        return Err(crate::Error::ViDiverged {
            step: 0,
            reason: format!(
                "{num_dropped} of {n} draws from the fitted flow fall where the log-density fails"
            ),
        });
    }
    let m = ratios.len() as f64;
    let elbo = ratios.iter().sum::<f64>() / m;
    let var = ratios.iter().map(|r| (r - elbo).powi(2)).sum::<f64>() / (m - 1.0);
    let smoothed = crate::diagnostics::psis(&ratios);
    let pareto_k = smoothed.k_hat;
    let log_evidence =
        crate::diagnostics::log_evidence_smoothed(&ratios, &smoothed, num_dropped as usize);
    Ok(FinalEstimate {
        elbo,
        elbo_mcse: (var / m).sqrt(),
        pareto_k,
        num_dropped,
        log_evidence,
    })
}
