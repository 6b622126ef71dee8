//! Per-mode occupancy of a run on a multimodal built-in target, judged against the exact mode
//! weights: each draw belongs to the mode whose centre is nearest ([`Modes::classify`]); the
//! fraction of draws in mode k estimates its weight, with the MCSE of the mean of the
//! indicator 1{draw in mode k} from that indicator's own ESS (so a chain that never leaves its
//! mode gives a large MCSE, and chains that all miss a mode give an indicator that is constant
//! and a weight estimate of 0 with MCSE 0: both fail). The indicator's R-hat must also be below
//! the criteria's: chains stuck in different modes can put the pooled fraction near the truth
//! by luck, but not their R-hat.

use crate::multimodal::{Mixture, Modes, SignFlip};
use crate::reference::{Criteria, Verdict, judge, reference};
use crate::{ModelError, ModelOptions};
use flowpost::Draws;
use flowpost::diagnostics::{mcse_mean, rhat_rank};

/// The mixture `model` at the dimension in `options`; `Ok(None)` if `model` is not a mixture.
pub fn mixture(model: &str, options: &ModelOptions) -> Result<Option<Mixture>, ModelError> {
    let d = options.dim.unwrap_or(Mixture::DEFAULT_DIM);
    Ok(Some(match model {
        "mixture2" => Mixture::two(d)?,
        "mixture4" => Mixture::four(d)?,
        "mixture2_t" => Mixture::two_t(d)?,
        _ => return Ok(None),
    }))
}

/// The modes of built-in model `model`; `Ok(None)` for a model without known modes.
///
/// ```
/// use flowpost_models::{ModelOptions, occupancy::modes};
/// let m = modes("mixture4", &ModelOptions { dim: Some(10) }).unwrap().unwrap();
/// assert_eq!(m.num_modes(), 4);
/// assert!((m.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// assert!(modes("banana", &ModelOptions::default()).unwrap().is_none());
/// ```
pub fn modes(model: &str, options: &ModelOptions) -> Result<Option<Modes>, ModelError> {
    if model == "sign_flip" {
        return Ok(Some(SignFlip.modes()));
    }
    Ok(mixture(model, options)?.map(|m| m.modes()))
}

/// The exact log evidence of built-in model `model`'s density as written, where it is known.
///
/// ```
/// use flowpost_models::{ModelOptions, occupancy::log_evidence};
/// let z = log_evidence("mixture2", &ModelOptions { dim: Some(2) }).unwrap().unwrap();
/// assert!((z - (2.0 * std::f64::consts::PI).ln()).abs() < 1e-12);
/// ```
pub fn log_evidence(model: &str, options: &ModelOptions) -> Result<Option<f64>, ModelError> {
    if model == "sign_flip" {
        return Ok(Some(SignFlip.log_evidence()));
    }
    Ok(mixture(model, options)?.map(|m| m.log_evidence()))
}

/// One mode's occupancy.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeOccupancy {
    /// The exact weight.
    pub truth: f64,
    /// Fraction of all draws in the mode.
    pub estimate: f64,
    /// MCSE of `estimate` (from the indicator's ESS).
    pub mcse: f64,
    /// (estimate − truth) / mcse.
    pub z: f64,
    /// Rank-normalized R-hat of the indicator (NaN when it is constant).
    pub r_hat: f64,
    /// Fraction of each chain's draws in the mode.
    pub per_chain: Vec<f64>,
}

/// The verdict of [`judge_modes`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModeVerdict {
    /// Whether every mode's weight is within `max_abs_z` MCSEs with an R-hat below `max_r_hat`.
    pub correct: bool,
    /// One line per failed mode.
    pub failures: Vec<String>,
    /// One entry per mode.
    pub modes: Vec<ModeOccupancy>,
}

/// Judges the draws' mode occupancy (module docs). The draws' parameters must be the target's
/// unconstrained coordinates in order (true for the multimodal built-in targets).
pub fn judge_modes(draws: &Draws, modes: &Modes, criteria: &Criteria) -> ModeVerdict {
    let d = modes.centres[0].len();
    let params: Vec<Vec<Vec<f64>>> = (0..d).map(|i| draws.param(i)).collect();
    let num_chains = draws.num_chains();
    let labels: Vec<Vec<usize>> = (0..num_chains)
        .map(|c| {
            let n = params[0][c].len();
            let mut x = vec![0.0; d];
            (0..n)
                .map(|t| {
                    for i in 0..d {
                        x[i] = params[i][c][t];
                    }
                    modes.classify(&x)
                })
                .collect()
        })
        .collect();
    let mut failures = Vec::new();
    let mut out = Vec::new();
    for (k, &truth) in modes.weights.iter().enumerate() {
        let chains: Vec<Vec<f64>> = labels
            .iter()
            .map(|l| l.iter().map(|&m| f64::from(u8::from(m == k))).collect())
            .collect();
        let all: Vec<f64> = chains.iter().flatten().copied().collect();
        let estimate = all.iter().sum::<f64>() / all.len().max(1) as f64;
        let mcse = mcse_mean(&chains);
        let z = (estimate - truth) / mcse;
        let constant = all.iter().all(|&v| v == all[0]);
        let r_hat = if constant {
            f64::NAN
        } else {
            rhat_rank(&chains)
        };
        let per_chain = chains
            .iter()
            .map(|c| c.iter().sum::<f64>() / c.len().max(1) as f64)
            .collect();
        if !(z.abs() <= criteria.max_abs_z) {
            failures.push(format!(
                "mode {} weight {estimate:.3} vs {truth:.3} (MCSE {mcse:.3}, |z| = {:.1})",
                k + 1,
                z.abs()
            ));
        } else if !constant && !(r_hat < criteria.max_r_hat) {
            failures.push(format!("mode {} occupancy R-hat {r_hat:.3}", k + 1));
        }
        out.push(ModeOccupancy {
            truth,
            estimate,
            mcse,
            z,
            r_hat,
            per_chain,
        });
    }
    ModeVerdict {
        correct: failures.is_empty(),
        failures,
        modes: out,
    }
}

/// Both verdicts on `draws` of the built-in multimodal target `model`: the moments against the
/// exact reference ([`judge`]) and every mode's weight ([`judge_modes`]), the first's failures
/// extended by the second's; `None` when the target has no exact reference or no modes.
///
/// ```
/// use flowpost_models::{ModelOptions, occupancy::judge_target, reference::Criteria};
/// use flowpost::{ChainDraws, Draws, DrawStats};
/// // Every draw at θ = 1.5, β = 0.3: one mode only, so the weights fail.
/// let chain = ChainDraws {
///     values: [1.5, 0.3].repeat(100),
///     stats: vec![DrawStats::default(); 100],
///     ..Default::default()
/// };
/// let draws = Draws::new(vec!["theta".into(), "beta".into()], vec![chain.clone(), chain]).unwrap();
/// let (v, m) = judge_target("sign_flip", &ModelOptions::default(), &draws, &Criteria::default())
///     .unwrap()
///     .unwrap();
/// assert!(!v.correct && !m.correct);
/// ```
pub fn judge_target(
    model: &str,
    options: &ModelOptions,
    draws: &Draws,
    criteria: &Criteria,
) -> Result<Option<(Verdict, ModeVerdict)>, ModelError> {
    let (Some(r), Some(m)) = (reference(model, options)?, modes(model, options)?) else {
        return Ok(None);
    };
    let mut v = judge(draws, &r, criteria);
    let m = judge_modes(draws, &m, criteria);
    v.failures.extend(m.failures.clone());
    v.correct &= m.correct;
    Ok(Some((v, m)))
}
