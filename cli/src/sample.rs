//! `flowpost sample MODEL`: fit (NeuTra) and sample a built-in model; write CmdStan CSVs,
//! summary.json, the trained flow and report.html into the output folder.

use crate::sampler_args::SamplerArgs;
use anyhow::bail;
use flowpost::io::flow_file;
use flowpost::shard::{ChainRange, model_hash_builtin, model_hash_stan};
use flowpost::stan::{StanCompileSettings, StanLibrary, StanModelSettings, Toolchain};
use flowpost::{LogDensity, Method};
use std::path::{Path, PathBuf};

/// Arguments of `flowpost sample`.
#[derive(clap::Args)]
pub struct Args {
    /// A built-in model (see `flowpost models`) or a Stan program (`path/to/model.stan`).
    model: String,
    /// Data for a Stan program (Stan's JSON data format).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Run only these chains of a larger run, by their numbers in it (1-based, inclusive:
    /// `5..8`): a shard for another machine. Chain c draws what chain c of the whole run
    /// draws, so shards merged with `flowpost merge` equal the run made at once. Files are
    /// named by these numbers (chain_5.csv …). With --method auto it needs --flow (see
    /// docs/scale-out.md).
    #[arg(long, value_name = "A..B", value_parser = parse_chain_ids)]
    chain_ids: Option<ChainRange>,
    /// Output folder [default: out/MODEL-METHOD, out/MODEL-METHOD-chains-A-B with
    /// --chain-ids, out/MODEL-METHOD-warm with --warm-start, out/MODEL-METHOD-refit with
    /// --init-flow]: new, empty, or an earlier flowpost run's folder (replaced whole); a
    /// folder with other files is refused.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A trained flow file (flow.json from an earlier run): skip the variational fit.
    #[arg(long)]
    flow: Option<PathBuf>,
    /// Continue an earlier run of the same model and data (its folder): its flow, and each
    /// chain's step size, metric and last draw (adaptation.json), with a short warmup.
    #[arg(long, value_name = "DIR")]
    warm_start: Option<PathBuf>,
    /// Start the variational fit from an earlier run's flow (its folder or flow.json) instead
    /// of the Gaussian fit: for new data of the same model (neutra, auto).
    #[arg(long, value_name = "DIR|FILE")]
    init_flow: Option<PathBuf>,
    /// Dimension, for models that have one (funnel, mixture2, mixture4, mixture2_t).
    #[arg(long)]
    dim: Option<usize>,
    #[command(flatten)]
    sampler: SamplerArgs,
}

/// A loaded model: its name, its log-density and its hash (summary.json `run.identity`).
type Loaded = (String, Box<dyn LogDensity>, String);

/// A built-in model, or a Stan program compiled (cached) and loaded through the shim.
fn load_model(args: &Args) -> anyhow::Result<Loaded> {
    if !args.model.ends_with(".stan") {
        if args.data.is_some() {
            bail!(
                "--data is for Stan programs; {} is a built-in model",
                args.model
            );
        }
        let options = flowpost_models::ModelOptions { dim: args.dim };
        let model = flowpost_models::load(&args.model, &options)?;
        let hash = model_hash_builtin(&args.model, model.dim(), &model.param_names());
        return Ok((args.model.clone(), model, hash));
    }
    if args.dim.is_some() {
        bail!(
            "--dim is for built-in models with a dimension (funnel, mixture2, mixture4, mixture2_t), not Stan programs"
        );
    }
    // The program first: a user with a typo in the path should hear about the path, not about
    // a toolchain the program would need.
    if !Path::new(&args.model).is_file() {
        bail!(
            "{}: no such Stan program (give a path to a .stan file, or a built-in model: see `flowpost models`)",
            args.model
        );
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
    let Ok(seed) = u32::try_from(args.sampler.seed) else {
        bail!(
            "--seed {} is too large for a Stan program, whose seeds are at most {}",
            args.sampler.seed,
            u32::MAX
        );
    };
    let model_settings = StanModelSettings {
        seed,
        ..Default::default()
    };
    let model = library.model(args.data.as_deref(), &model_settings)?;
    let name = Path::new(&args.model)
        .file_stem()
        .map_or("model".into(), |s| s.to_string_lossy().into_owned());
    let read = |p: &Path| std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()));
    let source = read(Path::new(&args.model))?;
    let data = args.data.as_deref().map(read).transpose()?;
    let hash = model_hash_stan(&source, data.as_deref(), &model.param_names());
    Ok((name, Box::new(model), hash))
}

fn parse_chain_ids(s: &str) -> Result<ChainRange, String> {
    s.parse()
}

/// The run's chain count and first chain from --chains and --chain-ids.
fn chains_of(args: &Args, method: Method) -> anyhow::Result<(usize, usize)> {
    let Some(ids) = args.chain_ids else {
        return Ok((args.sampler.chains.unwrap_or(4), 0));
    };
    if let Some(n) = args.sampler.chains
        && n != ids.len()
    {
        bail!(
            "--chains {n} and --chain-ids {ids} ({} chains) disagree; give --chain-ids alone",
            ids.len()
        );
    }
    if method == Method::Multimodal {
        bail!("--chain-ids does not work with --method multimodal yet: run it on one machine");
    }
    if args.init_flow.is_some() {
        bail!(
            "--chain-ids with --init-flow would fit the same flow on every shard: fit it once (flowpost sample MODEL --init-flow … --method neutra) and give every shard its flow.json with --flow"
        );
    }
    if method == Method::Auto && args.flow.is_none() && args.warm_start.is_none() {
        bail!(
            "--chain-ids with --method auto needs --flow: auto chooses its sampler from the warmup of all the run's chains, which one shard does not see; train the flow once (flowpost sample MODEL --method neutra) and give every shard its flow.json (see docs/scale-out.md)"
        );
    }
    Ok((ids.len(), ids.first_index()))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let sampler = &args.sampler;
    sampler.options.install_threads()?;
    let asked = sampler.method();
    let reuse = [
        ("--flow", args.flow.is_some()),
        ("--warm-start", args.warm_start.is_some()),
        ("--init-flow", args.init_flow.is_some()),
    ];
    let given: Vec<&str> = reuse.iter().filter(|r| r.1).map(|r| r.0).collect();
    if given.len() > 1 {
        bail!(
            "{} cannot be combined: each says where the flow comes from",
            given.join(" and ")
        );
    }
    let (name, model, model_hash) = load_model(&args)?;
    let warm = match &args.warm_start {
        Some(dir) => Some(crate::warm::load_warm(dir, &name, &model_hash, &*model)?),
        None => None,
    };
    let method = match (&warm, &args.warm_start) {
        (Some(w), Some(dir)) => crate::warm::warm_method(w, asked, dir)?,
        _ => asked.unwrap_or(Method::Auto),
    };
    let chains = chains_of(&args, method)?;
    let metric = warm
        .as_ref()
        .map_or(flowpost::nuts::Metric::Diag, |w| w.stored.metric);
    let target_accept = warm.as_ref().map(|w| w.stored.target_accept);
    let mut settings = sampler.settings(method, chains, metric, target_accept);
    if let Some(arg) = &sampler.init {
        if let Some(flag) = given.first() {
            bail!(
                "--init has no effect with {flag}: the fit and the chains start from the earlier run"
            );
        }
        settings.init = Some(crate::sampler_args::parse_init(arg, &*model)?);
    }
    sampler.check_pairs(&name, &model.param_names())?;
    let out = args.out.clone().unwrap_or_else(|| {
        let shard = args
            .chain_ids
            .map_or(String::new(), |r| format!("-chains-{}-{}", r.first, r.last));
        let reuse = if args.warm_start.is_some() {
            "-warm"
        } else if args.init_flow.is_some() {
            "-refit"
        } else {
            ""
        };
        PathBuf::from(format!("out/{}-{}{reuse}{shard}", name, method.name()))
    });
    // Refuse a bad --out before the run, not after it.
    flowpost::io::atomic::check_output_dir(&out)?;
    let (flow, fit) = match (&args.flow, &args.init_flow, warm) {
        (Some(path), _, _) => {
            if matches!(method, Method::Nuts | Method::Multimodal) {
                bail!("--flow needs --method neutra or auto");
            }
            refuse_replacing_source("--flow", path, &out)?;
            let loaded = flow_file::load(path)?;
            crate::warm::check_flow(&loaded, path, &name, &*model)?;
            (Some(loaded.flow), loaded.vi)
        }
        (_, Some(path), _) => {
            if matches!(method, Method::Nuts | Method::Multimodal) {
                bail!("--init-flow needs --method neutra or auto");
            }
            refuse_replacing_source("--init-flow", path, &out)?;
            let loaded = crate::warm::load_init_flow(path, &name, &*model)?;
            settings.refit_flow = true;
            (Some(loaded.flow), None)
        }
        (_, _, Some(w)) => {
            let dir = args
                .warm_start
                .as_deref()
                .expect("a warm start has a folder");
            refuse_replacing_source("--warm-start", dir, &out)?;
            settings.warm_start = Some(w.stored.warm_start);
            match w.flow {
                Some(f) => (Some(f.flow), f.vi),
                None => (None, None),
            }
        }
        _ => (None, None),
    };

    sampler.run_and_write(&*model, &settings, flow, &out, &name, fit, Some(model_hash))
}

/// An input (`--flow`, `--warm-start`, `--init-flow`) inside the folder this run would
/// replace: the run would delete its own input.
fn refuse_replacing_source(flag: &str, input: &Path, out: &Path) -> anyhow::Result<()> {
    let (Ok(input), Ok(out)) = (std::fs::canonicalize(input), std::fs::canonicalize(out)) else {
        return Ok(());
    };
    if input.starts_with(&out) {
        bail!(
            "{flag} {} is inside the output folder {}, which this run would replace; pass another --out (e.g. --out {}-reuse)",
            input.display(),
            out.display(),
            out.display()
        );
    }
    Ok(())
}
