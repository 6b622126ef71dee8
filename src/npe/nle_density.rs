//! The posterior of NLE as a [`LogDensity`] over the prior's unconstrained parameters θ_u:
//!
//! log p(θ_u | x_1..x_T) = Σ_t log q(x_t | θ_u) + log p(θ(θ_u)) + log |dθ/dθ_u| + const,
//!
//! the likelihood from the trained [`NleEstimator`] and the prior with its Jacobian from each
//! marginal in closed form ([`Marginal::log_density_unconstrained`](super::Marginal::log_density_unconstrained)),
//! both with their gradients, so any of flowpost's samplers ([`sample`](crate::sample())) can
//! draw from it; [`constrain`](LogDensity::constrain) maps draws back to θ.

use super::{NleEstimator, NpeError, Prior, Support};
use crate::density::{DensityError, LogDensity};

/// The NLE posterior of θ given iid trials x_1..x_T, on θ_u.
///
/// ```
/// use flowpost::LogDensity;
/// use flowpost::npe::{simulate, train_nle, FlowSettings, IndependentPrior, Marginal, NleDensity, NpeSettings, TransformKind};
/// use flowpost_models::sbibm as tasks;
/// let task = tasks::task("gaussian_linear").unwrap();
/// let prior = IndependentPrior::new(vec![Marginal::Normal { mean: 0.0, sd: 0.1 }; 10]).unwrap();
/// let sims = simulate(&prior, task.simulator(), 300, 1);
/// let settings = NpeSettings {
///     flow: FlowSettings { transform: TransformKind::Affine, num_transforms: 1, hidden: vec![8], ..Default::default() },
///     max_epochs: 2,
///     ..Default::default()
/// };
/// let (nle, _) = train_nle(&sims, &prior, &settings, &flowpost::progress::NoProgress).unwrap();
/// // Two iid trials, row-major.
/// let x_o = [sims.x(0), sims.x(1)].concat();
/// let posterior = NleDensity::new(&nle, &x_o).unwrap();
/// assert_eq!((posterior.dim(), posterior.num_trials()), (10, 2));
/// assert!(flowpost::check_gradient(&posterior, &[0.01; 10], 1e-5).unwrap().max_rel_error < 1e-5);
/// assert!(NleDensity::new(&nle, &x_o[..15]).is_err()); // not a whole number of trials
/// ```
#[derive(Debug)]
pub struct NleDensity<'a> {
    estimator: &'a NleEstimator,
    x_o: Vec<f64>,
    num_trials: usize,
    support: Support,
}

impl<'a> NleDensity<'a> {
    /// The posterior given the iid trials `x_o` (row-major, `x_dim` values per trial, at least
    /// one trial, all finite); errors name what is wrong.
    pub fn new(estimator: &'a NleEstimator, x_o: &[f64]) -> Result<Self, NpeError> {
        let num_trials = estimator.check_trials(x_o)?;
        Ok(NleDensity {
            estimator,
            x_o: x_o.to_vec(),
            num_trials,
            support: estimator.prior().support(),
        })
    }

    /// Number of iid trials T.
    pub fn num_trials(&self) -> usize {
        self.num_trials
    }

    /// The trials, row-major.
    pub fn x_o(&self) -> &[f64] {
        &self.x_o
    }
}

impl LogDensity for NleDensity<'_> {
    fn dim(&self) -> usize {
        self.estimator.theta_dim()
    }

    fn log_density(&self, theta_u: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        if let Some(i) = theta_u.iter().position(|v| !v.is_finite()) {
            return Err(DensityError::recoverable(format!(
                "θ_u[{}] is {}",
                i + 1,
                theta_u[i]
            )));
        }
        let mut prior = 0.0;
        let marginals = self.estimator.prior().marginals();
        for ((m, &u), g) in marginals.iter().zip(theta_u).zip(grad.iter_mut()) {
            let (lp, d) = m.log_density_unconstrained(u);
            prior += lp;
            *g = d;
        }
        let mut g_like = vec![0.0; theta_u.len()];
        let like = self
            .estimator
            .sum_log_q(&self.x_o, self.num_trials, theta_u, Some(&mut g_like));
        grad.iter_mut().zip(&g_like).for_each(|(g, l)| *g += l);
        let lp = like + prior;
        match lp.is_finite() {
            true => Ok(lp),
            false => Err(DensityError::recoverable(format!(
                "log-likelihood {like}, log-prior {prior}"
            ))),
        }
    }

    fn param_names(&self) -> Vec<String> {
        self.estimator.prior().names().to_vec()
    }

    fn constrain(&self, theta_u: &[f64], out: &mut [f64]) {
        self.support.constrain(theta_u, out);
    }

    fn try_unconstrain(&self, constrained: &[f64]) -> Option<Result<Vec<f64>, DensityError>> {
        let names = self.estimator.prior().names();
        Some(match self.support.first_outside(constrained) {
            Some(i) => Err(DensityError::fatal(format!(
                "`{}` = {} lies outside its support {}",
                names[i],
                constrained[i],
                self.support.describe(i)
            ))),
            None => {
                let mut u = vec![0.0; constrained.len()];
                self.support.unconstrain(constrained, &mut u);
                Ok(u)
            }
        })
    }
}
