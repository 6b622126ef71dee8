//! auto's flow path: training the IAF (with its cost counted even when it fails) and the
//! Gaussian fit's own variational report.

use super::{AutoReport, MAX_PARETO_K, REFIT_SEED};
use crate::density::LogDensity;
use crate::flow::{Flow, FlowSettings, GaussianFit};
use crate::progress::Progress;
use crate::vi::{InitReport, ViReport, ViSettings};

/// Trains the flow from `candidates` (raced as in NeuTra), once more from where it is when its
/// k̂ is 0.7 or more.
#[allow(clippy::too_many_arguments)]
pub(super) fn train_flow<D: LogDensity + ?Sized>(
    density: &D,
    candidates: &[GaussianFit],
    init_report: InitReport,
    flow_settings: &FlowSettings,
    flow_vi: &ViSettings,
    seed: u64,
    progress: &dyn Progress,
    report: &mut AutoReport,
) -> Result<(Flow, ViReport), crate::Error> {
    let (mut flow, mut fit) = crate::vi::fit_from_gaussians(
        density,
        candidates,
        init_report,
        flow_settings,
        flow_vi,
        seed,
        progress,
    )?;
    // A fit that is a poor importance sampler (k̂ ≥ 0.7) goes on training once, from where it
    // is, on fresh draws.
    if !(fit.pareto_k < MAX_PARETO_K) {
        let more = crate::vi::fit(density, &mut flow, flow_vi, seed ^ REFIT_SEED, progress)?;
        fit.num_grad_evals_train += more.num_grad_evals_train + fit.num_grad_evals_final;
        fit.elbo_trace.extend_from_slice(&more.elbo_trace);
        fit.num_steps += more.num_steps;
        fit.num_dropped += more.num_dropped + fit.num_dropped_final;
        fit.num_train_draws += more.num_train_draws + fit.num_final_draws;
        fit.num_restores += more.num_restores;
        fit.elbo = more.elbo;
        fit.elbo_mcse = more.elbo_mcse;
        fit.pareto_k = more.pareto_k;
        fit.stop_reason = more.stop_reason;
        fit.num_dropped_final = more.num_dropped_final;
        fit.num_final_draws = more.num_final_draws;
        report.num_refits = 1;
    }
    Ok((flow, fit))
}

/// A density that counts its gradient evaluations, so that a flow's training that fails still
/// has its cost counted.
pub(super) struct Tally<'a, D: ?Sized> {
    density: &'a D,
    count: std::sync::atomic::AtomicU64,
}

impl<'a, D: LogDensity + ?Sized> Tally<'a, D> {
    pub(super) fn new(density: &'a D) -> Self {
        Tally {
            density,
            count: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(super) fn num_evals(&self) -> u64 {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl<D: LogDensity + ?Sized> LogDensity for Tally<'_, D> {
    fn dim(&self) -> usize {
        self.density.dim()
    }

    fn log_density(
        &self,
        theta: &[f64],
        grad: &mut [f64],
    ) -> Result<f64, crate::density::DensityError> {
        self.count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.density.log_density(theta, grad)
    }

    fn param_names(&self) -> Vec<String> {
        self.density.param_names()
    }

    fn constrain(&self, theta: &[f64], out: &mut [f64]) {
        self.density.constrain(theta, out)
    }
}

/// The Gaussian fit as a (0-step) variational fit: its ELBO and Pareto k̂ on fresh draws.
pub(super) fn gaussian_vi_report<D: LogDensity + ?Sized>(
    density: &D,
    flow: &mut Flow,
    vi: &ViSettings,
    init_report: &InitReport,
    seed: u64,
    progress: &dyn Progress,
) -> Result<ViReport, crate::Error> {
    let settings = ViSettings {
        max_steps: 0,
        min_steps: 0,
        ..vi.clone()
    };
    let mut report = crate::vi::fit(density, flow, &settings, seed, progress)?;
    report.num_grad_evals_init = init_report.num_grad_evals;
    report.init = Some(init_report.clone());
    Ok(report)
}
