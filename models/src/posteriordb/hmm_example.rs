//! posteriordb `hmm_example-hmm_example`: a two-state hidden Markov model, marginalised with
//! the forward algorithm and differentiated by forward-mode autodiff.

use flowpost::DensityError;
use flowpost::autodiff::{AdScalar, ForwardAd, GenericLogDensity};
use flowpost::transforms::{PositiveOrdered, Simplex, VectorTransform};
use serde::Deserialize;

use crate::data::HMM_EXAMPLE;
use crate::math::check_len;
use crate::{BuiltinModel, ModelError};

/// `theta1, theta2` simplex[2] (rows of the transition matrix, implicit uniform priors),
/// `mu` positive_ordered[2] with `mu[1] ~ normal(3, 1)`, `mu[2] ~ normal(10, 1)`;
/// `y[t] ~ normal(mu[z_t], 1)` with the hidden states summed out by the forward algorithm
/// (N = 100). Unconstrained (4): the two simplexes' stick-breaking coordinates
/// (`logit theta1[1]`, `logit theta2[1]`) and `mu`'s positive-ordered coordinates.
/// Reported: `theta1[1..2]`, `theta2[1..2]`, `mu[1..2]`. (Stan 2.39 parameterises a
/// `simplex[2]` by `y = u / √2`; see [`flowpost::transforms::Simplex`].)
///
/// ```
/// use flowpost::LogDensity;
/// let m = flowpost_models::HmmExample::new().unwrap().with_gradient();
/// assert_eq!((m.dim(), m.param_names().len()), (4, 6));
/// ```
#[derive(Debug, Clone)]
pub struct HmmExample {
    y: Vec<f64>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "N")]
    n: usize,
    #[serde(rename = "K")]
    k: usize,
    y: Vec<f64>,
}

const NAME: &str = "hmm_example-hmm_example";
const SIMPLEX: Simplex = Simplex::new(2);
const MU: PositiveOrdered = PositiveOrdered::new(2);

/// The autodiff chunk size: one pass for the 4 dimensions.
pub const HMM_EXAMPLE_CHUNK: usize = 4;

impl HmmExample {
    /// Loads the embedded data.
    pub fn new() -> Result<Self, ModelError> {
        let d: Data = HMM_EXAMPLE.parse(NAME)?;
        HMM_EXAMPLE.check_len(NAME, "y", d.y.len(), d.n)?;
        if d.k != 2 {
            return Err(HMM_EXAMPLE.error(
                NAME,
                format!(
                    "the model is written for K = 2 states, the data have K = {}",
                    d.k
                ),
            ));
        }
        if d.n == 0 {
            return Err(HMM_EXAMPLE.error(NAME, "N must be positive"));
        }
        Ok(HmmExample { y: d.y })
    }

    /// The [`flowpost::LogDensity`] with an exact gradient by forward-mode autodiff.
    pub fn with_gradient(self) -> ForwardAd<Self, HMM_EXAMPLE_CHUNK> {
        ForwardAd::new(self)
    }

    /// Constrained `(theta1, theta2, mu)` and the total log-Jacobian.
    fn transform<T: AdScalar>(u: &[T]) -> ([T; 2], [T; 2], [T; 2], T) {
        let zero = T::from(0.0);
        let (mut t1, mut t2, mut mu) = ([zero; 2], [zero; 2], [zero; 2]);
        let lj = SIMPLEX.constrain(&u[0..1], &mut t1)
            + SIMPLEX.constrain(&u[1..2], &mut t2)
            + MU.constrain(&u[2..4], &mut mu);
        (t1, t2, mu, lj)
    }
}

fn log_sum_exp<T: AdScalar>(a: T, b: T) -> T {
    let m = if a.re() > b.re() { a } else { b };
    m + ((a - m).exp() + (b - m).exp()).ln()
}

impl GenericLogDensity for HmmExample {
    fn dim(&self) -> usize {
        4
    }

    fn log_density<T: AdScalar>(&self, u: &[T], _scratch: &mut Vec<T>) -> Result<T, DensityError> {
        check_len(NAME, "theta", u.len(), 4);
        let (t1, t2, mu, log_j) = Self::transform(u);
        // log transition probabilities: row j = theta[j], from state j to state k
        let log_tr = [[t1[0].ln(), t1[1].ln()], [t2[0].ln(), t2[1].ln()]];
        let emit = |y: f64, k: usize| {
            let r = mu[k] - y;
            r * r * -0.5
        };
        let mut gamma = [emit(self.y[0], 0), emit(self.y[0], 1)];
        for &y in &self.y[1..] {
            let next = [0, 1].map(|k| {
                log_sum_exp(gamma[0] + log_tr[0][k], gamma[1] + log_tr[1][k]) + emit(y, k)
            });
            gamma = next;
        }
        let (d1, d2) = (mu[0] - 3.0, mu[1] - 10.0);
        Ok(log_sum_exp(gamma[0], gamma[1]) - (d1 * d1 + d2 * d2) * 0.5 + log_j)
    }

    fn param_names(&self) -> Vec<String> {
        [
            "theta1[1]",
            "theta1[2]",
            "theta2[1]",
            "theta2[2]",
            "mu[1]",
            "mu[2]",
        ]
        .map(String::from)
        .to_vec()
    }

    fn constrain(&self, u: &[f64], out: &mut [f64]) {
        let (t1, t2, mu, _) = Self::transform(u);
        out.copy_from_slice(&[t1[0], t1[1], t2[0], t2[1], mu[0], mu[1]]);
    }
}

impl<const N: usize> BuiltinModel for ForwardAd<HmmExample, N> {
    #[track_caller]
    fn unconstrain(&self, c: &[f64]) -> Vec<f64> {
        check_len(NAME, "constrained", c.len(), 6);
        let mut u = vec![0.0; 4];
        SIMPLEX.unconstrain(&c[0..2], &mut u[0..1]);
        SIMPLEX.unconstrain(&c[2..4], &mut u[1..2]);
        MU.unconstrain(&c[4..6], &mut u[2..4]);
        u
    }
    fn log_jacobian(&self, u: &[f64]) -> f64 {
        HmmExample::transform(u).3
    }
}
