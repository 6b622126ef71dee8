//! The phases of each method, as [`sample_with`](super::sample_with) runs them: what comes
//! before NUTS (auto's Gaussian fit and pilot, NeuTra's variational fit, the multimodal mode
//! search), then NUTS ([`nuts::sample`](crate::nuts::sample)); each returns plain [`Phases`]
//! for the caller to assemble into a [`Run`](super::Run).

use super::settings::{MULTIMODAL_TUNE, NEUTRA_TARGET_ACCEPT, NEUTRA_TUNE, WARM_TUNE};
use super::{CostReport, Method, SampleSettings};
use crate::auto::{AutoReport, AutoRun};
use crate::density::LogDensity;
use crate::flow::Flow;
use crate::multimodal::MultimodalReport;
use crate::nuts::{Metric, NutsRun, NutsSettings};
use crate::progress::Progress;
use crate::vi::{ViReport, ViSettings, fit_default};

/// What one method's phases produced.
pub(super) struct Phases {
    pub method: Method,
    pub flow: Option<Flow>,
    pub vi: Option<ViReport>,
    /// The NUTS run whose draws are kept.
    pub nuts: NutsRun,
    /// What that run used: warmup draws per chain, target acceptance, metric.
    pub used: (u64, f64, Metric),
    pub auto: Option<AutoReport>,
    pub multimodal: Option<MultimodalReport>,
    /// The cost before the kept NUTS run: the variational fit or mode search (`vi`), auto's
    /// discarded pilot (`warmup`).
    pub cost: CostReport,
}

impl Phases {
    fn of(method: Method, nuts: NutsRun, settings: &NutsSettings) -> Phases {
        Phases {
            method,
            flow: None,
            vi: None,
            nuts,
            used: (settings.num_tune, settings.target_accept, settings.metric),
            auto: None,
            multimodal: None,
            cost: CostReport::default(),
        }
    }
}

/// Plain NUTS.
pub(super) fn nuts<D: LogDensity + ?Sized>(
    density: &D,
    nuts: &NutsSettings,
    progress: &dyn Progress,
) -> Result<Phases, crate::Error> {
    let run = crate::nuts::sample(density, None, nuts, progress)?;
    Ok(Phases::of(Method::Nuts, run, nuts))
}

/// auto: the Gaussian fit, the whitened pilot, and a flow when the evidence calls for one;
/// the multimodal sampler instead when the mode probe after the fit finds separated modes.
pub(super) fn auto<D: LogDensity + ?Sized>(
    density: &D,
    settings: &SampleSettings,
    vi: &ViSettings,
    nuts: &NutsSettings,
    progress: &dyn Progress,
) -> Result<Phases, crate::Error> {
    let out = crate::auto::run(
        density,
        &settings.auto,
        vi,
        &settings.flow,
        nuts,
        settings.num_tune,
        settings.target_accept,
        progress,
    )?;
    let out = match out {
        AutoRun::Sampled(out) => *out,
        AutoRun::Multimodal { report, vi_cost } => {
            let mut phases = multimodal(density, settings, progress)?;
            phases.method = Method::Auto;
            phases.auto = Some(*report);
            phases.cost.num_grad_evals.vi += vi_cost.0;
            phases.cost.seconds.vi += vi_cost.1;
            return Ok(phases);
        }
    };
    let mut cost = CostReport::default();
    cost.num_grad_evals.vi = out.num_grad_evals_vi;
    cost.seconds.vi = out.seconds_vi;
    cost.num_grad_evals.warmup = out.discarded.0;
    cost.seconds.warmup = out.discarded.1;
    Ok(Phases {
        method: Method::Auto,
        flow: out.flow,
        vi: Some(out.vi),
        nuts: out.nuts,
        used: (out.num_tune, out.target_accept, out.metric),
        auto: Some(out.report),
        multimodal: None,
        cost,
    })
}

/// The multimodal method: the mode search, then HMC with jumps between the modes.
pub(super) fn multimodal<D: LogDensity + ?Sized>(
    density: &D,
    settings: &SampleSettings,
    progress: &dyn Progress,
) -> Result<Phases, crate::Error> {
    let chains = crate::multimodal::ChainSettings {
        num_chains: settings.num_chains,
        num_tune: settings.num_tune.unwrap_or(MULTIMODAL_TUNE),
        num_draws: settings.num_draws,
        seed: settings.seed,
        target_accept: settings.target_accept(),
    };
    let out = crate::multimodal::run(density, &settings.multimodal, &chains, progress)?;
    let mut cost = CostReport::default();
    cost.num_grad_evals.vi = out.report.num_grad_evals_search;
    cost.seconds.vi = out.seconds_search;
    Ok(Phases {
        method: Method::Multimodal,
        flow: None,
        vi: None,
        nuts: out.run,
        used: (chains.num_tune, chains.target_accept, Metric::Diag),
        auto: None,
        multimodal: Some(out.report),
        cost,
    })
}

/// NeuTra, or auto with a trained flow given: the flow (fitted, refitted or as given), then
/// NUTS in its latent space.
pub(super) fn neutra<D: LogDensity + ?Sized>(
    density: &D,
    settings: &SampleSettings,
    method: Method,
    given: Option<Flow>,
    vi_settings: &ViSettings,
    nuts: NutsSettings,
    progress: &dyn Progress,
) -> Result<Phases, crate::Error> {
    let nuts = NutsSettings {
        num_tune: settings
            .num_tune
            .unwrap_or(if settings.warm_start.is_some() {
                WARM_TUNE
            } else {
                NEUTRA_TUNE
            }),
        target_accept: settings.target_accept.unwrap_or(NEUTRA_TARGET_ACCEPT),
        ..nuts
    };
    let (flow, vi) = match given {
        Some(mut f) if settings.refit_flow => {
            let refit = vi_settings.for_refit();
            let report = crate::vi::fit(density, &mut f, &refit, settings.seed, progress)?;
            (f, Some(report))
        }
        Some(f) => (f, None),
        None => {
            let (f, report) = fit_default(
                density,
                &settings.flow,
                vi_settings,
                settings.seed,
                progress,
            )?;
            (f, Some(report))
        }
    };
    let run = crate::nuts::sample(density, Some(&flow), &nuts, progress)?;
    let mut phases = Phases::of(method, run, &nuts);
    if let Some(report) = &vi {
        phases.cost.num_grad_evals.vi = report.num_grad_evals();
        phases.cost.seconds.vi = report.seconds;
    }
    phases.flow = Some(flow);
    phases.vi = vi;
    Ok(phases)
}
