//! `--method auto`: the cheapest sampler that is correct for *this* posterior, decided from
//! evidence the run gathers anyway.
//!
//! 1. **Gaussian fit** ([`vi::init`](crate::vi::init), Pathfinder-like: L-BFGS path, Hessian
//!    candidates, the best by ELBO) and its Pareto k̂ on fresh draws.
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
//!
//! Every gradient is counted, the wasted pilot included, and the decision with its evidence is
//! part of the [`Run`](crate::Run) ([`AutoReport`]).
mod flow_path;
mod pilot;
mod report;

pub use pilot::pilot_gaussian;
pub use report::{AutoChoice, AutoReport, Evidence};

use crate::density::LogDensity;
use crate::flow::{Flow, FlowSettings};
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
    pub flow: Flow,
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
    /// The outcome of the whitened path: NUTS `run` with `settings` on the target whitened by
    /// `flow`, the Gaussian fit `vi` and its cost `(gradients, seconds)`.
    fn whitened(
        run: NutsRun,
        flow: Flow,
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
) -> Result<AutoOutcome, crate::Error> {
    auto.validate()?;
    let seed = nuts.seed;
    let start = std::time::Instant::now();
    let (gaussians, init_report) = crate::vi::init::gaussian_fit(density, &vi.init, seed)?;
    let mut white = whitening_flow(&gaussians[0], seed);
    let gaussian_fit = gaussian_vi_report(density, &mut white, vi, &init_report, seed, progress)?;
    let mut seconds_vi = start.elapsed().as_secs_f64();
    let mut num_grad_evals_vi = gaussian_fit.num_grad_evals();
    let mut report = AutoReport {
        choice: AutoChoice::Whitened,
        escalation_reason: None,
        max_fisher_per_dim: auto.max_fisher_per_dim,
        gaussian_pareto_k: gaussian_fit.pareto_k,
        evidence: Vec::new(),
        num_grad_evals_discarded: 0,
        num_refits: 0,
        flow_failure: None,
    };

    let whitened = NutsSettings {
        num_tune: user_tune.unwrap_or(auto.num_tune),
        metric: Metric::LowRank,
        integrator: Integrator::Leapfrog,
        target_accept: user_target_accept.unwrap_or(0.8),
        ..nuts.clone()
    };
    let dim = density.dim();
    let mut reason = None;
    let mut pilot = None;
    let outcome = crate::nuts::run(
        density,
        Some(&white),
        &whitened,
        progress,
        &auto.checkpoints,
        |w| {
            let e = Evidence::from_warmup(w, dim);
            report.evidence.push(e);
            pilot = pilot_gaussian(w, dim);
            reason = e.escalation_reason(auto);
            if reason.is_some() {
                Decision::Stop
            } else {
                Decision::Continue
            }
        },
    )?;
    let discarded = match outcome {
        Outcome::Sampled(run) => {
            let num_divergent: usize = run
                .chains
                .iter()
                .map(|c| c.stats.iter().filter(|s| s.divergent).count())
                .sum();
            let num_draws = (whitened.num_draws as usize * run.chains.len()).max(1);
            let fraction = num_divergent as f64 / num_draws as f64;
            if fraction <= auto.max_divergent_fraction {
                return Ok(AutoOutcome::whitened(
                    run,
                    white,
                    gaussian_fit,
                    report,
                    &whitened,
                    (num_grad_evals_vi, seconds_vi),
                    (0, 0.0),
                ));
            }
            reason = Some(format!(
                "{num_divergent} of {num_draws} whitened NUTS draws diverged ({:.2}% > {:.1}%)",
                100.0 * fraction,
                100.0 * auto.max_divergent_fraction
            ));
            (
                run.num_grad_evals_warmup + run.num_grad_evals_sampling,
                run.seconds_warmup + run.seconds_sampling,
            )
        }
        Outcome::Stopped(w) => (w.num_grad_evals(), w.seconds),
    };
    report.choice = AutoChoice::Flow;
    report.escalation_reason = reason;
    report.num_grad_evals_discarded = discarded.0;

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
        // parameters blow up) leaves whitened NUTS: run it to the end, and say loudly that
        // the evidence called for a flow.
        Err(e @ (crate::Error::ViDiverged { .. } | crate::Error::NoValidInit { .. })) => {
            report.flow_failure = Some(e.to_string());
            report.choice = AutoChoice::Whitened;
            // The failed training's gradients are VI's cost; the pilot's stay discarded.
            num_grad_evals_vi += tally.num_evals();
            seconds_vi += fit_start.elapsed().as_secs_f64();
            let run = crate::nuts::sample(density, Some(&white), &whitened, progress)?;
            return Ok(AutoOutcome::whitened(
                run,
                white,
                gaussian_fit,
                report,
                &whitened,
                (num_grad_evals_vi, seconds_vi),
                discarded,
            ));
        }
        Err(e) => return Err(e),
    };
    fit.seconds = fit_start.elapsed().as_secs_f64();
    // The Gaussian's k̂ estimate was spent too.
    num_grad_evals_vi = fit.num_grad_evals() + gaussian_fit.num_grad_evals_final;
    seconds_vi += fit.seconds;
    let latent = NutsSettings {
        target_accept: user_target_accept.unwrap_or(crate::sample::NEUTRA_TARGET_ACCEPT),
        num_tune: user_tune.unwrap_or(auto.flow_num_tune),
        ..nuts.clone()
    };
    let nuts_run = crate::nuts::sample(density, Some(&flow), &latent, progress)?;
    Ok(AutoOutcome {
        nuts: nuts_run,
        flow,
        vi: fit,
        report,
        num_tune: latent.num_tune,
        target_accept: latent.target_accept,
        metric: latent.metric,
        num_grad_evals_vi,
        seconds_vi,
        discarded,
    })
}
