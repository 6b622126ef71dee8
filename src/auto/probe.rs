//! The mode probe: does the posterior have modes NUTS cannot move between?
//!
//! auto's chains all start from one Gaussian fit, so on a posterior with separated modes they
//! sit in the mode the fit found, and R-hat, which needs chains started apart to see a second
//! mode, reads 1.00 (slcp's neural-likelihood posterior: four sign modes, every draw in one);
//! chains that do land in different modes stay there and weigh the modes by where they
//! started. Stan and nutpie start their chains uniformly in [−2, 2]^d so that R-hat can see
//! it. The probe looks directly, right after the Gaussian fit: L-BFGS runs from
//! [`AutoSettings::mode_probe_starts`] random points uniform in [−2, 2]^d (the multimodal
//! search's first starts, same random streams): [`AutoSettings::mode_probe_own_iters`]
//! iterations in the model's own coordinates, then at most
//! [`AutoSettings::mode_probe_max_iters`] in the coordinates of the Gaussian fit
//! ([`FitCoords`]: x = m + L z; diamonds costs 1.2k gradients there against 19k in its own),
//! and each end is judged. The first iterations decide the basin, and in the fit's coordinates,
//! preconditioned by the fit's mode, that mode's basin is wider: on two_moons' NLE posterior
//! (observation 3) 7 of 8 starts ended at the fit's moon and none at the other, where a few
//! iterations in the model's own coordinates first send half the starts to each.
//!
//! 1. **In the fit's mode?** An end within [`NEAR`] of z = 0 (the fit's mean) is. No more
//!    gradients.
//! 2. **Behind a valley?** Any other end continues L-BFGS for up to 1000 iterations and is
//!    judged again; then log p is evaluated at 15 points on the straight line from the fit's
//!    mean to it. Unless it dips at least [`MIN_BARRIER`] nats below the lower end, the end is
//!    a tail of the same mode (the non-centered eight schools have an optimum at τ ≈ 29, past
//!    99% of the draws, with no dip on the way: −0.7 to −0.9 nats; sign_flip's mirror mode is
//!    11 nats down, mixture2's 6.4, mixture4's 14 in d = 20).
//! 3. **A mode that matters?** It gets its Laplace Gaussian (2d gradients,
//!    [`crate::multimodal::modes`]); it must be a converged optimum (remaining Newton step
//!    < 0.1 of its sds) whose Laplace sds are not vanishingly small against the fit's
//!    (geometric mean ≥ [`MIN_SCALE`]: a funnel's neck, where the density grows without
//!    bound, has 1e-8 and is a *spike*); its mass is importance-sampled (64 draws) from the
//!    component the multimodal sampler would give it (the t with the Laplace curvature and
//!    measured ν, or the Laplace Gaussian), and when the weights are reliable (ESS ≥
//!    [`MIN_MASS_ESS`]) it must be at least [`AutoSettings::min_mode_mass_ratio`] of exp(ELBO)
//!    of the fit, a lower bound on the mass of the fit's mode. Unreliable weights (a rough
//!    surface: slcp's neural likelihood, ESS 1–3) leave the mode counted.
//!
//! Ends that pass all three are separated modes ([`ModeProbe::separated`]); auto then runs
//! the multimodal sampler ([`crate::multimodal`]) instead of NUTS, except in a run split across
//! machines (`first_chain` > 0) or started from the user's values, where the finding is a
//! warning. A mode whose basin holds a fraction f of the starts is missed with probability
//! (1 − f)^n by n starts.

use super::AutoSettings;
use super::fit_coords::FitCoords;
use crate::density::{Counted, LogDensity};
use crate::flow::GaussianFit;
use crate::multimodal::ModeSearchSettings;
use crate::multimodal::mixture::Component;
use crate::multimodal::modes::{component_for, laplace_at, log_mass_ratios, log_mean_exp};
use crate::rng::seeded;
use crate::vi::init::{lbfgs_path_to, random_start};
use rayon::prelude::*;

/// An end within this distance of the Gaussian fit's mean, in its coordinates (fit sds), is
/// in the fit's mode.
pub const NEAR: f64 = 3.0;

/// An optimum is separated from the fit's mode when log p dips at least this far (nats)
/// between them.
pub const MIN_BARRIER: f64 = 2.0;

/// A separated optimum whose Laplace sds are, in geometric mean, below this fraction of the
/// Gaussian fit's is a spike (a neck), not a mode.
pub const MIN_SCALE: f64 = 1e-3;

/// A separated optimum's mass estimate is trusted (and a negligible one dropped) only when the
/// importance weights of its 64 draws have at least this effective sample size.
pub const MIN_MASS_ESS: f64 = 16.0;

/// Points evaluated on that line, ends excluded.
const NUM_BARRIER_POINTS: usize = 15;

/// The probe's L-BFGS stops at this gradient norm (in the fit's coordinates: the optimum to
/// ~1e-6 of a standard deviation where the fit's scale is right).
const TOLERANCE_GRAD: f64 = 1e-6;

/// What the mode probe found: L-BFGS from random starts in the Gaussian fit's coordinates, each
/// end judged for a valley of at least [`MIN_BARRIER`] nats from the fit's mean, a Laplace scale
/// of at least [`MIN_SCALE`] of the fit's, and a mass of at least
/// [`AutoSettings::min_mode_mass_ratio`] of exp(ELBO) when it can be estimated
/// ([`MIN_MASS_ESS`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeProbe {
    /// L-BFGS starts.
    pub num_starts: usize,
    /// Ends in the Gaussian fit's mode (within [`NEAR`] of its mean).
    pub num_at_fit: usize,
    /// Other ends with no valley between them and the fit's mean (a tail of its mode).
    pub num_connected: usize,
    /// Ends that are no converged optimum, or starts that found no valid point.
    pub num_not_optima: usize,
    /// Separated optima whose Laplace sds are below [`MIN_SCALE`] of the fit's (geometric
    /// mean): a funnel's neck, where the density grows without bound (log p 126–169 at
    /// τ ≈ 1e-9 in the centered eight schools, sds 1e-8 of the fit's).
    pub num_spikes: usize,
    /// Separated optima whose mass is below the threshold.
    pub num_negligible: usize,
    /// Separated optima with mass enough to matter, heaviest first.
    pub separated: Vec<SeparatedMode>,
    /// Gradient evaluations (L-BFGS, the lines, the Laplace Hessians and masses).
    pub num_grad_evals: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// An optimum behind a valley from the Gaussian fit's mode, with mass enough to matter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeparatedMode {
    /// Where it is (constrained values, the draws' parameters).
    pub values: Vec<f64>,
    /// log p there (unconstrained, Jacobian included, as the draws' `lp__`).
    pub log_density: f64,
    /// log of its mass (importance-sampled from the multimodal sampler's component for it)
    /// over exp(ELBO) of the fit.
    pub log_mass_ratio: f64,
    /// Whether that estimate can be trusted (weights' ESS ≥ [`MIN_MASS_ESS`]); when not (a
    /// rough surface, as a neural likelihood's), the mode counts whatever its estimate.
    #[serde(default)]
    pub mass_reliable: bool,
    /// How far log p dips below the lower end on the straight line from the fit's mean to it
    /// (≥ [`MIN_BARRIER`]).
    pub barrier: f64,
    /// Starts that ended there.
    pub num_starts: usize,
}

impl ModeProbe {
    /// One line for the terminal and the warning (`None`: no separated mode).
    pub fn describe_separated(&self) -> Option<String> {
        let first = self.separated.first()?;
        Some(format!(
            "{} of {} random L-BFGS starts ended at {} optimum{} behind a valley from the mode \
             the Gaussian fit found (the heaviest: a valley of {:.1} nats, mass {:.2}× the fit's \
             ELBO bound)",
            self.separated.iter().map(|u| u.num_starts).sum::<usize>(),
            self.num_starts,
            self.separated.len(),
            if self.separated.len() == 1 { "" } else { "s" },
            first.barrier,
            first.log_mass_ratio.exp()
        ))
    }
}

/// Runs the probe against the Gaussian fit `fit` and its `elbo` ([module docs](self)); `None`
/// when it is switched off (`mode_probe_starts` 0) or the dimension exceeds
/// [`AutoSettings::max_dim_mode_probe`].
pub(crate) fn mode_probe<D: LogDensity + ?Sized>(
    density: &D,
    fit: &GaussianFit,
    elbo: f64,
    settings: &AutoSettings,
    seed: u64,
) -> Result<Option<ModeProbe>, crate::Error> {
    let d = density.dim();
    if settings.mode_probe_starts == 0 || d > settings.max_dim_mode_probe {
        return Ok(None);
    }
    let start = std::time::Instant::now();
    let search = ModeSearchSettings::default();
    let coords = FitCoords::new(density, fit);
    let counted_x = Counted::new(density);
    let counted = Counted::new(&coords);
    let (num_starts, own_iters) = (settings.mode_probe_starts, settings.mode_probe_own_iters);
    let ends: Vec<_> = (0..num_starts)
        .into_par_iter()
        .map(|i| -> Result<_, crate::Error> {
            let mut rng = seeded(seed, crate::rng::streams::MULTIMODAL_START.id(i as u64));
            let mut x0 = match random_start(&counted_x, search.init_radius, None, &mut rng) {
                Ok(x) => x,
                Err(crate::Error::NoValidInit { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            // A few iterations in the model's own coordinates pick the basin
            // ([module docs](self)).
            if own_iters > 0
                && let Some((x, _, _)) = lbfgs_path_to(&counted_x, &x0, own_iters, TOLERANCE_GRAD)?
                    .into_iter()
                    .last()
            {
                x0 = x;
            }
            let Some(z0) = coords.to_z(&x0) else {
                return Ok(None);
            };
            Ok(
                lbfgs_path_to(&counted, &z0, settings.mode_probe_max_iters, TOLERANCE_GRAD)?
                    .into_iter()
                    .last(),
            )
        })
        .collect::<Result<_, _>>()?;
    let mut probe = ModeProbe {
        num_starts,
        num_at_fit: 0,
        num_connected: 0,
        num_not_optima: 0,
        num_spikes: 0,
        num_negligible: 0,
        separated: Vec::new(),
        num_grad_evals: 0,
        seconds: 0.0,
    };
    let near = |z: &[f64]| z.iter().map(|v| v * v).sum::<f64>() < NEAR * NEAR;
    let mut kept: Vec<(Component, SeparatedMode)> = Vec::new();
    for (i, end) in ends.into_iter().enumerate() {
        let Some((mut z, mut neg_lp, mut grad)) = end else {
            probe.num_not_optima += 1;
            continue;
        };
        if near(&z) {
            probe.num_at_fit += 1;
            continue;
        }
        if let Some(last) = lbfgs_path_to(&counted, &z, search.max_lbfgs_iters, TOLERANCE_GRAD)?
            .into_iter()
            .last()
        {
            (z, neg_lp, grad) = last;
        }
        if near(&z) {
            probe.num_at_fit += 1;
            continue;
        }
        let barrier = barrier(&counted, &z, -neg_lp)?;
        if !(barrier >= MIN_BARRIER) {
            probe.num_connected += 1;
            continue;
        }
        let Ok((laplace, log_density)) = laplace_at(&counted, &z, neg_lp, &grad, true, i)? else {
            probe.num_not_optima += 1;
            continue;
        };
        let same = kept.iter().position(|(g, _)| {
            let z2: f64 = g.whiten(&z).iter().map(|v| v * v).sum();
            let z2_back: f64 = laplace.whiten(&g.loc).iter().map(|v| v * v).sum();
            z2.min(z2_back) < 1.0
        });
        if let Some(k) = same {
            kept[k].1.num_starts += 1;
            continue;
        }
        // A neck's Laplace Gaussian is vanishingly narrow in the fit's coordinates (funnel:
        // sds 1.6e-9 of the fit's; slcp's NLE modes: 0.02-1.8).
        let log_scale = (0..d).map(|k| laplace.chol[(k, k)].abs().ln()).sum::<f64>() / d as f64;
        if !(log_scale >= MIN_SCALE.ln()) {
            probe.num_spikes += 1;
            continue;
        }
        let component = component_for(&counted, &laplace, log_density, seed, i)?;
        let ratios = log_mass_ratios(&counted, &component, search.num_mass_draws, seed, i)?;
        let (log_mean, ess) = mean_and_ess(&ratios);
        let log_mass_ratio = log_mean + coords.log_det() - elbo;
        let mass_reliable = ess >= MIN_MASS_ESS;
        if mass_reliable
            && elbo.is_finite()
            && !(log_mass_ratio >= settings.min_mode_mass_ratio.ln())
        {
            probe.num_negligible += 1;
            continue;
        }
        kept.push((
            laplace,
            SeparatedMode {
                values: constrained(density, &coords.to_x(&z)),
                log_density,
                log_mass_ratio,
                mass_reliable,
                barrier,
                num_starts: 1,
            },
        ));
    }
    probe.separated = kept.into_iter().map(|(_, m)| m).collect();
    probe
        .separated
        .sort_by(|a, b| b.log_mass_ratio.total_cmp(&a.log_mass_ratio));
    probe.num_grad_evals = counted.num_evals() + counted_x.num_evals();
    probe.seconds = start.elapsed().as_secs_f64();
    Ok(Some(probe))
}

/// The model's parameters (the first [`LogDensity::num_parameters`] reported values) at `x`.
fn constrained<D: LogDensity + ?Sized>(density: &D, x: &[f64]) -> Vec<f64> {
    let p = density.num_parameters();
    let mut values = vec![0.0; density.param_names().len().max(p)];
    density.constrain(x, &mut values);
    values.truncate(p);
    values
}

/// How far log p dips below the lower of its two ends on the segment from z = 0 (the Gaussian
/// fit's mean) to `z` (log p = `lp_end`), over [`NUM_BARRIER_POINTS`] evenly spaced points; a
/// point where the density fails recoverably counts as an infinite dip, a fatal failure is an
/// error.
fn barrier<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    z: &[f64],
    lp_end: f64,
) -> Result<f64, crate::Error> {
    let mut grad = vec![0.0; z.len()];
    let mut at = |t: f64| {
        let point: Vec<f64> = z.iter().map(|v| t * v).collect();
        match counted.eval(&point, &mut grad) {
            Ok(lp) => Ok(lp),
            Err(e) if e.is_recoverable() => Ok(f64::NEG_INFINITY),
            Err(e) => Err(crate::Error::Density {
                context: "mode probe".into(),
                source: e,
            }),
        }
    };
    let lp_center = at(0.0)?;
    let mut lowest = f64::INFINITY;
    for k in 1..=NUM_BARRIER_POINTS {
        lowest = lowest.min(at(k as f64 / (NUM_BARRIER_POINTS + 1) as f64)?);
    }
    Ok(lp_end.min(lp_center) - lowest)
}

/// log of the mean of exp(`log_ratios`) and the effective sample size of the normalized
/// weights, 1 / Σ w² (−∞ and 0 when every ratio is −∞).
fn mean_and_ess(log_ratios: &[f64]) -> (f64, f64) {
    let hi = log_ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !hi.is_finite() {
        return (f64::NEG_INFINITY, 0.0);
    }
    let w: Vec<f64> = log_ratios.iter().map(|r| (r - hi).exp()).collect();
    let sum: f64 = w.iter().sum();
    let sum_sq: f64 = w.iter().map(|x| x * x).sum();
    (log_mean_exp(log_ratios), sum * sum / sum_sq)
}
