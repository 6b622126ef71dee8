//! auto's first answer to a flow's divergent draws: NUTS again in the same flow's latent space
//! at a higher target acceptance statistic (Stan's advice for divergences: a smaller step
//! size), before the last check's low-rank rerun.
//!
//! Divergences in a trained flow's latent space come from where the flow is not quite right
//! (the funnel's neck), and a smaller step size gets through them; a rerun of low-rank NUTS on
//! the model's own parametrization does not, where a flow was needed in the first place. On
//! funnel d = 100 (4 × 1000 draws, seeds 2 and 3) NeuTra's draws at 0.95 had 0.78% and 1.50%
//! divergent draws, R-hat and `v`'s moments fine, and low-rank NUTS then spent 286k–355k
//! gradients to do worse (R-hat 1.5); the same flow at 0.99 with a fresh warmup gave 0 and
//! 0.23% divergent draws with `v`'s mean within 1 MCSE of 0 and its sd within 7% of 3. A warm
//! start from the first run's adaptation with a 100-draw warmup did not suffice (0.85%
//! divergent on seed 3), so the rerun has the flow path's full latent warmup.
//!
//! The rerun is skipped when the user set the target acceptance (that choice is theirs) or the
//! run already had [`AutoSettings::raised_target_accept`].

use super::{AutoChoice, AutoOutcome, AutoSettings, RunCheck};
use crate::density::LogDensity;
use crate::nuts::NutsSettings;
use crate::progress::{Phase, Progress};

/// NUTS rerun in the flow's latent space at a higher target acceptance statistic after the
/// flow's draws diverged too often ([`AutoSettings::raised_target_accept`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RaisedAccept {
    /// The first run's target acceptance statistic.
    pub from: f64,
    /// The rerun's.
    pub target_accept: f64,
    /// Why the first run's draws failed.
    pub reason: String,
    /// The first run's diagnostics.
    pub first_check: RunCheck,
    /// The rerun's.
    pub check: RunCheck,
    /// Why the rerun failed too (`None`: it passed).
    pub failure: Option<String>,
    /// Whether the rerun's draws were kept (it passed, or did better than the first run).
    pub kept: bool,
    /// Gradient evaluations of the run that was not kept.
    pub num_grad_evals_discarded: u64,
}

impl RaisedAccept {
    /// The sentence the terminal shows, after the decision's.
    pub fn describe(&self) -> String {
        let outcome = match (&self.failure, self.kept) {
            (None, _) => "it passed".to_string(),
            (Some(why), true) => format!("it failed too ({why}) but less badly"),
            (Some(why), false) => format!("it did worse ({why}), so the first run's draws stay"),
        };
        format!(
            "NeuTra's draws failed their diagnostics ({}), and NUTS ran again in the flow's \
             latent space at target acceptance {} (was {}): {outcome}",
            self.reason, self.target_accept, self.from
        )
    }
}

/// Whether draws in a trained flow's latent space with diagnostics `check`, run at
/// `target_accept`, are rerun at [`AutoSettings::raised_target_accept`]: too many of them
/// diverged, the user did not set the target (`user_set`), and it is below the raised one.
pub(super) fn calls_for_raise(
    check: &RunCheck,
    auto: &AutoSettings,
    target_accept: f64,
    user_set: bool,
) -> bool {
    !user_set && target_accept < auto.raised_target_accept && check.too_divergent(auto)
}

/// `chosen` unchanged unless it is the flow path and [`calls_for_raise`]; then NUTS runs
/// again through the same flow with `nuts` (the run's settings) at the raised target and the
/// flow path's warmup, and the rerun's draws are kept when they pass or do better. The run not
/// kept is counted as discarded; the report says what happened.
pub(super) fn raise_if_divergent<D: LogDensity + ?Sized>(
    density: &D,
    auto: &AutoSettings,
    nuts: &NutsSettings,
    user_set: bool,
    progress: &dyn Progress,
    mut chosen: AutoOutcome,
) -> Result<AutoOutcome, crate::Error> {
    if chosen.report.choice != AutoChoice::Flow {
        return Ok(chosen);
    }
    let Some(flow) = chosen.flow.as_ref() else {
        return Ok(chosen);
    };
    let check = RunCheck::of(&chosen.nuts, auto);
    if !calls_for_raise(&check, auto, chosen.target_accept, user_set) {
        return Ok(chosen);
    }
    let reason = check.failure(auto).unwrap_or_default();
    let raised = auto.raised_target_accept;
    let from = chosen.target_accept;
    progress.note(
        Phase::Sampling,
        &format!(
            "auto: NeuTra's draws failed their diagnostics ({reason}); running NUTS again in \
             the flow's latent space at target acceptance {raised}"
        ),
    );
    let settings = NutsSettings {
        target_accept: raised,
        num_tune: chosen.num_tune,
        metric: chosen.metric,
        ..nuts.clone()
    };
    let run = crate::nuts::sample(density, Some(flow), &settings, progress)?;
    let rerun_check = RunCheck::of(&run, auto);
    let failure = rerun_check.failure(auto);
    let kept = failure.is_none() || rerun_check.better_than(&check, auto);
    let discarded = chosen.replace_or_discard(run, kept, |c| c.target_accept = raised);
    chosen.report.raised_accept = Some(RaisedAccept {
        from,
        target_accept: raised,
        reason,
        first_check: check,
        check: rerun_check,
        failure,
        kept,
        num_grad_evals_discarded: discarded,
    });
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(num_divergent: usize, max_r_hat: f64) -> RunCheck {
        RunCheck {
            max_r_hat,
            min_e_bfmi: 0.8,
            num_low_e_bfmi: 0,
            num_chains: 4,
            num_divergent,
            num_draws: 4000,
        }
    }

    #[test]
    fn only_too_many_divergences_below_the_raised_target_call_for_a_raise() {
        let auto = AutoSettings::default();
        // 31 of 4000 (0.78%, funnel d = 100 seed 2) at 0.95: rerun.
        assert!(calls_for_raise(&check(31, 1.007), &auto, 0.95, false));
        // With a bad R-hat too: divergences are still there to fix.
        assert!(calls_for_raise(&check(31, 1.05), &auto, 0.95, false));
        // 20 of 4000 is 0.5%, not more: no rerun.
        assert!(!calls_for_raise(&check(20, 1.0), &auto, 0.95, false));
        // R-hat alone is not what a smaller step fixes.
        assert!(!calls_for_raise(&check(0, 1.05), &auto, 0.95, false));
        // The user's target stands; a run at the raised target is not rerun.
        assert!(!calls_for_raise(&check(31, 1.0), &auto, 0.95, true));
        assert!(!calls_for_raise(&check(31, 1.0), &auto, 0.99, false));
    }

    #[test]
    fn the_sentence_says_what_happened() {
        let r = RaisedAccept {
            from: 0.95,
            target_accept: 0.99,
            reason: "31 of 4000 draws divergent (0.78% > 0.5%)".into(),
            first_check: check(31, 1.007),
            check: check(0, 1.003),
            failure: None,
            kept: true,
            num_grad_evals_discarded: 1,
        };
        let text = r.describe();
        assert!(
            text.contains("at target acceptance 0.99 (was 0.95): it passed"),
            "{text}"
        );
        let worse = RaisedAccept {
            failure: Some("x".into()),
            kept: false,
            ..r
        };
        assert!(worse.describe().ends_with("so the first run's draws stay"));
    }
}
