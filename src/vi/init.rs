//! A cheap, robust Gaussian fit of the target, the flow's frozen base layer.
//!
//! A Laplace approximation at the mode fails exactly where NeuTra matters: hierarchical
//! posteriors (funnels) have no mode or one at the neck, where the curvature is extreme. So,
//! in the spirit of Pathfinder (Zhang, Carpenter, Gelman, Vehtari 2022):
//!
//! 1. run L-BFGS (argmin, backtracking Armijo line search; a point the density cannot evaluate
//!    counts as +∞ so the step shrinks) on −log p from a Stan-style random point in [−2, 2]^d,
//!    recording the path of improving points; the first step, taken before L-BFGS has any
//!    curvature information, is capped at length 1 (unscaled regressions have gradients of
//!    10^7 there), 60 unevaluable points in a row end the search, and a search that stalls
//!    (argmin calls a step that changes the cost by < 1e-12 convergence) restarts from its best
//!    point with fresh memory until a restart no longer improves it or 1000 iterations are
//!    spent (diamonds, d = 26, stalled at 8 iterations without restarts);
//! 2. at a few points along the path build a Gaussian N(x_k, H_k⁻¹) from a central-difference
//!    Hessian (eigenvalues made positive: |λ|, floored);
//! 3. estimate each candidate's ELBO with common random draws, together with N(x₀, I), and keep
//!    the best.
//!
//! Cost: the L-BFGS evaluations, 2d gradients per candidate Hessian and `num_elbo_draws` per
//! candidate, all counted.

use crate::density::{Counted, LogDensity};
use crate::flow::{GaussianFit, log_standard_normal};
use crate::init::{Init, Initializer};
use crate::rng::{fill_standard_normal, seeded};
use argmin::core::{CostFunction, Executor, Gradient};
use argmin::solver::linesearch::BacktrackingLineSearch;
use argmin::solver::linesearch::condition::ArmijoCondition;
use argmin::solver::quasinewton::LBFGS;
use nalgebra::{DMatrix, SymmetricEigen};
use rand::RngExt;
use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Settings of the Gaussian initialization.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InitSettings {
    /// Maximum L-BFGS iterations.
    pub max_lbfgs_iters: u64,
    /// Points along the optimization path that get a Gaussian candidate.
    pub num_candidates: usize,
    /// Draws per candidate for its ELBO estimate.
    pub num_elbo_draws: usize,
    /// Starting points are uniform in [−r, r]^d.
    pub init_radius: f64,
    /// Above this dimension only the Hessian's diagonal is used.
    pub max_dense_dim: usize,
    /// The best Gaussians by ELBO (at most this many, the unit Gaussian at the start among them)
    /// each get a short flow fit; the best after it is kept. A Gaussian near a funnel's neck can
    /// have the better ELBO and still trap the flow there.
    pub num_finalists: usize,
    /// Steps of each finalist's short fit.
    pub race_steps: usize,
    /// Where the L-BFGS path starts ([`Init`]); `None`: uniform in [−`init_radius`,
    /// `init_radius`]^d.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Init>,
}

impl Default for InitSettings {
    fn default() -> Self {
        InitSettings {
            max_lbfgs_iters: 1000,
            num_candidates: 6,
            num_elbo_draws: 32,
            init_radius: 2.0,
            max_dense_dim: 500,
            num_finalists: 2,
            race_steps: 300,
            start: None,
        }
    }
}

/// What the initialization did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InitReport {
    /// ELBO estimate of the chosen Gaussian.
    pub elbo: f64,
    /// Index of the chosen candidate along the path (`None`: the unit Gaussian at the start).
    pub chosen: Option<usize>,
    /// Improving points L-BFGS visited.
    pub path_len: usize,
    /// ELBO estimate per candidate (−∞ where too many draws failed).
    pub candidate_elbos: Vec<f64>,
    /// Variance of log p − log q per candidate over its surviving draws (0 for an exact
    /// Gaussian posterior).
    pub candidate_variances: Vec<f64>,
    /// Draws per candidate dropped because the target failed there (out of `num_elbo_draws`).
    pub candidate_num_dropped: Vec<usize>,
    /// Gradient evaluations spent.
    pub num_grad_evals: u64,
    /// Windowed ELBO of each finalist after its short fit (empty without a race).
    pub race_elbos: Vec<f64>,
    /// Index of the chosen candidate in `candidate_elbos`.
    pub best_index: usize,
}

impl InitReport {
    /// Whether the best Gaussian already matches the target: log p − log q has variance below
    /// `tolerance` over its draws, and none of them failed (a constant ratio on the survivors
    /// says nothing about the mass where the target is undefined).
    pub fn best_is_exact(&self, tolerance: f64) -> bool {
        self.candidate_variances
            .get(self.best_index)
            .is_some_and(|v| *v < tolerance)
            && self.candidate_num_dropped.get(self.best_index) == Some(&0)
    }

    /// Draws of the candidates' ELBO estimates dropped because the target failed there.
    pub fn num_dropped(&self) -> u64 {
        self.candidate_num_dropped.iter().map(|&n| n as u64).sum()
    }
}

/// An improving point of the optimization: position, −log p, ∇ log p.
pub(crate) type PathPoint = (Vec<f64>, f64, Vec<f64>);

struct Problem<'a, D: ?Sized> {
    density: &'a Counted<'a, D>,
    path: &'a Mutex<Vec<PathPoint>>,
    fatal: &'a Mutex<Option<crate::DensityError>>,
    /// Unevaluable points in a row (reset by a good one).
    num_failed_in_row: AtomicUsize,
    /// The starting point and how many gradients L-BFGS has asked for: before its second one
    /// there is no curvature pair yet, and argmin's first step is the raw gradient (which can be
    /// 10^7 long on unscaled regressions); that step is capped at length 1, as Stan's L-BFGS
    /// starts with a small first step.
    start: Vec<f64>,
    num_gradients: AtomicUsize,
}

/// After this many unevaluable points in a row the backtracking has shrunk the step by 2^-60:
/// the search direction is useless and L-BFGS stops (argmin's line search has no floor of its
/// own and would halve forever).
const MAX_FAILED_IN_ROW: usize = 60;

impl<D: LogDensity + ?Sized> Problem<'_, D> {
    fn eval(&self, x: &[f64]) -> Result<(f64, Vec<f64>), argmin::core::Error> {
        if x.iter().any(|v| !v.is_finite()) {
            return Err(argmin::core::Error::msg("non-finite L-BFGS iterate"));
        }
        let mut g = vec![0.0; x.len()];
        match self.density.eval(x, &mut g) {
            Ok(lp) => {
                self.num_failed_in_row.store(0, Ordering::Relaxed);
                let mut path = self.path.lock().unwrap();
                if path.last().is_none_or(|(_, best, _)| -lp < *best) {
                    path.push((x.to_vec(), -lp, g.clone()));
                }
                g.iter_mut().for_each(|v| *v = -*v);
                Ok((-lp, g))
            }
            Err(e) => {
                if !e.is_recoverable() {
                    *self.fatal.lock().unwrap() = Some(e.clone());
                }
                Err(argmin::core::Error::msg(e.to_string()))
            }
        }
    }
}

impl<D: LogDensity + ?Sized> CostFunction for Problem<'_, D> {
    type Param = Vec<f64>;
    type Output = f64;
    /// A point the density cannot evaluate (recoverably) costs +∞, so the backtracking line
    /// search shrinks the step instead of stopping the optimization.
    fn cost(&self, x: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        if self.num_gradients.load(Ordering::Relaxed) <= 1 {
            let step2: f64 = x
                .iter()
                .zip(&self.start)
                .map(|(a, b)| (a - b).powi(2))
                .sum();
            if step2 > 1.0 {
                return Ok(f64::INFINITY);
            }
        }
        match self.eval(x) {
            Ok((f, _)) => Ok(f),
            Err(e) if self.fatal.lock().unwrap().is_some() => Err(e),
            Err(e) if x.iter().any(|v| !v.is_finite()) => Err(e),
            Err(e) => {
                if self.num_failed_in_row.fetch_add(1, Ordering::Relaxed) + 1 >= MAX_FAILED_IN_ROW {
                    Err(e)
                } else {
                    Ok(f64::INFINITY)
                }
            }
        }
    }
}

impl<D: LogDensity + ?Sized> Gradient for Problem<'_, D> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        self.num_gradients.fetch_add(1, Ordering::Relaxed);
        self.eval(x).map(|(_, g)| g)
    }
}

/// A starting point with a finite log-density and gradient: from `start` when given (once for
/// a fixed one, with its failure explained), else uniform in [−radius, radius]^d; up to 100
/// attempts.
pub(crate) fn random_start<D: LogDensity + ?Sized>(
    density: &Counted<D>,
    radius: f64,
    start: Option<&Init>,
    rng: &mut dyn rand::Rng,
) -> Result<Vec<f64>, crate::Error> {
    let d = density.density.dim();
    let init = match start {
        Some(init) => Some(Initializer::new(density.density, init)?),
        None => None,
    };
    if let Some(ini) = init.as_ref().filter(|i| i.is_fixed()) {
        let x = ini.draw(rng)?;
        density.count.fetch_add(1, Ordering::Relaxed);
        ini.check_point(&x, false)?;
        return Ok(x);
    }
    let mut g = vec![0.0; d];
    let mut last = String::new();
    const ATTEMPTS: usize = 100;
    for _ in 0..ATTEMPTS {
        let x: Vec<f64> = match &init {
            Some(ini) => ini.draw(rng)?,
            None => (0..d).map(|_| rng.random_range(-radius..radius)).collect(),
        };
        match density.eval(&x, &mut g) {
            Ok(_) => return Ok(x),
            Err(e) if e.is_recoverable() => last = e.to_string(),
            Err(e) => {
                return Err(crate::Error::Density {
                    context: "initialization".into(),
                    source: e,
                });
            }
        }
    }
    Err(crate::Error::NoValidInit {
        attempts: ATTEMPTS,
        last_error: last,
    })
}

/// The Gaussian fit described in the module docs: the finalists, best ELBO first.
pub fn gaussian_fit<D: LogDensity + ?Sized>(
    density: &D,
    settings: &InitSettings,
    seed: u64,
) -> Result<(Vec<GaussianFit>, InitReport), crate::Error> {
    let counted = Counted::new(density);
    let mut rng = seeded(seed, crate::rng::streams::GAUSSIAN_START.id(0));
    let x0 = random_start(
        &counted,
        settings.init_radius,
        settings.start.as_ref(),
        &mut rng,
    )?;
    let path = lbfgs_path(&counted, &x0, settings.max_lbfgs_iters)?;
    select_candidate(&counted, &x0, &path, settings, seed)
}

/// L-BFGS with restarts from `x0` (module docs, step 1): the improving points it visited, the
/// best last.
pub(crate) fn lbfgs_path<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    x0: &[f64],
    max_lbfgs_iters: u64,
) -> Result<Vec<PathPoint>, crate::Error> {
    let d = x0.len();
    let path: Mutex<Vec<PathPoint>> = Mutex::new(Vec::new());
    let fatal = Mutex::new(None);
    // L-BFGS with restarts: argmin reports convergence when a step changes the cost by < 1e-12,
    // which also happens when the line search has shrunk a bad direction to nothing; a fresh
    // start from the best point (new memory, capped first step) then often goes on.
    let (mut start, mut num_iters) = (x0.to_vec(), 0u64);
    while num_iters < max_lbfgs_iters {
        let problem = Problem {
            density: counted,
            path: &path,
            fatal: &fatal,
            num_failed_in_row: AtomicUsize::new(0),
            start: start.clone(),
            num_gradients: AtomicUsize::new(0),
        };
        let line_search =
            BacktrackingLineSearch::new(ArmijoCondition::new(1e-4).expect("valid Armijo constant"))
                .rho(0.5)
                .expect("valid backtracking factor");
        let solver = LBFGS::new(line_search, 8.min(d.max(1)))
            .with_tolerance_grad(1e-10)
            .and_then(|s| s.with_tolerance_cost(1e-12))
            .expect("static L-BFGS tolerances are valid");
        let cost_before = path.lock().unwrap().last().map_or(f64::INFINITY, |p| p.1);
        // An error (a point the density cannot evaluate) ends the run early; the path recorded
        // up to there is still usable.
        let result = Executor::new(problem, solver)
            .configure(|state| {
                state
                    .param(start.clone())
                    .max_iters(max_lbfgs_iters - num_iters)
            })
            .run();
        num_iters += result.as_ref().map_or(1, |r| r.state.iter.max(1));
        if fatal.lock().unwrap().is_some() {
            break;
        }
        let path = path.lock().unwrap();
        let Some((best, cost_after, _)) = path.last() else {
            break;
        };
        // Stop once a restart no longer improves the cost (relative 1e-10).
        if !(cost_before - cost_after > 1e-10 * cost_after.abs().max(1.0)) {
            break;
        }
        start = best.clone();
    }
    if let Some(e) = fatal.into_inner().unwrap() {
        return Err(crate::Error::Density {
            context: "Gaussian initialization".into(),
            source: e,
        });
    }
    Ok(path.into_inner().unwrap())
}

fn select_candidate<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    x0: &[f64],
    path: &[PathPoint],
    settings: &InitSettings,
    seed: u64,
) -> Result<(Vec<GaussianFit>, InitReport), crate::Error> {
    let d = x0.len();
    let picks = pick_indices(path.len(), settings.num_candidates);
    let mut candidates: Vec<(Option<usize>, GaussianFit)> = vec![(
        None,
        GaussianFit::Diagonal {
            loc: x0.to_vec(),
            scale: vec![1.0; d],
        },
    )];
    for &k in &picks {
        let (x, _, grad) = &path[k];
        for g in hessian_gaussians(counted, x, grad, d <= settings.max_dense_dim)? {
            candidates.push((Some(k), g));
        }
    }
    let mut rng = seeded(seed, crate::rng::streams::GAUSSIAN_ELBO.id(0));
    let mut z = vec![0.0; settings.num_elbo_draws * d];
    fill_standard_normal(&mut rng, &mut z);
    let estimates = candidates
        .iter()
        .map(|(_, g)| elbo_estimate(counted, g, &z))
        .collect::<Result<Vec<_>, _>>()?;
    let elbos: Vec<f64> = estimates.iter().map(|e| e.0).collect();
    let variances: Vec<f64> = estimates.iter().map(|e| e.1).collect();
    let dropped: Vec<usize> = estimates.iter().map(|e| e.2).collect();
    // Ranked by a lower confidence bound, ELBO − 2 standard errors: with 32 draws a candidate
    // with log-weight variance 0.002 can out-score the exact Gaussian (variance 1e-20, ELBO =
    // log Z) by noise alone, and lose the exact-fit shortcut (gauss100).
    let score =
        |i: usize| elbos[i] - 2.0 * (variances[i] / settings.num_elbo_draws.max(1) as f64).sqrt();
    let mut ranked: Vec<usize> = (0..elbos.len()).filter(|&i| score(i).is_finite()).collect();
    ranked.sort_by(|&a, &b| score(b).total_cmp(&score(a)));
    let Some(&best) = ranked.first() else {
        return Err(crate::Error::NoValidInit {
            attempts: candidates.len(),
            last_error: "every Gaussian candidate had mostly failing log-density draws".into(),
        });
    };
    // Finalists: the best, then the unit Gaussian at the start (index 0) if it is not the best,
    // then the next best.
    let mut finalists = vec![best];
    if best != 0 && elbos[0].is_finite() {
        finalists.push(0);
    }
    finalists.extend(ranked.iter().copied().filter(|i| *i != best && *i != 0));
    finalists.truncate(settings.num_finalists.max(1));
    let report = InitReport {
        elbo: elbos[best],
        chosen: candidates[best].0,
        path_len: path.len(),
        candidate_elbos: elbos,
        candidate_variances: variances,
        candidate_num_dropped: dropped,
        num_grad_evals: counted.num_evals(),
        race_elbos: Vec::new(),
        best_index: best,
    };
    let gaussians = finalists.iter().map(|&i| candidates[i].1.clone()).collect();
    Ok((gaussians, report))
}

/// Up to `n` indices spread over 0..len, always including the last.
fn pick_indices(len: usize, n: usize) -> Vec<usize> {
    if len == 0 || n == 0 {
        return Vec::new();
    }
    let n = n.min(len);
    let mut v: Vec<usize> = (0..n)
        .map(|i| (len - 1) - i * (len - 1) / n.max(1))
        .collect();
    v.dedup();
    v
}

/// N(x, Σ) and N(x + Σ∇log p(x), Σ) (a Newton step, exact for a Gaussian target when L-BFGS
/// stopped short of the mode), Σ = H⁺⁻¹ with H the central-difference Hessian of −log p at x
/// (2d gradients); none if a neighbour cannot be evaluated.
pub(crate) fn hessian_gaussians<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    x: &[f64],
    grad: &[f64],
    dense: bool,
) -> Result<Vec<GaussianFit>, crate::Error> {
    let d = x.len();
    let columns: Vec<Result<Option<Vec<f64>>, crate::Error>> = (0..d)
        .into_par_iter()
        .map(|j| {
            let h = 1e-5 * x[j].abs().max(1.0);
            let (mut xp, mut gp, mut gm) = (x.to_vec(), vec![0.0; d], vec![0.0; d]);
            xp[j] = x[j] + h;
            let a = counted.eval(&xp, &mut gp);
            xp[j] = x[j] - h;
            let b = counted.eval(&xp, &mut gm);
            match (a, b) {
                (Ok(_), Ok(_)) => Ok(Some((0..d).map(|i| -(gp[i] - gm[i]) / (2.0 * h)).collect())),
                (Err(e), _) | (_, Err(e)) if !e.is_recoverable() => Err(crate::Error::Density {
                    context: "Hessian at initialization".into(),
                    source: e,
                }),
                _ => Ok(None),
            }
        })
        .collect();
    let mut hess = DMatrix::zeros(d, d);
    for (j, col) in columns.into_iter().enumerate() {
        match col? {
            Some(c) => hess.set_column(j, &nalgebra::DVector::from_vec(c)),
            None => return Ok(Vec::new()),
        }
    }
    let hess = (&hess + hess.transpose()) * 0.5;
    if !dense {
        let scale: Vec<f64> = (0..d)
            .map(|i| 1.0 / positive_curvature(hess[(i, i)], hess.diagonal().amax()).sqrt())
            .collect();
        let newton = (0..d)
            .map(|i| x[i] + scale[i] * scale[i] * grad[i])
            .collect();
        return Ok(vec![
            GaussianFit::Diagonal {
                loc: x.to_vec(),
                scale: scale.clone(),
            },
            GaussianFit::Diagonal { loc: newton, scale },
        ]);
    }
    let eig = SymmetricEigen::new(hess);
    let lmax = eig.eigenvalues.amax();
    let inv: Vec<f64> = eig
        .eigenvalues
        .iter()
        .map(|&l| 1.0 / positive_curvature(l, lmax))
        .collect();
    let cov = &eig.eigenvectors
        * DMatrix::from_diagonal(&nalgebra::DVector::from_vec(inv))
        * eig.eigenvectors.transpose();
    let cov = (&cov + cov.transpose()) * 0.5;
    let step = &cov * nalgebra::DVector::from_column_slice(grad);
    let Some(chol) = cov.cholesky() else {
        return Ok(Vec::new());
    };
    let l = chol.l();
    let rows: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..=i).map(|j| l[(i, j)]).collect())
        .collect();
    let newton = (0..d).map(|i| x[i] + step[i]).collect();
    Ok(vec![
        GaussianFit::Dense {
            loc: x.to_vec(),
            chol: rows.clone(),
        },
        GaussianFit::Dense {
            loc: newton,
            chol: rows,
        },
    ])
}

/// |λ| floored relative to the largest curvature (and absolutely), so flat or negatively
/// curved directions get a wide but finite variance.
fn positive_curvature(l: f64, lmax: f64) -> f64 {
    l.abs().max(lmax * 1e-12).max(1e-12)
}

/// Mean and variance of log p(θ) − log q(θ) over draws θ = loc + L z (`z` holds the draws back
/// to back); (−∞, ∞) when more than a quarter of the draws fail.
fn elbo_estimate<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    g: &GaussianFit,
    z: &[f64],
) -> Result<(f64, f64, usize), crate::Error> {
    let d = g.dim();
    let (layer, params) = g.layer_and_params();
    let vals: Vec<Result<Option<f64>, crate::Error>> = z
        .par_chunks(d)
        .map(|zi| {
            let (mut theta, mut grad) = (vec![0.0; d], vec![0.0; d]);
            let ld = layer.transform(&params, zi, &[], &mut theta, &mut []);
            match counted.eval(&theta, &mut grad) {
                Ok(lp) => Ok(Some(lp + ld - log_standard_normal(zi))),
                Err(e) if e.is_recoverable() => Ok(None),
                Err(e) => Err(crate::Error::Density {
                    context: "initialization ELBO".into(),
                    source: e,
                }),
            }
        })
        .collect();
    let mut ok = Vec::new();
    for v in vals {
        if let Some(x) = v? {
            ok.push(x);
        }
    }
    let n = z.len() / d;
    let dropped = n - ok.len();
    if ok.len() * 4 < n * 3 || ok.len() < 2 {
        return Ok((f64::NEG_INFINITY, f64::INFINITY, dropped));
    }
    let mean = ok.iter().sum::<f64>() / ok.len() as f64;
    let var = ok.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (ok.len() - 1) as f64;
    Ok((mean, var, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DensityError;

    /// y = a + b h + σ ε with heights h ≈ 66 and n = 1000, flat priors, log σ unconstrained:
    /// the gradient at a random start is ~10^7 long, the first raw L-BFGS step lands at
    /// log σ ≈ 400 and the search used to stall there (earnings-logearn_interaction).
    struct Unscaled {
        h: Vec<f64>,
        y: Vec<f64>,
    }

    impl LogDensity for Unscaled {
        fn dim(&self) -> usize {
            3
        }
        fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
            let (a, b, log_s) = (x[0], x[1], x[2]);
            let inv_var = (-2.0 * log_s).exp();
            let (mut ss, mut ga, mut gb) = (0.0, 0.0, 0.0);
            for (h, y) in self.h.iter().zip(&self.y) {
                let r = y - a - b * h;
                ss += r * r;
                ga += r;
                gb += r * h;
            }
            let n = self.h.len() as f64;
            g[0] = ga * inv_var;
            g[1] = gb * inv_var;
            g[2] = ss * inv_var - n;
            Ok(-0.5 * ss * inv_var - n * log_s)
        }
    }

    #[test]
    fn unscaled_regression_reaches_the_mode() {
        let mut rng = seeded(3, 0);
        let h: Vec<f64> = (0..1000)
            .map(|_| 66.0 + 4.0 * rng.random::<f64>())
            .collect();
        let y: Vec<f64> = h
            .iter()
            .map(|h| 9.0 + 0.02 * h + 0.1 * rng.random::<f64>())
            .collect();
        let target = Unscaled { h, y };
        // Least squares: the exact mode of (a, b).
        let n = target.h.len() as f64;
        let (mh, my) = (
            target.h.iter().sum::<f64>() / n,
            target.y.iter().sum::<f64>() / n,
        );
        let sxy: f64 = target
            .h
            .iter()
            .zip(&target.y)
            .map(|(h, y)| (h - mh) * (y - my))
            .sum();
        let sxx: f64 = target.h.iter().map(|h| (h - mh).powi(2)).sum();
        let b = sxy / sxx;
        let a = my - b * mh;
        let (fits, report) = gaussian_fit(&target, &InitSettings::default(), 1).unwrap();
        let GaussianFit::Dense { loc, .. } = &fits[0] else {
            panic!("expected a dense Gaussian, got {:?}", fits[0]);
        };
        // The posterior sd of b is ~0.1/sqrt(12)/4/sqrt(1000) ≈ 2.3e-4; the mode must be far closer
        // than that, and the fit must be essentially exact (a Gaussian posterior in (a, b)).
        assert!((loc[1] - b).abs() < 2e-5, "b: {} vs {b}", loc[1]);
        assert!((loc[0] - a).abs() < 2e-3, "a: {} vs {a}", loc[0]);
        assert!(report.path_len > 10, "L-BFGS stalled: {report:?}");
        assert!(report.elbo.is_finite());
    }
}
