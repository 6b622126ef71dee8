//! With `RUST_BACKTRACE=1`, nuts-rs's errors carry a stack backtrace in their text; flowpost's
//! messages must not (issue 13: a flat model's error had 17 frames pasted in). One test in its
//! own binary, so that the variable is set before anything captures a backtrace.

use flowpost::{DensityError, LogDensity, Method, SampleSettings, sample};

/// Flat in its second coordinate: NUTS cannot start (zero gradient component).
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
}

#[test]
fn the_init_error_carries_no_backtrace() {
    // SAFETY: the only test of this binary, set before any other thread reads the environment.
    unsafe { std::env::set_var("RUST_BACKTRACE", "1") };
    let settings = SampleSettings {
        method: Method::Nuts,
        num_chains: 1,
        num_draws: 10,
        preflight: false,
        ..Default::default()
    };
    let e = sample(&Flat, &settings).unwrap_err().to_string();
    assert!(e.contains("Invalid initial point"), "{e}");
    assert!(
        !e.contains("backtrace") && !e.contains("anyhow") && !e.contains("\n"),
        "{e}"
    );
}
