//! NPE training speed: seconds per epoch through the flow's batched calls (matrix–matrix
//! products in the MADE conditioners) against the per-item path, on sbibm's two_moons and
//! slcp, for the spline and the affine flow of the default architecture; then, with `--full`,
//! whole default trainings (Auto: both candidates) and their wall-clock seconds.
//!
//! `cargo bench --bench npe_train [-- --simulations 10000 --epochs 3 --tasks two_moons,slcp
//! --flows spline,affine --full two_moons:10000,slcp:100000 --ensembles 1,3,5]` (`--tasks ''`:
//! only `--full`; `--ensembles`: the full trainings for each ensemble size K, default 1)
//!
//! Both paths run in the same process on the same data, so their ratio is what to read; the
//! absolute seconds depend on what else the machine is doing.

use flowpost::npe::{FlowSettings, NpeSettings, TransformKind, simulate, train};
use flowpost_models::sbibm as tasks;
use std::time::Instant;

/// CPU seconds (user + system) of this process so far, from /proc/self/stat (Linux; 0
/// elsewhere). On a shared machine the wall clock also counts waiting for a core, so both are
/// printed.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and
    // 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / 100.0
}

fn arg(args: &[String], name: &str) -> Option<String> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--simulations").map_or(10_000, |s| s.parse().unwrap());
    let epochs: usize = arg(&args, "--epochs").map_or(3, |s| s.parse().unwrap());
    let full = arg(&args, "--full");
    let ensembles = arg(&args, "--ensembles").unwrap_or("1".into());
    let chunk: usize =
        arg(&args, "--chunk").map_or(NpeSettings::default().chunk_size, |s| s.parse().unwrap());
    let task_names = arg(&args, "--tasks").unwrap_or("two_moons,slcp".into());
    let flows = arg(&args, "--flows").unwrap_or("spline,affine".into());
    // `--only-batched`: skip the per-item runs (for profiling).
    let paths: &[bool] = match args.iter().any(|a| a == "--only-batched") {
        true => &[true],
        false => &[false, true],
    };
    let threads = rayon::current_num_threads();
    println!("{n} simulations, {epochs} epochs each, chunks of {chunk}, {threads} rayon threads\n");
    println!(
        "| task | flow | per-item s/epoch (CPU s) | batched s/epoch (CPU s) | speed-up wall (CPU) | loss per-item | loss batched |"
    );
    println!("|---|---|---|---|---|---|---|");
    for name in task_names.split(',').filter(|s| !s.is_empty()) {
        let task = tasks::task(name).unwrap();
        let sims = simulate(task.prior(), task.simulator(), n, 1);
        let kinds = [
            ("spline", TransformKind::Spline),
            ("affine", TransformKind::Affine),
        ];
        for (_, transform) in kinds.into_iter().filter(|(k, _)| flows.contains(k)) {
            let mut row = Vec::new();
            for &batched in paths {
                let settings = NpeSettings {
                    flow: FlowSettings {
                        transform,
                        ..Default::default()
                    },
                    max_epochs: epochs,
                    batched,
                    chunk_size: chunk,
                    seed: 1,
                    ..Default::default()
                };
                let (t, cpu) = (Instant::now(), cpu_seconds());
                let (_, report) =
                    train(&sims, None, &settings, &flowpost::progress::NoProgress).unwrap();
                let epochs = report.num_epochs as f64;
                let per_epoch = t.elapsed().as_secs_f64() / epochs;
                let cpu = (cpu_seconds() - cpu) / epochs;
                row.push((per_epoch, cpu, *report.validation_losses.last().unwrap()));
            }
            let (a, b) = (row[0], *row.last().unwrap());
            println!(
                "| {name} | {transform:?} | {:.3} ({:.3}) | {:.3} ({:.3}) | {:.1}× ({:.1}×) | {:.6} | {:.6} |",
                a.0,
                a.1,
                b.0,
                b.1,
                a.0 / b.0,
                a.1 / b.1,
                a.2,
                b.2
            );
        }
    }
    let Some(full) = full else { return };
    println!(
        "\n| task | simulations | K | default training s (CPU s) | gradient evals | epochs (member 1, per candidate) | kept (member 1) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for cell in full.split(',') {
        let (name, sims) = cell.split_once(':').expect("--full task:simulations,...");
        let sims: usize = sims.parse().unwrap();
        let task = tasks::task(name).unwrap();
        let data = simulate(task.prior(), task.simulator(), sims, 1);
        for k in ensembles.split(',') {
            let settings = NpeSettings {
                seed: 1,
                num_members: k.parse().expect("--ensembles K,..."),
                ..Default::default()
            };
            let (t, cpu) = (Instant::now(), cpu_seconds());
            let (_, report) =
                train(&data, None, &settings, &flowpost::progress::NoProgress).unwrap();
            let cpu = cpu_seconds() - cpu;
            let epochs: Vec<String> = report
                .candidates
                .iter()
                .map(|c| format!("{:?} {}", c.transform, c.num_epochs))
                .collect();
            println!(
                "| {name} | {sims} | {k} | {:.1} ({cpu:.1}) | {} | {} | {:?} |",
                t.elapsed().as_secs_f64(),
                report.num_gradient_evals,
                epochs.join(", "),
                report.transform
            );
        }
    }
}
