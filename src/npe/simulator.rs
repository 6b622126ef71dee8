//! Simulators and simulated training sets. [`simulate`] draws θ from a prior and x from a
//! simulator for every item in parallel; item i uses its own random stream, so the table is the
//! same for a seed whatever the thread count.

use super::{NpeError, Prior};
use crate::rng::seeded;
use rayon::prelude::*;

/// Stream ids ≥ this are reserved for simulation items (item i uses `SIMULATION_STREAM + i`).
pub const SIMULATION_STREAM: u64 = crate::rng::streams::NPE_SIMULATION.first;

/// A stochastic simulator x ~ p(x | θ).
pub trait Simulator: Send + Sync + std::fmt::Debug {
    /// Dimension of θ.
    fn theta_dim(&self) -> usize;
    /// Dimension of x.
    fn data_dim(&self) -> usize;
    /// Writes one draw of x given θ. Non-finite outputs are allowed (training drops them).
    fn simulate(&self, theta: &[f64], rng: &mut dyn rand::Rng, x: &mut [f64]);
}

/// Paired simulations, row-major: row i is (θ_i, x_i).
#[derive(Debug, Clone, PartialEq)]
pub struct Simulations {
    theta_dim: usize,
    x_dim: usize,
    theta: Vec<f64>,
    x: Vec<f64>,
}

impl Simulations {
    /// Pairs row-major tables; errors when the row counts or lengths disagree.
    ///
    /// ```
    /// let s = flowpost::npe::Simulations::new(1, 2, vec![0.5, 1.0], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    /// assert_eq!(s.len(), 2);
    /// assert!(flowpost::npe::Simulations::new(1, 2, vec![0.5], vec![1.0, 2.0, 3.0, 4.0]).is_err());
    /// ```
    pub fn new(
        theta_dim: usize,
        x_dim: usize,
        theta: Vec<f64>,
        x: Vec<f64>,
    ) -> Result<Self, NpeError> {
        if theta_dim == 0 || x_dim == 0 {
            return Err(NpeError::Settings {
                field: "dimensions",
                reason: "θ and x need at least one column".into(),
            });
        }
        if !theta.len().is_multiple_of(theta_dim) || !x.len().is_multiple_of(x_dim) {
            return Err(NpeError::Settings {
                field: "tables",
                reason: "table length is not a multiple of its row width".into(),
            });
        }
        let (rt, rx) = (theta.len() / theta_dim, x.len() / x_dim);
        if rt != rx {
            return Err(NpeError::RowMismatch {
                theta_rows: rt,
                x_rows: rx,
            });
        }
        Ok(Simulations {
            theta_dim,
            x_dim,
            theta,
            x,
        })
    }

    /// Pairs a θ table with an x table (rows pair up by position).
    pub fn from_tables(theta: &super::Table, x: &super::Table) -> Result<Self, NpeError> {
        if theta.num_rows() != x.num_rows() {
            return Err(NpeError::RowMismatch {
                theta_rows: theta.num_rows(),
                x_rows: x.num_rows(),
            });
        }
        Self::new(
            theta.num_cols(),
            x.num_cols(),
            theta.values.clone(),
            x.values.clone(),
        )
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.theta.len() / self.theta_dim
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.theta.is_empty()
    }

    /// Dimension of θ.
    pub fn theta_dim(&self) -> usize {
        self.theta_dim
    }

    /// Dimension of x.
    pub fn x_dim(&self) -> usize {
        self.x_dim
    }

    /// θ of row i.
    pub fn theta(&self, i: usize) -> &[f64] {
        &self.theta[i * self.theta_dim..(i + 1) * self.theta_dim]
    }

    /// x of row i.
    pub fn x(&self, i: usize) -> &[f64] {
        &self.x[i * self.x_dim..(i + 1) * self.x_dim]
    }

    /// The same table without rows holding a non-finite value, and how many were dropped.
    pub fn finite_rows(&self) -> (Simulations, usize) {
        let keep: Vec<usize> = (0..self.len())
            .filter(|&i| {
                self.theta(i).iter().all(|v| v.is_finite())
                    && self.x(i).iter().all(|v| v.is_finite())
            })
            .collect();
        let dropped = self.len() - keep.len();
        let theta = keep
            .iter()
            .flat_map(|&i| self.theta(i).iter().copied())
            .collect();
        let x = keep
            .iter()
            .flat_map(|&i| self.x(i).iter().copied())
            .collect();
        (
            Simulations {
                theta_dim: self.theta_dim,
                x_dim: self.x_dim,
                theta,
                x,
            },
            dropped,
        )
    }
}

/// Draws `n` pairs θ ~ prior, x ~ simulator(θ) in parallel, reproducibly for `seed`.
///
/// ```
/// use flowpost::npe::simulate;
/// use flowpost_models::sbibm as tasks;
/// let task = tasks::task("two_moons").unwrap();
/// let sims = simulate(task.prior(), task.simulator(), 100, 7);
/// assert_eq!(sims.len(), 100);
/// assert_eq!(sims, simulate(task.prior(), task.simulator(), 100, 7));
/// ```
#[track_caller]
pub fn simulate(prior: &dyn Prior, simulator: &dyn Simulator, n: usize, seed: u64) -> Simulations {
    simulate_rows(prior, simulator, 0..n, seed)
}

/// Rows `rows` of the table [`simulate`] draws for `seed` (row j from stream
/// [`SIMULATION_STREAM`] + j): a shard of a simulation run spread over several machines.
/// Consecutive ranges concatenated equal one [`simulate`] call over their union, row for row.
///
/// ```
/// use flowpost::npe::{simulate, simulate_rows};
/// use flowpost_models::sbibm as tasks;
/// let task = tasks::task("slcp").unwrap();
/// let (p, s) = (task.prior(), task.simulator());
/// let whole = simulate(p, s, 10, 3);
/// let tail = simulate_rows(p, s, 4..10, 3);
/// assert_eq!(tail.theta(0), whole.theta(4));
/// assert_eq!(tail.x(5), whole.x(9));
/// ```
#[track_caller]
pub fn simulate_rows(
    prior: &dyn Prior,
    simulator: &dyn Simulator,
    rows: std::ops::Range<usize>,
    seed: u64,
) -> Simulations {
    let (dt, dx) = (simulator.theta_dim(), simulator.data_dim());
    assert_eq!(prior.dim(), dt, "prior and simulator disagree on dim(θ)");
    let n = rows.len();
    let mut theta = vec![0.0; n * dt];
    let mut x = vec![0.0; n * dx];
    theta
        .par_chunks_mut(dt)
        .zip(x.par_chunks_mut(dx))
        .enumerate()
        .for_each(|(i, (t, xi))| {
            let row = (rows.start + i) as u64;
            let mut rng = seeded(seed, SIMULATION_STREAM + row);
            prior.sample(&mut rng, t);
            simulator.simulate(t, &mut rng, xi);
        });
    Simulations {
        theta_dim: dt,
        x_dim: dx,
        theta,
        x,
    }
}
