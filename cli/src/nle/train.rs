//! `flowpost nle train`: train a likelihood estimator q(x | θ) on (θ, x) tables under a prior
//! spec, with NPE's training options, and write the estimator file (prior included), the
//! training report and its page into a run folder replaced whole.

use super::ESTIMATOR_FILE;
use crate::npe::options::{TrainingOptions, settings_over, train_with_bar};
use crate::npe::report::write_training_report;
use crate::npe::shards::{Input, TableArgs};
use crate::npe::train::check_against_prior;
use crate::npe::{save_training_json, warn_if_few};
use anyhow::{Result, bail};
use clap::Args;
use flowpost::npe::{IndependentPrior, Prior, train_nle};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(super) struct TrainArgs {
    #[command(flatten)]
    tables: TableArgs,
    /// Prior spec (JSON), one entry per θ column: `{"parameters": [{"family": "normal",
    /// "mean": 0, "sd": 1, "name": "a"}, ...]}` with families uniform, normal, log_normal,
    /// gamma, beta, half_normal, or `{"box": {"lower": [...], "upper": [...]}}`. It is stored
    /// in the estimator file: `nle sample` samples under it. Unnamed parameters take the θ
    /// table's column names; named ones must match them.
    #[arg(long)]
    prior: PathBuf,
    /// Output directory (estimator.json, training_report.json, report.html).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    options: TrainingOptions,
}

pub(super) fn run(a: TrainArgs) -> Result<()> {
    refuse_unsupported(&a.options)?;
    let s = settings_over(&a.options, flowpost::npe::NpeSettings::nle_default())?;
    // Refuse a bad --out before training, not after.
    flowpost::io::atomic::check_output_dir(&a.out)?;
    let (input, sims) = a.tables.read()?;
    let prior = IndependentPrior::load(&a.prior)?;
    check_against_prior(&sims, &prior, &input, &a.prior)?;
    let prior = named_as_columns(prior, &input, &a.prior)?;
    warn_if_few(sims.len());
    let (nle, report) = train_with_bar(&s, a.options.quiet, |p| train_nle(&sims, &prior, &s, p))?;
    let nle = nle.with_x_labels(input.x.header.clone())?;
    let dir = flowpost::io::atomic::RunDir::create(&a.out)?;
    nle.save(&dir.path().join(ESTIMATOR_FILE))?;
    save_training_json(dir.path(), &report, &s, Some(input.describe()))?;
    let facts = vec![
        (
            "input".to_string(),
            input.shards.len().to_string() + " table pair(s)",
        ),
        ("prior".to_string(), a.prior.display().to_string()),
    ];
    let flow = nle.flow_estimator();
    write_training_report(dir.path(), "NLE training", flow, &report, None, facts)?;
    let out = dir.commit()?;
    eprintln!(
        "wrote {} (report: {})",
        out.join(ESTIMATOR_FILE).display(),
        out.join("report.html").display()
    );
    Ok(())
}

/// What NLE does not do yet, refused by the flag's name before any data is read.
fn refuse_unsupported(o: &TrainingOptions) -> Result<()> {
    if let Some(k) = o.ensemble.filter(|&k| k > 1) {
        bail!("--ensemble {k}: NLE trains one flow for now (no ensembles yet)");
    }
    if o.x_transform != "zscore" {
        bail!(
            "--x-transform {}: NLE models x as it is for now (no preprocessing yet; only `zscore`)",
            o.x_transform
        );
    }
    Ok(())
}

/// The prior with the θ table's column names where the spec named none; a spec name that is
/// not its column's is an error (the spec's parameters are in another order than the table's
/// columns, or belong to another table).
fn named_as_columns(
    prior: IndependentPrior,
    input: &Input,
    prior_file: &Path,
) -> Result<IndependentPrior> {
    let header = &input.theta.header;
    let mut names = Vec::with_capacity(header.len());
    for (k, (name, column)) in prior.names().iter().zip(header).enumerate() {
        let unnamed = *name == format!("parameter_{}", k + 1);
        if !unnamed && name != column {
            bail!(
                "{}: parameter {} is named `{name}` but column {} of {} is `{column}`; name the prior's parameters as the θ columns, in their order (or leave `name` out)",
                prior_file.display(),
                k + 1,
                k + 1,
                input.shards[0].theta.display()
            );
        }
        names.push(column.clone());
    }
    debug_assert_eq!(names.len(), prior.dim());
    Ok(IndependentPrior::with_names(
        prior.marginals().to_vec(),
        names,
    )?)
}
