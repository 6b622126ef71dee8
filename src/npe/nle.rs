//! Neural likelihood estimation (NLE; Papamakarios, Sterratt & Murray 2019, `sbi`'s NLE): a
//! conditional flow q(x | θ_u) trained by maximum likelihood on the same simulations as NPE
//! with the roles swapped. x is the flow's target (on ℝ^dx, z-scored) and the prior's
//! unconstrained parameters θ_u = T⁻¹(θ) (see [`Support`]) its context (z-scored), so the
//! estimator is an [`NpeEstimator`] of the swapped tables and training is [`train`](super::train)'s.
//! What NLE adds is the gradient of log q(x | θ_u) with respect to θ_u, through the context's
//! z-scoring and the layers' vector-Jacobian products, which [`NleDensity`](super::NleDensity)
//! needs to sample the posterior with NUTS.

use super::error::{dim_check, finite_check};
use super::estimator::standard_normal_log_density;
use super::{IndependentPrior, NpeError, NpeEstimator, NpeReport, NpeSettings, Prior};
use super::{Simulations, Support};
use crate::progress::Progress;

/// A trained likelihood estimator q(x | θ_u) and the prior it was trained under.
#[derive(Debug)]
pub struct NleEstimator {
    /// The flow of x given θ_u (its "θ" is x, its "x" is θ_u).
    pub(crate) flow: NpeEstimator,
    pub(crate) prior: IndependentPrior,
    /// x column names, when known (estimators trained from tables).
    pub(crate) x_labels: Option<Vec<String>>,
}

/// Trains a likelihood estimator q(x | θ_u) on `sims` drawn under `prior`: every θ is mapped
/// to θ_u = T⁻¹(θ) of the prior's support and [`train`](super::train) fits a flow on x with
/// θ_u as its context (the report's losses are −log q(x | θ_u) in x's units). Rows holding a
/// non-finite value are dropped and counted, as NPE does; a finite θ outside the prior's
/// support is an error naming the row and the parameter. Not yet supported (an error names the
/// setting): ensembles (`num_members` > 1) and x preprocessing (`x_transform`). Start from
/// [`NpeSettings::nle_default`] (tanh units: the posterior is sampled along log q's gradient
/// in θ, which a ReLU MADE makes jump).
///
/// ```
/// use flowpost::npe::{simulate, train_nle, FlowSettings, IndependentPrior, Marginal, NpeSettings, TransformKind};
/// use flowpost_models::sbibm as tasks;
/// let task = tasks::task("gaussian_linear").unwrap();
/// let prior = IndependentPrior::new(vec![Marginal::Normal { mean: 0.0, sd: 0.1 }; 10]).unwrap();
/// let sims = simulate(&prior, task.simulator(), 300, 1);
/// let settings = NpeSettings {
///     flow: FlowSettings { transform: TransformKind::Affine, num_transforms: 1, hidden: vec![8], ..Default::default() },
///     max_epochs: 2,
///     ..Default::default()
/// };
/// let (nle, report) = train_nle(&sims, &prior, &settings, &flowpost::progress::NoProgress).unwrap();
/// assert_eq!((report.num_epochs, nle.theta_dim(), nle.x_dim()), (2, 10, 10));
/// let mut grad = vec![0.0; 10];
/// let ll = nle.log_likelihood(sims.x(0), &[0.0; 10], Some(&mut grad)).unwrap();
/// assert!(ll.is_finite() && grad.iter().all(|g| g.is_finite()));
/// ```
pub fn train_nle(
    sims: &Simulations,
    prior: &IndependentPrior,
    settings: &NpeSettings,
    progress: &dyn Progress,
) -> Result<(NleEstimator, NpeReport), NpeError> {
    settings.validate()?;
    let not_yet = |field, reason: &str| {
        Err(NpeError::Settings {
            field,
            reason: reason.into(),
        })
    };
    if settings.num_members > 1 {
        return not_yet(
            "num_members",
            "NLE trains one flow for now (no ensembles yet)",
        );
    }
    if !settings.x_transform.is_identity() {
        return not_yet(
            "x_transform",
            "NLE models x as it is for now (no preprocessing yet)",
        );
    }
    let (dt, dx) = (sims.theta_dim(), sims.x_dim());
    dim_check("prior (one marginal per θ column)", dt, prior.dim())?;
    let support = prior.support();
    let (mut theta_u, mut xs) = (
        vec![0.0; sims.len() * dt],
        Vec::with_capacity(sims.len() * dx),
    );
    for (i, u) in theta_u.chunks_mut(dt).enumerate() {
        let (t, x) = (sims.theta(i), sims.x(i));
        xs.extend_from_slice(x);
        if !t.iter().chain(x).all(|v| v.is_finite()) {
            u.fill(f64::NAN); // dropped and counted by training
            continue;
        }
        if let Some(j) = support.first_outside(t) {
            return Err(NpeError::OutsideSupport {
                row: i + 1,
                parameter: format!("`{}` (θ[{}])", prior.names()[j], j + 1),
                value: t[j],
                support: support.describe(j),
            });
        }
        support.unconstrain(t, u);
    }
    let swapped = Simulations::new(dx, dt, xs, theta_u)?;
    let (flow, report) = super::train(&swapped, Support::unbounded(dx), settings, progress)?;
    Ok((NleEstimator::from_parts(flow, prior.clone())?, report))
}

impl NleEstimator {
    /// Assembles an estimator from a flow of x given θ_u (an [`NpeEstimator`] whose θ is x and
    /// whose x is θ_u, with an identity x preprocessing and no ensemble members) and the prior.
    pub fn from_parts(flow: NpeEstimator, prior: IndependentPrior) -> Result<Self, NpeError> {
        dim_check(
            "prior (one marginal per context column)",
            flow.x_dim(),
            prior.dim(),
        )?;
        let bad = |field, reason: &str| {
            Err(NpeError::Settings {
                field,
                reason: reason.into(),
            })
        };
        if !flow.others.is_empty() {
            return bad("num_members", "NLE takes a single flow (no ensembles yet)");
        }
        if !flow.x_transform().is_identity() || !flow.support().is_unbounded() {
            return bad(
                "flow",
                "NLE needs a flow on x as it is (ℝ, no preprocessing of θ_u)",
            );
        }
        Ok(NleEstimator {
            flow,
            prior,
            x_labels: None,
        })
    }

    /// Sets the x column names (the header of the x table it was trained on), so that an
    /// observation given to it later can be checked column by column.
    pub fn with_x_labels(mut self, labels: Vec<String>) -> Result<Self, NpeError> {
        dim_check("x labels", self.x_dim(), labels.len())?;
        self.x_labels = Some(labels);
        Ok(self)
    }

    /// x column names, when known.
    pub fn x_labels(&self) -> Option<&[String]> {
        self.x_labels.as_deref()
    }

    /// Dimension of θ (and θ_u).
    pub fn theta_dim(&self) -> usize {
        self.flow.x_dim()
    }

    /// Dimension of x.
    pub fn x_dim(&self) -> usize {
        self.flow.theta_dim()
    }

    /// The prior the estimator was trained under.
    pub fn prior(&self) -> &IndependentPrior {
        &self.prior
    }

    /// The flow of x given θ_u, as an estimator of the swapped tables.
    pub fn flow_estimator(&self) -> &NpeEstimator {
        &self.flow
    }

    /// log q(x | θ_u), x in its own units and θ_u the prior's unconstrained parameters; with
    /// `grad`, writes ∇_θ_u log q(x | θ_u) into it (length [`theta_dim`](Self::theta_dim)).
    /// Errors name a wrong length or a non-finite value.
    pub fn log_likelihood(
        &self,
        x: &[f64],
        theta_u: &[f64],
        grad: Option<&mut [f64]>,
    ) -> Result<f64, NpeError> {
        dim_check("observation x", self.x_dim(), x.len())?;
        self.log_likelihood_iid(x, theta_u, grad)
    }

    /// Σ_t log q(x_t | θ_u) over the iid trials x_t, the rows of the row-major `xs` (at least
    /// one), with its gradient in θ_u as in [`log_likelihood`](Self::log_likelihood). A value
    /// or gradient that is not finite (the flow overflowing far from the training θ) is an
    /// error.
    pub fn log_likelihood_iid(
        &self,
        xs: &[f64],
        theta_u: &[f64],
        grad: Option<&mut [f64]>,
    ) -> Result<f64, NpeError> {
        let num_trials = self.check_trials(xs)?;
        dim_check("θ_u", self.theta_dim(), theta_u.len())?;
        finite_check("θ_u", theta_u)?;
        if let Some(g) = &grad {
            dim_check("gradient", self.theta_dim(), g.len())?;
        }
        let mut g = grad;
        let total = self.sum_log_q(xs, num_trials, theta_u, g.as_deref_mut());
        // Far outside the training range the flow can overflow: an error, never a NaN.
        finite_check("log q(x | θ_u) (the flow overflowed at this θ_u)", &[total])?;
        match g {
            Some(g) => finite_check("∇_θ_u log q(x | θ_u)", g),
            None => Ok(()),
        }?;
        Ok(total)
    }

    /// Checks iid trials (row-major, `x_dim` values each, all finite); returns their number.
    pub(crate) fn check_trials(&self, xs: &[f64]) -> Result<usize, NpeError> {
        let dx = self.x_dim();
        if xs.is_empty() || !xs.len().is_multiple_of(dx) {
            return Err(NpeError::Dimension {
                what: format!(
                    "observation x (one or more iid trials of {dx} values, row-major: length a positive multiple of {dx})"
                ),
                expected: dx,
                got: xs.len(),
            });
        }
        if let Some(k) = xs.iter().position(|v| !v.is_finite()) {
            return Err(NpeError::NonFinite {
                what: format!(
                    "observation x, trial {} (column {})",
                    k / dx + 1,
                    k % dx + 1
                ),
                index: k % dx,
            });
        }
        Ok(xs.len() / dx)
    }

    /// Σ_t log q(x_t | θ_u) and its gradient, inputs checked: one batched pass of the trials
    /// through the flow with θ_u as every trial's context, and one batched vector-Jacobian
    /// product with cotangents (−z, 1) of (z, log det), whose context part is chained through
    /// the context's z-scoring.
    pub(crate) fn sum_log_q(
        &self,
        xs: &[f64],
        num_trials: usize,
        theta_u: &[f64],
        grad: Option<&mut [f64]>,
    ) -> f64 {
        let (dx, dt, n) = (self.x_dim(), self.theta_dim(), num_trials);
        let (x_z, u_z) = self.flow.standardizers();
        let mut uz = vec![0.0; dt];
        u_z.apply(theta_u, &mut uz);
        let context = uz.repeat(n);
        let mut xz = vec![0.0; n * dx];
        for (x, t) in xs.chunks(dx).zip(xz.chunks_mut(dx)) {
            x_z.apply(x, t);
        }
        let (flow, params) = (self.flow.flow(), self.flow.params());
        let (mut z, mut log_det) = (vec![0.0; n * dx], vec![0.0; n]);
        let mut tape = vec![0.0; flow.batch_tape_len(n)];
        flow.transform_batch(params, &xz, &context, &mut z, &mut log_det, &mut tape);
        let log_scale = x_z.log_scale();
        let total = z
            .chunks(dx)
            .zip(&log_det)
            .map(|(zt, ld)| standard_normal_log_density(zt) + ld - log_scale)
            .sum();
        if let Some(g) = grad {
            let gy: Vec<f64> = z.iter().map(|v| -v).collect();
            let (mut gx, mut gc) = (vec![0.0; n * dx], vec![0.0; n * dt]);
            let g_log_det = vec![1.0; n];
            flow.vjp_batch(
                params,
                &xz,
                &context,
                &mut tape,
                &gy,
                &g_log_det,
                &mut gx,
                Some(&mut gc),
                None,
            );
            g.fill(0.0);
            for row in gc.chunks(dt) {
                g.iter_mut().zip(row).for_each(|(gi, r)| *gi += r);
            }
            g.iter_mut().zip(&u_z.std).for_each(|(gi, s)| *gi /= s);
        }
        total
    }
}

#[cfg(test)]
#[path = "nle_tests.rs"]
pub(super) mod tests;
