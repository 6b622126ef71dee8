//! The calibration checks of `sbc` — rank ECDFs in simultaneous bands, expected coverage per
//! parameter and joint, TARP — on a toy with an exact posterior: θ ~ N(0, I₂),
//! x = θ + N(0, σ² I₂), so θ | x ~ N(x / (1 + σ²), σ²/(1 + σ²) I₂). Drawn from exactly, the
//! checks pass; with the spread shrunk (overconfident) or the mean shifted (biased) they fail.
//! Also the x_o check against the training simulations. Fixed seeds; each SBC takes
//! milliseconds.

use flowpost::npe::*;
use rand::Rng;

const SIGMA: f64 = 0.5;

#[derive(Debug)]
struct Noise;

impl Simulator for Noise {
    fn theta_dim(&self) -> usize {
        2
    }
    fn data_dim(&self) -> usize {
        2
    }
    fn simulate(&self, theta: &[f64], rng: &mut dyn Rng, x: &mut [f64]) {
        let mut e = [0.0; 2];
        flowpost::rng::fill_standard_normal(rng, &mut e);
        for k in 0..2 {
            x[k] = theta[k] + SIGMA * e[k];
        }
    }
}

/// The exact posterior with its sd multiplied by `scale` and its mean moved by `shift`
/// posterior sds along θ₁.
struct Toy {
    scale: f64,
    shift: f64,
}

impl Toy {
    fn moments(&self, x: &[f64]) -> ([f64; 2], f64) {
        let s2 = SIGMA * SIGMA;
        let sd = (s2 / (1.0 + s2)).sqrt();
        let m = [x[0] / (1.0 + s2) + self.shift * sd, x[1] / (1.0 + s2)];
        (m, sd * self.scale)
    }
}

impl PosteriorSampler for Toy {
    fn theta_dim(&self) -> usize {
        2
    }
    fn sample_posterior(&self, x: &[f64], n: usize, seed: u64) -> Result<Vec<f64>, NpeError> {
        let (m, sd) = self.moments(x);
        let mut z = vec![0.0; 2 * n];
        flowpost::rng::fill_standard_normal(&mut flowpost::rng::seeded(seed, 0), &mut z);
        Ok(z.chunks(2)
            .flat_map(|e| [m[0] + sd * e[0], m[1] + sd * e[1]])
            .collect())
    }
    fn log_prob(&self, theta: &[f64], x: &[f64]) -> Result<f64, NpeError> {
        let (m, sd) = self.moments(x);
        Ok(-0.5 * ((theta[0] - m[0]).powi(2) + (theta[1] - m[1]).powi(2)) / (sd * sd))
    }
}

fn run(toy: Toy) -> SbcReport {
    let prior = GaussianPrior::isotropic(2, 1.0).unwrap();
    let settings = SbcSettings {
        num_datasets: 1000,
        seed: 5,
        ..Default::default()
    };
    let r = sbc(&prior, &Noise, &toy, &settings).unwrap();
    eprintln!(
        "scale {} shift {}: ECDF inside {:?}/{}, joint coverage at 0.95 {:.3} ({:+.1} MCSE), central {:?}, TARP ATC {:+.4} KS p {:.2e}",
        toy.scale,
        toy.shift,
        r.ecdf.iter().map(|c| c.inside).collect::<Vec<_>>(),
        r.density_ecdf.inside,
        r.coverage[18],
        z95(&r),
        r.coverage_per_dim.iter().map(|c| c[18]).collect::<Vec<_>>(),
        r.tarp.atc,
        r.tarp.ks_p_value
    );
    r
}

/// Coverage at 0.95 (joint) in MCSE units from 0.95.
fn z95(r: &SbcReport) -> f64 {
    let i = r
        .coverage_levels
        .iter()
        .position(|l| (l - 0.95).abs() < 1e-9)
        .unwrap();
    (r.coverage[i] - 0.95) / r.coverage_mcse[i]
}

#[test]
fn exact_posterior_draws_pass_every_check() {
    let r = run(Toy {
        scale: 1.0,
        shift: 0.0,
    });
    assert!(r.ecdf_passed, "{:?}", r.ecdf);
    assert!(r.passed, "χ² min p {}", r.min_p_value);
    assert!(z95(&r).abs() < 4.0, "joint coverage at 0.95: {}", z95(&r));
    for c in &r.coverage_per_dim {
        for ((a, v), se) in r.coverage_levels.iter().zip(c).zip(&r.coverage_mcse) {
            assert!((v - a).abs() < 4.5 * se, "central coverage {v} at {a}");
        }
    }
    // TARP: ATC within 4 of its sd under calibration (√(∫∫ (min(a,b) − ab) da db / M) over
    // [½, 1]² = √(0.0260 / M), 0.0051 at M = 1000), KS not rejected.
    assert!(r.tarp.atc.abs() < 0.02, "ATC {}", r.tarp.atc);
    assert!(r.tarp.ks_p_value > 0.001, "TARP KS p {}", r.tarp.ks_p_value);
    assert_eq!(r.ecdf_band.num_points, 100);
    assert!(r.ecdf_band.coverage >= 1.0 - 0.01 / 3.0);
}

#[test]
fn an_overconfident_posterior_fails() {
    let r = run(Toy {
        scale: 0.6,
        shift: 0.0,
    });
    assert!(!r.ecdf_passed, "the ECDFs must leave the band");
    assert!(z95(&r) < -4.0, "joint coverage at 0.95: {} MCSE", z95(&r));
    assert!(r.coverage_per_dim.iter().all(|c| c[18] < 0.95 - 0.03));
    assert!(r.tarp.atc < -0.02, "ATC {}", r.tarp.atc);
    assert!(r.tarp.ks_p_value < 0.001, "TARP KS p {}", r.tarp.ks_p_value);
}

#[test]
fn a_biased_posterior_fails() {
    let r = run(Toy {
        scale: 1.0,
        shift: 1.0,
    });
    assert!(!r.ecdf[0].inside, "θ₁'s ECDF must leave the band");
    assert!(r.ecdf[1].inside, "θ₂ is exact");
    assert!(!r.ecdf_passed);
    assert!(z95(&r) < -4.0, "joint coverage at 0.95: {} MCSE", z95(&r));
    assert!(r.tarp.ks_p_value < 0.001, "TARP KS p {}", r.tarp.ks_p_value);
}

/// x_o far from every training x is flagged with its feature; a typical x_o is not.
#[test]
fn an_observation_outside_the_training_simulations_is_flagged() {
    let prior = GaussianPrior::isotropic(2, 1.0).unwrap();
    let sims = simulate(&prior, &Noise, 500, 1);
    let settings = NpeSettings {
        flow: FlowSettings {
            transform: TransformKind::Affine,
            num_transforms: 1,
            hidden: vec![4],
            ..Default::default()
        },
        max_epochs: 1,
        ..Default::default()
    };
    let (est, _) = train(&sims, None, &settings, &flowpost::progress::NoProgress).unwrap();
    let ranges = training_x_ranges(&sims);
    assert!(
        check_x_o(&est, &[0.1, -0.3], Some(&ranges))
            .unwrap()
            .is_empty()
    );
    // Inside 5 sd but beyond every training x: caught by the range only.
    let hi = ranges[1].unwrap().1;
    let near = check_x_o(&est, &[0.1, hi + 0.01], Some(&ranges)).unwrap();
    assert_eq!(near.len(), 1);
    assert_eq!(near[0].index, 1);
    assert!(check_x_o(&est, &[0.1, hi + 0.01], None).unwrap().is_empty());
    // 20 sd away: caught without the simulations, by the z-score.
    let far = check_x_o(&est, &[25.0, 0.0], None).unwrap();
    assert_eq!((far.len(), far[0].index), (1, 0));
    assert!(far[0].z > X_O_Z_MAX && far[0].message().contains("x1"));
    assert!(check_x_o(&est, &[f64::NAN, 0.0], None).is_err());
    assert!(check_x_o(&est, &[0.0], None).is_err());
}
