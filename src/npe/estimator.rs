//! The trained posterior estimator q(θ | x): a conditional flow on the z-scored unconstrained
//! parameters u = T⁻¹(θ) (see [`Support`]) and the z-scored, optionally preprocessed x.
//! Sampling draws z ~ N(0, I), inverts the flow given x_o and maps back through the
//! standardizer and T, so every draw lies in the declared support; the density adds T's
//! Jacobian. Estimators with a box kept for rejection instead (files written before supports,
//! or training with `support_transform` off) reject draws outside it (`sbi`'s leakage
//! correction) and report the acceptance rate.

use super::{Bounds, NpeError, Standardizer, Support, XTransform};
use crate::bijection::Bijection;
use crate::rng::seeded;
use rayon::prelude::*;

/// Stream ids from this on are used by posterior sampling (draw j uses `SAMPLE_STREAM + j`).
pub const SAMPLE_STREAM: u64 = crate::rng::streams::NPE_SAMPLE.first;
const CHUNK: usize = 64;

/// A conditional density estimator of the posterior.
#[derive(Debug)]
pub struct NpeEstimator {
    pub(crate) flow: Box<dyn Bijection>,
    pub(crate) params: Vec<f64>,
    pub(crate) theta_z: Standardizer,
    pub(crate) x_z: Standardizer,
    pub(crate) bounds: Option<Bounds>,
    pub(crate) theta_labels: Vec<String>,
    pub(crate) x_labels: Option<Vec<String>>,
    pub(crate) support: Support,
    pub(crate) x_transform: XTransform,
}

/// Leakage-correction settings for [`NpeEstimator::sample`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSettings {
    /// Seed of the draws.
    pub seed: u64,
    /// Give up when more than this many draws per requested sample were needed.
    pub max_draws_per_sample: usize,
    /// Acceptance rate below which [`PosteriorSamples::low_acceptance`] is set.
    pub warn_acceptance: f64,
}

impl Default for SampleSettings {
    fn default() -> Self {
        SampleSettings {
            seed: 0,
            max_draws_per_sample: 1000,
            warn_acceptance: 0.01,
        }
    }
}

/// Posterior draws after leakage correction.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorSamples {
    /// Row-major draws, `num_samples × dim`.
    pub samples: Vec<f64>,
    /// Dimension of θ.
    pub dim: usize,
    /// Draws made (accepted + rejected).
    pub num_drawn: usize,
    /// Fraction of draws inside the prior support.
    pub acceptance_rate: f64,
    /// Whether the acceptance rate fell below the warning threshold.
    pub low_acceptance: bool,
}

impl PosteriorSamples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len() / self.dim
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
    /// Sample i.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.samples[i * self.dim..(i + 1) * self.dim]
    }
}

impl NpeEstimator {
    /// Assembles an estimator, checking that the pieces agree.
    pub fn new(
        flow: Box<dyn Bijection>,
        params: Vec<f64>,
        theta_z: Standardizer,
        x_z: Standardizer,
        bounds: Option<Bounds>,
    ) -> Result<Self, NpeError> {
        use super::error::{dim_check, finite_check};
        dim_check("flow parameters", flow.num_params(), params.len())?;
        finite_check("flow parameters", &params)?;
        theta_z.validate("θ standardizer", flow.dim())?;
        x_z.validate("x standardizer", flow.context_dim())?;
        if let Some(b) = &bounds {
            b.validate()?;
            dim_check("prior bounds", flow.dim(), b.lower.len())?;
        }
        let theta_labels = (1..=flow.dim()).map(|i| format!("parameter_{i}")).collect();
        let support = Support::unbounded(flow.dim());
        Ok(NpeEstimator {
            flow,
            params,
            theta_z,
            x_z,
            bounds,
            theta_labels,
            x_labels: None,
            support,
            x_transform: XTransform::Identity,
        })
    }

    /// Sets the support the flow's parameters are unconstrained from (ℝ^d by default).
    pub fn with_support(mut self, support: Support) -> Result<Self, NpeError> {
        support.validate()?;
        super::error::dim_check("support", self.theta_dim(), support.dim())?;
        self.support = support;
        Ok(self)
    }

    /// Sets the preprocessing of x applied before its z-scoring.
    pub fn with_x_transform(mut self, t: XTransform) -> Self {
        self.x_transform = t;
        self
    }

    /// The support θ lies in (the flow models u = T⁻¹(θ)).
    pub fn support(&self) -> &Support {
        &self.support
    }

    /// The preprocessing of x.
    pub fn x_transform(&self) -> XTransform {
        self.x_transform
    }

    /// x_o preprocessed and z-scored as the training x were.
    fn standardize_x(&self, x: &[f64]) -> Result<Vec<f64>, NpeError> {
        let mut pre = vec![0.0; x.len()];
        self.x_transform
            .apply(x, &mut pre)
            .map_err(|(column, reason)| NpeError::ObservationPreprocessing {
                column: column + 1,
                value: x[column],
                reason: reason.into(),
            })?;
        let mut xz = vec![0.0; x.len()];
        self.x_z.apply(&pre, &mut xz);
        Ok(xz)
    }

    /// Sets the θ column names (used as the header of sample files).
    pub fn with_labels(mut self, labels: Vec<String>) -> Result<Self, NpeError> {
        super::error::dim_check("θ labels", self.theta_dim(), labels.len())?;
        self.theta_labels = labels;
        Ok(self)
    }

    /// θ column names.
    pub fn theta_labels(&self) -> &[String] {
        &self.theta_labels
    }

    /// Sets the x column names (the header of the x table it was trained on), so that tables
    /// given to it later can be checked column by column.
    pub fn with_x_labels(mut self, labels: Vec<String>) -> Result<Self, NpeError> {
        super::error::dim_check("x labels", self.x_dim(), labels.len())?;
        self.x_labels = Some(labels);
        Ok(self)
    }

    /// x column names, when known (estimators trained from tables).
    pub fn x_labels(&self) -> Option<&[String]> {
        self.x_labels.as_deref()
    }

    /// Dimension of θ.
    pub fn theta_dim(&self) -> usize {
        self.flow.dim()
    }

    /// Dimension of x.
    pub fn x_dim(&self) -> usize {
        self.flow.context_dim()
    }

    /// The flow on z-scored values: its transform is the density direction θ → z, its
    /// inverse the sampling direction z → θ.
    pub fn flow(&self) -> &dyn Bijection {
        self.flow.as_ref()
    }

    /// The flat flow parameters.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The z-scoring of θ and of x.
    pub fn standardizers(&self) -> (&Standardizer, &Standardizer) {
        (&self.theta_z, &self.x_z)
    }

    /// The prior support used for leakage correction.
    pub fn bounds(&self) -> Option<&Bounds> {
        self.bounds.as_ref()
    }

    fn check_x(&self, x: &[f64]) -> Result<(), NpeError> {
        super::error::dim_check("observation x_o", self.x_dim(), x.len())?;
        super::error::finite_check("observation x_o", x)
    }

    /// log q(θ | x) in original units (−∞ outside the support; with a box kept for rejection,
    /// the flow's density not renormalized to it).
    pub fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<f64, NpeError> {
        super::error::dim_check("θ", self.theta_dim(), theta.len())?;
        Ok(self.log_prob_many(theta, x)?[0])
    }

    /// log q(θ_j | x) for every row θ_j of the row-major `thetas` (in parallel, through the
    /// flow's batched calls in chunks of 64 rows).
    pub fn log_prob_many(&self, thetas: &[f64], x: &[f64]) -> Result<Vec<f64>, NpeError> {
        self.check_x(x)?;
        let d = self.theta_dim();
        if !thetas.len().is_multiple_of(d) {
            return Err(NpeError::Dimension {
                what: "θ rows".into(),
                expected: d,
                got: thetas.len() % d,
            });
        }
        let n = thetas.len() / d;
        let xz = self.repeated_context(x, CHUNK.min(n))?;
        let offset = self.theta_z.log_scale();
        let mut out = vec![0.0; n];
        out.par_chunks_mut(CHUNK)
            .zip(thetas.par_chunks(CHUNK * d))
            .for_each(|(lp, rows)| {
                let m = lp.len();
                let mut tape = vec![0.0; self.flow.batch_tape_len(m)];
                let (mut tz, mut z) = (vec![0.0; m * d], vec![0.0; m * d]);
                let (mut u, mut jac) = (vec![0.0; d], vec![0.0; m]);
                let rows_in = rows.chunks(d).zip(tz.chunks_mut(d)).zip(jac.iter_mut());
                for ((theta, t), j) in rows_in {
                    // Outside the support: any finite point for the flow, −∞ below.
                    *j = match self.support.contains(theta) {
                        true => self.support.unconstrain(theta, &mut u),
                        false => f64::NEG_INFINITY,
                    };
                    if j.is_finite() {
                        self.theta_z.apply(&u, t);
                    }
                }
                let c = &xz[..m * self.x_dim()];
                let (p, flow) = (&self.params, &self.flow);
                flow.transform_batch(p, &tz, c, &mut z, lp, &mut tape);
                for ((l, zj), j) in lp.iter_mut().zip(z.chunks(d)).zip(&jac) {
                    *l += standard_normal_log_density(zj) - offset + j;
                }
            });
        Ok(out)
    }

    /// The standardized observation repeated `n` times (the batched calls' n × c context).
    fn repeated_context(&self, x: &[f64], n: usize) -> Result<Vec<f64>, NpeError> {
        Ok(self.standardize_x(x)?.repeat(n))
    }

    /// Draws `n` samples from q(θ | x) without leakage correction, in parallel (the flow's
    /// batched inverse over chunks of 64 draws); draw j uses stream `SAMPLE_STREAM + first + j`
    /// of `seed`, so results do not depend on the thread count.
    pub fn sample_unconstrained(
        &self,
        x: &[f64],
        n: usize,
        seed: u64,
        first: u64,
    ) -> Result<Vec<f64>, NpeError> {
        self.check_x(x)?;
        let d = self.theta_dim();
        let xz = self.repeated_context(x, CHUNK.min(n))?;
        let mut out = vec![0.0; n * d];
        out.par_chunks_mut(CHUNK * d)
            .enumerate()
            .for_each(|(c, chunk)| {
                let m = chunk.len() / d;
                let mut tape = vec![0.0; self.flow.batch_tape_len(m)];
                let (mut z, mut tz, mut ld) = (vec![0.0; m * d], vec![0.0; m * d], vec![0.0; m]);
                for (k, zk) in z.chunks_mut(d).enumerate() {
                    let j = (c * CHUNK + k) as u64;
                    let mut rng = seeded(seed, SAMPLE_STREAM + first + j);
                    crate::rng::fill_standard_normal(&mut rng, zk);
                }
                let ctx = &xz[..m * self.x_dim()];
                let (p, flow) = (&self.params, &self.flow);
                flow.inverse_batch(p, &z, ctx, &mut tz, &mut ld, &mut tape);
                let mut u = vec![0.0; d];
                for (t, row) in tz.chunks(d).zip(chunk.chunks_mut(d)) {
                    self.theta_z.invert(t, &mut u);
                    self.support.constrain(&u, row);
                }
            });
        Ok(out)
    }

    /// Draws `n` posterior samples given `x` (inside the support by construction), rejecting
    /// draws outside a box kept for rejection (when the estimator has one) until `n` are
    /// accepted.
    pub fn sample(
        &self,
        x: &[f64],
        n: usize,
        settings: &SampleSettings,
    ) -> Result<PosteriorSamples, NpeError> {
        let d = self.theta_dim();
        let mut samples = Vec::with_capacity(n * d);
        let mut drawn = 0usize;
        let mut generated = 0usize;
        let max_draws = n.saturating_mul(settings.max_draws_per_sample).max(1000);
        while samples.len() < n * d {
            let missing = n - samples.len() / d;
            let rate = if drawn == 0 {
                1.0
            } else {
                (samples.len() / d) as f64 / drawn as f64
            };
            let batch = ((missing as f64 / rate.max(1e-3)) * 1.1).ceil() as usize + 16;
            let batch = batch.min(max_draws.saturating_sub(generated));
            if batch == 0 {
                return Err(NpeError::Leakage {
                    num_accepted: samples.len() / d,
                    num_drawn: drawn,
                    rate,
                });
            }
            let draws = self.sample_unconstrained(x, batch, settings.seed, generated as u64)?;
            generated += batch;
            for row in draws.chunks(d) {
                if samples.len() == n * d {
                    break;
                }
                drawn += 1;
                if self.bounds.as_ref().is_none_or(|b| b.contains(row)) {
                    samples.extend_from_slice(row);
                }
            }
        }
        // Draws after the n-th acceptance were never examined and do not count.
        let acceptance_rate = if drawn == 0 {
            1.0
        } else {
            n as f64 / drawn as f64
        };
        Ok(PosteriorSamples {
            samples,
            dim: d,
            num_drawn: drawn,
            acceptance_rate,
            low_acceptance: acceptance_rate < settings.warn_acceptance,
        })
    }
}

/// log N(z; 0, I).
pub(crate) fn standard_normal_log_density(z: &[f64]) -> f64 {
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    -0.5 * z.iter().map(|v| v * v).sum::<f64>() - 0.5 * ln_2pi * z.len() as f64
}
