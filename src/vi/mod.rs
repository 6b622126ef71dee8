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
mod step;

use crate::density::{Counted, LogDensity};
use crate::flow::Flow;
use crate::optim::{Adam, AdamSettings, WarmupSchedule};
use crate::progress::{Phase, Progress};
pub use init::{InitReport, InitSettings};
use step::{BatchOutcome, Workspace, run_batch};

/// Gradient estimator of the ELBO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradientEstimator {
    /// The plain reparameterization gradient.
    Reparameterized,
    /// Sticking the landing: the path derivative only.
    StickingTheLanding,
    /// Sticking the landing up to [`AUTO_STL_MAX_DIM`] dimensions, the plain gradient above
    /// (the transposed solve costs d network passes per IAF layer and draw).
    Auto,
}

/// Largest dimension for which [`GradientEstimator::Auto`] uses sticking the landing.
pub const AUTO_STL_MAX_DIM: usize = 16;

impl GradientEstimator {
    /// The estimator actually used in dimension `dim`.
    pub fn resolve(self, dim: usize) -> GradientEstimator {
        match self {
            GradientEstimator::Auto if dim <= AUTO_STL_MAX_DIM => {
                GradientEstimator::StickingTheLanding
            }
            GradientEstimator::Auto => GradientEstimator::Reparameterized,
            other => other,
        }
    }
}

/// Settings of the variational fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ViSettings {
    /// Draws per step.
    pub batch_size: usize,
    /// Step budget.
    pub max_steps: usize,
    /// Never stop on a plateau before this many steps.
    pub min_steps: usize,
    /// Adam settings (learning rate, clipping).
    pub adam: AdamSettings,
    /// Linear learning-rate warm-up.
    pub warmup: WarmupSchedule,
    /// Gradient estimator.
    pub estimator: GradientEstimator,
    /// Steps per window of the plateau test.
    pub window: usize,
    /// Windows without improvement that make a plateau.
    pub patience: usize,
    /// Factor applied to the learning rate at each plateau.
    pub lr_decay: f64,
    /// Plateaus (learning-rate decays) before stopping.
    pub num_decays: usize,
    /// Fresh draws for the final ELBO estimate and the Pareto k-hat.
    pub num_psis_draws: usize,
    /// Fail if more than this fraction of a window's draws fail.
    pub max_failure_fraction: f64,
    /// Stop when the variance of log p − log q over the draws falls below this (the flow is then
    /// the target up to a KL of about half of it): before the first step, and per window.
    pub converged_variance: f64,
    /// When the best Gaussian candidate's log-weight variance is below this, the flow is that
    /// Gaussian (no IAF layers, standard normal base); only its elementwise affine is trained.
    pub gaussian_variance: f64,
    /// The Gaussian initialization.
    pub init: InitSettings,
}

impl Default for ViSettings {
    fn default() -> Self {
        ViSettings {
            batch_size: 32,
            max_steps: 3000,
            min_steps: 300,
            adam: AdamSettings {
                learning_rate: 1e-2,
                clip_norm: Some(100.0),
                ..Default::default()
            },
            warmup: WarmupSchedule {
                warmup_steps: 50,
                warmup_start: 0.1,
            },
            estimator: GradientEstimator::Auto,
            window: 100,
            patience: 2,
            lr_decay: 0.5,
            num_decays: 4,
            num_psis_draws: 1000,
            max_failure_fraction: 0.5,
            converged_variance: 2e-3,
            gaussian_variance: 0.5,
            init: InitSettings::default(),
        }
    }
}

impl ViSettings {
    /// The settings for continuing the fit of a flow that was trained before (for other data
    /// of the same model): Adam moves every parameter by about the learning rate in its first
    /// steps whatever the gradient, so the fresh schedule's 10⁻² would undo a trained flow.
    /// The refit starts at the learning rate of the schedule's last plateau
    /// (`learning_rate · lr_decay^(num_decays − 1)`), decays once, and may stop on a plateau
    /// after one window.
    ///
    /// ```
    /// use flowpost::vi::ViSettings;
    /// let refit = ViSettings::default().for_refit();
    /// assert_eq!(refit.adam.learning_rate, 1.25e-3);
    /// assert_eq!(refit.num_decays, 1);
    /// ```
    pub fn for_refit(&self) -> ViSettings {
        let mut s = self.clone();
        s.adam.learning_rate *= self.lr_decay.powi(self.num_decays.saturating_sub(1) as i32);
        s.num_decays = self.num_decays.min(1);
        s.min_steps = self.min_steps.min(self.window);
        s
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |f: &str, r: &str| Err(crate::Error::settings(f, r));
        if self.batch_size == 0 {
            return bad("vi.batch_size", "must be at least 1");
        }
        let steps = crate::rng::streams::VI_STEP.len;
        if self.max_steps as u64 > steps {
            return bad("vi.max_steps", &format!("must be at most {steps}"));
        }
        if self.patience == 0 {
            return bad("vi.patience", "must be at least 1");
        }
        if self.window == 0 {
            return bad("vi.window", "must be at least 1");
        }
        if !(self.lr_decay > 0.0 && self.lr_decay < 1.0) {
            return bad("vi.lr_decay", "must be in (0, 1)");
        }
        if !(0.0..=1.0).contains(&self.max_failure_fraction) {
            return bad("vi.max_failure_fraction", "must be in [0, 1]");
        }
        if !(self.converged_variance >= 0.0) {
            return bad("vi.converged_variance", "must be non-negative");
        }
        if !(self.gaussian_variance >= 0.0) {
            return bad("vi.gaussian_variance", "must be non-negative");
        }
        if self.num_psis_draws < 10 {
            return bad("vi.num_psis_draws", "must be at least 10");
        }
        self.adam
            .validate()
            .map_err(|e| crate::Error::settings(&format!("vi.adam.{}", e.field), &e.reason))
    }
}

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
    let mut elbo_trace = Vec::new();
    let (mut num_dropped, mut window_failures) = (0u64, 0usize);
    let mut lr_factor = 1.0;
    let estimator = settings.estimator.resolve(flow.dim());
    let mut stop_reason = StopReason::MaxSteps;
    let mut window_var = 0.0;
    let mut best: (f64, Vec<f64>) = (f64::NEG_INFINITY, flow.params().to_vec());
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
        window_failures += failed;
        window_var += var_elbo;
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
            let frac = window_failures as f64 / (settings.window * settings.batch_size) as f64;
            if frac > settings.max_failure_fraction {
                return Err(crate::Error::ViDiverged {
                    step,
                    reason: format!(
                        "{:.0}% of the flow's draws in the last {} steps fell where the log-density fails",
                        100.0 * frac,
                        settings.window
                    ),
                });
            }
            let window_failed = window_failures > 0;
            window_failures = 0;
            let mean_var = window_var / settings.window as f64;
            window_var = 0.0;
            let window = &elbo_trace[elbo_trace.len() - settings.window..];
            let (mean, se) = mean_se(window);
            progress.note(Phase::Vi, &format!("ELBO {mean:.3}"));
            if mean > best.0 {
                best = (mean, flow.params().to_vec());
            } else if mean < best.0 - 10.0 * se.max(0.01) {
                // The fit collapsed (a step into a region where the flow blows up): go back to
                // the best parameters with fresh optimizer state and a smaller step.
                flow.params_mut().copy_from_slice(&best.1);
                adam = Adam::new(n_params, settings.adam);
                lr_factor *= settings.lr_decay;
                num_restores += 1;
                continue;
            }
            if !window_failed && mean_var < settings.converged_variance {
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
    if !(last >= best.0 - 3.0 * se) && best.0.is_finite() {
        flow.params_mut().copy_from_slice(&best.1);
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

/// Mean and standard error of the finite values.
fn mean_se(v: &[f64]) -> (f64, f64) {
    let vals: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = vals.len() as f64;
    if vals.len() < 2 {
        return (finite_mean(v), f64::INFINITY);
    }
    let mean = vals.iter().sum::<f64>() / n;
    let var = vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

fn finite_mean(v: &[f64]) -> f64 {
    let (s, n) = v
        .iter()
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Whether the least-squares trend of `trace` (per-step ELBOs, independent draws each step)
/// predicts a significant rise over the next `window` steps: slope > 2 standard errors and
/// worth at least 1e-3 nats per window. Slow steady progress, which a comparison of window
/// means cannot resolve from the noise, still counts as improving.
fn rising(trace: &[f64], window: usize) -> bool {
    let pts: Vec<(f64, f64)> = trace
        .iter()
        .enumerate()
        .filter(|(_, y)| y.is_finite())
        .map(|(t, y)| (t as f64, *y))
        .collect();
    if pts.len() < 2 * window.max(2) {
        return false;
    }
    let n = pts.len() as f64;
    let (tm, ym) = (
        pts.iter().map(|p| p.0).sum::<f64>() / n,
        pts.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let stt: f64 = pts.iter().map(|p| (p.0 - tm).powi(2)).sum();
    let slope = pts.iter().map(|p| (p.0 - tm) * (p.1 - ym)).sum::<f64>() / stt;
    let resid: f64 = pts
        .iter()
        .map(|p| (p.1 - ym - slope * (p.0 - tm)).powi(2))
        .sum::<f64>()
        / (n - 2.0);
    let se = (resid / stt).sqrt();
    slope > 2.0 * se && slope * window as f64 > 1e-3
}

enum PlateauVerdict {
    Improving,
    Decay,
    Stop,
}

/// Windowed plateau test: a window improves if its mean ELBO beats the best window so far by
/// more than its own standard error; `patience` windows without improvement are a plateau (the
/// caller decays the learning rate), and the plateau after `num_decays` decays stops the fit.
struct Plateau {
    best: f64,
    strikes: usize,
    decays: usize,
    patience: usize,
    num_decays: usize,
    min_steps: usize,
}

impl Plateau {
    fn new(s: &ViSettings) -> Self {
        Plateau {
            best: f64::NEG_INFINITY,
            strikes: 0,
            decays: 0,
            patience: s.patience,
            num_decays: s.num_decays,
            min_steps: s.min_steps,
        }
    }

    /// Judges the window that just ended (the last `window` entries of `trace`).
    fn update(&mut self, trace: &[f64], window: usize, steps: usize) -> PlateauVerdict {
        let last = &trace[trace.len().saturating_sub(window)..];
        let vals: Vec<f64> = last.iter().copied().filter(|x| x.is_finite()).collect();
        if vals.len() < 2 {
            return PlateauVerdict::Improving;
        }
        let n = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / n;
        let var = vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let se = (var / n).sqrt();
        let improved = mean > self.best + se.max(1e-3)
            || rising(&trace[trace.len().saturating_sub(4 * window)..], window);
        self.best = self.best.max(mean);
        if improved {
            self.strikes = 0;
            return PlateauVerdict::Improving;
        }
        self.strikes += 1;
        if self.strikes < self.patience {
            return PlateauVerdict::Improving;
        }
        self.strikes = 0;
        if self.decays >= self.num_decays && steps >= self.min_steps {
            return PlateauVerdict::Stop;
        }
        self.decays += 1;
        PlateauVerdict::Decay
    }
}
