//! Times `diagnostics::summarize` on 100 parameters × 4 chains × 1000 draws of AR(1) chains
//! (ρ between 0 and 0.95), plus E-BFMI and PSIS on 4000 draws.
//!
//! Run: `cargo bench --bench diagnostics_summary` (release profile).

use std::time::Instant;

use flowpost::diagnostics::{e_bfmi, psis, summarize};
use flowpost::{ChainDraws, DrawStats, Draws};

/// SplitMix64 + Box–Muller: a fixed, dependency-free normal stream for the bench.
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn main() {
    let (num_params, num_chains, num_draws) = (100, 4, 1000);
    let mut rng = Normal(2026);
    let chains: Vec<ChainDraws> = (0..num_chains)
        .map(|_| {
            let mut state = vec![0.0; num_params];
            let mut values = Vec::with_capacity(num_draws * num_params);
            for _ in 0..num_draws {
                for (p, s) in state.iter_mut().enumerate() {
                    let rho = 0.95 * p as f64 / num_params as f64;
                    *s = rho * *s + (1.0 - rho * rho).sqrt() * rng.next();
                    values.push(*s);
                }
            }
            let stats = (0..num_draws)
                .map(|_| DrawStats {
                    energy: rng.next(),
                    ..Default::default()
                })
                .collect();
            ChainDraws {
                values,
                stats,
                ..Default::default()
            }
        })
        .collect();
    let names = (1..=num_params).map(|i| format!("theta[{i}]")).collect();
    let draws = Draws::new(names, chains).unwrap();

    let reps = 10;
    let mut times = vec![];
    let mut min_ess = 0.0;
    for _ in 0..reps {
        let t = Instant::now();
        let s = summarize(&draws);
        times.push(t.elapsed().as_secs_f64());
        min_ess = flowpost::diagnostics::extremes(&s).min_ess_bulk;
    }
    times.sort_by(f64::total_cmp);
    println!(
        "summarize: {num_params} params x {num_chains} chains x {num_draws} draws: median {:.1} ms, min {:.1} ms, max {:.1} ms over {reps} runs ({} rayon threads; min bulk ESS {min_ess:.0})",
        times[reps / 2] * 1e3,
        times[0] * 1e3,
        times[reps - 1] * 1e3,
        rayon::current_num_threads()
    );

    let energy = draws.stat(|s| s.energy);
    let t = Instant::now();
    let b = e_bfmi(&energy);
    println!(
        "e_bfmi: 4 x 1000: {:.3} ms ({b:.2?})",
        t.elapsed().as_secs_f64() * 1e3
    );

    let lr: Vec<f64> = (0..4000).map(|_| 0.5 * rng.next()).collect();
    let t = Instant::now();
    let r = psis(&lr);
    println!(
        "psis: 4000 log-ratios: {:.3} ms (k-hat {:.3})",
        t.elapsed().as_secs_f64() * 1e3,
        r.k_hat
    );
}
