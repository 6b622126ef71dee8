//! Reverse-KL variational inference: fit a [`Flow`] q to the target p by maximizing
//! ELBO = E_{z∼N(0,I)}[log p(T(z)) + log|det J_T(z)| − log N(z)] with reparameterized draws.
//!
//! Each step draws a minibatch of z, evaluates the target at T(z) in parallel (rayon; per-draw
//! buffers reduced in a fixed order, so results do not depend on the thread count),
//! back-propagates through the flow by hand-written VJPs and takes an Adam step with
//! global-norm clipping. Draws where the target fails or is non-finite are dropped and counted.
//! The learning rate decays when a windowed ELBO mean stops improving, and the fit stops after
//! a few such plateaus or at the step budget. The verdict on the fit is the Pareto k-hat of the
//! importance ratios p/q on fresh draws ([`psis`](crate::diagnostics::psis)): below 0.7 the flow
//! is a usable importance sampler (Vehtari et al. 2024; Yao et al. 2018).
//!
//! The sticking-the-landing estimator (Roeder, Wu, Duvenaud 2017) drops the score term of the
//! entropy gradient; it needs ∇_θ log q(θ) = J⁻ᵀ(−z − ∇_z log|det J|), a transposed solve
//! through the flow (d network passes per IAF layer), so it is an option.

pub mod init;
mod policies;
mod settings;
mod step;

use crate::density::{Counted, LogDensity};
use crate::flow::Flow;
use crate::optim::Adam;
use crate::progress::{Phase, Progress};
pub use init::{InitReport, InitSettings};
use policies::{CollapseGuard, Plateau, PlateauVerdict, WindowTally, finite_mean, mean_se};
pub use settings::{AUTO_STL_MAX_DIM, GradientEstimator, ViSettings};
use step::{BatchOutcome, Workspace, run_batch};
/// Why the fit stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The windowed ELBO stopped improving.
    Plateau,
    /// The step budget ran out.
    MaxSteps,
    /// log p − log q was (nearly) constant: the flow already is the target.
    Converged,
}

/// End-of-fit summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ViReport {
    /// Mean ELBO of each step's surviving draws.
    pub elbo_trace: Vec<f64>,
    /// Optimization steps taken.
    pub num_steps: usize,
    /// Why it stopped.
    pub stop_reason: StopReason,
    /// ELBO estimate from the fresh draws.
    pub elbo: f64,
    /// Its Monte Carlo standard error.
    pub elbo_mcse: f64,
    /// Pareto k-hat of the importance ratios p/q on the fresh draws.
    pub pareto_k: f64,
    /// log Z of the target density as written, from the same draws
    /// ([`log_evidence`](crate::diagnostics::log_evidence)); `Err` says why there is none
    /// (k̂ too large).
    pub log_evidence: Result<crate::diagnostics::LogEvidence, String>,
    /// Draws of the Gaussian initialization (candidate ELBOs, finalists' short fits) dropped
    /// because the target failed there.
    pub num_dropped_init: u64,
    /// Draws dropped during training because the target failed there.
    pub num_dropped: u64,
    /// Draws made during training (steps × batch size).
    pub num_train_draws: u64,
    /// Times the fit went back to its best parameters after collapsing (or at the end).
    pub num_restores: usize,
    /// Fresh draws dropped (target failed) in the final estimate.
    pub num_dropped_final: u64,
    /// Fresh draws of the final estimate (dropped ones included).
    pub num_final_draws: u64,
    /// Gradient evaluations: Gaussian initialization.
    pub num_grad_evals_init: u64,
    /// Gradient evaluations: training.
    pub num_grad_evals_train: u64,
    /// Gradient evaluations: final estimate (ELBO, k-hat).
    pub num_grad_evals_final: u64,
    /// Wall-clock seconds of the whole fit.
    pub seconds: f64,
    /// What the initialization did (absent when the flow was given).
    pub init: Option<InitReport>,
}

impl ViReport {
    /// All gradient evaluations of the fit.
    pub fn num_grad_evals(&self) -> u64 {
        self.num_grad_evals_init + self.num_grad_evals_train + self.num_grad_evals_final
    }

    /// k̂ < 0.7: the flow is a reliable importance sampler for the target (on the draws where
    /// the target could be evaluated; see [`verdict`](Self::verdict)).
    pub fn pareto_k_ok(&self) -> bool {
        self.pareto_k < 0.7
    }

    /// The share of the final estimate's fresh draws of q where the target failed: q's mass
    /// where the log-density is undefined.
    pub fn dropped_fraction(&self) -> f64 {
        self.num_dropped_final as f64 / self.num_final_draws.max(1) as f64
    }

    /// The verdict on the fit ([`fit_verdict`](crate::diagnostics::fit_verdict)).
    pub fn verdict(&self) -> crate::diagnostics::FitVerdict {
        crate::diagnostics::fit_verdict(self.pareto_k, self.dropped_fraction())
    }

    /// Dropped draws per phase in one line, e.g. "dropped draws: 0 of 192 in the
    /// initialization, 35 of 9600 in training, 71 of 1000 in the final estimate"; `None` when
    /// no draw was dropped.
    pub fn dropped_summary(&self) -> Option<String> {
        if self.num_dropped_init + self.num_dropped + self.num_dropped_final == 0 {
            return None;
        }
        Some(format!(
            "draws where the log-density failed: {} in the initialization, {} of {} in training, {} of {} in the final estimate",
            self.num_dropped_init,
            self.num_dropped,
            self.num_train_draws,
            self.num_dropped_final,
            self.num_final_draws
        ))
    }
}

/// Fits the default flow: Gaussian initialization, then the IAF flow on top of it.
///
/// ```
/// use flowpost::{DensityError, LogDensity};
/// use flowpost::flow::FlowSettings;
/// use flowpost::vi::{ViSettings, fit_default};
/// struct Gauss;
/// impl LogDensity for Gauss {
///     fn dim(&self) -> usize { 2 }
///     fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
///         g[0] = -(x[0] - 1.0) / 4.0;
///         g[1] = -x[1];
///         Ok(-(x[0] - 1.0).powi(2) / 8.0 - x[1] * x[1] / 2.0)
///     }
/// }
/// let settings = ViSettings { max_steps: 300, ..Default::default() };
/// let (flow, report) = fit_default(&Gauss, &FlowSettings::default(), &settings, 1, &flowpost::progress::NoProgress).unwrap();
/// assert!(report.pareto_k < 0.7);
/// assert_eq!(flow.dim(), 2);
/// ```
pub fn fit_default<D: LogDensity + ?Sized>(
    density: &D,
    flow_settings: &crate::flow::FlowSettings,
    settings: &ViSettings,
    seed: u64,
    progress: &dyn Progress,
) -> Result<(Flow, ViReport), crate::Error> {
    settings.validate()?;
    flow_settings.validate()?;
    let start = std::time::Instant::now();
    let (gaussians, init_report) = init::gaussian_fit(density, &settings.init, seed)?;
    let (flow, mut report) = fit_from_gaussians(
        density,
        &gaussians,
        init_report,
        flow_settings,
        settings,
        seed,
        progress,
    )?;
    report.seconds = start.elapsed().as_secs_f64();
    Ok((flow, report))
}

/// The part of [`fit_default`] after the Gaussian initialization: `gaussians` and `init_report`
/// are what [`init::gaussian_fit`] returned (its gradient evaluations are counted in the
/// report). Used by a caller that ran the initialization itself.
pub fn fit_from_gaussians<D: LogDensity + ?Sized>(
    density: &D,
    gaussians: &[crate::flow::GaussianFit],
    mut init_report: InitReport,
    flow_settings: &crate::flow::FlowSettings,
    settings: &ViSettings,
    seed: u64,
    progress: &dyn Progress,
) -> Result<(Flow, ViReport), crate::Error> {
    settings.validate()?;
    flow_settings.validate()?;
    if gaussians.is_empty() {
        return Err(crate::Error::settings(
            "gaussians",
            "the Gaussian initialization gave no candidate",
        ));
    }
    let start = std::time::Instant::now();
    let gaussian = init_report.best_is_exact(settings.gaussian_variance);
    let flow_settings = &if gaussian {
        crate::flow::FlowSettings {
            base: crate::flow::Base::StandardNormal,
            num_iaf_layers: 0,
            ..flow_settings.clone()
        }
    } else {
        flow_settings.clone()
    };
    let mut flows: Vec<Flow> = gaussians
        .iter()
        .map(|g| Flow::default_for(g, flow_settings, seed))
        .collect();
    let mut num_grad_evals_init = init_report.num_grad_evals;
    let mut num_dropped_init = init_report.num_dropped();
    if flows.len() > 1 && !gaussian {
        // A short fit of each finalist; the best windowed ELBO continues.
        let race = ViSettings {
            max_steps: settings.init.race_steps,
            min_steps: settings.init.race_steps,
            ..settings.clone()
        };
        let mut scores = Vec::with_capacity(flows.len());
        for flow in &mut flows {
            let r = train(density, flow, &race, seed, &crate::progress::NoProgress)?;
            num_grad_evals_init += r.num_grad_evals;
            num_dropped_init += r.num_dropped;
            let tail = &r.elbo_trace[r.elbo_trace.len().saturating_sub(settings.window)..];
            scores.push(finite_mean(tail));
        }
        let best = (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .expect("at least one finalist");
        init_report.race_elbos = scores;
        flows.swap(0, best);
    }
    flows.truncate(1);
    let mut flow = flows.swap_remove(0);
    // A draw that failed anywhere means the target is undefined somewhere a full-support flow
    // puts mass: the flow can never be exact, so "log p − log q constant on the surviving
    // draws" must not stop the fit.
    let settings = &if num_dropped_init > 0 {
        ViSettings {
            converged_variance: 0.0,
            ..settings.clone()
        }
    } else {
        settings.clone()
    };
    let mut report = fit(density, &mut flow, settings, seed, progress)?;
    report.num_grad_evals_init = num_grad_evals_init;
    report.num_dropped_init = num_dropped_init;
    report.init = Some(init_report);
    report.seconds = start.elapsed().as_secs_f64();
    Ok((flow, report))
}

/// What [`train`] produced: the trace and its cost.
struct Training {
    elbo_trace: Vec<f64>,
    stop_reason: StopReason,
    num_dropped: u64,
    num_train_draws: u64,
    num_restores: usize,
    num_grad_evals: u64,
}

/// Trains `flow` (its non-frozen layers) on `density` by reverse KL, then estimates the ELBO
/// and the Pareto k-hat on fresh draws.
pub fn fit<D: LogDensity + ?Sized>(
    density: &D,
    flow: &mut Flow,
    settings: &ViSettings,
    seed: u64,
    progress: &dyn Progress,
) -> Result<ViReport, crate::Error> {
    settings.validate()?;
    let start = std::time::Instant::now();
    let t = train(density, flow, settings, seed, progress)?;
    let counted = Counted::new(density);
    let final_est = step::final_estimate(&counted, flow, settings.num_psis_draws, seed)?;
    Ok(ViReport {
        num_steps: t.elbo_trace.len(),
        elbo_trace: t.elbo_trace,
        stop_reason: t.stop_reason,
        elbo: final_est.elbo,
        elbo_mcse: final_est.elbo_mcse,
        pareto_k: final_est.pareto_k,
        log_evidence: final_est.log_evidence,
        num_dropped_init: 0,
        num_dropped: t.num_dropped,
        num_train_draws: t.num_train_draws,
        num_restores: t.num_restores,
        num_dropped_final: final_est.num_dropped,
        num_final_draws: settings.num_psis_draws as u64,
        num_grad_evals_init: 0,
        num_grad_evals_train: t.num_grad_evals,
        num_grad_evals_final: counted.num_evals(),
        seconds: start.elapsed().as_secs_f64(),
        init: None,
    })
}

/// The optimization loop of [`fit`].
fn train<D: LogDensity + ?Sized>(
    density: &D,
    flow: &mut Flow,
    settings: &ViSettings,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Training, crate::Error> {
    if flow.dim() != density.dim() {
        return Err(crate::Error::DimensionMismatch {
            what: "flow dimension vs density dimension",
            expected: density.dim(),
            got: flow.dim(),
        });
    }
    let counted = Counted::new(density);
    let n_params = flow.params().len();
    let mut adam = Adam::new(n_params, settings.adam);
    let mut works: Vec<Workspace> = (0..settings.batch_size)
        .map(|_| Workspace::new(flow))
        .collect();
    let mut grad = vec![0.0; n_params];
    let mut plateau = Plateau::new(settings);
    let mut guard = CollapseGuard::new(flow.params());
    let mut tally = WindowTally::default();
    let mut elbo_trace = Vec::new();
    let mut num_dropped = 0u64;
    let mut lr_factor = 1.0;
    let estimator = settings.estimator.resolve(flow.dim());
    let mut stop_reason = StopReason::MaxSteps;
    let mut num_restores = 0;
    progress.begin(Phase::Vi, settings.max_steps as u64);
    for step in 0..settings.max_steps {
        let mut rng = crate::rng::seeded(seed, crate::rng::streams::VI_STEP.id(step as u64));
        let outcome = run_batch(&counted, flow, &mut works, &mut rng, estimator, &mut grad)?;
        let BatchOutcome {
            num_ok,
            mean_elbo,
            var_elbo,
        } = outcome;
        let failed = settings.batch_size - num_ok;
        num_dropped += failed as u64;
        tally.add(failed, var_elbo);
        // An exact fit only if every draw survived: log p − log q constant on the survivors
        // says nothing about the mass where the target fails.
        if step == 0 && failed == 0 && var_elbo < settings.converged_variance {
            elbo_trace.push(mean_elbo);
            stop_reason = StopReason::Converged;
            break;
        }
        if num_ok > 0 {
            grad.iter_mut().for_each(|g| *g = -*g);
            adam.step(
                flow.params_mut(),
                &grad,
                lr_factor * settings.warmup.factor(step as u64),
            );
            if let Some(i) = flow.params().iter().position(|p| !p.is_finite()) {
                return Err(crate::Error::ViDiverged {
                    step,
                    reason: format!(
                        "flow parameter {i} became non-finite; lower the learning rate"
                    ),
                });
            }
            elbo_trace.push(mean_elbo);
        } else {
            elbo_trace.push(f64::NAN);
        }
        progress.advance(Phase::Vi, 1);
        if (step + 1) % settings.window == 0 {
            let closed = tally.close(settings.window, settings.batch_size);
            if closed.failure_fraction > settings.max_failure_fraction {
                return Err(crate::Error::ViDiverged {
                    step,
                    reason: format!(
                        "{:.0}% of the flow's draws in the last {} steps fell where the log-density fails",
                        100.0 * closed.failure_fraction,
                        settings.window
                    ),
                });
            }
            let window = &elbo_trace[elbo_trace.len() - settings.window..];
            let (mean, se) = mean_se(window);
            progress.note(Phase::Vi, &format!("ELBO {mean:.3}"));
            if guard.collapsed(mean, se, step, flow.params()) {
                // Back to the best parameters with fresh optimizer state and a smaller step.
                flow.params_mut().copy_from_slice(guard.best_params());
                adam = Adam::new(n_params, settings.adam);
                lr_factor *= settings.lr_decay;
                num_restores += 1;
                continue;
            }
            if !closed.any_failed && closed.mean_var < settings.converged_variance {
                stop_reason = StopReason::Converged;
                break;
            }
            match plateau.update(&elbo_trace, settings.window, step + 1) {
                PlateauVerdict::Improving => {}
                PlateauVerdict::Decay => lr_factor *= settings.lr_decay,
                PlateauVerdict::Stop => {
                    stop_reason = StopReason::Plateau;
                    break;
                }
            }
        }
    }
    progress.end(Phase::Vi);
    // Keep the best window's parameters if the last window is clearly worse.
    let tail = &elbo_trace[elbo_trace.len().saturating_sub(settings.window)..];
    let (last, se) = mean_se(tail);
    if guard.restore_at_end(last, se) {
        flow.params_mut().copy_from_slice(guard.best_params());
        num_restores += 1;
    }
    Ok(Training {
        num_train_draws: (elbo_trace.len() * settings.batch_size) as u64,
        elbo_trace,
        stop_reason,
        num_dropped,
        num_restores,
        num_grad_evals: counted.num_evals(),
    })
}
