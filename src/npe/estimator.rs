//! The trained posterior estimator q(θ | x): a conditional flow on the z-scored unconstrained
//! parameters u = T⁻¹(θ) (see [`Support`]) and the z-scored, optionally preprocessed x.
//! Sampling draws z ~ N(0, I), inverts the flow given x_o and maps back through the
//! standardizer and T, so every draw lies in the declared support; the density adds T's
//! Jacobian. Estimators with a box kept for rejection instead (a box support with
//! `box_rejection` on, the default; files written before supports; training with
//! `support_transform` off) reject draws outside it (`sbi`'s leakage correction) and report the
//! acceptance rate.

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
    /// Ensemble members 2..K (empty: a single estimator); see [`NpeEstimator::ensemble`].
    pub(crate) others: Vec<NpeEstimator>,
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
            others: Vec::new(),
        })
    }

    /// Sets the support the flow's parameters are unconstrained from (ℝ^d by default).
    pub fn with_support(mut self, support: Support) -> Result<Self, NpeError> {
        support.validate()?;
        super::error::dim_check("support", self.theta_dim(), support.dim())?;
        self = self.each_other(|m| m.with_support(support.clone()))?;
        self.support = support;
        Ok(self)
    }

    /// Sets the preprocessing of x applied before its z-scoring.
    pub fn with_x_transform(mut self, t: XTransform) -> Self {
        self.others = std::mem::take(&mut self.others)
            .into_iter()
            .map(|m| m.with_x_transform(t))
            .collect();
        self.x_transform = t;
        self
    }

    /// Applies a setter to ensemble members 2..K (they share θ's support, x's preprocessing
    /// and the labels with member 1).
    fn each_other(
        mut self,
        f: impl Fn(NpeEstimator) -> Result<NpeEstimator, NpeError>,
    ) -> Result<Self, NpeError> {
        self.others = std::mem::take(&mut self.others)
            .into_iter()
            .map(f)
            .collect::<Result<_, _>>()?;
        Ok(self)
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
        self = self.each_other(|m| m.with_labels(labels.clone()))?;
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
        self = self.each_other(|m| m.with_x_labels(labels.clone()))?;
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

    /// Where the draws lie: the box kept for rejection when there is one, else the support the
    /// flow's u is mapped into.
    ///
    /// ```
    /// use flowpost::npe::{NpeSettings, Prior, simulate, train};
    /// use flowpost_models::sbibm as tasks;
    /// let task = tasks::task("two_moons").unwrap();
    /// let sims = simulate(task.prior(), task.simulator(), 200, 1);
    /// let mut settings = NpeSettings { max_epochs: 1, ..Default::default() };
    /// settings.flow.hidden = vec![8];
    /// // A box prior is kept for rejection by default: the flow's support is ℝ², the draws' the box.
    /// let (est, _) = train(&sims, task.prior().bounds(), &settings, &flowpost::progress::NoProgress).unwrap();
    /// assert_eq!(est.support().describe(0), "(-∞, ∞)");
    /// assert_eq!(est.draw_support().describe(0), "(-1, 1)");
    /// ```
    pub fn draw_support(&self) -> Support {
        match &self.bounds {
            Some(b) => Support::from_bounds(b),
            None => self.support.clone(),
        }
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
    /// flow's batched calls in chunks of 64 rows). For an ensemble, the mixture's:
    /// log (1/K Σ_k q_k(θ_j | x)).
    pub fn log_prob_many(&self, thetas: &[f64], x: &[f64]) -> Result<Vec<f64>, NpeError> {
        match self.others.is_empty() {
            true => self.member_log_prob_many(thetas, x),
            false => self.mixture_log_prob_many(thetas, x),
        }
    }

    /// [`log_prob_many`](Self::log_prob_many) of this member alone (members 2..K ignored).
    pub(crate) fn member_log_prob_many(
        &self,
        thetas: &[f64],
        x: &[f64],
    ) -> Result<Vec<f64>, NpeError> {
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
    /// of `seed`, so results do not depend on the thread count. An ensemble picks the member
    /// of each draw uniformly (from its own stream, see [`ENSEMBLE_STREAM`](super::ENSEMBLE_STREAM)).
    pub fn sample_unconstrained(
        &self,
        x: &[f64],
        n: usize,
        seed: u64,
        first: u64,
    ) -> Result<Vec<f64>, NpeError> {
        match self.others.is_empty() {
            true => self.member_sample_at(x, &(first..first + n as u64).collect::<Vec<_>>(), seed),
            false => self.mixture_sample_unconstrained(x, n, seed, first),
        }
    }

    /// Draws of this member alone (members 2..K ignored) for the draw indices `draws`: draw
    /// `draws[i]` from stream `SAMPLE_STREAM + draws[i]` of `seed`, row i of the result.
    pub(crate) fn member_sample_at(
        &self,
        x: &[f64],
        draws: &[u64],
        seed: u64,
    ) -> Result<Vec<f64>, NpeError> {
        self.check_x(x)?;
        let (d, n) = (self.theta_dim(), draws.len());
        let xz = self.repeated_context(x, CHUNK.min(n))?;
        let mut out = vec![0.0; n * d];
        out.par_chunks_mut(CHUNK * d)
            .zip(draws.par_chunks(CHUNK))
            .for_each(|(chunk, ids)| {
                let m = chunk.len() / d;
                let mut tape = vec![0.0; self.flow.batch_tape_len(m)];
                let (mut z, mut tz, mut ld) = (vec![0.0; m * d], vec![0.0; m * d], vec![0.0; m]);
                for (zk, &j) in z.chunks_mut(d).zip(ids) {
                    let mut rng = seeded(seed, SAMPLE_STREAM + j);
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
}

/// log N(z; 0, I).
pub(crate) fn standard_normal_log_density(z: &[f64]) -> f64 {
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    -0.5 * z.iter().map(|v| v * v).sum::<f64>() - 0.5 * ln_2pi * z.len() as f64
}
