//! The checks of one [`sample_with`](super::sample_with) call: settings, the density's
//! dimension and names, and how a given flow, init and warm start fit together.

use super::{Method, SampleSettings};
use crate::density::LogDensity;
use crate::flow::Flow;

/// Checks the settings, the density's dimension and names, and a given flow; returns the
/// names of the constrained values.
pub(super) fn validate<D: LogDensity + ?Sized>(
    density: &D,
    settings: &SampleSettings,
    flow: Option<&Flow>,
) -> Result<Vec<String>, crate::Error> {
    settings.validate()?;
    let d = density.dim();
    if d == 0 {
        return Err(crate::Error::settings(
            "density.dim()",
            "must be at least 1",
        ));
    }
    let names = density.param_names();
    if names.is_empty() {
        return Err(crate::Error::settings(
            "density.param_names()",
            "must name at least one value",
        ));
    }
    crate::preflight::check_sizes(
        settings.num_chains,
        settings.tune(),
        settings.num_draws,
        names.len(),
    )?;
    if settings.preflight {
        crate::preflight::preflight(density)?;
    }
    if let Some(init) = &settings.init {
        if flow.is_some() {
            return Err(crate::Error::settings(
                "init",
                "has no effect with a trained flow given: there is no fit to start, and the chains start from the flow's draws",
            ));
        }
        crate::init::Initializer::new(density, init)?;
    }
    if let Some(warm) = &settings.warm_start {
        if settings.method == Method::Multimodal {
            return Err(crate::Error::settings(
                "warm_start",
                "the multimodal method has no NUTS adaptation to continue",
            ));
        }
        if settings.init.is_some() {
            return Err(crate::Error::settings(
                "init",
                "a warm start's chains start where the earlier run's chains ended; give no initial values",
            ));
        }
        if settings.method != Method::Nuts && (flow.is_none() || settings.refit_flow) {
            return Err(crate::Error::settings(
                "warm_start",
                "continues NUTS in the earlier run's coordinates: give that run's flow (unchanged, not refitted), or use method nuts for a run without a flow",
            ));
        }
        warm.validate(d)?;
    }
    if settings.refit_flow && flow.is_none() {
        return Err(crate::Error::settings(
            "refit_flow",
            "needs a flow to continue fitting",
        ));
    }
    if let Some(f) = flow {
        if matches!(settings.method, Method::Nuts | Method::Multimodal) {
            return Err(crate::Error::settings(
                "flow",
                "a flow can only be used with method neutra or auto",
            ));
        }
        if f.dim() != d {
            return Err(crate::Error::DimensionMismatch {
                what: "flow dimension vs density dimension",
                expected: d,
                got: f.dim(),
            });
        }
    }
    Ok(names)
}
