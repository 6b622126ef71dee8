//! The preflight check (`flowpost::preflight`) and the errors a broken model gets: each case
//! failed silently or late before the check existed.

use flowpost::preflight::PreflightError;
use flowpost::{DensityError, Error, LogDensity, Method, SampleSettings, sample};

fn settings() -> SampleSettings {
    SampleSettings {
        method: Method::Nuts,
        num_chains: 2,
        num_tune: Some(100),
        num_draws: 100,
        seed: 1,
        ..Default::default()
    }
}

/// A standard normal in `d` dimensions whose gradient is scaled by `factor`.
struct Scaled {
    d: usize,
    factor: f64,
}

impl LogDensity for Scaled {
    fn dim(&self) -> usize {
        self.d
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        for (g, x) in g.iter_mut().zip(x) {
            *g = -self.factor * x;
        }
        Ok(-0.5 * x.iter().map(|v| v * v).sum::<f64>())
    }
}

#[test]
fn a_gradient_wrong_by_a_factor_2_is_caught_before_sampling() {
    let e = sample(&Scaled { d: 5, factor: 2.0 }, &settings()).unwrap_err();
    assert!(
        matches!(e, Error::Preflight(PreflightError::WrongGradient { .. })),
        "{e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("ratio 2.000") && msg.contains("--no-preflight"),
        "{msg}"
    );
    // The correct gradient passes, and the check can be skipped.
    assert!(sample(&Scaled { d: 5, factor: 1.0 }, &settings()).is_ok());
    let skip = SampleSettings {
        preflight: false,
        ..settings()
    };
    assert!(sample(&Scaled { d: 5, factor: 2.0 }, &skip).is_ok());
}

/// The log-density ignores its second coordinate: flat, improper.
struct Flat;

impl LogDensity for Flat {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        g[0] = -x[0];
        g[1] = 0.0;
        Ok(-0.5 * x[0] * x[0])
    }
    fn param_names(&self) -> Vec<String> {
        vec!["a".into(), "b".into()]
    }
}

#[test]
fn a_flat_direction_is_named() {
    let e = sample(&Flat, &settings()).unwrap_err().to_string();
    assert!(
        e.contains("does not depend on b") && e.contains("flat (improper)"),
        "{e}"
    );
}
