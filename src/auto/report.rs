//! What [`Method::Auto`](crate::Method::Auto) reports: the evidence of each pause of the
//! whitened warmup, the choice, and why.

use super::AutoSettings;
use crate::nuts::WarmupReport;

/// What the whitened warmup showed at one pause.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// Warmup draws per chain so far.
    pub num_warmup_draws: u64,
    /// Mean Fisher distance per dimension over the later half of those draws, all chains.
    pub fisher_per_dim: f64,
    /// Divergent fraction of the later half of those draws, all chains.
    pub divergent_fraction: f64,
}

impl Evidence {
    /// The evidence of the later half of the warmup draws in `report`.
    pub fn from_warmup(report: &WarmupReport, dim: usize) -> Evidence {
        let from = (report.num_draws / 2) as usize;
        let (mut fisher, mut divergent, mut n) = (0.0, 0usize, 0usize);
        for c in &report.chains {
            for i in from..c.stats.len() {
                fisher += c.fisher_distances[i];
                divergent += c.stats[i].divergent as usize;
                n += 1;
            }
        }
        let n = n.max(1) as f64;
        Evidence {
            num_warmup_draws: report.num_draws,
            fisher_per_dim: fisher / n / dim.max(1) as f64,
            divergent_fraction: divergent as f64 / n,
        }
    }

    /// Why this evidence calls for a flow, if it does.
    pub fn escalation_reason(&self, settings: &AutoSettings) -> Option<String> {
        if !(self.fisher_per_dim <= settings.max_fisher_per_dim) {
            return Some(format!(
                "Fisher distance {:.2} per dimension after {} warmup draws (> {}): the whitened \
                 target is far from Gaussian",
                self.fisher_per_dim, self.num_warmup_draws, settings.max_fisher_per_dim
            ));
        }
        None
    }
}

/// The sampler [`Method::Auto`](crate::Method::Auto) chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoChoice {
    /// NUTS with a low-rank metric on the target whitened by the Gaussian fit.
    Whitened,
    /// An IAF trained by reverse KL, then NUTS in its latent space (NeuTra).
    Flow,
}

/// The decision of [`Method::Auto`](crate::Method::Auto) and its evidence.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AutoReport {
    /// What was used in the end.
    pub choice: AutoChoice,
    /// Why the flow was trained (`None`: it was not).
    pub escalation_reason: Option<String>,
    /// The Fisher distance per dimension above which the whitened run escalates
    /// ([`AutoSettings::max_fisher_per_dim`]).
    pub max_fisher_per_dim: f64,
    /// Pareto k̂ of the Gaussian fit as an importance sampler.
    pub gaussian_pareto_k: f64,
    /// The evidence at each pause of the whitened warmup.
    pub evidence: Vec<Evidence>,
    /// Gradient evaluations of the whitened run that were thrown away by an escalation.
    pub num_grad_evals_discarded: u64,
    /// Extra training rounds because the fit's k̂ was 0.7 or more (flow path).
    pub num_refits: usize,
    /// Why the flow the evidence called for could not be trained; the draws then come from
    /// whitened NUTS, which the evidence says may be biased (`None`: no failure).
    #[serde(default)]
    pub flow_failure: Option<String>,
}

impl AutoReport {
    /// The decision and its evidence in one sentence, as the terminal and the report show it.
    ///
    /// ```
    /// use flowpost::auto::{AutoChoice, AutoReport, Evidence};
    /// let report = AutoReport {
    ///     choice: AutoChoice::Whitened,
    ///     escalation_reason: None,
    ///     max_fisher_per_dim: 1.5,
    ///     gaussian_pareto_k: 0.2,
    ///     evidence: vec![Evidence { num_warmup_draws: 300, fisher_per_dim: 0.1, divergent_fraction: 0.0 }],
    ///     num_grad_evals_discarded: 0,
    ///     num_refits: 0,
    ///     flow_failure: None,
    /// };
    /// assert!(report.describe().starts_with("whitened NUTS (low-rank metric), no flow needed"));
    /// ```
    pub fn describe(&self) -> String {
        match &self.escalation_reason {
            None => {
                let evidence = self
                    .evidence
                    .last()
                    .map(|e| {
                        format!(
                            "Fisher distance {:.2} per dimension after {} warmup draws (≤ {})",
                            e.fisher_per_dim, e.num_warmup_draws, self.max_fisher_per_dim
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "whitened NUTS (low-rank metric), no flow needed — {evidence}; the Gaussian \
                     fit's k̂ {:.2}",
                    self.gaussian_pareto_k
                )
            }
            Some(reason) if self.flow_failure.is_some() => format!(
                "whitened NUTS (low-rank metric) although a flow was needed — {reason}; the \
                 flow could not be trained ({}), so the draws may be biased",
                self.flow_failure.as_deref().unwrap_or_default()
            ),
            Some(reason) => format!(
                "trained a flow (NeuTra) — {reason}; {} gradients of whitened NUTS discarded{}",
                self.num_grad_evals_discarded,
                if self.num_refits > 0 {
                    "; the first fit had k̂ ≥ 0.7 and trained a second round"
                } else {
                    ""
                }
            ),
        }
    }
}

impl AutoReport {
    /// The warning this decision deserves: a flow was needed and could not be trained.
    pub fn warning(&self) -> Option<crate::diagnostics::DiagnosticWarning> {
        let failure = self.flow_failure.clone()?;
        Some(crate::diagnostics::DiagnosticWarning::FlowNotTrained {
            needed_because: self.escalation_reason.clone().unwrap_or_default(),
            failure,
        })
    }
}
