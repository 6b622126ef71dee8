//! Writes a synthetic run (AR(1) chains shaped like a hierarchical model, with sampler statistics)
//! as CmdStan CSV files and, directly from Rust, a report with a NeuTra section — test data for
//! `flowpost diagnose` and the report before a real sampler run.
//!
//! `cargo run --release --example synthetic_run -- OUTDIR [good|bad|large]`
//! - `good`: 10 well-mixing parameters;
//! - `bad`: the same with divergences at small `tau`, one chain of `mu` shifted (R-hat), a sticky
//!   `tau`, one chain with low E-BFMI and some draws at the maximum tree depth;
//! - `large`: 100 parameters with autocorrelations from 0 to 0.99.
//!
//! Writes `OUTDIR/chain_1.csv` … `chain_4.csv` and `OUTDIR/direct/{summary.json,report.html}`.

use flowpost::io::cmdstan::{CmdStanMeta, write_cmdstan_csvs};
use flowpost::report::{ReportInput, ReportVi, RunFacts, write_report};
use flowpost::{ChainDraws, DrawStats, Draws};

struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
    /// AR(1) series with stationary N(0, 1) marginals.
    fn ar1(&mut self, rho: f64, n: usize) -> Vec<f64> {
        let mut x = self.normal();
        (0..n)
            .map(|_| {
                x = rho * x + (1.0 - rho * rho).sqrt() * self.normal();
                x
            })
            .collect()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(
        args.get(1)
            .expect("usage: synthetic_run OUTDIR [good|bad|large]"),
    );
    let scenario = args.get(2).map_or("bad", String::as_str);
    let (num_chains, num_draws, num_warmup) = (4, 1000, 500);
    let mut rng = Rng(20261122);
    let bad = scenario == "bad";

    let names: Vec<String> = if scenario == "large" {
        (1..=100).map(|i| format!("theta[{i}]")).collect()
    } else {
        let mut n = vec!["mu".to_string(), "tau".to_string()];
        n.extend((1..=8).map(|i| format!("theta[{i}]")));
        n
    };
    let p = names.len();
    let chains: Vec<ChainDraws> = (0..num_chains)
        .map(|c| {
            let cols: Vec<Vec<f64>> = if scenario == "large" {
                (0..p)
                    .map(|j| {
                        rng.ar1(0.99 * j as f64 / p as f64, num_draws)
                            .iter()
                            .map(|v| 0.1 * j as f64 + v)
                            .collect()
                    })
                    .collect()
            } else {
                let shift = if bad && c == 3 { 1.5 } else { 0.0 };
                let mu: Vec<f64> = rng
                    .ar1(0.5, num_draws)
                    .iter()
                    .map(|v| 4.0 + shift + 3.0 * v)
                    .collect();
                let log_tau: Vec<f64> = rng
                    .ar1(if bad { 0.97 } else { 0.7 }, num_draws)
                    .iter()
                    .map(|v| 1.0 + 0.6 * v)
                    .collect();
                let mut cols = vec![mu.clone(), log_tau.iter().map(|v| v.exp()).collect()];
                for _ in 0..8 {
                    let eta = rng.ar1(0.2, num_draws);
                    cols.push(
                        (0..num_draws)
                            .map(|i| mu[i] + log_tau[i].exp() * eta[i])
                            .collect(),
                    );
                }
                cols
            };
            let values: Vec<f64> = (0..num_draws)
                .flat_map(|i| cols.iter().map(move |col| col[i]))
                .collect();
            let rho_e = if bad && c == 1 { 0.9 } else { 0.1 };
            let energy = rng.ar1(rho_e, num_draws);
            let step = 0.35 + 0.05 * c as f64;
            let stats: Vec<DrawStats> = (0..num_draws)
                .map(|i| {
                    let small_tau = scenario != "large" && cols[1][i] < 1.2;
                    let depth = if bad && rng.uniform() < 0.02 {
                        10
                    } else {
                        2 + (rng.uniform() * 3.0) as u64
                    };
                    DrawStats {
                        lp: -10.0 - 2.0 * energy[i],
                        accept_stat: 0.6 + 0.4 * rng.uniform(),
                        step_size: step,
                        tree_depth: depth,
                        n_leapfrog: (1 << depth) - 1,
                        divergent: bad && small_tau && rng.uniform() < 0.4,
                        energy: 15.0 + 3.0 * energy[i],
                    }
                })
                .collect();
            // Warmup: step size adapting from 1 towards its final value.
            let warmup_stats = (0..num_warmup)
                .map(|i| {
                    let t = i as f64 / num_warmup as f64;
                    let s =
                        step * (1.0 + 2.0 * (-6.0 * t).exp() * (1.0 + 0.3 * rng.normal()).abs());
                    DrawStats {
                        step_size: s,
                        tree_depth: 4,
                        n_leapfrog: 15,
                        ..Default::default()
                    }
                })
                .collect();
            ChainDraws {
                values,
                stats,
                warmup_stats,
                warmup_values: Vec::new(),
                adapted_step_size: Some(step),
                inv_mass_diag: Some(vec![1.0; p]),
            }
        })
        .collect();
    let draws = Draws::new(names, chains).expect("consistent synthetic draws");

    let meta = CmdStanMeta {
        model: format!("synthetic_{scenario}"),
        method: "neutra".into(),
        seed: Some(20261122),
        num_warmup,
        seconds: Some((0.8, 1.6)),
        ..Default::default()
    };
    let files = write_cmdstan_csvs(&out, &draws, &meta).expect("write CSV");
    eprintln!("wrote {} CSV files to {}", files.len(), out.display());

    let elbo_trace: Vec<f64> = (0..2000)
        .map(|t| {
            let t = t as f64;
            -12.0 - 400.0 * (-t / 60.0).exp() - 3.0 * (-t / 600.0).exp() + 0.4 * rng.normal()
        })
        .collect();
    let mut run = RunFacts::from_draws("neutra", &draws);
    run.cost.num_grad_evals.vi = Some(2000 * 32);
    run.cost.seconds.vi = Some(1.1);
    run.cost.seconds.warmup = Some(0.8);
    run.cost.seconds.sampling = Some(1.6);
    run.cost.seconds.total = Some(3.5);
    let mut input = ReportInput::new(&format!("synthetic {scenario} run"), &draws, run);
    input.vi = Some(ReportVi {
        elbo_trace,
        pareto_k: if bad { 0.74 } else { 0.42 },
        num_steps: 2000,
        final_elbo: None,
        ..Default::default()
    });
    let dir = out.join("direct");
    write_report(&dir, &input).expect("write report");
    eprintln!("wrote {}", dir.join("report.html").display());
}
