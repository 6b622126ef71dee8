//! From simulations to training data: non-finite rows dropped and counted, every θ checked
//! against the declared support and mapped to u = T⁻¹(θ) (when the support is transformed),
//! x preprocessed, the seeded training/validation split, and z-scoring of u and x fitted on the
//! training rows.

use super::loss::Data;
use super::{Bounds, NpeError, NpeSettings, Simulations, Standardizer, Support};
use crate::rng::seeded;
use rand::seq::SliceRandom;

const SPLIT_STREAM: u64 = crate::rng::streams::NPE_SPLIT.first;

/// Training data ready for the flow, and what the estimator needs to undo it.
pub(crate) struct Prepared {
    /// Standardized u and x rows.
    pub(crate) data: Data,
    pub(crate) theta_z: Standardizer,
    pub(crate) x_z: Standardizer,
    pub(crate) train_idx: Vec<usize>,
    pub(crate) val_idx: Vec<usize>,
    pub(crate) num_dropped: usize,
    /// Mean log |du/dθ| over the training and the validation rows (losses are reported in θ).
    pub(crate) log_jac: (f64, f64),
    /// The support the estimator maps its draws into (ℝ^d when not transformed).
    pub(crate) support: Support,
    /// A box kept for rejection sampling (`support_transform` off, box supports only).
    pub(crate) bounds: Option<Bounds>,
}

/// A box support as [`Bounds`], if every end is finite.
fn as_box(s: &Support) -> Option<Bounds> {
    let lower = s.lower.iter().copied().collect::<Option<Vec<f64>>>()?;
    let upper = s.upper.iter().copied().collect::<Option<Vec<f64>>>()?;
    Some(Bounds { lower, upper })
}

/// Whether training maps θ to u = T⁻¹(θ) under `support` ([`NpeSettings::support_transform`],
/// [`NpeSettings::box_rejection`]).
fn transformed(support: &Support, settings: &NpeSettings) -> bool {
    settings.support_transform && !(settings.box_rejection && as_box(support).is_some())
}

/// Checks the rows of `sims` that training uses (all values finite) against the support
/// (strictly inside when `transformed`, see [`transformed`]) and the x preprocessing; errors
/// name the 1-based row and the parameter or column.
fn check_rows(
    sims: &Simulations,
    support: &Support,
    transformed: bool,
    settings: &NpeSettings,
) -> Result<(), NpeError> {
    let mut pre = vec![0.0; sims.x_dim()];
    for i in 0..sims.len() {
        let (t, x) = (sims.theta(i), sims.x(i));
        if !t.iter().chain(x).all(|v| v.is_finite()) {
            continue;
        }
        // Transformed, θ must lie strictly inside (where log/logit are finite); a box kept for
        // rejection includes its bounds, as before supports existed.
        let outside = match transformed {
            true => support.first_outside(t),
            false => support.first_outside_closed(t),
        };
        if let Some(j) = outside {
            return Err(NpeError::OutsideSupport {
                row: i + 1,
                parameter: format!("θ[{}]", j + 1),
                value: t[j],
                support: support.describe(j),
            });
        }
        if let Err((j, reason)) = settings.x_transform.apply(x, &mut pre) {
            return Err(NpeError::Preprocessing {
                row: i + 1,
                column: j + 1,
                value: x[j],
                reason: reason.into(),
            });
        }
    }
    Ok(())
}

/// Rows `idx` of a row-major table of width `w`.
fn rows<'a>(
    v: &'a [f64],
    w: usize,
    idx: &'a [usize],
) -> impl Iterator<Item = &'a [f64]> + Clone + 'a {
    idx.iter().map(move |&i| &v[i * w..(i + 1) * w])
}

/// Prepares `sims` for training under `support` (the empty placeholder: ℝ^d).
pub(crate) fn prepare(
    sims: &Simulations,
    support: &Support,
    settings: &NpeSettings,
) -> Result<Prepared, NpeError> {
    let (dt, dx) = (sims.theta_dim(), sims.x_dim());
    let declared = support.clone().or_unbounded(dt);
    declared.validate()?;
    super::error::dim_check("prior support", dt, declared.dim())?;
    let transform = transformed(&declared, settings);
    check_rows(sims, &declared, transform, settings)?;
    let (support, bounds) = match transform {
        true => (declared, None),
        false => (Support::unbounded(dt), as_box(&declared)),
    };
    let (clean, num_dropped) = sims.finite_rows();
    let n = clean.len();
    let num_val = ((n as f64) * settings.validation_fraction).round() as usize;
    let num_train = n.saturating_sub(num_val);
    if num_val < 1 || num_train < 2 {
        return Err(NpeError::TooFewSimulations {
            num_usable: n,
            num_dropped,
            needed: 2 + (2.0 / (1.0 - settings.validation_fraction)).ceil() as usize,
        });
    }
    // u = T⁻¹(θ) and preprocessed x, row-major, with log |du/dθ| per row.
    let (mut u, mut xp, mut jac) = (vec![0.0; n * dt], vec![0.0; n * dx], vec![0.0; n]);
    for i in 0..n {
        jac[i] = support.unconstrain(clean.theta(i), &mut u[i * dt..(i + 1) * dt]);
        let checked = settings
            .x_transform
            .apply(clean.x(i), &mut xp[i * dx..(i + 1) * dx]);
        debug_assert!(checked.is_ok(), "rows were checked");
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut seeded(settings.seed, SPLIT_STREAM));
    let (val_idx, train_idx) = order.split_at(num_val);
    let theta_z = Standardizer::fit(rows(&u, dt, train_idx), dt);
    let x_z = Standardizer::fit(rows(&xp, dx, train_idx), dx);
    let mut data = Data {
        theta: vec![0.0; n * dt],
        x: vec![0.0; n * dx],
        dt,
        dx,
    };
    for i in 0..n {
        theta_z.apply(
            &u[i * dt..(i + 1) * dt],
            &mut data.theta[i * dt..(i + 1) * dt],
        );
        x_z.apply(&xp[i * dx..(i + 1) * dx], &mut data.x[i * dx..(i + 1) * dx]);
    }
    let mean = |idx: &[usize]| idx.iter().map(|&i| jac[i]).sum::<f64>() / idx.len() as f64;
    Ok(Prepared {
        data,
        theta_z,
        x_z,
        log_jac: (mean(train_idx), mean(val_idx)),
        train_idx: train_idx.to_vec(),
        val_idx: val_idx.to_vec(),
        num_dropped,
        support,
        bounds,
    })
}
