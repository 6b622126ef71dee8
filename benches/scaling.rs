//! How cost, memory and efficiency grow with the dimension (issue 17), in one command:
//!
//! `cargo bench --bench scaling -- [--models funnel,hier_regression] [--dims 10,100,1000,10000]
//! [--methods auto,nuts-lowrank,neutra] [--seed 1] [--timeout 1800] [--resume] [--costs-only]`
//!
//! `latent_gp` (the 500-input latent GP) takes only dimensions 1 + N with N dividing 500 and has
//! a reference at 51 and 501: `--models latent_gp --dims 51,501`. A dimension a model does not
//! take is skipped with a line saying so.
//!
//! Two parts:
//! 1. **Cost per gradient**, in this process: the model's gradient, and the default flow's
//!    forward pass plus pull-back of a gradient (what NUTS in the latent space pays per
//!    leapfrog step) and forward plus parameter gradient (what one training draw pays), for the
//!    default architecture (4 IAF layers, MADE widths h = clamp(2d, 16, 128), a diagonal base
//!    map), in µs and in ns per d·h: flat if the flow is O(d·h).
//! 2. **Whole runs**, each in a child process (so its peak memory, `VmHWM` from
//!    `/proc/self/status`, is its own, and a run past `--timeout` seconds is stopped and
//!    reported as such): correct? (`flowpost_models::reference::judge`, as the methods bench),
//!    minimum bulk ESS per 1000 gradients with training counted, gradients per second, VI and
//!    total seconds, peak memory. 4 chains × 1000 draws, each method's defaults. Records go to
//!    `target/bench-scaling/MODEL_D__METHOD__SEED.json`; `--resume` reuses them.

#[path = "common/methods.rs"]
mod bench_methods;

use bench_methods::settings_for;
use flowpost::LogDensity;
use flowpost::diagnostics::{extremes, summarize};
use flowpost::flow::{Flow, FlowSettings, GaussianFit};
use flowpost_models::ModelOptions;
use flowpost_models::reference::{Criteria, judge, reference};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Record {
    model: String,
    dim: usize,
    method: String,
    seed: u64,
    /// "ok", "error: …" or "timeout after N s".
    status: String,
    correct: bool,
    failures: Vec<String>,
    min_ess_bulk: f64,
    ess_per_1k: f64,
    max_r_hat: f64,
    divergences: usize,
    grads_vi: u64,
    grads_total: u64,
    seconds_vi: f64,
    /// NUTS warmup and sampling seconds (absent in records of earlier versions).
    #[serde(default)]
    seconds_warmup: f64,
    #[serde(default)]
    seconds_sampling: f64,
    #[serde(default)]
    grads_warmup: u64,
    seconds_total: f64,
    grads_per_second: f64,
    peak_rss_mb: f64,
    auto_choice: Option<String>,
    /// auto's decision in a sentence ([`flowpost::auto::AutoReport::describe`]).
    #[serde(default)]
    auto_describe: Option<String>,
}

/// Peak resident memory of this process in MB (Linux's `VmHWM`; NaN elsewhere).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn empty(model: &str, dim: usize, method: &str, seed: u64, status: String) -> Record {
    Record {
        model: model.into(),
        dim,
        method: method.into(),
        seed,
        status,
        correct: false,
        failures: vec![],
        min_ess_bulk: 0.0,
        ess_per_1k: 0.0,
        max_r_hat: f64::NAN,
        divergences: 0,
        grads_vi: 0,
        grads_total: 0,
        seconds_vi: 0.0,
        seconds_warmup: 0.0,
        seconds_sampling: 0.0,
        grads_warmup: 0,
        seconds_total: 0.0,
        grads_per_second: 0.0,
        peak_rss_mb: f64::NAN,
        auto_choice: None,
        auto_describe: None,
    }
}

/// One run, in this (child) process.
fn run_one(model: &str, dim: usize, method: &str, seed: u64) -> Record {
    let options = ModelOptions { dim: Some(dim) };
    let density = flowpost_models::load(model, &options).expect("a built-in model");
    let reference = reference(model, &options)
        .expect("its reference loads")
        .unwrap_or_default();
    let run = match flowpost::sample(&*density, &settings_for(method, seed)) {
        Ok(r) => r,
        Err(e) => {
            let mut r = empty(model, dim, method, seed, format!("error: {e}"));
            r.peak_rss_mb = peak_rss_mb();
            return r;
        }
    };
    let verdict = judge(&run.draws, &reference, &Criteria::default());
    let e = extremes(&summarize(&run.draws));
    let g = run.cost.num_grad_evals;
    Record {
        model: model.into(),
        dim,
        method: method.into(),
        seed,
        status: "ok".into(),
        correct: verdict.correct,
        failures: verdict.failures.into_iter().take(3).collect(),
        min_ess_bulk: e.min_ess_bulk,
        ess_per_1k: 1000.0 * e.min_ess_bulk / g.total().max(1) as f64,
        max_r_hat: verdict.max_r_hat,
        divergences: run.draws.num_divergent(),
        grads_vi: g.vi,
        grads_total: g.total(),
        seconds_vi: run.cost.seconds.vi,
        seconds_warmup: run.cost.seconds.warmup,
        seconds_sampling: run.cost.seconds.sampling,
        grads_warmup: g.warmup,
        seconds_total: run.cost.seconds.total,
        grads_per_second: g.total() as f64 / run.cost.seconds.total.max(1e-9),
        peak_rss_mb: peak_rss_mb(),
        auto_choice: run.auto.as_ref().map(|a| {
            serde_json::to_value(a.choice)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        }),
        auto_describe: run.auto.as_ref().map(|a| a.describe()),
    }
}

/// Runs `--one` in a child process with a deadline.
fn run_child(model: &str, dim: usize, method: &str, seed: u64, timeout: Duration) -> Record {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(["--one", model, &dim.to_string(), method, &seed.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the bench itself");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut out = String::new();
            use std::io::Read;
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            return serde_json::from_str(out.trim()).unwrap_or_else(|_| {
                empty(model, dim, method, seed, format!("error: child {status}"))
            });
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let secs = timeout.as_secs();
            let mut r = empty(model, dim, method, seed, format!("timeout after {secs} s"));
            r.seconds_total = secs as f64;
            return r;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Median seconds of `f` over `reps` calls after one warm-up call.
fn time_median(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

/// Part 1: µs per model gradient, per flow forward + pull-back, per flow forward + parameter
/// gradient; and the flow's ns per d·h.
fn costs(models: &[String], dims: &[usize]) {
    println!("\n## Cost per gradient (µs; flow: 4 IAF layers, h = clamp(2d, 16, 128))\n");
    println!(
        "| model | d | h | model gradient | flow fwd + pull-back | ns per d·h | flow fwd + param grad | ns per d·h |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for model in models {
        for &d in dims {
            let density = match flowpost_models::load(model, &ModelOptions { dim: Some(d) }) {
                Ok(m) => m,
                Err(e) => {
                    println!("| {model} | {d} | skipped: {e} |");
                    continue;
                }
            };
            let d = density.dim();
            let reps = (2_000_000 / d).clamp(5, 2000);
            let theta = vec![0.1; d];
            let mut grad = vec![0.0; d];
            let t_model = time_median(reps, || {
                std::hint::black_box(density.log_density(&theta, &mut grad).unwrap());
            });
            let settings = FlowSettings::default();
            let h = settings.hidden_for(d)[0];
            let flow = Flow::default_for(&GaussianFit::standard(d), &settings, 1);
            let mut tape = flow.new_tape();
            let z = vec![0.3; d];
            let mut th = vec![0.0; d];
            let g_theta = vec![0.5; d];
            let mut g_z = vec![0.0; d];
            let reps_flow = (200_000 / d).clamp(5, 500);
            let t_pull = time_median(reps_flow, || {
                flow.forward(&z, &mut th, &mut tape);
                flow.pull_back(&z, &mut tape, &g_theta, &mut g_z);
                std::hint::black_box(&g_z);
            });
            let mut gparams = vec![0.0; flow.params().len()];
            let t_train = time_median(reps_flow, || {
                flow.forward(&z, &mut th, &mut tape);
                flow.backward(&z, &mut tape, &g_theta, 1.0, &mut gparams);
                std::hint::black_box(&gparams);
            });
            let per = |t: f64| 1e9 * t / (d * h) as f64;
            println!(
                "| {model} | {d} | {h} | {:.2} | {:.1} | {:.2} | {:.1} | {:.2} |",
                1e6 * t_model,
                1e6 * t_pull,
                per(t_pull),
                1e6 * t_train,
                per(t_train)
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--one") {
        let (model, dim, method, seed) = (&args[1], &args[2], &args[3], &args[4]);
        let r = run_one(model, dim.parse().unwrap(), method, seed.parse().unwrap());
        println!("{}", serde_json::to_string(&r).unwrap());
        return;
    }
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let list = |flag: &str, default: &str| -> Vec<String> {
        get(flag)
            .map_or(default, |s| s.as_str())
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let models = list("--models", "funnel,hier_regression");
    let dims: Vec<usize> = list("--dims", "10,100,1000,10000")
        .iter()
        .map(|d| d.parse().expect("--dims takes integers"))
        .collect();
    let methods = list("--methods", "auto,nuts-lowrank,neutra");
    let seed: u64 = get("--seed").map_or(1, |s| s.parse().expect("--seed"));
    let timeout = Duration::from_secs(get("--timeout").map_or(1800, |s| s.parse().unwrap()));
    let resume = args.iter().any(|a| a == "--resume");
    costs(&models, &dims);
    if args.iter().any(|a| a == "--costs-only") {
        return;
    }
    let dir = PathBuf::from("target/bench-scaling");
    std::fs::create_dir_all(&dir).unwrap();
    println!("\n## Whole runs (seed {seed}, 4 chains × 1000 draws)\n");
    println!(
        "| model | d | method | status | correct | ESS/1k grads | grads/s | grads (VI, warmup) | s VI | s warmup | s total | peak MB | auto chose |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for model in &models {
        for &d in &dims {
            if flowpost_models::load(model, &ModelOptions { dim: Some(d) }).is_err() {
                println!("| {model} | {d} | skipped: not a dimension of this model |");
                continue;
            }
            for method in &methods {
                let path = dir.join(format!("{model}_{d}__{method}__{seed}.json"));
                let cached = resume
                    .then(|| std::fs::read_to_string(&path).ok())
                    .flatten()
                    .and_then(|t| serde_json::from_str::<Record>(&t).ok());
                let r = cached.unwrap_or_else(|| {
                    let r = run_child(model, d, method, seed, timeout);
                    std::fs::write(&path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
                    r
                });
                println!(
                    "| {} | {} | {} | {} | {} | {:.1} | {:.0} | {} ({}, {}) | {:.1} | {:.1} | {:.1} | {:.0} | {} |",
                    r.model,
                    r.dim,
                    r.method,
                    r.status,
                    if r.correct { "yes" } else { "no" },
                    r.ess_per_1k,
                    r.grads_per_second,
                    r.grads_total,
                    r.grads_vi,
                    r.grads_warmup,
                    r.seconds_vi,
                    r.seconds_warmup,
                    r.seconds_total,
                    r.peak_rss_mb,
                    r.auto_choice.as_deref().unwrap_or("–")
                );
                if !r.correct && !r.failures.is_empty() {
                    println!("|  |  |  | {} |", r.failures.join("; "));
                }
            }
        }
    }
}
