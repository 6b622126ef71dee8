//! Write cost of a run's draw files: the CmdStan CSVs against the ArviZ zarr store
//! (`draws.zarr`), in seconds (best of 5) and bytes, for 4 chains × 1000 draws of 10
//! parameters (funnel's size) and of 100. The draws are a fixed normal stream at full
//! precision, which costs what a run's draws cost to format.
//!
//! Run: `cargo bench --bench output_formats` (release profile).

use flowpost::io::arviz_zarr::{StoreOptions, write_arviz_zarr};
use flowpost::io::cmdstan::{CmdStanMeta, write_cmdstan_csvs};
use flowpost::{ChainDraws, DrawStats, Draws};
use std::path::Path;
use std::time::Instant;

/// SplitMix64 + Box–Muller: a fixed, dependency-free normal stream.
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

fn draws(num_params: usize, num_chains: usize, num_draws: usize) -> Draws {
    let mut rng = Normal(7);
    let names = (1..=num_params).map(|i| format!("x[{i}]")).collect();
    let chains = (0..num_chains)
        .map(|_| ChainDraws {
            values: (0..num_params * num_draws).map(|_| rng.next()).collect(),
            stats: (0..num_draws)
                .map(|_| DrawStats {
                    lp: -rng.next().abs() * 10.0,
                    accept_stat: rng.uniform(),
                    step_size: 0.42,
                    tree_depth: 3,
                    n_leapfrog: 7,
                    divergent: false,
                    energy: rng.next() * 5.0,
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    Draws::new(names, chains).unwrap()
}

fn bytes(path: &Path) -> u64 {
    let meta = std::fs::metadata(path).unwrap();
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .unwrap()
        .map(|e| bytes(&e.unwrap().path()))
        .sum()
}

/// Best of 5 seconds of `write` into a fresh folder, and the bytes it wrote.
fn time(root: &Path, write: impl Fn(&Path)) -> (f64, u64) {
    let mut best = f64::INFINITY;
    let mut size = 0;
    for _ in 0..5 {
        let dir = root.join("out");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let t = Instant::now();
        write(&dir);
        best = best.min(t.elapsed().as_secs_f64());
        size = bytes(&dir);
    }
    (best, size)
}

fn main() {
    let root = std::env::temp_dir().join(format!("flowpost-bench-formats-{}", std::process::id()));
    println!("params chains draws | csv s  csv bytes | zarr s  zarr bytes");
    for num_params in [10, 100] {
        let d = draws(num_params, 4, 1000);
        let (csv_s, csv_b) = time(&root, |dir| {
            write_cmdstan_csvs(dir, &d, &CmdStanMeta::default()).unwrap();
        });
        let (zarr_s, zarr_b) = time(&root, |dir| {
            write_arviz_zarr(&dir.join("draws.zarr"), &d, &StoreOptions::default()).unwrap();
        });
        println!(
            "{num_params:>6} {:>6} {:>5} | {csv_s:.4} {csv_b:>10} | {zarr_s:.4} {zarr_b:>11}",
            4, 1000
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
