//! Scratch: auto's flow path with other VI budgets.
use flowpost::{Method, SampleSettings, sample};
use flowpost_models::reference::{Criteria, judge, reference};
use flowpost_models::{ModelOptions, load};

fn env<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn main() {
    let models: Vec<String> = std::env::args().skip(1).collect();
    for name in models {
        for seed in [1u64, 2, 3] {
            let m = load(&name, &ModelOptions::default()).unwrap();
            let mut s = SampleSettings {
                method: Method::Auto,
                seed,
                ..Default::default()
            };
            s.vi.max_steps = env("STEPS", s.vi.max_steps);
            s.vi.min_steps = env("MINSTEPS", s.vi.min_steps);
            s.vi.window = env("WINDOW", s.vi.window);
            s.vi.num_decays = env("DECAYS", s.vi.num_decays);
            s.vi.adam.learning_rate = env("LR", s.vi.adam.learning_rate);
            s.auto.flow_batch_size = env("BATCH", s.auto.flow_batch_size);
            s.auto.flow_num_tune = env("FTUNE", s.auto.flow_num_tune);
            let run = sample(&*m, &s).unwrap();
            let r = reference(&name, &ModelOptions::default()).unwrap().unwrap();
            let v = judge(&run.draws, &r, &Criteria::default());
            let sum = flowpost::diagnostics::summarize(&run.draws);
            let ess = sum.iter().map(|p| p.ess_bulk).fold(f64::INFINITY, f64::min);
            let g = run.cost.grad_evals;
            let vi = run.vi.as_ref().unwrap();
            println!(
                "{name} s{seed}: {} ESS/1k {:.1} ess {:.0} grads {}+{}+{} steps {} k {:.2} refits {}",
                if v.correct { "ok" } else { "WRONG" },
                1000.0 * ess / g.total() as f64,
                ess,
                g.vi,
                g.warmup,
                g.sampling,
                vi.num_steps,
                vi.pareto_k,
                run.auto.as_ref().map(|a| a.describe()).unwrap_or_default()
            );
        }
    }
}
