//! The verdict on a fitted flow q: its Pareto k̂ (Vehtari et al. 2024; Yao et al. 2018) and the
//! share of its draws that fall where the target's log-density fails. [`fit_verdict`] is the one
//! place that decides the verdict and its words: the terminal, `summary.json` and the report all
//! show [`FitVerdict::label`] / [`FitVerdict::text`].
//!
//! A draw of q where the target fails means q puts mass where p is zero (or undefined): the
//! ELBO is then −∞ and k̂, estimated on the surviving draws only, says nothing about that mass.
//! Such a fit is never "good", whatever its k̂.

/// The verdict on a flow fit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FitVerdict {
    /// k̂ < 0.5: a close fit, a reliable importance sampler.
    Good,
    /// 0.5 ≤ k̂ < 0.7: a rough fit; NUTS corrects the rest.
    Ok,
    /// k̂ ≥ 0.7: the flow misses part of the posterior.
    Poor,
    /// Some of q's draws fall where the log-density fails: q has mass outside the target's
    /// support.
    OutsideSupport,
    /// k̂ is not a number (too few finite importance ratios).
    Undefined,
}

/// The verdict from k̂ and the fraction of q's fresh draws where the target failed.
/// `k̂ = +∞` is PSIS's answer for exactly constant ratios (no tail), i.e. an exact fit.
///
/// ```
/// use flowpost::diagnostics::{FitVerdict, fit_verdict};
/// assert_eq!(fit_verdict(0.3, 0.0), FitVerdict::Good);
/// assert_eq!(fit_verdict(0.6, 0.0), FitVerdict::Ok);
/// assert_eq!(fit_verdict(0.9, 0.0), FitVerdict::Poor);
/// // A k̂ of −3.5 on the survivors is no excuse for 7% of q's draws failing.
/// assert_eq!(fit_verdict(-3.5, 0.07), FitVerdict::OutsideSupport);
/// assert!(!fit_verdict(-3.5, 0.07).is_usable());
/// ```
pub fn fit_verdict(pareto_k: f64, dropped_fraction: f64) -> FitVerdict {
    if dropped_fraction > 0.0 {
        FitVerdict::OutsideSupport
    } else if pareto_k.is_nan() {
        FitVerdict::Undefined
    } else if pareto_k < 0.5 || pareto_k == f64::INFINITY {
        FitVerdict::Good
    } else if pareto_k < 0.7 {
        FitVerdict::Ok
    } else {
        FitVerdict::Poor
    }
}

impl FitVerdict {
    /// One word: `good`, `ok`, `poor`, `outside support`, `undefined`.
    pub fn label(self) -> &'static str {
        match self {
            FitVerdict::Good => "good",
            FitVerdict::Ok => "ok",
            FitVerdict::Poor => "poor",
            FitVerdict::OutsideSupport => "outside support",
            FitVerdict::Undefined => "undefined",
        }
    }

    /// The label with what it means for the user.
    pub fn text(self) -> &'static str {
        match self {
            FitVerdict::Good => "good: the flow is a close fit to the posterior",
            FitVerdict::Ok => "ok: the flow fits roughly; NUTS corrects the remaining mismatch",
            FitVerdict::Poor => {
                "poor: the flow misses part of the posterior; rely on NUTS and its diagnostics, not on the flow alone"
            }
            FitVerdict::OutsideSupport => {
                "outside support: some of the flow's draws fall where the log-density fails, so k-hat and the ELBO (computed on the rest) overstate the fit; rely on NUTS and its diagnostics"
            }
            FitVerdict::Undefined => {
                "undefined: too few finite importance ratios to estimate k-hat"
            }
        }
    }

    /// Whether the flow alone can be trusted as an importance sampler.
    pub fn is_usable(self) -> bool {
        matches!(self, FitVerdict::Good | FitVerdict::Ok)
    }

    /// The report's colour class: `good`, `ok` or `bad`.
    pub fn class(self) -> &'static str {
        match self {
            FitVerdict::Good => "good",
            FitVerdict::Ok => "ok",
            _ => "bad",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_undefined() {
        assert_eq!(fit_verdict(0.49, 0.0), FitVerdict::Good);
        assert_eq!(fit_verdict(0.5, 0.0), FitVerdict::Ok);
        assert_eq!(fit_verdict(0.7, 0.0), FitVerdict::Poor);
        assert_eq!(fit_verdict(f64::NAN, 0.0), FitVerdict::Undefined);
        assert_eq!(fit_verdict(f64::INFINITY, 0.0), FitVerdict::Good);
        assert_eq!(fit_verdict(0.1, 0.001), FitVerdict::OutsideSupport);
        assert!(FitVerdict::Ok.is_usable() && !FitVerdict::Poor.is_usable());
    }
}
