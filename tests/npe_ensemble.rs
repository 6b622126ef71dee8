//! Ensembles of NPE estimators (`NpeSettings::num_members`): the mixture density is normalized
//! and is the log-mean-exp of the members', draws follow the mixture, K = 1 is the single
//! estimator byte for byte, training is deterministic whatever the thread count, and the file
//! round-trips (version 2) while damaged members are reported.

use flowpost::npe::*;
use flowpost_models::sbibm as tasks;
use std::sync::OnceLock;

fn tiny(seed: u64, num_members: usize) -> NpeSettings {
    NpeSettings {
        flow: FlowSettings {
            transform: TransformKind::Affine,
            num_transforms: 2,
            hidden: vec![16],
            ..FlowSettings::default()
        },
        batch_size: 50,
        learning_rate: 5e-3,
        max_epochs: 6,
        patience: 3,
        seed,
        num_members,
        // On logit θ, so that the mixture's density is normalized on the box.
        box_rejection: false,
        ..Default::default()
    }
}

fn task() -> tasks::Task {
    tasks::task("two_moons").unwrap()
}

fn sims() -> &'static Simulations {
    static S: OnceLock<Simulations> = OnceLock::new();
    S.get_or_init(|| {
        let t = task();
        simulate(t.prior(), t.simulator(), 600, 5)
    })
}

/// A 3-member ensemble on two_moons' box prior [-1, 1]² (trained on logit θ).
fn ensemble() -> &'static (NpeEstimator, NpeReport) {
    static E: OnceLock<(NpeEstimator, NpeReport)> = OnceLock::new();
    E.get_or_init(|| {
        train(
            sims(),
            task().prior().bounds(),
            &tiny(2, 3),
            &flowpost::progress::NoProgress,
        )
        .unwrap()
    })
}

fn x_o() -> Vec<f64> {
    task().observation(1).unwrap().x_o.clone()
}

/// ∫ q(θ | x_o) dθ over the prior's box [-1, 1]² by the midpoint rule on a 400 × 400 grid.
#[test]
fn the_mixture_density_is_normalized() {
    let (est, report) = ensemble();
    assert_eq!(est.num_members(), 3);
    assert_eq!(report.members.len(), 3);
    let m = 400;
    let h = 2.0 / m as f64;
    let mut grid = Vec::with_capacity(2 * m * m);
    for i in 0..m {
        for j in 0..m {
            grid.push(-1.0 + (i as f64 + 0.5) * h);
            grid.push(-1.0 + (j as f64 + 0.5) * h);
        }
    }
    let lp = est.log_prob_many(&grid, &x_o()).unwrap();
    let mass: f64 = lp.iter().map(|l| l.exp() * h * h).sum();
    assert!((mass - 1.0).abs() < 2e-3, "mass {mass}");
}

/// Member 1 is the single estimator of the seed; the ensemble's density is the log-mean-exp of
/// its members' (the members read back from the file one by one).
#[test]
fn the_mixture_is_the_log_mean_exp_of_its_members() {
    let (est, _) = ensemble();
    let (single, _) = train(
        sims(),
        task().prior().bounds(),
        &tiny(2, 1),
        &flowpost::progress::NoProgress,
    )
    .unwrap();
    assert_eq!(est.params(), single.params());
    let members = members_of(est);
    assert_eq!(members.len(), 3);
    assert_eq!(members[0].to_json(), single.to_json());
    assert_ne!(members[1].params(), members[2].params());
    let x = x_o();
    for theta in [[0.1, -0.2], [-0.5, 0.4], [0.9, 0.9]] {
        let each: Vec<f64> = members
            .iter()
            .map(|m| m.log_prob(&theta, &x).unwrap())
            .collect();
        let max = each.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lme = max + (each.iter().map(|l| (l - max).exp()).sum::<f64>() / 3.0).ln();
        let got = est.log_prob(&theta, &x).unwrap();
        assert!((got - lme).abs() < 1e-12, "{got} vs {lme}");
    }
    // Outside the support every member gives −∞, and so does the mixture.
    assert_eq!(est.log_prob(&[1.5, 0.0], &x).unwrap(), f64::NEG_INFINITY);
}

/// The members of an ensemble as single estimators, from its file: member 1 is the file
/// without `ensemble_members`, member k the file with member k's parts in member 1's place.
fn members_of(est: &NpeEstimator) -> Vec<NpeEstimator> {
    let mut v: serde_json::Value = serde_json::from_str(&est.to_json()).unwrap();
    let others = v["ensemble_members"].as_array().unwrap().clone();
    let obj = v.as_object_mut().unwrap();
    obj.remove("ensemble_members");
    obj.insert("version".into(), 1.into());
    let mut out = vec![NpeEstimator::from_json(&v.to_string(), "member 1").unwrap()];
    for m in others {
        let mut single = v.clone();
        for (key, value) in m.as_object().unwrap() {
            single[key] = value.clone();
        }
        out.push(NpeEstimator::from_json(&single.to_string(), "member").unwrap());
    }
    out
}

/// Each draw picks a member uniformly: the mixture's mean and second moment are the members'
/// averages (members' moments from 40,000 draws each; tolerance 5 MCSE of the difference).
#[test]
fn draws_follow_the_mixture() {
    let (est, _) = ensemble();
    let members = members_of(est);
    let x = x_o();
    let n = 40_000;
    let s = SampleSettings {
        seed: 9,
        ..Default::default()
    };
    let mix = est.sample(&x, n, &s).unwrap();
    let each: Vec<PosteriorSamples> = members
        .iter()
        .map(|m| m.sample(&x, n, &s).unwrap())
        .collect();
    for dim in 0..2 {
        for power in [1, 2] {
            let f = |p: &PosteriorSamples| -> (f64, f64) {
                let v: Vec<f64> = (0..n).map(|i| p.row(i)[dim].powi(power)).collect();
                let mean = v.iter().sum::<f64>() / n as f64;
                let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n as f64;
                (mean, var / n as f64)
            };
            let (m_mix, v_mix) = f(&mix);
            let parts: Vec<(f64, f64)> = each.iter().map(f).collect();
            let m_avg = parts.iter().map(|p| p.0).sum::<f64>() / 3.0;
            let v_avg = parts.iter().map(|p| p.1).sum::<f64>() / 9.0;
            let z = (m_mix - m_avg) / (v_mix + v_avg).sqrt();
            assert!(
                z.abs() < 5.0,
                "θ{dim}^{power}: {m_mix} vs {m_avg} (z = {z})"
            );
        }
    }
    // Reproducible: the same seed gives the same draws.
    assert_eq!(
        est.sample(&x, 500, &s).unwrap(),
        est.sample(&x, 500, &s).unwrap()
    );
}

/// Mixture draw j is exactly one member's draw j (the same normal stream), so the member of
/// every draw can be read off: the counts are Multinomial(n, 1/3), each within 4.5 sd of n/3.
/// Draws `first..first + n` are the same whatever batch asked for them.
#[test]
fn each_draw_picks_its_member_uniformly() {
    let (est, _) = ensemble();
    let members = members_of(est);
    let (x, n) = (x_o(), 30_000);
    let mix = est.sample_unconstrained(&x, n, 11, 5).unwrap();
    let each: Vec<Vec<f64>> = members
        .iter()
        .map(|m| m.sample_unconstrained(&x, n, 11, 5).unwrap())
        .collect();
    let mut counts = [0usize; 3];
    for (j, row) in mix.chunks(2).enumerate() {
        let who: Vec<usize> = (0..3)
            .filter(|&m| each[m][2 * j..2 * j + 2] == *row)
            .collect();
        assert_eq!(who.len(), 1, "draw {j} is member {who:?}'s");
        counts[who[0]] += 1;
    }
    let sd = (n as f64 * (1.0 / 3.0) * (2.0 / 3.0)).sqrt();
    for c in counts {
        assert!((c as f64 - n as f64 / 3.0).abs() < 4.5 * sd, "{counts:?}");
    }
    let tail = est.sample_unconstrained(&x, 100, 11, 5 + 200).unwrap();
    assert_eq!(tail, mix[400..600]);
}

/// A version-1 file written before ensembles (`tests/data/npe/estimator_v1.json`, by flowpost
/// at 02d6173) still reads as one estimator, writes back byte for byte and draws what that
/// build drew (its `npe sample` with x_o = (0, 0.1), 4 draws, seed 2).
#[test]
fn version_1_files_still_read() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/npe/estimator_v1.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let est = NpeEstimator::from_json(&text, path).unwrap();
    assert_eq!(est.num_members(), 1);
    assert_eq!(est.to_json(), text);
    let s = SampleSettings {
        seed: 2,
        ..Default::default()
    };
    let draws = est.sample(&[0.0, 0.1], 4, &s).unwrap();
    let old = [
        [-0.43042956672935007, -0.8379183749574179],
        [0.25785606946789863, -0.39278674276837744],
        [0.1377583089519363, 0.5282746558596727],
        [-0.19867422130603896, 0.8219180107921735],
    ];
    assert_eq!(draws.samples, old.concat());
    let newer = text.replace("\"version\":1,", "\"version\":3,");
    let err = NpeEstimator::from_json(&newer, path)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("version 3 is not supported") && err.contains("1 to 2"),
        "{err}"
    );
}

#[test]
fn one_member_is_the_single_estimator_byte_for_byte() {
    let support = task().prior().bounds();
    let (a, _) = train(
        sims(),
        support.clone(),
        &tiny(4, 1),
        &flowpost::progress::NoProgress,
    )
    .unwrap();
    let (b, rb) = train(
        sims(),
        support,
        &tiny(4, 1),
        &flowpost::progress::NoProgress,
    )
    .unwrap();
    assert_eq!(a.to_json(), b.to_json());
    assert!(a.to_json().contains("\"version\":1,") && !a.to_json().contains("ensemble_members"));
    assert!(rb.members.is_empty());
    let again = NpeEstimator::ensemble(vec![b]).unwrap();
    assert_eq!(again.to_json(), a.to_json());
}

#[test]
fn ensemble_training_is_deterministic_whatever_the_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let log = flowpost::progress::EpochLog::default();
            let (e, _) = train(sims(), None, &tiny(6, 3), &log).unwrap();
            let seen: Vec<f64> = log.epochs().iter().map(|p| p.validation_loss).collect();
            (e.to_json(), seen)
        })
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn ensemble_files_round_trip_and_damage_is_reported() {
    let (est, _) = ensemble();
    let text = est.to_json();
    assert!(text.contains("\"version\":2,"));
    let back = NpeEstimator::from_json(&text, "e.json").unwrap();
    assert_eq!(back.num_members(), 3);
    assert_eq!(back.to_json(), text);
    let (theta, x) = ([0.2, -0.3], x_o());
    assert_eq!(
        back.log_prob(&theta, &x).unwrap().to_bits(),
        est.log_prob(&theta, &x).unwrap().to_bits()
    );
    let err = NpeEstimator::from_json(&text.replace("\"version\":2,", "\"version\":1,"), "e.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("version 1") && err.contains("ensemble members"),
        "{err}"
    );
    // Member 3's parameter count damaged.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["ensemble_members"][1]["num_params"] = 1.into();
    let err = NpeEstimator::from_json(&v.to_string(), "e.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("e.json") && err.contains("ensemble member 3"),
        "{err}"
    );
}

#[test]
fn bad_ensembles_are_errors() {
    let s = NpeSettings {
        num_members: 0,
        ..Default::default()
    };
    let msg = s.validate().unwrap_err().to_string();
    assert!(msg.contains("num_members"), "{msg}");
    assert!(NpeEstimator::ensemble(Vec::new()).is_err());
    // Members must agree in their support: one on the box, one on ℝ².
    let (boxed, _) = train(
        sims(),
        task().prior().bounds(),
        &tiny(1, 1),
        &flowpost::progress::NoProgress,
    )
    .unwrap();
    let (free, _) = train(sims(), None, &tiny(1, 1), &flowpost::progress::NoProgress).unwrap();
    let err = NpeEstimator::ensemble(vec![boxed, free])
        .unwrap_err()
        .to_string();
    assert!(err.contains("member 2 differs"), "{err}");
}
