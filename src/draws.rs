//! Posterior draws and per-draw sampler statistics: what a run gives back.
//!
//! Layout: one [`ChainDraws`] per chain, each holding its draws draw-major
//! (`values[draw * num_params + param]`) in the *constrained* parameterization named by
//! [`Draws::param_names`], plus one [`DrawStats`] per draw in CmdStan's vocabulary.

/// Sampler statistics of one draw, named as in CmdStan's CSV (`lp__`, `accept_stat__`, …).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct DrawStats {
    /// Log density of the target at the draw (unconstrained space, Jacobian included, up to a
    /// constant); for NeuTra the target's, not the latent density.
    pub lp: f64,
    /// Mean Metropolis acceptance probability over the tree (`accept_stat__`).
    pub accept_stat: f64,
    /// Step size used for this draw (`stepsize__`).
    pub step_size: f64,
    /// Tree depth (`treedepth__`).
    pub tree_depth: u64,
    /// Number of leapfrog steps (`n_leapfrog__`).
    pub n_leapfrog: u64,
    /// Whether the trajectory diverged (`divergent__`).
    pub divergent: bool,
    /// Hamiltonian at the draw (`energy__`).
    pub energy: f64,
}

/// The draws of one chain.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChainDraws {
    /// Draw-major constrained values: `values[draw * num_params + param]`.
    pub values: Vec<f64>,
    /// One entry per draw.
    pub stats: Vec<DrawStats>,
    /// Statistics of the warmup draws (may be empty when read from a file without them).
    pub warmup_stats: Vec<DrawStats>,
    /// Draw-major constrained values of the warmup draws, like `values` (empty when unknown:
    /// a file saved without them).
    pub warmup_values: Vec<f64>,
    /// Step size after adaptation, when known.
    pub adapted_step_size: Option<f64>,
    /// Diagonal of the adapted inverse mass matrix, when known.
    pub inv_mass_diag: Option<Vec<f64>>,
}

/// Draws of all chains of one run.
///
/// ```
/// use flowpost::{ChainDraws, Draws, DrawStats};
/// let chain = ChainDraws {
///     values: vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0], // 3 draws of (a, b)
///     stats: vec![DrawStats::default(); 3],
///     ..Default::default()
/// };
/// let draws = Draws::new(vec!["a".into(), "b".into()], vec![chain]).unwrap();
/// assert_eq!(draws.num_draws(), 3);
/// assert_eq!(draws.param(1), vec![vec![10.0, 20.0, 30.0]]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draws {
    /// Names of the constrained parameters, Stan style (`theta[1]`).
    pub param_names: Vec<String>,
    /// One entry per chain; all chains have the same number of draws.
    pub chains: Vec<ChainDraws>,
}

/// Inconsistent draws.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DrawsError {
    /// A chain's value count is not a multiple of the parameter count, or differs from its
    /// stats count.
    #[error("chain {chain}: {values} values for {params} parameters and {stats} draws")]
    Ragged {
        /// Chain number (1-based, as in messages).
        chain: usize,
        /// Number of values.
        values: usize,
        /// Number of parameters.
        params: usize,
        /// Number of stats rows.
        stats: usize,
    },
    /// Chains have different lengths.
    #[error("chain {chain} has {got} draws, chain 1 has {expected}")]
    UnequalChains {
        /// Chain number (1-based, as in messages).
        chain: usize,
        /// Its draws.
        got: usize,
        /// Draws of the first chain.
        expected: usize,
    },
}

impl Draws {
    /// Checks that every chain holds `num_draws × num_params` values and as many stats rows.
    pub fn new(param_names: Vec<String>, chains: Vec<ChainDraws>) -> Result<Self, DrawsError> {
        let p = param_names.len();
        let mut expected = None;
        for (i, c) in chains.iter().enumerate() {
            let n = c.stats.len();
            if c.values.len() != n * p {
                return Err(DrawsError::Ragged {
                    chain: i + 1,
                    values: c.values.len(),
                    params: p,
                    stats: n,
                });
            }
            match expected {
                None => expected = Some(n),
                Some(e) if e != n => {
                    return Err(DrawsError::UnequalChains {
                        chain: i + 1,
                        got: n,
                        expected: e,
                    });
                }
                _ => {}
            }
        }
        Ok(Draws {
            param_names,
            chains,
        })
    }

    /// Number of chains.
    pub fn num_chains(&self) -> usize {
        self.chains.len()
    }

    /// Number of post-warmup draws per chain.
    pub fn num_draws(&self) -> usize {
        self.chains.first().map_or(0, |c| c.stats.len())
    }

    /// Number of constrained parameters.
    pub fn num_params(&self) -> usize {
        self.param_names.len()
    }

    /// The draws of parameter `index` as `chains × draws`.
    #[track_caller]
    pub fn param(&self, index: usize) -> Vec<Vec<f64>> {
        assert!(
            index < self.num_params(),
            "parameter index {index} out of range"
        );
        let p = self.num_params();
        self.chains
            .iter()
            .map(|c| c.values.iter().skip(index).step_by(p).copied().collect())
            .collect()
    }

    /// The draws of the parameter called `name`, if there is one.
    pub fn param_by_name(&self, name: &str) -> Option<Vec<Vec<f64>>> {
        self.param_names
            .iter()
            .position(|n| n == name)
            .map(|i| self.param(i))
    }

    /// A per-draw statistic as `chains × draws`.
    pub fn stat(&self, f: impl Fn(&DrawStats) -> f64) -> Vec<Vec<f64>> {
        self.chains
            .iter()
            .map(|c| c.stats.iter().map(&f).collect())
            .collect()
    }

    /// Number of divergent post-warmup draws over all chains.
    pub fn num_divergent(&self) -> usize {
        self.chains
            .iter()
            .flat_map(|c| &c.stats)
            .filter(|s| s.divergent)
            .count()
    }
}
