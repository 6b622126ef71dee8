//! Writes `latent_gp`'s data (`models/data/scale/latent_gp.json`):
//! `cargo run --release -p flowpost-models --example make_latent_gp_data`.
//!
//! 500 inputs on the grid `x = i/499`; counts `y[i] ~ Poisson(exp(g(x[i])))` with the fixed
//! smooth log-rate `g(x) = 1 + 0.8 sin(3πx) + 0.5 cos(7πx)`, drawn with seed 17 (stream 1):
//! each count is the Poisson quantile of `Φ(z)` for a standard normal `z`.

use statrs::distribution::{ContinuousCDF, DiscreteCDF, Normal, Poisson};
use std::f64::consts::PI;

fn main() {
    let n = 500;
    let x: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    let mut z = vec![0.0; n];
    let mut rng = flowpost::rng::seeded(17, 1);
    flowpost::rng::fill_standard_normal(&mut rng, &mut z);
    let phi = Normal::standard();
    let y: Vec<u64> = x
        .iter()
        .zip(&z)
        .map(|(&xi, &zi)| {
            let g = 1.0 + 0.8 * (3.0 * PI * xi).sin() + 0.5 * (7.0 * PI * xi).cos();
            let u = phi.cdf(zi).clamp(1e-12, 1.0 - 1e-12);
            Poisson::new(g.exp())
                .expect("a positive rate")
                .inverse_cdf(u)
        })
        .collect();
    let file = serde_json::json!({
        "source": "flowpost-models example make_latent_gp_data: y ~ Poisson(exp(1 + 0.8 sin(3 pi x) + 0.5 cos(7 pi x))), x = i/499, seed 17",
        "N": n,
        "x": x,
        "y": y,
    });
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/scale/latent_gp.json");
    std::fs::write(&path, serde_json::to_string(&file).unwrap() + "\n").unwrap();
    println!("wrote {}", path.display());
}
