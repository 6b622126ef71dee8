//! The root attributes of a run's store: what the run was (model, method, seed, warmup) and
//! its variational fit (ELBO, Pareto k̂, log evidence), from a finished run or from a merged
//! run's summary. Values that are not finite are left out (JSON has no NaN).

use crate::Run;
use crate::io::flow_file::StoredFit;
use crate::report::SummaryFile;
use serde_json::{Map, Value};

/// A finished run's attributes, with the variational fit's (or, for a run through a flow file,
/// that file's) ELBO and k̂.
pub(crate) fn of_run(run: &Run, model: &str, fit: Option<&StoredFit>) -> Map<String, Value> {
    let mut a = Map::new();
    let num = |a: &mut Map<_, _>, key: &str, x: f64| {
        if x.is_finite() {
            a.insert(key.to_string(), x.into());
        }
    };
    a.insert("model".into(), model.into());
    a.insert("method".into(), run.method.name().into());
    a.insert("seed".into(), run.seed.into());
    a.insert("num_warmup".into(), run.num_tune.into());
    if let Some(auto) = &run.auto {
        a.insert("auto".into(), auto.describe().into());
    }
    match (&run.vi, fit) {
        (Some(vi), _) => {
            let gaussian = run
                .auto
                .as_ref()
                .is_some_and(|a| a.escalation_reason.is_none());
            let kind = if gaussian { "gaussian" } else { "flow" };
            a.insert("vi_fit".into(), kind.into());
            num(&mut a, "vi_elbo", vi.elbo);
            num(&mut a, "vi_elbo_mcse", vi.elbo_mcse);
            num(&mut a, "vi_pareto_k", vi.pareto_k);
            a.insert("vi_num_steps".into(), vi.num_steps.into());
            if let Ok(z) = &vi.log_evidence {
                num(&mut a, "log_evidence", z.value);
                num(&mut a, "log_evidence_mcse", z.mcse);
            }
        }
        (None, Some(f)) => {
            a.insert("vi_fit".into(), "flow (from the flow file)".into());
            num(&mut a, "vi_elbo", f.elbo);
            num(&mut a, "vi_pareto_k", f.pareto_k);
            a.insert("vi_num_steps".into(), f.num_steps.into());
        }
        (None, None) => {}
    }
    a
}

/// The merged store's root attributes: the run's identity and the flow's fit, as `sample`
/// writes them, and the number of shards.
pub(crate) fn of_merged(summary: &SummaryFile, num_shards: usize) -> Map<String, Value> {
    let mut a = Map::new();
    let mut num = |key: &str, x: f64| {
        if x.is_finite() {
            a.insert(key.to_string(), x.into());
        }
    };
    if let Some(vi) = &summary.vi {
        num("vi_elbo", vi.elbo);
        num("vi_pareto_k", vi.pareto_k);
        if let Some(z) = &vi.log_evidence {
            num("log_evidence", z.value);
            num("log_evidence_mcse", z.mcse);
        }
    }
    if let Some(vi) = &summary.vi {
        a.insert("vi_num_steps".into(), vi.num_steps.into());
    }
    if let Some(id) = &summary.run.identity {
        a.insert("model".into(), id.model.clone().into());
        a.insert("seed".into(), id.seed.into());
    }
    a.insert("method".into(), summary.run.method.name().into());
    a.insert("merged_shards".into(), num_shards.into());
    a
}
