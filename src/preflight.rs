//! A cheap check of a log-density and the run's sizes before any sampling, so that a broken
//! model fails in a second with a message that names the problem, not minutes later with an
//! R-hat of 1.17 or a panic in a worker thread.
//!
//! [`preflight`] checks, at a few Stan-style starting points (uniform in [−2, 2]^d):
//! - the parameter names: as many as [`constrain`](LogDensity::constrain) writes (it must not
//!   panic on a buffer of `param_names().len()`), each a valid CSV column
//!   ([`check_names`](crate::io::cmdstan::check_names));
//! - the gradient against central finite differences of the log-density along random
//!   directions (2 evaluations per direction whatever d is): a gradient wrong by a factor 2 is
//!   off by 50%, the check fails above 2%;
//! - that no coordinate's gradient is exactly zero at every point: such a parameter does not
//!   enter the density, the posterior is flat (improper) along it, and NUTS cannot start;
//! - the sizes: draws in memory and iteration counts must fit.
//!
//! Points where the density fails are skipped (initialization will deal with them). Cost: about
//! `points × (1 + 2 × directions × 2)` evaluations (≈ 40). Skip it with
//! [`SampleSettings::preflight`](crate::SampleSettings::preflight) = false (`--no-preflight`).

use crate::density::{LogDensity, guarded_log_density};
use crate::rng::seeded;
use rand::RngExt;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Largest number of constrained values a run may hold in memory (`chains × draws × values`,
/// 2^32 values = 32 GiB).
pub const MAX_DRAW_VALUES: u128 = 1 << 32;

/// What the preflight check found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PreflightError {
    /// `constrain` panicked on a buffer of `param_names().len()` values.
    #[error(
        "the model's constrain() panicked writing {names} values (param_names() has {names} names, dim() is {dim}): param_names() must name exactly the values constrain() writes"
    )]
    NamesLength {
        /// `param_names().len()`.
        names: usize,
        /// `dim()`.
        dim: usize,
    },
    /// A parameter name cannot be written as a CSV column and read back.
    #[error("{0}")]
    BadName(String),
    /// The gradient disagrees with finite differences of the log-density.
    #[error(
        "the gradient disagrees with the log-density at a starting point: along a random direction the gradient gives a slope of {analytic:.6e}, finite differences of the log-density give {numeric:.6e} (ratio {:.3}). Check the gradient (flowpost::check_gradient names the coordinate), or skip this check with --no-preflight (SampleSettings::preflight = false)",
        analytic / numeric
    )]
    WrongGradient {
        /// g · u.
        analytic: f64,
        /// (f(x + hu) − f(x − hu)) / 2h.
        numeric: f64,
    },
    /// Some coordinates have a gradient of exactly zero at every point tried.
    #[error(
        "the log-density does not depend on {}: its gradient is exactly zero there at every point tried, so the posterior is flat (improper) in that direction and NUTS cannot start; give it a proper prior",
        list(.params)
    )]
    ZeroGradient {
        /// The parameters concerned (unconstrained coordinates, 1-based, or their names when
        /// the model reports one value per coordinate).
        params: Vec<String>,
    },
    /// The run would not fit in memory or its counts overflow.
    #[error("{0}")]
    Size(String),
}

fn list(names: &[String]) -> String {
    match names.len() {
        1 => names[0].clone(),
        n if n <= 5 => names.join(", "),
        n => format!("{} and {} more", names[..5].join(", "), n - 5),
    }
}

/// Sizes of a run: chains, warmup and post-warmup draws per chain, values per draw.
pub fn check_sizes(
    num_chains: usize,
    num_tune: u64,
    num_draws: u64,
    num_values: usize,
) -> Result<(), PreflightError> {
    let iterations = num_tune
        .checked_add(num_draws)
        .and_then(|n| n.checked_mul(num_chains as u64));
    if iterations.is_none() {
        return Err(PreflightError::Size(format!(
            "{num_chains} chains × ({num_tune} warmup + {num_draws} draws) iterations overflow a 64-bit count; use fewer"
        )));
    }
    let values = num_chains as u128 * num_draws as u128 * num_values as u128;
    if values > MAX_DRAW_VALUES {
        return Err(PreflightError::Size(format!(
            "the draws would hold {values} values ({num_chains} chains × {num_draws} draws × {num_values} values, {:.3e} bytes), more than the {MAX_DRAW_VALUES} flowpost keeps in memory; use fewer chains or draws, or a smaller model",
            values as f64 * 8.0
        )));
    }
    Ok(())
}

/// Runs the checks of the [module docs](self) with a fixed seed (the check is deterministic).
///
/// ```
/// use flowpost::{DensityError, LogDensity};
/// use flowpost::preflight::{PreflightError, preflight};
/// /// A normal whose gradient is off by a factor 2.
/// struct Wrong;
/// impl LogDensity for Wrong {
///     fn dim(&self) -> usize { 2 }
///     fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
///         g[0] = -2.0 * x[0];
///         g[1] = -2.0 * x[1];
///         Ok(-0.5 * (x[0] * x[0] + x[1] * x[1]))
///     }
/// }
/// assert!(matches!(preflight(&Wrong), Err(PreflightError::WrongGradient { .. })));
/// ```
pub fn preflight<D: LogDensity + ?Sized>(density: &D) -> Result<(), PreflightError> {
    const POINTS: usize = 3;
    const ATTEMPTS: usize = 20;
    const DIRECTIONS: usize = 3;
    let d = density.dim();
    let names = density.param_names();
    crate::io::cmdstan::check_names(&names).map_err(PreflightError::BadName)?;
    let mut rng = seeded(0x9e37_79b9, crate::rng::streams::PREFLIGHT.id(0));
    let mut grad = vec![0.0; d];
    let mut nonzero = vec![false; d];
    let mut checked_names = false;
    let mut points = 0;
    for _ in 0..ATTEMPTS {
        if points == POINTS {
            break;
        }
        let x: Vec<f64> = (0..d).map(|_| rng.random_range(-2.0..2.0)).collect();
        let Ok(f) = guarded_log_density(density, &x, &mut grad) else {
            continue;
        };
        points += 1;
        if !checked_names {
            let mut out = vec![0.0; names.len()];
            let ok = catch_unwind(AssertUnwindSafe(|| density.constrain(&x, &mut out))).is_ok();
            if !ok {
                return Err(PreflightError::NamesLength {
                    names: names.len(),
                    dim: d,
                });
            }
            checked_names = true;
        }
        for (n, g) in nonzero.iter_mut().zip(&grad) {
            *n |= *g != 0.0;
        }
        for _ in 0..DIRECTIONS {
            let u: Vec<f64> = (0..d).map(|_| rng.random_range(-1.0..1.0)).collect();
            check_direction(density, &x, f, &grad, &u)?;
        }
    }
    if points > 0 {
        let zero: Vec<String> = (0..d)
            .filter(|&i| !nonzero[i])
            .map(|i| {
                if names.len() == d {
                    names[i].clone()
                } else {
                    format!("unconstrained coordinate {}", i + 1)
                }
            })
            .collect();
        if !zero.is_empty() {
            return Err(PreflightError::ZeroGradient { params: zero });
        }
    }
    Ok(())
}

/// Compares g · u with central differences of f along u at two step sizes; passes when either
/// agrees within 2% or the slope is below the differences' rounding noise.
fn check_direction<D: LogDensity + ?Sized>(
    density: &D,
    x: &[f64],
    f: f64,
    grad: &[f64],
    u: &[f64],
) -> Result<(), PreflightError> {
    let analytic: f64 = grad.iter().zip(u).map(|(g, u)| g * u).sum();
    let scale = x.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let mut scratch = vec![0.0; x.len()];
    let mut at = |t: f64| {
        let y: Vec<f64> = x.iter().zip(u).map(|(x, u)| x + t * u).collect();
        guarded_log_density(density, &y, &mut scratch).ok()
    };
    let mut last = None;
    for h in [1e-4 * scale, 1e-6 * scale] {
        let (Some(a), Some(b)) = (at(h), at(-h)) else {
            continue;
        };
        let numeric = (a - b) / (2.0 * h);
        let noise = 1e-14 * (f.abs() + a.abs() + b.abs()) / h;
        if (numeric - analytic).abs() <= 0.02 * numeric.abs().max(analytic.abs()) + noise {
            return Ok(());
        }
        last = Some(numeric);
    }
    match last {
        Some(numeric) => Err(PreflightError::WrongGradient { analytic, numeric }),
        None => Ok(()),
    }
}
