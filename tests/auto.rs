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
    assert!(
        run.cost.grad_evals.total() < 30_000,
        "{:?}",
        run.cost.grad_evals
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
    assert!(run.cost.grad_evals.warmup > auto.num_grad_evals_discarded);
    assert!(run.vi.as_ref().unwrap().num_steps > 0);
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
    std::fs::remove_dir_all(&dir).unwrap();
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
    let e = Evidence::from_warmup(&report_with(&fisher, &[false; 100], dim), dim);
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

/// The pilot's Gaussian recovers the mean and (shrunk) covariance of the later half's
/// positions.
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
    let Some(GaussianFit::Dense { loc, chol }) = pilot_gaussian(&report, dim, 10) else {
        panic!("a dense fit");
    };
    assert!(
        (loc[0] - 1.0).abs() < 0.25 && (loc[1] + 2.0).abs() < 0.2,
        "{loc:?}"
    );
    let var0 = chol[0][0].powi(2);
    let cov01 = chol[1][0] * chol[0][0];
    let var1 = chol[1][0].powi(2) + chol[1][1].powi(2);
    assert!((var0 - 4.0).abs() < 0.6, "{var0}");
    assert!((var1 - 2.0).abs() < 0.3, "{var1}");
    // 400 draws in 2 dimensions: shrinkage 2/400 of the off-diagonal.
    assert!((cov01 - 2.0).abs() < 0.4, "{cov01}");
    assert!(matches!(
        pilot_gaussian(&report, dim, 1),
        Some(GaussianFit::Diagonal { .. })
    ));
}

/// When the evidence calls for a flow and its training fails (here forced by a learning rate
/// that throws the flow's draws out of range), auto does not stop with an error: it finishes
/// on whitened NUTS, says so in its decision, warns, and counts the failed training's gradients.
#[test]
fn a_flow_that_cannot_be_trained_falls_back_to_whitened_nuts_with_a_warning() {
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
    assert_eq!(auto.choice, AutoChoice::Whitened);
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
        run.cost.grad_evals.vi > gaussian,
        "{} vs {gaussian}",
        run.cost.grad_evals.vi
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
