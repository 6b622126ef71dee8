//! Plain-text output: the summary table (like CmdStan's `stansummary` / ArviZ's `summary`) and
//! the warnings block.

use crate::diagnostics::{DiagnosticWarning, ParamSummary};

/// Formats `x` with about `sig` significant digits: fixed notation for moderate magnitudes,
/// exponent notation for very large or small ones, `NaN` as `nan`.
///
/// ```
/// use flowpost::report::format_sig;
/// assert_eq!(format_sig(3.14159, 3), "3.14");
/// assert_eq!(format_sig(0.0012345, 3), "0.00123");
/// assert_eq!(format_sig(1234567.0, 3), "1.23e6");
/// ```
pub fn format_sig(x: f64, sig: usize) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{:.*e}", sig.saturating_sub(1), x);
    }
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    format!("{x:.decimals$}")
}

/// Formats an ESS as an integer (`nan` when undefined).
pub fn format_ess(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0}", x)
    } else {
        "nan".into()
    }
}

/// Column headers of the summary table, in order.
pub const TABLE_COLUMNS: [&str; 9] = [
    "mean", "sd", "mcse", "5%", "50%", "95%", "ess_bulk", "ess_tail", "r_hat",
];

/// One row of formatted cells per parameter, in [`TABLE_COLUMNS`] order.
pub fn table_cells(p: &ParamSummary) -> [String; 9] {
    [
        format_sig(p.mean, 3),
        format_sig(p.sd, 3),
        format_sig(p.mcse_mean, 2),
        format_sig(p.q5, 3),
        format_sig(p.q50, 3),
        format_sig(p.q95, 3),
        format_ess(p.ess_bulk),
        format_ess(p.ess_tail),
        if p.r_hat.is_finite() {
            format!("{:.3}", p.r_hat)
        } else {
            "nan".into()
        },
    ]
}

/// The summary table as aligned plain text, one line per parameter.
///
/// ```
/// use flowpost::diagnostics::summarize_param;
/// use flowpost::report::summary_table;
/// let s = summarize_param("mu", &[vec![0.1, -0.4, 1.2, 0.3, -0.9], vec![-0.2, 0.8, -1.1, 0.0, 0.6]]);
/// let table = summary_table(&[s]);
/// assert!(table.lines().next().unwrap().contains("ess_bulk"));
/// assert!(table.lines().nth(1).unwrap().starts_with("mu"));
/// ```
pub fn summary_table(params: &[ParamSummary]) -> String {
    let rows: Vec<[String; 9]> = params.iter().map(table_cells).collect();
    let name_w = params
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut widths: Vec<usize> = TABLE_COLUMNS.iter().map(|c| c.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = format!("{:name_w$}", "");
    for (c, w) in TABLE_COLUMNS.iter().zip(&widths) {
        out.push_str(&format!("  {c:>w$}"));
    }
    out.push('\n');
    for (p, r) in params.iter().zip(&rows) {
        out.push_str(&format!("{:name_w$}", p.name));
        for (c, w) in r.iter().zip(&widths) {
            out.push_str(&format!("  {c:>w$}"));
        }
        out.push('\n');
    }
    out
}

/// The warnings block: one `! message` line and one indented advice line per warning, or a line
/// saying that no problem was found.
pub fn warnings_block(warnings: &[DiagnosticWarning]) -> String {
    if warnings.is_empty() {
        return "No warnings: no divergences, no tree-depth saturation, E-BFMI, R-hat and ESS fine.\n".into();
    }
    let mut out = format!("Warnings ({}):\n", warnings.len());
    for w in warnings {
        out.push_str(&format!("  ! {}\n    {}\n", w.message(), w.advice()));
    }
    out
}
