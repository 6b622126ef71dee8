//! The mode probe on two Gaussians with known masses: the mode the fit missed is found with
//! its mass, a spike of 0.1% of the mass is negligible, and a single Gaussian has no separated
//! mode.

use super::AutoSettings;
use super::probe::{MIN_BARRIER, mode_probe};
use crate::density::{DensityError, LogDensity};
use crate::flow::GaussianFit;

/// w N((3, 0), 0.5² I) + (1 − w) N((−3, 0), 0.5² I), normalized.
struct TwoModes {
    w: f64,
}

impl LogDensity for TwoModes {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        let s2 = 0.25;
        let norm = -(2.0 * std::f64::consts::PI * s2).ln();
        let comp = |c: f64| norm - ((x[0] - c).powi(2) + x[1].powi(2)) / (2.0 * s2);
        let (a, b) = (self.w.ln() + comp(3.0), (1.0 - self.w).ln() + comp(-3.0));
        let hi = a.max(b);
        let (ra, rb) = ((a - hi).exp(), (b - hi).exp());
        let lp = hi + (ra + rb).ln();
        let (pa, pb) = (ra / (ra + rb), rb / (ra + rb));
        g[0] = -(pa * (x[0] - 3.0) + pb * (x[0] + 3.0)) / s2;
        g[1] = -x[1] / s2;
        Ok(lp)
    }
}

fn fit() -> GaussianFit {
    GaussianFit::Diagonal {
        loc: vec![3.0, 0.0],
        scale: vec![0.5, 0.5],
    }
}

#[test]
fn the_mode_the_fit_missed_is_found_with_its_mass() {
    let density = TwoModes { w: 0.5 };
    // The fit's mode holds half the mass: exp(ELBO) = 0.5 for an exact fit.
    let elbo = 0.5f64.ln();
    let probe = mode_probe(&density, &fit(), elbo, &AutoSettings::default(), 1)
        .unwrap()
        .unwrap();
    assert_eq!(probe.separated.len(), 1, "{probe:?}");
    let m = &probe.separated[0];
    assert!(
        (m.values[0] + 3.0).abs() < 1e-3 && m.values[1].abs() < 1e-3,
        "{m:?}"
    );
    assert!(m.barrier >= MIN_BARRIER, "{m:?}");
    // Exact Laplace Gaussian: the importance-sampled mass is exact up to the tail of the
    // other component.
    assert!(m.log_mass_ratio.abs() < 1e-3, "{m:?}");
    assert_eq!(
        m.num_starts + probe.num_at_fit,
        probe.num_starts,
        "every start ends at one of the two modes: {probe:?}"
    );
    assert!(probe.num_grad_evals > 0);
}

#[test]
fn a_spike_of_a_thousandth_of_the_mass_is_negligible() {
    let density = TwoModes { w: 0.999 };
    let probe = mode_probe(&density, &fit(), 0.999f64.ln(), &AutoSettings::default(), 1)
        .unwrap()
        .unwrap();
    assert!(probe.separated.is_empty(), "{probe:?}");
    assert!(
        probe.num_negligible > 0,
        "no start reached the spike: {probe:?}"
    );
}

#[test]
fn one_gaussian_has_no_separated_mode_and_the_probe_can_be_switched_off() {
    let density = TwoModes { w: 1.0 - 1e-300 };
    let settings = AutoSettings::default();
    let probe = mode_probe(&density, &fit(), 0.0, &settings, 1)
        .unwrap()
        .unwrap();
    assert!(probe.separated.is_empty(), "{probe:?}");
    let off = AutoSettings {
        mode_probe_starts: 0,
        ..AutoSettings::default()
    };
    assert!(
        mode_probe(&density, &fit(), 0.0, &off, 1)
            .unwrap()
            .is_none()
    );
    let small = AutoSettings {
        max_dim_mode_probe: 1,
        ..AutoSettings::default()
    };
    assert!(
        mode_probe(&density, &fit(), 0.0, &small, 1)
            .unwrap()
            .is_none()
    );
}
