//! Run facts (`summary.json` `run`): the method, the counts and what the run cost — one record
//! for a run made in this process ([`RunFacts::from_run`]) and one read back from its files
//! ([`RunFacts::from_draws`], with the unknown phases `null`).

use crate::Draws;
use crate::sample::{CostReport, GradEvals, Method, PartialCost, Seconds};

/// The method a run used: one of flowpost's, or another tool's as its files name it. Written as
/// its name (`"auto"`, `"neutra"`, `"nuts"`, `"multimodal"`, or e.g. `"cmdstan"`).
///
/// ```
/// use flowpost::Method;
/// use flowpost::report::RunMethod;
/// assert_eq!(RunMethod::from("neutra"), RunMethod::Flowpost(Method::NeuTra));
/// assert_eq!(RunMethod::from("cmdstan"), RunMethod::Other("cmdstan".into()));
/// assert_eq!(RunMethod::Flowpost(Method::Auto).to_string(), "auto");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RunMethod {
    /// One of flowpost's sampling methods.
    Flowpost(Method),
    /// Another tool's (`"cmdstan"` for a CmdStan CSV without flowpost's `flowpost_method`).
    Other(String),
}

impl RunMethod {
    /// The method's name, as written in `summary.json`.
    pub fn name(&self) -> &str {
        match self {
            RunMethod::Flowpost(m) => m.name(),
            RunMethod::Other(name) => name,
        }
    }
}

impl Default for RunMethod {
    /// `"unknown"`.
    fn default() -> Self {
        RunMethod::Other("unknown".into())
    }
}

impl From<&str> for RunMethod {
    fn from(name: &str) -> Self {
        match Method::from_name(name) {
            Some(m) => RunMethod::Flowpost(m),
            None => RunMethod::Other(name.to_string()),
        }
    }
}

impl From<String> for RunMethod {
    fn from(name: String) -> Self {
        RunMethod::from(name.as_str())
    }
}

impl From<RunMethod> for String {
    fn from(m: RunMethod) -> String {
        m.name().to_string()
    }
}

impl From<Method> for RunMethod {
    fn from(m: Method) -> Self {
        RunMethod::Flowpost(m)
    }
}

impl std::fmt::Display for RunMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Facts about a run (`summary.json` `run`).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RunFacts {
    /// The method.
    pub method: RunMethod,
    /// Number of chains.
    pub num_chains: usize,
    /// Post-warmup draws per chain.
    pub num_draws_per_chain: usize,
    /// Divergent post-warmup draws over all chains.
    pub num_divergent: usize,
    /// Gradient evaluations and seconds per phase (`num_grad_evals`, `seconds`); `null` where
    /// unknown.
    #[serde(flatten)]
    pub cost: PartialCost,
    /// What `--method auto` decided, and its evidence (auto runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto: Option<crate::auto::AutoReport>,
    /// The chains' numbers in the whole run (`{"first": 5, "last": 8}` for a shard holding
    /// chains 5 to 8); unknown for files read by `diagnose`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_ids: Option<crate::shard::ChainRange>,
    /// What the run is: model, flow, settings, seed and version, by which `flowpost merge`
    /// tells shards of one run from others; unknown for files read by `diagnose`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<crate::shard::RunIdentity>,
    /// The modes found, each chain's occupancy of them and the jump acceptance (multimodal
    /// runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multimodal: Option<crate::multimodal::MultimodalReport>,
}

impl RunFacts {
    /// Facts derivable from the draws alone: chains, draws, divergences, and gradient evaluations
    /// as the sum of `n_leapfrog` (sampling; warmup too when warmup statistics are present).
    /// Seconds and VI are left unknown.
    ///
    /// ```
    /// use flowpost::report::RunFacts;
    /// use flowpost::{ChainDraws, DrawStats, Draws};
    /// let chain = ChainDraws { values: vec![0.0; 3], stats: vec![DrawStats { n_leapfrog: 7, ..Default::default() }; 3], ..Default::default() };
    /// let facts = RunFacts::from_draws("nuts", &Draws::new(vec!["x".into()], vec![chain]).unwrap());
    /// assert_eq!(facts.cost.num_grad_evals.sampling, Some(21));
    /// assert_eq!(facts.cost.num_grad_evals.warmup, None);
    /// ```
    pub fn from_draws(method: impl Into<RunMethod>, draws: &Draws) -> RunFacts {
        // Leapfrog steps (one gradient each) over every chain's sampling or warmup draws.
        let sum = |stats: fn(&crate::ChainDraws) -> &[crate::DrawStats]| -> u64 {
            draws
                .chains
                .iter()
                .flat_map(stats)
                .map(|s| s.n_leapfrog)
                .sum()
        };
        let has_warmup = draws.chains.iter().any(|c| !c.warmup_stats.is_empty());
        RunFacts {
            method: method.into(),
            num_chains: draws.num_chains(),
            num_draws_per_chain: draws.num_draws(),
            num_divergent: draws.num_divergent(),
            cost: CostReport {
                num_grad_evals: GradEvals {
                    vi: None,
                    warmup: has_warmup.then(|| sum(|c| &c.warmup_stats)),
                    sampling: Some(sum(|c| &c.stats)),
                },
                seconds: Seconds::default(),
            },
            ..RunFacts::default()
        }
    }

    /// The facts of a run made in this process: everything is known.
    pub fn from_run(run: &crate::Run) -> RunFacts {
        RunFacts {
            method: run.method.into(),
            num_chains: run.draws.num_chains(),
            num_draws_per_chain: run.draws.num_draws(),
            num_divergent: run.draws.num_divergent(),
            cost: run.cost.into(),
            auto: run.auto.clone(),
            chain_ids: Some(crate::shard::ChainRange::of_run(
                run.first_chain,
                run.draws.num_chains(),
            )),
            identity: None,
            multimodal: run.multimodal.clone(),
        }
    }

    /// Total gradient evaluations over the known phases.
    pub fn total_grad_evals(&self) -> u64 {
        self.cost.num_grad_evals.total_known()
    }
}
