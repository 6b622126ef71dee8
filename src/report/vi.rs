//! The variational fit as the report shows it ([`ReportVi`]) and writes it (`summary.json`
//! `vi`: [`ViSummary`]).

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
                num_steps: self.num_steps,
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
            num_steps: self.num_steps,
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
    pub num_steps: usize,
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
