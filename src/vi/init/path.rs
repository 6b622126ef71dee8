//! Step 1 of the Gaussian fit: the L-BFGS path search on −log p, with restarts, recording the
//! improving points.

use crate::density::{Counted, LogDensity};
use argmin::core::{CostFunction, Executor, Gradient};
use argmin::solver::linesearch::BacktrackingLineSearch;
use argmin::solver::linesearch::condition::ArmijoCondition;
use argmin::solver::quasinewton::LBFGS;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
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
/// L-BFGS with restarts from `x0` (module docs, step 1): the improving points it visited, the
/// best last.
pub(crate) fn lbfgs_path<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    x0: &[f64],
    max_lbfgs_iters: u64,
) -> Result<Vec<PathPoint>, crate::Error> {
    lbfgs_path_to(counted, x0, max_lbfgs_iters, TOLERANCE_GRAD)
}

/// argmin's gradient tolerance of [`lbfgs_path`].
const TOLERANCE_GRAD: f64 = 1e-10;

/// [`lbfgs_path`] that also stops once the gradient's norm is below `tolerance_grad` (looser
/// than [`lbfgs_path`]'s 1e-10: the mode probe, in a Gaussian fit's coordinates, needs the
/// optimum to a small fraction of a standard deviation, not to rounding; near an optimum
/// each restart's capped first step backtracks a dozen times).
pub(crate) fn lbfgs_path_to<D: LogDensity + ?Sized>(
    counted: &Counted<D>,
    x0: &[f64],
    max_lbfgs_iters: u64,
    tolerance_grad: f64,
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
            .with_tolerance_grad(tolerance_grad)
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
        let Some((best, cost_after, grad)) = path.last() else {
            break;
        };
        if tolerance_grad > TOLERANCE_GRAD
            && grad.iter().map(|g| g * g).sum::<f64>().sqrt() < tolerance_grad
        {
            break;
        }
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
