//! Ensembles of posterior estimators: K estimators (trained with different seeds, hence
//! different initial weights, shuffles and train/validation splits) used as the equal-weight
//! mixture q(θ | x) = 1/K Σ_k q_k(θ | x). Its density is the log-mean-exp of the members'
//! log densities; a draw picks its member uniformly from its own random stream (so draws are
//! reproducible whatever the thread count) and is then that member's draw.
//!
//! An ensemble is an [`NpeEstimator`] holding members 2..K beside member 1's own flow; every
//! method that reads a density or draws uses the mixture, the accessors of the flow and its
//! parameters describe member 1. All members share θ's support, x's preprocessing, the
//! labels and the dimensions; each has its own flow, parameters and z-scoring.

use super::{NpeError, NpeEstimator};
use crate::rng::seeded;
use rand::RngExt;

/// Stream ids from this on pick the member of ensemble draws (draw j uses
/// `ENSEMBLE_STREAM + j`).
pub const ENSEMBLE_STREAM: u64 = crate::rng::streams::NPE_ENSEMBLE.first;

impl NpeEstimator {
    /// The ensemble of `members` (at least one; one member is that estimator unchanged). They
    /// must agree in dimensions, support, x preprocessing, box bounds and labels.
    ///
    /// ```
    /// use flowpost::npe::{simulate, train, FlowSettings, NpeEstimator, NpeSettings, TransformKind};
    /// use flowpost_models::sbibm as tasks;
    /// let task = tasks::task("two_moons").unwrap();
    /// let sims = simulate(task.prior(), task.simulator(), 300, 1);
    /// let member = |seed| {
    ///     let flow = FlowSettings { transform: TransformKind::Affine, num_transforms: 1, hidden: vec![8], ..Default::default() };
    ///     train(&sims, None, &NpeSettings { flow, max_epochs: 2, seed, ..Default::default() }, &flowpost::progress::NoProgress).unwrap().0
    /// };
    /// let ens = NpeEstimator::ensemble(vec![member(1), member(2)]).unwrap();
    /// assert_eq!(ens.num_members(), 2);
    /// assert!(ens.log_prob(&[0.1, 0.2], &[0.0, 0.1]).unwrap().is_finite());
    /// ```
    pub fn ensemble(members: Vec<NpeEstimator>) -> Result<Self, NpeError> {
        let mut members = members.into_iter();
        let Some(mut head) = members.next() else {
            return Err(member_error("an ensemble needs at least one member".into()));
        };
        for (k, m) in members.enumerate() {
            let k = k + 2;
            let differs = |what: &str| member_error(format!("member {k} differs in {what}"));
            if m.theta_dim() != head.theta_dim() || m.x_dim() != head.x_dim() {
                return Err(differs("dimensions"));
            }
            if m.support != head.support || m.x_transform != head.x_transform {
                return Err(differs("support or x preprocessing"));
            }
            if m.bounds != head.bounds || m.theta_labels != head.theta_labels {
                return Err(differs("prior bounds or θ labels"));
            }
            if m.x_labels != head.x_labels {
                return Err(differs("x labels"));
            }
            // A member that is itself an ensemble contributes all of its members.
            let mut m = m;
            let nested = std::mem::take(&mut m.others);
            head.others.push(m);
            head.others.extend(nested);
        }
        Ok(head)
    }

    /// Number of ensemble members K (1: a single estimator). [`train`](super::train) with
    /// `num_members` K trains an ensemble; its densities and draws are the mixture's.
    ///
    /// ```
    /// use flowpost::npe::{simulate, train, FlowSettings, NpeSettings, SampleSettings, TransformKind};
    /// use flowpost_models::sbibm as tasks;
    /// let task = tasks::task("two_moons").unwrap();
    /// let sims = simulate(task.prior(), task.simulator(), 300, 1);
    /// let flow = FlowSettings { transform: TransformKind::Affine, num_transforms: 1, hidden: vec![8], ..Default::default() };
    /// let s = NpeSettings { flow, max_epochs: 2, seed: 3, num_members: 3, ..Default::default() };
    /// let (ens, report) = train(&sims, task.prior().bounds(), &s, &flowpost::progress::NoProgress).unwrap();
    /// assert_eq!((ens.num_members(), report.members.len()), (3, 3));
    /// let x_o = &task.observation(1).unwrap().x_o;
    /// let draws = ens.sample(x_o, 100, &SampleSettings::default()).unwrap();
    /// assert_eq!(draws.len(), 100);
    /// assert!(ens.log_prob(draws.row(0), x_o).unwrap().is_finite());
    /// ```
    pub fn num_members(&self) -> usize {
        1 + self.others.len()
    }

    /// Member k (0-based) without the others: member 0 is `self` itself, members ≥ 1 come from
    /// `others`, all evaluated alone.
    fn member(&self, k: usize) -> &NpeEstimator {
        if k == 0 { self } else { &self.others[k - 1] }
    }

    /// log (1/K Σ_k q_k(θ_j | x)) for every row, computed stably (log-sum-exp); −∞ where every
    /// member gives −∞.
    pub(crate) fn mixture_log_prob_many(
        &self,
        thetas: &[f64],
        x: &[f64],
    ) -> Result<Vec<f64>, NpeError> {
        let k = self.num_members();
        let per_member = (0..k)
            .map(|m| self.member(m).member_log_prob_many(thetas, x))
            .collect::<Result<Vec<_>, _>>()?;
        let ln_k = (k as f64).ln();
        let n = per_member[0].len();
        Ok((0..n)
            .map(|j| {
                let max = per_member
                    .iter()
                    .map(|lp| lp[j])
                    .fold(f64::NEG_INFINITY, f64::max);
                if max == f64::NEG_INFINITY {
                    return f64::NEG_INFINITY;
                }
                let sum: f64 = per_member.iter().map(|lp| (lp[j] - max).exp()).sum();
                max + sum.ln() - ln_k
            })
            .collect())
    }

    /// `n` mixture draws: draw j's member from stream `ENSEMBLE_STREAM + first + j`, its value
    /// that member's draw j (stream `SAMPLE_STREAM + first + j`).
    pub(crate) fn mixture_sample_unconstrained(
        &self,
        x: &[f64],
        n: usize,
        seed: u64,
        first: u64,
    ) -> Result<Vec<f64>, NpeError> {
        let (k, d) = (self.num_members(), self.theta_dim());
        let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); k];
        for j in 0..n {
            let mut rng = seeded(seed, ENSEMBLE_STREAM + first + j as u64);
            rows_of[rng.random_range(0..k)].push(j);
        }
        let mut out = vec![0.0; n * d];
        for (m, rows) in rows_of.iter().enumerate() {
            let ids: Vec<u64> = rows.iter().map(|&j| first + j as u64).collect();
            let draws = self.member(m).member_sample_at(x, &ids, seed)?;
            for (&j, row) in rows.iter().zip(draws.chunks(d)) {
                out[j * d..(j + 1) * d].copy_from_slice(row);
            }
        }
        Ok(out)
    }
}

fn member_error(reason: String) -> NpeError {
    NpeError::Settings {
        field: "ensemble members",
        reason,
    }
}
