//! The mode probe: does the posterior have modes the chains cannot move between?
//!
//! auto's chains all start from one Gaussian fit, so on a posterior with separated modes they
//! sit in the mode the fit found, and R-hat, which needs chains started apart to see a second
//! mode, reads 1.00 (slcp's neural-likelihood posterior: four sign modes, every draw in one).
//! Stan and nutpie start their chains uniformly in [−2, 2]^d for that reason. The probe gives
//! auto the same power without moving its chains: after sampling, L-BFGS runs from
//! [`AutoSettings::mode_probe_starts`] random points uniform in [−2, 2]^d (the multimodal
//! search's first starts, same random streams) for at most
//! [`AutoSettings::mode_probe_max_iters`] iterations, in the coordinates of the Gaussian fit
//! ([`FitCoords`]: x = m + L z), and each end is judged.
//!
//! 1. **At the fit's mode?** An end within [`NEAR`] of z = 0 (the fit's mean, in the chains'
//!    mode) is. No more gradients.
//! 2. **Behind a valley?** Any other end continues L-BFGS for up to 1000 iterations and is
//!    judged again; then log p is evaluated at 15 points on the straight line from the fit's
//!    mean to it. Unless it dips at least [`MIN_BARRIER`] nats below the lower end, the end is
//!    a tail of the same mode (the non-centered eight schools have an optimum at τ ≈ 29, past
//!    99% of the draws, with no dip on the way: −0.7 to −0.9 nats; sign_flip's mirror mode is
//!    11 nats down, mixture2's 6.4, mixture4's 14 in d = 20).
//! 3. **A mode that matters?** It gets its Laplace Gaussian (2d gradients,
//!    [`crate::multimodal::modes`]); it must be a converged optimum (remaining Newton step
//!    < 0.1 of its sds), and its mass, importance-sampled from the Laplace Gaussian (64 draws),
//!    must be at least [`AutoSettings::min_mode_mass_ratio`] of exp(ELBO) of the run's fit, a
//!    lower bound on the mass of the fit's mode. A funnel's neck is an optimum behind a valley
//!    on a straight line, but a spike of tiny volume.
//!
//! Ends that pass all three are separated modes ([`ModeProbe::separated`]), whether the
//! chains visited them or not ([`SeparatedMode::visited`]: chains stuck in different modes
//! weigh them by where they started). auto then sets its draws aside and runs the multimodal
//! sampler ([`crate::multimodal`]), except in a run split across machines (`first_chain` > 0)
//! or started from the user's values, where the finding is a warning. A mode whose basin
//! holds a fraction f of the starts is missed with probability (1 − f)^n by n starts.

use super::AutoSettings;
use super::fit_coords::FitCoords;
use crate::density::{Counted, LogDensity};
use crate::flow::GaussianFit;
use crate::multimodal::ModeSearchSettings;
use crate::multimodal::mixture::Component;
use crate::multimodal::modes::{laplace_at, log_mass};
use crate::nuts::NutsRun;
use crate::rng::seeded;
use crate::vi::init::{lbfgs_path_to, random_start};
use rayon::prelude::*;

/// An end within this distance of the Gaussian fit's mean, in its coordinates (fit sds), is
/// in the fit's mode.
pub const NEAR: f64 = 3.0;

/// An optimum is separated from the fit's mode when log p dips at least this far (nats)
/// between them.
pub const MIN_BARRIER: f64 = 2.0;

/// Points evaluated on that line, ends excluded.
const NUM_BARRIER_POINTS: usize = 15;

/// The probe's L-BFGS stops at this gradient norm (in the fit's coordinates: the optimum to
/// ~1e-6 of a standard deviation where the fit's scale is right).
const TOLERANCE_GRAD: f64 = 1e-6;

/// A mode counts as visited when it lies less than this many times farther from the draws'
/// mean than 99% of the draws reach in its direction.
pub const MAX_VISITED: f64 = 1.5;

/// What the mode probe found ([module docs](self)).
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
    /// log of its mass (importance-sampled from its Laplace Gaussian) over exp(ELBO) of the
    /// run's fit.
    pub log_mass_ratio: f64,
    /// How far log p dips below the lower end on the straight line from the fit's mean to it
    /// (≥ [`MIN_BARRIER`]).
    pub barrier: f64,
    /// Its distance from the draws' mean over the distance 99% of the draws stay within in
    /// that direction.
    pub beyond: f64,
    /// Whether the chains reached it (`beyond` < [`MAX_VISITED`]).
    pub visited: bool,
    /// Starts that ended there.
    pub num_starts: usize,
}

impl ModeProbe {
    /// One line for the terminal and the warning (`None`: no separated mode).
    pub fn describe_separated(&self) -> Option<String> {
        let first = self.separated.first()?;
        let num_unvisited = self.separated.iter().filter(|m| !m.visited).count();
        Some(format!(
            "{} of {} random L-BFGS starts ended at {} optimum{} behind a valley from the mode \
             the Gaussian fit found ({} never reached by the chains; the heaviest: a valley of \
             {:.1} nats, mass {:.2}× the fit's mode's lower bound)",
            self.separated.iter().map(|u| u.num_starts).sum::<usize>(),
            self.num_starts,
            self.separated.len(),
            if self.separated.len() == 1 { "" } else { "s" },
            num_unvisited,
            first.barrier,
            first.log_mass_ratio.exp()
        ))
    }
}

/// The draws' per-parameter mean and sd (0 where constant), and the parameters' values, draw
/// by draw.
struct Cloud<'a> {
    mean: Vec<f64>,
    sd: Vec<f64>,
    draws: Vec<&'a [f64]>,
}

impl<'a> Cloud<'a> {
    /// The first `p` values of each draw of `run`.
    fn new(run: &'a NutsRun, p: usize) -> Cloud<'a> {
        let width = run.chains.first().map_or(p, |c| {
            let n = c.stats.len().max(1);
            (c.values.len() / n).max(p)
        });
        let draws: Vec<&[f64]> = run
            .chains
            .iter()
            .flat_map(|c| c.values.chunks(width))
            .filter(|v| v.len() == width)
            .map(|v| &v[..p])
            .filter(|v| v.iter().all(|x| x.is_finite()))
            .collect();
        let n = draws.len().max(1) as f64;
        let mean: Vec<f64> = (0..p)
            .map(|i| draws.iter().map(|v| v[i]).sum::<f64>() / n)
            .collect();
        let sd = (0..p)
            .map(|i| {
                let ss: f64 = draws.iter().map(|v| (v[i] - mean[i]).powi(2)).sum();
                (ss / (n - 1.0).max(1.0)).sqrt()
            })
            .collect();
        Cloud { mean, sd, draws }
    }

    /// How far `v` lies from the mean over the distance 99% of the draws stay within in its
    /// direction (whitened by the sds; constant parameters are left out).
    fn beyond(&self, v: &[f64]) -> f64 {
        let scaled = |x: &[f64], i: usize| {
            if self.sd[i] > 0.0 {
                (x[i] - self.mean[i]) / self.sd[i]
            } else {
                0.0
            }
        };
        let u: Vec<f64> = (0..v.len()).map(|i| scaled(v, i)).collect();
        let t = u.iter().map(|x| x * x).sum::<f64>().sqrt();
        if !(t > 0.0) {
            return if t == 0.0 { 0.0 } else { f64::INFINITY };
        }
        let mut along: Vec<f64> = self
            .draws
            .iter()
            .map(|x| (0..v.len()).map(|i| u[i] * scaled(x, i)).sum::<f64>() / t)
            .collect();
        if along.is_empty() {
            return f64::INFINITY;
        }
        along.sort_by(f64::total_cmp);
        let reach = along[((along.len() - 1) as f64 * 0.99).round() as usize];
        if reach > 0.0 {
            t / reach
        } else {
            f64::INFINITY
        }
    }
}

/// Runs the probe on the draws of `run` against the fit's `elbo` ([module docs](self)), its
/// L-BFGS in the coordinates of the Gaussian fit `fit`; `None` when it is switched off
/// (`mode_probe_starts` 0) or the dimension exceeds [`AutoSettings::max_dim_mode_probe`].
pub(crate) fn mode_probe<D: LogDensity + ?Sized>(
    density: &D,
    fit: &GaussianFit,
    run: &NutsRun,
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
    let ends: Vec<_> = (0..settings.mode_probe_starts)
        .into_par_iter()
        .map(|i| -> Result<_, crate::Error> {
            let mut rng = seeded(seed, crate::rng::streams::MULTIMODAL_START.id(i as u64));
            let x0 = match random_start(&counted_x, search.init_radius, None, &mut rng) {
                Ok(x) => x,
                Err(crate::Error::NoValidInit { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
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
        num_starts: settings.mode_probe_starts,
        num_at_fit: 0,
        num_connected: 0,
        num_not_optima: 0,
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
        let barrier = barrier(&counted, &z, -neg_lp);
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
        let mass = log_mass(&counted, &laplace, search.num_mass_draws, seed, i)? + coords.log_det();
        let log_mass_ratio = mass - elbo;
        if !(log_mass_ratio >= settings.min_mode_mass_ratio.ln()) && elbo.is_finite() {
            probe.num_negligible += 1;
            continue;
        }
        let values = constrained(density, &coords.to_x(&z));
        let beyond = Cloud::new(run, values.len()).beyond(&values);
        kept.push((
            laplace,
            SeparatedMode {
                values,
                log_density,
                log_mass_ratio,
                barrier,
                beyond,
                visited: beyond < MAX_VISITED,
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
/// point where the density fails counts as an infinite dip.
fn barrier<D: LogDensity + ?Sized>(counted: &Counted<D>, z: &[f64], lp_end: f64) -> f64 {
    let mut grad = vec![0.0; z.len()];
    let mut at = |t: f64| {
        let point: Vec<f64> = z.iter().map(|v| t * v).collect();
        counted.eval(&point, &mut grad).unwrap_or(f64::NEG_INFINITY)
    };
    let lp_center = at(0.0);
    let lowest = (1..=NUM_BARRIER_POINTS)
        .map(|k| at(k as f64 / (NUM_BARRIER_POINTS + 1) as f64))
        .fold(f64::INFINITY, f64::min);
    lp_end.min(lp_center) - lowest
}
