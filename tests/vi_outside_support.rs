//! A target that is undefined on part of the line (issue 13's reproducer: a Stan `reject` for
//! x > 1.5, here a Rust density that fails there). The Gaussian fit puts ~7% of its mass where
//! the target fails; before the fix the exact-Gaussian shortcut fired on the surviving draws
//! ("1 steps, Pareto k̂ -3.50 (good)") and nothing said that draws were dropped.

use flowpost::diagnostics::FitVerdict;
use flowpost::flow::FlowSettings;
use flowpost::progress::NoProgress;
use flowpost::report::{ReportInput, ReportVi, RunFacts, render_report};
use flowpost::vi::{StopReason, ViSettings, fit_default};
use flowpost::{DensityError, LogDensity, SampleSettings, sample};

/// N(0, 1) restricted to x ≤ 1.5; the density fails (recoverably) above.
struct Rejects;

impl LogDensity for Rejects {
    fn dim(&self) -> usize {
        1
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        if x[0] > 1.5 {
            return Err(DensityError::recoverable("x is too big"));
        }
        g[0] = -x[0];
        Ok(-0.5 * x[0] * x[0])
    }
}

#[test]
fn mass_outside_the_support_is_counted_and_never_good() {
    let settings = ViSettings {
        max_steps: 400,
        ..Default::default()
    };
    let (_, r) = fit_default(
        &Rejects,
        &FlowSettings::default(),
        &settings,
        3,
        &NoProgress,
    )
    .unwrap();
    // No early stop on the survivors: the fit trains.
    assert!(
        r.num_steps > 1 && r.stop_reason != StopReason::Converged,
        "{} steps, {:?}",
        r.num_steps,
        r.stop_reason
    );
    assert!(r.num_dropped > 0, "training drops draws");
    assert_eq!(r.num_final_draws, 1000);
    assert!(r.num_dropped_final > 0, "{r:?}");
    assert_eq!(r.verdict(), FitVerdict::OutsideSupport);
    assert!(!r.verdict().is_usable());
    let line = r.dropped_summary().unwrap();
    assert!(
        line.contains("in training") && line.contains("of 1000 in the final estimate"),
        "{line}"
    );
}

#[test]
fn a_sampled_run_reports_it_as_a_warning() {
    let settings = SampleSettings {
        num_chains: 2,
        num_draws: 200,
        seed: 5,
        ..Default::default()
    };
    let run = sample(&Rejects, &settings).unwrap();
    let vi = run.vi.as_ref().unwrap();
    assert_eq!(vi.verdict(), FitVerdict::OutsideSupport);
    let mut input = ReportInput::new("rejects", &run.draws, RunFacts::from_run(&run));
    input.vi = Some(ReportVi::from_vi(vi));
    let (html, summary) = render_report(&input).unwrap();
    let w = summary
        .warnings
        .iter()
        .find(|w| w.kind == "flow fit")
        .expect("a flow-fit warning in summary.json");
    assert!(
        w.message.contains("fall where the log-density fails"),
        "{}",
        w.message
    );
    let vi_summary = summary.vi.unwrap();
    assert_eq!(vi_summary.verdict, FitVerdict::OutsideSupport);
    assert!(vi_summary.dropped_fraction > 0.0);
    assert!(html.contains("outside support"));
}
