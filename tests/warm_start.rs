//! Warm starts (`SampleSettings::warm_start`, the CLI's `--warm-start`): each chain continues an
//! earlier run's chain — its last draw, step size and metric — after a short warmup; the
//! draws are correct, the run repeats per seed and splits into shards, the adaptation it
//! reports is in the unscaled coordinates, and bad combinations are refused.

#[path = "common/two_modes.rs"]
mod two_modes;

use flowpost::init::Init;
use flowpost::nuts::WarmStart;
use flowpost::progress::NoProgress;
use flowpost::{DensityError, Error, LogDensity, Method, SampleSettings, sample, sample_with};
use two_modes::TwoModes;

/// Independent normals with means 1..=d and scales 10^(−2..2): a metric that matters.
struct Scaled {
    scales: Vec<f64>,
}

impl Scaled {
    fn new(d: usize) -> Self {
        let scales = (0..d)
            .map(|i| 10f64.powf(-2.0 + 4.0 * i as f64 / (d - 1) as f64))
            .collect();
        Scaled { scales }
    }
}

impl LogDensity for Scaled {
    fn dim(&self) -> usize {
        self.scales.len()
    }
    fn log_density(&self, x: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let mut lp = 0.0;
        for i in 0..x.len() {
            let z = (x[i] - (i + 1) as f64) / self.scales[i];
            lp -= 0.5 * z * z;
            grad[i] = -z / self.scales[i];
        }
        Ok(lp)
    }
}

fn nuts(seed: u64) -> SampleSettings {
    SampleSettings {
        method: Method::Nuts,
        num_chains: 4,
        num_draws: 500,
        seed,
        ..Default::default()
    }
}

fn warm(from: &flowpost::Run, seed: u64) -> SampleSettings {
    SampleSettings {
        warm_start: Some(WarmStart {
            chains: from.adaptation.clone(),
        }),
        ..nuts(seed)
    }
}

/// Each parameter's mean and sd within 4.5 MCSE of the truth (sd's MCSE from the bulk ESS).
fn assert_moments(run: &flowpost::Run, target: &Scaled, what: &str) {
    let summary = flowpost::diagnostics::summarize(&run.draws);
    for (i, p) in summary.iter().enumerate() {
        let (mean, sd) = ((i + 1) as f64, target.scales[i]);
        let z_mean = (p.mean - mean) / p.mcse_mean;
        let z_sd = (p.sd - sd) / (sd / (2.0 * p.ess_bulk).sqrt());
        assert!(
            z_mean.abs() < 4.5 && z_sd.abs() < 4.5,
            "{what}: x[{}] mean {} (z {z_mean:.1}), sd {} vs {sd} (z {z_sd:.1})",
            i + 1,
            p.mean,
            p.sd
        );
        assert!(p.r_hat < 1.01, "{what}: R-hat {}", p.r_hat);
    }
}

#[test]
fn warm_chains_continue_where_the_earlier_chains_ended() {
    // The cold chains all start (and stay) in the mode σ = e^6 ...
    let mut cold = nuts(5);
    cold.init = Some(Init::Values(vec![("sigma".into(), 6f64.exp())]));
    cold.num_draws = 200;
    let cold = sample(&TwoModes, &cold).unwrap();
    let in_high =
        |run: &flowpost::Run| run.draws.param(0).iter().flatten().all(|s| *s > 3f64.exp());
    assert!(in_high(&cold));
    // ... and the warm chains, with no init, continue there.
    let again = sample(&TwoModes, &warm(&cold, 6)).unwrap();
    assert!(in_high(&again), "a warm chain left the mode it continues");
    // Without the warm start this seed's chains start at random and reach the other mode:
    // the assertion above can fail.
    let fresh = sample(&TwoModes, &nuts(6)).unwrap();
    assert!(!in_high(&fresh));
}

#[test]
fn a_warm_start_is_correct_with_a_short_warmup_and_reports_unscaled_adaptation() {
    let target = Scaled::new(6);
    let cold = sample(&target, &nuts(1)).unwrap();
    assert_moments(&cold, &target, "cold");
    let settings = warm(&cold, 2);
    assert_eq!(settings.tune(), flowpost::sample::WARM_TUNE);
    let again = sample(&target, &settings).unwrap();
    assert_moments(&again, &target, "warm");
    assert_eq!(again.num_tune, flowpost::sample::WARM_TUNE);
    // The warm run's metric is reported in the target's coordinates (not the rescaled ones,
    // where it is ≈ 1): within a factor 3 of the true variances 10^-4 .. 10^4.
    for chain in &again.adaptation {
        for (i, v) in chain.inv_mass_diag.iter().enumerate() {
            let truth = target.scales[i].powi(2);
            assert!(
                v / truth > 1.0 / 3.0 && v / truth < 3.0,
                "chain {}: metric entry {} is {v}, the variance is {truth}",
                chain.chain,
                i + 1
            );
        }
        assert_eq!(chain.position.len(), 6);
        assert!(chain.step_size > 0.1, "step size {}", chain.step_size);
    }
    // A warm run's adaptation is itself a warm start.
    let third = sample(&target, &warm(&again, 3)).unwrap();
    assert_moments(&third, &target, "warm from warm");
}

#[test]
fn a_warm_run_repeats_per_seed_and_splits_into_shards() {
    let target = Scaled::new(4);
    let cold = sample(&target, &nuts(1)).unwrap();
    let a = sample(&target, &warm(&cold, 9)).unwrap();
    let b = sample(&target, &warm(&cold, 9)).unwrap();
    assert_eq!(a.draws, b.draws);
    let shard = SampleSettings {
        first_chain: 2,
        num_chains: 2,
        ..warm(&cold, 9)
    };
    let s = sample(&target, &shard).unwrap();
    assert_eq!(s.draws.chains[..], a.draws.chains[2..]);
    assert_eq!(s.adaptation[..], a.adaptation[2..]);
    assert_eq!(s.adaptation[0].chain, 3);
}

#[test]
fn neutra_continues_through_the_same_flow() {
    let target = Scaled::new(3);
    let mut cold = nuts(4);
    cold.method = Method::NeuTra;
    cold.vi.max_steps = 300;
    let cold = sample(&target, &cold).unwrap();
    let flow = cold.flow.clone().expect("NeuTra has a flow");
    let settings = SampleSettings {
        method: Method::NeuTra,
        ..warm(&cold, 5)
    };
    let again = sample_with(&target, &settings, Some(flow), &NoProgress).unwrap();
    assert!(again.vi.is_none(), "the flow was refitted");
    assert_eq!(again.cost.num_grad_evals.vi, 0);
    assert_moments(&again, &target, "NeuTra warm");
    assert_eq!(again.adaptation.len(), 4);
}

#[test]
fn bad_warm_starts_are_refused_with_the_reason() {
    let target = Scaled::new(3);
    let cold = sample(&target, &nuts(1)).unwrap();
    let err = |s: &SampleSettings, flow: Option<flowpost::flow::Flow>| -> String {
        match sample_with(&target, s, flow, &NoProgress) {
            Err(e @ Error::Settings { .. }) => e.to_string(),
            other => panic!("expected a settings error, got {other:?}"),
        }
    };
    let mut s = warm(&cold, 2);
    s.method = Method::Multimodal;
    assert!(err(&s, None).contains("multimodal"));
    let mut s = warm(&cold, 2);
    s.init = Some(Init::Radius(1.0));
    assert!(err(&s, None).contains("init"));
    let mut s = warm(&cold, 2);
    s.method = Method::NeuTra;
    assert!(err(&s, None).contains("give that run's flow"));
    let other = Scaled::new(4);
    match sample(&other, &warm(&cold, 2)) {
        Err(e) => assert!(e.to_string().contains("dimension 4"), "{e}"),
        Ok(_) => panic!("a 3-d warm start ran on a 4-d target"),
    }
    let mut s = warm(&cold, 2);
    s.warm_start.as_mut().unwrap().chains[1].step_size = f64::NAN;
    assert!(err(&s, None).contains("chain 2: step size NaN"));
    let mut s = warm(&cold, 2);
    s.warm_start.as_mut().unwrap().chains[0].inv_mass_diag[2] = 0.0;
    assert!(err(&s, None).contains("inverse mass matrix entry 3"));
    let s = SampleSettings {
        refit_flow: true,
        method: Method::NeuTra,
        ..nuts(2)
    };
    assert!(err(&s, None).contains("refit_flow"));
}
