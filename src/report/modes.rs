//! The report's section on a multimodal run ([`crate::multimodal`]): the modes found, each
//! chain's occupancy of them, the jump acceptance per chain, and the evidence.

use minijinja::{Value, context};

use crate::multimodal::MultimodalReport;

/// The template's `modes` value: a header, one row per mode and a line each for the jumps and
/// the evidence.
pub(super) fn modes_view(m: &MultimodalReport) -> Value {
    let num_chains = m.jump_acceptance_per_chain.len();
    let mut header = vec![
        "mode".to_string(),
        "proposal".into(),
        "proposal weight".into(),
        "starts".into(),
        "occupancy".into(),
    ];
    header.extend((1..=num_chains).map(|c| format!("chain {c}")));
    let rows: Vec<Vec<String>> = m
        .modes
        .iter()
        .enumerate()
        .map(|(k, mode)| {
            let mut row = vec![
                (k + 1).to_string(),
                mode.proposal_family(),
                format!("{:.3}", mode.proposal_weight),
                mode.num_starts.to_string(),
                format!("{:.3}", mode.occupancy),
            ];
            row.extend(mode.occupancy_per_chain.iter().map(|f| format!("{f:.3}")));
            row
        })
        .collect();
    let jumps = format!(
        "{:.3} over all chains; by chain {}",
        m.jump_acceptance,
        m.jump_acceptance_per_chain
            .iter()
            .map(|a| format!("{a:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let evidence = match (&m.log_evidence, &m.log_evidence_note) {
        (Some(z), _) => format!(
            "{:.4} ± {:.2e} (MCSE), Pareto k̂ {:.2}",
            z.value, z.mcse, z.pareto_k
        ),
        (None, Some(why)) => format!("not reported: {why}"),
        (None, None) => "not computed".into(),
    };
    context! {
        header => header,
        rows => rows,
        jumps => jumps,
        evidence => evidence,
        num_starts => m.num_starts,
        num_failed => m.num_failed_starts,
    }
}
