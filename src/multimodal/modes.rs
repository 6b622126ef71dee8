//! Multi-start mode search: the Gaussian initialization's L-BFGS ([`crate::vi::init`]) from
//! many random starts in parallel, each with its own random stream (start i: stream
//! [`START_STREAM`] + i), so the result does not depend on the thread count. Each converged
//! start gives a mode with its Laplace Gaussian N(x̂, H⁻¹) (H the central-difference Hessian of
//! −log p, eigenvalues made positive); starts that end within one standard deviation
//! (Mahalanobis, under the kept mode's Gaussian) of a mode already kept are the same mode. Each
//! mode's proposal component is the multivariate t with the Laplace curvature and the tail
//! weight ν measured by [`super::tails`] (the Laplace Gaussian itself when the tails are
//! Gaussian), and its mass is estimated by importance sampling:
//! [`ModeSearchSettings::num_mass_draws`] draws from each component, pooled over the components
//! (`weights.rs`, the balance heuristic), so that a heavy-tailed component does not claim the
//! other modes' mass; exact for modes of those families.

use super::mixture::Component;
use crate::density::{Counted, LogDensity};
use crate::flow::GaussianFit;
use crate::rng::seeded;
use crate::vi::init::{hessian_gaussians, lbfgs_path, random_start};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Random stream of start 0 (start i uses this + i).
pub const START_STREAM: u64 = crate::rng::streams::MULTIMODAL_START.first;
/// Random stream of mode 0's mass draws (mode k uses this + k).
pub const MASS_STREAM: u64 = crate::rng::streams::MULTIMODAL_MASS.first;

/// Settings of the mode search.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeSearchSettings {
    /// Random starts (default 128).
    pub num_starts: usize,
    /// Starts are uniform in [−r, r]^d (unconstrained).
    pub init_radius: f64,
    /// L-BFGS iterations per start.
    pub max_lbfgs_iters: u64,
    /// Importance draws per mode for its mass.
    pub num_mass_draws: usize,
    /// Above this dimension the Laplace Gaussians are diagonal.
    pub max_dense_dim: usize,
}

impl Default for ModeSearchSettings {
    fn default() -> Self {
        ModeSearchSettings {
            // 64 missed mixture4's lightest, narrowest mode in d = 20 at seed 2: its basin
            // holds ~4% of the starts from [−2, 2]^20 (21 of 512 at seed 2; ~6% in d = 10), so
            // 64 starts miss it 7% of the time, 128 0.5% (docs/multimodal.md).
            num_starts: 128,
            init_radius: 2.0,
            max_lbfgs_iters: 1000,
            num_mass_draws: 64,
            max_dense_dim: 500,
        }
    }
}

impl ModeSearchSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |f: &str, r: &str| Err(crate::Error::settings(f, r));
        let starts = crate::rng::streams::MULTIMODAL_START.len;
        if self.num_starts == 0 || self.num_starts as u64 > starts {
            return bad("num_starts", &format!("must be in 1..={starts}"));
        }
        if !(self.init_radius > 0.0 && self.init_radius.is_finite()) {
            return bad("init_radius", "must be positive and finite");
        }
        if self.num_mass_draws < 2 {
            return bad("num_mass_draws", "must be at least 2");
        }
        Ok(())
    }
}

/// A mode found.
#[derive(Debug, Clone)]
pub struct Mode {
    /// Its Laplace Gaussian (mean at the mode).
    pub laplace: Component,
    /// Its component of the jump proposal: the Laplace Gaussian, or the t with the Laplace
    /// curvature and the measured ν.
    pub component: Component,
    /// log p at the mode.
    pub log_density: f64,
    /// Importance-sampling estimate of log ∫_mode p.
    pub log_mass: f64,
    /// Starts that ended here.
    pub num_starts: usize,
}

/// What the search found and what it cost.
#[derive(Debug, Clone)]
pub struct ModeSearch {
    /// Distinct modes, heaviest first.
    pub modes: Vec<Mode>,
    /// Starts that failed (no valid start point, or no converged optimum).
    pub num_failed: usize,
    /// Why the last failed start failed (`None` when none failed).
    pub last_failure: Option<String>,
    /// Gradient evaluations (L-BFGS, Hessians, mass draws).
    pub num_grad_evals: u64,
}

/// One start's L-BFGS end: the point, −log p there and its gradient, or why there is none.
type EndResult = Result<Result<(Vec<f64>, f64, Vec<f64>), String>, crate::Error>;

/// One start's end: the optimum's Laplace Gaussian and log p there, or why it is not a mode.
pub(crate) type StartResult = Result<Result<(Component, f64), String>, crate::Error>;

/// Runs the search described in the module docs.
pub fn find_modes<D: LogDensity + ?Sized>(
    density: &D,
    settings: &ModeSearchSettings,
    seed: u64,
) -> Result<ModeSearch, crate::Error> {
    settings.validate()?;
    let counted = Counted::new(density);
    let d = density.dim();
    let ends: Vec<StartResult> = (0..settings.num_starts)
        .into_par_iter()
        .map(|i| one_start(&counted, settings, seed, i, d))
        .collect();
    let mut kept: Vec<Mode> = Vec::new();
    let (mut num_failed, mut last_error) = (0, String::new());
    for end in ends {
        let (g, lp) = match end? {
            Ok(x) => x,
            Err(why) => {
                num_failed += 1;
                last_error = why;
                continue;
            }
        };
        let same = kept.iter().position(|m| {
            let z2: f64 = m.laplace.whiten(&g.loc).iter().map(|v| v * v).sum();
            let z2_back: f64 = g.whiten(&m.laplace.loc).iter().map(|v| v * v).sum();
            z2.min(z2_back) < 1.0
        });
        match same {
            Some(k) => kept[k].num_starts += 1,
            None => kept.push(Mode {
                component: g.clone(),
                laplace: g,
                log_density: lp,
                log_mass: f64::NAN,
                num_starts: 1,
            }),
        }
    }
    if kept.is_empty() {
        return Err(crate::Error::NoModes {
            num_starts: settings.num_starts,
            radius: settings.init_radius,
            last_error,
        });
    }
    let mut draws = Vec::with_capacity(kept.len());
    for (k, m) in kept.iter_mut().enumerate() {
        m.component = component_for(&counted, &m.laplace, m.log_density, seed, k)?;
        draws.push(mass_draws(
            &counted,
            &m.component,
            settings.num_mass_draws,
            seed,
            k,
        )?);
    }
    let components: Vec<Component> = kept.iter().map(|m| m.component.clone()).collect();
    let pooled = super::weights::pooled_log_masses(&components, &draws);
    for (m, log_mass) in kept.iter_mut().zip(pooled) {
        m.log_mass = log_mass;
    }
    kept.sort_by(|a, b| b.log_mass.total_cmp(&a.log_mass));
    Ok(ModeSearch {
        modes: kept,
        num_failed,
        last_failure: (num_failed > 0).then_some(last_error),
        num_grad_evals: counted.num_evals(),
    })
}

fn one_start<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    settings: &ModeSearchSettings,
    seed: u64,
    i: usize,
    d: usize,
) -> StartResult {
    let (x, neg_lp, grad) = match lbfgs_end(counted, settings, seed, i)? {
        Ok(end) => end,
        Err(why) => return Ok(Err(why)),
    };
    laplace_at(counted, &x, neg_lp, &grad, d <= settings.max_dense_dim, i)
}

/// Where L-BFGS from start `i` (uniform in [−r, r]^d on random stream [`START_STREAM`] + i)
/// ends: the point, −log p there and its gradient; `Err` with the reason when the start has no
/// valid point or L-BFGS made no progress.
fn lbfgs_end<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    settings: &ModeSearchSettings,
    seed: u64,
    i: usize,
) -> EndResult {
    let mut rng = seeded(seed, crate::rng::streams::MULTIMODAL_START.id(i as u64));
    let x0 = match random_start(counted, settings.init_radius, None, &mut rng) {
        Ok(x) => x,
        Err(crate::Error::NoValidInit { last_error, .. }) => {
            return Ok(Err(format!(
                "start {}: no valid point ({last_error})",
                i + 1
            )));
        }
        Err(e) => return Err(e),
    };
    let path = lbfgs_path(counted, &x0, settings.max_lbfgs_iters)?;
    Ok(match path.into_iter().last() {
        Some(end) => Ok(end),
        None => Err(format!("start {}: L-BFGS made no progress", i + 1)),
    })
}

/// The Laplace Gaussian at an L-BFGS end `x` (−log p = `neg_lp`, gradient `grad`) and log p
/// there, or why it is not a mode: the Hessian cannot be evaluated or is not finite, or the
/// end is not converged (a remaining Newton step ≥ 0.1 of the mode's own sds: a mode at
/// infinity, a ridge). Costs 2d gradients.
pub(crate) fn laplace_at<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    x: &[f64],
    neg_lp: f64,
    grad: &[f64],
    dense: bool,
    i: usize,
) -> StartResult {
    let d = x.len();
    let Some(fit) = hessian_gaussians(counted, x, grad, dense)?
        .into_iter()
        .next()
    else {
        return Ok(Err(format!(
            "start {}: the Hessian at the optimum could not be evaluated",
            i + 1
        )));
    };
    let chol = match fit {
        GaussianFit::Dense { chol, .. } => {
            DMatrix::from_fn(d, d, |r, c| if c <= r { chol[r][c] } else { 0.0 })
        }
        GaussianFit::Diagonal { scale, .. } => {
            DMatrix::from_diagonal(&nalgebra::DVector::from_vec(scale))
        }
    };
    let Some(g) = Component::gaussian(x.to_vec(), chol) else {
        return Ok(Err(format!(
            "start {}: the Laplace covariance is not finite",
            i + 1
        )));
    };
    // Converged: the remaining Newton step is short in the mode's own sds. A start that ends
    // short of the optimum (one at infinity, a ridge) is not a mode.
    let newton: f64 = {
        let cov_g = &g.chol * (g.chol.transpose() * nalgebra::DVector::from_column_slice(grad));
        cov_g.dot(&nalgebra::DVector::from_column_slice(grad))
    };
    if !(newton < 1e-2) || !neg_lp.is_finite() {
        return Ok(Err(format!(
            "start {}: no converged optimum (Newton decrement {newton:.2e} at log p = {:.3e}; a mode at infinity?)",
            i + 1,
            -neg_lp
        )));
    }
    Ok(Ok((g, -neg_lp)))
}

/// The jump proposal's component for mode `k` at `laplace`'s mean (log p = `lp`): the t with
/// the Laplace curvature and the tail weight ν measured by [`super::tails`], or the Laplace
/// Gaussian itself when the tails are Gaussian.
pub(crate) fn component_for<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    laplace: &Component,
    lp: f64,
    seed: u64,
    k: usize,
) -> Result<Component, crate::Error> {
    let d = laplace.dim() as f64;
    let nu = super::tails::fit_nu(counted, &laplace.loc, lp, &laplace.chol, seed, k)?;
    if nu.is_finite() {
        let widen = ((nu + d) / nu).sqrt();
        if let Some(t) = Component::student_t(laplace.loc.clone(), &laplace.chol * widen, nu) {
            return Ok(t);
        }
    }
    Ok(laplace.clone())
}

/// log of the mean of exp(`log_ratios`), computed from the largest (NaN when every one is −∞).
pub(crate) fn log_mean_exp(log_ratios: &[f64]) -> f64 {
    let hi = log_ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let n = log_ratios.len() as f64;
    hi + (log_ratios.iter().map(|r| (r - hi).exp()).sum::<f64>() / n).ln()
}

/// The log-ratios log p(θ) − log q_k(θ) over `n` draws from the mode's component (−∞ where
/// the density fails): their log mean is the mode's mass estimated alone.
pub(crate) fn log_mass_ratios<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    g: &Component,
    n: usize,
    seed: u64,
    k: usize,
) -> Result<Vec<f64>, crate::Error> {
    let draws = mass_draws(counted, g, n, seed, k)?;
    Ok(draws
        .points
        .iter()
        .zip(&draws.log_p)
        .map(|(t, lp)| lp - g.log_density(t))
        .collect())
}

/// `n` draws from component `g` on random stream [`MASS_STREAM`] + k and log p at each (−∞
/// where the density fails recoverably).
pub(crate) fn mass_draws<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    g: &Component,
    n: usize,
    seed: u64,
    k: usize,
) -> Result<super::weights::MassDraws, crate::Error> {
    let mut rng = seeded(seed, crate::rng::streams::MULTIMODAL_MASS.id(k as u64));
    let d = g.dim();
    let mut points = vec![vec![0.0; d]; n];
    for t in points.iter_mut() {
        g.sample(&mut rng, t);
    }
    let log_p: Vec<f64> = points
        .par_iter()
        .map(|t| {
            let mut grad = vec![0.0; d];
            match counted.eval(t, &mut grad) {
                Ok(lp) => Ok(lp),
                Err(e) if e.is_recoverable() => Ok(f64::NEG_INFINITY),
                Err(e) => Err(crate::Error::Density {
                    context: "mode mass".into(),
                    source: e,
                }),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(super::weights::MassDraws { points, log_p })
}
