//! Every method on every built-in model over several seeds, in one command:
//!
//! `cargo bench --bench methods -- [--seeds 1,2,3] [--methods auto,neutra,nuts,nuts-lowrank]
//! [--models funnel,banana,...] [--draws 1000] [--write docs/methods.md [--marker NAME]]
//! [--resume]`
//!
//! Models: the 20 built-in ones (not `hier_regression`: see the `scaling` bench) and `funnel:100` (Neal's funnel in 100 dimensions); `NAME:D`
//! sets a dimension. Methods: `auto` (the default), `neutra`, `nuts` (diagonal metric),
//! `multimodal` (multi-start mode search, HMC with independent jumps between the modes),
//! `nuts-lowrank` (nuts-rs's low-rank metric), `nuts-lowrank-300` (the same with nutpie's
//! shorter warmup, 300 draws), 4 chains × 1000 draws each, each method's own defaults.
//!
//! Per run: whether it is *correct* (`flowpost_models::reference::judge`: every reference mean
//! and sd within 4 combined MCSEs, max R-hat < 1.01, < 0.5% divergent draws; on the multimodal
//! targets — `mixture2`, `mixture4`, `mixture2_t` (`:D` sets d), `sign_flip` — also every mode's
//! weight within 4 MCSE with the occupancy indicator's R-hat < 1.01,
//! `flowpost_models::occupancy::judge_modes`), the minimum bulk
//! ESS per 1000 gradient evaluations with every phase counted (training and any discarded
//! pilot included), gradients and seconds by phase, divergences, and auto's choice. Each run is
//! written to `target/bench-methods/MODEL__METHOD__SEED.json`; `--resume` reuses those files
//! instead of running again. The table (medians over seeds) is printed and, with `--write`,
//! replaces the part of the file between `<!-- methods-table -->` markers
//! (`<!-- methods-table-NAME -->` with `--marker NAME`). `--draws N` sets the post-warmup draws
//! per chain (cached as `..._SEED__N.json`).

#[path = "common/methods.rs"]
mod bench_methods;

use bench_methods::settings_for;
use flowpost::LogDensity;
use flowpost::diagnostics::{extremes, summarize};
use flowpost_models::ModelOptions;
use flowpost_models::occupancy::{ModeOccupancy, judge_modes, modes};
use flowpost_models::reference::{Criteria, judge, reference};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Record {
    model: String,
    method: String,
    seed: u64,
    correct: bool,
    failures: Vec<String>,
    min_ess_bulk: f64,
    min_ess_tail: f64,
    max_r_hat: f64,
    divergences: usize,
    grads_vi: u64,
    grads_warmup: u64,
    grads_sampling: u64,
    seconds_vi: f64,
    seconds_total: f64,
    ess_per_1k: f64,
    pareto_k: Option<f64>,
    auto_choice: Option<String>,
    auto_reason: Option<String>,
    /// Per-mode occupancy on a multimodal target with known modes.
    #[serde(default)]
    modes: Option<Vec<ModeOccupancy>>,
    /// Acceptance rate of the independent flow proposals (method multimodal).
    #[serde(default)]
    jump_acceptance: Option<f64>,
    /// log Z with its MCSE (method multimodal, when k̂ allows), or why there is none.
    #[serde(default)]
    log_evidence: Option<Result<(f64, f64), String>>,
    /// The exact log Z, where known.
    #[serde(default)]
    log_evidence_truth: Option<f64>,
}

fn run_one(model: &str, method: &str, seed: u64, num_draws: u64) -> Record {
    let (name, dim) = match model.split_once(':') {
        Some((n, d)) => (n, Some(d.parse().expect("NAME:DIM"))),
        None => (model, None),
    };
    let options = ModelOptions { dim };
    let density: Box<dyn LogDensity> =
        flowpost_models::load(name, &options).expect("a built-in model");
    let reference = reference(name, &options)
        .expect("its reference loads")
        .unwrap_or_default();
    let settings = flowpost::SampleSettings {
        num_draws,
        ..settings_for(method, seed)
    };
    let run = flowpost::sample(&*density, &settings);
    let run = match run {
        Ok(r) => r,
        Err(e) => {
            return Record {
                model: model.into(),
                method: method.into(),
                seed,
                correct: false,
                failures: vec![format!("error: {e}")],
                min_ess_bulk: 0.0,
                min_ess_tail: 0.0,
                max_r_hat: f64::NAN,
                divergences: 0,
                grads_vi: 0,
                grads_warmup: 0,
                grads_sampling: 0,
                seconds_vi: 0.0,
                seconds_total: 0.0,
                ess_per_1k: 0.0,
                pareto_k: None,
                auto_choice: None,
                auto_reason: None,
                modes: None,
                jump_acceptance: None,
                log_evidence: None,
                log_evidence_truth: None,
            };
        }
    };
    let mut verdict = judge(&run.draws, &reference, &Criteria::default());
    let mode_verdict = modes(name, &options)
        .expect("its modes load")
        .map(|m| judge_modes(&run.draws, &m, &Criteria::default()));
    if let Some(v) = &mode_verdict {
        verdict.correct &= v.correct;
        verdict.failures.extend(v.failures.iter().cloned());
    }
    let e = extremes(&summarize(&run.draws));
    let g = run.cost.num_grad_evals;
    Record {
        model: model.into(),
        method: method.into(),
        seed,
        correct: verdict.correct,
        failures: verdict.failures,
        min_ess_bulk: e.min_ess_bulk,
        min_ess_tail: e.min_ess_tail,
        max_r_hat: verdict.max_r_hat,
        divergences: run.draws.num_divergent(),
        grads_vi: g.vi,
        grads_warmup: g.warmup,
        grads_sampling: g.sampling,
        seconds_vi: run.cost.seconds.vi,
        seconds_total: run.cost.seconds.total,
        ess_per_1k: 1000.0 * e.min_ess_bulk / g.total().max(1) as f64,
        pareto_k: run.vi.as_ref().map(|v| v.pareto_k),
        auto_choice: run.auto.as_ref().map(|a| {
            serde_json::to_value(a.choice)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        }),
        auto_reason: run.auto.as_ref().and_then(|a| a.escalation_reason.clone()),
        modes: mode_verdict.map(|v| v.modes),
        jump_acceptance: run.multimodal.as_ref().map(|m| m.jump_acceptance),
        log_evidence: run.multimodal.as_ref().map(|m| {
            match (&m.log_evidence, &m.log_evidence_note) {
                (Some(z), _) => Ok((z.value, z.mcse)),
                (None, note) => Err(note.clone().unwrap_or_default()),
            }
        }),
        log_evidence_truth: flowpost_models::occupancy::log_evidence(name, &options)
            .expect("its evidence loads"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn list(arg: Option<&String>, default: &[&str]) -> Vec<String> {
    arg.map_or_else(
        || default.iter().map(|s| s.to_string()).collect(),
        |a| a.split(',').map(str::to_string).collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    // The scale targets (thousands of parameters) have their own bench, `scaling`.
    let all_models: Vec<String> = flowpost_models::list()
        .iter()
        .filter(|m| m.name != "hier_regression")
        .map(|m| m.name.to_string())
        .chain(["funnel:100".to_string()])
        .collect();
    let all_models: Vec<&str> = all_models.iter().map(String::as_str).collect();
    let models = list(get("--models"), &all_models);
    // A model name that is not built in is refused before any run starts, with the names there
    // are (posteriordb models go by their full names, e.g. `gp_pois_regr-gp_pois_regr`).
    for model in &models {
        let name = model.split_once(':').map_or(model.as_str(), |(n, _)| n);
        if !flowpost_models::list().iter().any(|m| m.name == name) {
            eprintln!(
                "--models: `{name}` is not a built-in model; the models are: {}",
                flowpost_models::list()
                    .iter()
                    .map(|m| m.name.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            std::process::exit(2);
        }
    }
    let methods = list(
        get("--methods"),
        &["auto", "neutra", "nuts", "nuts-lowrank"],
    );
    let seeds: Vec<u64> = list(get("--seeds"), &["1", "2", "3"])
        .iter()
        .map(|s| s.parse().expect("seeds are integers"))
        .collect();
    let resume = args.iter().any(|a| a == "--resume");
    // Post-warmup draws per chain (1000, the table's, by default); a bias of a few MCSE at
    // 1000 draws shows at 4000 (auto's funnel did).
    let num_draws: u64 = get("--draws").map_or(1000, |d| d.parse().expect("--draws N"));
    // Which table of the --write file to replace: `<!-- methods-table -->` by default, or
    // `<!-- methods-table-NAME -->`.
    let marker = get("--marker").map_or("<!-- methods-table -->".to_string(), |n| {
        format!("<!-- methods-table-{n} -->")
    });
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-methods");
    std::fs::create_dir_all(&dir).unwrap();
    let mut records = Vec::new();
    for model in &models {
        for method in &methods {
            for &seed in &seeds {
                let draws = if num_draws == 1000 {
                    String::new()
                } else {
                    format!("__{num_draws}")
                };
                let file = dir.join(format!(
                    "{}__{method}__{seed}{draws}.json",
                    model.replace(':', "-")
                ));
                let cached = resume
                    .then(|| std::fs::read_to_string(&file).ok())
                    .flatten()
                    .and_then(|t| serde_json::from_str::<Record>(&t).ok());
                let r = cached.unwrap_or_else(|| {
                    let r = run_one(model, method, seed, num_draws);
                    std::fs::write(&file, serde_json::to_string_pretty(&r).unwrap()).unwrap();
                    r
                });
                eprintln!(
                    "{model} {method} seed {seed}: {} · ESS/1k {:.1} · grads {}+{}+{} · {:.1} s · div {}{}{}{}",
                    if r.correct { "correct" } else { "WRONG" },
                    r.ess_per_1k,
                    r.grads_vi,
                    r.grads_warmup,
                    r.grads_sampling,
                    r.seconds_total,
                    r.divergences,
                    r.modes.as_ref().map_or(String::new(), |m| {
                        format!(
                            " · mode weights {}",
                            m.iter()
                                .map(|o| format!(
                                    "{:.3}±{:.3} ({:.2})",
                                    o.estimate, o.mcse, o.truth
                                ))
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    }),
                    r.auto_choice
                        .as_ref()
                        .map_or(String::new(), |c| format!(" · {c}")),
                    if r.correct {
                        String::new()
                    } else {
                        format!(" · {}", r.failures.join("; "))
                    }
                );
                records.push(r);
            }
        }
    }
    let table = render(&models, &methods, &seeds, num_draws, &records);
    println!("{table}");
    if let Some(path) = get("--write") {
        write_between_markers(Path::new(path), &marker, &table);
        eprintln!("wrote {path}");
    }
}

fn render(
    models: &[String],
    methods: &[String],
    seeds: &[u64],
    num_draws: u64,
    records: &[Record],
) -> String {
    let find = |m: &str, meth: &str| -> Vec<&Record> {
        records
            .iter()
            .filter(|r| r.model == m && r.method == meth)
            .collect()
    };
    let mut out = format!(
        "Seeds {}; 4 chains × {num_draws} draws; medians over seeds. ✔ k/n: correct on k of n seeds. \
         ESS/1k: min bulk ESS per 1000 gradient evaluations, every phase counted.\n\n",
        seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    out += "| model | ";
    out += &methods
        .iter()
        .map(|m| format!("{m} ✔ | {m} ESS/1k | {m} grads (vi/warmup/sampling) | {m} s"))
        .collect::<Vec<_>>()
        .join(" | ");
    out += " | auto's choice |\n|---|";
    out += &"---|---|---|---|".repeat(methods.len());
    out += "---|\n";
    let mut ratios = Vec::new();
    for model in models {
        out += &format!("| {model} | ");
        let mut cells = Vec::new();
        for method in methods {
            let rs = find(model, method);
            let ok = rs.iter().filter(|r| r.correct).count();
            let med = |f: &dyn Fn(&Record) -> f64| median(rs.iter().map(|r| f(r)).collect());
            cells.push(format!(
                "{} {ok}/{} | {:.1} | {:.0}k/{:.0}k/{:.0}k | {:.1}",
                if ok == rs.len() && !rs.is_empty() {
                    "✔"
                } else {
                    "✘"
                },
                rs.len(),
                med(&|r| r.ess_per_1k),
                med(&|r| r.grads_vi as f64) / 1e3,
                med(&|r| r.grads_warmup as f64) / 1e3,
                med(&|r| r.grads_sampling as f64) / 1e3,
                med(&|r| r.seconds_total),
            ));
        }
        out += &cells.join(" | ");
        let choices: Vec<String> = find(model, "auto")
            .iter()
            .map(|r| r.auto_choice.clone().unwrap_or_default())
            .collect();
        out += &format!(" | {} |\n", choices.join(", "));
        let auto = find(model, "auto");
        let lr = find(model, "nuts-lowrank");
        if !auto.is_empty() && !lr.is_empty() && lr.iter().all(|r| r.correct) {
            let a = median(auto.iter().map(|r| r.ess_per_1k).collect());
            let l = median(lr.iter().map(|r| r.ess_per_1k).collect());
            ratios.push((model.clone(), a / l));
        }
    }
    let multimodal: Vec<&Record> = records.iter().filter(|r| r.modes.is_some()).collect();
    if !multimodal.is_empty() {
        out += "\nMode weights on the multimodal targets (fraction of draws nearest each mode's \
                 centre ± its MCSE, the exact weight in brackets; ✔ = correct by every criterion; \
                 log Z ± MCSE from the jump proposals, the exact value and (estimate − exact)/MCSE in brackets):\n\n\
                 | model | method | seed | ✔ | mode weights | global jump acceptance | log Z |\n|---|---|---|---|---|---|---|\n";
        for r in multimodal {
            let m = r.modes.as_ref().expect("filtered");
            let truth = |v: f64, e: f64| {
                r.log_evidence_truth.map_or(String::new(), |t| {
                    let z = if e > 0.0 {
                        format!("{:+.1}", (v - t) / e)
                    } else {
                        "–".into()
                    };
                    format!(" ({t:.4}; z {z})")
                })
            };
            let log_z = match &r.log_evidence {
                Some(Ok((v, e))) => format!("{v:.4} ± {e:.1e}{}", truth(*v, *e)),
                Some(Err(why)) => format!("null: {why}"),
                None => "–".to_string(),
            };
            out += &format!(
                "| {} | {} | {} | {} | {} | {} | {log_z} |\n",
                r.model,
                r.method,
                r.seed,
                if r.correct { "✔" } else { "✘" },
                m.iter()
                    .map(|o| format!("{:.3} ± {:.3} ({:.3})", o.estimate, o.mcse, o.truth))
                    .collect::<Vec<_>>()
                    .join(", "),
                r.jump_acceptance
                    .map_or("–".to_string(), |a| format!("{a:.3}")),
            );
        }
    }
    if !ratios.is_empty() {
        let geo = (ratios.iter().map(|r| r.1.ln()).sum::<f64>() / ratios.len() as f64).exp();
        let worst = ratios
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("non-empty");
        out += &format!(
            "\nauto / low-rank NUTS (median ESS/1k) where low-rank is correct on every seed \
             ({} models): geometric mean {geo:.2}×, lowest {:.2}× ({}).\n",
            ratios.len(),
            worst.1,
            worst.0
        );
        out += &ratios
            .iter()
            .map(|(m, r)| format!("{m} {r:.2}×"))
            .collect::<Vec<_>>()
            .join(", ");
        out += "\n";
    }
    out
}

fn write_between_markers(path: &Path, mark: &str, table: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let parts: Vec<&str> = text.split(mark).collect();
    let new = if parts.len() >= 3 {
        format!(
            "{}{mark}\n{table}\n{mark}{}",
            parts[0],
            parts[2..].join(mark)
        )
    } else {
        format!("{text}\n{mark}\n{table}\n{mark}\n")
    };
    let tmp = path.with_extension("md.tmp");
    std::fs::write(&tmp, new).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
