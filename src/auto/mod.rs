//! `--method auto`: the cheapest sampler that is correct for *this* posterior, decided from
//! evidence the run gathers anyway.
//!
//! 1. **Gaussian fit** ([`vi::init`](crate::vi::init), Pathfinder-like: L-BFGS path, Hessian
//!    candidates, the best by ELBO) and its Pareto k̂ on fresh draws.
//!    Then the **mode probe** ([`ModeProbe`]): L-BFGS from 8 random starts in the fit's
//!    coordinates; an optimum behind a valley from the fit's mode, with mass, sends the run to
//!    the multimodal sampler ([`crate::multimodal`]) instead of NUTS
//!    ([`AutoChoice::Multimodal`]).
//! 2. **Whitened NUTS**: NUTS with nuts-rs's low-rank metric on the target pulled back through
//!    that Gaussian (a frozen affine flow), so the chains start in the bulk and the metric
//!    adapts from a nearly isotropic target; the warmup is short
//!    ([`AutoSettings::num_tune`]). The chains pause at [`AutoSettings::checkpoints`] and at the
//!    end of the warmup, and the [`Evidence`] of the later half of the draws so far is judged:
//!    nuts-rs's per-draw Fisher distance ‖z + ∇ log p̃(z)‖² per dimension, zero where the
//!    whitened target is standard normal. Measured on the 20 built-in models, seeds 1–3, at
//!    warmup draws 75–300: at most 1.04 on the 16 posteriors low-rank NUTS samples correctly
//!    (garch11 at draw 75; most below 0.3), at least 2.07 on funnel, banana, centered eight
//!    schools and gp_pois_regr (most above 3), whatever the metric has adapted by then. The
//!    threshold, 1.5, sits between. Warmup divergences do not separate the two groups (the
//!    non-centered eight schools diverge as often early on) and are not used.
//! 3. **Escalation**: when the evidence says a linear map cannot fix the geometry (or the
//!    draws diverge), the chains stop and an IAF is trained by reverse KL on top of the same
//!    Gaussian fit (no second initialization), then NUTS runs in its latent space (NeuTra).
//! 4. **The last check** ([`RunCheck`]): a flow's draws of which more than 0.5% diverged are
//!    drawn again through the same flow at target acceptance 0.99 ([`RaisedAccept`]); then,
//!    when the chosen sampler's draws fail their own diagnostics (largest R-hat above 1.01,
//!    E-BFMI below 0.3 in half the chains, more than 0.5% divergent), plain
//!    low-rank NUTS runs again with its full warmup, and the better of the two runs is kept
//!    ([`Fallback`]). The pilot's evidence is gathered early and can be fooled (module docs of
//!    `check`); the draws' diagnostics are what the user would judge them by.
//!
//! Every gradient is counted, the wasted pilot included, and the decision with its evidence is
//! part of the [`Run`](crate::Run) ([`AutoReport`]).
mod check;
mod fit_coords;
mod flow_path;
mod pilot;
mod probe;
#[cfg(test)]
mod probe_tests;
mod raise_accept;
mod report;

pub use check::RunCheck;
pub use pilot::pilot_gaussian;
pub use probe::{MIN_BARRIER, MIN_MASS_ESS, MIN_SCALE, ModeProbe, NEAR, SeparatedMode};
pub use raise_accept::RaisedAccept;
pub use report::{AutoChoice, AutoReport, Evidence, Fallback, LowRankFirst};

use crate::density::LogDensity;
use crate::flow::{Flow, FlowSettings, GaussianFit};
use crate::nuts::{Decision, Integrator, Metric, NutsRun, NutsSettings, Outcome};
use crate::progress::Progress;
use crate::vi::{ViReport, ViSettings};
use flow_path::{Tally, gaussian_vi_report, train_flow};
use pilot::whitening_flow;

/// Settings of [`Method::Auto`](crate::Method::Auto).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AutoSettings {
    /// Warmup draws per chain of the whitened NUTS run (the flow path uses the run's own).
    pub num_tune: u64,
    /// Warmup draws per chain after which the evidence is judged before the end of the warmup.
    pub checkpoints: Vec<u64>,
    /// Escalate when the mean Fisher distance per dimension over the later half of the warmup
    /// so far exceeds this.
    pub max_fisher_per_dim: f64,
    /// Escalate after sampling when more than this fraction of the draws diverged.
    pub max_divergent_fraction: f64,
    /// Warmup draws per chain of NUTS in the flow's latent space (flow path).
    pub flow_num_tune: u64,
    /// Draws per step of the flow's training on the flow path (the run's `vi.batch_size` is
    /// NeuTra's).
    pub flow_batch_size: usize,
    /// The chosen sampler's draws are rerun with plain low-rank NUTS when their largest R-hat
    /// exceeds this ([`check`](RunCheck)).
    #[serde(default = "default_max_r_hat")]
    pub max_r_hat: f64,
    /// ... or when E-BFMI is below this in half the chains or more.
    #[serde(default = "default_min_e_bfmi")]
    pub min_e_bfmi: f64,
    /// Before that rerun, draws in a trained flow's latent space of which more than
    /// `max_divergent_fraction` diverged are drawn again through the same flow at this target
    /// acceptance statistic ([`RaisedAccept`]), unless the user set the target or the run had
    /// it already.
    #[serde(default = "default_raised_target_accept")]
    pub raised_target_accept: f64,
    /// Warmup draws per chain of that rerun (the user's `num_tune`, when given, wins).
    #[serde(default = "default_fallback_num_tune")]
    pub fallback_num_tune: u64,
    /// Above this dimension, when the evidence calls for a flow, low-rank NUTS with its full
    /// warmup runs first and the flow is trained only if its draws fail their check: there a
    /// flow costs minutes to train (O(d·h) per draw, 100k+ draws) and the centered regression
    /// at d = 303–1003 needed none, while below it the funnels need one (funnel d = 100).
    #[serde(default = "default_max_dim_flow_first")]
    pub max_dim_flow_first: usize,
    /// Random L-BFGS starts of the mode probe after the Gaussian fit ([`ModeProbe`]; 0: no
    /// probe).
    #[serde(default = "default_mode_probe_starts")]
    pub mode_probe_starts: usize,
    /// L-BFGS iterations of each probe start; an end away from the fit's mode continues to
    /// 1000.
    #[serde(default = "default_mode_probe_max_iters")]
    pub mode_probe_max_iters: u64,
    /// L-BFGS iterations of each probe start in the model's own coordinates before it goes on
    /// in the Gaussian fit's (0: all in the fit's). The fit's coordinates are preconditioned by
    /// the mode it found, which widens that mode's basin: on two_moons' NLE posterior the other
    /// moon drew 15 of 64 starts there, and 33 of 64 with 10 iterations in the model's own
    /// first.
    #[serde(default = "default_mode_probe_own_iters")]
    pub mode_probe_own_iters: u64,
    /// Above this dimension there is no mode probe (each optimum behind a valley costs a
    /// Hessian, 2d gradients and O(d³)).
    #[serde(default = "default_max_dim_mode_probe")]
    pub max_dim_mode_probe: usize,
    /// An optimum behind a valley is a separated mode unless its (reliably estimated) mass is
    /// below this fraction of exp(ELBO) of the Gaussian fit.
    #[serde(default = "default_min_mode_mass_ratio")]
    pub min_mode_mass_ratio: f64,
}

fn default_mode_probe_starts() -> usize {
    8
}

fn default_mode_probe_max_iters() -> u64 {
    100
}

fn default_mode_probe_own_iters() -> u64 {
    10
}

fn default_max_dim_mode_probe() -> usize {
    500
}

fn default_min_mode_mass_ratio() -> f64 {
    0.01
}

fn default_max_dim_flow_first() -> usize {
    200
}

fn default_max_r_hat() -> f64 {
    1.01
}

fn default_min_e_bfmi() -> f64 {
    0.3
}

fn default_raised_target_accept() -> f64 {
    0.99
}

fn default_fallback_num_tune() -> u64 {
    crate::sample::NUTS_TUNE
}

impl Default for AutoSettings {
    fn default() -> Self {
        AutoSettings {
            num_tune: 300,
            checkpoints: vec![75, 150],
            max_fisher_per_dim: 1.5,
            max_divergent_fraction: 0.005,
            flow_batch_size: 16,
            flow_num_tune: 200,
            max_r_hat: default_max_r_hat(),
            min_e_bfmi: default_min_e_bfmi(),
            raised_target_accept: default_raised_target_accept(),
            fallback_num_tune: default_fallback_num_tune(),
            max_dim_flow_first: default_max_dim_flow_first(),
            mode_probe_starts: default_mode_probe_starts(),
            mode_probe_max_iters: default_mode_probe_max_iters(),
            mode_probe_own_iters: default_mode_probe_own_iters(),
            max_dim_mode_probe: default_max_dim_mode_probe(),
            min_mode_mass_ratio: default_min_mode_mass_ratio(),
        }
    }
}

impl AutoSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |f: &str, r: &str| Err(crate::Error::settings(f, r));
        if self.num_tune < 20 {
            return bad("auto.num_tune", "must be at least 20");
        }
        if !(self.max_fisher_per_dim > 0.0) {
            return bad("auto.max_fisher_per_dim", "must be positive");
        }
        if self.flow_batch_size == 0 {
            return bad("auto.flow_batch_size", "must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.max_divergent_fraction) {
            return bad("auto.max_divergent_fraction", "must be in [0, 1]");
        }
        if !(self.max_r_hat >= 1.0) {
            return bad("auto.max_r_hat", "must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.min_e_bfmi) {
            return bad("auto.min_e_bfmi", "must be in [0, 1]");
        }
        if !(self.raised_target_accept > 0.0 && self.raised_target_accept < 1.0) {
            return bad("auto.raised_target_accept", "must be in (0, 1)");
        }
        if self.fallback_num_tune < 20 {
            return bad("auto.fallback_num_tune", "must be at least 20");
        }
        let starts = crate::rng::streams::MULTIMODAL_START.len;
        if self.mode_probe_starts as u64 > starts {
            return bad(
                "auto.mode_probe_starts",
                &format!("must be at most {starts}"),
            );
        }
        if !(self.min_mode_mass_ratio > 0.0 && self.min_mode_mass_ratio <= 1.0) {
            return bad("auto.min_mode_mass_ratio", "must be in (0, 1]");
        }
        Ok(())
    }
}
/// A fitted flow with Pareto k̂ at or above this trains once more (Vehtari et al.'s limit of
/// a usable importance sampler).
const MAX_PARETO_K: f64 = 0.7;

/// Mixed into the seed of the extra training round, so that it draws fresh minibatches.
const REFIT_SEED: u64 = 0x5EF1_7000;

/// What [`run`] gives [`sample_with`](crate::sample_with) to assemble.
pub(crate) struct AutoOutcome {
    pub nuts: NutsRun,
    /// The map NUTS ran through: the Gaussian fit's (whitened), the IAF (flow), none (the
    /// low-rank rerun).
    pub flow: Option<Flow>,
    pub vi: ViReport,
    pub report: AutoReport,
    /// Warmup draws per chain of the run that produced the draws.
    pub num_tune: u64,
    /// Its target acceptance statistic.
    pub target_accept: f64,
    /// Its mass matrix.
    pub metric: Metric,
    /// Gradient evaluations of the Gaussian fit, its k̂, and (escalated) the flow's training.
    pub num_grad_evals_vi: u64,
    /// Seconds of the same.
    pub seconds_vi: f64,
    /// Gradient evaluations and seconds of the discarded whitened run.
    pub discarded: (u64, f64),
}

impl AutoOutcome {
    /// The outcome of NUTS `run` with `settings` through `flow` (the Gaussian fit's whitening,
    /// the IAF, or none: low-rank NUTS on the model's own parametrization), after the fit `vi`
    /// and the pilot (`report`), with their cost `vi_cost` and the `discarded` runs' (both
    /// `(gradients, seconds)`).
    fn new(
        run: NutsRun,
        flow: Option<Flow>,
        vi: ViReport,
        report: AutoReport,
        settings: &NutsSettings,
        vi_cost: (u64, f64),
        discarded: (u64, f64),
    ) -> Self {
        AutoOutcome {
            nuts: run,
            flow,
            vi,
            report,
            num_tune: settings.num_tune,
            target_accept: settings.target_accept,
            metric: settings.metric,
            num_grad_evals_vi: vi_cost.0,
            seconds_vi: vi_cost.1,
            discarded,
        }
    }

    /// A second run `run` of the same posterior: when `keep`, it replaces this outcome's draws
    /// and `adopt` records its settings; the run not kept is counted as discarded. Returns its
    /// gradient evaluations.
    fn replace_or_discard(
        &mut self,
        run: NutsRun,
        keep: bool,
        adopt: impl FnOnce(&mut AutoOutcome),
    ) -> u64 {
        let discarded = if keep {
            let old = std::mem::replace(&mut self.nuts, run);
            adopt(self);
            old.cost()
        } else {
            run.cost()
        };
        self.discarded.0 += discarded.0;
        self.discarded.1 += discarded.1;
        discarded.0
    }
}

/// The [`Method::Auto`](crate::Method::Auto) pipeline (module docs). `nuts` holds the
/// run's NUTS settings; its warmup length applies to the flow path, the whitened path uses
/// `auto.num_tune` unless `user_tune` is set.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<D: LogDensity + ?Sized>(
    density: &D,
    auto: &AutoSettings,
    vi: &ViSettings,
    flow_settings: &FlowSettings,
    nuts: &NutsSettings,
    user_tune: Option<u64>,
    user_target_accept: Option<f64>,
    progress: &dyn Progress,
) -> Result<AutoRun, crate::Error> {
    auto.validate()?;
    let rerun = NutsSettings {
        num_tune: user_tune.unwrap_or(auto.fallback_num_tune),
        metric: Metric::LowRank,
        integrator: Integrator::Leapfrog,
        target_accept: user_target_accept.unwrap_or(crate::sample::NUTS_TARGET_ACCEPT),
        ..nuts.clone()
    };
    let seed = nuts.seed;
    let start = std::time::Instant::now();
    let (gaussians, init_report) = crate::vi::init::gaussian_fit(density, &vi.init, seed)?;
    let mut white = whitening_flow(&gaussians[0], seed);
    let gaussian_fit = gaussian_vi_report(density, &mut white, vi, &init_report, seed, progress)?;
    let probe = probe::mode_probe(density, &gaussians[0], gaussian_fit.elbo, auto, seed)?;
    let mut fitted = Fitted {
        num_grad_evals: gaussian_fit.num_grad_evals()
            + probe.as_ref().map_or(0, |p| p.num_grad_evals),
        seconds: start.elapsed().as_secs_f64(),
        gaussians,
        init_report,
        white,
        vi: gaussian_fit,
        probe,
    };
    let separated = fitted
        .probe
        .as_ref()
        .is_some_and(|p| !p.separated.is_empty());
    // The multimodal sampler cannot continue a split run's chain numbering or start from the
    // user's values: there the probe's finding stays a warning.
    if separated && nuts.first_chain == 0 && vi.init.start.is_none() {
        let mut report = AutoReport::new(auto, fitted.vi.pareto_k);
        report.choice = AutoChoice::Multimodal;
        report.mode_probe = fitted.probe.take();
        return Ok(AutoRun::Multimodal {
            report: Box::new(report),
            vi_cost: (fitted.num_grad_evals, fitted.seconds),
        });
    }
    let (chosen, tried) = choose(
        density,
        auto,
        vi,
        flow_settings,
        nuts,
        &rerun,
        user_tune,
        user_target_accept,
        progress,
        fitted,
    )?;
    Ok(AutoRun::Sampled(Box::new(
        if chosen.report.choice == AutoChoice::LowRank {
            // Low-rank NUTS already ran: the pilot's warmup failed, or the flow could not be
            // trained.
            chosen
        } else {
            let user_set = user_target_accept.is_some();
            let chosen =
                raise_accept::raise_if_divergent(density, auto, nuts, user_set, progress, chosen)?;
            check::checked(density, auto, &rerun, progress, chosen, tried)?
        },
    )))
}

/// What [`run`] gives [`sample_with`](crate::sample_with): NUTS draws, or the instruction to
/// run the multimodal sampler because the mode probe found separated modes.
pub(crate) enum AutoRun {
    Sampled(Box<AutoOutcome>),
    Multimodal {
        report: Box<AutoReport>,
        /// Gradients and seconds of the Gaussian fit and the mode probe.
        vi_cost: (u64, f64),
    },
}

/// The Gaussian fit and the mode probe, step 1 of the pipeline.
struct Fitted {
    /// The fit's candidates, best first.
    gaussians: Vec<GaussianFit>,
    /// What the fit did.
    init_report: crate::vi::init::InitReport,
    /// The best one's whitening flow.
    white: Flow,
    /// Its report (ELBO, k̂).
    vi: ViReport,
    /// The mode probe (`None`: not run).
    probe: Option<ModeProbe>,
    /// Gradients and seconds of the two.
    num_grad_evals: u64,
    seconds: f64,
}

/// Steps 2–3 of the pipeline after the Gaussian fit (`fitted`): the sampler the evidence
/// chooses, and its draws; with them, a low-rank NUTS run made before a flow whose draws
/// failed their check (kept for comparison).
#[allow(clippy::too_many_arguments)]
fn choose<D: LogDensity + ?Sized>(
    density: &D,
    auto: &AutoSettings,
    vi: &ViSettings,
    flow_settings: &FlowSettings,
    nuts: &NutsSettings,
    rerun: &NutsSettings,
    user_tune: Option<u64>,
    user_target_accept: Option<f64>,
    progress: &dyn Progress,
    fitted: Fitted,
) -> Result<(AutoOutcome, Option<NutsRun>), crate::Error> {
    let seed = nuts.seed;
    let Fitted {
        gaussians,
        init_report,
        white,
        vi: gaussian_fit,
        probe,
        num_grad_evals: mut num_grad_evals_vi,
        seconds: mut seconds_vi,
    } = fitted;
    let num_grad_evals_probe = probe.as_ref().map_or(0, |p| p.num_grad_evals);
    let mut report = AutoReport::new(auto, gaussian_fit.pareto_k);
    report.mode_probe = probe;

    let whitened = NutsSettings {
        num_tune: user_tune.unwrap_or(auto.num_tune),
        metric: Metric::LowRank,
        integrator: Integrator::Leapfrog,
        target_accept: user_target_accept.unwrap_or(0.8),
        ..nuts.clone()
    };
    let dim = density.dim();
    let mut reason = None;
    let mut warmup_failure = None;
    let mut pilot = None;
    let outcome = crate::nuts::run(
        density,
        Some(&white),
        &whitened,
        progress,
        &auto.checkpoints,
        |w| {
            let e = Evidence::from_warmup(w, dim, auto.min_e_bfmi);
            report.evidence.push(e);
            pilot = pilot_gaussian(w, dim);
            reason = e.escalation_reason(auto);
            if w.is_complete() && reason.is_none() {
                warmup_failure = e.warmup_failure(auto, w.chains.len());
            }
            if reason.is_some() || warmup_failure.is_some() {
                Decision::Stop
            } else {
                Decision::Continue
            }
        },
    )?;
    if let (Some(why), Outcome::Stopped(w)) = (warmup_failure, &outcome) {
        report.choice = AutoChoice::Whitened;
        let discarded = (w.num_grad_evals(), w.seconds);
        let vi_cost = (num_grad_evals_vi, seconds_vi);
        let out = check::low_rank_instead(
            density,
            auto,
            rerun,
            progress,
            why,
            gaussian_fit,
            report,
            vi_cost,
            discarded,
        )?;
        return Ok((out, None));
    }
    let discarded = match outcome {
        Outcome::Sampled(run) => {
            let num_divergent = run.num_divergent();
            let num_draws = (whitened.num_draws as usize * run.chains.len()).max(1);
            let fraction = num_divergent as f64 / num_draws as f64;
            if fraction <= auto.max_divergent_fraction {
                let out = AutoOutcome::new(
                    run,
                    Some(white),
                    gaussian_fit,
                    report,
                    &whitened,
                    (num_grad_evals_vi, seconds_vi),
                    (0, 0.0),
                );
                return Ok((out, None));
            }
            reason = Some(format!(
                "{num_divergent} of {num_draws} whitened NUTS draws diverged ({:.2}% > {:.1}%)",
                100.0 * fraction,
                100.0 * auto.max_divergent_fraction
            ));
            run.cost()
        }
        Outcome::Stopped(w) => (w.num_grad_evals(), w.seconds),
    };
    report.choice = AutoChoice::Flow;
    report.escalation_reason = reason;
    report.num_grad_evals_discarded = discarded.0;

    // Chains stuck in the pilot (its last evidence: E-BFMI below 0.3 in half the chains): a
    // neck that low-rank NUTS's longer warmup from dispersed starts may leave, and the flow,
    // started from this pilot, may not. At large d, where a flow costs minutes, low-rank NUTS
    // runs first; the flow only if its draws fail.
    let num_chains = whitened.num_chains;
    let stuck = report
        .evidence
        .last()
        .is_some_and(|e| e.warmup_failure(auto, num_chains).is_some());
    let mut tried = None;
    if stuck && dim > auto.max_dim_flow_first {
        let (run, first) = check::low_rank_first(density, auto, rerun, progress, dim)?;
        let passed = first.failure.is_none();
        report.low_rank_first = Some(first);
        if passed {
            report.choice = AutoChoice::LowRank;
            let vi_cost = (num_grad_evals_vi, seconds_vi);
            let out = AutoOutcome::new(run, None, gaussian_fit, report, rerun, vi_cost, discarded);
            return Ok((out, None));
        }
        tried = Some(run);
    }

    // The flow's base: a diagonal Gaussian of where the whitened chains went (wide where a
    // funnel's mouth is; the path's Gaussians can sit in the neck and trap the flow there:
    // funnel d = 100, where the race picks one by ELBO and NeuTra's flow is wrong), else the
    // path's candidates (then raced as in NeuTra).
    let candidates = match pilot {
        Some(g) => vec![g],
        None => gaussians,
    };
    let flow_vi = ViSettings {
        batch_size: auto.flow_batch_size,
        ..vi.clone()
    };
    let fit_start = std::time::Instant::now();
    let tally = Tally::new(density);
    let trained = train_flow(
        &tally,
        &candidates,
        init_report,
        flow_settings,
        &flow_vi,
        seed,
        progress,
        &mut report,
    );
    let (flow, mut fit) = match trained {
        Ok(trained) => trained,
        // A flow that cannot be trained (its draws fall where the density fails, its
        // parameters blow up) leaves a sampler without one, and the terminal says loudly that
        // the evidence called for a flow: the whitened chains, unless the pilot found them
        // stuck (then low-rank NUTS with its full warmup, on the model's own parametrization:
        // at d = 303 on the centered regression the whitened chains sat in the neck, R-hat
        // 3.0, after 1.7 M gradients). The last check judges either.
        Err(e @ (crate::Error::ViDiverged { .. } | crate::Error::NoValidInit { .. })) => {
            report.flow_failure = Some(e.to_string());
            // The failed training's gradients are VI's cost; the pilot's stay discarded.
            num_grad_evals_vi += tally.num_evals();
            seconds_vi += fit_start.elapsed().as_secs_f64();
            if !stuck && tried.is_none() {
                report.choice = AutoChoice::Whitened;
                let run = crate::nuts::sample(density, Some(&white), &whitened, progress)?;
                let out = AutoOutcome::new(
                    run,
                    Some(white),
                    gaussian_fit,
                    report,
                    &whitened,
                    (num_grad_evals_vi, seconds_vi),
                    discarded,
                );
                return Ok((out, None));
            }
            report.choice = AutoChoice::LowRank;
            progress.note(
                crate::progress::Phase::Vi,
                &format!(
                    "auto: the flow could not be trained ({e}); running low-rank NUTS with {} \
                     warmup draws",
                    rerun.num_tune
                ),
            );
            let run = match tried {
                Some(run) => run,
                None => crate::nuts::sample(density, None, rerun, progress)?,
            };
            let vi_cost = (num_grad_evals_vi, seconds_vi);
            let out = AutoOutcome::new(run, None, gaussian_fit, report, rerun, vi_cost, discarded);
            return Ok((out, None));
        }
        Err(e) => return Err(e),
    };
    fit.seconds = fit_start.elapsed().as_secs_f64();
    // The Gaussian's k̂ estimate and the mode probe were spent too (the flow's report counts
    // the Gaussian fit itself).
    num_grad_evals_vi =
        fit.num_grad_evals() + gaussian_fit.num_grad_evals_final + num_grad_evals_probe;
    seconds_vi += fit.seconds;
    let latent = NutsSettings {
        target_accept: user_target_accept.unwrap_or(crate::sample::NEUTRA_TARGET_ACCEPT),
        num_tune: user_tune.unwrap_or(auto.flow_num_tune),
        ..nuts.clone()
    };
    let nuts_run = crate::nuts::sample(density, Some(&flow), &latent, progress)?;
    let vi_cost = (num_grad_evals_vi, seconds_vi);
    let out = AutoOutcome::new(
        nuts_run,
        Some(flow),
        fit,
        report,
        &latent,
        vi_cost,
        discarded,
    );
    Ok((out, tried))
}
