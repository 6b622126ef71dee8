//! [`merge_shards`]: shard folders of one run into the run's folder — the chain files as the
//! shards wrote them, summary.json and report.html of all the chains, the shared flow.json and
//! the chains' adaptation.json —
//! with nested R-hat over the shards.

use super::read::{check_coverage, check_same_run, read_shard};
use super::{ChainRange, MergeError, ShardInfo};
use crate::Draws;
use crate::diagnostics::{DiagnosticWarning, check_run, rhat_nested, summarize};
use crate::io::arviz_zarr::{STORE_NAME, StoreOptions, attributes, write_arviz_zarr};
use crate::io::atomic::{RunDir, write_string_atomic};
use crate::io::cmdstan::read_cmdstan_csvs;
#[cfg(feature = "report")]
use crate::report::render_html;
use crate::report::{
    NestedRHatEntry, NestedRHatSummary, ReportInput, RunFacts, SummaryFile, SummaryHeader,
    WarningEntry,
};
use crate::sample::{GradEvals, Seconds};
use std::path::{Path, PathBuf};

/// Settings of [`merge_shards`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergeSettings {
    /// The whole run's number of chains, when known: then chains missing at the end are found
    /// too (without it the shards must hold chains 1 to the largest number any holds).
    pub num_chains: Option<usize>,
    /// Parameters the report's pair plot must show.
    pub pair_params: Vec<String>,
    /// Also write the merged draws as an ArviZ 1.x zarr store, `draws.zarr`
    /// ([`arviz_zarr`](crate::io::arviz_zarr)).
    pub zarr: bool,
}

impl MergeSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), MergeError> {
        if self.num_chains == Some(0) {
            return Err(MergeError::Settings(
                "the run's number of chains must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// What [`merge_shards`] wrote.
#[derive(Debug, Clone)]
pub struct MergedRun {
    /// The merged folder.
    pub dir: PathBuf,
    /// The shards, in chain order.
    pub shards: Vec<ShardInfo>,
    /// All the chains' draws, in chain order.
    pub draws: Draws,
    /// The contents of the merged summary.json.
    pub summary: SummaryFile,
    /// The problems found, most serious first.
    pub warnings: Vec<DiagnosticWarning>,
}

/// Merges the shard folders `dirs` (any order) into `out`, which follows the rules of a run's
/// output folder ([`RunDir`]): new, empty or flowpost's own, replaced whole. Checks that the
/// shards are one run (same model hash, flow hash, settings, seed and version) holding every
/// chain once; the chain files are copied as they are (a chain's draws are the same bytes
/// whichever machine ran it), and summary.json and report.html are those of all the chains,
/// with `run.seconds` the longest shard's (shards run side by side), gradient evaluations
/// summed, and nested R-hat with each shard as a superchain when there are two or more.
pub fn merge_shards(
    dirs: &[PathBuf],
    out: &Path,
    settings: &MergeSettings,
) -> Result<MergedRun, MergeError> {
    settings.validate()?;
    if dirs.is_empty() {
        return Err(MergeError::NoShards);
    }
    let out_err = |path: &Path, e: &dyn std::fmt::Display| MergeError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    crate::io::atomic::check_output_dir(out).map_err(|e| out_err(out, &e))?;
    refuse_overlap(dirs, out)?;
    let mut shards = dirs
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, _>>()?;
    let reference = check_same_run(&shards)?;
    let reference_dir = shards[reference].dir.clone();
    shards.sort_by_key(|s| s.chain_ids.first);
    let all = check_coverage(&shards, settings.num_chains)?;

    let mut files: Vec<PathBuf> = Vec::with_capacity(all.len());
    let mut chains = Vec::with_capacity(all.len());
    let mut names: Option<Vec<String>> = None;
    for s in &shards {
        let unreadable = |reason: String| MergeError::Unreadable {
            dir: s.dir.clone(),
            reason,
        };
        let paths: Vec<PathBuf> = s
            .chain_ids
            .ids()
            .map(|id| s.dir.join(format!("chain_{id}.csv")))
            .collect();
        let (draws, read) = read_cmdstan_csvs(&paths).map_err(|e| unreadable(e.to_string()))?;
        for ((file, chain), id) in paths.iter().zip(&read).zip(s.chain_ids.ids()) {
            let written = chain
                .config_value("id")
                .and_then(|v| v.parse::<usize>().ok());
            if written != Some(id) {
                return Err(unreadable(format!(
                    "{} has id = {} in its header, not {id}",
                    file.display(),
                    written.map_or("nothing".into(), |w| w.to_string())
                )));
            }
        }
        match &names {
            None => names = Some(draws.param_names.clone()),
            Some(n) if *n != draws.param_names => {
                return Err(unreadable(format!(
                    "its chain files name other parameters than those of {}",
                    shards[0].dir.display()
                )));
            }
            Some(_) => {}
        }
        files.extend(paths);
        chains.extend(draws.chains);
    }
    let draws =
        Draws::new(names.unwrap_or_default(), chains).map_err(|e| MergeError::Unreadable {
            dir: shards[0].dir.clone(),
            reason: format!("the shards' chains do not fit together: {e}"),
        })?;
    if let Some(bad) = settings
        .pair_params
        .iter()
        .find(|p| !draws.param_names.contains(p))
    {
        return Err(MergeError::Settings(format!(
            "--pairs: the run has no parameter `{bad}`; its parameters are {}",
            draws.param_names.join(", ")
        )));
    }

    let identity = shards[0].identity.clone();
    let run = merged_facts(&shards, &draws, all);
    let mut input = ReportInput::new(&identity.model, &draws, run);
    let w = &mut input.settings.warnings;
    w.max_tree_depth = identity.settings["max_depth"].as_u64().unwrap_or(10);
    input.settings.pair_params = settings.pair_params.clone();
    let parameters = summarize(&draws);
    let mut warnings = check_run(&draws, &parameters, &input.settings.warnings);
    let nested = (shards.len() >= 2)
        .then(|| nested_summary(&shards, &draws, input.settings.warnings.max_r_hat));
    if let Some(w) = nested
        .as_ref()
        .and_then(|n| nested_warning(n, shards.len()))
    {
        let at = warnings
            .iter()
            .position(|x| matches!(x.kind(), "ESS" | "undefined" | "one chain"))
            .unwrap_or(warnings.len());
        warnings.insert(at, w);
    }
    #[cfg(feature = "report")]
    let html = render_html(&input, &parameters, &warnings).map_err(|e| out_err(out, &e))?;
    let summary = SummaryFile {
        header: SummaryHeader::default(),
        warnings: warnings.iter().map(WarningEntry::from).collect(),
        parameters,
        run: input.run.clone(),
        vi: shards[0].summary.vi.clone(),
        nested_r_hat: nested,
    };

    let staged = RunDir::create(out).map_err(|e| out_err(out, &e))?;
    let dest = staged.path();
    for (file, id) in files.iter().zip(all.ids()) {
        let to = dest.join(format!("chain_{id}.csv"));
        std::fs::copy(file, &to).map_err(|e| out_err(file, &e))?;
    }
    if settings.zarr {
        let store = StoreOptions {
            first_chain: 0,
            warmup: identity.settings["save_warmup"].as_bool() == Some(true),
            attributes: attributes::of_merged(&summary, shards.len()),
        };
        let path = dest.join(STORE_NAME);
        write_arviz_zarr(&path, &draws, &store).map_err(|e| out_err(out, &e))?;
    }
    let flow = reference_dir.join("flow.json");
    if identity.flow_hash.is_some() {
        std::fs::copy(&flow, dest.join("flow.json")).map_err(|e| out_err(&flow, &e))?;
    }
    if let Some(adaptation) = super::adaptation::merged_adaptation(&shards)? {
        let path = dest.join(crate::io::adaptation_file::FILE_NAME);
        crate::io::adaptation_file::save(&path, &adaptation).map_err(|e| out_err(&path, &e))?;
    }
    let write = |name: &str, text: &str| {
        let path = dest.join(name);
        write_string_atomic(&path, text).map_err(|e| out_err(&path, &e))
    };
    write("summary.json", &summary.to_json())?;
    #[cfg(feature = "report")]
    write("report.html", &html)?;
    let dir = staged.commit().map_err(|e| out_err(out, &e))?;
    Ok(MergedRun {
        dir,
        shards,
        draws,
        summary,
        warnings,
    })
}

/// `out` must not be a shard, inside one, or hold one: replacing it would delete shards.
fn refuse_overlap(dirs: &[PathBuf], out: &Path) -> Result<(), MergeError> {
    let Ok(out_c) = std::path::absolute(out) else {
        return Ok(());
    };
    let out_c = std::fs::canonicalize(&out_c).unwrap_or(out_c);
    for d in dirs {
        let Ok(d_c) = std::fs::canonicalize(d) else {
            continue;
        };
        if out_c.starts_with(&d_c) || d_c.starts_with(&out_c) {
            return Err(MergeError::Output {
                path: out.to_path_buf(),
                reason: format!(
                    "the merged folder would replace or sit inside shard {}; choose another --out",
                    d.display()
                ),
            });
        }
    }
    Ok(())
}

/// The merged run's facts: chains and draws from the files, gradient evaluations summed over
/// the shards, seconds the longest shard's (each phase's maximum).
fn merged_facts(shards: &[ShardInfo], draws: &Draws, all: ChainRange) -> RunFacts {
    let runs: Vec<&RunFacts> = shards.iter().map(|s| &s.summary.run).collect();
    let sum = |f: fn(&GradEvals<Option<u64>>) -> Option<u64>| {
        runs.iter()
            .map(|r| f(&r.cost.num_grad_evals))
            .sum::<Option<u64>>()
    };
    let max = |f: fn(&Seconds<Option<f64>>) -> Option<f64>| {
        runs.iter()
            .map(|r| f(&r.cost.seconds))
            .try_fold(0.0f64, |m, v| v.map(|v| m.max(v)))
    };
    let mut facts = RunFacts::from_draws(runs[0].method.clone(), draws);
    facts.cost.num_grad_evals = GradEvals {
        vi: sum(|g| g.vi),
        warmup: sum(|g| g.warmup),
        sampling: sum(|g| g.sampling),
    };
    facts.cost.seconds = Seconds {
        vi: max(|s| s.vi),
        warmup: max(|s| s.warmup),
        sampling: max(|s| s.sampling),
        total: max(|s| s.total),
    };
    facts.auto = runs[0].auto.clone();
    facts.chain_ids = Some(all);
    facts.identity = Some(shards[0].identity.clone());
    facts
}

/// Nested R-hat of every parameter with each shard's chains as a superchain.
fn nested_summary(shards: &[ShardInfo], draws: &Draws, threshold: f64) -> NestedRHatSummary {
    let ids: Vec<usize> = shards
        .iter()
        .enumerate()
        .flat_map(|(k, s)| std::iter::repeat_n(k, s.chain_ids.len()))
        .collect();
    let sizes: Vec<usize> = shards.iter().map(|s| s.chain_ids.len()).collect();
    let note = sizes.iter().any(|&n| n != sizes[0]).then(|| {
        let list: Vec<String> = sizes.iter().map(|n| n.to_string()).collect();
        format!(
            "undefined: the shards hold unequal numbers of chains ({}); nested R-hat needs the same number in each",
            list.join(", ")
        )
    });
    let parameters: Vec<NestedRHatEntry> = (0..draws.num_params())
        .map(|i| NestedRHatEntry {
            name: draws.param_names[i].clone(),
            nested_r_hat: rhat_nested(&draws.param(i), &ids),
        })
        .collect();
    let max = parameters
        .iter()
        .map(|p| p.nested_r_hat)
        .filter(|v| !v.is_nan())
        .fold(f64::NAN, f64::max);
    NestedRHatSummary {
        superchains: shards.iter().map(|s| s.chain_ids).collect(),
        max,
        threshold,
        note,
        parameters,
    }
}

fn nested_warning(n: &NestedRHatSummary, num_shards: usize) -> Option<DiagnosticWarning> {
    let mut params: Vec<(String, f64)> = n
        .parameters
        .iter()
        .filter(|p| p.nested_r_hat > n.threshold)
        .map(|p| (p.name.clone(), p.nested_r_hat))
        .collect();
    params.sort_by(|a, b| b.1.total_cmp(&a.1));
    (!params.is_empty()).then_some(DiagnosticWarning::HighNestedRHat {
        params,
        threshold: n.threshold,
        num_shards,
    })
}
