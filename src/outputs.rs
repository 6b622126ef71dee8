//! A run's output folder, written as `flowpost sample` writes it: `chain_K.csv` (CmdStan
//! format; K the chain's number in the whole run, for a shard of a larger one),
//! `summary.json` (with the run's chain numbers and identity, which `flowpost merge` checks),
//! `report.html`, `adaptation.json` (each chain's adapted step size, metric and last draw, for
//! `sample --warm-start`), with a flow `flow.json`, and with [`OutputOptions::zarr`] the ArviZ
//! zarr store `draws.zarr` — every file complete,
//! the folder replaced whole ([`RunDir`]): a folder holding files
//! flowpost did not write is refused, and no file of an earlier run survives.
//!
//! ```no_run
//! # use flowpost::{DensityError, LogDensity, SampleSettings, sample};
//! # struct Normal;
//! # impl LogDensity for Normal {
//! #     fn dim(&self) -> usize { 1 }
//! #     fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
//! #         g[0] = -x[0];
//! #         Ok(-0.5 * x[0] * x[0])
//! #     }
//! # }
//! let settings = SampleSettings::default();
//! let run = sample(&Normal, &settings)?;
//! let written = run.write_outputs("out/normal".as_ref(), "normal", &settings)?;
//! for w in &written.warnings {
//!     eprintln!("! {}", w.message());
//! }
//! # Ok::<(), flowpost::Error>(())
//! ```

use crate::diagnostics::DiagnosticWarning;
use crate::io::adaptation_file::{self, Coordinates, StoredAdaptation};
use crate::io::arviz_zarr::{STORE_NAME, StoreOptions, attributes, write_arviz_zarr};
use crate::io::atomic::RunDir;
use crate::io::cmdstan::{CmdStanMeta, write_cmdstan_csvs};
use crate::io::flow_file::{self, StoredFit};
use crate::report::{ReportInput, ReportVi, RunFacts, SummaryFile, write_report};
use crate::shard::{RunIdentity, identity_settings};
use crate::{Error, Run, SampleSettings};
use std::path::{Path, PathBuf};

/// Options of [`Run::write_outputs_with`].
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// For a run through a flow trained earlier: that flow's fit summary, kept in `flow.json`
    /// (`None`: the run's own fit, if any).
    pub flow_fit: Option<StoredFit>,
    /// Parameters the report's pair plot must show.
    pub pair_params: Vec<String>,
    /// Write the warmup draws into the chain CSVs too (CmdStan's `save_warmup = 1`).
    pub save_warmup: bool,
    /// The model's hash for summary.json `run.identity` ([`model_hash_builtin`],
    /// [`model_hash_stan`]); without it `flowpost merge` cannot tell this run's model from
    /// another's and refuses to merge it.
    ///
    /// [`model_hash_builtin`]: crate::shard::model_hash_builtin
    /// [`model_hash_stan`]: crate::shard::model_hash_stan
    pub model_hash: Option<String>,
    /// Also write the draws as an ArviZ 1.x zarr store, `draws.zarr`
    /// ([`arviz_zarr`](crate::io::arviz_zarr)); the chain CSVs are written either way.
    pub zarr: bool,
}

/// What [`Run::write_outputs`] wrote.
#[derive(Debug, Clone)]
pub struct WrittenRun {
    /// The output folder.
    pub dir: PathBuf,
    /// The contents of `summary.json`.
    pub summary: SummaryFile,
    /// The problems found, most serious first (also in `summary.json` and the report).
    pub warnings: Vec<DiagnosticWarning>,
}

impl Run {
    /// What the CSV's adaptation block (step size, inverse mass matrix) holds when it is not
    /// CmdStan's usual meaning: NUTS's adaptation in a flow's latent space, or the diagonal
    /// part of a low-rank metric. `None` for plain NUTS with the diagonal metric.
    ///
    /// The text avoids what CSV readers take for the block itself: CmdStanPy reads any comment
    /// line with `metric =` as the metric, ArviZ 0.23 takes the line after any comment with
    /// `inverse mass matrix` for its values, and both read a line starting `Step size`.
    pub fn adaptation_note(&self) -> Option<String> {
        use crate::auto::AutoChoice;
        use crate::nuts::Metric;
        let whitened = self
            .auto
            .as_ref()
            .is_some_and(|a| a.choice == AutoChoice::Whitened);
        let low_rank = self.metric == Metric::LowRank;
        let space = if whitened {
            Some("in the space whitened by the Gaussian fit (auto)")
        } else if self.flow.is_some() {
            Some("in the flow's latent space (NeuTra)")
        } else {
            None
        };
        let diag = "its mass matrix is the diagonal part of nuts-rs's low-rank one \
                    (the low-rank correction has no place in this format)";
        match (space, low_rank) {
            (None, false) => None,
            (None, true) => Some(format!("in the adaptation block below, {diag}")),
            (Some(s), false) => Some(format!(
                "the adaptation block below (step size, mass matrix diagonal) is NUTS's {s}, \
                 not the model's unconstrained space"
            )),
            (Some(s), true) => Some(format!(
                "the adaptation block below (step size, mass matrix diagonal) is NUTS's {s}, \
                 not the model's unconstrained space; {diag}"
            )),
        }
    }

    /// The run's adaptation as `adaptation.json` holds it ([`adaptation_file`]): for a later
    /// run's [`SampleSettings::warm_start`], with the metric and target acceptance it was
    /// adapted with. `flow_hash` is the SHA-256 of the run's saved `flow.json`, if any.
    pub fn stored_adaptation(
        &self,
        model: &str,
        model_hash: Option<String>,
        flow_hash: Option<String>,
    ) -> StoredAdaptation {
        StoredAdaptation {
            model: model.to_string(),
            model_hash,
            coordinates: if self.flow.is_some() {
                Coordinates::FlowLatent
            } else {
                Coordinates::Unconstrained
            },
            flow_hash,
            metric: self.metric,
            target_accept: self.target_accept,
            warm_start: crate::nuts::WarmStart {
                chains: self.adaptation.clone(),
            },
        }
    }

    /// Writes the run's outputs into `dir` ([module docs](self)); `model` names the model in the
    /// files, `settings` are the run's (for the CSV header: tree depth, target acceptance).
    pub fn write_outputs(
        &self,
        dir: &Path,
        model: &str,
        settings: &SampleSettings,
    ) -> Result<WrittenRun, Error> {
        self.write_outputs_with(dir, model, settings, &OutputOptions::default())
    }

    /// [`write_outputs`](Self::write_outputs) with [`OutputOptions`].
    pub fn write_outputs_with(
        &self,
        dir: &Path,
        model: &str,
        settings: &SampleSettings,
        options: &OutputOptions,
    ) -> Result<WrittenRun, Error> {
        let fit = options.flow_fit.clone().or_else(|| {
            self.vi.as_ref().map(|v| StoredFit {
                elbo: v.elbo,
                pareto_k: v.pareto_k,
                num_steps: v.num_steps,
            })
        });
        let staged = RunDir::create(dir)?;
        let out = staged.path();
        let per_chain = self.draws.num_chains().max(1) as f64;
        let meta = CmdStanMeta {
            model: model.to_string(),
            method: self.method.name().to_string(),
            seed: Some(self.seed),
            num_warmup: self.num_tune as usize,
            max_depth: settings.max_depth,
            seconds: Some((
                self.cost.seconds.warmup / per_chain,
                self.cost.seconds.sampling / per_chain,
            )),
            save_warmup: options.save_warmup,
            extra: vec![("target_accept".into(), self.target_accept.to_string())],
            chain_id_offset: self.first_chain,
        };
        let mut meta = meta;
        if let Some(init) = &settings.init {
            meta.extra.push(("flowpost_init".into(), init.describe()));
        }
        if let Some(note) = self.adaptation_note() {
            meta.extra.push(("flowpost_adaptation".into(), note));
        }
        write_cmdstan_csvs(out, &self.draws, &meta)?;
        if options.zarr {
            let store = StoreOptions {
                first_chain: self.first_chain,
                warmup: options.save_warmup,
                attributes: attributes::of_run(self, model, fit.as_ref()),
            };
            let path = out.join(STORE_NAME);
            write_arviz_zarr(&path, &self.draws, &store)?;
        }
        let flow_hash = match &self.flow {
            Some(flow) => {
                let path = out.join("flow.json");
                let names = &self.draws.param_names;
                flow_file::save(&path, flow, Some(model), names, fit)?;
                let bytes = std::fs::read(&path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                Some(crate::shard::sha256_hex(&bytes))
            }
            None => None,
        };
        if !self.adaptation.is_empty() {
            let stored =
                self.stored_adaptation(model, options.model_hash.clone(), flow_hash.clone());
            adaptation_file::save(&out.join(adaptation_file::FILE_NAME), &stored)?;
        }
        let mut facts = RunFacts::from_run(self);
        facts.identity = Some(RunIdentity {
            model: model.to_string(),
            model_hash: options.model_hash.clone(),
            flow_hash,
            seed: self.seed,
            settings: identity_settings(settings, options.save_warmup),
            flowpost_version: env!("CARGO_PKG_VERSION").to_string(),
        });
        let mut input = ReportInput::new(model, &self.draws, facts);
        input.vi = self.vi.as_ref().map(ReportVi::from_vi);
        input.settings.warnings.max_tree_depth = settings.max_depth;
        input.settings.warnings.chain_id_offset = self.first_chain;
        input.settings.pair_params = options.pair_params.clone();
        let (summary, warnings) = write_report(out, &input)?;
        let dir = staged.commit()?;
        Ok(WrittenRun {
            dir,
            summary,
            warnings,
        })
    }
}
