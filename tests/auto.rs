//! `Method::Auto`: the decision, its evidence, and correctness on both of its paths.

use flowpost::auto::{AutoChoice, Evidence, pilot_gaussian};
use flowpost::flow::GaussianFit;
use flowpost::nuts::{ChainWarmup, WarmupReport};
use flowpost::{DrawStats, Method, SampleSettings, sample};
use flowpost_models::reference::{Criteria, judge, reference};
use flowpost_models::{ModelOptions, load};

fn run_auto(model: &str, seed: u64) -> flowpost::Run {
    let density = load(model, &ModelOptions::default()).unwrap();
    let settings = SampleSettings {
        method: Method::Auto,
        seed,
        ..Default::default()
    };
    let run = sample(&*density, &settings).unwrap();
    let r = reference(model, &ModelOptions::default()).unwrap().unwrap();
    let verdict = judge(&run.draws, &r, &Criteria::default());
    assert!(verdict.correct, "{model}: {:?}", verdict.failures);
    run
}

/// An ordinary regression posterior needs no flow: auto stays on whitened NUTS, is correct,
/// and costs far less than the 1000-draw warmup of low-rank NUTS (measured 22k gradients in all
/// vs 29k of low-rank NUTS's warmup alone on this model, seed 1).
#[test]
fn an_ordinary_posterior_gets_whitened_nuts() {
    let run = run_auto("kidiq-kidscore_interaction", 1);
    let auto = run.auto.as_ref().unwrap();
    assert_eq!(auto.choice, AutoChoice::Whitened);
    assert!(auto.escalation_reason.is_none());
    assert_eq!(auto.evidence.len(), 3, "checkpoints 75, 150 and the end");
    assert!(auto.evidence.iter().all(|e| e.fisher_per_dim < 0.1));
    assert_eq!(run.num_tune, 300);
    // What NUTS ran with is recorded as used: low-rank metric, target acceptance 0.8.
    assert_eq!(run.metric, flowpost::nuts::Metric::LowRank);
    assert_eq!(run.target_accept, 0.8);
    assert!(
        run.cost.num_grad_evals.total() < 30_000,
        "{:?}",
        run.cost.num_grad_evals
    );
    // The flow of a whitened run is the Gaussian fit alone.
    assert_eq!(run.vi.as_ref().unwrap().num_steps, 0);
}

/// The funnel needs a flow: the evidence says so at the first checkpoint, the flow path is
/// correct, and the discarded pilot's gradients are counted.
#[test]
fn the_funnel_gets_a_flow() {
    let run = run_auto("funnel", 1);
    let auto = run.auto.as_ref().unwrap();
    assert_eq!(auto.choice, AutoChoice::Flow);
    assert_eq!(auto.evidence.len(), 1, "{:?}", auto.evidence);
    assert!(auto.evidence[0].fisher_per_dim > 1.5);
    assert!(auto.escalation_reason.as_ref().unwrap().contains("Fisher"));
    assert!(auto.num_grad_evals_discarded > 0);
    assert!(run.cost.num_grad_evals.warmup > auto.num_grad_evals_discarded);
    assert!(run.vi.as_ref().unwrap().num_steps > 0);
    // NUTS in the flow's latent space: 200 warmup draws, target acceptance 0.95, and the
    // CSV header says so (it said the whitened path's 0.8 before).
    assert_eq!(run.num_tune, 200);
    assert_eq!(run.target_accept, 0.95);
    assert_eq!(run.metric, flowpost::nuts::Metric::Diag);
    // The decision and its evidence reach summary.json (read back) and the report.
    let dir = std::env::temp_dir().join(format!("flowpost-auto-test-{}", std::process::id()));
    let written = run
        .write_outputs(&dir, "funnel", &SampleSettings::default())
        .unwrap();
    let text = std::fs::read_to_string(written.dir.join("summary.json")).unwrap();
    let file: flowpost::report::SummaryFile = serde_json::from_str(&text).unwrap();
    assert_eq!(file.run.auto.as_ref(), Some(auto));
    let html = std::fs::read_to_string(written.dir.join("report.html")).unwrap();
    assert!(html.contains("auto&#x27;s decision") || html.contains("auto's decision"));
    assert!(html.contains("trained a flow (NeuTra)"));
    let csv = std::fs::read_to_string(written.dir.join("chain_1.csv")).unwrap();
    assert!(csv.contains("# target_accept = 0.95\n"), "{}", &csv[..2000]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The flow path is unbiased where a bias shows: at 4 × 4000 draws the MCSE is half that of
/// the default 4 × 1000. With the flow's base a dense Gaussian of the pilot's ~150 transient
/// draws, v's mean was +0.22 and +0.26 (MCSE 0.03, z ≈ 8) and its sd 2.79–2.83 at seeds 2 and
/// 3; every moment must now be within 4 MCSE, and v's sd within 5% of 3.
#[test]
fn the_funnels_flow_path_is_unbiased_at_4000_draws() {
    let density = load("funnel", &ModelOptions::default()).unwrap();
    let r = reference("funnel", &ModelOptions::default())
        .unwrap()
        .unwrap();
    for seed in [2, 3] {
        let settings = SampleSettings {
            method: Method::Auto,
            seed,
            num_draws: 4000,
            ..Default::default()
        };
        let run = sample(&*density, &settings).unwrap();
        assert_eq!(run.auto.as_ref().unwrap().choice, AutoChoice::Flow);
        let verdict = judge(&run.draws, &r, &Criteria::default());
        assert!(verdict.correct, "seed {seed}: {:?}", verdict.failures);
        let summary = flowpost::diagnostics::summarize(&run.draws);
        let v = &summary[0];
        assert!(
            (v.sd - 3.0).abs() < 0.15,
            "seed {seed}: v sd {} against 3",
            v.sd
        );
    }
}

/// Neal's funnel at d = 100, seed 2: NeuTra's draws at target acceptance 0.95 have 31 of 4000
/// divergent (0.78%), so auto draws again through the same flow at 0.99 — measured 1
/// divergent draw, v's mean −0.014 (MCSE 0.086), sd 3.03, R-hat 1.006 — instead of the
/// low-rank rerun that did worse there (R-hat 1.5) after 355k gradients.
#[test]
fn divergent_flow_draws_are_drawn_again_at_a_higher_target_acceptance() {
    let options = ModelOptions { dim: Some(100) };
    let density = load("funnel", &options).unwrap();
    let settings = SampleSettings {
        method: Method::Auto,
        seed: 2,
        ..Default::default()
    };
    let run = sample(&*density, &settings).unwrap();
    let auto = run.auto.as_ref().unwrap();
    assert_eq!(auto.choice, AutoChoice::Flow, "{}", auto.describe());
    let raised = auto
        .raised_accept
        .as_ref()
        .expect("the first draws diverged");
    assert!(raised.first_check.num_divergent * 200 > raised.first_check.num_draws);
    assert_eq!((raised.from, raised.target_accept), (0.95, 0.99));
    assert!(
        raised.kept && raised.failure.is_none(),
        "{}",
        auto.describe()
    );
    assert!(
        auto.fallback.is_none(),
        "no low-rank rerun: {}",
        auto.describe()
    );
    assert_eq!(run.target_accept, 0.99);
    // The discarded first run's gradients are counted.
    assert!(raised.num_grad_evals_discarded > 0);
    assert!(run.cost.num_grad_evals.warmup > raised.num_grad_evals_discarded);
    assert!(
        auto.describe()
            .contains("at target acceptance 0.99 (was 0.95): it passed")
    );
    let r = reference("funnel", &options).unwrap().unwrap();
    let verdict = judge(&run.draws, &r, &Criteria::default());
    assert!(verdict.correct, "{:?}", verdict.failures);
    let v = &flowpost::diagnostics::summarize(&run.draws)[0];
    assert!((v.sd - 3.0).abs() < 0.3, "v sd {} against 3", v.sd);
}

fn report_with(fisher: &[f64], divergent: &[bool], dim: usize) -> WarmupReport {
    let n = fisher.len();
    let chain = ChainWarmup {
        stats: divergent
            .iter()
            .map(|&d| DrawStats {
                divergent: d,
                ..Default::default()
            })
            .collect(),
        fisher_distances: fisher.to_vec(),
        values: vec![0.0; n * dim],
        positions: vec![0.0; n * dim],
        num_grad_evals: 10 * n as u64,
    };
    WarmupReport {
        chains: vec![chain.clone(), chain],
        num_draws: n as u64,
        num_tune: 300,
        seconds: 0.0,
    }
}

/// The evidence is the later half's mean Fisher distance per dimension: early transients
/// (the first half) do not count.
#[test]
fn evidence_reads_the_later_half() {
    let dim = 4;
    let mut fisher = vec![1000.0; 50];
    fisher.extend(vec![2.0; 50]);
    let e = Evidence::from_warmup(&report_with(&fisher, &[false; 100], dim), dim, 0.3);
    assert_eq!(e.num_warmup_draws, 100);
    assert!((e.fisher_per_dim - 0.5).abs() < 1e-12);
    assert_eq!(e.divergent_fraction, 0.0);
    let settings = flowpost::auto::AutoSettings::default();
    assert!(e.escalation_reason(&settings).is_none());
    let bad = Evidence {
        fisher_per_dim: 1.6,
        ..e
    };
    assert!(bad.escalation_reason(&settings).is_some());
    let nan = Evidence {
        fisher_per_dim: f64::NAN,
        ..e
    };
    assert!(
        nan.escalation_reason(&settings).is_some(),
        "NaN evidence escalates"
    );
}

/// The pilot's Gaussian is the mean and per-coordinate sd of the later half's positions
/// (diagonal: the off-diagonal covariance of a short transient is noise), and the early
/// transient does not count.
#[test]
fn pilot_gaussian_fits_the_later_half() {
    let dim = 2;
    let n = 400;
    let mut report = report_with(&vec![0.0; n], &vec![false; n], dim);
    let mut rng = flowpost::rng::seeded(5, 0);
    for (k, chain) in report.chains.iter_mut().enumerate() {
        for i in 0..n {
            let mut z = [0.0; 2];
            flowpost::rng::fill_standard_normal(&mut rng, &mut z);
            // The first half sits far away (a transient); the second is N((1, -2), [[4, 2],
            // [2, 2]]) = L z with L = [[2, 0], [1, 1]].
            let (a, b) = if i < n / 2 {
                (100.0, 100.0)
            } else {
                (1.0 + 2.0 * z[0], -2.0 + z[0] + z[1])
            };
            chain.positions[i * dim] = a + 1e-9 * k as f64;
            chain.positions[i * dim + 1] = b;
        }
    }
    let Some(GaussianFit::Diagonal { loc, scale }) = pilot_gaussian(&report, dim) else {
        panic!("a diagonal fit");
    };
    // 400 draws: the mean's sd is 0.1 and 0.07, the variances' about 0.28 and 0.14.
    assert!(
        (loc[0] - 1.0).abs() < 0.4 && (loc[1] + 2.0).abs() < 0.3,
        "{loc:?}"
    );
    assert!((scale[0].powi(2) - 4.0).abs() < 1.1, "{scale:?}");
    assert!((scale[1].powi(2) - 2.0).abs() < 0.6, "{scale:?}");
    // Too few draws, a coordinate that did not move: no pilot.
    let few = report_with(&[0.0; 8], &[false; 8], dim);
    assert!(pilot_gaussian(&few, dim).is_none());
    let stuck = report_with(&vec![0.0; n], &vec![false; n], dim);
    assert!(pilot_gaussian(&stuck, dim).is_none());
}

/// When the evidence calls for a flow and its training fails (here forced by a learning rate
/// that throws the flow's draws out of range), auto does not stop with an error: it finishes
/// on a sampler without a flow (here, where the pilot's chains were stuck in the funnel's neck,
/// low-rank NUTS with its full warmup), says so in its decision, warns, and counts the failed
/// training's gradients.
#[test]
fn a_flow_that_cannot_be_trained_falls_back_to_nuts_with_a_warning() {
    let density = load("funnel", &ModelOptions::default()).unwrap();
    let mut settings = SampleSettings {
        method: Method::Auto,
        seed: 1,
        num_draws: 200,
        ..Default::default()
    };
    settings.vi.adam.learning_rate = 1e6;
    settings.vi.adam.clip_norm = None;
    let run = sample(&*density, &settings).unwrap();
    let auto = run.auto.as_ref().unwrap();
    let stuck = auto.evidence.last().unwrap().num_low_e_bfmi >= 2;
    if stuck {
        assert_eq!(auto.choice, AutoChoice::LowRank);
        assert!(run.flow.is_none() && run.metric == flowpost::nuts::Metric::LowRank);
        assert_eq!(run.num_tune, 1000);
    } else {
        // Whitened NUTS; the last check may then have run low-rank NUTS again.
        assert!(auto.choice != AutoChoice::Flow);
    }
    assert!(auto.escalation_reason.is_some());
    let failure = auto.flow_failure.as_deref().expect("the training failed");
    assert!(failure.contains("variational fit failed"), "{failure}");
    assert!(
        auto.describe().contains("could not be trained"),
        "{}",
        auto.describe()
    );
    let warning = auto.warning().expect("a warning");
    assert_eq!(warning.kind(), "auto");
    // The failed training cost gradients beyond the Gaussian fit's, and they are counted.
    let gaussian = run.vi.as_ref().unwrap().num_grad_evals();
    assert!(
        run.cost.num_grad_evals.vi > gaussian,
        "{} vs {gaussian}",
        run.cost.num_grad_evals.vi
    );
    assert_eq!(run.draws.num_draws(), 200);
    // summary.json lists the warning.
    let dir = std::env::temp_dir().join(format!("flowpost-auto-fallback-{}", std::process::id()));
    let written = run
        .write_outputs(&dir, "funnel", &SampleSettings::default())
        .unwrap();
    let text = std::fs::read_to_string(written.dir.join("summary.json")).unwrap();
    let file: flowpost::report::SummaryFile = serde_json::from_str(&text).unwrap();
    assert!(
        file.warnings.iter().any(|w| w.kind == "auto"),
        "{:?}",
        file.warnings
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The last check's mechanics (forced: no run has a largest R-hat of 1.0 or less): the
/// whitened draws fail, low-rank NUTS runs again with its full warmup, the better run of the
/// two is kept, and the other's gradients are counted.
#[test]
fn draws_that_fail_their_check_are_rerun_with_low_rank_nuts_and_the_better_is_kept() {
    let density = load("eight_schools_noncentered", &ModelOptions::default()).unwrap();
    let mut settings = SampleSettings {
        method: Method::Auto,
        seed: 1,
        num_draws: 300,
        ..Default::default()
    };
    settings.auto.max_r_hat = 1.0;
    let run = sample(&*density, &settings).unwrap();
    let auto = run.auto.as_ref().unwrap();
    let f = auto.fallback.as_ref().expect("the check failed");
    assert_eq!(f.failed, AutoChoice::Whitened);
    assert!(f.reason.starts_with("max R-hat"), "{}", f.reason);
    let failed = f.failed_check.as_ref().expect("judged on its draws");
    let kept_rerun = auto.choice == AutoChoice::LowRank;
    assert_eq!(
        kept_rerun,
        f.rerun_check.better_than(failed, &settings.auto)
    );
    let kept = if kept_rerun { &f.rerun_check } else { failed };
    let summary = flowpost::diagnostics::summarize(&run.draws);
    let max_r_hat = flowpost::diagnostics::extremes(&summary).max_r_hat;
    assert!(
        (max_r_hat - kept.max_r_hat).abs() < 1e-9,
        "{max_r_hat} vs {kept:?}"
    );
    if kept_rerun {
        assert!(run.flow.is_none());
        assert_eq!(run.num_tune, 1000);
        assert_eq!(run.metric, flowpost::nuts::Metric::LowRank);
    } else {
        assert!(run.flow.is_some());
        assert_eq!(run.num_tune, 300);
    }
    assert!(f.num_grad_evals_discarded > 0);
    assert!(run.cost.num_grad_evals.warmup > f.num_grad_evals_discarded);
    let text = auto.describe();
    assert!(
        text.contains("low-rank NUTS ran with its full warmup"),
        "{text}"
    );
}

/// The pilot's own warmup can show the chains stuck: E-BFMI below 0.3 in half the chains at
/// the end of the warmup sends auto to low-rank NUTS before any whitened draw is sampled.
#[test]
fn low_e_bfmi_at_the_end_of_the_warmup_is_a_warmup_failure() {
    let dim = 3;
    let settings = flowpost::auto::AutoSettings::default();
    let mut report = report_with(&[0.1; 100], &[false; 100], dim);
    let jumpy = |i: usize| ((i * 37) % 11) as f64;
    let drifting = |i: usize| 0.01 * i as f64;
    for (k, chain) in report.chains.iter_mut().enumerate() {
        for (i, s) in chain.stats.iter_mut().enumerate() {
            s.energy = if k == 0 { drifting(i) } else { jumpy(i) };
        }
    }
    // One chain of two is half: a failure.
    let e = Evidence::from_warmup(&report, dim, settings.min_e_bfmi);
    assert_eq!(e.num_low_e_bfmi, 1);
    assert!(e.min_e_bfmi < 0.3);
    let why = e.warmup_failure(&settings, 2).expect("half the chains");
    assert!(
        why.starts_with("E-BFMI below 0.3 in 1 of 2 chains"),
        "{why}"
    );
    // One of four is not.
    assert!(e.warmup_failure(&settings, 4).is_none());
}
