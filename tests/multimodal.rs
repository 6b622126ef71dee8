//! `Method::Multimodal` on targets with known modes: every mode's weight within 4 MCSE of the
//! truth and the means and sds right (fixed seeds); plain NUTS on the same target gets the
//! weights wrong (so the check can fail); the same draws whatever the thread count; clear
//! errors when no start finds a mode; log Z from the jump proposals within 4 MCSE of the truth,
//! and `None` with the reason when the proposals' k̂ is poor.

use flowpost::multimodal::{ModeSearchSettings, find_modes};
use flowpost::report::{ReportInput, RunFacts, render_report};
use flowpost::{DensityError, LogDensity, Method, SampleSettings, sample};
use flowpost_models::occupancy::{judge_target, log_evidence};
use flowpost_models::reference::Criteria;
use flowpost_models::{ModelOptions, load};

fn run(
    model: &str,
    dim: Option<usize>,
    method: Method,
    seed: u64,
) -> (flowpost::Run, bool, Vec<String>) {
    let options = ModelOptions { dim };
    let density = load(model, &options).unwrap();
    let settings = SampleSettings {
        method,
        seed,
        ..Default::default()
    };
    let run = sample(&*density, &settings).unwrap();
    let (v, m) = judge_target(model, &options, &run.draws, &Criteria::default())
        .unwrap()
        .unwrap();
    let summary: Vec<String> = m
        .modes
        .iter()
        .map(|o| format!("{:.3}±{:.3} ({:.3})", o.estimate, o.mcse, o.truth))
        .collect();
    println!(
        "{model} {method:?} seed {seed}: weights {summary:?}; failures {:?}",
        v.failures
    );
    (run, v.correct, v.failures)
}

#[test]
fn two_modes_weighted_0_2_and_0_8_get_their_weights() {
    let (run, ok, failures) = run("mixture2", Some(2), Method::Multimodal, 1);
    assert!(ok, "{failures:?}");
    let report = run.multimodal.as_ref().unwrap();
    assert_eq!(report.modes.len(), 2);
    assert!(report.jump_acceptance > 0.5, "{}", report.describe());
    // Every chain visits both modes.
    assert!(
        report
            .modes
            .iter()
            .all(|m| m.occupancy_per_chain.iter().all(|&f| f > 0.05))
    );
    // The report shows the modes, the occupancy per chain, the jumps and the evidence;
    // summary.json has them under run.multimodal.
    let input = ReportInput::new("mixture2", &run.draws, RunFacts::from_run(&run));
    let (html, file) = render_report(&input).unwrap();
    assert!(html.contains(r#"<table class="summary" data-table="modes">"#));
    assert!(html.contains("<th>chain 4</th>") && html.contains("Gaussian"));
    assert!(html.contains(r#"data-fact="jump-acceptance""#));
    let json = serde_json::to_value(&file).unwrap();
    let m = &json["run"]["multimodal"];
    assert_eq!(
        m["modes"][0]["occupancy_per_chain"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert!(m["log_evidence"]["value"].is_f64(), "{m}");
    assert!(m["modes"][0]["proposal_nu"].is_null());
}

#[test]
fn four_modes_in_ten_dimensions_get_their_weights() {
    let (run, ok, failures) = run("mixture4", Some(10), Method::Multimodal, 2);
    assert!(ok, "{failures:?}");
    assert_eq!(run.multimodal.as_ref().unwrap().modes.len(), 4);
}

#[test]
fn plain_nuts_gets_the_weights_wrong_on_the_same_target() {
    let (_, ok, failures) = run("mixture2", Some(2), Method::Nuts, 1);
    assert!(!ok);
    assert!(
        failures.iter().any(|f| f.starts_with("mode")),
        "{failures:?}"
    );
}

#[test]
fn the_draws_do_not_depend_on_the_thread_count() {
    let density = load("mixture2", &ModelOptions { dim: Some(3) }).unwrap();
    let settings = SampleSettings {
        method: Method::Multimodal,
        seed: 5,
        num_draws: 100,
        ..Default::default()
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let a = one.install(|| sample(&*density, &settings).unwrap());
    let b = sample(&*density, &settings).unwrap();
    assert_eq!(a.draws, b.draws);
    assert_eq!(a.cost.num_grad_evals, b.cost.num_grad_evals);
}

/// Fails everywhere (recoverably).
struct Nowhere;
impl LogDensity for Nowhere {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, _x: &[f64], _g: &mut [f64]) -> Result<f64, DensityError> {
        Err(DensityError::recoverable("outside the support"))
    }
}

/// log p = x₀ + x₁: increases without bound, no mode.
struct Ramp;
impl LogDensity for Ramp {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        g.fill(1.0);
        Ok(x[0] + x[1])
    }
}

/// log p = −x₀²/2 + x₁: a proper Gaussian in x₀, improper (increasing without bound) in x₁.
struct HalfRamp;
impl LogDensity for HalfRamp {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        g[0] = -x[0];
        g[1] = 1.0;
        Ok(-0.5 * x[0] * x[0] + x[1])
    }
}

#[test]
fn no_mode_found_is_a_clear_error() {
    let settings = ModeSearchSettings {
        num_starts: 4,
        ..Default::default()
    };
    let e = find_modes(&Nowhere, &settings, 1).unwrap_err().to_string();
    assert!(
        e.contains("all 4 starts failed") && e.contains("outside the support"),
        "{e}"
    );
    for (name, e) in [
        ("ramp", find_modes(&Ramp, &settings, 1)),
        ("half ramp", find_modes(&HalfRamp, &settings, 1)),
    ] {
        let e = e.unwrap_err().to_string();
        assert!(
            e.contains("all 4 starts failed") && e.contains("mode at infinity"),
            "{name}: {e}"
        );
    }
    // Through sample(), without the preflight (which would stop Nowhere first).
    let s = SampleSettings {
        method: Method::Multimodal,
        preflight: false,
        ..Default::default()
    };
    let e = sample(&Nowhere, &s).unwrap_err().to_string();
    assert!(e.contains("multi-start mode search"), "{e}");
    let e = sample(&HalfRamp, &s).unwrap_err().to_string();
    assert!(
        e.contains("multi-start mode search") && e.contains("mode at infinity"),
        "{e}"
    );
    let bad = SampleSettings {
        method: Method::Multimodal,
        multimodal: flowpost::multimodal::MultimodalSettings {
            search: ModeSearchSettings {
                num_starts: 0,
                ..Default::default()
            },
        },
        ..Default::default()
    };
    let e = sample(&Ramp, &bad).unwrap_err().to_string();
    assert!(e.contains("num_starts"), "{e}");
}

/// log Z from the jump proposals on targets where it is known: `sign_flip` (2-d, modes that are
/// not Gaussian, so the weights vary: k̂ ≈ 0.5, MCSE ≈ 0.004), the Gaussian mixture and the
/// Student-t mixture, whose components are fitted exactly (Gaussian; t with ν = 5), so that
/// their weights are constant up to the mass estimates (MCSE 1e-9–1e-5).
#[test]
fn the_evidence_is_within_4_mcse_of_the_truth() {
    for (model, dim) in [
        ("sign_flip", None),
        ("mixture2", Some(2)),
        ("mixture2_t", Some(2)),
    ] {
        let options = ModelOptions { dim };
        let (run, ok, failures) = run(model, dim, Method::Multimodal, 1);
        assert!(ok, "{model}: {failures:?}");
        let report = run.multimodal.as_ref().unwrap();
        let z = report
            .log_evidence
            .unwrap_or_else(|| panic!("{model}: {:?}", report.log_evidence_note));
        let truth = log_evidence(model, &options).unwrap().unwrap();
        println!(
            "{model}: log Z {:.5} ± {:.2e} (k̂ {:.2}), exact {truth:.5}",
            z.value, z.mcse, z.pareto_k
        );
        assert!(z.mcse > 0.0 && z.mcse < 0.02, "{model}: {z:?}");
        assert!(
            (z.value - truth).abs() < 4.0 * z.mcse,
            "{model}: {z:?} vs {truth}"
        );
    }
}

/// A standard Gaussian in 2-d out to radius 3, a polynomial tail p ∝ r⁻³ beyond (log p
/// and its gradient continuous): the tail probe (radii up to 2√d = 2.83) sees a Gaussian, so
/// the jump proposal is one, and its importance weights p/q grow without bound past r = 3
/// (infinite variance).
struct GaussianCoreHeavyTail;
impl LogDensity for GaussianCoreHeavyTail {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        const R0: f64 = 3.0;
        const A: f64 = 3.0;
        let r = (x[0] * x[0] + x[1] * x[1]).sqrt();
        let (lp, dlp_dr) = if r <= R0 {
            (-0.5 * r * r, -r)
        } else {
            let u = 1.0 + (r - R0) * R0 / A;
            (-0.5 * R0 * R0 - A * u.ln(), -R0 / u)
        };
        for i in 0..2 {
            g[i] = if r > 0.0 { dlp_dr * x[i] / r } else { 0.0 };
        }
        Ok(lp)
    }
}

#[test]
fn the_evidence_is_null_with_the_reason_when_k_hat_is_poor() {
    let settings = SampleSettings {
        method: Method::Multimodal,
        seed: 1,
        num_tune: Some(300),
        ..Default::default()
    };
    let run = sample(&GaussianCoreHeavyTail, &settings).unwrap();
    let report = run.multimodal.as_ref().unwrap();
    println!("{}", report.describe());
    assert!(report.log_evidence.is_none(), "{:?}", report.log_evidence);
    let note = report.log_evidence_note.as_deref().unwrap();
    assert!(note.contains("k̂"), "{note}");
    assert!(report.describe().contains("log evidence: not reported"));
}

/// log p = log(e^{−x₀²/2} + e^{x₀ − 2}) − x₁²/2: a local mode near x₀ = 0.2 and, past a saddle
/// at x₀ ≈ 1.3, a density that grows without bound (improper in +x₀).
struct ModeAndRunaway;
impl LogDensity for ModeAndRunaway {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        let (a, b) = (-0.5 * x[0] * x[0], x[0] - 2.0);
        let hi = a.max(b);
        let (ea, eb) = ((a - hi).exp(), (b - hi).exp());
        g[0] = (-x[0] * ea + eb) / (ea + eb);
        g[1] = -x[1];
        Ok(hi + (ea + eb).ln() - 0.5 * x[1] * x[1])
    }
}

/// Some starts find the mode, others run off to infinity: the run goes on, but with a warning
/// (terminal, summary.json, report) that names the mode at infinity.
#[test]
fn starts_that_run_off_to_infinity_are_a_warning() {
    let settings = SampleSettings {
        method: Method::Multimodal,
        seed: 1,
        num_tune: Some(100),
        num_draws: 100,
        preflight: false,
        ..Default::default()
    };
    let run = sample(&ModeAndRunaway, &settings).unwrap();
    let report = run.multimodal.as_ref().unwrap();
    assert_eq!(report.modes.len(), 1);
    assert!(
        report.num_failed_starts > 0 && report.num_failed_starts < report.num_starts,
        "{}",
        report.describe()
    );
    let w = report.warning().unwrap();
    assert_eq!(w.kind(), "mode search");
    assert!(w.message().contains("mode at infinity"), "{}", w.message());
    let input = ReportInput::new("runaway", &run.draws, RunFacts::from_run(&run));
    let (_, file) = render_report(&input).unwrap();
    assert!(file.warnings.iter().any(|w| w.kind == "mode search"));
}
