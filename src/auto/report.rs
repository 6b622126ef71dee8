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
    /// Smallest E-BFMI over the chains, each of the later half of its warmup draws so far
    /// (`NaN`: undefined in some chain).
    #[serde(default = "nan", with = "crate::diagnostics::summary::nan_as_null")]
    pub min_e_bfmi: f64,
    /// Chains whose E-BFMI over the later half of the warmup draws so far is below
    /// [`AutoSettings::min_e_bfmi`] (or undefined).
    #[serde(default)]
    pub num_low_e_bfmi: usize,
}

fn nan() -> f64 {
    f64::NAN
}

impl Evidence {
    /// The evidence of the later half of the warmup draws in `report`; E-BFMI is judged
    /// against `min_e_bfmi` ([`AutoSettings::min_e_bfmi`]).
    pub fn from_warmup(report: &WarmupReport, dim: usize, min_e_bfmi: f64) -> Evidence {
        let from = (report.num_draws / 2) as usize;
        let energy: Vec<Vec<f64>> = report
            .chains
            .iter()
            .map(|c| c.stats.iter().skip(from).map(|s| s.energy).collect())
            .collect();
        let e_bfmi = crate::diagnostics::e_bfmi(&energy);
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
            min_e_bfmi: super::check::min_or_nan(&e_bfmi),
            num_low_e_bfmi: super::check::num_below(&e_bfmi, min_e_bfmi),
        }
    }

    /// Why the whitened chains, at the end of their warmup (`num_chains` of them), must not go
    /// on to sample: E-BFMI below [`AutoSettings::min_e_bfmi`] in half the chains or more. The
    /// Fisher distance can read Gaussian in a funnel's neck (the 1000-group centered
    /// regression: 0.8 per dimension), but chains stuck there barely move in energy. Low-rank
    /// NUTS with its full warmup runs instead ([`Fallback`]).
    pub fn warmup_failure(&self, settings: &AutoSettings, num_chains: usize) -> Option<String> {
        (num_chains > 0 && 2 * self.num_low_e_bfmi >= num_chains).then(|| {
            format!(
                "E-BFMI below {} in {} of {num_chains} chains over the later half of the {} \
                 warmup draws",
                settings.min_e_bfmi, self.num_low_e_bfmi, self.num_warmup_draws
            )
        })
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
    /// Plain NUTS with the low-rank metric and its full warmup, on the model's own
    /// parametrization: the rerun after the chosen sampler's draws failed their diagnostics
    /// ([`Fallback`]).
    LowRank,
    /// The multimodal method ([`crate::multimodal`]): the mode probe after the Gaussian fit
    /// found modes separated by a valley ([`ModeProbe`](super::ModeProbe)); no NUTS ran.
    Multimodal,
}

impl AutoChoice {
    /// What the terminal calls it.
    pub fn label(self) -> &'static str {
        match self {
            AutoChoice::Whitened => "whitened NUTS",
            AutoChoice::Flow => "NeuTra",
            AutoChoice::LowRank => "low-rank NUTS",
            AutoChoice::Multimodal => "the multimodal sampler",
        }
    }
}

/// The chosen sampler's draws failed their diagnostics and low-rank NUTS ran again
/// ([`RunCheck`](super::RunCheck)); the draws kept are the rerun's unless it did worse.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fallback {
    /// The sampler whose draws failed.
    pub failed: AutoChoice,
    /// Why they failed.
    pub reason: String,
    /// Their diagnostics (`None`: judged on the warmup's [`Evidence`], before sampling).
    pub failed_check: Option<super::RunCheck>,
    /// The rerun's diagnostics.
    pub rerun_check: super::RunCheck,
    /// Why the rerun failed too (`None`: it passed).
    pub rerun_failure: Option<String>,
    /// Gradient evaluations of the run that was not kept.
    pub num_grad_evals_discarded: u64,
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
    /// whitened NUTS, or low-rank NUTS with its full warmup when the pilot's chains were stuck,
    /// which the evidence says may be biased (`None`: no failure).
    #[serde(default)]
    pub flow_failure: Option<String>,
    /// The rerun with low-rank NUTS after the chosen sampler's draws failed their diagnostics
    /// (`None`: they passed).
    #[serde(default)]
    pub fallback: Option<Fallback>,
    /// The rerun through the same flow at a higher target acceptance after the flow's draws
    /// diverged too often (`None`: none was made).
    #[serde(default)]
    pub raised_accept: Option<super::RaisedAccept>,
    /// Above [`AutoSettings::max_dim_flow_first`] dimensions, the low-rank NUTS run made before
    /// a flow (`None`: none was made).
    #[serde(default)]
    pub low_rank_first: Option<LowRankFirst>,
    /// The mode probe after the Gaussian fit (`None`: not run,
    /// [`AutoSettings::mode_probe_starts`] 0 or the dimension above
    /// [`AutoSettings::max_dim_mode_probe`]).
    #[serde(default)]
    pub mode_probe: Option<super::ModeProbe>,
}

/// Low-rank NUTS run before a flow because the dimension is large
/// ([`AutoSettings::max_dim_flow_first`]); the flow is trained only if its draws fail.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LowRankFirst {
    /// The posterior's dimension.
    pub dim: usize,
    /// The threshold it exceeded.
    pub max_dim_flow_first: usize,
    /// Its draws' diagnostics.
    pub check: super::RunCheck,
    /// Why they failed (`None`: they passed, and no flow was trained).
    pub failure: Option<String>,
}

impl AutoReport {
    /// The report before any evidence: whitened NUTS chosen, the Gaussian fit's k̂.
    pub(crate) fn new(settings: &AutoSettings, gaussian_pareto_k: f64) -> AutoReport {
        AutoReport {
            choice: AutoChoice::Whitened,
            escalation_reason: None,
            max_fisher_per_dim: settings.max_fisher_per_dim,
            gaussian_pareto_k,
            evidence: Vec::new(),
            num_grad_evals_discarded: 0,
            num_refits: 0,
            flow_failure: None,
            fallback: None,
            raised_accept: None,
            low_rank_first: None,
            mode_probe: None,
        }
    }

    /// The decision and its evidence in one sentence, as the terminal and the report show it.
    ///
    /// ```
    /// use flowpost::auto::{AutoChoice, AutoReport, Evidence};
    /// let report = AutoReport {
    ///     choice: AutoChoice::Whitened,
    ///     escalation_reason: None,
    ///     max_fisher_per_dim: 1.5,
    ///     gaussian_pareto_k: 0.2,
    ///     evidence: vec![Evidence {
    ///         num_warmup_draws: 300,
    ///         fisher_per_dim: 0.1,
    ///         divergent_fraction: 0.0,
    ///         min_e_bfmi: 0.8,
    ///         num_low_e_bfmi: 0,
    ///     }],
    ///     num_grad_evals_discarded: 0,
    ///     num_refits: 0,
    ///     flow_failure: None,
    ///     fallback: None,
    ///     raised_accept: None,
    ///     low_rank_first: None,
    ///     mode_probe: None,
    /// };
    /// assert!(report.describe().starts_with("whitened NUTS (low-rank metric), no flow needed"));
    /// ```
    pub fn describe(&self) -> String {
        if self.choice == AutoChoice::Multimodal {
            let found = self
                .mode_probe
                .as_ref()
                .and_then(|p| p.describe_separated());
            return format!(
                "the multimodal sampler, no NUTS — the mode probe after the Gaussian fit found \
                 that {}",
                found.unwrap_or_default()
            );
        }
        let mut first = self.describe_choice();
        if let Some(r) = &self.raised_accept {
            first = format!("{first}. Then {}", r.describe());
        }
        let Some(f) = &self.fallback else {
            return first;
        };
        let rerun = match &f.rerun_failure {
            None => "it passed".to_string(),
            Some(why) if f.failed_check.is_none() => format!("it failed too ({why})"),
            Some(why) if self.choice == AutoChoice::LowRank => {
                format!("it failed too ({why}) but less badly, so its draws are kept")
            }
            Some(why) => format!(
                "it did worse ({why}), so {}'s draws are kept",
                f.failed.label()
            ),
        };
        let what = if f.failed_check.is_some() {
            "draws failed their"
        } else {
            "warmup failed its"
        };
        format!(
            "{first}. Then {}'s {what} diagnostics ({}), and low-rank NUTS ran \
             with its full warmup: {rerun}",
            f.failed.label(),
            f.reason
        )
    }

    fn describe_choice(&self) -> String {
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
            Some(reason)
                if self.choice == AutoChoice::LowRank
                    && self.flow_failure.is_none()
                    && self.fallback.is_none() =>
            {
                let d = self
                    .low_rank_first
                    .as_ref()
                    .map(|f| (f.dim, f.max_dim_flow_first));
                let (dim, max) = d.unwrap_or_default();
                format!(
                    "low-rank NUTS with its full warmup, no flow — {reason}; but at d = {dim} \
                     (> {max}) low-rank NUTS runs before a flow is trained, and its draws \
                     passed their diagnostics"
                )
            }
            Some(reason) if self.flow_failure.is_some() => {
                let sampler = match self.fallback.as_ref().map_or(self.choice, |f| f.failed) {
                    AutoChoice::LowRank => match &self.low_rank_first {
                        Some(f) => format!(
                            "low-rank NUTS with its full warmup (run first at d = {} > {}; its \
                             draws failed: {})",
                            f.dim,
                            f.max_dim_flow_first,
                            f.failure.as_deref().unwrap_or_default()
                        ),
                        None => "low-rank NUTS with its full warmup (the pilot's chains were \
                                 stuck)"
                            .to_string(),
                    },
                    _ => "whitened NUTS (low-rank metric)".to_string(),
                };
                format!(
                    "{sampler} although a flow was needed — {reason}; the flow could not be \
                     trained ({}), so the draws may be biased",
                    self.flow_failure.as_deref().unwrap_or_default()
                )
            }
            Some(reason) => format!(
                "trained a flow (NeuTra) — {reason}; {} gradients of whitened NUTS discarded{}{}",
                self.num_grad_evals_discarded,
                match &self.low_rank_first {
                    Some(f) => format!(
                        "; low-rank NUTS ran first (d = {} > {}) and failed ({})",
                        f.dim,
                        f.max_dim_flow_first,
                        f.failure.as_deref().unwrap_or_default()
                    ),
                    None => String::new(),
                },
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

    /// Every warning of the decision: [`warning`](Self::warning), and the mode probe's
    /// separated modes when the multimodal sampler did not replace the draws.
    pub fn warnings(&self) -> Vec<crate::diagnostics::DiagnosticWarning> {
        let probe = self
            .mode_probe
            .as_ref()
            .filter(|_| self.choice != AutoChoice::Multimodal)
            .and_then(|p| p.describe_separated());
        self.warning()
            .into_iter()
            .chain(probe.map(
                |description| crate::diagnostics::DiagnosticWarning::SeparatedModes { description },
            ))
            .collect()
    }
}
