//! `Method::Auto` on posteriors with separated modes: the mode probe after the Gaussian fit
//! finds the mode the fit missed (sign_flip: without it every chain sat in one mode, R-hat
//! 1.00; mixture2: chains stuck in both modes), and the multimodal sampler runs instead of NUTS
//! and weighs the modes right; a run split across machines keeps NUTS and warns; on a unimodal
//! posterior (a funnel's neck included) nothing changes.

use flowpost::auto::AutoChoice;
use flowpost::{Method, Run, SampleSettings, sample};
use flowpost_models::occupancy::judge_target;
use flowpost_models::reference::Criteria;
use flowpost_models::{ModelOptions, load};

fn run_auto(model: &str, seed: u64, first_chain: usize) -> Run {
    let density = load(model, &ModelOptions::default()).unwrap();
    let settings = SampleSettings {
        method: Method::Auto,
        seed,
        first_chain,
        ..Default::default()
    };
    sample(&*density, &settings).unwrap()
}

/// Means, sds and every mode's weight within 4 MCSE of the exact answer.
fn assert_correct(model: &str, run: &Run) {
    let (v, _) = judge_target(
        model,
        &ModelOptions::default(),
        &run.draws,
        &Criteria::default(),
    )
    .unwrap()
    .unwrap();
    assert!(v.correct, "{model}: {:?}", v.failures);
}

#[test]
fn a_separated_mode_sends_auto_to_the_multimodal_sampler() {
    let run = run_auto("sign_flip", 1, 0);
    let auto = run.auto.as_ref().unwrap();
    assert_eq!(auto.choice, AutoChoice::Multimodal);
    let probe = auto.mode_probe.as_ref().unwrap();
    assert_eq!(probe.separated.len(), 1, "{probe:?}");
    let mirror = &probe.separated[0];
    // θ's modes are ±1.5: the probe found the one the Gaussian fit missed.
    assert!((mirror.values[0].abs() - 1.5).abs() < 0.1, "{mirror:?}");
    assert!(run.multimodal.is_some());
    assert!(
        auto.describe()
            .contains("mode probe after the Gaussian fit found"),
        "{}",
        auto.describe()
    );
    assert!(auto.warnings().is_empty(), "the switch is no warning");
    // No NUTS ran: the fit, the probe and the mode search are the cost before sampling.
    assert!(auto.evidence.is_empty());
    assert_eq!(run.method, Method::Auto);
    assert_correct("sign_flip", &run);
}

#[test]
fn two_gaussians_8_sds_apart_send_auto_to_the_multimodal_sampler() {
    let run = run_auto("mixture2", 1, 0);
    let auto = run.auto.as_ref().unwrap();
    assert_eq!(auto.choice, AutoChoice::Multimodal);
    assert_correct("mixture2", &run);
}

#[test]
fn a_split_run_keeps_its_draws_and_warns() {
    let run = run_auto("sign_flip", 1, 4);
    let auto = run.auto.as_ref().unwrap();
    assert_eq!(auto.choice, AutoChoice::Whitened);
    assert!(run.multimodal.is_none());
    let warnings = auto.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].kind(), "modes");
    assert!(
        warnings[0].message().contains("behind a valley"),
        "{}",
        warnings[0].message()
    );
}

/// The probe of a run auto sent to `choice`, which found no separated mode.
fn probe_without_modes(run: &Run, choice: AutoChoice) -> &flowpost::auto::ModeProbe {
    let auto = run.auto.as_ref().unwrap();
    assert_eq!(auto.choice, choice);
    let probe = auto.mode_probe.as_ref().unwrap();
    assert!(probe.separated.is_empty(), "{probe:?}");
    probe
}

#[test]
fn a_unimodal_posterior_is_left_alone() {
    let run = run_auto("eight_schools_noncentered", 2, 0);
    let probe = probe_without_modes(&run, AutoChoice::Whitened);
    // Its optimum at τ ≈ 29 lies past 99% of the draws but is a tail of the same mode: no
    // valley on the way.
    assert!(probe.num_connected > 0, "{probe:?}");
}

#[test]
fn a_funnels_neck_is_a_spike_not_a_mode() {
    // Neal's funnel in d = 10 has an optimum at v ≈ −40, behind a "valley" of 1e15 nats on the
    // straight line from the fit, with Laplace sds 1e-9 of the fit's.
    let run = run_auto("funnel", 1, 0);
    let probe = probe_without_modes(&run, AutoChoice::Flow);
    assert!(probe.num_spikes > 0, "{probe:?}");
    // The probe's gradients are part of the run's cost.
    assert!(run.cost.num_grad_evals.vi > probe.num_grad_evals);
}
