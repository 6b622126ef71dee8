//! `flowpost sample MODEL`: fit (NeuTra) and sample a built-in model; write CmdStan CSVs,
//! summary.json, the trained flow and report.html into the output folder.

use crate::progress::Bars;
use anyhow::{Context, bail};
use flowpost::diagnostics::{Extremes, ParamSummary, extremes};
use flowpost::io::cmdstan::{CmdStanMeta, write_cmdstan_csvs};
use flowpost::io::flow_file::{self, StoredFit};
use flowpost::report::{ReportInput, ReportVi, RunFacts, write_report};
use flowpost::stan::{StanCompileSettings, StanLibrary, StanModelSettings, Toolchain};
use flowpost::{LogDensity, Method, Run, SampleSettings};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, clap::ValueEnum)]
enum MethodArg {
    Auto,
    Neutra,
    Nuts,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MetricArg {
    Diag,
    LowRank,
}

/// Arguments of `flowpost sample`.
#[derive(clap::Args)]
pub struct Args {
    /// A built-in model (see `flowpost models`) or a Stan program (`path/to/model.stan`).
    model: String,
    /// Data for a Stan program (Stan's JSON data format).
    #[arg(long)]
    data: Option<PathBuf>,
    /// auto (NUTS on the target whitened by a Gaussian fit, a flow only when the warmup shows
    /// the geometry needs one), neutra (fit an IAF, then NUTS in its latent space) or plain NUTS.
    #[arg(long, value_enum, default_value = "auto")]
    method: MethodArg,
    /// The mass matrix NUTS adapts (in the flow's latent space for neutra): diagonal, or
    /// diagonal plus a low-rank correction (nuts-rs's low-rank metric).
    #[arg(long, value_enum, default_value = "diag")]
    metric: MetricArg,
    /// Number of chains (run in parallel).
    #[arg(long, default_value_t = 4)]
    chains: usize,
    /// Warmup draws per chain [default: 500 for neutra, 1000 for nuts].
    #[arg(long)]
    tune: Option<u64>,
    /// Post-warmup draws per chain.
    #[arg(long, default_value_t = 1000)]
    draws: u64,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder [default: out/MODEL-METHOD].
    #[arg(long)]
    out: Option<PathBuf>,
    /// A trained flow file (flow.json from an earlier run): skip the variational fit.
    #[arg(long)]
    flow: Option<PathBuf>,
    /// Dimension, for models that have one (funnel).
    #[arg(long)]
    dim: Option<usize>,
    /// NUTS target acceptance statistic [default: 0.95 for neutra, 0.8 for nuts].
    #[arg(long)]
    target_accept: Option<f64>,
    /// NUTS maximum tree depth.
    #[arg(long)]
    max_depth: Option<u64>,
}

/// A built-in model, or a Stan program compiled (cached) and loaded through the shim.
fn load_model(args: &Args) -> anyhow::Result<(String, Box<dyn LogDensity>)> {
    if !args.model.ends_with(".stan") {
        if args.data.is_some() {
            bail!(
                "--data is for Stan programs; {} is a built-in model",
                args.model
            );
        }
        let options = flowpost_models::ModelOptions { dim: args.dim };
        return Ok((
            args.model.clone(),
            flowpost_models::load(&args.model, &options)?,
        ));
    }
    if args.dim.is_some() {
        bail!("--dim is for built-in models with a dimension (funnel), not Stan programs");
    }
    let toolchain = Toolchain::locate()?;
    let settings = StanCompileSettings {
        verbose: true,
        ..Default::default()
    };
    let library = StanLibrary::compile(&toolchain, &args.model, &settings)?;
    if let Some(report) = library.build_report()
        && !report.stanc_warnings.is_empty()
    {
        eprintln!("stanc warnings:\n{}", report.stanc_warnings);
    }
    let model_settings = StanModelSettings {
        seed: args.seed as u32,
        ..Default::default()
    };
    let model = library.model(args.data.as_deref(), &model_settings)?;
    let name = Path::new(&args.model)
        .file_stem()
        .map_or("model".into(), |s| s.to_string_lossy().into_owned());
    Ok((name, Box::new(model)))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (name, model) = load_model(&args)?;
    let method = match args.method {
        MethodArg::Auto => Method::Auto,
        MethodArg::Neutra => Method::NeuTra,
        MethodArg::Nuts => Method::Nuts,
    };
    let mut settings = SampleSettings {
        method,
        num_chains: args.chains,
        num_tune: args.tune,
        num_draws: args.draws,
        seed: args.seed,
        metric: match args.metric {
            MetricArg::Diag => flowpost::nuts::Metric::Diag,
            MetricArg::LowRank => flowpost::nuts::Metric::LowRank,
        },
        ..Default::default()
    };
    settings.target_accept = args.target_accept;
    if let Some(m) = args.max_depth {
        settings.max_depth = m;
    }
    let flow = match &args.flow {
        None => None,
        Some(path) => {
            if method == Method::Nuts {
                bail!("--flow needs --method neutra or auto");
            }
            let loaded = flow_file::load(path)?;
            let names = model.param_names();
            if loaded.flow.dim() != model.dim() || loaded.param_names != names {
                bail!(
                    "{}: this flow was trained for {} (dimension {}, parameters {}), not for {} (dimension {})",
                    path.display(),
                    loaded.model.as_deref().unwrap_or("another model"),
                    loaded.flow.dim(),
                    loaded.param_names.len(),
                    name,
                    model.dim()
                );
            }
            Some(loaded.flow)
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("out/{}-{}", name, method.name())));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;

    let bars = Bars::new();
    let run = flowpost::sample_with(&*model, &settings, flow, &bars)?;
    drop(bars);
    let summary = write_outputs(&out, &name, &run, &settings, &model.param_names())?;
    print_summary(&name, &run, &summary, &out);
    Ok(())
}

/// Writes chain_k.csv, summary.json, report.html and (NeuTra) flow.json; returns the summaries.
fn write_outputs(
    out: &Path,
    model: &str,
    run: &Run,
    settings: &SampleSettings,
    names: &[String],
) -> anyhow::Result<Vec<ParamSummary>> {
    let per_chain = run.draws.num_chains().max(1) as f64;
    let meta = CmdStanMeta {
        model: model.to_string(),
        method: run.method.name().to_string(),
        seed: Some(run.seed),
        num_warmup: run.num_tune as usize,
        max_depth: settings.max_depth,
        seconds: Some((
            run.cost.seconds.warmup / per_chain,
            run.cost.seconds.sampling / per_chain,
        )),
        extra: vec![("target_accept".into(), settings.target_accept().to_string())],
    };
    write_cmdstan_csvs(out, &run.draws, &meta)?;
    let mut input = ReportInput::new(model, &run.draws, RunFacts::from_run(run));
    input.vi = run.vi.as_ref().map(ReportVi::from_vi);
    let (file, _warnings) = write_report(out, &input)?;
    if let Some(flow) = &run.flow {
        let fit = run.vi.as_ref().map(|v| StoredFit {
            elbo: v.elbo,
            pareto_k: v.pareto_k,
            num_steps: v.num_steps,
        });
        flow_file::save(&out.join("flow.json"), flow, Some(model), names, fit)?;
    }
    Ok(file.parameters)
}

fn print_summary(model: &str, run: &Run, summary: &[ParamSummary], out: &Path) {
    let c = &run.cost;
    let Extremes {
        min_ess_bulk: min_bulk,
        min_ess_tail: min_tail,
        max_r_hat: max_rhat,
    } = extremes(summary);
    println!(
        "{model}: {} · {} chains × {} draws · {} divergences · max R-hat {max_rhat:.3} · min ESS bulk {min_bulk:.0} / tail {min_tail:.0}",
        run.method.name(),
        run.draws.num_chains(),
        run.draws.num_draws(),
        run.draws.num_divergent(),
    );
    if let Some(auto) = &run.auto {
        match &auto.escalation_reason {
            None => println!(
                "auto: whitened NUTS (low-rank metric) — no flow needed: {}; Gaussian k̂ {:.2}",
                auto.evidence
                    .last()
                    .map(|e| format!(
                        "Fisher distance {:.2}/dim, {:.1}% divergent in late warmup",
                        e.fisher_per_dim,
                        100.0 * e.divergent_fraction
                    ))
                    .unwrap_or_default(),
                auto.gaussian_pareto_k
            ),
            Some(reason) => println!(
                "auto: trained a flow (NeuTra) — {reason}; {} gradients of whitened NUTS discarded",
                auto.num_grad_evals_discarded
            ),
        }
    }
    if let Some(vi) = &run.vi {
        let verdict = if vi.pareto_k_ok() {
            "good"
        } else {
            "poor: rely on NUTS, not on the flow alone"
        };
        println!(
            "VI: {} steps, ELBO {:.3} ± {:.3}, Pareto k̂ {:.2} ({verdict})",
            vi.num_steps, vi.elbo, vi.elbo_mcse, vi.pareto_k
        );
    }
    println!(
        "cost: gradients vi {} + warmup {} + sampling {}; seconds vi {:.2} + warmup {:.2} + sampling {:.2} = {:.2} total",
        c.grad_evals.vi,
        c.grad_evals.warmup,
        c.grad_evals.sampling,
        c.seconds.vi,
        c.seconds.warmup,
        c.seconds.sampling,
        c.seconds.total
    );
    println!(
        "{:>14} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7}",
        "parameter", "mean", "sd", "q5", "q50", "q95", "ess_bulk", "ess_tail", "r_hat"
    );
    const SHOWN: usize = 12;
    for p in summary.iter().take(SHOWN) {
        println!(
            "{:>14} {:>10.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>8.0} {:>8.0} {:>7.4}",
            p.name, p.mean, p.sd, p.q5, p.q50, p.q95, p.ess_bulk, p.ess_tail, p.r_hat
        );
    }
    if summary.len() > SHOWN {
        println!(
            "{:>14} … {} more in summary.json",
            "",
            summary.len() - SHOWN
        );
    }
    println!("wrote {}", out.display());
}
