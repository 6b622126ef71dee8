//! The built-in benchmark tasks of sbibm (Lueckmann et al. 2021), written from the task
//! descriptions: `two_moons`, `gaussian_linear`, `gaussian_linear_uniform`, `slcp`,
//! `bernoulli_glm`. Each has a prior, a simulator and the benchmark's 10 observations (x_o,
//! θ_true), shipped in `models/src/sbibm/data/` (MIT, see the NOTICE there).

mod bernoulli_glm;
mod gaussian_linear;
mod slcp;
mod two_moons;

pub use bernoulli_glm::{BernoulliGlm, prior_precision as bernoulli_glm_prior_precision};
pub use gaussian_linear::GaussianLinear;
pub use slcp::Slcp;
pub use two_moons::TwoMoons;

use flowpost::npe::{BoxUniform, GaussianPrior, NpeError, Prior, Simulator};

/// Names of the built-in tasks.
pub const TASK_NAMES: [&str; 5] = [
    "two_moons",
    "gaussian_linear",
    "gaussian_linear_uniform",
    "slcp",
    "bernoulli_glm",
];

/// One benchmark observation.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TaskObservation {
    /// The observed data.
    pub x_o: Vec<f64>,
    /// The parameters it was simulated from.
    pub theta_true: Vec<f64>,
    /// sbibm's seed for it.
    pub observation_seed: u64,
}

#[derive(serde::Deserialize)]
struct TaskData {
    observations: Vec<TaskObservation>,
    #[serde(default, rename = "stimulus_I")]
    stimulus: Vec<f64>,
}

/// A prior, a simulator and reference observations.
#[derive(Debug)]
pub struct Task {
    name: &'static str,
    prior: Box<dyn Prior>,
    simulator: Box<dyn Simulator>,
    observations: Vec<TaskObservation>,
}

impl Task {
    /// The task's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// The prior.
    pub fn prior(&self) -> &dyn Prior {
        self.prior.as_ref()
    }
    /// The simulator.
    pub fn simulator(&self) -> &dyn Simulator {
        self.simulator.as_ref()
    }
    /// All observations (benchmark numbering starts at 1).
    pub fn observations(&self) -> &[TaskObservation] {
        &self.observations
    }
    /// Observation `k` (1-based, as in sbibm).
    pub fn observation(&self, k: usize) -> Result<&TaskObservation, NpeError> {
        if k == 0 || k > self.observations.len() {
            return Err(NpeError::Observation {
                index: k,
                count: self.observations.len(),
            });
        }
        Ok(&self.observations[k - 1])
    }
}

fn data(name: &str) -> TaskData {
    let text = match name {
        "two_moons" => include_str!("data/two_moons.json"),
        "gaussian_linear" => include_str!("data/gaussian_linear.json"),
        "gaussian_linear_uniform" => include_str!("data/gaussian_linear_uniform.json"),
        "slcp" => include_str!("data/slcp.json"),
        "bernoulli_glm" => include_str!("data/bernoulli_glm.json"),
        _ => unreachable!("checked by the caller"),
    };
    serde_json::from_str(text).expect("shipped task data parses")
}

/// The built-in task `name`.
///
/// ```
/// let t = flowpost_models::sbibm::task("slcp").unwrap();
/// assert_eq!((t.prior().dim(), t.simulator().data_dim()), (5, 8));
/// assert_eq!(t.observations().len(), 10);
/// ```
pub fn task(name: &str) -> Result<Task, NpeError> {
    let Some(&name) = TASK_NAMES.iter().find(|&&n| n == name) else {
        return Err(NpeError::UnknownTask {
            name: name.to_string(),
        });
    };
    let data = data(name);
    let uniform = |d: usize, b: f64| BoxUniform::new(vec![-b; d], vec![b; d]);
    let (prior, simulator): (Box<dyn Prior>, Box<dyn Simulator>) = match name {
        "two_moons" => (Box::new(uniform(2, 1.0)?), Box::new(TwoMoons)),
        "gaussian_linear" => (
            Box::new(GaussianPrior::isotropic(10, 0.1)?),
            Box::new(GaussianLinear {
                dim: 10,
                variance: 0.1,
            }),
        ),
        "gaussian_linear_uniform" => (
            Box::new(uniform(10, 1.0)?),
            Box::new(GaussianLinear {
                dim: 10,
                variance: 0.1,
            }),
        ),
        "slcp" => (Box::new(uniform(5, 3.0)?), Box::new(Slcp)),
        "bernoulli_glm" => (
            Box::new(bernoulli_glm::prior()?),
            Box::new(BernoulliGlm::new(&data.stimulus)),
        ),
        _ => unreachable!(),
    };
    Ok(Task {
        name,
        prior,
        simulator,
        observations: data.observations,
    })
}
