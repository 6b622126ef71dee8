//! NLE on an sbibm task, end to end: train q(x | θ_u) on simulations from the prior
//! ([`train_nle`]), then for each observation sample the posterior with flowpost's own sampler
//! on [`NleDensity`] and write the draws for `../shared/tools/c2st.py`.
//!
//! `cargo bench --bench nle -- [--task slcp] [--simulations 10000] [--observations 1,2,3]
//! [--method auto|nuts|multimodal] [--draws 2500] [--seed 1] [--activation relu|tanh|elu]
//! [--out target/bench-nle]`
//!
//! Per observation it prints the sampler's diagnostics (max R-hat, divergences, gradients,
//! seconds) and writes `OUT/TASK_N/samples_obsK.csv` (header `parameter_1,…`, as sbibm's
//! reference files), 4 chains × `--draws` draws. Score them with
//! `python ../shared/tools/c2st.py REF/TASK/num_observation_K/reference_posterior_samples.csv
//! OUT/TASK_N/samples_obsK.csv`. Only tasks with a box prior are supported (their prior is
//! declared here as independent uniforms).

use flowpost::npe::{IndependentPrior, Marginal, NleDensity, NpeSettings, simulate, train_nle};
use flowpost::{Method, SampleSettings};
use flowpost_models::sbibm as tasks;
use std::io::Write;
use std::time::Instant;

fn arg(args: &[String], name: &str) -> Option<String> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).cloned()
}

/// The box of the sbibm tasks with a uniform prior.
fn box_prior(task: &str) -> IndependentPrior {
    let (lower, upper, d) = match task {
        "slcp" => (-3.0, 3.0, 5),
        "two_moons" => (-1.0, 1.0, 2),
        "gaussian_linear_uniform" => (-1.0, 1.0, 10),
        other => panic!("--task {other}: only slcp, two_moons and gaussian_linear_uniform"),
    };
    IndependentPrior::new(vec![Marginal::Uniform { lower, upper }; d]).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = arg(&args, "--task").unwrap_or_else(|| "slcp".into());
    let n: usize = arg(&args, "--simulations").map_or(10_000, |s| s.parse().unwrap());
    let seed: u64 = arg(&args, "--seed").map_or(1, |s| s.parse().unwrap());
    let draws: u64 = arg(&args, "--draws").map_or(2500, |s| s.parse().unwrap());
    let observations: Vec<usize> = arg(&args, "--observations")
        .unwrap_or_else(|| "1,2,3".into())
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let method = match arg(&args, "--method").as_deref().unwrap_or("auto") {
        "auto" => Method::Auto,
        "nuts" => Method::Nuts,
        "multimodal" => Method::Multimodal,
        other => panic!("--method {other}: auto, nuts or multimodal"),
    };
    let out = std::path::PathBuf::from(arg(&args, "--out").unwrap_or("target/bench-nle".into()))
        .join(format!("{name}_{n}"));
    std::fs::create_dir_all(&out).unwrap();

    let task = tasks::task(&name).unwrap();
    let prior = box_prior(&name);
    let sims = simulate(task.prior(), task.simulator(), n, seed);
    let start = Instant::now();
    let mut settings = NpeSettings {
        seed,
        ..NpeSettings::nle_default()
    };
    if let Some(a) = arg(&args, "--activation") {
        settings.flow.activation = flowpost::bijection::Activation::from_name(&a)
            .unwrap_or_else(|| panic!("--activation {a}: relu, tanh or elu"));
    }
    let (nle, report) =
        train_nle(&sims, &prior, &settings, &flowpost::progress::NoProgress).unwrap();
    println!(
        "{name}, {n} simulations: trained in {:.1} s ({:?} kept), {} epochs, best validation loss {:.3}",
        start.elapsed().as_secs_f64(),
        report.transform,
        report.num_epochs,
        report.best_validation_loss
    );
    println!("| obs | method | max R-hat | divergent | gradients | seconds | file |");
    println!("|---|---|---|---|---|---|---|");
    for k in observations {
        let x_o = &task.observation(k).unwrap().x_o;
        let density = NleDensity::new(&nle, x_o).unwrap();
        let s = SampleSettings {
            method,
            seed: seed + k as u64,
            num_draws: draws,
            ..Default::default()
        };
        let t = Instant::now();
        let run = flowpost::sample(&density, &s).unwrap();
        let summary = flowpost::diagnostics::summarize(&run.draws);
        let max_r_hat = flowpost::diagnostics::extremes(&summary).max_r_hat;
        if let Some(a) = &run.auto {
            println!("auto: {}", a.describe());
        }
        if let Some(m) = &run.multimodal {
            print!("{}", m.describe());
            for (i, mode) in m.modes.iter().enumerate() {
                let loc: Vec<String> = mode.location.iter().map(|v| format!("{v:.2}")).collect();
                let sd: Vec<String> = mode.sd.iter().map(|v| format!("{v:.2}")).collect();
                println!(
                    "  mode {}: at θ_u ({}), sd ({}), log mass {:.2}",
                    i + 1,
                    loc.join(", "),
                    sd.join(", "),
                    mode.log_mass
                );
            }
        }
        let file = out.join(format!("samples_obs{k}.csv"));
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let d = run.draws.num_params();
        let header: Vec<String> = (1..=d).map(|i| format!("parameter_{i}")).collect();
        writeln!(w, "{}", header.join(",")).unwrap();
        for chain in &run.draws.chains {
            for row in chain.values.chunks(d) {
                let cells: Vec<String> = row.iter().map(|v| format!("{v}")).collect();
                writeln!(w, "{}", cells.join(",")).unwrap();
            }
        }
        println!(
            "| {k} | {:?} | {max_r_hat:.3} | {} | {} | {:.1} | {} |",
            run.method,
            run.draws.num_divergent(),
            run.cost.num_grad_evals.total(),
            t.elapsed().as_secs_f64(),
            file.display()
        );
    }
}
