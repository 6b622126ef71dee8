//! `summary.json`: the parameter summaries plus what the run was and what it cost.
//!
//! ```json
//! {"parameters": [{"name": "theta[1]", "mean": …, "sd": …, "q5": …, "q50": …, "q95": …,
//!                  "mcse_mean": …, "ess_bulk": …, "ess_tail": …, "r_hat": …}, …],
//!  "run": {"method": "neutra", "chains": 4, "draws_per_chain": 1000, "divergences": 0,
//!          "grad_evals": {"vi": …, "warmup": …, "sampling": …},
//!          "seconds": {"vi": …, "warmup": …, "sampling": …, "total": …}},
//!  "vi": {"elbo": …, "pareto_k": …, "steps": …} | null}
//! ```

use crate::diagnostics::ParamSummary;
use crate::sample::{GradEvals, Run, Seconds};

/// The `run` object.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunSummary {
    /// `neutra` or `nuts`.
    pub method: &'static str,
    /// Chains.
    pub chains: usize,
    /// Post-warmup draws per chain.
    pub draws_per_chain: usize,
    /// Warmup draws per chain.
    pub tune_per_chain: u64,
    /// Divergent post-warmup transitions over all chains.
    pub divergences: usize,
    /// Divergent warmup transitions over all chains.
    pub warmup_divergences: usize,
    /// Seed.
    pub seed: u64,
    /// Gradient evaluations per phase.
    pub grad_evals: GradEvals,
    /// Seconds per phase.
    pub seconds: Seconds,
}

/// The `vi` object.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ViSummary {
    /// Final ELBO estimate.
    pub elbo: f64,
    /// Its Monte Carlo standard error.
    pub elbo_mcse: f64,
    /// Pareto k-hat of p/q on fresh draws.
    pub pareto_k: f64,
    /// Optimization steps.
    pub steps: usize,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SummaryDocument {
    /// Per-parameter summaries.
    pub parameters: Vec<ParamSummary>,
    /// The run.
    pub run: RunSummary,
    /// The variational fit, when one was run in this process.
    pub vi: Option<ViSummary>,
}

impl SummaryDocument {
    /// Builds the document for a run from its parameter summaries.
    pub fn new(run: &Run, parameters: Vec<ParamSummary>) -> Self {
        SummaryDocument {
            parameters,
            run: RunSummary {
                method: run.method.name(),
                chains: run.draws.num_chains(),
                draws_per_chain: run.draws.num_draws(),
                tune_per_chain: run.num_tune,
                divergences: run.draws.num_divergent(),
                warmup_divergences: run.num_warmup_divergent(),
                seed: run.seed,
                grad_evals: run.cost.grad_evals,
                seconds: run.cost.seconds,
            },
            vi: run.vi.as_ref().map(|v| ViSummary {
                elbo: v.elbo,
                elbo_mcse: v.elbo_mcse,
                pareto_k: v.pareto_k,
                steps: v.num_steps,
            }),
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("summary serializes")
    }
}
