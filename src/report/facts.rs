//! Run facts and the `summary.json` file layout.

use crate::Draws;
use crate::diagnostics::ParamSummary;

/// Gradient evaluations per phase (`summary.json` `run.grad_evals`); `None` when unknown (e.g.
/// warmup of a CSV saved without warmup draws).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct GradEvals {
    /// Variational fit.
    pub vi: Option<u64>,
    /// NUTS warmup.
    pub warmup: Option<u64>,
    /// NUTS sampling.
    pub sampling: Option<u64>,
}

/// Wall-clock seconds per phase (`summary.json` `run.seconds`); `None` when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Seconds {
    /// Variational fit.
    pub vi: Option<f64>,
    /// NUTS warmup.
    pub warmup: Option<f64>,
    /// NUTS sampling.
    pub sampling: Option<f64>,
    /// Whole run.
    pub total: Option<f64>,
}

/// Facts about a run (`summary.json` `run`).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RunFacts {
    /// `"neutra"`, `"nuts"`, or what a CSV says (`"cmdstan"`).
    pub method: String,
    /// Number of chains.
    pub chains: usize,
    /// Post-warmup draws per chain.
    pub draws_per_chain: usize,
    /// Divergent post-warmup draws over all chains.
    pub divergences: usize,
    /// Gradient evaluations per phase.
    pub grad_evals: GradEvals,
    /// Seconds per phase.
    pub seconds: Seconds,
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
    /// assert_eq!(facts.grad_evals.sampling, Some(21));
    /// assert_eq!(facts.grad_evals.warmup, None);
    /// ```
    pub fn from_draws(method: &str, draws: &Draws) -> RunFacts {
        let sampling: u64 = draws
            .chains
            .iter()
            .flat_map(|c| &c.stats)
            .map(|s| s.n_leapfrog)
            .sum();
        let has_warmup = draws.chains.iter().any(|c| !c.warmup_stats.is_empty());
        let warmup: u64 = draws
            .chains
            .iter()
            .flat_map(|c| &c.warmup_stats)
            .map(|s| s.n_leapfrog)
            .sum();
        RunFacts {
            method: method.to_string(),
            chains: draws.num_chains(),
            draws_per_chain: draws.num_draws(),
            divergences: draws.num_divergent(),
            grad_evals: GradEvals {
                vi: None,
                warmup: has_warmup.then_some(warmup),
                sampling: Some(sampling),
            },
            seconds: Seconds::default(),
            auto: None,
            chain_ids: None,
            identity: None,
            multimodal: None,
        }
    }

    /// The facts of a run made in this process: everything is known.
    pub fn from_run(run: &crate::Run) -> RunFacts {
        let (g, t) = (run.cost.grad_evals, run.cost.seconds);
        RunFacts {
            method: run.method.name().to_string(),
            chains: run.draws.num_chains(),
            draws_per_chain: run.draws.num_draws(),
            divergences: run.draws.num_divergent(),
            grad_evals: GradEvals {
                vi: Some(g.vi),
                warmup: Some(g.warmup),
                sampling: Some(g.sampling),
            },
            seconds: Seconds {
                vi: Some(t.vi),
                warmup: Some(t.warmup),
                sampling: Some(t.sampling),
                total: Some(t.total),
            },
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
        let g = &self.grad_evals;
        g.vi.unwrap_or(0) + g.warmup.unwrap_or(0) + g.sampling.unwrap_or(0)
    }
}

/// The variational fit of a NeuTra run, for the report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportVi {
    /// ELBO estimate per optimizer step.
    pub elbo_trace: Vec<f64>,
    /// Pareto k-hat of the importance ratios p/q on fresh draws (see
    /// [`psis`](crate::diagnostics::psis)).
    pub pareto_k: f64,
    /// Optimizer steps taken.
    pub num_steps: usize,
    /// ELBO estimated on fresh draws after the fit, when known.
    pub final_elbo: Option<f64>,
    /// Fresh draws of the final estimate where the target failed (q's mass outside its
    /// support); 0 when unknown.
    pub num_dropped_final: u64,
    /// Fresh draws of the final estimate (0 when unknown).
    pub num_final_draws: u64,
    /// Dropped draws per phase, one line ([`ViReport::dropped_summary`](crate::vi::ViReport::dropped_summary)).
    pub dropped: Option<String>,
    /// log Z from the fit's importance weights, or why there is none; `None` when unknown.
    pub log_evidence: Option<Result<crate::diagnostics::LogEvidence, String>>,
}

impl ReportVi {
    /// The report's view of a variational fit.
    pub fn from_vi(vi: &crate::vi::ViReport) -> ReportVi {
        ReportVi {
            elbo_trace: vi.elbo_trace.clone(),
            pareto_k: vi.pareto_k,
            num_steps: vi.num_steps,
            final_elbo: Some(vi.elbo),
            num_dropped_final: vi.num_dropped_final,
            num_final_draws: vi.num_final_draws,
            dropped: vi.dropped_summary(),
            log_evidence: Some(vi.log_evidence.clone()),
        }
    }

    /// Share of the final estimate's draws where the target failed.
    pub fn dropped_fraction(&self) -> f64 {
        self.num_dropped_final as f64 / self.num_final_draws.max(1) as f64
    }

    /// The verdict on the fit ([`fit_verdict`](crate::diagnostics::fit_verdict)).
    pub fn verdict(&self) -> crate::diagnostics::FitVerdict {
        crate::diagnostics::fit_verdict(self.pareto_k, self.dropped_fraction())
    }

    /// The warning this fit deserves, if any: q has mass where the target fails.
    pub fn warning(&self) -> Option<crate::diagnostics::DiagnosticWarning> {
        (self.num_dropped_final > 0).then_some(
            crate::diagnostics::DiagnosticWarning::FlowOutsideSupport {
                dropped: self.num_dropped_final,
                total: self.num_final_draws,
            },
        )
    }

    /// The `summary.json` `vi` entry; `elbo` is the fresh-draw estimate when known, else the
    /// mean of the last `min(50, n)` finite ELBO values (a smoothed final ELBO).
    pub fn summary(&self) -> ViSummary {
        let verdict = self.verdict();
        if let Some(elbo) = self.final_elbo {
            return ViSummary {
                elbo,
                pareto_k: self.pareto_k,
                steps: self.num_steps,
                verdict,
                dropped_fraction: self.dropped_fraction(),
                log_evidence: self
                    .log_evidence
                    .as_ref()
                    .and_then(|r| r.as_ref().ok().copied()),
                log_evidence_note: self
                    .log_evidence
                    .as_ref()
                    .and_then(|r| r.as_ref().err().cloned()),
            };
        }
        let finite: Vec<f64> = self
            .elbo_trace
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let tail = &finite[finite.len().saturating_sub(50)..];
        let elbo = if tail.is_empty() {
            f64::NAN
        } else {
            tail.iter().sum::<f64>() / tail.len() as f64
        };
        ViSummary {
            elbo,
            pareto_k: self.pareto_k,
            steps: self.num_steps,
            verdict,
            dropped_fraction: self.dropped_fraction(),
            log_evidence: None,
            log_evidence_note: None,
        }
    }
}

/// `summary.json` `vi`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ViSummary {
    /// Final (smoothed) ELBO (`null` in JSON when undefined).
    #[serde(with = "crate::diagnostics::summary::nan_as_null")]
    pub elbo: f64,
    /// Pareto k-hat of the fit (`null` in JSON when not finite).
    #[serde(with = "crate::diagnostics::summary::nan_as_null")]
    pub pareto_k: f64,
    /// Optimizer steps.
    pub steps: usize,
    /// The verdict on the fit (`good`, `ok`, `poor`, `outside_support`, `undefined`).
    pub verdict: crate::diagnostics::FitVerdict,
    /// Share of the flow's fresh draws where the log-density failed.
    #[serde(default)]
    pub dropped_fraction: f64,
    /// log Z of the target density as written, with its MCSE, from the flow's PSIS-smoothed
    /// importance weights (`null` when k̂ says they cannot be trusted, or when unknown).
    #[serde(default)]
    pub log_evidence: Option<crate::diagnostics::LogEvidence>,
    /// Why `log_evidence` is `null`, when it was computed and rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_evidence_note: Option<String>,
}

/// One warning of `summary.json`: what was found and what to do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WarningEntry {
    /// Short label (`divergences`, `R-hat`, `flow fit`, …).
    pub kind: String,
    /// What was found.
    pub message: String,
    /// One line of advice.
    pub advice: String,
}

impl From<&crate::diagnostics::DiagnosticWarning> for WarningEntry {
    fn from(w: &crate::diagnostics::DiagnosticWarning) -> Self {
        WarningEntry {
            kind: w.kind().to_string(),
            message: w.message(),
            advice: w.advice().to_string(),
        }
    }
}

/// The whole `summary.json`: `{"warnings": [...], "parameters": [...], "run": {...}, "vi": {...} | null}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SummaryFile {
    /// Every problem found (diagnostics and the flow fit), most serious first; empty when all
    /// is well.
    #[serde(default)]
    pub warnings: Vec<WarningEntry>,
    /// Per-parameter summaries.
    pub parameters: Vec<ParamSummary>,
    /// Run facts.
    pub run: RunFacts,
    /// The variational fit, for NeuTra runs.
    pub vi: Option<ViSummary>,
    /// Nested R-hat with the shards as superchains, in a run merged from two or more shards
    /// (`flowpost merge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested_r_hat: Option<NestedRHatSummary>,
}

/// `summary.json` `nested_r_hat`: nested R-hat
/// ([`rhat_nested`](crate::diagnostics::rhat_nested)) of every parameter with each shard's
/// chains as one superchain.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NestedRHatSummary {
    /// The superchains: each shard's chain numbers, in order.
    pub superchains: Vec<crate::shard::ChainRange>,
    /// The largest value over the parameters (`null` when undefined for all).
    #[serde(with = "crate::diagnostics::summary::nan_as_null")]
    pub max: f64,
    /// Above this a warning says the shards disagree (the R-hat threshold, 1.01 by default).
    pub threshold: f64,
    /// Why the values are undefined, when they are (e.g. shards with unequal chain counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// One entry per parameter, in the order of `parameters`.
    pub parameters: Vec<NestedRHatEntry>,
}

/// One parameter's nested R-hat.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NestedRHatEntry {
    /// The parameter.
    pub name: String,
    /// Its nested R-hat (`null` when undefined).
    #[serde(with = "crate::diagnostics::summary::nan_as_null")]
    pub nested_r_hat: f64,
}
