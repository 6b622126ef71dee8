//! What a run cost, by phase: gradient evaluations and seconds. One record serves the run made
//! in this process (everything known: [`CostReport`]) and the report of a run read back from
//! files, where some phases are unknown ([`PartialCost`], the same record with `Option`s).

/// Gradient evaluations per phase (`summary.json` `run.num_grad_evals`). `T` is `u64` for a run
/// made in this process and `Option<u64>` where a phase can be unknown (e.g. the warmup of a CSV
/// saved without warmup draws).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct GradEvals<T = u64> {
    /// Variational fit (initialization, training, final estimate) or any other preparation
    /// (auto's Gaussian fit and pilot, the multimodal mode search).
    pub vi: T,
    /// NUTS warmup, all chains.
    pub warmup: T,
    /// NUTS sampling, all chains.
    pub sampling: T,
}

impl GradEvals {
    /// Everything.
    ///
    /// ```
    /// let g = flowpost::GradEvals { vi: 5, warmup: 10, sampling: 20 };
    /// assert_eq!(g.total(), 35);
    /// ```
    pub fn total(&self) -> u64 {
        self.vi + self.warmup + self.sampling
    }
}

impl GradEvals<Option<u64>> {
    /// The sum over the known phases.
    ///
    /// ```
    /// let g = flowpost::GradEvals { vi: None, warmup: Some(10), sampling: Some(20) };
    /// assert_eq!(g.total_known(), 30);
    /// ```
    pub fn total_known(&self) -> u64 {
        self.vi.unwrap_or(0) + self.warmup.unwrap_or(0) + self.sampling.unwrap_or(0)
    }
}

/// Wall-clock seconds per phase (`summary.json` `run.seconds`). Chains overlap, so NUTS wall
/// time is split between warmup and sampling in proportion to the chains' own time in each. `T`
/// as in [`GradEvals`].
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Seconds<T = f64> {
    /// Variational fit (or other preparation, as in [`GradEvals::vi`]).
    pub vi: T,
    /// NUTS warmup.
    pub warmup: T,
    /// NUTS sampling.
    pub sampling: T,
    /// The whole run.
    pub total: T,
}

/// What a run cost: gradient evaluations and seconds per phase. The defaults are a run made in
/// this process, where everything is known; [`PartialCost`] is the same record read back from
/// files.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CostReport<G = u64, S = f64> {
    /// Gradient evaluations.
    pub num_grad_evals: GradEvals<G>,
    /// Seconds.
    pub seconds: Seconds<S>,
}

/// A [`CostReport`] where any phase may be unknown (`null` in `summary.json`).
pub type PartialCost = CostReport<Option<u64>, Option<f64>>;

impl From<CostReport> for PartialCost {
    /// Every phase known.
    ///
    /// ```
    /// use flowpost::{CostReport, PartialCost};
    /// let mut cost = CostReport::default();
    /// cost.num_grad_evals.sampling = 7;
    /// let known = PartialCost::from(cost);
    /// assert_eq!(known.num_grad_evals.sampling, Some(7));
    /// assert_eq!(known.seconds.total, Some(0.0));
    /// ```
    fn from(c: CostReport) -> PartialCost {
        let (g, s) = (c.num_grad_evals, c.seconds);
        CostReport {
            num_grad_evals: GradEvals {
                vi: Some(g.vi),
                warmup: Some(g.warmup),
                sampling: Some(g.sampling),
            },
            seconds: Seconds {
                vi: Some(s.vi),
                warmup: Some(s.warmup),
                sampling: Some(s.sampling),
                total: Some(s.total),
            },
        }
    }
}
