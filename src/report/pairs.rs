//! Which parameters the pair plot shows: the ones that show the posterior's geometry.
//!
//! The lowest-ESS parameters alone are often interchangeable (a funnel's x[i]) and miss the one
//! that explains them (its v). So: anchors are the parameters most associated with the
//! divergent draws (when there are any), then the lowest-ESS ones; each anchor brings its
//! strongest partner, judged by correlation of the values *and* of their spreads
//! (|θ − median|), which finds a scale dependence such as x[i]'s on v where the plain
//! correlation is zero. Names the user asked for come first.

use crate::Draws;
use crate::diagnostics::ParamSummary;

/// Pearson correlation (0 when undefined).
fn corr(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n < 3 {
        return 0.0;
    }
    let (ma, mb) = (mean(&a[..n]), mean(&b[..n]));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (a[i] - ma, b[i] - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    let r = sab / (saa * sbb).sqrt();
    if r.is_finite() { r } else { 0.0 }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// |θ − median(θ)|: the spread of each draw.
fn spread(v: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let med = s.get(s.len() / 2).copied().unwrap_or(0.0);
    v.iter().map(|x| (x - med).abs()).collect()
}

/// How strongly `a` and `b` depend on each other: the largest |correlation| among values and
/// spreads.
fn dependence(a: &[f64], b: &[f64]) -> f64 {
    let (sa, sb) = (spread(a), spread(b));
    [corr(a, b), corr(&sa, b), corr(a, &sb), corr(&sa, &sb)]
        .iter()
        .fold(0.0f64, |m, r| m.max(r.abs()))
}

/// Up to `n` parameter indices for the pair plot (sorted), `requested` names first.
pub(crate) fn choose_pairs(
    draws: &Draws,
    summary: &[ParamSummary],
    n: usize,
    requested: &[String],
) -> Vec<usize> {
    let p = draws.num_params();
    let n = n.min(p);
    let values: Vec<Vec<f64>> = (0..p).map(|i| draws.param(i).concat()).collect();
    let mut chosen: Vec<usize> = requested
        .iter()
        .filter_map(|r| draws.param_names.iter().position(|name| name == r))
        .collect();
    chosen.dedup();
    let divergent: Vec<f64> = draws
        .chains
        .iter()
        .flat_map(|c| &c.stats)
        .map(|s| f64::from(u8::from(s.divergent)))
        .collect();
    let mut anchors: Vec<usize> = vec![];
    if divergent.iter().any(|d| *d > 0.0) {
        let mut by_div: Vec<(usize, f64)> = (0..p)
            .map(|i| (i, dependence(&values[i], &divergent)))
            .collect();
        by_div.sort_by(|a, b| b.1.total_cmp(&a.1));
        anchors.extend(by_div.iter().take(2).map(|(i, _)| *i));
    }
    let mut by_ess: Vec<usize> = (0..p.min(summary.len())).collect();
    let ess = |i: usize| {
        let e = summary[i].ess_bulk.min(summary[i].ess_tail);
        if e.is_nan() { f64::NEG_INFINITY } else { e }
    };
    by_ess.sort_by(|&a, &b| ess(a).total_cmp(&ess(b)));
    anchors.extend(by_ess.iter().copied());
    for a in anchors {
        if chosen.len() >= n {
            break;
        }
        if !chosen.contains(&a) {
            chosen.push(a);
        }
        if chosen.len() >= n {
            break;
        }
        let partner = (0..p)
            .filter(|&j| j != a && !chosen.contains(&j))
            .max_by(|&x, &y| {
                dependence(&values[a], &values[x]).total_cmp(&dependence(&values[a], &values[y]))
            });
        if let Some(j) = partner {
            chosen.push(j);
        }
    }
    chosen.truncate(n.max(chosen.len().min(requested.len())));
    chosen.sort();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChainDraws, DrawStats};

    /// A funnel-like sample: x's scale depends on v, and every x has the lowest ESS.
    #[test]
    fn the_funnel_shows_v() {
        let mut s = 7u64;
        let mut u = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let n = 400;
        let mut values = vec![];
        for _ in 0..n {
            let v = 6.0 * u();
            values.push(v);
            for _ in 0..6 {
                values.push((v / 2.0).exp() * 3.0 * u());
            }
        }
        let names: Vec<String> = std::iter::once("v".to_string())
            .chain((1..=6).map(|i| format!("x[{i}]")))
            .collect();
        let chain = ChainDraws {
            values,
            stats: vec![DrawStats::default(); n],
            ..Default::default()
        };
        let draws = Draws::new(names, vec![chain]).unwrap();
        let mut summary = crate::diagnostics::summarize(&draws);
        // Make the x's the worst-mixing ones, as on the real funnel.
        for (i, p) in summary.iter_mut().enumerate() {
            p.ess_bulk = if i == 0 { 900.0 } else { 100.0 + i as f64 };
        }
        let chosen = choose_pairs(&draws, &summary, 4, &[]);
        assert!(chosen.contains(&0), "v must be shown: {chosen:?}");
        assert_eq!(chosen.len(), 4);
        // What the user asks for comes first.
        let asked = choose_pairs(&draws, &summary, 2, &["x[5]".into(), "x[6]".into()]);
        assert_eq!(asked, vec![5, 6]);
    }
}
