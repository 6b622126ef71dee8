//! Turning diagnostics into warnings a person can act on: divergences, tree-depth saturation,
//! low E-BFMI, high R-hat, low ESS — each with one line of plain advice.

use super::{ParamSummary, e_bfmi};
use crate::Draws;

/// Thresholds of [`check_run`]. Defaults follow Vehtari et al. (2021) and Stan's diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningSettings {
    /// Largest acceptable rank-normalized R-hat (default 1.01).
    pub max_r_hat: f64,
    /// Smallest acceptable bulk and tail ESS per chain (default 100, i.e. 400 for 4 chains).
    pub min_ess_per_chain: f64,
    /// Smallest acceptable E-BFMI (default 0.3).
    pub min_e_bfmi: f64,
    /// The sampler's maximum tree depth; draws at this depth count as saturated (default 10).
    pub max_tree_depth: u64,
    /// Added to a chain's index in messages: the draws' first chain is chain
    /// `chain_id_offset + 1` of the whole run (a shard of a larger run; default 0).
    pub chain_id_offset: usize,
}

impl Default for WarningSettings {
    fn default() -> Self {
        WarningSettings {
            max_r_hat: 1.01,
            min_ess_per_chain: 100.0,
            min_e_bfmi: 0.3,
            max_tree_depth: 10,
            chain_id_offset: 0,
        }
    }
}

/// One problem found in a run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DiagnosticWarning {
    /// Post-warmup draws whose trajectory diverged.
    Divergences {
        /// Divergent draws.
        count: usize,
        /// All post-warmup draws.
        total: usize,
    },
    /// Draws whose tree reached the maximum depth.
    TreeDepth {
        /// Saturated draws.
        count: usize,
        /// All post-warmup draws.
        total: usize,
        /// The maximum depth.
        max_depth: u64,
    },
    /// Chains whose E-BFMI is below the threshold: `(chain index (0-based, in the whole run
    /// when the draws are a shard of it), E-BFMI)`.
    LowEBfmi {
        /// The chains concerned.
        chains: Vec<(usize, f64)>,
        /// The threshold.
        threshold: f64,
    },
    /// Parameters with R-hat above the threshold, worst first.
    HighRHat {
        /// `(name, R-hat)`.
        params: Vec<(String, f64)>,
        /// The threshold.
        threshold: f64,
    },
    /// Parameters whose nested R-hat with the shards of a merged run as superchains is above
    /// the threshold, worst first: the shards disagree.
    HighNestedRHat {
        /// `(name, nested R-hat)`.
        params: Vec<(String, f64)>,
        /// The threshold.
        threshold: f64,
        /// Number of shards (superchains).
        num_shards: usize,
    },
    /// Parameters whose bulk or tail ESS is below the threshold, worst first.
    LowEss {
        /// `(name, min(bulk, tail) ESS)`.
        params: Vec<(String, f64)>,
        /// The total threshold (`min_ess_per_chain × chains`).
        threshold: f64,
    },
    /// Parameters whose diagnostics are undefined (`NaN` draws, or fewer than 4 draws).
    Undefined {
        /// Parameter names.
        params: Vec<String>,
    },
    /// Only one chain: R-hat cannot be computed.
    SingleChain,
    /// Fresh draws of the fitted flow (NeuTra) fell where the log-density fails: the flow has
    /// mass outside the posterior's support, which its k-hat and ELBO do not see.
    FlowOutsideSupport {
        /// Draws where the log-density failed.
        dropped: u64,
        /// Draws made.
        total: u64,
    },
    /// `--method auto` found a geometry that needs a flow but could not train one, and the
    /// draws come from whitened NUTS.
    FlowNotTrained {
        /// Why the flow was needed.
        needed_because: String,
        /// Why its training failed.
        failure: String,
    },
    /// Some starts of the multimodal mode search found no mode (a mode at infinity, a ridge,
    /// or no point where the density could be evaluated).
    ModeSearchFailures {
        /// Starts that failed.
        failed: usize,
        /// All starts.
        total: usize,
        /// Why the last one failed.
        last_failure: String,
    },
    /// `--method auto`'s mode probe found modes separated by a valley
    /// ([`ModeProbe`](crate::auto::ModeProbe)) and the multimodal sampler could not run: the
    /// draws may weigh the modes wrongly or miss some.
    SeparatedModes {
        /// What the probe found, one sentence.
        description: String,
    },
}

impl DiagnosticWarning {
    /// What was found, one line.
    pub fn message(&self) -> String {
        let pct = |c: usize, t: usize| 100.0 * c as f64 / t.max(1) as f64;
        match self {
            Self::Divergences { count, total } => {
                format!(
                    "{count} of {total} post-warmup draws ({:.2}%) ended in a divergence.",
                    pct(*count, *total)
                )
            }
            Self::TreeDepth {
                count,
                total,
                max_depth,
            } => format!(
                "{count} of {total} draws ({:.1}%) hit the maximum tree depth of {max_depth}.",
                pct(*count, *total)
            ),
            Self::LowEBfmi { chains, threshold } => {
                let list: Vec<String> = chains
                    .iter()
                    .map(|(c, b)| format!("chain {} ({b:.2})", c + 1))
                    .collect();
                format!("E-BFMI below {threshold} in {}.", list.join(", "))
            }
            Self::HighRHat { params, threshold } => format!(
                "{} parameter{} with R-hat above {threshold} (worst: {} = {:.3}).",
                params.len(),
                plural(params.len()),
                params[0].0,
                params[0].1
            ),
            Self::HighNestedRHat {
                params,
                threshold,
                num_shards,
            } => format!(
                "{} parameter{} with nested R-hat above {threshold} across the {num_shards} shards (worst: {} = {:.3}).",
                params.len(),
                plural(params.len()),
                params[0].0,
                params[0].1
            ),
            Self::LowEss { params, threshold } => format!(
                "{} parameter{} with bulk or tail ESS below {threshold:.0} (worst: {} = {:.0}).",
                params.len(),
                plural(params.len()),
                params[0].0,
                params[0].1
            ),
            Self::Undefined { params } => {
                format!(
                    "Diagnostics undefined for {} (NaN draws or fewer than 4 draws).",
                    short_list(params)
                )
            }
            Self::SingleChain => "Only one chain: R-hat cannot be computed.".into(),
            Self::FlowOutsideSupport { dropped, total } => format!(
                "{dropped} of {total} draws of the fitted flow ({:.1}%) fall where the log-density fails: the flow has mass outside the posterior's support, which its k-hat and ELBO ignore.",
                100.0 * *dropped as f64 / (*total).max(1) as f64
            ),
            Self::FlowNotTrained {
                needed_because,
                failure,
            } => format!(
                "auto called for a flow ({needed_because}) but could not train one ({failure}); the draws come from a sampler without one and may be biased."
            ),
            Self::ModeSearchFailures {
                failed,
                total,
                last_failure,
            } => format!(
                "{failed} of {total} starts of the mode search found no mode (last: {last_failure})."
            ),
            Self::SeparatedModes { description } => format!(
                "The posterior has modes NUTS cannot move between: {description}. The chains weigh the modes by where they started, and R-hat cannot see a mode no chain reached."
            ),
        }
    }

    /// One line of plain advice.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::Divergences { .. } => {
                "The sampler skipped regions of high curvature, so the draws may be biased: reparameterize (e.g. non-centered), use NeuTra (--method neutra) if this run did not, or raise the target acceptance rate (e.g. --target-accept 0.99)."
            }
            Self::TreeDepth { .. } => {
                "Trajectories were cut short (an efficiency problem, not bias): raise the maximum tree depth or reparameterize so the posterior is less elongated."
            }
            Self::LowEBfmi { .. } => {
                "Momentum resampling explores the energy distribution poorly (typical of funnels and heavy tails): reparameterize or use --method neutra."
            }
            Self::HighRHat { .. } => {
                "The chains disagree: do not use these draws yet; run longer chains and look at the trace plots for multimodality or stuck chains."
            }
            Self::HighNestedRHat { .. } => {
                "The shards disagree: compare their summaries, check that every machine ran the same binary and data, and run a longer warmup if some chains have not reached the posterior."
            }
            Self::LowEss { .. } => {
                "Too few effective draws for reliable estimates: run more draws or improve mixing (reparameterize, --method neutra)."
            }
            Self::Undefined { .. } => "Check the model for NaN outputs and run more draws.",
            Self::SingleChain => "Run at least 4 chains so that convergence can be checked.",
            Self::FlowOutsideSupport { .. } => {
                "Do not use the flow as a posterior approximation; NUTS corrects it, so judge the run by the other diagnostics. If the model rejects parameter values (reject(), domain errors), declare those constraints on the parameters instead."
            }
            Self::FlowNotTrained { .. } => {
                "Check the draws against the other diagnostics (divergences, R-hat); reparameterize (e.g. non-centered) so that a linear map suffices, or try --method neutra with more --vi-steps."
            }
            Self::ModeSearchFailures { .. } => {
                "A start that ran off to infinity means the density grows without bound in some direction (an improper posterior: check the priors); the chains may follow it. Starts where the density could not be evaluated are harmless."
            }
            Self::SeparatedModes { .. } => {
                "The draws may weigh the modes wrongly or miss some: rerun on one machine without initial values, or with --method multimodal, which finds the modes first and jumps between them."
            }
        }
    }

    /// Short label for tables and the report (`"divergences"`, `"r-hat"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Divergences { .. } => "divergences",
            Self::TreeDepth { .. } => "tree depth",
            Self::LowEBfmi { .. } => "E-BFMI",
            Self::HighRHat { .. } => "R-hat",
            Self::HighNestedRHat { .. } => "nested R-hat",
            Self::LowEss { .. } => "ESS",
            Self::Undefined { .. } => "undefined",
            Self::SingleChain => "one chain",
            Self::FlowOutsideSupport { .. } => "flow fit",
            Self::FlowNotTrained { .. } => "auto",
            Self::ModeSearchFailures { .. } => "mode search",
            Self::SeparatedModes { .. } => "modes",
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn short_list(names: &[String]) -> String {
    if names.len() <= 5 {
        names.join(", ")
    } else {
        format!("{} and {} more", names[..5].join(", "), names.len() - 5)
    }
}

/// Checks a run: sampler statistics of `draws` and the per-parameter `summary` (from
/// [`summarize`](super::summarize)). Returns the problems, most serious first; empty when all
/// is well.
///
/// ```
/// use flowpost::diagnostics::{WarningSettings, check_run, summarize};
/// use flowpost::{ChainDraws, DrawStats, Draws};
/// let chain = |k: u64| ChainDraws {
///     values: (0..200).map(|i| ((i * 37 + k * 11) % 101) as f64).collect(),
///     stats: (0..200).map(|i| DrawStats { divergent: i == 7, energy: ((i * 13) % 7) as f64, ..Default::default() }).collect(),
///     ..Default::default()
/// };
/// let draws = Draws::new(vec!["x".into()], vec![chain(0), chain(1)]).unwrap();
/// let warnings = check_run(&draws, &summarize(&draws), &WarningSettings::default());
/// assert_eq!(warnings[0].kind(), "divergences");
/// ```
pub fn check_run(
    draws: &Draws,
    summary: &[ParamSummary],
    settings: &WarningSettings,
) -> Vec<DiagnosticWarning> {
    let mut out = vec![];
    let total = draws.num_chains() * draws.num_draws();
    let divergent = draws.num_divergent();
    if divergent > 0 {
        out.push(DiagnosticWarning::Divergences {
            count: divergent,
            total,
        });
    }
    let saturated = draws
        .chains
        .iter()
        .flat_map(|c| &c.stats)
        .filter(|s| s.tree_depth >= settings.max_tree_depth)
        .count();
    if saturated > 0 {
        out.push(DiagnosticWarning::TreeDepth {
            count: saturated,
            total,
            max_depth: settings.max_tree_depth,
        });
    }
    let low: Vec<(usize, f64)> = e_bfmi(&draws.stat(|s| s.energy))
        .into_iter()
        .enumerate()
        .filter(|(_, b)| *b < settings.min_e_bfmi)
        .map(|(c, b)| (c + settings.chain_id_offset, b))
        .collect();
    if !low.is_empty() {
        out.push(DiagnosticWarning::LowEBfmi {
            chains: low,
            threshold: settings.min_e_bfmi,
        });
    }
    let mut high: Vec<(String, f64)> = summary
        .iter()
        .filter(|p| p.r_hat > settings.max_r_hat)
        .map(|p| (p.name.clone(), p.r_hat))
        .collect();
    high.sort_by(|a, b| b.1.total_cmp(&a.1));
    if !high.is_empty() {
        out.push(DiagnosticWarning::HighRHat {
            params: high,
            threshold: settings.max_r_hat,
        });
    }
    let threshold = settings.min_ess_per_chain * draws.num_chains() as f64;
    let mut low_ess: Vec<(String, f64)> = summary
        .iter()
        .map(|p| (p.name.clone(), p.ess_bulk.min(p.ess_tail)))
        .filter(|(_, e)| *e < threshold)
        .collect();
    low_ess.sort_by(|a, b| a.1.total_cmp(&b.1));
    if !low_ess.is_empty() {
        out.push(DiagnosticWarning::LowEss {
            params: low_ess,
            threshold,
        });
    }
    let undefined: Vec<String> = summary
        .iter()
        .filter(|p| p.ess_bulk.is_nan() || p.mean.is_nan())
        .map(|p| p.name.clone())
        .collect();
    if !undefined.is_empty() {
        out.push(DiagnosticWarning::Undefined { params: undefined });
    }
    if draws.num_chains() == 1 {
        out.push(DiagnosticWarning::SingleChain);
    }
    out
}
